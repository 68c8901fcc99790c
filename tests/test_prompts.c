/* The prompts view's trend on real SQLite stores: buckets add up, placement, change figures. */
#include "testutil.h"

#include <jansson.h>

#include "tokentop/ingest.h"
#include "tokentop/report.h"
#include "tokentop/rollup.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

/* The end of every range: not on a minute, an hour or a day. */
static const int64_t NOW = 1796033843456LL; /* 2026-11-30T10:17:23.456Z */

typedef struct fixture {
	store *st;
	ingest *in;
	int seq;
} fixture;

static void fx_open(fixture *f, const char *name)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	f->st = store_open(path, &o, err, sizeof err);
	if (!f->st)
		fail_msg("store_open: %s", err);
	ingest_opts io = {.format = TT_FORMAT_AUTO};
	f->in = ingest_new(f->st, &io);
	assert_non_null(f->in);
	f->seq = 0;
}

static void fx_event(fixture *f, const char *prompt, const char *version, int64_t ts_ms,
                     int64_t cost)
{
	tt_event ev;
	event_init(&ev);
	snprintf(ev.request_id, sizeof ev.request_id, "r-%d", ++f->seq);
	ev.ts_ms = ts_ms;
	snprintf(ev.gateway, sizeof ev.gateway, "gw-1");
	snprintf(ev.use_case, sizeof ev.use_case, f->seq % 2 ? "support-bot" : "search");
	snprintf(ev.team, sizeof ev.team, "team-%d", f->seq % 3);
	snprintf(ev.prompt_id, sizeof ev.prompt_id, "%s", prompt);
	snprintf(ev.prompt_version, sizeof ev.prompt_version, "%s", version);
	snprintf(ev.provider, sizeof ev.provider, "openai");
	snprintf(ev.model, sizeof ev.model, "gpt-4o-mini");
	ev.input_tokens = 100;
	ev.output_tokens = 10;
	ev.latency_ms = 500;
	ev.status = TT_STATUS_OK;
	ev.outcome = TT_OUTCOME_SUCCESS;
	ev.has_cost = true;
	ev.cost_nanos = cost;
	assert_int_equal(ingest_event(f->in, &ev), 0);
}

static void fx_close(fixture *f)
{
	ingest_free(f->in);
	store_close(f->st);
}

static const view_row *row_of(const view_prompts *v, const char *id, const char *ver, size_t *idx)
{
	for (size_t i = 0; i < v->rows.n; i++)
		if (!strcmp(v->rows.rows[i].key[0], id) && !strcmp(v->rows.rows[i].key[1], ver)) {
			*idx = i;
			return &v->rows.rows[i];
		}
	fail_msg("no row %s@%s", id, ver);
	return NULL;
}

/* A store with a steady prompt across [NOW - range, NOW), one only in its last quarter, one
 * only in its first quarter, one spike at a known time, and events just outside the range;
 * checks the trend read with nbuckets against the cube's totals. */
