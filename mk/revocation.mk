# Revocation relying parties enforce (issue 15 items 1 and 2, the factory
# side): factorysign crl, crls.pem, revocation-actions.txt, checked with
# openssl verify -crl_check_all, GnuTLS certtool and a mosquitto broker on
# 127.0.0.1 (tests/revocation/setup.sh starts and stops it); two stations on
# one PostgreSQL ledger racing for a CRL number (pg.sh, tests/ledger/pg.sh);
# the CRL of an intermediate a rekey retired (retired.sh: --intermediate).
TESTS += tests/revocation/crl.sh tests/revocation/broker.sh \
	tests/revocation/pg.sh tests/revocation/retired.sh
EXTRA_DIST += tests/revocation/crl.sh tests/revocation/broker.sh \
	tests/revocation/pg.sh tests/revocation/retired.sh \
	tests/revocation/setup.sh
dist_doc_DATA += docs/revocation.md
