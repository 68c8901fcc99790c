/* The SQLite store on real files: migrations, dimension interning, dedupe, rollup upserts. */
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>

#include "tokentop/rollup.h"
#include "tokentop/sketch.h"
#include "tokentop/store.h"

static store *open_path(const char *path)
{
	char err[512];
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

static void test_migrations(void **state)
{
	(void)state;
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/m.db", tu_tmpdir());
	store *s = open_path(path);
	assert_int_equal(store_schema_version(s), 7);
	store_close(s);
	s = open_path(path); /* reopening migrates nothing */
	assert_int_equal(store_schema_version(s), 7);
	store_close(s);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	assert_null(store_open(path, &o, err, sizeof err));
	assert_non_null(strstr(err, "schema version 99 is newer"));
	assert_non_null(strstr(err, path));

	snprintf(path, sizeof path, "%s/garbage.db", tu_tmpdir());
	FILE *f = fopen(path, "w");
	fputs("this is not a database, just some text that is long enough to matter\n", f);
	fclose(f);
	assert_null(store_open(path, &o, err, sizeof err));
	assert_non_null(strstr(err, path));

	assert_null(store_open("/nonexistent-dir/x/y.db", &o, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent-dir/x/y.db"));
}

static int sum_minutes(void *ctx, tt_res r, const tt_rollup *row)
{
	int64_t *sum = ctx;
	if (r == TT_RES_MINUTE) {
		sum[0] += row->m[TT_M_COST_NANOS];
		sum[1] += row->m[TT_M_SAVED_NANOS];
		sum[2] += row->m[TT_M_REQUESTS];
	}
	return 0;
}

static int64_t one_int(store *s, const char *path, const char *sql)
{
	(void)s;
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Migration 7 on a database written by the release before it (schema 6, money in
 * micro-dollars: tests/data/ingest/small.jsonl ingested with fixtures/ratecard.json, whose
 * events cost 38430 micro-dollars and saved 270): every amount becomes nano-dollars, the
 * minute packs' included, and nothing else changes. */
static void test_migrate_to_nanos(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/v6.db", tu_tmpdir());
	size_t len;
	char *old = tu_slurp("tests/data/store/v6-small.sqlite", &len);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(old, 1, len, f), len);
	fclose(f);
	free(old);
	assert_int_equal(one_int(NULL, path, "PRAGMA user_version"), 6);
	assert_int_equal(one_int(NULL, path, "SELECT sum(cost_micros) FROM events"), 38430);

	store *s = open_path(path);
	assert_int_equal(store_schema_version(s), 7);
	assert_int_equal(store_event_count(s), 10);
	int64_t m[3] = {0};
	assert_int_equal(store_rollup_scan_res(s, 1794528000000LL /* 2026-11-13 */,
	                                       1796083200000LL /* 2026-12-01 */, TT_RES_MINUTE,
	                                       false, sum_minutes, m),
	                 0);
	assert_int_equal(m[0], 38430000);
	assert_int_equal(m[1], 270000);
	assert_int_equal(m[2], 10);
	store_close(s);
	assert_int_equal(one_int(NULL, path, "SELECT sum(cost_nanos) FROM events"), 38430000);
	assert_int_equal(one_int(NULL, path, "SELECT sum(saved_nanos) FROM events"), 270000);
	assert_int_equal(
	    one_int(NULL, path, "SELECT cost_nanos FROM events WHERE request_id = 'r-5'"),
	    12346000);
	assert_int_equal(one_int(NULL, path, "SELECT sum(cost_nanos) FROM rollup_hour"), 38430000);
	assert_int_equal(one_int(NULL, path, "SELECT sum(cost_nanos) FROM rollup_day"), 38430000);
	assert_int_equal(one_int(NULL, path, "SELECT sum(saved_nanos) FROM rollup_day"), 270000);
	assert_int_equal(one_int(NULL, path, "SELECT sum(requests) FROM rollup_day"), 10);

	/* an amount that cannot be made nano-dollars stops the migration with the reason, and
	 * leaves the database as it was */
	snprintf(path, sizeof path, "%s/v6-huge.db", tu_tmpdir());
	old = tu_slurp("tests/data/store/v6-small.sqlite", &len);
	f = fopen(path, "wb");
	assert_int_equal(fwrite(old, 1, len, f), len);
	fclose(f);
	free(old);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "UPDATE events SET cost_micros = 9223372036854775 + 1"
	                              " WHERE request_id = 'r-5'",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	char err[512];
	store_opts o = {.merge = rollup_sketch_blob_merge};
	assert_null(store_open(path, &o, err, sizeof err));
	assert_non_null(strstr(err, "migration 7 failed"));
	assert_non_null(strstr(err, "does not fit in nano-dollars"));
	assert_int_equal(one_int(NULL, path, "PRAGMA user_version"), 6);
	assert_int_equal(one_int(NULL, path, "SELECT count(*) FROM events WHERE cost_micros > 0"),
	                 7);
}

static void test_default_path(void **state)
{
	(void)state;
	char buf[512], err[256];
	const char *dir = tu_tmpdir();
	char xdg[400];
	snprintf(xdg, sizeof xdg, "%s/data", dir);
	setenv("XDG_DATA_HOME", xdg, 1);
	assert_int_equal(store_default_path(buf, sizeof buf, err, sizeof err), 0);
	char want[512];
	snprintf(want, sizeof want, "%s/tokentop/tokentop.db", xdg);
	assert_string_equal(buf, want);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", dir, 1);
	assert_int_equal(store_default_path(buf, sizeof buf, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s/.local/share/tokentop/tokentop.db", dir);
	assert_string_equal(buf, want);
}

static void test_dims_and_dedupe(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/d.db", tu_tmpdir());
	store *s = open_path(path);
	tt_event ev;
	event_init(&ev);
	strcpy(ev.request_id, "a");
	strcpy(ev.use_case, "support-bot");
	strcpy(ev.model, "gpt-4o-mini");
	tt_dims d;
	store_dims_of(&ev, &d);
	assert_int_equal(store_begin(s), 0);
	int64_t id = store_dims_intern(s, &d);
	assert_true(id > 0);
	assert_int_equal(store_dims_intern(s, &d), id);
	strcpy(ev.tenant, "acme");
	store_dims_of(&ev, &d);
	int64_t id2 = store_dims_intern(s, &d);
	assert_true(id2 > 0 && id2 != id);
	assert_int_equal(store_event_insert(s, &ev, id2), 1);
	assert_int_equal(store_event_insert(s, &ev, id2), 0);
	assert_int_equal(store_commit(s), 0);

	/* ids interned in a rolled-back transaction are forgotten */
	assert_int_equal(store_begin(s), 0);
	strcpy(ev.tenant, "globex");
	store_dims_of(&ev, &d);
	int64_t id3 = store_dims_intern(s, &d);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_begin(s), 0);
	int64_t id4 = store_dims_intern(s, &d);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(id3, id4); /* SQLite reuses the rowid; what matters is it exists now */
	store_close(s);

	s = open_path(path);
	strcpy(ev.tenant, "acme");
	store_dims_of(&ev, &d);
	assert_int_equal(store_dims_intern(s, &d), id2);
	assert_int_equal(store_event_count(s), 1);
	store_close(s);
}

typedef struct scan_sum {
	int64_t requests, cost;
	sketch lat;
	int rows[TT_RES_COUNT];
} scan_sum;

static int sum_rows(void *ctx, tt_res r, const tt_rollup *row)
{
	scan_sum *s = ctx;
	s->requests += row->m[TT_M_REQUESTS];
	s->cost += row->m[TT_M_COST_NANOS];
	s->rows[r]++;
	if (row->sk[TT_SK_LATENCY])
		assert_int_equal(
		    sketch_merge_blob(&s->lat, row->sk[TT_SK_LATENCY], row->sklen[TT_SK_LATENCY]),
		    0);
	return 0;
}

typedef struct cost_sum {
	int64_t cost, dims_id;
	int rows;
} cost_sum;

static int add_costs(void *ctx, int64_t bucket, int64_t dims_id, int64_t cost_nanos)
{
	cost_sum *c = ctx;
	assert_true(bucket % 3600 == 0);
	c->cost += cost_nanos;
	c->dims_id = dims_id;
	c->rows++;
	return 0;
}

static void test_rollup_upsert_and_scan(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/r.db", tu_tmpdir());
	store *s = open_path(path);
	rollup_acc *acc = rollup_acc_new();
	tt_event ev;
	event_init(&ev);
	strcpy(ev.use_case, "u");
	tt_dims d;
	store_dims_of(&ev, &d);
	assert_int_equal(store_begin(s), 0);
	int64_t id = store_dims_intern(s, &d);
	/* two flushes into the same cells: counters add, sketches merge */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			ev.ts_ms = 1764547200000LL + (int64_t)i * 61000; /* 2025-12-01, ~1.7 h */
			ev.cost_nanos = i;
			ev.latency_ms = 100 + i;
			assert_int_equal(rollup_acc_add(acc, id, &ev), 0);
		}
		assert_int_equal(rollup_acc_flush(acc, (rollup_emit_fn)store_rollup_add, s), 0);
	}
	assert_int_equal(store_commit(s), 0);
	scan_sum sum = {0};
	sketch_init(&sum.lat);
	assert_int_equal(store_rollup_scan(s, 1764547200000LL - 86400000LL,
	                                   1764547200000LL + 86400000LL, true, sum_rows, &sum),
	                 0);
	assert_int_equal(sum.requests, 200);
	assert_int_equal(sum.cost, 2 * 4950);
	assert_int_equal(sum.lat.count, 200);
	assert_int_equal(sum.rows[TT_RES_DAY], 1); /* the whole day came from one day row */
	assert_int_equal(sum.rows[TT_RES_MINUTE], 0);
	double p50 = sketch_quantile(&sum.lat, 0.5);
	assert_true(p50 > 148 * 0.99 && p50 < 150 * 1.01);
	sketch_free(&sum.lat);

	/* a ragged range uses hours and minutes at the edges */
	memset(&sum, 0, sizeof sum);
	sketch_init(&sum.lat);
	assert_int_equal(store_rollup_scan(s, 1764547200000LL + 30 * 60000,
	                                   1764547200000LL + 90 * 60000 + 1, false, sum_rows, &sum),
	                 0);
	assert_true(sum.rows[TT_RES_HOUR] == 0 || sum.rows[TT_RES_MINUTE] > 0);
	/* events at i*61 s: minutes 30..90 inclusive of the widened end */
	int64_t want = 0;
	for (int i = 0; i < 100; i++) {
		int64_t t = (int64_t)i * 61000;
		if (t >= 30 * 60000 && t < 91 * 60000)
			want += 2;
	}
	assert_int_equal(sum.requests, want);
	sketch_free(&sum.lat);

	/* held to minutes, the same range reads every minute on its own */
	memset(&sum, 0, sizeof sum);
	sketch_init(&sum.lat);
	assert_int_equal(store_rollup_scan_res(s, 1764547200000LL - 86400000LL,
	                                       1764547200000LL + 86400000LL, TT_RES_MINUTE, true,
	                                       sum_rows, &sum),
	                 0);
	assert_int_equal(sum.requests, 200);
	assert_int_equal(sum.lat.count, 200);
	assert_int_equal(sum.rows[TT_RES_MINUTE], 100);
	assert_int_equal(sum.rows[TT_RES_HOUR] + sum.rows[TT_RES_DAY], 0);
	sketch_free(&sum.lat);
	memset(&sum, 0, sizeof sum);
	assert_int_equal(store_rollup_scan_res(s, 1764547200000LL, 1764547200000LL + 86400000LL,
	                                       TT_RES_HOUR, false, sum_rows, &sum),
	                 0);
	assert_int_equal(sum.rows[TT_RES_HOUR], 2);
	assert_int_equal(sum.rows[TT_RES_MINUTE] + sum.rows[TT_RES_DAY], 0);
	assert_int_equal(sum.cost, 2 * 4950);

	/* spend alone: the rows whose bucket starts in the range */
	cost_sum c = {0};
	assert_int_equal(store_rollup_costs(s, TT_RES_HOUR, 1764547200000LL,
	                                    1764547200000LL + 3600000, add_costs, &c),
	                 0);
	assert_int_equal(c.rows, 1);
	int64_t first_hour = 0;
	for (int i = 0; i < 100; i++)
		first_hour += (int64_t)i * 61000 < 3600000 ? 2 * i : 0;
	assert_int_equal(c.cost, first_hour);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_rollup_costs(s, TT_RES_HOUR, 1764547200000LL - 1,
	                                    1764547200000LL + 3600001, add_costs, &c),
	                 0);
	assert_int_equal(c.rows, 2);
	assert_int_equal(c.cost, 2 * 4950);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_rollup_costs(s, TT_RES_HOUR, 1764547200000LL + 1,
	                                    1764547200000LL + 3600000, add_costs, &c),
	                 0);
	assert_int_equal(c.rows, 0);
	memset(&c, 0, sizeof c);
	assert_int_equal(
	    store_rollup_costs(s, TT_RES_DAY, 1764547200000LL, 1764547200000LL + 1, add_costs, &c),
	    0);
	assert_int_equal(c.rows, 1);
	assert_int_equal(c.cost, 2 * 4950);
	assert_int_equal(c.dims_id, id);
	assert_int_equal(store_rollup_costs(s, TT_RES_MINUTE, 0, 1, add_costs, &c), -1);
	rollup_acc_free(acc);
	store_close(s);
}

