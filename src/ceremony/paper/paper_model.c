/*
 * paper_model.c: the document model of the paper trail (kc/paper.h) and
 * the ceremony script built from a ceremony file and a site. The blocks
 * hold escaped text only (kc_display_text when added); the renderers
 * (paper_pdf.c, paper_text.c) draw them and nothing else.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/ceremony/paper.h"
#include "kc/ceremony/review.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "ceremony_int.h"

int
kc_paper_size_parse(const char *s, enum kc_paper_size *out)
{
	if (strcmp(s, "a4") == 0 || strcmp(s, "A4") == 0)
		*out = KC_PAPER_A4;
	else if (strcmp(s, "letter") == 0)
		*out = KC_PAPER_LETTER;
	else
		return kc_err(KC_ERR_USAGE, "--paper %s: a4 or letter", s);
	return KC_OK;
}

int
kc_paper_new(const char *header, const char *footer, struct kc_paper **out)
{
	struct kc_paper *d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->header = kc_display_text(header)) == NULL ||
	    (d->footer = kc_display_text(footer)) == NULL) {
		kc_paper_free(d);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*out = d;
	return KC_OK;
}

int
kc_paper_add(struct kc_paper *d, enum kc_paper_kind kind, const char *label,
    const char *text)
{
	struct kc_paper_block *b;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 64;
		struct kc_paper_block *nb = realloc(d->b, ncap * sizeof(*nb));

		if (nb == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		d->b = nb;
		d->cap = ncap;
	}
	b = &d->b[d->n];
	b->kind = kind;
	b->label = kc_display_text(label);
	b->text = kc_display_text(text);
	if (b->label == NULL || b->text == NULL) {
		free(b->label);
		free(b->text);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	d->n++;
	return KC_OK;
}

int
kc_paper_addf(struct kc_paper *d, enum kc_paper_kind kind, const char *label,
    const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	rc = kc_paper_add(d, kind, label, s);
	free(s);
	return rc;
}

void
kc_paper_free(struct kc_paper *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->b[i].label);
		free(d->b[i].text);
	}
	free(d->b);
	free(d->header);
	free(d->footer);
	free(d);
}

/* ---- the script ---------------------------------------------------------- */

/* A SHA-256 as a person compares it: grouped hex, PGP words, QR code. */
static int
add_hash(struct kc_paper *d, const char *what, const char *hex)
{
	char shown[KC_HASH_SHOW_MAX], words[KC_PGPWORDS_MAX];
	int rc;

	if ((rc = kc_hash_words(hex, words, sizeof(words))) != KC_OK)
		return rc;
	kc_hash_show(hex, KC_HASH_TWO_LINES, shown, sizeof(shown));
	if ((rc = kc_paper_add(d, KC_PAPER_MONO, what, shown)) != KC_OK ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "PGP words", words)) !=
	    KC_OK)
		return rc;
	return kc_paper_addf(d, KC_PAPER_QR, "", "%s", hex);
}

static const char *
role_title(const struct kc_ceremony *c, const char *id)
{
	const struct kc_role_info *r = id ? kc_ceremony_find_role(c, id) : NULL;

	return r != NULL ? r->title : id ? id : "";
}

/* 1 when the site is a rehearsal site: production: false, or its name
 * says rehearsal (the token decides on the day, see kc_engine_rehearsal). */
static int
site_rehearsal(const struct kc_site *s)
{
	return s != NULL && (s->production == 0 ||
	    (s->name != NULL && strstr(s->name, "rehearsal") != NULL));
}

