/* The Overview view on real SQLite stores of generated traffic, checked against the events. */
#include "testutil.h"

#include "tokentop/ingest.h"
#include "tokentop/overview.h"
#include "tokentop/timeutil.h"
#include "tokentop/workload.h"

#define MIN_MS 60000LL
#define DAY_MS 86400000LL
#define NEV    30000

static tt_event evs[NEV];

static int64_t iso(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse_iso(s, strlen(s), &t), 0);
	return t;
}

static ratecard *load_card(void)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/fixtures/ratecard.json", tu_srcdir());
	ratecard *rc = ratecard_load(path, err, sizeof err);
	if (!rc)
		fail_msg("rate card: %s", err);
	return rc;
}

static store *open_db(const char *name)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

/* NEV events over two days from start into a new store; evs keeps them as priced. */
static store *generated_store(const char *name, int64_t start, workload_scenario sc,
                              int64_t sc_start)
{
	ratecard *rc = load_card();
	store *st = open_db(name);
	workload_opts wo = {.seed = 42, .start_ms = start, .span_ms = 2 * DAY_MS, .events = NEV};
	workload *w = workload_new(&wo);
	assert_non_null(w);
	if (sc != WL_STEADY)
		workload_set_scenario(w, sc, sc_start);
	ingest_opts o = {.card = rc};
	ingest *in = ingest_new(st, &o);
	assert_non_null(in);
	for (int i = 0; i < NEV; i++) {
		assert_int_equal(workload_next(w, &evs[i]), 1);
		assert_int_equal(ingest_event(in, &evs[i]), 0);
	}
	assert_int_equal(ingest_commit(in, NULL, NULL), 0);
	ingest_free(in);
	workload_free(w);
	ratecard_free(rc);
	return st;
}

/* Totals of the events in [a, b). */
static void direct(int64_t a, int64_t b, int64_t *cost, int64_t *req, int64_t *tok)
{
	*cost = *req = *tok = 0;
	for (int i = 0; i < NEV; i++)
		if (evs[i].ts_ms >= a && evs[i].ts_ms < b) {
			*cost += evs[i].cost_nanos;
			*req += 1;
			*tok += evs[i].input_tokens + evs[i].output_tokens;
		}
}

static int64_t direct_cost(int64_t a, int64_t b)
{
	int64_t c, r, t;
	direct(a, b, &c, &r, &t);
	return c;
}

static int64_t newest_event_minute(void)
{
	int64_t t = 0;
	for (int i = 0; i < NEV; i++)
		if (evs[i].ts_ms > t)
			t = evs[i].ts_ms;
	return t / MIN_MS * MIN_MS;
}

static const budget_spec budgets[] = {
    {.name = "support",
     .scope = {.dim = TT_D_USE_CASE, .value = "support-bot"},
     .period = BUDGET_MONTH,
     .amount_nanos = 1000000,
     .soft_pct = 80,
     .hard_pct = 100},
    {.name = "org",
     .scope = {.all = true},
     .period = BUDGET_MONTH,
     .amount_nanos = 500000000,
     .soft_pct = 80,
     .hard_pct = 100},
};

