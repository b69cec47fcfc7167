/*
 * revactions.c: the text of revocation-actions.txt (kc/core/revactions.h):
 * the Azure CLI commands (and nRF Cloud steps) that make a revocation
 * real where CRLs are not read.
 *
 * Source of the Azure steps (disable the enrollment group of a revoked
 * CA; a disabled individual enrollment for one revoked device certificate
 * of a group; disable the device in IoT Hub, since a disabled enrollment
 * does not remove a registration):
 *   https://learn.microsoft.com/en-us/azure/iot-dps/how-to-revoke-device-access-portal
 * Command syntax: the azure-iot CLI extension's help (az iot dps
 * enrollment-group update --provisioning-status, az iot dps enrollment
 * create --attestation-type x509, az iot hub device-identity update
 * --status disabled, az iot dps enrollment-group registration list
 * --group-id).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/core/crl.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "kc/core/strbuf.h"
#include "kc/core/x509.h"

#define FIRST_LINE "# Revocation actions: what to run at the cloud " \
	"services after a revocation\n"
#define DOC_URL "https://learn.microsoft.com/en-us/azure/iot-dps/" \
	"how-to-revoke-device-access-portal"

/* A one-line escaped form of foreign text, for notes. */
static const char *
esc(const char *s, char *out, size_t outsz)
{
	return kc_display_buf(s != NULL ? s : "", out, outsz);
}

/* 1 when s may stand in a command as it is: plain text of letters,
 * digits and - . _ : (the DPS registration ID alphabet), at most max
 * bytes, and, with path, '/' and '+' too. Nothing a shell expands. */
static int
cmd_safe(const char *s, size_t max, int path)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == ':')
			continue;
		if (path && (c == '/' || c == '+'))
			continue;
		return 0;
	}
	return 1;
}

static void
hexup(const unsigned char *md, size_t n, char *out)
{
	static const char hx[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* What the notes and commands of one certificate need. */
struct facts {
	char	serial[64];
	char	subject[1024], issuer[1024];	/* escaped */
	char	cn[256];			/* raw; "" when none */
	char	sha256[65], sha1[41];		/* upper case; sha1 "" */
	time_t	not_after;
};

static int
facts_of(const struct kc_revact_cert *c, struct facts *f)
{
	memset(f, 0, sizeof(*f));
	if (c->cert != NULL) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char *s;
		int i;

		if (!X509_digest(c->cert, EVP_sha256(), md, &mdlen) ||
		    mdlen != 32)
			return kc_err_ssl(KC_ERR_CRYPTO, "revocation actions: "
			    "cannot digest a certificate");
		hexup(md, 32, f->sha256);
		if (!X509_digest(c->cert, EVP_sha1(), md, &mdlen) ||
		    mdlen != 20)
			return kc_err_ssl(KC_ERR_CRYPTO, "revocation actions: "
			    "cannot digest a certificate");
		hexup(md, 20, f->sha1);
		if ((s = kc_cert_serial_hex(c->cert)) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		esc(s, f->serial, sizeof(f->serial));
		free(s);
		s = kc_name_string(X509_get_subject_name(c->cert));
		esc(s != NULL ? s : "(unreadable)", f->subject,
		    sizeof(f->subject));
		free(s);
		s = kc_name_string(X509_get_issuer_name(c->cert));
		esc(s != NULL ? s : "(unreadable)", f->issuer,
		    sizeof(f->issuer));
		free(s);
		i = X509_NAME_get_index_by_NID(X509_get_subject_name(c->cert),
		    NID_commonName, -1);
		if (i >= 0) {
			unsigned char *u = NULL;
			int ulen = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
			    X509_NAME_get_entry(X509_get_subject_name(c->cert),
			    i)));
			if (ulen > 0 && (size_t)ulen < sizeof(f->cn) &&
			    memchr(u, '\0', (size_t)ulen) == NULL)
				memcpy(f->cn, u, (size_t)ulen);
			OPENSSL_free(u);
			ERR_clear_error();
		}
		{
			const ASN1_TIME *na = X509_get0_notAfter(c->cert);
			struct tm tm;
			if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
				f->not_after = timegm(&tm);
		}
		return KC_OK;
	}
	if (c->serial == NULL)
		return kc_err(KC_ERR_USAGE, "revocation actions: a certificate "
		    "without its serial");
	esc(c->serial, f->serial, sizeof(f->serial));
	esc(c->subject != NULL ? c->subject : "(unknown)", f->subject,
	    sizeof(f->subject));
	f->issuer[0] = '\0';
	if (c->sha256 != NULL) {
		size_t n = strlen(c->sha256), j = 0;
		for (size_t i = 0; i < n && j < 64; i++) {
			char ch = c->sha256[i];
			if (ch >= 'a' && ch <= 'f')
				ch = (char)(ch - 'a' + 'A');
			if ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'))
				f->sha256[j++] = ch;
		}
		f->sha256[j] = '\0';
	}
	if (c->subject != NULL) {
		const char *p = strstr(c->subject, "/CN=");
		if (p != NULL) {
			size_t k = 0;
			for (p += 4; *p && *p != '/' && k + 1 < sizeof(f->cn);
			    p++)
				f->cn[k++] = *p;
			f->cn[k] = '\0';
		}
	}
	f->not_after = c->not_after;
	return KC_OK;
}

