# tests/factory/setup.sh: a factory for the factorysign tests, sourced after
# tests/lib.sh. fs_setup makes, in $T: a test root CA (openssl, P-384), the
# factory D (factorysign init, ec-p256), its intermediate signed by the root
# and installed, and pass (0600). mkcsr ID [curve] writes csr/ID.csr and
# keys/ID.key (openssl, P-256 by default). fs_fast_key DIR makes a
# factory's key cheap to unlock.

PASS="$T/pass"

fs_setup() {
	cd "$T" || bail "cd $T"
	( umask 077; printf 'correct horse battery\n' > "$PASS" )
	cat > "$T/ca.cnf" <<'CNF'
[inter]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
		-keyout "$T/root.key" -out "$T/root.pem" -days 3650 \
		-subj "/CN=Test Root/O=Example" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		>/dev/null 2>&1 || bail "openssl root"
	"$FS" init --dir "$T/D" --subject "/CN=Factory Test/O=Example" \
		--algorithm ec-p256 --pass-file "$PASS" >/dev/null ||
		bail "factorysign init"
	openssl x509 -req -in "$T/D/intermediate.csr" -CA "$T/root.pem" \
		-CAkey "$T/root.key" -CAcreateserial -days 1000 \
		-extfile "$T/ca.cnf" -extensions inter -out "$T/inter.pem" \
		>/dev/null 2>&1 || bail "openssl sign intermediate"
	"$FS" install --dir "$T/D" --cert "$T/inter.pem" --root "$T/root.pem" \
		>/dev/null || bail "factorysign install"
	fs_fast_key "$T/D"
	mkdir -p "$T/csr" "$T/keys" "$T/out"
}

# fs_fast_key DIR: re-encrypts DIR/intermediate.key (passphrase $PASS)
# under scrypt N=2^14, r=8, p=1, the parameters of keys made before issue
# 12, so that tests that open the factory hundreds of times unlock it in
# 0.05 s instead of 0.45 s. factorysign takes the parameters from the key
# file; tests/hostile/passphrase.sh checks the new ones and the old ones.
fs_fast_key() {
	# (the same file for -passin and -passout would be read as two lines)
	( umask 077; cp "$PASS" "$T/.pass-out"
	  openssl pkcs8 -topk8 -in "$1/intermediate.key" -passin "file:$PASS" \
		-scrypt -scrypt_N 16384 -scrypt_r 8 -scrypt_p 1 \
		-v2 aes-256-cbc -passout "file:$T/.pass-out" \
		-out "$1/intermediate.key.p1" 2>/dev/null ) &&
		mv "$1/intermediate.key.p1" "$1/intermediate.key" ||
		bail "fs_fast_key $1"
}

mkcsr() {
	_id=$1; _curve=${2:-P-256}
	openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:$_curve" \
		-nodes -keyout "$T/keys/$_id.key" -subj "/CN=$_id" \
		-out "$T/csr/$_id.csr" >/dev/null 2>&1 || bail "openssl req $_id"
}

# nothing_in DIR: DIR is empty (no output was written)
nothing_in() { [ -z "$(ls -A "$1")" ]; }

# backdated CSR CACERT CAKEY OUT SECTION [openssl-ca args...]: signs CSR
# with validity 2020-01-01..2021-01-01 (an expired certificate), extensions
# from SECTION of $T/ca.cnf ("inter" or "dev").
backdated() {
	_csr=$1; _cacert=$2; _cakey=$3; _out=$4; _sect=$5; shift 5
	mkdir -p "$T/ca/db"; : > "$T/ca/db/index"; echo 1000 > "$T/ca/db/serial"
	cat > "$T/ca/ca.conf" <<CNF
[ca]
default_ca = c
[c]
database = $T/ca/db/index
serial = $T/ca/db/serial
new_certs_dir = $T/ca
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
organizationName = optional
[inter]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[dev]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CNF
	openssl ca -batch -notext -config "$T/ca/ca.conf" -cert "$_cacert" -keyfile "$_cakey" -in "$_csr" \
		-startdate 20200101000000Z -enddate 20210101000000Z -extensions "$_sect" -out "$_out" "$@" >/dev/null 2>&1 ||
		bail "openssl ca (backdated)"
}
