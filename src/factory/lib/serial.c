/* serial.c: the line station's serial port and AT exchange (see
 * kc/factory/provision.h). termios, not libserialport: the station needs
 * the file descriptor itself (flock, TIOCEXCL, poll with one deadline per
 * exchange), and a pseudo-terminal must behave as a port for the tests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kc/core/error.h"
#include "kc/factory/provision.h"

struct kc_serial {
	int	 fd;
	char	*path;
};

static const struct { long baud; speed_t sp; } bauds[] = {
	{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
	{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 },
	{ 460800, B460800 }, { 921600, B921600 }, { 1000000, B1000000 },
};

static int
port_setup(struct kc_serial *s, long baud)
{
	struct termios t;
	speed_t sp = 0;
	size_t i;

	for (i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i].baud == baud)
			sp = bauds[i].sp;
	if (sp == 0)
		return kc_err(KC_ERR_USAGE, "--baud %ld: not a rate the port "
		    "takes (9600 to 1000000, e.g. 115200)", baud);
	if (tcgetattr(s->fd, &t) != 0)
		return kc_err(KC_ERR_IO, "port %s: not a terminal device: %s",
		    s->path, strerror(errno));
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0 ||
	    tcsetattr(s->fd, TCSANOW, &t) != 0)
		return kc_err(KC_ERR_IO, "port %s: cannot set %ld 8N1 raw: %s",
		    s->path, baud, strerror(errno));
	tcflush(s->fd, TCIOFLUSH);
	return KC_OK;
}

int
kc_serial_open(const char *path, long baud, struct kc_serial **out)
{
	struct kc_serial *s;
	struct stat st;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	s->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		rc = errno == EBUSY ?
		    kc_err(KC_ERR_EXISTS, "port %s is in use (opened "
		    "exclusively by another process: a second station?)", path) :
		    kc_err(KC_ERR_IO, "port %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(s->fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		rc = kc_err(KC_ERR_IO, "port %s is not a character device",
		    path);
		goto fail;
	}
	/* flock holds against every station, root included */
	if (flock(s->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ?
		    kc_err(KC_ERR_EXISTS, "port %s is in use by another "
		    "process (a second station on the same port?)", path) :
		    kc_err(KC_ERR_IO, "port %s: cannot lock: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((rc = port_setup(s, baud)) != KC_OK)
		goto fail;
	/* other programs (a terminal, ModemManager) get EBUSY */
	(void)ioctl(s->fd, TIOCEXCL);
	*out = s;
	return KC_OK;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return rc;
}

void
kc_serial_close(struct kc_serial *s)
{
	if (s == NULL)
		return;
	(void)ioctl(s->fd, TIOCNXCL);
	close(s->fd);	/* releases the flock */
	free(s->path);
	free(s);
}

const char *
kc_serial_path(const struct kc_serial *s)
{
	return s->path;
}

int
kc_serial_wait_gone(struct kc_serial *s, int timeout_ms, volatile int *stop)
{
	struct pollfd pf = { s->fd, POLLIN, 0 };
	struct stat st;
	char buf[256];
	long waited = 0;
	ssize_t n;

	for (;;) {
		if (stop != NULL && *stop)
			return KC_ERR_ABORT;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return kc_err(KC_ERR_IO, "port %s: the device is still "
			    "attached", s->path);
		/* the node itself gone (some drivers do not hang up) */
		if (stat(s->path, &st) != 0)
			return KC_OK;
		pf.revents = 0;
		if (poll(&pf, 1, 200) < 0 && errno != EINTR)
			return kc_err(KC_ERR_IO, "port %s: %s", s->path,
			    strerror(errno));
		waited += 200;
		if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
			return KC_OK;
		if (pf.revents & POLLIN) {
			n = read(s->fd, buf, sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR))
				return KC_OK;
		}
	}
}

void
kc_at_resp_clear(struct kc_at_resp *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->line[i]);
	memset(r, 0, sizeof(*r));
}

const char *
kc_cme_name(long code)
{
	switch (code) {
	case 513: return "not found";
	case 514: return "not allowed";
	case 515: return "memory full";
	case 518: return "not allowed in active state (the modem is online)";
	case 519: return "already exists";
	case 520: return "authentication failed";
	case 528: return "not allowed while the modem is activating";
	}
	return NULL;
}

static long
ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* The command's name for messages: up to its first '"' or ','. */
static void
cmd_name(const char *cmd, size_t len, char *out, size_t outsz)
{
	size_t n = 0;

	while (n < len && n + 1 < outsz && cmd[n] != '"' && cmd[n] != ',' &&
	    cmd[n] != '=')
		n++;
	memcpy(out, cmd, n);
	out[n] = '\0';
}

static int
gone(const struct kc_serial *s, const char *name, const char *how)
{
	return kc_err(KC_ERR_IO, "port %s: the device went away during %s "
	    "(%s: cable pulled?)", s->path, name, how);
}

