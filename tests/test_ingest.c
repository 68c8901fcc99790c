/* Ingest end to end on real SQLite files: hand-computed totals, dedupe, rejections, ranges. */
#include "testutil.h"

#include <jansson.h>

#include "tokentop/ingest.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"
#include "tokentop/workload.h"

static ratecard *load_card(void)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/fixtures/ratecard.json", tu_srcdir());
	ratecard *rc = ratecard_load(path, err, sizeof err);
	if (!rc)
		fail_msg("rate card: %s", err);
	return rc;
}

static store *open_db(const char *dir, const char *name)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

static int64_t iso(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse_iso(s, strlen(s), &t), 0);
	return t;
}

static ingest_stats ingest_path(store *st, const ratecard *rc, const char *rel, uint32_t batch,
                                char **errors)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/%s", tu_srcdir(), rel);
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *ef = open_memstream(&ebuf, &elen);
	ingest_opts o = {
	    .format = TT_FORMAT_AUTO, .card = rc, .errors = ef, .batch = batch, .every_line = true};
	ingest *in = ingest_new(st, &o);
	assert_non_null(in);
	assert_int_equal(ingest_file(in, path, err, sizeof err), 0);
	ingest_stats s = *ingest_stats_get(in);
	ingest_free(in);
	fclose(ef);
	if (errors)
		*errors = ebuf;
	else
		free(ebuf);
	return s;
}

static const view_row *find_row(const view_rows *r, const char *k0, const char *k1)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].key[0], k0) && (!k1 || !strcmp(r->rows[i].key[1], k1)))
			return &r->rows[i];
	fail_msg("no row %s/%s", k0, k1 ? k1 : "");
	return NULL;
}

