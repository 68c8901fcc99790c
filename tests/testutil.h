/* Shared helpers for the cmocka tests: temp dirs, fixture paths, file slurping. */
#ifndef TOKENTOP_TESTUTIL_H
#define TOKENTOP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The source tree (scripts/run-tests.sh exports it; tests run from it by default). */
static inline const char *tu_srcdir(void)
{
	const char *d = getenv("TT_SRCDIR");
	return d && *d ? d : ".";
}

/* A fresh private directory under $TMPDIR; the path lives until exit. */
static inline const char *tu_tmpdir(void)
{
	static char path[256];
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/tokentop-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(path))
		fail_msg("mkdtemp failed");
	return path;
}

/* Reads a whole file (path relative to the source tree unless absolute); NUL-terminated. */
static inline char *tu_slurp(const char *rel, size_t *len)
{
	char path[4096];
	if (rel[0] == '/')
		snprintf(path, sizeof path, "%s", rel);
	else
		snprintf(path, sizeof path, "%s/%s", tu_srcdir(), rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read %s", path);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

#endif
