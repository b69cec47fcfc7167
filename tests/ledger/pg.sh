# tests/ledger/pg.sh: a PostgreSQL server of the test's own, sourced after
# tests/lib.sh. pg_setup makes a cluster with initdb in a directory of its
# own ($PGT), listening only on a Unix socket there (listen_addresses=''),
# trust on that socket (no password anywhere), superuser kc, database
# "ledger", and sets PGURI (the libpq URI of it) and PSQL. pg_stop and
# pg_start stop and start it; the server is stopped at exit.
#
# Run as root, the server runs as an unprivileged user (initdb and
# postgres refuse root): "nobody" through runuser (util-linux), on Debian 12
# as on any Debian root. $PGT is outside $T (mode 700, root's) so that this
# user can reach it.

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PGBIN/initdb" ] ||
	bail "no PostgreSQL server (postgresql package; scripts/install-deps)"

_pg_as() {
	# (from /: the test's directory is closed to that user)
	( cd / && if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"
	  else "$@"; fi )
}

pg_start() {
	_pg_as "$PGBIN/pg_ctl" -D "$PGT/data" -w -t 60 -l "$PGT/log" \
		-o "-c listen_addresses='' -c unix_socket_directories=$PGT" \
		start >/dev/null || { cat "$PGT/log"; bail "pg_ctl start"; }
}

pg_stop() {
	_pg_as "$PGBIN/pg_ctl" -D "$PGT/data" -w -t 60 -m "${1:-fast}" stop \
		>/dev/null 2>&1
}

_pg_cleanup() {
	[ -n "${PGT:-}" ] || return 0
	[ -f "$PGT/data/postmaster.pid" ] && pg_stop immediate
	rm -rf "$PGT"
}

pg_setup() {
	PGT=$(mktemp -d "${TMPDIR:-/tmp}/kc-pg.XXXXXX")
	trap '_pg_cleanup; _tap_cleanup' EXIT
	trap 'exit 1' INT TERM HUP
	chmod 755 "$PGT"
	[ "$(id -u)" -ne 0 ] || chown nobody "$PGT"
	_pg_as "$PGBIN/initdb" -D "$PGT/data" -U kc --auth=trust -E UTF8 \
		--no-locale -N >"$PGT/initdb.log" 2>&1 ||
		{ cat "$PGT/initdb.log"; bail "initdb"; }
	pg_start
	PGURI="postgresql://kc@/ledger?host=$PGT"
	PSQL="psql -X -q -A -t -v ON_ERROR_STOP=1"
	$PSQL "postgresql://kc@/postgres?host=$PGT" -c 'CREATE DATABASE ledger' ||
		bail "createdb"
	export PGURI PGT
}

# sql QUERY: one query's rows on stdout (unaligned, no header)
sql() { $PSQL "$PGURI" -c "$1"; }

# hold SQL: a session of its own runs SQL in an open transaction and keeps
# it open (fd 3 writes more to it: "COMMIT;" or "ROLLBACK;", then close fd 3
# and wait $HOLD_PID); fails when SQL does (at most 60 s).
hold() {
	rm -f "$T/hold" "$T/hold.log"
	mkfifo "$T/hold"
	$PSQL "$PGURI" < "$T/hold" > "$T/hold.log" 2>&1 &
	HOLD_PID=$!
	exec 3> "$T/hold"
	echo "BEGIN; $1; SELECT 'held';" >&3
	_i=0
	until grep -q held "$T/hold.log"; do
		if [ $_i -ge 1200 ] || ! kill -0 $HOLD_PID 2>/dev/null; then
			cat "$T/hold.log"; return 1
		fi
		sleep 0.05; _i=$((_i + 1))
	done
}
