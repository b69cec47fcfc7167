#!/bin/sh
# The layering rules of docs/HACKING.md, checked on the tree and the build:
#  1. who may include what (each layer's sources and headers);
#  2. the factory side and the core compile with nothing of the HSM or
#     ceremony side on their include path (every such header an #error
#     made here, independently of the build's own layering/forbid/);
#  3. factorysign's link line names only libkcfront, libkc-factory and
#     libkc-core, and its binary needs no libp11, libyaml, libgfshare,
#     curses, cairo, pango or qrencode;
#  4. no source file over 800 lines; no two files of one library calling
#     each other (a cycle).
. "$KC_TOP_SRCDIR/tests/lib.sh"

S=$KC_TOP_SRCDIR
B=$KC_TOP_BUILDDIR
cd "$T" || bail "no temp dir"

# includes FILE...: "file: header" for every #include in FILE...
includes() {
	for f in "$@"; do
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^">]*\)[">].*/\1/p' "$f" |
			sed "s|^|${f#"$S"/}: |"
	done
}
# rule NAME PATTERN DIR...: no file under DIR... includes a header
# matching the extended regex PATTERN
rule() {
	_name=$1 _pat=$2; shift 2
	_files=$(for d in "$@"; do find "$S/$d" -name '*.[ch]'; done | sort)
	[ -n "$_files" ] || { not_ok "$_name: no files under $*"; return; }
	# shellcheck disable=SC2086
	_bad=$(includes $_files | grep -E ": ($_pat)\$")
	if [ -z "$_bad" ]; then ok "$_name ($(echo "$_files" | wc -l) files)"
	else not_ok "$_name"; echo "$_bad" | sed 's/^/#   /'; fi
}

EXT_HSM='libp11\.h|pkcs11\.h|p11-kit/.*'
EXT_CER='yaml\.h|libgfshare\.h|n?curses(w/curses)?\.h|ncursesw/.*|cairo.*\.h|pango/.*|qrencode\.h'
rule "core: no HSM, ceremony or factory header, no library but libcrypto" \
	"kc/(hsm|ceremony|factory)/.*|$EXT_HSM|$EXT_CER|sqlite3\.h|cbor\.h|libpq-fe\.h" src/core include/kc/core
rule "hsm: no ceremony or factory header" \
	"kc/(ceremony|factory)/.*|$EXT_CER|sqlite3\.h|cbor\.h|libpq-fe\.h" src/hsm include/kc/hsm
rule "factory side: no HSM or ceremony header, no libp11/PKCS#11/yaml/gfshare/curses/cairo" \
	"kc/(hsm|ceremony)/.*|$EXT_HSM|$EXT_CER" src/factory include/kc/factory
rule "front helpers: the core only" \
	"kc/(hsm|ceremony|factory)/.*|$EXT_HSM|$EXT_CER" src/front
rule "ceremony side: no factory header" "kc/factory/.*" src/ceremony include/kc/ceremony
# libp11/PKCS#11 only in src/hsm
bad=$(includes $(find "$S/src" "$S/include" -name '*.[ch]' | grep -v "^$S/src/hsm/") |
	grep -E ": ($EXT_HSM)\$")
[ -z "$bad" ] && ok "libp11 and PKCS#11 headers only in src/hsm" ||
	{ not_ok "libp11 and PKCS#11 headers only in src/hsm"; echo "$bad" | sed 's/^/#   /'; }
# curses only in the TUI's drawing and input modules; cairo/pango/qrencode only in paper
bad=$(includes $(find "$S/src" "$S/include" -name '*.[ch]') | grep -E ": (n?curses(w/curses)?\.h|ncursesw/.*)\$" |
	grep -v '^src/ceremony/tui/\(draw\|input\)\.c:')
[ -z "$bad" ] && ok "curses only in src/ceremony/tui/draw.c and input.c" || { not_ok "curses elsewhere"; echo "$bad" | sed 's/^/#   /'; }
bad=$(includes $(find "$S/src" "$S/include" -name '*.[ch]') | grep -E ": (cairo.*\.h|pango/.*|qrencode\.h|fontconfig/.*)\$" |
	grep -v '^src/ceremony/paper/')
[ -z "$bad" ] && ok "cairo, pango and qrencode only in src/ceremony/paper" || { not_ok "renderers elsewhere"; echo "$bad" | sed 's/^/#   /'; }

# 2. compile the factory side and the core with a poisoned include path
mkdir -p forbid/kc/hsm forbid/kc/ceremony forbid/p11-kit forbid/pango forbid/ncursesw
for h in libp11.h pkcs11.h p11-kit/pkcs11.h p11-kit/p11-kit.h yaml.h libgfshare.h \
    curses.h ncurses.h ncursesw/curses.h cairo.h cairo-pdf.h pango/pangocairo.h qrencode.h; do
	echo "#error \"layering test: <$h> reached\"" > "forbid/$h"
