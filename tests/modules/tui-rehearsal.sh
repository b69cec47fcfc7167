#!/bin/sh
# tests/modules/tui-rehearsal.sh (issue 13): the TUI's preflight on
# tpm2-pkcs11 on swtpm (a software TPM) marks the ceremony REHEARSAL (the
# header, the token check, its detail naming the kind of software token);
# a site profile saying production: true refuses it on the screen, before
# the PIN screen; the TUI's login path checks the PIN length against the
# token's limits (0..128 here) before C_Login; and a token reporting a
# hardware HSM (the shim) is refused on the screen when the site says
# production: false.
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
# The modules' own leaks (tests/lsan.supp) are only seen through their
# frames with the slow unwinder; LD_PRELOAD tests need the link-order check off.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:verify_asan_link_order=0"
trap '_mods_cleanup; _tui_cleanup' EXIT
export TPM2_PKCS11_LOG_LEVEL=0
KCRAW=$KC_TOP_BUILDDIR/keyceremony
mkdir -p "$T/state" "$T/media"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
to_preflight() {
	expect "$1: home" "Root CA key generation (TUI test)" || return 1
	keys Enter
	tui_roles "Alice Admin" "Oscar Officer" "Wendy Witness"
	keys Enter
}
# wait_fail: the preflight fails on the screen.
wait_fail() {
	wait_for "Preflight checks" || return 1
	keys Enter
	_i=0
	while [ "$_i" -lt 150 ]; do
		_s=$(screen)
		case $_s in
		*Working*) ;;
		*"failed: fix it"*|*"[FAILED]"*) sleep 0.3; return 0 ;;
		esac
		case $_s in
		*"Type YES"*) type_text YES; keys Enter; sleep 0.3 ;;
		*"press Enter to log in"*) return 1 ;;
		esac
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

tpm2_setup root
site_file "$T/site.yaml" root
tui_start "$KCRAW tui root.yaml --site site.yaml > stdout.txt"
to_preflight "tpm2"
tui_preflight && ok "tpm2: preflight passes" || not_ok "tpm2: preflight passes"
capture pf1
check "  ... the header says REHEARSAL" sh -c "head -1 '$T/pf1.txt' | grep -q REHEARSAL"
check "  ... the token check's detail names the software TPM" sh -c \
	"tr -d '\n' < '$T/pf1.txt' | tr -s ' ' | grep -q 'REHEARSAL: this is tpm2-pkcs11 on a software TPM (swtpm), a software token'"
keys Enter
wait_for "types the user PIN" 20 || wait_for "PIN" 5
# 129 characters: longer than the 128 tpm2-pkcs11 takes
long=$(python3 -c "print('7' * 129)")
type_text "$long"; keys Enter
expect "tpm2: a 129-byte PIN refused before login, on the screen" "accepts 0 to 128; nothing was sent" 20
capture pin
keys C-c; sleep 0.2; keys y 2>/dev/null
wait_exit 10 >/dev/null
check "  ... the transcript records the refusal, no step" sh -c \
	"tr=\$(ls -t '$T'/state/transcripts/*.log | head -1); grep -q 'login result=failed' \"\$tr\" && grep -q 'accepts 0 to 128' \"\$tr\" && ! grep -q ' step ' \"\$tr\""

printf 'production: true\n' >> "$T/site.yaml"
tui_start "$KCRAW tui root.yaml --site site.yaml > stdout.txt"
to_preflight "tpm2 production: true"
wait_fail && ok "tpm2 with production: true: the preflight fails" || not_ok "tpm2 with production: true: the preflight fails"
capture pf2
check "  ... saying why" sh -c "tr -d '\n' < '$T/pf2.txt' | tr -s ' ' | grep -q 'production: true, but token .root. is tpm2-pkcs11 on a software TPM'"
keys C-c
wait_exit 10 >/dev/null
_mods_cleanup

softhsm_setup root
shim_setup
site_file "$T/site2.yaml" root
sed -i "s|^module: .*|module: $SHIM|" "$T/site2.yaml"
printf 'production: false\n' >> "$T/site2.yaml"
tui_start "env KC_SHIM_MANUFACTURER='Acme HSM Ltd' KC_SHIM_MODEL=HSM-9000 $KCRAW tui root.yaml --site site2.yaml > stdout.txt"
to_preflight "shim production: false"
wait_fail && ok "a hardware HSM with production: false: the preflight fails" || not_ok "a hardware HSM with production: false: the preflight fails"
capture pf3
check "  ... saying why" sh -c "tr -d '\n' < '$T/pf3.txt' | tr -s ' ' | grep -q 'production: false (a rehearsal), but token .root. (Acme HSM Ltd HSM-9000) is not a known software token'"
check "  ... no REHEARSAL in the header" sh -c "! head -1 '$T/pf3.txt' | grep -q REHEARSAL"
keys C-c
wait_exit 10 >/dev/null
done_testing
