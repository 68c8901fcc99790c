/* Replays every fuzz seed and every saved crasher through its parser, under the test build. */
#include "testutil.h"

#include <dirent.h>

#include "tokentop/histq.h"
#include "tokentop/parse.h"
#include "tokentop/prom.h"
#include "tokentop/ratecard.h"
#include "tokentop/sketch.h"

#include "fuzz/jsplit_check.h"

static void null_event(void *ctx, const tt_event *ev)
{
	(*(int *)ctx)++;
	assert_true(ev->input_tokens >= ev->cached_tokens);
	assert_true(ev->request_id[0] != 0);
}

static void null_reject(void *ctx, int item, const char *reason)
{
	(void)ctx;
	(void)item;
	assert_non_null(reason);
	assert_true(strlen(reason) > 0);
}

static void run_prom(const char *data, size_t len)
{
	for (int f = 0; f < PROM_FORMAT_COUNT; f++) {
		prom_scrape *sc = prom_parse(data, len, (prom_format)f);
		assert_non_null(sc);
		for (size_t e = 0; e < sc->nerrors && e < PROM_ERRORS_KEPT; e++)
			assert_true(strncmp(sc->errors[e], "line ", 5) == 0);
		prom_server *v;
		int n = prom_servers(sc, PROM_KIND_GENERIC, &v);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++)
			histq_quantile(0.95, v[i].ttft.buckets, v[i].ttft.n, NULL);
		prom_servers_free(v, (size_t)n);
		prom_scrape_free(sc);
	}
}

static void run_one(const char *kind, const char *data, size_t len)
{
	int events = 0;
	parse_sink sink = {null_event, null_reject, &events};
	if (!strcmp(kind, "native"))
		parse_record(TT_FORMAT_NATIVE, data, len, &sink);
	else if (!strcmp(kind, "litellm"))
		parse_record(TT_FORMAT_LITELLM, data, len, &sink);
	else if (!strcmp(kind, "otel"))
		parse_record(TT_FORMAT_OTEL, data, len, &sink);
	else if (!strcmp(kind, "ratecard")) {
		char err[256];
		ratecard_free(ratecard_parse(data, len, err, sizeof err));
	} else if (!strcmp(kind, "sketch")) {
		sketch s;
		sketch_init(&s);
		sketch_merge_blob(&s, (const uint8_t *)data, len);
		sketch_free(&s);
	} else if (!strcmp(kind, "prom")) {
		run_prom(data, len);
		return;
	} else if (!strcmp(kind, "jsplit")) {
		jsplit_check(data, len);
		return;
	}
	/* auto-detection sees every input too */
	if (strcmp(kind, "ratecard") && strcmp(kind, "sketch"))
		parse_record(TT_FORMAT_AUTO, data, len, &sink);
}

static int replay_dir(const char *kind, const char *sub)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", tu_srcdir(), sub, kind);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t len;
		char *data = tu_slurp(path, &len);
		run_one(kind, data, len);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

static void test_replay(void **state)
{
	(void)state;
	static const char *const kinds[] = {"native",   "litellm", "otel",
	                                    "ratecard", "sketch",  "prom", "jsplit"};
	int seeds = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		seeds += replay_dir(kinds[i], "corpus");
		replay_dir(kinds[i], "regress");
	}
	assert_true(seeds >= 20); /* the seed corpora are there */
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
