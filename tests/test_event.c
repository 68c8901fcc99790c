/* Tests for the request event: defaults, enum names, string fields and the JSONL writer. */
#include "testutil.h"

#include "tokentop/event.h"
#include "tokentop/timeutil.h"

static const char design_line[] =
    "{\"request_id\":\"r-8f2c\",\"ts\":\"2026-11-29T09:00:00.123Z\",\"gateway\":\"gw-eu-1\","
    "\"tenant\":\"acme\",\"team\":\"support\",\"use_case\":\"support-bot\","
    "\"prompt_id\":\"answer-with-citations\",\"prompt_version\":\"v7\","
    "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"tier\":\"good\",\"elevated\":false,"
    "\"input_tokens\":812,\"output_tokens\":164,\"cached_tokens\":512,"
    "\"latency_ms\":930,\"ttft_ms\":210,\"retrieval_ms\":80,\"queue_ms\":12,"
    "\"status\":\"ok\",\"cache\":\"miss\",\"outcome\":\"success\",\"quality\":0.92}\n";

static void set(char *dst, size_t cap, const char *s)
{
	assert_int_equal(event_set_str(dst, cap, s, strlen(s)), 0);
}

#define SET(ev, f, s) set((ev)->f, sizeof((ev)->f), (s))

static void design_event(tt_event *ev)
{
	event_init(ev);
	SET(ev, request_id, "r-8f2c");
	assert_int_equal(time_parse_iso("2026-11-29T09:00:00.123Z", 24, &ev->ts_ms), 0);
	SET(ev, gateway, "gw-eu-1");
	SET(ev, tenant, "acme");
	SET(ev, team, "support");
	SET(ev, use_case, "support-bot");
	SET(ev, prompt_id, "answer-with-citations");
	SET(ev, prompt_version, "v7");
	SET(ev, provider, "openai");
	SET(ev, model, "gpt-4o-mini");
	SET(ev, tier, "good");
	ev->input_tokens = 812;
	ev->output_tokens = 164;
	ev->cached_tokens = 512;
	ev->latency_ms = 930;
	ev->ttft_ms = 210;
	ev->retrieval_ms = 80;
	ev->queue_ms = 12;
	ev->cache = TT_CACHE_MISS;
	ev->outcome = TT_OUTCOME_SUCCESS;
	ev->quality_milli = 920;
}

static void test_init(void **state)
{
	tt_event ev;
	memset(&ev, 0x5a, sizeof ev);
	event_init(&ev);
	assert_string_equal(ev.request_id, "");
	assert_string_equal(ev.model, "");
	assert_int_equal(ev.ts_ms, 0);
	assert_int_equal(ev.input_tokens, 0);
	assert_int_equal(ev.latency_ms, -1);
	assert_int_equal(ev.ttft_ms, -1);
	assert_int_equal(ev.retrieval_ms, -1);
	assert_int_equal(ev.queue_ms, -1);
	assert_int_equal(ev.quality_milli, -1);
	assert_int_equal(ev.status, TT_STATUS_OK);
	assert_int_equal(ev.cache, TT_CACHE_NONE);
	assert_int_equal(ev.outcome, TT_OUTCOME_NONE);
	assert_false(ev.has_cost);
	assert_false(ev.elevated);
	assert_int_equal(ev.cost_source, TT_COST_UNPRICED);
}

static void test_names_round_trip(void **state)
{
	for (int s = 0; s < TT_STATUS_COUNT; s++) {
		const char *n = event_status_name((tt_status)s);
		tt_status back;
		assert_non_null(n);
		assert_int_equal(event_status_parse(n, strlen(n), &back), 0);
		assert_int_equal(back, s);
	}
	for (int c = 0; c < TT_CACHE_COUNT; c++) {
		const char *n = event_cache_name((tt_cache)c);
		tt_cache back;
		assert_int_equal(event_cache_parse(n, strlen(n), &back), 0);
		assert_int_equal(back, c);
	}
	for (int o = 1; o < TT_OUTCOME_COUNT; o++) {
		const char *n = event_outcome_name((tt_outcome)o);
		tt_outcome back;
		assert_int_equal(event_outcome_parse(n, strlen(n), &back), 0);
		assert_int_equal(back, o);
	}
	assert_string_equal(event_status_name(TT_STATUS_SAFETY_REFUSAL), "safety_refusal");
	assert_string_equal(event_cost_source_name(TT_COST_CARD), "card");
	assert_null(event_status_name(TT_STATUS_COUNT));
	assert_null(event_status_name((tt_status)-1));
	assert_null(event_cache_name(TT_CACHE_COUNT));
	assert_null(event_outcome_name(TT_OUTCOME_COUNT));
	assert_null(event_cost_source_name(TT_COST_COUNT));
}