/* Every figure of the overview at now, against the events. */
static void check_figures(store *st, int64_t now)
{
	view_source_health src[] = {
	    {"gw-eu-1", SRC_OK, now - 3500, true},
	    {"prom", SRC_DOWN, 0, false},
	};
	view_overview v;
	char err[256];
	assert_int_equal(
	    view_overview_build(st, NULL, 0, budgets, 2, src, 2, now, &v, err, sizeof err), 0);
	int64_t m0 = now / MIN_MS * MIN_MS;
	assert_int_equal(v.minute_ms, m0);

	int64_t cost, req, tok;
	direct(m0 - 5 * MIN_MS, m0, &cost, &req, &tok);
	assert_true(req > 0);
	assert_int_equal(v.spend_per_min_nanos, view_ratio_round(cost, 5));
	assert_true(v.requests_per_s == (double)req / 300.0);
	assert_true(v.tokens_per_s == (double)tok / 300.0);

	assert_int_equal(v.spark_start_ms, m0 - 60 * MIN_MS);
	int64_t nonzero = 0;
	for (int i = 0; i < VIEW_OVERVIEW_SPARK; i++) {
		int64_t a = m0 - (60 - i) * MIN_MS;
		assert_int_equal(v.spark_nanos[i], direct_cost(a, a + MIN_MS));
		nonzero += v.spark_nanos[i] != 0;
	}
	assert_true(nonzero > 30);
	assert_int_equal(v.spark_nanos[VIEW_OVERVIEW_SPARK - 1], direct_cost(m0 - MIN_MS, m0));

	/* through the minute holding now */
	int64_t day0 = now / DAY_MS * DAY_MS, m1 = m0 + (now > m0 ? MIN_MS : 0);
	int64_t month0, end;
	budget_period_bounds(BUDGET_MONTH, now, &month0, &end);
	assert_int_equal(v.today_nanos, direct_cost(day0, m1));
	assert_int_equal(v.month_nanos, direct_cost(month0, m1));
	assert_true(v.today_nanos > 0 && v.month_nanos >= v.today_nanos);

	assert_true(v.has_budget);
	assert_ptr_equal(v.budget.spec, &budgets[1]);
	assert_int_equal(v.budget.spent_nanos, direct_cost(month0, m1));
	assert_int_equal(v.budget.state, budget_state_of(&budgets[1], v.budget.spent_nanos));
	view_budgets vb;
	assert_int_equal(
	    view_budgets_build(st, &budgets[1], 1, now, NULL, 0, NULL, &vb, err, sizeof err), 0);
	assert_int_equal(v.budget.fc.point_nanos, vb.rows[0].fc.point_nanos);
	assert_true(v.budget.fc.point_nanos >= v.budget.spent_nanos);
	view_budgets_free(&vb);

	assert_int_equal(v.nsources, 2);
	assert_string_equal(v.sources[0].name, "gw-eu-1");
	assert_int_equal(v.sources[0].state, SRC_OK);
	assert_int_equal(v.sources[0].age_s, 3);
	assert_true(v.sources[0].production);
	assert_int_equal(v.sources[1].age_s, -1);
	assert_int_equal(v.sources[1].state, SRC_DOWN);
	assert_false(v.sources[1].production);
	assert_true(v.production);

	int64_t newest = newest_event_minute();
	assert_int_equal(v.newest_minute_ms, newest);
	int64_t age = now - (newest + MIN_MS);
	assert_int_equal(v.data_age_ms, age > 0 ? age : 0);

	/* no SLOs: only anomalies */
	assert_int_equal(v.npages + v.ntickets, 0);
	assert_int_equal(v.nanomalies, v.nalerts);
	for (size_t i = 0; i < v.nalerts; i++)
		assert_int_equal(v.alerts[i].level, VIEW_OVERVIEW_ANOMALY);
	view_overview_free(&v);
}

static void test_figures(void **state)
{
	(void)state;
	int64_t start = iso("2026-10-31T12:00:00Z");
	store *st = generated_store("figures.db", start, WL_STEADY, 0);
	/* just after the data ends, then in the middle of it (data newer than now exists) */
	check_figures(st, start + 2 * DAY_MS + 20000);
	check_figures(st, start + 30 * 3600000LL + 17500);
	store_close(st);
}

static void test_empty(void **state)
{
	(void)state;
	store *st = open_db("empty.db");
	slo_spec slo = {.name = "avail",
	                .use_case = "*",
	                .sli = SLO_AVAILABILITY,
	                .objective_ppm = 999000,
	                .period_ms = 30 * DAY_MS,
	                .bad_statuses = 1u << TT_STATUS_SERVER_ERROR};
	view_overview v;
	char err[256];
	int64_t now = iso("2026-11-02T12:00:20Z");
	assert_int_equal(
	    view_overview_build(st, &slo, 1, budgets, 2, NULL, 0, now, &v, err, sizeof err), 0);
	assert_int_equal(v.spend_per_min_nanos, 0);
	for (int i = 0; i < VIEW_OVERVIEW_SPARK; i++)
		assert_int_equal(v.spark_nanos[i], 0);
	assert_int_equal(v.today_nanos, 0);
	assert_int_equal(v.month_nanos, 0);
	assert_true(v.requests_per_s == 0 && v.tokens_per_s == 0);
	assert_true(v.has_budget);
	assert_int_equal(v.budget.spent_nanos, 0);
	assert_int_equal(v.nalerts, 0);
	assert_int_equal(v.nsources, 0);
	assert_false(v.production);
	assert_int_equal(v.newest_minute_ms, -1);
	assert_int_equal(v.data_age_ms, -1);
	view_overview_free(&v);

	/* and with nothing configured at all */
	assert_int_equal(
	    view_overview_build(st, NULL, 0, NULL, 0, NULL, 0, now, &v, err, sizeof err), 0);
	assert_false(v.has_budget);
	assert_int_equal(v.nalerts, 0);
	view_overview_free(&v);
	store_close(st);
}

