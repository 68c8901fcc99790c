/* Tests for the event parsers: native, LiteLLM and OTel samples, rejections, round trips. */
#include "testutil.h"

#include "tokentop/parse.h"
#include "tokentop/timeutil.h"

/* ---- a sink that keeps everything ---- */

typedef struct got {
	tt_event ev[64];
	int nev;
	int item[64];
	char reason[64][256];
	int nrej;
	char note[8][256];
	int nnote;
	long total_ev, total_rej;
} got;

static void on_event(void *ctx, const tt_event *ev)
{
	got *g = ctx;
	if (g->nev < 64)
		g->ev[g->nev++] = *ev;
	g->total_ev++;
}

static void on_reject(void *ctx, int item, const char *reason)
{
	got *g = ctx;
	assert_non_null(reason);
	assert_null(strchr(reason, '\n'));
	if (g->nrej < 64) {
		g->item[g->nrej] = item;
		snprintf(g->reason[g->nrej], sizeof g->reason[0], "%s", reason);
		g->nrej++;
	}
	g->total_rej++;
}

static void on_note(void *ctx, int item, const char *what)
{
	got *g = ctx;
	(void)item;
	assert_null(strchr(what, '\n'));
	if (g->nnote < 8)
		snprintf(g->note[g->nnote++], sizeof g->note[0], "%s", what);
}

static int run(got *g, tt_format fmt, const char *buf, size_t len)
{
	memset(g, 0, sizeof *g);
	parse_sink sink = {on_event, on_reject, g, on_note};
	return parse_record(fmt, buf, len, &sink);
}

static int run_str(got *g, tt_format fmt, const char *s)
{
	return run(g, fmt, s, strlen(s));
}

/* Splits a file into lines in place; returns the count. */
static int split_lines(char *buf, char **lines, size_t *lens, int max)
{
	int n = 0;
	char *p = buf;
	while (*p && n < max) {
		char *nl = strchr(p, '\n');
		lines[n] = p;
		lens[n] = nl ? (size_t)(nl - p) : strlen(p);
		n++;
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
	return n;
}

static tt_format fmt_of(const char *name)
{
	tt_format f;
	assert_int_equal(parse_format_from_name(name, &f), 0);
	return f;
}

/* ---- formats and detection ---- */

static void test_format_names(void **state)
{
	const char *names[] = {"auto", "native", "litellm", "otel"};
	for (int i = 0; i < TT_FORMAT_COUNT; i++) {
		assert_int_equal(fmt_of(names[i]), i);
		assert_string_equal(parse_format_name((tt_format)i), names[i]);
	}
	tt_format f = TT_FORMAT_OTEL;
	assert_int_equal(parse_format_from_name("jsonl", &f), -1);
	assert_int_equal(parse_format_from_name(NULL, &f), -1);
	assert_int_equal(f, TT_FORMAT_OTEL);
	assert_null(parse_format_name(TT_FORMAT_COUNT));
}

static tt_format detect(const char *s)
{
	return parse_detect(s, strlen(s));
}

static void test_detect(void **state)
{
	assert_int_equal(detect("{\"request_id\":\"a\",\"ts\":\"2026-01-01\"}"), TT_FORMAT_NATIVE);
	assert_int_equal(detect("{\"request_id\":\"a\",\"spend\":0.1}"), TT_FORMAT_LITELLM);
	assert_int_equal(detect("{\"startTime\":\"2026-01-01\"}"), TT_FORMAT_LITELLM);
	assert_int_equal(detect("{\"data\":[],\"total\":0}"), TT_FORMAT_LITELLM);
	assert_int_equal(detect("[{\"request_id\":\"a\"}]"), TT_FORMAT_LITELLM);
	assert_int_equal(detect("{\"resourceSpans\":[]}"), TT_FORMAT_OTEL);
	assert_int_equal(detect("{\"traceId\":\"a\",\"spanId\":\"b\"}"), TT_FORMAT_OTEL);
	assert_int_equal(
	    detect(
	        "{\"attributes\":[{\"key\":\"gen_ai.system\",\"value\":{\"stringValue\":\"x\"}}]}"),
	    TT_FORMAT_OTEL);
	assert_int_equal(detect("{\"attributes\":[{\"key\":\"http.method\"}]}"), TT_FORMAT_AUTO);
	assert_int_equal(detect("{\"data\":5}"), TT_FORMAT_AUTO);
	assert_int_equal(detect("{\"request_id\":\"a\"}"), TT_FORMAT_AUTO);
	assert_int_equal(detect("{\"ts\":1,"), TT_FORMAT_AUTO);
	assert_int_equal(detect("42"), TT_FORMAT_AUTO);
	assert_int_equal(detect(""), TT_FORMAT_AUTO);
	assert_int_equal(parse_detect(NULL, 5), TT_FORMAT_AUTO);

	got g;
	assert_int_equal(run_str(&g, TT_FORMAT_AUTO, "{\"x\":1}"), -1);
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.item[0], -1);
	assert_string_equal(
	    g.reason[0],
	    "unknown format: no resourceSpans, ts+request_id, spend, startTime or data[] key");
}

/* ---- native ---- */