static int
send_all(struct kc_serial *s, const char *name, const char *p, size_t len,
    const struct timespec *end)
{
	struct pollfd pf = { s->fd, POLLOUT, 0 };
	ssize_t w;
	long left;

	while (len > 0) {
		if ((left = ms_left(end)) <= 0)
			return kc_err(KC_ERR_IO, "port %s: %s could not be sent "
			    "in time (the device does not read)", s->path, name);
		if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
			return kc_err(KC_ERR_IO, "port %s: %s", s->path,
			    strerror(errno));
		if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
			return gone(s, name, "hang-up");
		if (!(pf.revents & POLLOUT))
			continue;
		if ((w = write(s->fd, p, len)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return gone(s, name, strerror(errno));
		}
		p += w;
		len -= (size_t)w;
	}
	return KC_OK;
}

/* Line assembly of one response. */
struct asm_state {
	const char	*cmd;		/* echo expected: the command sent */
	size_t		 cmd_len, echo;	/* bytes of it matched so far */
	int		 echo_off;	/* the reply does not start with it */
	char		 buf[KC_AT_LINE_MAX + 1];
	size_t		 len, total;
};

/* 1: final result code seen; 0: go on; < 0: error. */
static int
take_line(struct kc_serial *s, const char *name, struct asm_state *a,
    struct kc_at_resp *r)
{
	const char *p;
	char *end;
	long code;

	a->buf[a->len] = '\0';
	a->len = 0;
	if (a->buf[0] == '\0')
		return 0;
	if (strcmp(a->buf, "OK") == 0) {
		r->final = KC_AT_OK;
		return 1;
	}
	if (strcmp(a->buf, "ERROR") == 0) {
		r->final = KC_AT_ERROR;
		return 1;
	}
	if (strncmp(a->buf, "+CME ERROR:", 11) == 0) {
		p = a->buf + 11;
		while (*p == ' ')
			p++;
		errno = 0;
		code = strtol(p, &end, 10);
		if (*p < '0' || *p > '9' || *end != '\0' || errno != 0 ||
		    code > 99999)
			return kc_err(KC_ERR_INPUT, "port %s: %s: malformed "
			    "error line '%s'", s->path, name, a->buf);
		r->final = KC_AT_CME;
		r->cme = code;
		return 1;
	}
	if (r->n == KC_AT_LINES_MAX)
		return kc_err(KC_ERR_INPUT, "port %s: %s: more than %d lines "
		    "without a result code", s->path, name, KC_AT_LINES_MAX);
	if ((r->line[r->n] = strdup(a->buf)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	r->n++;
	return 0;
}

static int
take_byte(struct kc_serial *s, const char *name, struct asm_state *a,
    struct kc_at_resp *r, char c)
{
	int rc;

	/* the command's echo (ATE1, or a terminal program in between) */
	if (!a->echo_off && a->echo < a->cmd_len) {
		if (c == a->cmd[a->echo]) {
			a->echo++;
			return 0;
		}
		a->echo_off = 1;
		for (size_t i = 0; i < a->echo; i++)
			if ((rc = take_byte(s, name, a, r, a->cmd[i])) != 0)
				return rc;
	}
	if (++a->total > KC_AT_RESP_MAX)
		return kc_err(KC_ERR_INPUT, "port %s: %s: the reply passes %d "
		    "bytes", s->path, name, KC_AT_RESP_MAX);
	if (c == '\0')
		return kc_err(KC_ERR_INPUT, "port %s: %s: a NUL byte in the "
		    "reply", s->path, name);
	if (c == '\r' || c == '\n')
		return take_line(s, name, a, r);
	if (a->len == KC_AT_LINE_MAX)
		return kc_err(KC_ERR_INPUT, "port %s: %s: a reply line passes "
		    "%d bytes", s->path, name, KC_AT_LINE_MAX);
	a->buf[a->len++] = c;
	return 0;
}

static int
recv_resp(struct kc_serial *s, const char *name, struct asm_state *a,
    struct kc_at_resp *r, const struct timespec *end, int timeout_ms)
{
	struct pollfd pf = { s->fd, POLLIN, 0 };
	char buf[4096];
	ssize_t n;
	long left;
	int rc;

	for (;;) {
		if ((left = ms_left(end)) <= 0)
			return kc_err(KC_ERR_IO, "port %s: no reply to %s within "
			    "%d.%d s", s->path, name, timeout_ms / 1000,
			    timeout_ms % 1000 / 100);
		pf.revents = 0;
		if (poll(&pf, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return kc_err(KC_ERR_IO, "port %s: %s", s->path,
			    strerror(errno));
		}
		if (pf.revents == 0)
			continue;
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return gone(s, name, strerror(errno));
		if (n == 0)
			return gone(s, name, "end of file");
		for (ssize_t i = 0; i < n; i++)
			if ((rc = take_byte(s, name, a, r, buf[i])) != 0)
				return rc < 0 ? rc : KC_OK;
	}
}

int
kc_at_cmd(struct kc_serial *s, const char *cmd, size_t len, int timeout_ms,
    struct kc_at_resp *r)
{
	struct asm_state *a;
	struct timespec end;
	char name[48];
	int rc;

	memset(r, 0, sizeof(*r));
	cmd_name(cmd, len, name, sizeof(name));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	a->cmd = cmd;
	a->cmd_len = len;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	tcflush(s->fd, TCIFLUSH);	/* URCs and noise of before */
	if ((rc = send_all(s, name, cmd, len, &end)) == KC_OK &&
	    (rc = send_all(s, name, "\r\n", 2, &end)) == KC_OK)
		rc = recv_resp(s, name, a, r, &end, timeout_ms);
	free(a);
	if (rc != KC_OK)
		kc_at_resp_clear(r);
	return rc;
}
