/* Tests for the synthetic workload: determinism, exact counts, order, ids, mix, shape, values. */
#include "testutil.h"

#include "tokentop/timeutil.h"
#include "tokentop/workload.h"

#define DAY_MS  86400000LL
#define HOUR_MS 3600000LL
#define BIG     200000

/* 2025-12-01, a Monday. */
static int64_t monday(void)
{
	return time_days_from_civil(2025, 12, 1) * DAY_MS;
}

static workload *make(uint64_t seed, uint64_t events, int64_t start, int64_t span)
{
	workload_opts o = {.seed = seed, .start_ms = start, .span_ms = span, .events = events};
	workload *w = workload_new(&o);
	assert_non_null(w);
	return w;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

static uint64_t fnv_int(uint64_t h, int64_t v)
{
	return fnv(h, &v, sizeof v);
}

/* Every field, by value (the struct's padding and unused bytes are not part of the event). */
static uint64_t event_hash(uint64_t h, const tt_event *e)
{
	const char *strs[] = {e->request_id, e->gateway,        e->tenant,   e->team,  e->use_case,
	                      e->prompt_id,  e->prompt_version, e->provider, e->model, e->tier};
	int64_t ints[] = {e->ts_ms,         e->elevated,   e->input_tokens, e->output_tokens,
	                  e->cached_tokens, e->latency_ms, e->ttft_ms,      e->retrieval_ms,
	                  e->queue_ms,      e->status,     e->cache,        e->outcome,
	                  e->quality_milli, e->has_cost,   e->cost_nanos,   e->cost_source,
	                  e->saved_nanos};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		h = fnv_str(h, strs[i]);
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		h = fnv_int(h, ints[i]);
	return h;
}

static uint64_t stream_hash(uint64_t seed, int n)
{
	workload *w = make(seed, 50000, monday(), 7 * DAY_MS);
	tt_event e;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < n; i++) {
		assert_int_equal(workload_next(w, &e), 1);
		h = event_hash(h, &e);
	}
	workload_free(w);
	return h;
}

static void test_same_seed_same_stream(void **state)
{
	workload *a = make(42, 50000, monday(), 7 * DAY_MS);
	workload *b = make(42, 50000, monday(), 7 * DAY_MS);
	tt_event ea, eb;
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(workload_next(a, &ea), 1);
		assert_int_equal(workload_next(b, &eb), 1);
		tu_assert_same_event(&ea, &eb);
	}
	workload_free(a);
	workload_free(b);
	assert_true(stream_hash(42, 10000) == stream_hash(42, 10000));
}

static void test_other_seed_other_stream(void **state)
{
	assert_true(stream_hash(1, 10000) != stream_hash(2, 10000));
	workload *a = make(1, 1000, monday(), DAY_MS);
	workload *b = make(2, 1000, monday(), DAY_MS);
	tt_event ea, eb;
	int same_ts = 0;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(workload_next(a, &ea), 1);
		assert_int_equal(workload_next(b, &eb), 1);
		assert_string_not_equal(ea.request_id, eb.request_id);
		same_ts += ea.ts_ms == eb.ts_ms;
	}
	assert_true(same_ts < 1000);
	workload_free(a);
	workload_free(b);
}

/* The exact stream is part of the contract: the same seed gives the same bytes on every
 * machine. Change this value only with an intended change of the model (and say so in
 * docs/gen.md). */
static void test_golden_stream(void **state)
{
	uint64_t h = stream_hash(1, 1000);
	if (h != 0xfdc289e2806e5482ULL)
		fail_msg("stream hash %016llx", (unsigned long long)h);
}

static void expect_count(uint64_t events, int64_t start, int64_t span)
{
	workload *w = make(7, events, start, span);
	tt_event e;
	uint64_t n = 0;
	int64_t last = start;
	while (workload_next(w, &e)) {
		if (e.ts_ms < last || e.ts_ms >= start + span)
			fail_msg("event %llu at %lld outside [%lld, %lld) or out of order",
			         (unsigned long long)n, (long long)e.ts_ms, (long long)last,
			         (long long)(start + span));
		last = e.ts_ms;
		n++;
	}
	assert_int_equal(n, events);
	assert_int_equal(workload_next(w, &e), 0);
	workload_free(w);
}