static void test_cursor(void **state)
{
	(void)state;
	char path[512], buf[64];
	snprintf(path, sizeof path, "%s/c.db", tu_tmpdir());
	store *s = open_path(path);
	assert_int_equal(store_cursor_get(s, "gw", buf, sizeof buf), 0);
	assert_int_equal(store_cursor_set(s, "gw", "abc"), 0);
	assert_int_equal(store_cursor_set(s, "gw", "def"), 0);
	assert_int_equal(store_cursor_get(s, "gw", buf, sizeof buf), 1);
	assert_string_equal(buf, "def");
	store_close(s);
}

typedef struct seen {
	int pairs;
	int64_t latest_ts, prev_ts;
	double kv;
	bool prev_null;
	size_t ttft_len;
} seen;

static int on_inference(void *ctx, const tt_inference *latest, const tt_inference *previous)
{
	seen *s = ctx;
	s->pairs++;
	s->latest_ts = latest->ts_ms;
	s->prev_ts = previous ? previous->ts_ms : -1;
	s->prev_null = previous == NULL;
	s->kv = latest->kv_cache_usage;
	s->ttft_len = latest->ttft_len;
	return 0;
}

static void test_inference_samples(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/i.db", tu_tmpdir());
	store *s = open_path(path);
	double buckets[4] = {0.1, 3, 1e308 * 10, 5};
	for (int i = 0; i < 3; i++) {
		tt_inference x = {.source = "vllm-a",
		                  .model_name = "llama",
		                  .ts_ms = 1000 + i,
		                  .requests_running = i,
		                  .requests_waiting = NAN,
		                  .kv_cache_usage = 0.25 * i,
		                  .prompt_tokens_total = 100,
		                  .generation_tokens_total = 50,
		                  .ttft = buckets,
		                  .ttft_len = sizeof buckets};
		assert_int_equal(store_inference_add(s, &x), 0);
	}
	seen sn = {0};
	assert_int_equal(store_inference_latest(s, on_inference, &sn), 0);
	assert_int_equal(sn.pairs, 1);
	assert_int_equal(sn.latest_ts, 1002);
	assert_int_equal(sn.prev_ts, 1001);
	assert_true(sn.kv == 0.5);
	assert_int_equal(sn.ttft_len, sizeof buckets);
	assert_int_equal(store_inference_prune(s, 1002), 0);
	memset(&sn, 0, sizeof sn);
	assert_int_equal(store_inference_latest(s, on_inference, &sn), 0);
	assert_true(sn.prev_null);
	store_close(s);
}