static void test_parse_rejects(void **state)
{
	tt_status s = TT_STATUS_KILLED;
	tt_cache c = TT_CACHE_HIT;
	tt_outcome o = TT_OUTCOME_FAILURE;
	assert_int_equal(event_status_parse("OK", 2, &s), -1);
	assert_int_equal(event_status_parse("ok ", 3, &s), -1);
	assert_int_equal(event_status_parse("o", 1, &s), -1);
	assert_int_equal(event_status_parse("okay", 2, &s), 0); /* length decides */
	assert_int_equal(s, TT_STATUS_OK);
	assert_int_equal(event_status_parse(NULL, 0, &s), -1);
	assert_int_equal(event_cache_parse("", 0, &c), -1);
	assert_int_equal(c, TT_CACHE_HIT);
	assert_int_equal(event_outcome_parse("none", 4, &o), -1);
	assert_int_equal(o, TT_OUTCOME_FAILURE);
}

static void test_status_is_error(void **state)
{
	assert_false(event_status_is_error(TT_STATUS_OK));
	assert_true(event_status_is_error(TT_STATUS_TIMEOUT));
	assert_true(event_status_is_error(TT_STATUS_RATE_LIMITED));
	assert_true(event_status_is_error(TT_STATUS_SERVER_ERROR));
	assert_false(event_status_is_error(TT_STATUS_SAFETY_REFUSAL));
	assert_false(event_status_is_error(TT_STATUS_CLIENT_ERROR));
	assert_false(event_status_is_error(TT_STATUS_KILLED));
	assert_false(event_status_is_error(TT_STATUS_THROTTLED));
}