static void test_native_good(void **state)
{
	char *buf = tu_slurp("tests/data/parse/native/good.jsonl", NULL);
	char *lines[16];
	size_t lens[16];
	int n = split_lines(buf, lines, lens, 16);
	assert_int_equal(n, 5);
	got g;
	for (int i = 0; i < n; i++) {
		assert_int_equal(parse_detect(lines[i], lens[i]), TT_FORMAT_NATIVE);
		if (run(&g, TT_FORMAT_NATIVE, lines[i], lens[i]) != 1)
			fail_msg("line %d: %s", i + 1, g.nrej ? g.reason[0] : "?");
		assert_int_equal(g.nev, 1);
		assert_int_equal(g.nrej, 0);
		tt_event first = g.ev[0];
		assert_int_equal(run(&g, TT_FORMAT_AUTO, lines[i], lens[i]), 1);
		assert_string_equal(g.ev[0].request_id, first.request_id);

		const tt_event *ev = &first;
		switch (i) {
		case 0:
			assert_string_equal(ev->request_id, "r-8f2c");
			assert_int_equal(ev->ts_ms, 1795942800123LL);
			assert_string_equal(ev->gateway, "gw-eu-1");
			assert_string_equal(ev->tenant, "acme");
			assert_string_equal(ev->team, "support");
			assert_string_equal(ev->use_case, "support-bot");
			assert_string_equal(ev->prompt_id, "answer-with-citations");
			assert_string_equal(ev->prompt_version, "v7");
			assert_string_equal(ev->provider, "openai");
			assert_string_equal(ev->model, "gpt-4o-mini");
			assert_string_equal(ev->tier, "good");
			assert_false(ev->elevated);
			assert_int_equal(ev->input_tokens, 812);
			assert_int_equal(ev->output_tokens, 164);
			assert_int_equal(ev->cached_tokens, 512);
			assert_int_equal(ev->latency_ms, 930);
			assert_int_equal(ev->ttft_ms, 210);
			assert_int_equal(ev->retrieval_ms, 80);
			assert_int_equal(ev->queue_ms, 12);
			assert_int_equal(ev->status, TT_STATUS_OK);
			assert_int_equal(ev->cache, TT_CACHE_MISS);
			assert_int_equal(ev->outcome, TT_OUTCOME_SUCCESS);
			assert_int_equal(ev->quality_milli, 920);
			assert_false(ev->has_cost);
			assert_int_equal(ev->cost_source, TT_COST_UNPRICED);
			break;
		case 1:
			assert_int_equal(ev->status, TT_STATUS_TIMEOUT);
			assert_int_equal(ev->cache, TT_CACHE_NONE);
			assert_int_equal(ev->latency_ms, -1);
			assert_int_equal(ev->quality_milli, -1);
			break;
		case 2:
			assert_string_equal(ev->request_id, "r\xc3\xa9-3");
			assert_string_equal(ev->tenant, "caf\xc3\xa9 \xf0\x9f\x98\x80");
			assert_int_equal(ev->ts_ms, 1767263445500LL);
			assert_int_equal(ev->status, TT_STATUS_RATE_LIMITED);
			assert_int_equal(ev->cache, TT_CACHE_HIT);
			assert_int_equal(ev->outcome, TT_OUTCOME_NONE);
			assert_true(ev->has_cost);
			assert_int_equal(ev->cost_nanos, 123000);
			assert_int_equal(ev->cost_source, TT_COST_GATEWAY);
			assert_int_equal(ev->latency_ms, -1);
			assert_true(ev->elevated);
			assert_int_equal(ev->quality_milli, 1000);
			break;
		case 3:
			assert_int_equal(ev->status, TT_STATUS_KILLED);
			assert_int_equal(ev->cost_nanos, 1500000000);
			assert_int_equal(ev->cached_tokens, 100);
			assert_int_equal(ev->quality_milli, 0);
			assert_int_equal(ev->outcome, TT_OUTCOME_ABANDONED);
			break;
		case 4:
			assert_int_equal(ev->status, TT_STATUS_THROTTLED);
			assert_int_equal(ev->ts_ms, 1782858599999LL);
			assert_true(ev->has_cost);
			assert_int_equal(ev->cost_nanos, 0);
			assert_string_equal(ev->tier, "best");
			break;
		}
	}
	free(buf);
}

/* Each line of <dir>/bad.jsonl must be rejected exactly as the same line of bad.reasons
 * ("<item> <reason>") says, after any events from its good elements; or, where the reasons line
 * is "kept <note>", kept whole with that note (an odd value that is not money or identity). */
static void check_bad_file(const char *dir, tt_format fmt)
{
	char path[256];
	snprintf(path, sizeof path, "tests/data/parse/%s/bad.jsonl", dir);
	char *in = tu_slurp(path, NULL);
	snprintf(path, sizeof path, "tests/data/parse/%s/bad.reasons", dir);
	char *want = tu_slurp(path, NULL);
	static char *lines[256], *reasons[256];
	static size_t lens[256], rlens[256];
	int n = split_lines(in, lines, lens, 256);
	int nr = split_lines(want, reasons, rlens, 256);
	assert_int_equal(n, nr);
	assert_true(n > 10);
	got g;
	for (int i = 0; i < n; i++) {
		int rc = run(&g, fmt, lines[i], lens[i]);
		if (getenv("TT_PRINT_BAD")) {
			printf("%d %s | %s\n", g.nrej ? g.item[0] : -9, g.nrej ? g.reason[0] : "",
			       g.nnote ? g.note[0] : "");
			continue;
		}
		if (strncmp(reasons[i], "kept ", 5) == 0) {
			if (g.nrej != 0 || rc < 1 || g.nnote < 1 ||
			    strcmp(g.note[0], reasons[i] + 5))
				fail_msg("%s line %d: %d rejections (%s), note \"%s\", want kept "
				         "with \"%s\"",
				         dir, i + 1, g.nrej, g.nrej ? g.reason[0] : "",
				         g.nnote ? g.note[0] : "", reasons[i] + 5);
			continue;
		}
		if (g.nrej != 1)
			fail_msg("%s line %d: %d rejections", dir, i + 1, g.nrej);
		char *sp = strchr(reasons[i], ' ');
		assert_non_null(sp);
		int item = atoi(reasons[i]);
		if (g.item[0] != item || strcmp(g.reason[0], sp + 1) != 0)
			fail_msg("%s line %d: got [%d] \"%s\", want [%d] \"%s\"", dir, i + 1,
			         g.item[0], g.reason[0], item, sp + 1);
		if (item == -1) {
			assert_int_equal(rc, -1);
			assert_int_equal(g.nev, 0);
		} else {
			assert_int_equal(rc, g.nev);
		}
	}
	free(in);
	free(want);
}

static void test_native_bad(void **state)
{
	check_bad_file("native", TT_FORMAT_NATIVE);
}

static void expect_native_reject(const char *line, const char *reason)
{
	got g;
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, line), -1);
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.item[0], -1);
	assert_string_equal(g.reason[0], reason);
}