static void test_page_first(void **state)
{
	(void)state;
	int64_t start = iso("2026-11-10T00:00:00Z");
	int64_t now = start + 2 * DAY_MS;
	store *st = generated_store("outage.db", start, WL_PROVIDER_OUTAGE, now - 90 * MIN_MS);
	slo_spec slos[2] = {
	    /* never burns: nothing is this slow */
	    {.name = "latency",
	     .use_case = "*",
	     .sli = SLO_LATENCY,
	     .objective_ppm = 990000,
	     .period_ms = 30 * DAY_MS,
	     .threshold_ms = 10000000},
	    {.name = "avail",
	     .use_case = "*",
	     .sli = SLO_AVAILABILITY,
	     .objective_ppm = 999000,
	     .period_ms = 30 * DAY_MS,
	     .bad_statuses = (1u << TT_STATUS_TIMEOUT) | (1u << TT_STATUS_SERVER_ERROR)},
	};
	view_overview v;
	char err[256];
	assert_int_equal(
	    view_overview_build(st, slos, 2, NULL, 0, NULL, 0, now, &v, err, sizeof err), 0);
	assert_int_equal(v.npages, 1);
	assert_true(v.nanomalies > 0);
	assert_int_equal(v.nalerts, v.npages + v.ntickets + v.nanomalies);
	assert_int_equal(v.alerts[0].level, VIEW_OVERVIEW_PAGE);
	assert_ptr_equal(v.alerts[0].slo, &slos[1]);
	assert_int_equal(v.alerts[0].status.alert, SLO_ALERT_PAGE);
	for (size_t i = 1; i < v.nalerts; i++)
		assert_true(v.alerts[i - 1].level <= v.alerts[i].level);
	bool openai = false;
	for (size_t i = v.npages + v.ntickets; i < v.nalerts; i++) {
		assert_true(v.alerts[i].anomaly.resolved_ms < 0);
		openai |= strcmp(v.alerts[i].anomaly.scope, "provider=openai") == 0;
	}
	assert_true(openai);
	assert_string_equal(view_overview_level_name(v.alerts[0].level), "page");
	view_overview_free(&v);
	store_close(st);
}

/* The header's words: down beats catching up, which beats live; one source by name. */
static void test_sources_summary(void **state)
{
	(void)state;
	char buf[96];
	assert_int_equal(view_sources_summary(NULL, 0, buf, sizeof buf), VIEW_SOURCES_CACHE_ONLY);
	assert_string_equal(buf, "cache only");
	view_source_health src[3] = {
	    {.name = "gw-eu", .state = SRC_OK, .last_ok_ms = 1},
	    {.name = "gw-us", .state = SRC_OK, .last_ok_ms = 1},
	    {.name = "vllm", .state = SRC_OK, .last_ok_ms = 1},
	};
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_LIVE);
	assert_string_equal(buf, "live");
	src[1].catching_up = true;
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_CATCHING_UP);
	assert_string_equal(buf, "catching up: gw-us");
	src[0].catching_up = true;
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_CATCHING_UP);
	assert_string_equal(buf, "catching up: 2 of 3 sources");
	src[2].state = SRC_STARTING;
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_STARTING);
	assert_string_equal(buf, "starting");
	src[0].state = src[1].state = SRC_STARTING;
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_STARTING);
	src[0].state = src[1].state = SRC_OK;
	src[2].state = SRC_DEGRADED;
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_SOME_DOWN);
	assert_string_equal(buf, "some sources down");
	src[0].state = src[1].state = SRC_DOWN;
	assert_int_equal(view_sources_summary(src, 3, buf, sizeof buf), VIEW_SOURCES_ALL_DOWN);
	assert_string_equal(buf, "ALL SOURCES DOWN: showing the cache");
	/* a short buffer is cut, not overrun */
	char small[8];
	src[0].state = src[1].state = src[2].state = SRC_OK;
	view_sources_summary(src, 3, small, sizeof small);
	assert_string_equal(small, "catchin");

	/* the overview's source rows carry the flag */
	store *st = open_db("sources.db");
	view_overview v;
	char err[256];
	assert_int_equal(view_overview_build(st, NULL, 0, NULL, 0, src, 3,
	                                     iso("2026-11-02T12:00:00Z"), &v, err, sizeof err),
	                 0);
	assert_int_equal(v.nsources, 3);
	assert_true(v.sources[0].catching_up && v.sources[1].catching_up);
	assert_false(v.sources[2].catching_up);
	view_overview_free(&v);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_figures),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_page_first),
	    cmocka_unit_test(test_sources_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