static void check_range(int64_t range, int nbuckets, int64_t want_step)
{
	fixture f;
	char name[64];
	snprintf(name, sizeof name, "trend-%lld-%d.db", (long long)range, nbuckets);
	fx_open(&f, name);
	int64_t since = NOW - range;
	for (int i = 0; i < 96; i++) /* odd amounts: sums must still be exact */
		fx_event(&f, "steady", "v1", since + range * (2 * i + 1) / 192, 1001 + i % 3);
	for (int i = 0; i < 10; i++)
		fx_event(&f, "rising", "v1", since + range * 3 / 4 + range * i / 48, 777 + i);
	for (int i = 0; i < 10; i++)
		fx_event(&f, "falling", "v2", since + range * i / 48, 5003 + i);
	int64_t spike_t = since + range * 5 / 8 + 7777;
	fx_event(&f, "spike", "v1", spike_t, 123457);
	/* outside: counted by neither the rows nor the trend */
	fx_event(&f, "steady", "v1", since - 2 * MIN_MS, 99999);
	fx_event(&f, "spike", "v1", NOW + 2 * MIN_MS, 99999);
	assert_int_equal(ingest_commit(f.in, NULL, NULL), 0);

	char err[256];
	view_prompts v;
	assert_int_equal(view_prompts_build(f.st, since, NOW, 0, &v, err, sizeof err), 0);
	assert_int_equal(view_trend_step(range, nbuckets), want_step);
	assert_int_equal(view_prompts_trend(f.st, &v, nbuckets, err, sizeof err), 0);
	assert_int_equal(v.rows.n, 4);
	assert_int_equal(v.trend_step_ms, want_step);
	/* the range in whole steps, and one more when it does not start on the grid */
	assert_true(v.trend_n == (size_t)(range / want_step) ||
	            v.trend_n == (size_t)(range / want_step) + 1);
	/* the first edge: the range's start floored to the step's unit */
	int64_t unit = want_step % DAY_MS == 0    ? DAY_MS
	               : want_step % HOUR_MS == 0 ? HOUR_MS
	                                          : MIN_MS;
	assert_int_equal(v.trend_t0_ms % unit, 0);
	assert_true(v.trend_t0_ms <= since && since - v.trend_t0_ms < unit);

	/* every row's buckets add up to its cost over the range, to the micro-dollar */
	int64_t all = 0;
	for (size_t i = 0; i < v.rows.n; i++) {
		int64_t sum = 0;
		for (size_t k = 0; k < v.trend_n; k++) {
			assert_true(v.trend[i * v.trend_n + k] >= 0);
			sum += v.trend[i * v.trend_n + k];
		}
		assert_int_equal(sum, v.rows.rows[i].m[TT_M_COST_NANOS]);
		all += sum;
	}
	assert_int_equal(all, v.total_cost_nanos);
	int64_t steady_cost = 0;
	for (int i = 0; i < 96; i++)
		steady_cost += 1001 + i % 3;
	size_t is, ir, ifa, isp;
	assert_int_equal(row_of(&v, "steady", "v1", &is)->m[TT_M_COST_NANOS], steady_cost);
	row_of(&v, "rising", "v1", &ir);
	row_of(&v, "falling", "v2", &ifa);
	assert_int_equal(row_of(&v, "spike", "v1", &isp)->m[TT_M_COST_NANOS], 123457);

	/* the spike lies in the bucket whose span holds its time, and only there */
	for (size_t k = 0; k < v.trend_n; k++) {
		int64_t lo, hi;
		view_trend_span(&v, k, &lo, &hi);
		assert_true(lo < hi);
		bool in = spike_t >= lo && spike_t < hi;
		assert_int_equal(v.trend[isp * v.trend_n + k], in ? 123457 : 0);
	}

	assert_true(v.change_pct[ir] == VIEW_TREND_NEW);
	assert_int_equal(v.change_pct[ifa], -100);
	assert_true(v.change_pct[isp] == VIEW_TREND_NEW);
	/* steady spend per hour: within the unevenness of the halves' edges */
	assert_true(v.change_pct[is] > -25 && v.change_pct[is] < 25);

	/* from a cube already read, as the console does */
	view_cube c;
	assert_int_equal(view_cube_build(f.st, since, NOW, false, &c, err, sizeof err), 0);
	view_prompts p;
	assert_int_equal(view_prompts_of(&c, 0, &p, err, sizeof err), 0);
	assert_int_equal(view_prompts_trend(f.st, &p, nbuckets, err, sizeof err), 0);
	assert_int_equal(p.trend_n, v.trend_n);
	size_t j;
	row_of(&p, "steady", "v1", &j);
	assert_memory_equal(p.trend + j * p.trend_n, v.trend + is * v.trend_n,
	                    v.trend_n * sizeof *v.trend);
	/* again on the same view: the old trend is replaced */
	assert_int_equal(view_prompts_trend(f.st, &p, nbuckets, err, sizeof err), 0);
	view_prompts_free(&p);
	view_cube_free(&c);
	view_prompts_free(&v);
	fx_close(&f);
}

static void test_trend_15m(void **state)
{
	check_range(15 * MIN_MS, 12, MIN_MS);
}