static void
note_facts(struct kc_strbuf *b, const struct kc_revact_cert *c,
    const struct facts *f)
{
	char t[32];

	kc_strbuf_add(b, "#   subject:    %s\n", f->subject);
	if (f->issuer[0] != '\0')
		kc_strbuf_add(b, "#   issuer:     %s\n", f->issuer);
	kc_strbuf_add(b, "#   serial:     %s\n", f->serial);
	if (f->not_after != 0) {
		kc_time_utc(f->not_after, t);
		kc_strbuf_add(b, "#   not after:  %s\n", t);
	}
	if (c->revoked_at != 0) {
		kc_time_utc(c->revoked_at, t);
		kc_strbuf_add(b, "#   revoked:    %s, reason %s\n", t,
		    kc_reason_name(c->reason));
	} else {
		kc_strbuf_add(b, "#   reason:     %s\n", kc_reason_name(c->reason));
	}
	if (f->sha256[0] != '\0')
		kc_strbuf_add(b, "#   SHA-256 thumbprint: %s\n", f->sha256);
	else
		kc_strbuf_add(b, "#   SHA-256 thumbprint: not known here (neither the "
		    "certificate nor a record of it was at hand)\n");
	if (f->sha1[0] != '\0')
		kc_strbuf_add(b, "#   SHA-1 thumbprint:   %s (what az shows as "
		    "\"thumbprint\")\n", f->sha1);
	else
		kc_strbuf_add(b, "#   SHA-1 thumbprint:   not known here (the "
		    "certificate file was not at hand); compare the "
		    "SHA-256\n");
}