static void check_small_totals(store *st, const ratecard *rc)
{
	view_summary v;
	char err[256];
	assert_int_equal(
	    view_summary_build(st, iso("2026-11-01"), iso("2026-12-01"), rc, &v, err, sizeof err),
	    0);
	assert_int_equal(v.m[TT_M_COST_NANOS], 38429160);
	assert_int_equal(v.m[TT_M_REQUESTS], 10);
	assert_int_equal(v.m[TT_M_INPUT_TOKENS], 8109);
	assert_int_equal(v.m[TT_M_OUTPUT_TOKENS], 1801);
	assert_int_equal(v.m[TT_M_CACHED_TOKENS], 800);
	assert_int_equal(v.m[TT_M_SAVED_NANOS], 270000);
	assert_int_equal(v.m[TT_M_CARD_PRICED], 8);
	assert_int_equal(v.m[TT_M_GATEWAY_PRICED], 1);
	assert_int_equal(v.m[TT_M_UNPRICED], 1);
	assert_int_equal(v.m[TT_M_ELEVATED], 1);
	assert_int_equal(v.m[TT_M_SUCCESS], 4);
	assert_int_equal(v.m[TT_M_FAILURE], 1);
	assert_int_equal(v.by_status[TT_STATUS_TIMEOUT], 1);
	assert_int_equal(v.by_status[TT_STATUS_OTHER], 1); /* r-10's "weird" */
	assert_int_equal(v.errors, 1);
	assert_int_equal(v.by_cache[TT_CACHE_HIT], 1);
	assert_int_equal(v.chargeback_nanos, 43403273);
	assert_int_equal(v.cost_per_request_nanos, 3842916); /* 38429160 / 10 */
	assert_int_equal(v.cost_per_success_nanos, 9607290); /* 38429160 / 4 */
	assert_int_equal(find_row(&v.by_use_case, "product-search", NULL)->m[TT_M_COST_NANOS],
	                 25650000);
	assert_int_equal(find_row(&v.by_use_case, "code-assist", NULL)->m[TT_M_COST_NANOS],
	                 12345600);
	assert_int_equal(find_row(&v.by_use_case, "support-bot", NULL)->m[TT_M_COST_NANOS], 433560);
	assert_string_equal(v.by_use_case.rows[0].key[0], "product-search");
	int64_t sum = 0;
	for (size_t i = 0; i < v.by_use_case.n; i++)
		sum += v.by_use_case.rows[i].m[TT_M_COST_NANOS];
	assert_int_equal(sum, 38429160);
	sum = 0;
	for (size_t d = 0; d < v.ndays; d++)
		sum += v.by_day[d][TT_M_COST_NANOS];
	assert_int_equal(sum, 38429160);
	assert_int_equal(v.unpriced.n, 1);
	assert_string_equal(v.unpriced.rows[0].key[0], "mistral");
	assert_string_equal(v.unpriced.rows[0].key[1], "ministral-8b-experimental");
	view_summary_free(&v);

	view_prompts p;
	assert_int_equal(
	    view_prompts_build(st, iso("2026-11-01"), iso("2026-12-01"), 3, &p, err, sizeof err),
	    0);
	assert_int_equal(p.top, 3);
	assert_int_equal(p.rows.n, 6); /* r-10 has no prompt: a row of its own */
	assert_string_equal(p.rows.rows[0].key[0], "query-rewrite");
	assert_int_equal(p.rows.rows[0].m[TT_M_COST_NANOS], 25650000);
	assert_string_equal(p.rows.rows[1].key[0], "complete-inline");
	assert_string_equal(p.rows.rows[2].key[0], "answer-with-citations");
	assert_int_equal(p.rows.rows[2].m[TT_M_COST_NANOS], 432000);
	assert_int_equal(find_row(&p.rows, "smalltalk", "v2")->m[TT_M_COST_NANOS], 1560);
	view_prompts_free(&p);

	view_routing r;
	assert_int_equal(
	    view_routing_build(st, iso("2026-11-01"), iso("2026-12-01"), &r, err, sizeof err), 0);
	assert_int_equal(r.nroutes, 4);
	for (size_t i = 0; i < r.nroutes; i++) {
		if (strcmp(r.routes[i].use_case, "support-bot"))
			continue;
		assert_int_equal(r.routes[i].requests, 6); /* r-10 included */
		assert_int_equal(r.routes[i].elevated, 1);
		assert_int_equal(r.routes[i].n, 1);
	}
	view_routing_free(&r);
}

static void test_small_fixture(void **state)
{
	(void)state;
	ratecard *rc = load_card();
	store *st = open_db(tu_tmpdir(), "small.db");
	char *errors;
	ingest_stats s = ingest_path(st, rc, "tests/data/ingest/small.jsonl", 0, &errors);
	assert_int_equal(s.accepted, 10);
	assert_int_equal(s.duplicate, 1);
	assert_int_equal(s.rejected, 2);
	assert_int_equal(s.priced[TT_COST_CARD], 8);
	/* every rejection and oddity names the file and line (every_line, as ingest -v) */
	assert_non_null(strstr(errors, "small.jsonl:11: kept: status \"weird\" kept as other"));
	assert_non_null(strstr(errors, "small.jsonl:12: "));
	assert_non_null(strstr(errors, "small.jsonl:14: "));
	assert_non_null(strstr(errors, "input_tokens"));
	free(errors);
	check_small_totals(st, rc);

	/* the same file again changes nothing */
	s = ingest_path(st, rc, "tests/data/ingest/small.jsonl", 0, NULL);
	assert_int_equal(s.accepted, 0);
	assert_int_equal(s.duplicate, 11);
	assert_int_equal(store_event_count(st), 10);
	check_small_totals(st, rc);
	store_close(st);
	ratecard_free(rc);
}

static void test_batch_boundaries(void **state)
{
	(void)state;
	ratecard *rc = load_card();
	store *st = open_db(tu_tmpdir(), "batch.db");
	ingest_stats s = ingest_path(st, rc, "tests/data/ingest/small.jsonl", 2, NULL);
	assert_int_equal(s.accepted, 10);
	check_small_totals(st, rc);
	store_close(st);
	ratecard_free(rc);
}