static void test_trend_1h(void **state)
{
	check_range(HOUR_MS, 12, 5 * MIN_MS);
}

static void test_trend_24h(void **state)
{
	check_range(DAY_MS, 12, 2 * HOUR_MS);
}

static void test_trend_7d_hours(void **state)
{
	check_range(7 * DAY_MS, 12, 14 * HOUR_MS);
}

static void test_trend_7d_days(void **state)
{
	check_range(7 * DAY_MS, 7, DAY_MS);
}

static void test_trend_30d(void **state)
{
	check_range(30 * DAY_MS, 12, 3 * DAY_MS);
}

static void test_trend_empty(void **state)
{
	fixture f;
	fx_open(&f, "empty.db");
	char err[256];
	view_prompts v;
	assert_int_equal(view_prompts_build(f.st, NOW - DAY_MS, NOW, 0, &v, err, sizeof err), 0);
	assert_int_equal(view_prompts_trend(f.st, &v, 12, err, sizeof err), 0);
	assert_int_equal(v.rows.n, 0);
	assert_null(v.trend);
	view_prompts_free(&v);
	fx_close(&f);
}

/* the prompts report's JSON carries each row's buckets and its change */
static void test_trend_json(void **state)
{
	fixture f;
	fx_open(&f, "json.db");
	int64_t since = NOW - 7 * DAY_MS;
	fx_event(&f, "old", "v1", since + HOUR_MS, 5000);
	fx_event(&f, "late", "v1", NOW - HOUR_MS, 7001);
	fx_event(&f, "late", "v1", NOW - 2 * DAY_MS, 2999);
	assert_int_equal(ingest_commit(f.in, NULL, NULL), 0);
	char err[256];
	view_prompts v;
	assert_int_equal(view_prompts_build(f.st, since, NOW, 0, &v, err, sizeof err), 0);
	assert_int_equal(view_prompts_trend(f.st, &v, 12, err, sizeof err), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(report_prompts(out, &v, REPORT_JSON), 0);
	fclose(out);
	json_error_t je;
	json_t *doc = json_loads(buf, 0, &je);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "trend_step_seconds")), 14 * 3600);
	json_t *rows = json_object_get(doc, "prompts");
	assert_int_equal(json_array_size(rows), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_array_get(rows, i);
		json_t *t = json_object_get(r, "trend");
		assert_int_equal(json_array_size(t), v.trend_n);
		json_int_t sum = 0;
		for (size_t k = 0; k < json_array_size(t); k++)
			sum += json_integer_value(json_array_get(t, k));
		/* each bucket is rounded to the micro-dollar: the sum is within half of one each */
		json_int_t total = json_integer_value(json_object_get(r, "cost_micros"));
		assert_true(llabs(sum - total) * 2 <= (long long)json_array_size(t));
		const char *id = json_string_value(json_object_get(r, "prompt_id"));
		json_t *c = json_object_get(r, "trend_change");
		if (!strcmp(id, "late"))
			assert_string_equal(json_string_value(c), "new");
		else
			assert_int_equal(json_integer_value(c), -100);
	}
	json_decref(doc);
	free(buf);
	view_prompts_free(&v);
	fx_close(&f);
}

static void test_trend_step(void **state)
{
	assert_int_equal(view_trend_step(15 * MIN_MS, 12), MIN_MS);
	assert_int_equal(view_trend_step(6 * HOUR_MS, 12), 30 * MIN_MS);
	assert_int_equal(view_trend_step(30 * DAY_MS, 12), 3 * DAY_MS);
	assert_int_equal(view_trend_step(MIN_MS, 12), MIN_MS);
	assert_int_equal(view_trend_step(DAY_MS, 0), DAY_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trend_15m),     cmocka_unit_test(test_trend_1h),
	    cmocka_unit_test(test_trend_24h),     cmocka_unit_test(test_trend_7d_hours),
	    cmocka_unit_test(test_trend_7d_days), cmocka_unit_test(test_trend_30d),
	    cmocka_unit_test(test_trend_empty),   cmocka_unit_test(test_trend_json),
	    cmocka_unit_test(test_trend_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