static void test_exact_count_sorted_in_range(void **state)
{
	int64_t t0 = monday() + 12345;
	expect_count(0, t0, DAY_MS);
	expect_count(1, t0, DAY_MS);
	expect_count(7, t0, 1);
	expect_count(1000, t0, 1);
	expect_count(999, t0, 59999);
	expect_count(12345, t0, 90 * 60000 + 17);
	expect_count(100003, t0, 7 * DAY_MS);
	expect_count(70000, t0, 60000); /* more events than milliseconds in one minute */
	expect_count(50000, t0, 400 * DAY_MS);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_unique_time_sorted_ids(void **state)
{
	enum { ID = 40 };
	char *ids = malloc((size_t)BIG * ID);
	assert_non_null(ids);
	workload *w = make(3, BIG, monday(), 2 * DAY_MS);
	tt_event e;
	for (int i = 0; i < BIG; i++) {
		assert_int_equal(workload_next(w, &e), 1);
		assert_true(strlen(e.request_id) < ID);
		strcpy(ids + (size_t)i * ID, e.request_id);
		if (i && strcmp(ids + (size_t)(i - 1) * ID, e.request_id) > 0) {
			/* equal time stamps may come in any id order, later ones never sort first
			 */
			assert_memory_equal(ids + (size_t)(i - 1) * ID, e.request_id, 14);
		}
	}
	workload_free(w);
	qsort(ids, BIG, ID, cmp_id);
	for (int i = 1; i < BIG; i++)
		if (strcmp(ids + (size_t)(i - 1) * ID, ids + (size_t)i * ID) == 0)
			fail_msg("duplicate request id %s", ids + (size_t)i * ID);
	free(ids);
}

enum { G_SUPPORT, G_RETAIL, G_COPILOT, G_COUNT };

static int group_of(const char *use_case)
{
	static const struct {
		const char *use_case;
		int group;
	} map[] = {
	    {"support-bot", G_SUPPORT},   {"ticket-summary", G_SUPPORT},
	    {"product-search", G_RETAIL}, {"product-descriptions", G_RETAIL},
	    {"code-assist", G_COPILOT},   {"code-review", G_COPILOT},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(use_case, map[i].use_case) == 0)
			return map[i].group;
	fail_msg("unknown use case %s", use_case);
	return -1;
}

static void test_mix(void **state)
{
	static const double want[G_COUNT] = {0.45, 0.25, 0.30};
	long n[G_COUNT] = {0};
	workload *w = make(11, BIG, monday(), 7 * DAY_MS);
	tt_event e;
	while (workload_next(w, &e))
		n[group_of(e.use_case)]++;
	workload_free(w);
	for (int g = 0; g < G_COUNT; g++) {
		double share = (double)n[g] / BIG;
		if (share < want[g] - 0.03 || share > want[g] + 0.03)
			fail_msg("workload %d share %.3f, want %.2f", g, share, want[g]);
	}
}

static void test_shape(void **state)
{
	long support_weekday = 0, support_weekend = 0, support_day = 0, support_night = 0;
	long retail_weekday = 0, retail_weekend = 0, copilot_weekday = 0, copilot_weekend = 0;
	workload *w = make(5, BIG, monday(), 7 * DAY_MS);
	tt_event e;
	while (workload_next(w, &e)) {
		int64_t off = e.ts_ms - monday();
		int weekend = off >= 5 * DAY_MS;
		int local_hour = (int)((off + HOUR_MS) % DAY_MS / HOUR_MS); /* the bank is UTC+1 */
		if (strcmp(e.use_case, "support-bot") == 0) {
			*(weekend ? &support_weekend : &support_weekday) += 1;
			if (local_hour >= 9 && local_hour < 17)
				support_day++;
			else if (local_hour < 6)
				support_night++;
		}
		switch (group_of(e.use_case)) {
		case G_RETAIL:
			*(weekend ? &retail_weekend : &retail_weekday) += 1;
			break;
		case G_COPILOT:
			*(weekend ? &copilot_weekend : &copilot_weekday) += 1;
			break;
		}
	}
	workload_free(w);
	/* per day: five weekdays, two weekend days; per hour: eight day hours, six night hours */
	assert_true(support_weekday / 5.0 > 2.0 * support_weekend / 2.0);
	assert_true(support_day / 8.0 > 4.0 * support_night / 6.0);
	assert_true(retail_weekend / 2.0 > 1.1 * retail_weekday / 5.0);
	assert_true(copilot_weekday / 5.0 > 2.0 * copilot_weekend / 2.0);
}

static void test_intensity(void **state)
{
	workload *w = make(1, 1000, monday(), 28 * DAY_MS);
	double sum = 0, prev = 0;
	int jumps = 0;
	long n = 0;
	for (int64_t t = monday(); t < monday() + 28 * DAY_MS; t += 60000, n++) {
		double v = workload_intensity(w, t);
		assert_true(v > 0);
		if (n && v > 1.3 * prev)
			jumps++;
		sum += v;
		prev = v;
	}
	double mean = sum / (double)n;
	if (mean < 0.9 || mean > 1.1)
		fail_msg("mean intensity %.3f", mean);
	assert_true(jumps > 5); /* traffic spikes start abruptly */
	/* Tuesday 11:00 UTC is busier than Sunday 03:00 UTC */
	assert_true(workload_intensity(w, monday() + DAY_MS + 11 * HOUR_MS) >
	            3 * workload_intensity(w, monday() + 6 * DAY_MS + 3 * HOUR_MS));
	workload_free(w);
}

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

typedef struct tally {
	long n, status[TT_STATUS_COUNT], cache[TT_CACHE_COUNT], elevated, has_cost;
	long support_bot, support_hits, experimental, descriptions;
	long answers, answers_elevated, copilot, copilot_elevated;
} tally;

/* Checks one event's values on their own; counts what the rates are checked on. */
static void check_event(const tt_event *e, tally *t)
{
	static const char *const gateways[] = {"gw-eu-1", "gw-us-1", NULL};
	static const char *const tiers[] = {"good", "better", "best", NULL};
	t->n++;
	assert_true(one_of(e->gateway, gateways));
	assert_true(one_of(e->tier, tiers));
	assert_true(e->status >= TT_STATUS_OK && e->status < TT_STATUS_COUNT);
	assert_true(e->status != TT_STATUS_KILLED && e->status != TT_STATUS_THROTTLED);
	assert_true(e->cache >= TT_CACHE_NONE && e->cache < TT_CACHE_COUNT);
	assert_true(e->outcome >= TT_OUTCOME_NONE && e->outcome < TT_OUTCOME_COUNT);
	assert_non_null(event_status_name(e->status));
	assert_true(e->input_tokens > 0);
	assert_true(e->cached_tokens >= 0 && e->cached_tokens <= e->input_tokens);
	assert_true(e->latency_ms > 0 && e->queue_ms >= 0);
	assert_true(e->prompt_version[0] == 'v');
	if (e->status == TT_STATUS_OK) {
		assert_true(e->output_tokens > 0);
		assert_in_range(e->quality_milli, 600, 1000);
		assert_true(e->ttft_ms > 0 && e->ttft_ms <= e->latency_ms);
	} else {
		assert_int_equal(e->output_tokens, 0);
		assert_int_equal(e->quality_milli, -1);
		assert_int_equal(e->ttft_ms, -1);
	}
	if (e->status == TT_STATUS_TIMEOUT)
		assert_true(e->latency_ms >= 15000);
	if (e->elevated)
		assert_string_not_equal(e->tier, "good");
	if (strcmp(e->use_case, "support-bot") == 0 || strcmp(e->tenant, "storefront-eu") == 0)
		assert_string_equal(e->gateway, "gw-eu-1");
	if (strcmp(e->prompt_id, "answer-with-citations") == 0) {
		/* retrieval runs unless the response cache answered or the request was malformed */
		if (e->cache != TT_CACHE_HIT && e->status != TT_STATUS_CLIENT_ERROR)
			assert_in_range(e->retrieval_ms, 40, 200);
		t->answers++;
		t->answers_elevated += e->elevated;
	}
	if (strcmp(e->prompt_id, "smalltalk") == 0)
		assert_string_equal(e->model, "llama-3.1-8b-instruct");
	if (strcmp(e->use_case, "support-bot") == 0) {
		assert_true(e->cache != TT_CACHE_NONE);
		assert_true(e->outcome != TT_OUTCOME_NONE);
		t->support_bot++;
		t->support_hits += e->cache == TT_CACHE_HIT;
	}
	if (group_of(e->use_case) == G_COPILOT) {
		t->copilot++;
		t->copilot_elevated += e->elevated;
	}
	if (strcmp(e->use_case, "product-descriptions") == 0)
		t->descriptions++;
	if (strcmp(e->model, "ministral-8b-experimental") == 0) {
		assert_string_equal(e->provider, "mistral");
		assert_string_equal(e->use_case, "product-descriptions");
		assert_false(e->has_cost);
		t->experimental++;
	}
	t->status[e->status]++;
	t->cache[e->cache]++;
	t->elevated += e->elevated;
	t->has_cost += e->has_cost;
}

static void expect_rate(const char *what, long n, long of, double lo, double hi)
{
	double r = (double)n / (double)of;
	if (r < lo || r > hi)
		fail_msg("%s: %.4f, want [%.4f, %.4f]", what, r, lo, hi);
}

static void test_values_and_rates(void **state)
{
	tally t = {0};
	workload *w = make(9, BIG, monday(), 7 * DAY_MS);
	tt_event e;
	while (workload_next(w, &e))
		check_event(&e, &t);
	workload_free(w);
	assert_int_equal(t.n, BIG);
	expect_rate("ok", t.status[TT_STATUS_OK], t.n, 0.95, 0.995);
	expect_rate("timeout", t.status[TT_STATUS_TIMEOUT], t.n, 0.002, 0.01);
	expect_rate("server_error", t.status[TT_STATUS_SERVER_ERROR], t.n, 0.002, 0.01);
	expect_rate("client_error", t.status[TT_STATUS_CLIENT_ERROR], t.n, 0.001, 0.004);
	expect_rate("safety_refusal", t.status[TT_STATUS_SAFETY_REFUSAL], t.support_bot, 0.001,
	            0.006);
	expect_rate("rate_limited", t.status[TT_STATUS_RATE_LIMITED], t.copilot, 0.015, 0.06);
	expect_rate("support cache hits", t.support_hits, t.support_bot, 0.12, 0.18);
	expect_rate("answer elevations", t.answers_elevated, t.answers, 0.06, 0.10);
	expect_rate("copilot elevations", t.copilot_elevated, t.copilot, 0.09, 0.16);
	expect_rate("gateway-costed", t.has_cost, t.n, 0.07, 0.13);
	/* the unpriced experimental model: present, about 1% of descriptions */
	assert_true(t.experimental > 0);
	expect_rate("experimental", t.experimental, t.descriptions, 0.003, 0.02);
}

/* The brief's price list, USD per million tokens, as micro-dollars: input, output, cached. */
static const struct {
	const char *model;
	int64_t in, out, cached;
} prices[] = {
    {"gpt-4o-mini", 150000, 600000, 75000},
    {"gpt-4o", 2500000, 10000000, 1250000},
    {"o3", 2000000, 8000000, 500000},
    {"claude-haiku-4-5", 1000000, 5000000, 100000},
    {"claude-sonnet-4-5", 3000000, 15000000, 300000},
    {"claude-opus-4-1", 15000000, 75000000, 1500000},
    {"gemini-2.5-flash", 300000, 2500000, 75000},
    {"gemini-2.5-pro", 1250000, 10000000, 310000},
    {"llama-3.1-8b-instruct", 50000, 50000, 50000},
    {"qwen2.5-coder-32b", 200000, 200000, 200000},
};

static void test_gateway_cost(void **state)
{
	workload *w = make(13, BIG, monday(), 7 * DAY_MS);
	tt_event e;
	long costed = 0;
	while (workload_next(w, &e)) {
		if (!e.has_cost) {
			assert_int_equal(e.cost_nanos, 0);
			assert_int_equal(e.cost_source, TT_COST_UNPRICED);
			continue;
		}
		costed++;
		assert_string_equal(e.gateway, "gw-us-1");
		assert_int_equal(group_of(e.use_case), G_COPILOT);
		assert_int_equal(e.cost_source, TT_COST_GATEWAY);
		assert_true(e.cost_nanos > 0);
		size_t i = 0;
		while (i < sizeof prices / sizeof prices[0] && strcmp(prices[i].model, e.model))
			i++;
		assert_true(i < sizeof prices / sizeof prices[0]);
		int64_t pico = (e.input_tokens - e.cached_tokens) * prices[i].in +
		               e.cached_tokens * prices[i].cached + e.output_tokens * prices[i].out;
		assert_int_equal(e.cost_nanos, (pico + 500) / 1000);
	}
	workload_free(w);
	assert_true(costed > 0);
}

static void test_prompt_rollout(void **state)
{
	long early = 0, early_v7 = 0, late = 0, late_v7 = 0;
	workload *w = make(17, BIG, monday(), 14 * DAY_MS);
	tt_event e;
	while (workload_next(w, &e)) {
		if (strcmp(e.prompt_id, "answer-with-citations"))
			continue;
		assert_true(one_of(e.prompt_version, (const char *const[]){"v6", "v7", NULL}));
		int v7 = strcmp(e.prompt_version, "v7") == 0;
		if (e.ts_ms < monday() + 4 * DAY_MS) {
			early++;
			early_v7 += v7;
		} else if (e.ts_ms >= monday() + 10 * DAY_MS) {
			late++;
			late_v7 += v7;
		}
	}
	workload_free(w);
	assert_true((double)late_v7 / late > (double)early_v7 / early + 0.2);
}

static void test_event_at(void **state)
{
	workload *a = make(21, 10, monday(), DAY_MS);
	workload *b = make(21, 10, monday(), DAY_MS);
	tally t = {0};
	tt_event ea, eb;
	for (int i = 0; i < 5000; i++) {
		/* any time, in any order, even outside the span */
		int64_t ts =
		    monday() + (int64_t)((i * 7919LL) % (3 * DAY_MS / 1000)) * 1000 - DAY_MS;
		workload_event_at(a, ts, &ea);
		workload_event_at(b, ts, &eb);
		tu_assert_same_event(&ea, &eb);
		assert_int_equal(ea.ts_ms, ts);
		check_event(&ea, &t);
	}
	workload_free(a);
	workload_free(b);
}

static void test_bad_options(void **state)
{
	workload_opts o = {.seed = 1, .start_ms = monday(), .span_ms = 0, .events = 10};
	assert_null(workload_new(NULL));
	assert_null(workload_new(&o));
	o.span_ms = -5;
	assert_null(workload_new(&o));
	o.span_ms = DAY_MS;
	o.start_ms = -1;
	assert_null(workload_new(&o));
	workload_free(NULL);
}

static void test_scenario_names(void **state)
{
	static const char *const names[] = {
	    "steady",          "429-storm",        "token-spike",  "cost-runaway",
	    "provider-outage", "cache-miss-surge", "refusal-rise", NULL};
	workload_scenario sc;
	for (int i = 0; names[i]; i++) {
		assert_int_equal(workload_scenario_parse(names[i], &sc), 0);
		assert_int_equal(sc, i);
		assert_string_equal(workload_scenario_name(sc), names[i]);
	}
	assert_int_equal(workload_scenario_parse("storm", &sc), -1);
	assert_int_equal(workload_scenario_parse("", &sc), -1);
	assert_null(workload_scenario_name(WL_SCENARIO_COUNT));
}

/* What each scenario moves, measured on the events it could affect. */
typedef struct scen_tally {
	long anthropic, anthropic_429, openai, openai_failed, v7, v7_input, n, review,
	    review_elevated, support, support_hits, support_refusals;
} scen_tally;

static void scen_count(scen_tally *t, const tt_event *e)
{
	t->n++;
	if (strcmp(e->provider, "anthropic") == 0) {
		t->anthropic++;
		t->anthropic_429 += e->status == TT_STATUS_RATE_LIMITED;
	}
	if (strcmp(e->provider, "openai") == 0) {
		t->openai++;
		t->openai_failed +=
		    e->status == TT_STATUS_TIMEOUT || e->status == TT_STATUS_SERVER_ERROR;
	}
	if (strcmp(e->prompt_id, "answer-with-citations") == 0 &&
	    strcmp(e->prompt_version, "v7") == 0) {
		t->v7++;
		t->v7_input += e->input_tokens;
	}
	if (strcmp(e->use_case, "code-review") == 0) {
		t->review++;
		t->review_elevated += e->elevated;
	}
	if (strcmp(e->use_case, "support-bot") == 0) {
		t->support++;
		t->support_hits += e->cache == TT_CACHE_HIT;
		t->support_refusals += e->status == TT_STATUS_SAFETY_REFUSAL;
	}
}

/* Events before and after the scenario's start (Wednesday noon of a one-week span). */
static void scen_run(workload_scenario sc, uint64_t seed, scen_tally *before, scen_tally *after,
                     uint64_t *hash_before)
{
	int64_t at = monday() + 2 * DAY_MS + 12 * HOUR_MS;
	workload *w = make(seed, BIG, monday(), 7 * DAY_MS);
	workload_set_scenario(w, sc, at);
	tt_event e;
	*hash_before = 0xcbf29ce484222325ULL;
	memset(before, 0, sizeof *before);
	memset(after, 0, sizeof *after);
	int64_t last = 0;
	while (workload_next(w, &e)) {
		check_event(&e, &(tally){0});
		assert_true(e.ts_ms >= last);
		last = e.ts_ms;
		if (e.ts_ms < at)
			*hash_before = event_hash(*hash_before, &e);
		scen_count(e.ts_ms < at ? before : after, &e);
	}
	workload_free(w);
}

static double ratio(long a, long b)
{
	return b ? (double)a / (double)b : 0;
}

static void test_scenarios(void **state)
{
	scen_tally sb, sa, b, a;
	uint64_t steady_hash, h;
	scen_run(WL_STEADY, 31, &sb, &sa, &steady_hash);
	/* steady is the plain model: the pinned stream holds with it set */
	workload *w = make(1, 50000, monday(), 7 * DAY_MS);
	workload_set_scenario(w, WL_STEADY, monday());
	tt_event e;
	uint64_t g = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(workload_next(w, &e), 1);
		g = event_hash(g, &e);
	}
	workload_free(w);
	assert_true(g == stream_hash(1, 1000));

	for (int s = WL_429_STORM; s < WL_SCENARIO_COUNT; s++) {
		scen_run((workload_scenario)s, 31, &b, &a, &h);
		/* the same seed gives the same stream with a scenario too */
		scen_tally b2, a2;
		uint64_t h2;
		scen_run((workload_scenario)s, 31, &b2, &a2, &h2);
		assert_true(h == h2 && a.n == a2.n && a.v7_input == a2.v7_input);
		assert_int_equal(b.n + a.n, BIG); /* exactly N, extra traffic or not */
		/* before the start nothing changes, except where a rate change moves events */
		if (s != WL_COST_RUNAWAY)
			assert_true(h == steady_hash);
		switch (s) {
		case WL_429_STORM:
			assert_true(ratio(a.anthropic_429, a.anthropic) > 0.30);
			assert_true(ratio(a.anthropic_429, a.anthropic) < 0.40);
			assert_true(ratio(b.anthropic_429, b.anthropic) < 0.06);
			break;
		case WL_TOKEN_SPIKE:
			assert_true(ratio(a.v7_input, a.v7) > 4 * ratio(sa.v7_input, sa.v7));
			assert_true(ratio(a.v7_input, a.v7) < 8 * ratio(sa.v7_input, sa.v7));
			break;
		case WL_COST_RUNAWAY:
			assert_true(ratio(a.review, a.n) > 3.5 * ratio(sa.review, sa.n));
			assert_true(ratio(a.review_elevated, a.review) > 0.6);
			assert_true(ratio(b.review_elevated, b.review) < 0.3);
			break;
		case WL_PROVIDER_OUTAGE:
			assert_true(ratio(a.openai_failed, a.openai) > 0.5);
			assert_true(ratio(a.openai_failed, a.openai) < 0.9);
			assert_true(ratio(sa.openai_failed, sa.openai) < 0.02);
			break;
		case WL_CACHE_MISS_SURGE:
			assert_true(ratio(a.support_hits, a.support) < 0.02);
			assert_true(ratio(sa.support_hits, sa.support) > 0.12);
			break;
		case WL_REFUSAL_RISE:
			assert_true(ratio(a.support_refusals, a.support) >
			            7 * ratio(sa.support_refusals, sa.support));
			break;
		}
	}
}