static void expect_native_ok(const char *line, got *g)
{
	if (run_str(g, TT_FORMAT_NATIVE, line) != 1)
		fail_msg("%s: %s", line, g->reason[0]);
}

/* Kept, with note as its first oddity. */
static void expect_native_kept(const char *line, const char *note, got *g)
{
	expect_native_ok(line, g);
	assert_int_equal(g->nrej, 0);
	assert_true(g->nnote >= 1);
	assert_string_equal(g->note[0], note);
}

static void test_native_reasons(void **state)
{
	expect_native_reject("{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\","
	                     "\"status\":\"ok\",\"input_tokens\":-5}",
	                     "input_tokens: negative (-5)");
	/* an unknown status is kept as other, its raw value in the note */
	got g;
	expect_native_kept("{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\","
	                   "\"status\":\"weird\"}",
	                   "status \"weird\" kept as other", &g);
	assert_int_equal(g.ev[0].status, TT_STATUS_OTHER);
	expect_native_reject("{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\",\"sta",
	                     "not JSON: unexpected end of input at byte 50");
	expect_native_reject("{\"request_id\":\"a\",\"ts\":\"now\",\"status\":\"ok\"}",
	                     "ts: not an ISO 8601 time (\"now\")");
	expect_native_reject("{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\","
	                     "\"status\":\"ok\",\"tenant\":\"\xff\"}",
	                     "invalid UTF-8 in tenant");
	/* the excerpt in a note is cut and kept printable */
	expect_native_kept("{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\","
	                   "\"status\":\"\\n0123456789012345678901234567890123456789\"}",
	                   "status \"\\n0123456789012345678901234567890123456... kept as other",
	                   &g);
	expect_native_kept("{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\","
	                   "\"status\":\"\xc3\xa9\"}",
	                   "status \"??\" kept as other", &g);
}

static void test_native_values(void **state)
{
	got g;
	const char *head =
	    "{\"request_id\":\"a\",\"ts\":\"2026-01-01T00:00:00Z\",\"status\":\"ok\"";
	char line[512];
	/* limits are inclusive */
	snprintf(line, sizeof line, "%s,\"input_tokens\":1099511627776,\"latency_ms\":0}", head);
	expect_native_ok(line, &g);
	assert_int_equal(g.ev[0].input_tokens, TT_COUNT_MAX);
	assert_int_equal(g.ev[0].latency_ms, 0);
	snprintf(line, sizeof line, "%s,\"input_tokens\":-0}", head);
	expect_native_ok(line, &g);
	assert_int_equal(g.ev[0].input_tokens, 0);
	snprintf(line, sizeof line, "%s,\"input_tokens\":9223372036854775807}", head);
	expect_native_reject(line, "input_tokens: too large (9223372036854775807 > 1099511627776)");
	snprintf(line, sizeof line, "%s,\"input_tokens\":9223372036854775808}", head);
	expect_native_reject(line, "input_tokens: out of range (9223372036854775808)");
	snprintf(line, sizeof line, "%s,\"input_tokens\":-9223372036854775808}", head);
	expect_native_reject(line, "input_tokens: negative (-9223372036854775808)");
	snprintf(line, sizeof line, "%s,\"input_tokens\":1E2}", head);
	expect_native_reject(line, "input_tokens: not an integer (1E2)");
	snprintf(line, sizeof line, "%s,\"input_tokens\":null,\"tenant\":null,\"cache\":null}",
	         head);
	expect_native_ok(line, &g);
	assert_int_equal(g.ev[0].input_tokens, 0);
	/* quality rounds to thousandths; cost to micro-dollars */
	snprintf(line, sizeof line, "%s,\"quality\":0.9995,\"cost_usd\":1.5e-3}", head);
	expect_native_ok(line, &g);
	assert_int_equal(g.ev[0].quality_milli, 1000);
	assert_int_equal(g.ev[0].cost_nanos, 1500000);
	snprintf(line, sizeof line, "%s,\"quality\":-0.0000001}", head);
	expect_native_ok(line, &g);
	assert_int_equal(g.ev[0].quality_milli, 0);
	snprintf(line, sizeof line, "%s,\"quality\":1.000001}", head);
	expect_native_reject(line, "quality: out of range (1.000001), expected 0..1");
	snprintf(line, sizeof line, "%s,\"cost_usd\":\" 1\"}", head);
	expect_native_reject(line, "cost_usd: not a number (\" 1\")");
	snprintf(line, sizeof line, "%s,\"cost_usd\":\"1e400\"}", head);
	expect_native_reject(line, "cost_usd: out of range (\"1e400\")");
	/* capacities: 127 bytes fit, 128 do not; multi-byte characters count in bytes */
	char id[200];
	memset(id, 'x', 127);
	id[127] = 0;
	snprintf(line, sizeof line,
	         "{\"request_id\":\"%s\",\"ts\":\"2026-01-01T00:00:00Z\",\"status\":\"ok\"}", id);
	expect_native_ok(line, &g);
	assert_int_equal(strlen(g.ev[0].request_id), 127);
	char tenant[200] = "";
	for (int i = 0; i < 63; i++)
		strcat(tenant, "\xc3\xa9");
	snprintf(line, sizeof line, "%s,\"tenant\":\"%sx\"}", head, tenant);
	expect_native_ok(line, &g);
	assert_int_equal(g.nnote, 0);
	/* one byte too many: kept, cut before the character that does not fit */
	snprintf(line, sizeof line, "%s,\"tenant\":\"%s\\u00e9\"}", head, tenant);
	expect_native_kept(line, "tenant: longer than 127 bytes, kept cut to them", &g);
	assert_string_equal(g.ev[0].tenant, tenant);
	/* escapes: surrogate pairs decode, lone halves do not */
	snprintf(line, sizeof line, "%s,\"tenant\":\"\\ud834\\udd1e\\/\\b\\f\\r\"}", head);
	expect_native_ok(line, &g);
	assert_string_equal(g.ev[0].tenant, "\xf0\x9d\x84\x9e/\b\f\r");
	snprintf(line, sizeof line, "%s,\"tenant\":\"\\ud834\\u0041\"}", head);
	expect_native_reject(line, "lone surrogate in tenant");
	snprintf(line, sizeof line, "%s,\"tenant\":\"\\ud834\"}", head);
	expect_native_reject(line, "lone surrogate in tenant");
	/* unknown keys of any shape are ignored, even repeated */
	snprintf(line, sizeof line, "%s,\"x\":[{\"y\":[true,false,null,-1.5e-3]}],\"x\":{}}", head);
	expect_native_ok(line, &g);
	/* whitespace around the record is fine, a byte order mark too */
	snprintf(line, sizeof line, "\xef\xbb\xbf \t%s}\r\n", head);
	expect_native_ok(line, &g);
	/* a NUL byte inside is not */
	char nul[128];
	int n = snprintf(nul, sizeof nul, "%s,\"tenant\":\"a", head);
	nul[n++] = 0;
	memcpy(nul + n, "b\"}", 3);
	got g2;
	assert_int_equal(run(&g2, TT_FORMAT_NATIVE, nul, (size_t)n + 3), -1);
	assert_string_equal(g2.reason[0], "not JSON: NUL byte at byte 71");
}

