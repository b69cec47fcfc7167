#!/bin/sh
# Root key backup (issue 17): the public export and the backup medium never
# meet. `keyceremony export` refuses, before anything is written, a --to
# that is (or holds, in any directory, in any case, or as a temporary copy)
# a backup medium: backup.wrapped or backup.manifest. It never copies a
# wrapped key from the state directory either, whatever the blob is named.
# Each refusal is paired with the export it differs from, which works.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"

backup_setup ec-p256
mkdir medium shares st
bk_create medium shares >create.out 2>&1 || { cat create.out; bail "backup create"; }
cp root.pem st/root.crt
blobsha=$(sha256sum medium/backup.wrapped | cut -c1-64)

# snap DIR: every file under DIR with its SHA-256 (to prove nothing changed)
snap() { (cd "$1" && find . -type f -exec sha256sum {} + | sort) 2>/dev/null; }
# no_blob_anywhere WHAT: no file under $T but the medium (and the state
# directories the test put it in) holds the blob
no_blob_anywhere() {
	_hit=$(find "$T" -type f ! -path "$T/medium/*" ! -path "$T/softhsm/*" ! -path "$T/st-*" \
		-exec sha256sum {} + 2>/dev/null | grep -c "^$blobsha")
	[ "$_hit" = 0 ] && ok "  ... $1: the wrapped key was copied nowhere" ||
		not_ok "  ... $1: the wrapped key is in $_hit more file(s)"
}

# --- positive: the state directory exports to an empty medium ---------------
mkdir pub0
check "export of the state directory to an empty medium works" "$KC" export --state st --to pub0
[ -f pub0/root.crt ] && [ -f pub0/SHA256SUMS ] && ok "  ... root.crt and SHA256SUMS written" ||
	not_ok "  ... wrote: $(ls pub0 | tr '\n' ' ')"

# --- the backup medium as the export target -------------------------------
before=$(snap medium)
check_fails "export --to the backup medium itself is refused" \
	"medium/backup\.(manifest|wrapped): this is a root key backup medium.*refusing to export onto it" \
	"$KC" export --state st --to medium
[ "$(snap medium)" = "$before" ] && [ ! -e medium/SHA256SUMS ] && [ ! -e medium/root.crt ] &&
	ok "  ... the backup medium is as it was (no SHA256SUMS, no certificate)" ||
	not_ok "  ... the backup medium changed: $(ls -A medium | tr '\n' ' ')"
check_fails "  ... also through another path to it (./medium/.)" "root key backup medium" \
	"$KC" export --state st --to ./medium/.
[ "$(snap medium)" = "$before" ] && ok "  ... still as it was" || not_ok "  ... changed"
check_fails "  ... and with --quiet" "root key backup medium" \
	"$KC" export --quiet --state st --to medium
no_blob_anywhere "export to the backup medium"

# a generated corpus: one backup file (or a trace of one) on an otherwise
# ordinary medium; every case refused, nothing written
python3 - >corpus.txt <<'PY'
names = ["backup.wrapped", "backup.manifest", "BACKUP.WRAPPED", "Backup.Manifest",
         "bAcKuP.wRaPpEd", ".backup.wrapped.tmp-0123456789ab",
         ".backup.manifest.tmp-abcdef012345", "backup.wrapped.old",
         "old-backup.manifest", "backup.manifest~", "copy of backup.wrapped"]
for n in names:
    print("top\t" + n)
    print("sub\t" + n)
    print("deep\t" + n)
PY
i=0
while IFS="$(printf '\t')" read -r where name; do
	i=$((i + 1)); d=c$i
	mkdir "$d"; printf 'notes\n' >"$d/README.txt"
	case $where in
	top) f="$d/$name" ;;
	sub) mkdir "$d/old"; f="$d/old/$name" ;;
	deep) mkdir -p "$d/a/b/c"; f="$d/a/b/c/$name" ;;
	esac
	cp medium/backup.manifest "$f"
	b=$(snap "$d")
	check_fails "export refuses a medium with '$name' ($where)" \
		"this is a root key backup medium.*refusing to export onto it" \
		"$KC" export --state st --to "$d"
	[ "$(snap "$d")" = "$b" ] && [ ! -e "$d/SHA256SUMS" ] && ok "  ... '$name' ($where): nothing written" ||
		not_ok "  ... '$name' ($where): $(ls -A "$d" | tr '\n' ' ')"
done <corpus.txt
# a directory of that name, empty, is refused too
mkdir -p cdir/backup.wrapped
check_fails "export refuses a medium with a directory named backup.wrapped" \
	"cdir/backup\.wrapped: this is a root key backup medium" "$KC" export --state st --to cdir
[ ! -e cdir/SHA256SUMS ] && ok "  ... nothing written" || not_ok "  ... written"

# negative controls: names near those, and the backup's public files alone,
# are an ordinary medium and export works
for name in backup.txt wrapped manifest.txt backup backup.pub.pem backup.root.pem \
	backup-wrapped notes.manifest; do
	d="ok-$name"; mkdir "$d"; cp root.pem "$d/$name"
	check "export to a medium holding only '$name' works" "$KC" export --state st --to "$d"
	[ -f "$d/root.crt" ] && [ -f "$d/SHA256SUMS" ] && ok "  ... '$name': exported" ||
		not_ok "  ... '$name': $(ls -A "$d" | tr '\n' ' ')"
done

# --- never a wrapped key from the state directory -----------------------------
# the blob under any name export might copy: refused by name or by content,
# nothing written
for name in backup.wrapped root.crt root.pem root.der ca.crl req.csr root.code \
	BACKUP.WRAPPED transcripts/root.transcript; do
	s="st-$(echo "$name" | tr '/.' '__')"; mkdir -p "$s/transcripts"; cp root.pem "$s/root.crt"
	cp medium/backup.wrapped "$s/$name"
	mkdir "pub-$s"
	check_fails "export refuses the wrapped key in the state directory as '$name'" \
		"$name" "$KC" export --state "$s" --to "pub-$s"
	[ -z "$(ls -A "pub-$s")" ] && ok "  ... '$name': nothing exported" ||
		not_ok "  ... '$name': exported $(ls -A "pub-$s" | tr '\n' ' ')"
done
no_blob_anywhere "the blob in the state directory"
# the same state directories without the blob export fine
mkdir st-ok/ pub-ok; cp root.pem st-ok/root.crt
check "  ... the same state directory without it exports" "$KC" export --state st-ok --to pub-ok

# the backup medium still restores (the refusals touched nothing)
check "the backup medium still restores into r2" bk_restore medium shares/share-1-of-3.txt shares/share-3-of-3.txt
done_testing