/* A scenario's extra traffic shows in the intensity the simulator reads, from its start. */
static void test_scenario_intensity(void **state)
{
	int64_t at = monday() + DAY_MS + 10 * HOUR_MS;
	workload *w = make(3, 100, monday(), 7 * DAY_MS);
	double early = workload_intensity(w, at - 1), before = workload_intensity(w, at + HOUR_MS);
	workload_set_scenario(w, WL_COST_RUNAWAY, at);
	assert_true(workload_intensity(w, at - 1) == early);
	assert_true(workload_intensity(w, at + HOUR_MS) > 1.1 * before);
	workload_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_seed_same_stream),
	    cmocka_unit_test(test_other_seed_other_stream),
	    cmocka_unit_test(test_golden_stream),
	    cmocka_unit_test(test_exact_count_sorted_in_range),
	    cmocka_unit_test(test_unique_time_sorted_ids),
	    cmocka_unit_test(test_mix),
	    cmocka_unit_test(test_shape),
	    cmocka_unit_test(test_intensity),
	    cmocka_unit_test(test_values_and_rates),
	    cmocka_unit_test(test_gateway_cost),
	    cmocka_unit_test(test_prompt_rollout),
	    cmocka_unit_test(test_event_at),
	    cmocka_unit_test(test_bad_options),
	    cmocka_unit_test(test_scenario_names),
	    cmocka_unit_test(test_scenarios),
	    cmocka_unit_test(test_scenario_intensity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