static void test_native_huge(void **state)
{
	const char *head =
	    "{\"request_id\":\"big\",\"ts\":\"2026-01-01T00:00:00Z\",\"status\":\"ok\"";
	size_t big = 1u << 20;
	char *line = malloc(big + 256);
	got g;
	/* a 1 MB line with a large unknown value is fine */
	int n = sprintf(line, "%s,\"blob\":\"", head);
	memset(line + n, 'a', big);
	strcpy(line + n + big, "\"}");
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, line), 1);
	assert_string_equal(g.ev[0].request_id, "big");
	/* a 1 MB request_id is not */
	n = sprintf(line, "{\"request_id\":\"");
	memset(line + n, 'r', big);
	strcpy(line + n + big, "\",\"ts\":\"2026-01-01T00:00:00Z\",\"status\":\"ok\"}");
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, line), -1);
	assert_string_equal(g.reason[0], "request_id: longer than 127 bytes");
	/* a 1 MB array of numbers under an unknown key */
	n = sprintf(line, "%s,\"arr\":[", head);
	for (size_t i = 0; i < big / 2 - 1; i++) {
		line[n++] = '1';
		line[n++] = ',';
	}
	line[n++] = '1';
	strcpy(line + n, "]}");
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, line), 1);
	free(line);

	/* deep nesting is refused quickly, shallow nesting is fine */
	size_t depth = 200000;
	char *deep = malloc(2 * depth + 256);
	n = sprintf(deep, "%s,\"d\":", head);
	memset(deep + n, '[', depth);
	memset(deep + n + depth, ']', depth);
	strcpy(deep + n + 2 * depth, "}");
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, deep), -1);
	assert_string_equal(g.reason[0], "not JSON: nested deeper than 64 levels");
	n = sprintf(deep, "%s,\"d\":", head);
	memset(deep + n, '[', 60);
	memset(deep + n + 60, ']', 60);
	strcpy(deep + n + 120, "}");
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, deep), 1);
	/* brackets inside strings do not count as nesting */
	n = sprintf(deep, "%s,\"d\":\"", head);
	memset(deep + n, '[', depth);
	strcpy(deep + n + depth, "\"}");
	assert_int_equal(run_str(&g, TT_FORMAT_NATIVE, deep), 1);
	free(deep);

	/* past the record limit */
	size_t over = TT_RECORD_MAX + 1;
	char *huge = malloc(over);
	memset(huge, ' ', over);
	huge[0] = '{';
	huge[over - 1] = '}';
	assert_int_equal(run(&g, TT_FORMAT_NATIVE, huge, over), -1);
	assert_string_equal(g.reason[0], "record longer than 16777216 bytes");
	free(huge);
}

/* ---- round trip through the native writer ---- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_str(char *dst, size_t cap)
{
	static const char *const pieces[] = {"a",
	                                     "Z",
	                                     "0",
	                                     "-",
	                                     "_",
	                                     " ",
	                                     "\"",
	                                     "\\",
	                                     "/",
	                                     "\n",
	                                     "\t",
	                                     "\x01",
	                                     "\xc3\xa9",
	                                     "\xe2\x82\xac",
	                                     "\xf0\x9f\x98\x80",
	                                     "x"};
	size_t n = next() % cap, len = 0;
	dst[0] = 0;
	while (len < n) {
		const char *p = pieces[next() % 16];
		size_t pl = strlen(p);
		if (len + pl >= cap)
			break;
		memcpy(dst + len, p, pl);
		len += pl;
	}
	dst[len] = 0;
}

static void random_event(tt_event *ev)
{
	event_init(ev);
	do
		random_str(ev->request_id, sizeof ev->request_id);
	while (!ev->request_id[0]);
	ev->ts_ms = (int64_t)(next() % 253402300800000ULL);
	random_str(ev->gateway, sizeof ev->gateway);
	random_str(ev->tenant, sizeof ev->tenant);
	random_str(ev->team, sizeof ev->team);
	random_str(ev->use_case, sizeof ev->use_case);
	random_str(ev->prompt_id, sizeof ev->prompt_id);
	random_str(ev->prompt_version, sizeof ev->prompt_version);
	random_str(ev->provider, sizeof ev->provider);
	random_str(ev->model, sizeof ev->model);
	random_str(ev->tier, sizeof ev->tier);
	ev->elevated = next() & 1;
	ev->input_tokens = (int64_t)(next() % (uint64_t)(TT_COUNT_MAX + 1));
	ev->output_tokens = next() & 1 ? (int64_t)(next() % 5000) : TT_COUNT_MAX;
	ev->cached_tokens = ev->input_tokens ? (int64_t)(next() % (uint64_t)ev->input_tokens) : 0;
	int64_t *lat[] = {&ev->latency_ms, &ev->ttft_ms, &ev->retrieval_ms, &ev->queue_ms};
	for (int i = 0; i < 4; i++)
		*lat[i] = next() % 3 == 0 ? -1 : (int64_t)(next() % 100000);
	ev->status = (tt_status)(next() % TT_STATUS_COUNT);
	ev->cache = (tt_cache)(next() % TT_CACHE_COUNT);
	ev->outcome = (tt_outcome)(next() % TT_OUTCOME_COUNT);
	ev->quality_milli = next() % 3 == 0 ? -1 : (int32_t)(next() % 1001);
	if (next() & 1) {
		ev->has_cost = true;
		ev->cost_source = TT_COST_GATEWAY;
		ev->cost_nanos = (int64_t)(next() % 100000000000ULL);
	}
}

static void test_round_trip(void **state)
{
	char line[8192];
	got g;
	for (int i = 0; i < 20000; i++) {
		tt_event ev;
		random_event(&ev);
		size_t n = event_write_json(&ev, line, sizeof line);
		assert_true(n < sizeof line);
		assert_int_equal(line[n - 1], '\n');
		if (run(&g, i & 1 ? TT_FORMAT_NATIVE : TT_FORMAT_AUTO, line, n) != 1)
			fail_msg("%s -> %s", line, g.reason[0]);
		tu_assert_same_event(&ev, &g.ev[0]);
		/* and writing the parsed event again gives the same line */
		char again[8192];
		assert_int_equal(event_write_json(&g.ev[0], again, sizeof again), n);
		assert_string_equal(again, line);
	}
}

