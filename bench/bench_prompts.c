/* Times the prompts view (rollups) against the same GROUP BY over a raw events table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "tokentop/rollup.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: bench_prompts DB RAWDB SINCE UNTIL\n");
		return 2;
	}
	int64_t since, until;
	if (time_parse_iso(argv[3], strlen(argv[3]), &since) ||
	    time_parse_iso(argv[4], strlen(argv[4]), &until)) {
		fprintf(stderr, "bench_prompts: bad time\n");
		return 2;
	}
	char err[512];
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *st = store_open(argv[1], &o, err, sizeof err);
	if (!st) {
		fprintf(stderr, "bench_prompts: %s\n", err);
		return 1;
	}
	enum { RUNS = 7, RAW_RUNS = 3 }; /* the raw query takes seconds a run */
	double tv[RUNS], tr[RAW_RUNS];
	int64_t view_cost = 0, raw_cost = 0;
	size_t nview = 0, raw_rows = 0;
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_s();
		view_prompts v;
		if (view_prompts_build(st, since, until, 10, &v, err, sizeof err)) {
			fprintf(stderr, "bench_prompts: %s\n", err);
			return 1;
		}
		tv[i] = now_s() - t0;
		view_cost = v.rows.n ? v.rows.rows[0].m[TT_M_COST_NANOS] : 0;
		nview = v.rows.n;
		view_prompts_free(&v);
	}
	store_close(st);

	sqlite3 *db;
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_prompts: %s: %s\n", argv[2], sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_exec(db, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	const char *sql = "SELECT prompt_id, prompt_version, sum(cost_nanos) AS cost, count(*),"
	                  " sum(input_tokens), sum(output_tokens) FROM raw_events"
	                  " WHERE ts_ms >= ? AND ts_ms < ? GROUP BY prompt_id, prompt_version"
	                  " ORDER BY cost DESC";
	for (int i = 0; i < RAW_RUNS; i++) {
		sqlite3_stmt *q;
		double t0 = now_s();
		if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_prompts: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		sqlite3_bind_int64(q, 1, since);
		sqlite3_bind_int64(q, 2, until);
		raw_rows = 0;
		while (sqlite3_step(q) == SQLITE_ROW) {
			if (raw_rows++ == 0)
				raw_cost = sqlite3_column_int64(q, 2);
		}
		sqlite3_finalize(q);
		tr[i] = now_s() - t0;
	}
	sqlite3_close(db);
	qsort(tv, RUNS, sizeof *tv, cmp_d);
	qsort(tr, RAW_RUNS, sizeof *tr, cmp_d);
	double mv = tv[RUNS / 2], mr = tr[RAW_RUNS / 2];
	printf("prompts view (rollups): median %.2f ms over %d runs, %zu prompts, top cost %lld\n",
	       mv * 1e3, RUNS, nview, (long long)view_cost);
	printf("raw GROUP BY (sqlite3): median %.2f ms over %d runs, %zu prompts, top cost %lld\n",
	       mr * 1e3, RAW_RUNS, raw_rows, (long long)raw_cost);
	printf("prompts speed-up: %.1fx (target >= 50x), view %s 50 ms target\n", mr / mv,
	       mv < 0.050 ? "under" : "OVER");
	if (view_cost != raw_cost || nview != raw_rows) {
		printf("MISMATCH: the view and the raw query disagree\n");
		return 1;
	}
	return 0;
}