static void
ca_actions(struct kc_strbuf *b)
{
	kc_strbuf_add(b,
	    "# Azure DPS: disable every enrollment group whose certificate is "
	    "this CA\n"
	    "# (or a certificate under it; az iot dps enrollment-group list "
	    "shows them):\n"
	    "az iot dps enrollment-group update --dps-name <DPS-NAME> "
	    "--resource-group <RESOURCE-GROUP> --enrollment-id "
	    "<ENROLLMENT-GROUP-ID> --provisioning-status disabled\n"
	    "# Azure DPS: if this CA certificate was uploaded to DPS "
	    "(Certificates), remove it;\n"
	    "# find its name by the SHA-1 thumbprint above, the etag with az "
	    "iot dps certificate show:\n"
	    "az iot dps certificate list --dps-name <DPS-NAME> "
	    "--resource-group <RESOURCE-GROUP>\n"
	    "az iot dps certificate delete --dps-name <DPS-NAME> "
	    "--resource-group <RESOURCE-GROUP> --certificate-name "
	    "<CA-CERTIFICATE-NAME> --etag <ETAG>\n"
	    "# Azure IoT Hub: a disabled enrollment group does not remove the "
	    "devices it\n"
	    "# already provisioned: list them, and disable each in its IoT "
	    "hub:\n"
	    "az iot dps enrollment-group registration list --dps-name "
	    "<DPS-NAME> --resource-group <RESOURCE-GROUP> --group-id "
	    "<ENROLLMENT-GROUP-ID>\n"
	    "az iot hub device-identity update --hub-name <HUB-NAME> "
	    "--device-id <DEVICE-ID> --status disabled\n"
	    "# Azure IoT Hub without DPS: if this CA certificate was uploaded "
	    "to the hub, remove it there:\n"
	    "az iot hub certificate delete --hub-name <HUB-NAME> "
	    "--resource-group <RESOURCE-GROUP> --name <CA-CERTIFICATE-NAME> "
	    "--etag <ETAG>\n"
	    "# nRF Cloud: devices are onboarded with their own certificates, "
	    "not the CA:\n"
	    "# remove every device this CA signed (the factory's ledger lists "
	    "them;\n"
	    "# factorysign crl writes their IDs in the revocation actions of "
	    "its CRL\n# when it revokes them).\n");
}

static void
device_actions(struct kc_strbuf *b, const struct kc_revact_cert *c,
    const struct facts *f)
{
	const char *id = c->device_id != NULL ? c->device_id : f->cn;
	char file[300], e[600];
	int id_ok = cmd_safe(id, 128, 0), file_ok;

	if (!id_ok) {
		kc_strbuf_add(b, "# The device ID %s is not one DPS accepts (letters, "
		    "digits, - . _ :,\n# at most 128): put the device's ID in "
		    "place of <DEVICE-ID>.\n", kc_disp_quoted(id));
		id = "<DEVICE-ID>";
	}
	if (c->cert_file != NULL) {
		file_ok = cmd_safe(c->cert_file, 255, 1);
		snprintf(file, sizeof(file), "%s", file_ok ? c->cert_file :
		    "<CERTIFICATE-FILE>");
		if (!file_ok)
			kc_strbuf_add(b, "# The certificate file %s: name it in place "
			    "of <CERTIFICATE-FILE>.\n",
			    esc(c->cert_file, e, sizeof(e)));
	} else {
		snprintf(file, sizeof(file), "%s.cert.pem", id_ok ? id :
		    "<DEVICE-ID>");
	}
	kc_strbuf_add(b,
	    "# Azure DPS: a disabled individual enrollment with this device's "
	    "certificate\n"
	    "# keeps it out of its enrollment group (do not delete it later: "
	    "that lets the\n"
	    "# device in again through the group):\n"
	    "az iot dps enrollment create --dps-name <DPS-NAME> "
	    "--resource-group <RESOURCE-GROUP> --enrollment-id %s "
	    "--attestation-type x509 --certificate-path %s "
	    "--provisioning-status disabled\n"
	    "# Azure IoT Hub: disable the device in the hub it was "
	    "provisioned to:\n"
	    "az iot hub device-identity update --hub-name <HUB-NAME> "
	    "--device-id %s --status disabled\n"
	    "# nRF Cloud: remove the device %s (nRF Cloud portal, Devices; or "
	    "the REST API):\n"
	    "curl -X DELETE -H \"Authorization: Bearer $NRF_CLOUD_API_KEY\" "
	    "https://api.nrfcloud.com/v1/devices/%s\n",
	    id, file, id, id, id);
}