/* ---- LiteLLM ---- */

static void test_litellm_rows(void **state)
{
	char *buf = tu_slurp("tests/data/parse/litellm/rows.jsonl", NULL);
	char *lines[16];
	size_t lens[16];
	int n = split_lines(buf, lines, lens, 16);
	assert_int_equal(n, 10);
	tt_event ev[10];
	got g;
	for (int i = 0; i < n; i++) {
		assert_int_equal(parse_detect(lines[i], lens[i]), TT_FORMAT_LITELLM);
		if (run(&g, TT_FORMAT_LITELLM, lines[i], lens[i]) != 1)
			fail_msg("line %d: %s", i + 1, g.reason[0]);
		ev[i] = g.ev[0];
	}
	/* row 1: tags, team alias, cached tokens in prompt_tokens_details, exact spend */
	assert_string_equal(ev[0].request_id, "chatcmpl-1");
	assert_int_equal(ev[0].ts_ms, 1735689600000LL);
	assert_string_equal(ev[0].use_case, "support-bot");
	assert_string_equal(ev[0].prompt_id, "answer-with-citations");
	assert_string_equal(ev[0].prompt_version, "v7");
	assert_string_equal(ev[0].tenant, "acme");
	assert_string_equal(ev[0].team, "support");
	assert_string_equal(ev[0].provider, "openai");
	assert_string_equal(ev[0].model, "gpt-4o-mini");
	assert_int_equal(ev[0].input_tokens, 812);
	assert_int_equal(ev[0].output_tokens, 164);
	assert_int_equal(ev[0].cached_tokens, 512);
	assert_int_equal(ev[0].latency_ms, 930);
	assert_int_equal(ev[0].ttft_ms, 210);
	assert_int_equal(ev[0].cache, TT_CACHE_MISS);
	assert_int_equal(ev[0].status, TT_STATUS_OK);
	assert_true(ev[0].has_cost);
	assert_int_equal(ev[0].cost_nanos, 123000);
	assert_int_equal(ev[0].cost_source, TT_COST_GATEWAY);
	/* row 2: metadata as a JSON string, 429 -> rate_limited, space-separated time */
	assert_int_equal(ev[1].status, TT_STATUS_RATE_LIMITED);
	assert_string_equal(ev[1].team, "growth");
	assert_string_equal(ev[1].tenant, "");
	assert_string_equal(ev[1].use_case, "gpt-4o");
	assert_string_equal(ev[1].provider, "azure");
	assert_string_equal(ev[1].model, "gpt-4o");
	assert_int_equal(ev[1].ts_ms, 1735689601000LL);
	assert_int_equal(ev[1].latency_ms, 1500);
	assert_int_equal(ev[1].cache, TT_CACHE_NONE);
	assert_true(ev[1].has_cost);
	assert_int_equal(ev[1].cost_nanos, 0);
	/* row 3: cache hit, tags as a JSON string, spend_logs_metadata, model from model_group */
	assert_int_equal(ev[2].cache, TT_CACHE_HIT);
	assert_string_equal(ev[2].team, "platform");
	assert_string_equal(ev[2].prompt_id, "page-classify");
	assert_string_equal(ev[2].prompt_version, "v2");
	assert_string_equal(ev[2].use_case, "classifier");
	assert_string_equal(ev[2].tenant, "initech");
	assert_string_equal(ev[2].model, "llama3");
	assert_string_equal(ev[2].provider, "groq");
	assert_int_equal(ev[2].latency_ms, 5);
	assert_int_equal(ev[2].ttft_ms, -1);
	/* row 4: provider from the model prefix, Timeout, cache_read_input_tokens, 1.5e-05 */
	assert_string_equal(ev[3].provider, "anthropic");
	assert_string_equal(ev[3].model, "claude-3-5-sonnet-20241022");
	assert_int_equal(ev[3].status, TT_STATUS_TIMEOUT);
	assert_int_equal(ev[3].cached_tokens, 8);
	assert_int_equal(ev[3].cost_nanos, 15000);
	assert_int_equal(ev[3].latency_ms, 30000);
	assert_int_equal(ev[3].cache, TT_CACHE_NONE);
	/* rows 5-7: error classes */
	assert_int_equal(ev[4].status, TT_STATUS_SAFETY_REFUSAL);
	assert_int_equal(ev[4].cache, TT_CACHE_MISS);
	assert_int_equal(ev[5].status, TT_STATUS_SERVER_ERROR);
	assert_int_equal(ev[6].status, TT_STATUS_CLIENT_ERROR);
	/* row 8: failure without details, endTime before startTime, empty metadata string */
	assert_int_equal(ev[7].status, TT_STATUS_SERVER_ERROR);
	assert_int_equal(ev[7].latency_ms, -1);
	assert_int_equal(ev[7].cost_nanos, 4200000);
	/* row 9: a failure as LiteLLM writes it, endTime = startTime: latency and TTFT unknown,
	 * never 0 ms */
	assert_int_equal(ev[8].status, TT_STATUS_SERVER_ERROR);
	assert_int_equal(ev[8].latency_ms, -1);
	assert_int_equal(ev[8].ttft_ms, -1);
	/* row 10: not streamed, completionStartTime = endTime: the latency, but no TTFT */
	assert_int_equal(ev[9].status, TT_STATUS_OK);
	assert_int_equal(ev[9].latency_ms, 800);
	assert_int_equal(ev[9].ttft_ms, -1);
	free(buf);
}