done
for h in "$S"/include/kc/hsm/*.h "$S"/include/kc/ceremony/*.h; do
	d=$(basename "$(dirname "$h")")
	echo "#error \"layering test: kc/$d/$(basename "$h") reached\"" > "forbid/kc/$d/$(basename "$h")"
done
CC=${CC:-cc}
cflags="-std=c11 -fsyntax-only -D_GNU_SOURCE -Iforbid -I$S/include -I$B -I$S/src/front -I$S/src/factory -I$S/src/factory/lib $(pkg-config --cflags libcrypto sqlite3 libcbor libpq 2>/dev/null)"
# the control: the poison works
printf '#include "kc/hsm/token.h"\n' > control.c
# shellcheck disable=SC2086
if $CC $cflags control.c > control.err 2>&1; then not_ok "the poisoned include path catches kc/hsm/token.h"
else grep -q "layering test: kc/hsm/token.h reached" control.err &&
	ok "the poisoned include path catches kc/hsm/token.h" || not_ok "control failed otherwise: $(head -1 control.err)"; fi
n=0 failed=""
for f in $(find "$S/src/core" "$S/src/factory" "$S/src/front" -name '*.c' | sort); do
	n=$((n + 1))
	# shellcheck disable=SC2086
	$CC $cflags "$f" > cc.err 2>&1 || { failed="$failed ${f#"$S"/}"; sed 's/^/#   /' cc.err | head -5; }
done
[ -z "$failed" ] && ok "core, front and factory side: $n files compile with only libcrypto, SQLite, libcbor and libpq on the include path" ||
	not_ok "did not compile without the HSM/ceremony side:$failed"

# 3. factorysign's link line and binary
make -s -C "$B" print-link-lines > links 2>/dev/null || bail "make print-link-lines failed"
fl=$(sed -n 's/^factorysign: //p' links)
[ -n "$fl" ] && ok "factorysign's link line: $fl" || not_ok "no factorysign link line"
bad=$(echo "$fl" | tr ' ' '\n' | grep -E 'libkc-(hsm|ceremony|paper)\.la|-lp11|-lyaml|-lgfshare|curses|tinfo|cairo|pango|qrencode')
[ -z "$bad" ] && ok "  ... names no HSM, ceremony or paper library" || not_ok "  ... names: $bad"
for la in $(echo "$fl" | tr ' ' '\n' | grep '\.la$'); do
	deps=$(sed -n "s/^dependency_libs='\(.*\)'/\1/p" "$B/$la")
	bad=$(echo "$deps" | tr ' ' '\n' | grep -E 'p11|yaml|gfshare|curses|tinfo|cairo|pango|qrencode')
	[ -z "$bad" ] && ok "  ... $la brings none of them" || not_ok "  ... $la brings $bad"
done
bin=$B/factorysign
[ -f "$B/.libs/factorysign" ] && bin=$B/.libs/factorysign
readelf -d "$bin" > needed 2>&1 || bail "readelf failed"
grep -q NEEDED needed && ok "factorysign is dynamically linked (readelf -d)" || not_ok "readelf -d shows no NEEDED"
bad=$(grep NEEDED needed | grep -Ei 'p11|yaml|gfshare|curses|tinfo|cairo|pango|qrencode|fontconfig|gobject')
[ -z "$bad" ] && ok "factorysign needs: $(sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' needed | tr '\n' ' ')" ||
	not_ok "factorysign needs $bad"
kbin=$B/keyceremony
[ -f "$B/.libs/keyceremony" ] && kbin=$B/.libs/keyceremony
readelf -d "$kbin" | grep -q 'NEEDED.*libp11' && ok "keyceremony needs libp11 (the control: the check sees libraries)" ||
	not_ok "keyceremony without libp11?"

# 4. file sizes and cycles between files of one library
big=$(find "$S/src" "$S/include" -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 800 {print $2 " " $1}' | sed "s|$S/||")
[ -z "$big" ] && ok "no source file over 800 lines" || { not_ok "source files over 800 lines"; echo "$big" | sed 's/^/#   /'; }
# a cycle: A calls a function defined in B and B calls one defined in A
# (functions with external linkage, from the objects' symbol tables)
cyc=$(for lib in core hsm ceremony_lib ceremony_paper factory_lib front; do
	case $lib in
	core) d=src/core;; hsm) d=src/hsm;; ceremony_lib) d=src/ceremony/lib;;
	ceremony_paper) d=src/ceremony/paper;; factory_lib) d=src/factory/lib;;
	front) d=src/front;;
	esac
	for o in "$B/$d"/*.o; do
		[ -f "$o" ] || continue
		name=$(basename "$o" .o | sed 's/^libkc[a-z_]*_la-//')
		nm "$o" | awk -v f="$name" '$1 ~ /^[0-9a-f]+$/ && $2 == "T" {print "D " f " " $3} $1 == "U" {print "U " f " " $2}'
	done | awk '
		$1 == "D" { def[$3] = $2 }
		$1 == "U" { use[$2, $3] = 1; users[$2] = 1 }
		END {
			for (k in use) { split(k, p, SUBSEP); if (p[2] in def && def[p[2]] != p[1]) calls[p[1] " " def[p[2]]] = 1 }
			for (c in calls) { split(c, q, " "); if ((q[2] " " q[1]) in calls && q[1] < q[2]) print q[1] " <-> " q[2] }
		}'
done)
nobj=$(find "$B/src" -name '*.o' | wc -l)
[ "$nobj" -gt 50 ] && ok "the objects are there to read ($nobj)" || not_ok "only $nobj objects under $B/src"
[ -z "$cyc" ] && ok "no two files of one library call each other" || { not_ok "call cycles"; echo "$cyc" | sed 's/^/#   /'; }

done_testing