static int
script_title(struct kc_paper *d, const struct kc_ceremony *c,
    const struct kc_site *s)
{
	int rc = KC_OK;

	if ((rc = kc_paper_add(d, KC_PAPER_TITLE, "", "Ceremony script")) ||
	    (rc = kc_paper_addf(d, KC_PAPER_HEADING, "", "%s: %s", c->name,
	    c->title)) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Ceremony", c->name)) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Title", c->title)) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Ceremony file", c->path)))
		return rc;
	if (c->description[0] != '\0' &&
	    (rc = kc_paper_add(d, KC_PAPER_TEXT, "", c->description)))
		return rc;
	if ((rc = add_hash(d, "Ceremony file SHA-256", c->sha256)) ||
	    (rc = kc_paper_add(d, KC_PAPER_TEXT, "", "The transcript records "
	    "the SHA-256 of the file that runs; compare it with the one "
	    "above before the first step.")) ||
	    (rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Site")))
		return rc;
	if (s == NULL)
		rc = kc_paper_add(d, KC_PAPER_BOX, "Token label", "no site "
		    "profile given: write the token label in");
	else if ((rc = kc_paper_add(d, KC_PAPER_FIELD, "Site profile",
	    s->path ? s->path : "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Site name",
	    s->name ? s->name : "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Token label",
	    s->token_label ? s->token_label : "")))
		return rc;
	if (rc != KC_OK ||
	    (rc = s != NULL && s->token_serial ? kc_paper_add(d,
	    KC_PAPER_FIELD, "Token serial", s->token_serial) : kc_paper_add(d,
	    KC_PAPER_BOX, "Token serial", "from the preflight's token check"))
	    ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Manufacturer / model",
	    "from the preflight's token check")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Date and place", "")))
		return rc;
	if (site_rehearsal(s))
		rc = kc_paper_add(d, KC_PAPER_TEXT, "", "REHEARSAL: this site "
		    "is a rehearsal site; nothing made with it is for "
		    "production.");
	return rc;
}

static int
script_roles(struct kc_paper *d, const struct kc_ceremony *c)
{
	int rc;

	if ((rc = kc_paper_addf(d, KC_PAPER_HEADING, "", "Roles (%zu)",
	    c->nroles)) != KC_OK)
		return rc;
	for (size_t i = 0; i < c->nroles; i++) {
		const struct kc_role_info *r = &c->roles[i];

		if ((rc = kc_paper_addf(d, KC_PAPER_SIGN, r->title, "%s%s%s",
		    r->id, r->duty[0] ? ": " : "", r->duty)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

static int
script_preflight(struct kc_paper *d)
{
	static const char *const checks[][2] = {
		{ "network", "no network interface up but lo (the preflight "
		    "names any that is)" },
		{ "clock", "the system clock agrees with a watch: date and "
		    "time UTC written here" },
		{ "token", "the token's label, serial, manufacturer and model "
		    "match the site above; the module's SHA-256 as reviewed" },
		{ "media", "the medium is mounted, writable, and the one "
		    "brought in" },
		{ "outputs", "no output exists yet; every input is in the "
		    "state directory (the files check)" },
	};
	int rc;

	if ((rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Preflight checklist"))
	    != KC_OK)
		return rc;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if ((rc = kc_paper_add(d, KC_PAPER_TICK, checks[i][0],
		    checks[i][1])) != KC_OK)
			return rc;
	return kc_paper_add(d, KC_PAPER_BOX, "Clock (UTC) at preflight", "");
}

/* An input of the step in the site's state directory: its SHA-256 when it
 * is there already (imported), else a box to write it in. */
static int
script_input(struct kc_paper *d, const struct kc_site *s, const char *what,
    const char *name)
{
	char path[4096], hex[65];
	struct stat st;
	int fd, rc;

	if (name == NULL)
		return KC_OK;
	if (s != NULL && s->state_dir != NULL &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", s->state_dir, name) <
	    sizeof(path) && access(path, F_OK) == 0) {
		if ((rc = kc_file_open(path, what, KC_FILE_MAX, &fd, &st)) !=
		    KC_OK)
			return rc;
		rc = kc_sha256_fd(fd, path, st.st_size, hex);
		close(fd);
		if (rc != KC_OK)
			return rc;
		kc_hash_show(hex, KC_HASH_TWO_LINES, path, sizeof(path));
		return kc_paper_addf(d, KC_PAPER_MONO, "", "%s %s (in the state "
		    "directory now):\n%s", what, name, path);
	}
	return kc_paper_addf(d, KC_PAPER_BOX, "", "%s %s: SHA-256 (when "
	    "imported)", what, name);
}

static const char *
confirm_word(enum kc_action a)
{
	switch (a) {
	case KC_ACTION_ROOT_CREATE: return "GENERATE";
	case KC_ACTION_ROOT_RESTORE: return "RESTORE";
	case KC_ACTION_EXPORT: return "EXPORT";
	default: return "SIGN";
	}
}

static int
script_step(struct kc_paper *d, const struct kc_ceremony *c,
    const struct kc_site *site, size_t i)
{
	const struct kc_step *s = &c->steps[i];
	char *lines = NULL;
	int rc;

	if ((rc = kc_ceremony_review_step(c, i, &lines)) != KC_OK)
		return rc;
	/* the review's lines, as run --check prints them, without their
	 * common indent of six spaces (deeper lines keep the rest) */
	{
		char *src = lines, *dst = lines;

		while (*src != '\0') {
			if (strncmp(src, "      ", 6) == 0)
				src += 6;
			while (*src != '\0' && *src != '\n')
				*dst++ = *src++;
			if (*src == '\n')
				*dst++ = *src++;
		}
		*dst = '\0';
	}
	if ((rc = kc_paper_addf(d, KC_PAPER_HEADING, "", "Step %zu/%zu %s: %s",
	    i + 1, c->nsteps, s->id, s->title)) ||
	    (rc = kc_paper_addf(d, KC_PAPER_FIELD, "Who", "%s (%s)%s%s%s",
	    role_title(c, s->role), s->role, s->witness ? "; witness: " : "",
	    s->witness ? role_title(c, s->witness) : "",
	    s->witness ? "" : "; no witness named")) ||
	    (rc = kc_paper_add(d, KC_PAPER_TEXT, "", lines)))
		goto out;
	if ((rc = script_input(d, site, "CSR", s->csr)) ||
	    (rc = script_input(d, site, "new root certificate", s->new_root)) ||
	    (rc = script_input(d, site, "issuer certificate", s->issuer_cert)) ||
	    (rc = script_input(d, site, "code file", s->code_file)))
		goto out;
	for (size_t k = 0; k < s->nrevoke; k++)
		if ((rc = script_input(d, site, "revokes", s->revoke[k].cert)))
			goto out;
	if ((rc = kc_paper_addf(d, KC_PAPER_FIELD, "Confirmation", "type %s "
	    "on the screen (keyceremony tui); answer y at keyceremony run",
	    confirm_word(s->info.action))))
		goto out;
	switch (s->info.action) {
	case KC_ACTION_ROOT_CREATE:
	case KC_ACTION_INTERMEDIATE_SIGN:
	case KC_ACTION_VERIFICATION_SIGN:
	case KC_ACTION_CROSS_SIGN:
		if ((rc = kc_paper_add(d, KC_PAPER_BOX, "Observed serial", "")) ||
		    (rc = kc_paper_add(d, KC_PAPER_BOX, "Observed SHA-256 "
		    "fingerprint", "first and last groups at least")))
			goto out;
		break;
	case KC_ACTION_CRL_ISSUE:
		if ((rc = kc_paper_add(d, KC_PAPER_BOX, "Observed CRL number",
		    "")) || (rc = kc_paper_add(d, KC_PAPER_BOX, "Observed CRL "
		    "SHA-256", "first and last groups at least")))
			goto out;
		break;
	case KC_ACTION_ROOT_RESTORE:
		if ((rc = kc_paper_add(d, KC_PAPER_BOX, "Custodians who gave a "
		    "share", "names; at least K of N")) ||
		    (rc = kc_paper_add(d, KC_PAPER_BOX, "Observed root "
		    "certificate SHA-256 fingerprint", "first and last groups "
		    "at least")))
			goto out;
		break;
	case KC_ACTION_EXPORT:
		if ((rc = kc_paper_add(d, KC_PAPER_BOX, "Files on the medium",
		    "count, and SHA256SUMS checked")))
			goto out;
		break;
	}
	if ((rc = kc_paper_addf(d, KC_PAPER_BOX, "Initials", "%s (performs)",
	    role_title(c, s->role))))
		goto out;
	if (s->witness != NULL)
		rc = kc_paper_addf(d, KC_PAPER_BOX, "Initials", "%s (witnesses)",
		    role_title(c, s->witness));
out:
	free(lines);
	return rc;
}

static int
script_closing(struct kc_paper *d, const struct kc_ceremony *c)
{
	int rc;

	if ((rc = kc_paper_add(d, KC_PAPER_BREAK, "", "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Close")) ||
	    (rc = kc_paper_add(d, KC_PAPER_TEXT, "", "Copy the final digest "
	    "from the screen: hex and PGP words; each witness reads it aloud. "
	    "Check later with: keyceremony transcript verify TRANSCRIPT "
	    "--digest HEX")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Final digest (hex)", "8 "
	    "groups of 8")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Final digest (hex)", "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Final digest (PGP words)",
	    "32 words")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Final digest (PGP words)",
	    "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Final digest (PGP words)",
	    "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_BOX, "Time of the end (UTC)", "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Signatures")))
		return rc;
	for (size_t i = 0; i < c->nroles; i++)
		if ((rc = kc_paper_add(d, KC_PAPER_SIGN, c->roles[i].title,
		    c->roles[i].id)) != KC_OK)
			return rc;
	return kc_paper_add(d, KC_PAPER_SIGN, "Auditor", "");
}

int
kc_paper_script(const struct kc_ceremony *c, const struct kc_site *site,
    struct kc_paper **out)
{
	struct kc_paper *d;
	char head[512], foot[256];
	int rc;

	*out = NULL;
	snprintf(head, sizeof(head), "Ceremony script: %s%s", c->name,
	    site_rehearsal(site) ? " (REHEARSAL)" : "");
	snprintf(foot, sizeof(foot), "ceremony file SHA-256 %.8s...%s",
	    c->sha256, c->sha256 + 56);
	if ((rc = kc_paper_new(head, foot, &d)) != KC_OK)
		return rc;
	d->rehearsal = site_rehearsal(site);
	if ((rc = script_title(d, c, site)) ||
	    (rc = script_roles(d, c)) ||
	    (rc = script_preflight(d)))
		goto fail;
	for (size_t i = 0; i < c->nsteps; i++)
		if ((rc = script_step(d, c, site, i)) != KC_OK)
			goto fail;
	if (!c->has_export &&
	    (rc = kc_paper_add(d, KC_PAPER_TEXT, "", "No export step: export "
	    "the outputs afterwards (keyceremony export, or e on the End "
	    "screen).")))
		goto fail;
	if ((rc = script_closing(d, c)) != KC_OK)
		goto fail;
	*out = d;
	return KC_OK;
fail:
	kc_paper_free(d);
	return rc;
}
