/* The SLO view: good and bad requests per SLO over each window ending at now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/view.h"

typedef struct slo_ctx {
	const vdims *dims;
	const slo_spec *specs;
	size_t n;
	slo_counts *out; /* n counts of the window being scanned */
	sketch sk;
	int failed;
} slo_ctx;

static bool matches(const slo_spec *s, const char *use_case)
{
	return strcmp(s->use_case, "*") == 0 || strcmp(s->use_case, use_case) == 0;
}

static int count_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	slo_ctx *c = ctx;
	if (!vdims_has(c->dims, row->dims_id))
		return 0;
	const char *uc = c->dims->v[row->dims_id][TT_D_USE_CASE];
	tt_status st = c->dims->status[row->dims_id];
	bool decoded = false;
	for (size_t i = 0; i < c->n; i++) {
		const slo_spec *s = &c->specs[i];
		if (!matches(s, uc))
			continue;
		if (s->sli == SLO_AVAILABILITY) {
			c->out[i].total += row->m[TT_M_REQUESTS];
			if (st < TT_STATUS_COUNT && slo_is_bad_status(s, st))
				c->out[i].bad += row->m[TT_M_REQUESTS];
			continue;
		}
		if (!decoded) {
			sketch_clear(&c->sk);
			if (row->sk[TT_SK_LATENCY] &&
			    sketch_merge_blob(&c->sk, row->sk[TT_SK_LATENCY],
			                      row->sklen[TT_SK_LATENCY]))
				c->failed = 1;
			decoded = true;
		}
		/* requests with a latency; good when faster than the threshold (docs/alerts.md
		 * gives the error bound of counting from the sketch) */
		int64_t all = (int64_t)c->sk.count;
		int64_t good = (int64_t)sketch_count_below(&c->sk, (double)s->threshold_ms);
		c->out[i].total += all;
		c->out[i].bad += all - good;
	}
	return 0;
}

int view_slo_build(store *st, const slo_spec *specs, size_t n, int64_t now_ms, view_slo *v,
                   char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	if (!n)
		return 0;
	vdims dims;
	if (vdims_load(st, &dims)) {
		snprintf(err, errlen, "reading dimensions: %s", store_errmsg(st));
		return -1;
	}
	v->rows = calloc(n, sizeof *v->rows);
	slo_counts *acc = calloc(n, sizeof *acc);
	bool latency = false;
	for (size_t i = 0; i < n; i++)
		latency |= specs[i].sli == SLO_LATENCY;
	slo_ctx c = {.dims = &dims, .specs = specs, .n = n, .out = acc};
	sketch_init(&c.sk);
	int rc = v->rows && acc ? 0 : -1;
	if (rc)
		snprintf(err, errlen, "out of memory");
	/* each window, then each SLO's own period */
	for (int w = 0; !rc && w <= SLO_WINDOW_COUNT; w++) {
		if (w < SLO_WINDOW_COUNT) {
			memset(acc, 0, n * sizeof *acc);
			int64_t since = now_ms - slo_window_ms((slo_window)w);
			if (store_rollup_scan(st, since, now_ms, latency, count_row, &c))
				rc = -1;
			for (size_t i = 0; i < n; i++)
				v->rows[i].win[w] = acc[i];
			continue;
		}
		for (size_t i = 0; !rc && i < n; i++) {
			memset(acc, 0, n * sizeof *acc);
			slo_ctx one = c;
			one.specs = &specs[i];
			one.n = 1;
			if (store_rollup_scan(st, now_ms - specs[i].period_ms, now_ms,
			                      specs[i].sli == SLO_LATENCY, count_row, &one))
				rc = -1;
			c.failed |= one.failed;
			c.sk = one.sk;
			v->rows[i].spec = &specs[i];
			slo_evaluate(&specs[i], v->rows[i].win, acc[0], &v->rows[i].status);
		}
	}
	if (rc && v->rows && acc)
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
	if (!rc && c.failed) {
		snprintf(err, errlen, "malformed latency sketch in the database");
		rc = -1;
	}
	sketch_free(&c.sk);
	free(acc);
	vdims_free(&dims);
	if (rc) {
		view_slo_free(v);
		return -1;
	}
	v->n = n;
	return 0;
}

void view_slo_free(view_slo *v)
{
	free(v->rows);
	memset(v, 0, sizeof *v);
}