static void test_set_str(void **state)
{
	char buf[4] = "abc";
	assert_int_equal(event_set_str(buf, sizeof buf, "xyz", 3), 0);
	assert_string_equal(buf, "xyz");
	assert_int_equal(event_set_str(buf, sizeof buf, "wxyz", 4), -1);
	assert_string_equal(buf, "xyz");
	assert_int_equal(event_set_str(buf, sizeof buf, "a\0b", 3), -1);
	assert_int_equal(event_set_str(buf, sizeof buf, "", 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(event_set_str(buf, sizeof buf, NULL, 0), 0);
	assert_int_equal(event_set_str(buf, 0, "", 0), -1);
}

static void test_write_design_line(void **state)
{
	tt_event ev;
	char buf[8192];
	design_event(&ev);
	size_t n = event_write_json(&ev, buf, sizeof buf);
	assert_string_equal(buf, design_line);
	assert_int_equal(n, strlen(design_line));
}

static void test_write_minimal(void **state)
{
	tt_event ev;
	char buf[1024];
	event_init(&ev);
	SET(&ev, request_id, "m1");
	ev.ts_ms = 0;
	event_write_json(&ev, buf, sizeof buf);
	assert_string_equal(buf, "{\"request_id\":\"m1\",\"ts\":\"1970-01-01T00:00:00.000Z\","
	                         "\"elevated\":false,\"input_tokens\":0,\"output_tokens\":0,"
	                         "\"cached_tokens\":0,\"status\":\"ok\",\"cache\":\"none\"}\n");
}

static void expect_cost(int64_t nanos, const char *want)
{
	tt_event ev;
	char buf[1024], tail[64];
	event_init(&ev);
	SET(&ev, request_id, "c");
	ev.has_cost = true;
	ev.cost_nanos = nanos;
	event_write_json(&ev, buf, sizeof buf);
	snprintf(tail, sizeof tail, ",\"cost_usd\":%s}\n", want);
	const char *at = strstr(buf, ",\"cost_usd\":");
	assert_non_null(at);
	assert_string_equal(at, tail);
}

static void test_write_cost(void **state)
{
	expect_cost(123000, "0.000123");
	expect_cost(0, "0");
	expect_cost(1, "0.000000001");
	expect_cost(480, "0.00000048");
	expect_cost(1500000000, "1.5");
	expect_cost(2000000000, "2");
	expect_cost(12345678000, "12.345678");
	expect_cost(-250000000, "-0.25");
	expect_cost(INT64_MAX, "9223372036.854775807");
	expect_cost(INT64_MIN, "-9223372036.854775808");
}

static void expect_quality(int32_t milli, const char *want)
{
	tt_event ev;
	char buf[1024], tail[64];
	event_init(&ev);
	SET(&ev, request_id, "q");
	ev.quality_milli = milli;
	event_write_json(&ev, buf, sizeof buf);
	snprintf(tail, sizeof tail, ",\"quality\":%s}\n", want);
	const char *at = strstr(buf, ",\"quality\":");
	assert_non_null(at);
	assert_string_equal(at, tail);
}

static void test_write_quality(void **state)
{
	expect_quality(920, "0.92");
	expect_quality(0, "0");
	expect_quality(1000, "1");
	expect_quality(5, "0.005");
	expect_quality(999, "0.999");
	tt_event ev;
	char buf[1024];
	event_init(&ev);
	SET(&ev, request_id, "q");
	ev.quality_milli = -7;
	event_write_json(&ev, buf, sizeof buf);
	assert_null(strstr(buf, "quality"));
}

static void test_write_escapes(void **state)
{
	tt_event ev;
	char buf[2048];
	event_init(&ev);
	SET(&ev, request_id, "a\"b\\c\nd\te\x01\x1f");
	SET(&ev, tenant, "caf\xc3\xa9");
	event_write_json(&ev, buf, sizeof buf);
	assert_non_null(strstr(buf, "\"request_id\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\""));
	assert_non_null(strstr(buf, "\"tenant\":\"caf\xc3\xa9\""));
}

static void test_write_omits_absent(void **state)
{
	tt_event ev;
	char buf[2048];
	design_event(&ev);
	ev.gateway[0] = 0;
	ev.latency_ms = -1;
	ev.queue_ms = -1;
	ev.outcome = TT_OUTCOME_NONE;
	ev.elevated = true;
	event_write_json(&ev, buf, sizeof buf);
	assert_null(strstr(buf, "gateway"));
	assert_null(strstr(buf, "latency_ms"));
	assert_null(strstr(buf, "queue_ms"));
	assert_null(strstr(buf, "outcome"));
	assert_null(strstr(buf, "cost_usd"));
	assert_non_null(strstr(buf, "\"elevated\":true,"));
	assert_non_null(strstr(buf, "\"ttft_ms\":210,\"retrieval_ms\":80,\"status\""));
}

static void test_write_snprintf_semantics(void **state)
{
	tt_event ev;
	char big[8192], small[40];
	design_event(&ev);
	size_t full = event_write_json(&ev, big, sizeof big);
	memset(small, 'X', sizeof small);
	size_t n = event_write_json(&ev, small, sizeof small);
	assert_int_equal(n, full);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, big, sizeof small - 1);
	assert_int_equal(event_write_json(&ev, NULL, 0), full);
	small[0] = 'Y';
	assert_int_equal(event_write_json(&ev, small, 0), full);
	assert_int_equal(small[0], 'Y');
	/* exactly enough room for the text but not the NUL */
	char *exact = malloc(full);
	assert_int_equal(event_write_json(&ev, exact, full), full);
	assert_int_equal(strlen(exact), full - 1);
	free(exact);
}

static void test_write_worst_case(void **state)
{
	tt_event ev;
	event_init(&ev);
	/* every string full of bytes that need \u escapes */
	memset(ev.request_id, 1, sizeof ev.request_id - 1);
	memset(ev.gateway, 1, sizeof ev.gateway - 1);
	memset(ev.tenant, 1, sizeof ev.tenant - 1);
	memset(ev.team, 1, sizeof ev.team - 1);
	memset(ev.use_case, 1, sizeof ev.use_case - 1);
	memset(ev.prompt_id, 1, sizeof ev.prompt_id - 1);
	memset(ev.prompt_version, 1, sizeof ev.prompt_version - 1);
	memset(ev.provider, 1, sizeof ev.provider - 1);
	memset(ev.model, 1, sizeof ev.model - 1);
	memset(ev.tier, 1, sizeof ev.tier - 1);
	ev.input_tokens = ev.output_tokens = ev.cached_tokens = INT64_MIN;
	ev.latency_ms = ev.ttft_ms = ev.retrieval_ms = ev.queue_ms = INT64_MAX;
	ev.ts_ms = INT64_MIN;
	ev.has_cost = true;
	ev.cost_nanos = INT64_MIN;
	ev.quality_milli = INT32_MAX;
	ev.status = (tt_status)99;
	ev.cache = (tt_cache)99;
	ev.outcome = (tt_outcome)99;
	size_t need = event_write_json(&ev, NULL, 0);
	char *buf = malloc(need + 1);
	assert_int_equal(event_write_json(&ev, buf, need + 1), need);
	assert_int_equal(strlen(buf), need);
	assert_int_equal(buf[need - 1], '\n');
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_names_round_trip),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_status_is_error),
	    cmocka_unit_test(test_set_str),
	    cmocka_unit_test(test_write_design_line),
	    cmocka_unit_test(test_write_minimal),
	    cmocka_unit_test(test_write_cost),
	    cmocka_unit_test(test_write_quality),
	    cmocka_unit_test(test_write_escapes),
	    cmocka_unit_test(test_write_omits_absent),
	    cmocka_unit_test(test_write_snprintf_semantics),
	    cmocka_unit_test(test_write_worst_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
