#!/bin/sh
# factorysign install refuses an intermediate with a critical extension
# device TLS stacks do not all process (found by tests/hostile/vectors.sh:
# PKITS's policy-mapping CA and the Department of State root, re-signed,
# were installed; certtool refuses their chains, mbedTLS too). Each
# refusal: exit 1, one line naming the file and the extension, D as it
# was. The critical extensions they all know (basicConstraints, keyUsage,
# extendedKeyUsage, subjectAltName) are still accepted.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
snap() { ( cd "$T/D" && find . -type f ! -name '*-shm' | LC_ALL=C sort | xargs -r sha256sum ); }
snap > "$T/before"
# inter EXT...: $T/x.pem, D's CSR signed by the root with [inter] plus EXT
inter() {
	cp "$T/ca.cnf" "$T/x.cnf"
	for _x in "$@"; do printf "%s\n" "$_x" >> "$T/x.cnf"; done
	openssl x509 -req -in "$T/D/intermediate.csr" -CA "$T/root.pem" \
		-CAkey "$T/root.key" -CAcreateserial -days 100 \
		-extfile "$T/x.cnf" -extensions inter -out "$T/x.pem" \
		>/dev/null 2>&1 || bail "openssl x509 -req $*"
}
for e in "policyConstraints=critical,requireExplicitPolicy:0~X509v3 Policy Constraints" \
	 "nameConstraints=critical,permitted;DNS:example.com~X509v3 Name Constraints" \
	 "certificatePolicies=critical,1.2.3.4~X509v3 Certificate Policies" \
	 "inhibitAnyPolicy=critical,0~X509v3 Inhibit Any Policy"; do
	inter "${e%~*}"
	"$FS" install --dir "$T/D" --cert "$T/x.pem" --root "$T/root.pem" \
		>"$T/o" 2>"$T/e"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l < "$T/e")" -eq 1 ] &&
	   grep -qF "$T/x.pem carries the critical extension ${e#*~}," "$T/e" &&
	   snap | cmp -s - "$T/before"; then
		ok "install refuses ${e%%=*} critical: $(cat "$T/e")"
	else
		not_ok "install with ${e%%=*} critical: exit $rc"; sed 's/^/#   /' "$T/o" "$T/e"
	fi
done
inter "extendedKeyUsage=critical,clientAuth" "subjectAltName=critical,DNS:factory.example"
check "install accepts critical extendedKeyUsage and subjectAltName" \
	"$FS" install --dir "$T/D" --cert "$T/x.pem" --root "$T/root.pem"
check "  ... and it is the installed intermediate" cmp "$T/D/intermediate.pem" "$T/x.pem"
done_testing