typedef struct gwseen {
	int n;
	char last[64];
	int64_t fetched;
} gwseen;

static int on_gwstate_row(void *ctx, const tt_gwstate *g)
{
	gwseen *s = ctx;
	s->n++;
	snprintf(s->last, sizeof s->last, "%s/%s", g->source, g->kind);
	s->fetched = g->fetched_ms;
	assert_int_equal(g->len, strlen(g->body));
	return 0;
}

static void test_gateway_state(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/g.db", tu_tmpdir());
	store *s = open_path(path);
	char *body, *etag;
	int64_t at;
	assert_int_equal(store_gwstate_get(s, "gw", "controls", &body, &etag, &at), 0);
	assert_null(body);
	assert_null(etag);
	assert_int_equal(store_gwstate_touch(s, "gw", "controls", 5), 0); /* nothing to touch */
	assert_int_equal(store_gwstate_put(s, "gw", "controls", "{\"controls\":[]}", "\"c0\"", 10),
	                 0);
	assert_int_equal(store_gwstate_put(s, "gw", "controls", "{\"controls\":[1]}", "\"c1\"", 20),
	                 0);
	assert_int_equal(store_gwstate_put(s, "gw", "health", "{}", NULL, 21), 0);
	assert_int_equal(store_gwstate_put(s, "a-gw", "routing", "{\"routes\":[]}", "", 22), 0);
	assert_int_equal(store_gwstate_get(s, "gw", "controls", &body, &etag, &at), 1);
	assert_string_equal(body, "{\"controls\":[1]}"); /* the newest replaced the older */
	assert_string_equal(etag, "\"c1\"");
	assert_int_equal(at, 20);
	free(body);
	free(etag);
	/* a 304: the same answer, confirmed later */
	assert_int_equal(store_gwstate_touch(s, "gw", "controls", 30), 1);
	assert_int_equal(store_gwstate_get(s, "gw", "controls", &body, NULL, &at), 1);
	assert_string_equal(body, "{\"controls\":[1]}");
	assert_int_equal(at, 30);
	free(body);
	assert_int_equal(store_gwstate_get(s, "a-gw", "routing", &body, &etag, NULL), 1);
	assert_null(etag); /* an empty ETag is none */
	free(body);
	gwseen sn = {0};
	assert_int_equal(store_gwstate_each(s, on_gwstate_row, &sn), 0);
	assert_int_equal(sn.n, 3);
	assert_string_equal(sn.last, "gw/health"); /* by source, then kind */
	assert_int_equal(sn.fetched, 21);
	store_close(s);
}