static void test_litellm_page(void **state)
{
	size_t len;
	char *buf = tu_slurp("tests/data/parse/litellm/page.json", &len);
	got g;
	assert_int_equal(parse_detect(buf, len), TT_FORMAT_LITELLM);
	assert_int_equal(run(&g, TT_FORMAT_AUTO, buf, len), 2);
	assert_int_equal(g.nev, 2);
	assert_string_equal(g.ev[0].request_id, "chatcmpl-1");
	assert_string_equal(g.ev[1].request_id, "chatcmpl-3");
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.item[0], 1);
	assert_string_equal(g.reason[0], "prompt_tokens: negative (-3)");
	free(buf);

	buf = tu_slurp("tests/data/parse/litellm/array.json", &len);
	assert_int_equal(run(&g, TT_FORMAT_LITELLM, buf, len), 2);
	assert_string_equal(g.ev[0].request_id, "chatcmpl-2");
	assert_string_equal(g.ev[1].request_id, "chatcmpl-6");
	assert_int_equal(g.nrej, 0);
	free(buf);

	buf = tu_slurp("tests/data/parse/litellm/single.json", &len);
	assert_int_equal(run(&g, TT_FORMAT_AUTO, buf, len), 1);
	assert_string_equal(g.ev[0].request_id, "chatcmpl-1");
	free(buf);

	/* an element that is not an object, and an empty page */
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM,
	                         "[3,{\"request_id\":\"x\",\"startTime\":\"2025-01-01\"}]"),
	                 1);
	assert_int_equal(g.item[0], 0);
	assert_string_equal(g.reason[0], "expected an object");
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM, "{\"data\":[],\"total\":0}"), 0);
	assert_int_equal(g.nrej, 0);
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM, "[]"), 0);
}

/* LiteLLM's StandardLoggingPayload (its s3, GCS and generic loggers), from LiteLLM's own test
 * data: id, response_cost, error_information beside metadata, times as text or Unix seconds. */
static void test_litellm_standard_payload(void **state)
{
	(void)state;
	size_t len;
	char *buf = tu_slurp("tests/data/parse/litellm/standard_logging_payload.json", &len);
	got g;
	for (int f = 0; f < 2; f++) {
		if (run(&g, f ? TT_FORMAT_AUTO : TT_FORMAT_LITELLM, buf, len) != 1)
			fail_msg("%s", g.reason[0]);
		tt_event *e = &g.ev[0];
		assert_string_equal(e->request_id, "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f");
		assert_int_equal(e->ts_ms, 1737710446847LL); /* 2025-01-24 09:20:46.847371 */
		assert_true(e->has_cost);
		assert_int_equal(e->cost_nanos, 225000); /* 0.00022500000000000002 */
		assert_int_equal(e->input_tokens, 10);
		assert_int_equal(e->output_tokens, 20);
		assert_string_equal(e->model, "gpt-4o");
		assert_string_equal(e->provider, "openai");
		assert_int_equal(e->status, TT_STATUS_OK); /* empty error_information, "success" */
		assert_int_equal(e->latency_ms, 4);
		assert_int_equal(e->ttft_ms, -1); /* completionStartTime = endTime */
	}
	free(buf);
	/* Unix seconds, and a failure described beside metadata */
	assert_int_equal(
	    run_str(&g, TT_FORMAT_AUTO,
	            "{\"id\": \"x-1\", \"startTime\": 1737710446.5, "
	            "\"endTime\": 1737710447.75, \"response_cost\": 0, "
	            "\"model\": \"gpt-4o\", \"status\": \"failure\", \"metadata\": {}, "
	            "\"error_information\": {\"error_class\": \"RateLimitError\", "
	            "\"error_code\": \"429\"}}"),
	    1);
	assert_int_equal(g.ev[0].ts_ms, 1737710446500LL);
	assert_int_equal(g.ev[0].latency_ms, 1250);
	assert_int_equal(g.ev[0].status, TT_STATUS_RATE_LIMITED);
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM, "{\"id\": \"x-2\", \"startTime\": true}"),
	                 -1);
	assert_string_equal(g.reason[0], "startTime: not a time (true)");
}

static void test_litellm_bad(void **state)
{
	check_bad_file("litellm", TT_FORMAT_LITELLM);
}