int
kc_revact_text(const struct kc_revact_req *req, char **text, size_t *len)
{
	struct kc_strbuf b = { NULL, 0, 0, 0 };
	char t[32], e[1024], *s;
	size_t nca = 0, ndev = 0;
	int rc = KC_OK;

	*text = NULL;
	*len = 0;
	if (req->writer == NULL || req->issuer == NULL ||
	    req->crl_file == NULL || req->crl_sha256 == NULL ||
	    (req->n > 0 && req->certs == NULL))
		return kc_err(KC_ERR_USAGE, "revocation actions: incomplete "
		    "request");
	for (size_t i = 0; i < req->n; i++) {
		nca += req->certs[i].kind == KC_REVACT_CA;
		ndev += req->certs[i].kind == KC_REVACT_DEVICE;
	}
	if ((b.p = malloc(b.cap = 8192)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	b.p[0] = '\0';
	kc_time_utc(req->written, t);
	kc_strbuf_add(&b, FIRST_LINE);
	kc_strbuf_add(&b,
	    "# Azure DPS, Azure IoT Hub and nRF Cloud do not read CRLs: a "
	    "certificate\n"
	    "# revoked in the CRL below is still accepted there until these "
	    "steps are done.\n"
	    "# Source: Microsoft, \"How to disenroll or revoke a device from "
	    "Azure IoT Hub\n"
	    "# Device Provisioning Service\": " DOC_URL "\n"
	    "# Lines starting with # are notes, the others commands (az: "
	    "Azure CLI with the\n"
	    "# azure-iot extension). Put your names in place of each "
	    "<PLACEHOLDER>.\n"
	    "# The list is cumulative: every certificate this CRL revokes. "
	    "Running a step\n"
	    "# again for one done before changes nothing.\n");
	kc_strbuf_add(&b, "# Written by: %s\n", esc(req->writer, e, sizeof(e)));
	kc_strbuf_add(&b, "# Written at: %s (the CRL's thisUpdate)\n", t);
	kc_strbuf_add(&b, "# CRL file: %s\n", esc(req->crl_file, e, sizeof(e)));
	kc_strbuf_add(&b, "# CRL number: %lld\n", req->crl_number);
	kc_strbuf_add(&b, "# CRL SHA-256: %s\n", esc(req->crl_sha256, e, sizeof(e)));
	s = kc_name_string(X509_get_subject_name(req->issuer));
	kc_strbuf_add(&b, "# CRL issuer: %s\n", esc(s != NULL ? s : "(unreadable)",
	    e, sizeof(e)));
	free(s);
	kc_strbuf_add(&b, "# Revoked certificates: %zu (%zu CA, %zu device, %zu "
	    "other)\n", req->n, nca, ndev, req->n - nca - ndev);
	if (req->n == 0)
		kc_strbuf_add(&b, "\n# Nothing is revoked: no cloud action.\n");
	for (size_t i = 0; i < req->n && rc == KC_OK; i++) {
		const struct kc_revact_cert *c = &req->certs[i];
		struct facts f;

		if ((rc = facts_of(c, &f)) != KC_OK)
			break;
		kc_strbuf_add(&b, "\n## %zu of %zu: %s certificate %s\n", i + 1,
		    req->n, c->kind == KC_REVACT_CA ? "CA (intermediate)" :
		    c->kind == KC_REVACT_DEVICE ? "device" : "other",
		    f.serial);
		note_facts(&b, c, &f);
		if (c->kind == KC_REVACT_CA)
			ca_actions(&b);
		else if (c->kind == KC_REVACT_DEVICE)
			device_actions(&b, c, &f);
		else
			kc_strbuf_add(&b, "# Not a CA or device certificate (e.g. a "
			    "DPS proof-of-possession\n# certificate): no "
			    "cloud action.\n");
	}
	kc_strbuf_add(&b, "\n# end of the revocation actions of %s\n",
	    esc(req->crl_file, e, sizeof(e)));
	if (rc == KC_OK && b.failed)
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
	if (rc == KC_OK) {
		char why[160];
		/* what we built is what a reader will accept */
		if (!kc_revact_plain(b.p, b.len, why, sizeof(why)))
			rc = kc_err(KC_ERR_INTERNAL, "revocation actions: the "
			    "text built is not plain (%s)", why);
	}
	if (rc != KC_OK) {
		free(b.p);
		return rc;
	}
	*text = b.p;
	*len = b.len;
	return KC_OK;
}

int
kc_revact_path(const char *crl_path, char *out, size_t outsz)
{
	const char *slash = strrchr(crl_path, '/');
	const char *base = slash != NULL ? slash + 1 : crl_path;
	size_t n = strlen(crl_path);
	int w;

	if (*base == '\0')
		return kc_err(KC_ERR_USAGE, "%s: not a file name", crl_path);
	if (n - (size_t)(base - crl_path) > 4 &&
	    (strcasecmp(crl_path + n - 4, ".crl") == 0 ||
	    strcasecmp(crl_path + n - 4, ".pem") == 0))
		n -= 4;
	w = snprintf(out, outsz, "%.*s%s", (int)n, crl_path,
	    KC_REVACT_SUFFIX);
	if (w < 0 || (size_t)w >= outsz)
		return kc_err(KC_ERR_USAGE, "%s: path too long", crl_path);
	return KC_OK;
}

int
kc_revact_write(const char *path, const char *text, size_t len)
{
	return kc_file_write(path, text, len, 0644, 0);
}

int
kc_revact_plain(const char *text, size_t len, char *why, size_t whysz)
{
	size_t start = 0, line = 1;
	char w[160];

	if (len > KC_REVACT_MAX) {
		snprintf(why, whysz, "larger than %d bytes", KC_REVACT_MAX);
		return 0;
	}
	if (len < sizeof(FIRST_LINE) - 1 ||
	    memcmp(text, FIRST_LINE, sizeof(FIRST_LINE) - 1) != 0) {
		snprintf(why, whysz, "does not start with the first line of a "
		    "revocation-actions.txt");
		return 0;
	}
	if (text[len - 1] != '\n') {
		snprintf(why, whysz, "does not end with a line end");
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		if (!kc_text_plain(text + start, i - start, w, sizeof(w))) {
			snprintf(why, whysz, "line %zu: %s", line, w);
			return 0;
		}
		start = i + 1;
		line++;
	}
	return 1;
}

/* The value of "# NAME: value\n" in the header (before the first blank
 * line), NUL-terminated into out. */
static int
header_field(const char *text, size_t len, const char *name, char *out,
    size_t outsz)
{
	size_t nl = strlen(name), i = 0;

	while (i < len && text[i] != '\n') {
		const char *eol = memchr(text + i, '\n', len - i);
		size_t ll = eol != NULL ? (size_t)(eol - (text + i)) : len - i;

		if (ll > nl + 4 && memcmp(text + i, "# ", 2) == 0 &&
		    memcmp(text + i + 2, name, nl) == 0 &&
		    memcmp(text + i + 2 + nl, ": ", 2) == 0) {
			size_t vl = ll - nl - 4;
			if (vl >= outsz)
				return 0;
			memcpy(out, text + i + nl + 4, vl);
			out[vl] = '\0';
			return 1;
		}
		i += ll + 1;
	}
	return 0;
}

int
kc_revact_header(const char *text, size_t len, const char *disp,
    char crl_file[256], long long *number, char sha256[65])
{
	char num[32], why[160], *end;

	if (!kc_revact_plain(text, len, why, sizeof(why)))
		return kc_err(KC_ERR_INPUT, "%s: not a revocation-actions.txt "
		    "(%s)", disp, why);
	if (!header_field(text, len, "CRL file", crl_file, 256) ||
	    !header_field(text, len, "CRL number", num, sizeof(num)) ||
	    !header_field(text, len, "CRL SHA-256", sha256, 65))
		return kc_err(KC_ERR_INPUT, "%s: its header does not name the "
		    "CRL (file, number, SHA-256)", disp);
	*number = strtoll(num, &end, 10);
	if (*end != '\0' || *number < 1 || strlen(sha256) != 64 ||
	    strspn(sha256, "0123456789abcdef") != 64 ||
	    strchr(crl_file, '/') != NULL)
		return kc_err(KC_ERR_INPUT, "%s: its header names the CRL "
		    "malformed", disp);
	return KC_OK;
}
