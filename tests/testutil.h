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
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "tokentop/event.h"

/* The environment every test assumes, set before main rather than inherited (tests/lib.sh
 * does the same for the shell tests): UTC, UTF-8, files created 0644, no NO_COLOR. */
__attribute__((constructor)) static void tu_environment(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	setenv("LANG", "C.UTF-8", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	unsetenv("NO_COLOR");
	unsetenv("TOKENTOP_NOW");
	unsetenv("TOKENTOP_AUDIT_KEY");
	unsetenv("TOKENTOP_RATECARD");
	umask(022);
}

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

/* Every field of two events is equal. */
static inline void tu_assert_same_event(const tt_event *a, const tt_event *b)
{
	assert_string_equal(a->request_id, b->request_id);
	assert_int_equal(a->ts_ms, b->ts_ms);
	assert_string_equal(a->gateway, b->gateway);
	assert_string_equal(a->tenant, b->tenant);
	assert_string_equal(a->team, b->team);
	assert_string_equal(a->use_case, b->use_case);
	assert_string_equal(a->prompt_id, b->prompt_id);
	assert_string_equal(a->prompt_version, b->prompt_version);
	assert_string_equal(a->provider, b->provider);
	assert_string_equal(a->model, b->model);
	assert_string_equal(a->tier, b->tier);
	assert_int_equal(a->elevated, b->elevated);
	assert_int_equal(a->input_tokens, b->input_tokens);
	assert_int_equal(a->output_tokens, b->output_tokens);
	assert_int_equal(a->cached_tokens, b->cached_tokens);
	assert_int_equal(a->latency_ms, b->latency_ms);
	assert_int_equal(a->ttft_ms, b->ttft_ms);
	assert_int_equal(a->retrieval_ms, b->retrieval_ms);
	assert_int_equal(a->queue_ms, b->queue_ms);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->cache, b->cache);
	assert_int_equal(a->outcome, b->outcome);
	assert_int_equal(a->quality_milli, b->quality_milli);
	assert_int_equal(a->has_cost, b->has_cost);
	assert_int_equal(a->cost_nanos, b->cost_nanos);
	assert_int_equal(a->cost_source, b->cost_source);
}

#endif