static void test_litellm_tags(void **state)
{
	got g;
	/* first tag of a kind wins; unknown and colon-less tags are ignored; long unknown ones
	 * too */
	char line[2048];
	char longtag[400];
	memset(longtag, 'z', 300);
	longtag[300] = 0;
	snprintf(line, sizeof line,
	         "{\"request_id\":\"t\",\"startTime\":\"2025-01-01T00:00:00Z\","
	         "\"request_tags\":[\"plain\",\"%s\",\"team:a\",\"team:b\",\"prompt:p@x@v9\","
	         "\"prompt_version:v1\",\"use_case:\"],\"model_group\":\"grp\"}",
	         longtag);
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM, line), 1);
	assert_string_equal(g.ev[0].team, "a");
	assert_string_equal(g.ev[0].prompt_id, "p@x");
	assert_string_equal(g.ev[0].prompt_version, "v9");
	assert_string_equal(g.ev[0].use_case, "grp");
	assert_string_equal(g.ev[0].model, "grp");
	assert_false(g.ev[0].has_cost);
	/* JSON booleans for cache_hit, and a hit regardless of cache_key */
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM,
	                         "{\"request_id\":\"t\",\"startTime\":\"2025-01-01\","
	                         "\"cache_hit\":true,\"cache_key\":\"Cache OFF\"}"),
	                 1);
	assert_int_equal(g.ev[0].cache, TT_CACHE_HIT);
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM,
	                         "{\"request_id\":\"t\",\"startTime\":\"2025-01-01\","
	                         "\"cache_hit\":false,\"cache_key\":\"abc\"}"),
	                 1);
	assert_int_equal(g.ev[0].cache, TT_CACHE_MISS);
	/* status from metadata.status when the row has none; error_information alone fails */
	assert_int_equal(run_str(&g, TT_FORMAT_LITELLM,
	                         "{\"request_id\":\"t\",\"startTime\":\"2025-01-01\","
	                         "\"metadata\":{\"error_information\":{\"error_code\":502}}}"),
	                 1);
	assert_int_equal(g.ev[0].status, TT_STATUS_SERVER_ERROR);
	assert_int_equal(
	    run_str(&g, TT_FORMAT_LITELLM,
	            "{\"request_id\":\"t\",\"startTime\":\"2025-01-01\",\"status\":"
	            "\"success\",\"metadata\":{\"error_information\":{\"error_code\":429}}}"),
	    1);
	assert_int_equal(g.ev[0].status, TT_STATUS_OK);
	assert_int_equal(
	    run_str(&g, TT_FORMAT_LITELLM,
	            "{\"request_id\":\"t\",\"startTime\":\"2025-01-01\",\"status\":"
	            "\"failure\",\"metadata\":{\"error_information\":{\"error_code\":\"404\","
	            "\"error_class\":\"NotFoundError\"}}}"),
	    1);
	assert_int_equal(g.ev[0].status, TT_STATUS_CLIENT_ERROR);
}

/* ---- OTel ---- */

static void test_otel_export(void **state)
{
	size_t len;
	char *buf = tu_slurp("tests/data/parse/otel/export.jsonl", &len);
	got g;
	assert_int_equal(parse_detect(buf, len), TT_FORMAT_OTEL);
	assert_int_equal(run(&g, TT_FORMAT_AUTO, buf, len), 2);
	assert_int_equal(g.nrej, 0);
	const tt_event *a = &g.ev[0], *b = &g.ev[1];
	assert_string_equal(a->request_id, "chatcmpl-abc");
	assert_int_equal(a->ts_ms, 1764406800123LL);
	assert_int_equal(a->latency_ms, 930);
	assert_int_equal(a->ttft_ms, 210);
	assert_string_equal(a->provider, "openai");
	assert_string_equal(a->model, "gpt-4o-mini");
	assert_int_equal(a->input_tokens, 812);
	assert_int_equal(a->output_tokens, 164);
	assert_int_equal(a->cached_tokens, 512);
	assert_string_equal(a->use_case, "support-bot"); /* service.name of the resource */
	assert_string_equal(a->team, "support");
	assert_string_equal(a->gateway, "gw-eu-1");
	assert_string_equal(a->tenant, "acme");
	assert_string_equal(a->prompt_id, "answer-with-citations");
	assert_string_equal(a->prompt_version, "v7");
	assert_int_equal(a->cache, TT_CACHE_MISS);
	assert_int_equal(a->status, TT_STATUS_OK);
	assert_false(a->has_cost);

	assert_string_equal(b->request_id, "5b8efff798038103d269b633813fc60c:bbb19b7ec3c1b174");
	assert_string_equal(b->provider, "anthropic");
	assert_string_equal(b->use_case, "support-bot-eval");
	assert_int_equal(b->status, TT_STATUS_RATE_LIMITED);
	assert_int_equal(b->latency_ms, 2500);
	assert_int_equal(b->input_tokens, 1200);
	free(buf);
}

static void test_otel_deprecated_and_spans(void **state)
{
	size_t len;
	char *buf = tu_slurp("tests/data/parse/otel/deprecated.jsonl", &len);
	got g;
	assert_int_equal(run(&g, TT_FORMAT_OTEL, buf, len), 1);
	assert_string_equal(g.ev[0].provider, "openai");
	assert_string_equal(g.ev[0].model, "gpt-3.5-turbo-0125");
	assert_int_equal(g.ev[0].input_tokens, 15);
	assert_int_equal(g.ev[0].output_tokens, 3);
	assert_int_equal(g.ev[0].cached_tokens, 0);
	assert_int_equal(g.ev[0].status, TT_STATUS_SERVER_ERROR);
	assert_int_equal(g.ev[0].latency_ms, 250);
	free(buf);

	buf = tu_slurp("tests/data/parse/otel/spans.jsonl", NULL);
	char *lines[8];
	size_t lens[8];
	int n = split_lines(buf, lines, lens, 8);
	assert_int_equal(n, 3);
	assert_int_equal(run(&g, TT_FORMAT_AUTO, lines[0], lens[0]), 1);
	assert_string_equal(g.ev[0].use_case, "bare");
	assert_true(g.ev[0].elevated);
	assert_int_equal(g.ev[0].quality_milli, 500);
	assert_true(g.ev[0].has_cost);
	assert_int_equal(g.ev[0].cost_nanos, 100000);
	assert_int_equal(g.ev[0].outcome, TT_OUTCOME_SUCCESS);
	/* a span that is not GenAI: nothing emitted, nothing rejected */
	assert_int_equal(run(&g, TT_FORMAT_OTEL, lines[1], lens[1]), 0);
	assert_int_equal(g.nev + g.nrej, 0);
	assert_int_equal(run(&g, TT_FORMAT_AUTO, lines[2], lens[2]), 1);
	assert_string_equal(g.ev[0].model, "text-embedding-3-small");
	assert_int_equal(g.ev[0].status, TT_STATUS_TIMEOUT);
	free(buf);
}

static void test_otel_bad(void **state)
{
	check_bad_file("otel", TT_FORMAT_OTEL);
}

