/* cmd_provision.c: factorysign provision: the line station. One nRF91
 * device on a serial port: its key made in the modem (AT%KEYGEN), the
 * certificate signed and recorded, written back with AT%CMNG and checked
 * by the SHA-256 the modem lists (kc/factory/provision.h). One result
 * line per device; exit 0 provisioned, 1 refused, 2 device or port
 * problem. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/nrf.h"
#include "kc/factory/provision.h"
#include "commands.h"
#include "front.h"
#include "opt.h"
#include "opts.h"

#define EXIT_DEVICE	2	/* the device or the port, not a refusal */

struct args {
	const char *dir, *port, *ca_file, *id_from, *pass_file, *out_dir;
	long baud, sec_tag;
	int days, reissue, timeout, watch;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory's state directory (default ./factory)"),
	KC_O_STR_REQ(A, port, "port", "DEV", "the device's serial port (e.g. /dev/ttyACM0)"),
	KC_O_LONG(A, baud, "baud", "RATE", 9600, 1000000, "line speed (default 115200)"),
	{ "sec-tag", KC_OPT_LONG, offsetof(A, sec_tag), KC_OPT_REQUIRED, "T",
	  "the modem's security tag for the key and certificate", 0,
	  KC_NRF_SEC_TAG_MAX, NULL },
	KC_O_STR(A, ca_file, "ca-file", "CA.pem", "CA certificates the device is to trust (type 0)"),
	KC_O_STR(A, id_from, "id-from", "uuid|imei", "the device ID: the modem's UUID (default) or IMEI"),
	KC_O_DAYS(A, days, "days", "validity of the device certificate (default 365)"),
	KC_O_FLAG(A, reissue, "reissue", "re-key a device already issued (the old certificate\nsuperseded)"),
	KC_O_STR(A, pass_file, "pass-file", "F", "passphrase of the intermediate key from F (mode 0600)"),
	KC_O_STR_REQ(A, out_dir, "out-dir", "OUT", "where ID.cert.pem, the chains and ID.at go"),
	KC_O_INT(A, timeout, "timeout", "S", 1, 600, "seconds for one AT exchange (default 10;\n%KEYGEN gets three times it)"),
	KC_O_FLAG(A, watch, "watch", "wait for the next device on the port, provision it,\n"
	    "wait until it is unplugged, and so on until interrupted"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_provision_opts = {
	"provision",
	"provision --dir D --port DEV --sec-tag T --out-dir OUT\n"
	"           [--baud 115200] [--ca-file CA.pem] [--id-from uuid|imei]\n"
	"           [--days N] [--reissue] [--pass-file F] [--timeout S] [--watch]",
	"Exit status: 0 provisioned, 1 refused, 2 a device or port problem\n"
	"(or a bad command line). The modem's COSE signature is not verified\n"
	"(only Nordic's identity service holds its key); the CSR digest is.\n",
	opts, 0, 0, NULL, 0
};

static void
print_ok(const struct kc_prov_opts *o, const struct kc_prov_result *r)
{
	printf("provisioned %s serial %s port %s in %.2f s (", kc_disp(r->id),
	    r->serial, kc_disp(o->port), r->t_total);
	for (int i = 0; i < KC_PROV_NSTEPS; i++)
		printf("%s%s %.3f", i ? ", " : "", kc_prov_step_name(i),
		    r->t_step[i]);
	printf(")%s\n", r->resumed ? "; an interrupted run completed" :
	    r->reissued ? "; the earlier certificate superseded" : "");
	printf("  uuid %s imei %s firmware %s; sec_tag %ld type 1 SHA-256 %s\n",
	    r->uuid, r->imei, kc_disp(r->fw), o->sec_tag, r->cred_sha256);
	if (r->warn[0] != '\0')
		fprintf(stderr, "%s: warning: %s\n", kc_progname, r->warn);
}

/* One device; its result line; 0, 1 or 2 as the exit status. */
static int
one(struct kc_factory *f, struct kc_prov_opts *o)
{
	struct kc_prov_result res;
	int named;

	if (kc_provision(f, o, &res) == KC_OK) {
		print_ok(o, &res);
		fflush(stdout);
		return KC_EXIT_OK;
	}
	/* the device's ID once, where the message does not name it */
	named = res.id[0] == '\0' || strstr(kc_errmsg(), res.id) != NULL;
	fprintf(stderr, "%s: provision: %s%s%sstep %s: %s\n",
	    kc_progname, named ? "" : "device ", named ? "" : kc_disp(res.id),
	    named ? "" : ": ", kc_prov_step_name(res.step), kc_errmsg());
	printf("failed %s port %s step %s after %.2f s\n",
	    res.id[0] ? kc_disp(res.id) : "-", kc_disp(o->port),
	    kc_prov_step_name(res.step), res.t_total);
	fflush(stdout);
	return res.device ? EXIT_DEVICE : KC_EXIT_FAIL;
}

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* --watch: each device that appears on the port, until SIGINT/SIGTERM.
 * A device is done when its port hangs up or goes (unplugged). */
static int
watch(struct kc_factory *f, struct kc_prov_opts *o)
{
	struct sigaction sa;
	struct stat st;
	long n = 0, good = 0;
	int rc, worst = KC_EXIT_OK;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "%s: provision: watching %s (interrupt to stop)\n",
	    kc_progname, kc_disp(o->port));
	while (!stop_flag) {
		if (stat(o->port, &st) != 0) {
			(void)poll(NULL, 0, 200);
			continue;
		}
		if ((rc = kc_serial_open(o->port, o->baud, &o->serial)) !=
		    KC_OK) {
			if (rc == KC_ERR_EXISTS || rc == KC_ERR_USAGE) {
				fprintf(stderr, "%s: %s\n", kc_progname,
				    kc_errmsg());
				return EXIT_DEVICE;
			}
			/* the node is there but not ready yet */
			kc_err_clear();
			(void)poll(NULL, 0, 200);
			continue;
		}
		rc = one(f, o);
		n++;
		if (rc == KC_EXIT_OK)
			good++;
		else if (worst == KC_EXIT_OK || rc == EXIT_DEVICE)
			worst = rc;
		rc = kc_serial_wait_gone(o->serial, -1, &stop_flag);
		kc_serial_close(o->serial);
		o->serial = NULL;
		if (rc != KC_OK)
			break;
	}
	fprintf(stderr, "%s: provision: %ld devices, %ld provisioned, %ld "
	    "failed\n", kc_progname, n, good, n - good);
	return worst;
}

int
cmd_provision(int argc, char **argv)
{
	struct args a;
	struct kc_prov_opts o;
	struct kc_factory *f = NULL;
	char *ca = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	a.dir = KC_FACTORY_DIR;
	a.baud = 115200;
	a.sec_tag = -1;
	if ((rc = kc_opt_parse(&cmd_provision_opts, argc, argv, &a, NULL)) >=
	    0)
		return rc;
	if (a.id_from != NULL && strcmp(a.id_from, "uuid") != 0 &&
	    strcmp(a.id_from, "imei") != 0)
		return kc_front_usage("provision: --id-from takes uuid or "
		    "imei");
	o.port = a.port;
	o.baud = a.baud;
	o.sec_tag = a.sec_tag;
	o.id_from = a.id_from != NULL && strcmp(a.id_from, "imei") == 0 ?
	    KC_PROV_ID_IMEI : KC_PROV_ID_UUID;
	o.timeout_ms = a.timeout * 1000;
	o.fo.days = a.days;
	o.fo.out_dir = a.out_dir;
	o.fo.reissue = a.reissue;
	o.fo.sec_tag = (int)a.sec_tag;
	o.fo.formats = KC_FMT_PEM | KC_FMT_AT;
	/* bad options and inputs before the passphrase and the device */
	if ((rc = kc_factory_check_opts(NULL, &o.fo, 0)) != KC_OK ||
	    (a.ca_file != NULL && (rc = fs_ca_pem_load(a.ca_file, &ca)) != KC_OK))
		return kc_front_fail(rc);
	o.ca_pem = ca;
	if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
		goto out;
	if ((rc = kc_factory_check_opts(f, &o.fo, 0)) != KC_OK) {
		rc = kc_front_fail(rc);
		goto out;
	}
	rc = a.watch ? watch(f, &o) : one(f, &o);
out:
	kc_factory_close(f);
	free(ca);
	return rc;
}
