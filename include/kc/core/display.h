/*
 * kc/display.h: the one escaper for text shown to a person.
 *
 * Everything that reaches a terminal, a screen or a printed page and holds
 * a byte that did not come from this program (a subject, a file name, a
 * YAML value, a token label, a transcript field) goes through
 * kc_display*() first. The output is one line of printable text that reads
 * the same in every terminal:
 *
 *   - C0 controls (including TAB, CR, LF and ESC), DEL, C1 controls (raw
 *     bytes 0x80-0x9f and their UTF-8 forms U+0080-U+009F, such as CSI
 *     U+009B) and bytes that are not valid UTF-8 become \xHH;
 *   - Unicode format and invisible characters (bidirectional controls such
 *     as U+202E, zero-width characters, the BOM, line and paragraph
 *     separators, tag characters) become \u{XXXX};
 *   - a backslash becomes \\, so an escape can never be forged by text.
 *
 * Everything else, including printable non-ASCII letters, is kept.
 * kc_err() messages are escaped when they are recorded (kc_display_line:
 * backslashes kept, so a message quoting kc_errmsg() is not escaped
 * twice): kc_err() arguments need no escaping of their own.
 */
#ifndef KC_DISPLAY_H
#define KC_DISPLAY_H

#include <stddef.h>
#include <time.h>

/* Escapes len bytes of s (NULs included) into out, NUL-terminated. Output
 * that does not fit is cut at a character boundary and ends in "...".
 * Returns out. outsz must be at least 4. */
char *kc_display_mem(const void *s, size_t len, char *out, size_t outsz);

/* The same for a C string; NULL shows as "(null)". */
char *kc_display_buf(const char *s, char *out, size_t outsz);

/* As kc_display_buf() but a backslash is kept as it is, so that escaping
 * an escaped text again changes nothing: for messages built from parts
 * that may already be escaped (kc_err() uses it). */
char *kc_display_line(const char *s, char *out, size_t outsz);

/* Multi-line text for a terminal, in a malloc'd string (NULL when out of
 * memory; the caller frees it): as kc_display_line() but every '\n' is
 * kept, so that a summary built by this program (with the attacker's
 * strings in it already quoted) prints as its lines and nothing in it can
 * reach the terminal as a control. */
char *kc_display_text(const char *s);

/* The same into one of 8 thread-local buffers of KC_DISPLAY_MAX bytes used
 * in turn, for printf-style arguments: valid until 8 more calls. */
#define KC_DISPLAY_MAX 2048
const char *kc_disp(const char *s);

/* kc_display_line() into the same buffers: for text this program built
 * with the foreign parts already escaped (messages, library summaries). */
const char *kc_disp_line(const char *s);

/* The same, quoted: "..." around the escaped text (a '"' inside becomes
 * \x22), so that where an attacker's string starts and ends is visible. */
const char *kc_disp_quoted(const char *s);

/*
 * 1 when len bytes of s are valid UTF-8 and hold nothing kc_display_mem()
 * would escape (a backslash is plain text here). 0 otherwise, with
 * a reason in why (e.g. "a bidirectional control character U+202E at byte
 * 12"). For refusing subjects and names before they are signed.
 */
int kc_text_plain(const void *s, size_t len, char *why, size_t whysz);

/*
 * Hashes as a person compares them: ONE form everywhere a person reads a
 * SHA-256 (screens, CLI output of both programs, transcript and import
 * listings): lower-case hex in groups of eight digits separated by one
 * space ("0004d75e 6457a36c ..."), and where width demands two lines of
 * four groups (KC_HASH_TWO_LINES: a '\n' between them). The input may be
 * plain hex, colon-separated ("85:2B:..."), any case or spacing. Input
 * that is not an even count of hex digits is shown as escaped text,
 * never as a hash. Machine formats (SHA256SUMS, transcript fields, JSON)
 * keep plain hex.
 */
#define KC_HASH_HEX_MAX 128	/* digits: up to SHA-512 */
#define KC_HASH_SHOW_MAX 160	/* bytes of a shown SHA-512, NUL included */
#define KC_HASH_TWO_LINES 1
char *kc_hash_show(const char *hex, int flags, char *out, size_t outsz);
/* The one-line form into one of 8 thread-local buffers (printf args). */
const char *kc_hash(const char *hex);
/* A SHA-256 typed or pasted by a person (--expect-sha256, a digest to
 * compare): spaces, tabs, colons and dashes skipped, any case; out gets
 * the 64 lower-case digits. KC_ERR_USAGE naming what otherwise. */
int kc_hash_parse(const char *in, const char *what, char out[65]);
/* The PGP words of a hash given in any of the forms above (for reading
 * aloud next to the hex); KC_ERR_USAGE when it is not hex. */
int kc_hash_words(const char *hex, char *out, size_t outsz);

/* "2026-11-25 14:03:00 UTC", for messages and summaries. */
void kc_time_utc(time_t t, char buf[32]);

#endif