static void test_otel_error_types(void **state)
{
	static const struct {
		const char *type;
		tt_status want;
	} cases[] = {
	    {"timeout", TT_STATUS_TIMEOUT},
	    {"openai.APITimeoutError", TT_STATUS_TIMEOUT},
	    {"429", TT_STATUS_RATE_LIMITED},
	    {"RateLimitError", TT_STATUS_RATE_LIMITED},
	    {"503", TT_STATUS_SERVER_ERROR},
	    {"InternalServerError", TT_STATUS_SERVER_ERROR},
	    {"content_filter", TT_STATUS_SAFETY_REFUSAL},
	    {"400", TT_STATUS_CLIENT_ERROR},
	    {"_OTHER", TT_STATUS_CLIENT_ERROR},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[1024];
		got g;
		snprintf(line, sizeof line,
		         "{\"traceId\":\"t\",\"spanId\":\"s\",\"startTimeUnixNano\":1,"
		         "\"attributes\":[{\"key\":\"gen_ai.provider.name\",\"value\":{"
		         "\"stringValue\":\"x\"}},{\"key\":\"error.type\",\"value\":{"
		         "\"stringValue\":\"%s\"}}],\"status\":{\"code\":2}}",
		         cases[i].type);
		assert_int_equal(run_str(&g, TT_FORMAT_OTEL, line), 1);
		if (g.ev[0].status != cases[i].want)
			fail_msg("%s: got %s", cases[i].type, event_status_name(g.ev[0].status));
	}
	/* operations that wrap model calls are skipped */
	got g;
	assert_int_equal(
	    run_str(&g, TT_FORMAT_OTEL,
	            "{\"traceId\":\"t\",\"spanId\":\"s\",\"startTimeUnixNano\":1,"
	            "\"attributes\":[{\"key\":\"gen_ai.operation.name\",\"value\":{"
	            "\"stringValue\":\"invoke_agent\"}},{\"key\":\"gen_ai.usage.input_tokens\","
	            "\"value\":{\"intValue\":\"5\"}}]}"),
	    0);
	assert_int_equal(g.nrej, 0);
	/* an empty export */
	assert_int_equal(run_str(&g, TT_FORMAT_OTEL, "{\"resourceSpans\":[]}"), 0);
	assert_int_equal(run_str(&g, TT_FORMAT_OTEL, "{\"resourceSpans\":[{}]}"), 0);
}

/* ---- robustness ---- */

static void check_never_crashes(const char *path)
{
	size_t len;
	char *buf = tu_slurp(path, &len);
	got g;
	parse_sink sink = {on_event, on_reject, &g};
	/* every prefix, parsed from a private copy so that reading past it would be caught */
	for (size_t n = 0; n < len && n < 4096; n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		memset(&g, 0, sizeof g);
		int rc = parse_record(TT_FORMAT_AUTO, copy, n, &sink);
		assert_true(rc >= -1);
		free(copy);
	}
	/* single-byte changes */
	for (size_t i = 0; i < len && i < 2048; i++) {
		char *copy = malloc(len);
		memcpy(copy, buf, len);
		copy[i] = (char)next();
		memset(&g, 0, sizeof g);
		for (int f = 0; f < TT_FORMAT_COUNT; f++)
			parse_record((tt_format)f, copy, len, &sink);
		free(copy);
	}
	free(buf);
}

static void test_robust(void **state)
{
	check_never_crashes("tests/data/parse/native/good.jsonl");
	check_never_crashes("tests/data/parse/litellm/page.json");
	check_never_crashes("tests/data/parse/litellm/rows.jsonl");
	check_never_crashes("tests/data/parse/otel/export.jsonl");
	check_never_crashes("tests/data/parse/otel/spans.jsonl");
	/* sinks without callbacks, and no sink */
	const char *line = "{\"request_id\":\"a\",\"ts\":\"2026-01-01\",\"status\":\"ok\"}";
	parse_sink empty = {NULL, NULL, NULL};
	assert_int_equal(parse_record(TT_FORMAT_NATIVE, line, strlen(line), &empty), 1);
	assert_int_equal(parse_record(TT_FORMAT_NATIVE, line, strlen(line), NULL), 1);
	assert_int_equal(parse_record(TT_FORMAT_NATIVE, "{", 1, NULL), -1);
	assert_int_equal(parse_record(TT_FORMAT_NATIVE, NULL, 10, NULL), -1);
	assert_int_equal(parse_record((tt_format)77, line, strlen(line), NULL), -1);
}

/* A sink that parses again from inside its callback. */
static void nested_event(void *ctx, const tt_event *ev)
{
	got *g = ctx;
	char line[1024];
	size_t n = event_write_json(ev, line, sizeof line);
	got inner;
	assert_int_equal(run(&inner, TT_FORMAT_NATIVE, line, n), 1);
	tu_assert_same_event(ev, &inner.ev[0]);
	g->total_ev++;
}

static void test_reentrant(void **state)
{
	size_t len;
	char *buf = tu_slurp("tests/data/parse/litellm/page.json", &len);
	got g;
	memset(&g, 0, sizeof g);
	parse_sink sink = {nested_event, on_reject, &g};
	assert_int_equal(parse_record(TT_FORMAT_LITELLM, buf, len, &sink), 2);
	assert_int_equal(g.total_ev, 2);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_names),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_native_good),
	    cmocka_unit_test(test_native_bad),
	    cmocka_unit_test(test_native_reasons),
	    cmocka_unit_test(test_native_values),
	    cmocka_unit_test(test_native_huge),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_litellm_rows),
	    cmocka_unit_test(test_litellm_page),
	    cmocka_unit_test(test_litellm_standard_payload),
	    cmocka_unit_test(test_litellm_bad),
	    cmocka_unit_test(test_litellm_tags),
	    cmocka_unit_test(test_otel_export),
	    cmocka_unit_test(test_otel_deprecated_and_spans),
	    cmocka_unit_test(test_otel_bad),
	    cmocka_unit_test(test_otel_error_types),
	    cmocka_unit_test(test_robust),
	    cmocka_unit_test(test_reentrant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