typedef struct mseen {
	int n;
	tt_metric_point first; /* strings not kept */
	int64_t a_ts;
	double a_value;
} mseen;

static int on_metric(void *ctx, const tt_metric_point *p)
{
	mseen *m = ctx;
	if (!m->n++)
		m->first = *p;
	if (strcmp(p->labels, "{\"use_case\":\"a\"}") == 0) {
		m->a_ts = p->ts_ms;
		m->a_value = p->value;
	}
	return 0;
}

static void test_metric_latest(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/m.db", tu_tmpdir());
	store *s = open_path(path);
	assert_int_equal(store_metric_add(s, "prom", "spend", "{\"use_case\":\"a\"}", 3000, 0.5),
	                 0);
	assert_int_equal(store_metric_add(s, "prom", "spend", "{\"use_case\":\"a\"}", 1000, 0.1),
	                 0);
	assert_int_equal(store_metric_add(s, "prom", "spend", "{\"use_case\":\"b\"}", 2000, NAN),
	                 0);
	assert_int_equal(store_metric_add(s, "prom", "rps", "{}", 2000, 7), 0);
	mseen m = {0};
	assert_int_equal(store_metric_latest(s, on_metric, &m), 0);
	assert_int_equal(m.n, 3);
	/* rps sorts first; spend{a} comes with its newest point, not its last inserted */
	assert_int_equal(m.first.ts_ms, 2000);
	assert_true(m.first.value == 7);
	assert_int_equal(m.first.points, 1);
	assert_int_equal(m.a_ts, 3000);
	assert_true(m.a_value == 0.5);
	memset(&m, 0, sizeof m);
	store_metric_add(s, "prom", "rps", "{}", 1000, 1); /* an older point changes nothing */
	assert_int_equal(store_metric_latest(s, on_metric, &m), 0);
	assert_true(m.first.value == 7);
	assert_int_equal(m.first.points, 2);
	store_close(s);
}

