/*
 * kc/core/strbuf.h: a growing text buffer for texts built by many
 * printf-style appends (the ceremony file's review, revocation-actions.txt).
 * An append that fails (no memory, an encoding error) sets failed and
 * makes every later append a no-op, so a builder checks once at the end.
 * Ownership: p is the caller's, freed with free(); zero-initialise the
 * struct to start.
 */
#ifndef KC_CORE_STRBUF_H
#define KC_CORE_STRBUF_H

#include <stddef.h>

struct kc_strbuf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

void	kc_strbuf_add(struct kc_strbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