static void test_json_report(void **state)
{
	(void)state;
	ratecard *rc = load_card();
	store *st = open_db(tu_tmpdir(), "json.db");
	ingest_path(st, rc, "tests/data/ingest/small.jsonl", 0, NULL);
	char err[256], *buf = NULL;
	size_t len = 0;
	view_summary v;
	assert_int_equal(
	    view_summary_build(st, iso("2026-11-01"), iso("2026-12-01"), rc, &v, err, sizeof err),
	    0);
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_summary(f, &v, REPORT_JSON), 0);
	fclose(f);
	view_summary_free(&v);
	json_error_t je;
	json_t *doc = json_loads(buf, 0, &je);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "total_cost_micros")), 38429);
	assert_string_equal(json_string_value(json_object_get(doc, "total_cost_usd")),
	                    "0.03842916");
	assert_int_equal(json_integer_value(json_object_get(doc, "requests")), 10);
	assert_int_equal(json_integer_value(json_object_get(doc, "input_tokens")), 8109);
	assert_int_equal(json_integer_value(json_object_get(doc, "output_tokens")), 1801);
	assert_int_equal(json_integer_value(json_object_get(doc, "cached_tokens")), 800);
	json_t *uc = json_object_get(doc, "by_use_case");
	assert_true(json_is_array(uc));
	assert_string_equal(json_string_value(json_object_get(json_array_get(uc, 0), "use_case")),
	                    "product-search");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(uc, 0), "cost_micros")),
	                 25650);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(uc, 0), "requests")), 2);
	json_decref(doc);
	free(buf);

	view_prompts p;
	assert_int_equal(
	    view_prompts_build(st, iso("2026-11-01"), iso("2026-12-01"), 10, &p, err, sizeof err),
	    0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	report_prompts(f, &p, REPORT_JSON);
	fclose(f);
	view_prompts_free(&p);
	doc = json_loads(buf, 0, &je);
	json_t *first = json_array_get(json_object_get(doc, "prompts"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "prompt_id")),
	                    "query-rewrite");
	assert_string_equal(json_string_value(json_object_get(first, "prompt_version")), "v3");
	assert_int_equal(json_integer_value(json_object_get(first, "cost_micros")), 25650);
	assert_int_equal(json_integer_value(json_object_get(first, "requests")), 2);
	assert_int_equal(json_integer_value(json_object_get(first, "input_tokens")), 4000);
	assert_int_equal(json_integer_value(json_object_get(first, "output_tokens")), 1000);
	json_decref(doc);
	free(buf);

	view_routing r;
	assert_int_equal(
	    view_routing_build(st, iso("2026-11-01"), iso("2026-12-01"), &r, err, sizeof err), 0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	report_routing(f, &r, REPORT_JSON);
	fclose(f);
	view_routing_free(&r);
	doc = json_loads(buf, 0, &je);
	json_t *routes = json_object_get(doc, "routes");
	assert_int_equal(json_array_size(routes), 4);
	json_t *t0 = json_array_get(json_object_get(json_array_get(routes, 0), "targets"), 0);
	assert_non_null(json_object_get(t0, "provider"));
	assert_non_null(json_object_get(t0, "model"));
	assert_non_null(json_object_get(t0, "requests"));
	assert_true(json_is_real(json_object_get(t0, "share")));
	json_decref(doc);
	free(buf);
	store_close(st);
	ratecard_free(rc);
}