/* A rollup counter that would leave 64 bits is refused (SQLite's own + would turn it into a
 * floating-point value in silence); the stored sum is unchanged. */
static void test_rollup_sum_overflow(void **state)
{
	(void)state;
	char path[512], err[256];
	snprintf(path, sizeof path, "%s/over.db", tu_tmpdir());
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	assert_non_null(s);
	tt_rollup row = {.bucket = 1764547200, .dims_id = 1};
	row.m[TT_M_COST_NANOS] = INT64_MAX - 10;
	row.m[TT_M_REQUESTS] = 1;
	assert_int_equal(store_rollup_add(s, TT_RES_DAY, &row), 0);
	row.m[TT_M_COST_NANOS] = 10;
	assert_int_equal(store_rollup_add(s, TT_RES_DAY, &row), 0); /* exactly INT64_MAX */
	row.m[TT_M_COST_NANOS] = 1;
	assert_int_equal(store_rollup_add(s, TT_RES_DAY, &row), -1);
	assert_non_null(strstr(store_errmsg(s), "overflow"));
	scan_sum sum = {0};
	sketch_init(&sum.lat);
	assert_int_equal(store_rollup_scan(s, 1764547200000LL, 1764547200000LL + 86400000LL, false,
	                                   sum_rows, &sum),
	                 0);
	assert_true(sum.cost == INT64_MAX);
	assert_int_equal(sum.requests, 2);
	sketch_free(&sum.lat);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rollup_sum_overflow),
	    cmocka_unit_test(test_migrations),
	    cmocka_unit_test(test_migrate_to_nanos),
	    cmocka_unit_test(test_default_path),
	    cmocka_unit_test(test_dims_and_dedupe),
	    cmocka_unit_test(test_rollup_upsert_and_scan),
	    cmocka_unit_test(test_cursor),
	    cmocka_unit_test(test_inference_samples),
	    cmocka_unit_test(test_gateway_state),
	    cmocka_unit_test(test_metric_latest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
