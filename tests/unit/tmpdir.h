/*
 * tmpdir.h: the cmocka fixture of the unit tests that need files. Included
 * once by a test file (after <cmocka.h>): setup makes a fresh directory,
 * tmpdir, under /tmp; teardown removes it with everything in it.
 */
#ifndef KC_TEST_TMPDIR_H
#define KC_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/kc-unit.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

#endif