/* Rollup tiling: any range read through days/hours/minutes equals the raw events in it. */
static void test_range_tiling(void **state)
{
	(void)state;
	ratecard *rc = load_card();
	store *st = open_db(tu_tmpdir(), "tiling.db");
	enum { N = 30000 };
	int64_t start = iso("2026-11-02T00:00:00Z");
	workload_opts wo = {.seed = 7, .start_ms = start, .span_ms = 3 * 86400000LL, .events = N};
	workload *w = workload_new(&wo);
	assert_non_null(w);
	static tt_event evs[N];
	ingest_opts o = {.card = rc};
	ingest *in = ingest_new(st, &o);
	for (int i = 0; i < N; i++) {
		assert_int_equal(workload_next(w, &evs[i]), 1);
		assert_int_equal(ingest_event(in, &evs[i]), 0);
	}
	assert_int_equal(ingest_commit(in, NULL, NULL), 0);
	ingest_free(in);
	workload_free(w);

	uint64_t x = 12345;
	for (int k = 0; k < 40; k++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t a = start - 3600000 + (int64_t)((x >> 20) % (4 * 86400000ULL));
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t b = a + 1 + (int64_t)((x >> 20) % (3 * 86400000ULL));
		/* the store widens to whole minutes */
		int64_t lo = a / 60000 * 60000, hi = (b + 59999) / 60000 * 60000;
		int64_t want_n = 0, want_cost = 0;
		for (int i = 0; i < N; i++)
			if (evs[i].ts_ms >= lo && evs[i].ts_ms < hi) {
				want_n++;
				want_cost += evs[i].cost_nanos;
			}
		view_cube c;
		char err[128];
		assert_int_equal(view_cube_build(st, a, b, k % 5 == 0, &c, err, sizeof err), 0);
		assert_int_equal(c.total[TT_M_REQUESTS], want_n);
		assert_int_equal(c.total[TT_M_COST_NANOS], want_cost);
		if (k % 5 == 0)
			assert_int_equal((int64_t)c.latency.count,
			                 want_n - 0 /* every generated event has a latency */);
		view_cube_free(&c);
	}
	store_close(st);
	ratecard_free(rc);
}

static void test_cursor_commit(void **state)
{
	(void)state;
	const char *dir = tu_tmpdir();
	store *st = open_db(dir, "cursor.db");
	ingest_opts o = {0};
	ingest *in = ingest_new(st, &o);
	tt_event ev;
	event_init(&ev);
	strcpy(ev.request_id, "c-1");
	ev.ts_ms = iso("2026-11-20T00:00:00Z");
	strcpy(ev.use_case, "support-bot");
	assert_int_equal(ingest_event(in, &ev), 0);
	assert_int_equal(ingest_commit(in, "gw-eu-1", "cursor-42"), 0);
	/* an event added without a commit is rolled back with its cursor */
	strcpy(ev.request_id, "c-2");
	assert_int_equal(ingest_event(in, &ev), 0);
	ingest_free(in);
	store_close(st);
	st = open_db(dir, "cursor.db");
	char cur[64];
	assert_int_equal(store_cursor_get(st, "gw-eu-1", cur, sizeof cur), 1);
	assert_string_equal(cur, "cursor-42");
	assert_int_equal(store_event_count(st), 1);
	assert_int_equal(store_cursor_get(st, "nope", cur, sizeof cur), 0);
	store_close(st);
}

/* The whole database's cost and request count over all time. */
static void db_totals(store *st, int64_t *cost, int64_t *requests)
{
	view_summary v;
	char err[256];
	assert_int_equal(
	    view_summary_build(st, iso("2026-01-01"), iso("2027-01-01"), NULL, &v, err, sizeof err),
	    0);
	*cost = v.m[TT_M_COST_NANOS];
	*requests = v.m[TT_M_REQUESTS];
	view_summary_free(&v);
}

/* One absurd cost in the middle of a file: that line is rejected and named, every other event
 * of its batch and of the file is stored (the batch is not rolled back). */
static void test_poison_file(void **state)
{
	(void)state;
	const char *dir = tu_tmpdir();
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/poison.jsonl", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 1; i <= 3000; i++)
		fprintf(f,
		        "{\"request_id\":\"p-%d\",\"ts\":\"2026-11-20T%02d:%02d:00Z\",\"status\":"
		        "\"ok\","
		        "\"use_case\":\"u\",\"cost_usd\":\"%s\"}\n",
		        i, i / 60 % 24, i % 60,
		        i == 1500   ? "9223372036.854775807" /* fits, but implausible */
		        : i == 1501 ? "9223372036854.775807" /* does not fit 64-bit nano-dollars */
		                    : "0.001");
	fclose(f);
	store *st = open_db(dir, "poison.db");
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *ef = open_memstream(&ebuf, &elen);
	ingest_opts o = {.errors = ef, .batch = 500, .every_line = true};
	ingest *in = ingest_new(st, &o);
	assert_int_equal(ingest_file(in, path, err, sizeof err), 0);
	const ingest_stats *s = ingest_stats_get(in);
	assert_int_equal(s->accepted, 2998);
	assert_int_equal(s->rejected, 2);
	ingest_free(in);
	fclose(ef);
	assert_non_null(strstr(ebuf, "poison.jsonl:1500: cost: implausible, above the "
	                             "100000.00 USD ceiling per event (9223372036.854775807"));
	assert_non_null(strstr(ebuf, "poison.jsonl:1501: cost_usd: out of range"));
	free(ebuf);
	int64_t cost, req;
	db_totals(st, &cost, &req);
	assert_int_equal(req, 2998);
	assert_int_equal(cost, 2998 * 1000000LL); /* 0.001 USD = 1000000 nanos each */
	store_close(st);
}

/* The live path: a refused event is passed over, the page and its cursor commit. Sums that
 * would overflow refuse the event that would overflow them, nothing else. */
static void test_poison_live(void **state)
{
	(void)state;
	const char *dir = tu_tmpdir();
	store *st = open_db(dir, "live.db");
	ingest_opts o = {.max_event_cost_nanos = INT64_MAX};
	ingest *in = ingest_new(st, &o);
	tt_event ev;
	event_init(&ev);
	ev.ts_ms = iso("2026-11-20T00:00:00Z");
	strcpy(ev.use_case, "u");
	ev.has_cost = true;
	ev.cost_source = TT_COST_GATEWAY;
	ev.cost_nanos = INT64_MAX / 2 + 1;
	strcpy(ev.request_id, "big-1");
	assert_int_equal(ingest_event(in, &ev), 0);
	strcpy(ev.request_id, "big-2"); /* the same minute and dimensions: the sum overflows */
	assert_int_equal(ingest_event(in, &ev), 1);
	ev.cost_nanos = 7;
	strcpy(ev.request_id, "small-1");
	assert_int_equal(ingest_event(in, &ev), 0);
	assert_int_equal(ingest_commit(in, "gw", "c-1"), 0);
	assert_int_equal(ingest_stats_get(in)->rejected, 1);
	ingest_free(in);

	/* the default ceiling on the live path */
	o.max_event_cost_nanos = 0;
	in = ingest_new(st, &o);
	ev.ts_ms = iso("2026-11-21T00:00:00Z");
	ev.cost_nanos = TT_COST_CEILING_NANOS + 1;
	strcpy(ev.request_id, "poison");
	assert_int_equal(ingest_event(in, &ev), 1);
	ev.cost_nanos = TT_COST_CEILING_NANOS;
	strcpy(ev.request_id, "at-the-ceiling");
	assert_int_equal(ingest_event(in, &ev), 0);
	assert_int_equal(ingest_commit(in, "gw", "c-2"), 0);
	ingest_free(in);
	char cur[64];
	assert_int_equal(store_cursor_get(st, "gw", cur, sizeof cur), 1);
	assert_string_equal(cur, "c-2");
	assert_int_equal(store_event_count(st), 3);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_poison_file),   cmocka_unit_test(test_poison_live),
	    cmocka_unit_test(test_small_fixture), cmocka_unit_test(test_batch_boundaries),
	    cmocka_unit_test(test_json_report),   cmocka_unit_test(test_range_tiling),
	    cmocka_unit_test(test_cursor_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
