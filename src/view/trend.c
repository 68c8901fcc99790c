/* Prompt trends: each prompt version's cost per time bucket over the range, and its change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/strmap.h"
#include "tokentop/view.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

static const int64_t res_ms[TT_RES_COUNT] = {MIN_MS, HOUR_MS, DAY_MS};

typedef struct trend_ctx {
	view_prompts *v;
	const int32_t *row_of; /* dims id -> prompt row, -1: none */
	size_t nids;
} trend_ctx;

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t ceil_to(int64_t v, int64_t step)
{
	return -floor_div(-v, step) * step;
}

int64_t view_trend_step(int64_t range_ms, int nbuckets)
{
	if (nbuckets < 1)
		nbuckets = 1;
	int64_t raw = range_ms / nbuckets;
	int64_t unit = raw >= 2 * DAY_MS ? DAY_MS : raw >= 2 * HOUR_MS ? HOUR_MS : MIN_MS;
	int64_t step = (raw + unit / 2) / unit * unit;
	return step > 0 ? step : unit;
}

/* The range as the store reads it: widened to whole minutes. */
static void trend_bounds(const view_prompts *v, int64_t *a, int64_t *b)
{
	*a = floor_div(v->since_ms, MIN_MS) * MIN_MS;
	*b = ceil_to(v->until_ms, MIN_MS);
}

void view_trend_span(const view_prompts *v, size_t k, int64_t *lo_ms, int64_t *hi_ms)
{
	int64_t a, b;
	trend_bounds(v, &a, &b);
	int64_t lo = v->trend_t0_ms + (int64_t)k * v->trend_step_ms;
	int64_t hi = lo + v->trend_step_ms;
	*lo_ms = lo < a ? a : lo;
	*hi_ms = hi > b ? b : hi;
}

static void trend_add(trend_ctx *t, int64_t bucket_s, int64_t dims_id, int64_t cost)
{
	if (dims_id <= 0 || (size_t)dims_id >= t->nids || t->row_of[dims_id] < 0 || !cost)
		return; /* not a prompt row of the cube (a dims row newer than it) */
	view_prompts *v = t->v;
	int64_t k = floor_div(bucket_s * 1000 - v->trend_t0_ms, v->trend_step_ms);
	if (k < 0)
		k = 0;
	if ((size_t)k >= v->trend_n)
		k = (int64_t)v->trend_n - 1;
	v->trend[(size_t)t->row_of[dims_id] * v->trend_n + (size_t)k] += cost;
}

static int add_cost(void *ctx, int64_t bucket, int64_t dims_id, int64_t cost_nanos)
{
	trend_add(ctx, bucket, dims_id, cost_nanos);
	return 0;
}

static int add_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	trend_add(ctx, row->bucket, row->dims_id, row->m[TT_M_COST_NANOS]);
	return 0;
}

/* Reads [a, b) (ms, whole minutes) as the store tiles it, never coarser than r: the rows of r
 * that fit through their cost index, finer ones at the edges. */
static int trend_read(store *st, trend_ctx *t, int r, int64_t a, int64_t b)
{
	if (a >= b)
		return 0;
	if (r == TT_RES_MINUTE)
		return store_rollup_scan_res(st, a, b, TT_RES_MINUTE, false, add_row, t);
	int64_t lo = ceil_to(a, res_ms[r]), hi = floor_div(b, res_ms[r]) * res_ms[r];
	if (lo >= hi)
		return trend_read(st, t, r - 1, a, b);
	int rc = trend_read(st, t, r - 1, a, lo);
	if (!rc)
		rc = store_rollup_costs(st, (tt_res)r, lo, hi, add_cost, t);
	if (!rc)
		rc = trend_read(st, t, r - 1, hi, b);
	return rc;
}

/* (x * 100) / y rounded half away from zero; y > 0. */
static int64_t pct_round(__int128 x, __int128 y)
{
	__int128 q = x * 200 / y;
	return (int64_t)((q + (q >= 0 ? 1 : -1)) / 2);
}

static void trend_change(view_prompts *v)
{
	int64_t a, b;
	trend_bounds(v, &a, &b);
	size_t n = v->trend_n, h = 1;
	if (n >= 2) { /* the inner edge nearest the middle */
		int64_t mid = a + (b - a) / 2;
		int64_t e =
		    floor_div(mid - v->trend_t0_ms + v->trend_step_ms / 2, v->trend_step_ms);
		h = e < 1 ? 1 : (size_t)e >= n ? n - 1 : (size_t)e;
	}
	int64_t edge = v->trend_t0_ms + (int64_t)h * v->trend_step_ms;
	int64_t dfirst = edge - a, dlast = b - edge;
	for (size_t i = 0; i < v->rows.n; i++) {
		const int64_t *c = v->trend + i * n;
		int64_t first = 0, last = 0;
		for (size_t k = 0; k < n; k++)
			*(k < h ? &first : &last) += c[k];
		if (n < 2 || dfirst <= 0 || dlast <= 0 || (!first && !last))
			v->change_pct[i] = VIEW_TREND_NONE;
		else if (!first)
			v->change_pct[i] = VIEW_TREND_NEW;
		else /* the later half's cost per ms over the earlier half's, less one */
			v->change_pct[i] =
			    pct_round((__int128)last * dfirst - (__int128)first * dlast,
			              (__int128)first * dlast);
	}
}

/* Each dims id's prompt row: the rows keyed by id 0x1f version. */
static int32_t *trend_rows_of(const view_prompts *v, const view_cube *c)
{
	strmap *m = strmap_new();
	int32_t *row_of = c->ndims ? malloc(c->ndims * sizeof *row_of) : NULL;
	int rc = !m || (c->ndims && !row_of) ? -1 : 0;
	char key[TT_DIMS_KEY_CAP];
	for (size_t i = 0; !rc && i < v->rows.n; i++) {
		const view_row *r = &v->rows.rows[i];
		int len = snprintf(key, sizeof key, "%s\x1f%s", r->key[0], r->key[1]);
		if (len > 0 && (size_t)len < sizeof key)
			rc = strmap_put(m, key, (size_t)len, (int64_t)i);
	}
	for (size_t id = 0; !rc && id < c->ndims; id++) {
		row_of[id] = -1;
		if (!c->dims[id][0])
			continue;
		int len = snprintf(key, sizeof key, "%s\x1f%s", c->dims[id][TT_D_PROMPT_ID],
		                   c->dims[id][TT_D_PROMPT_VERSION]);
		if (len > 0 && (size_t)len < sizeof key)
			row_of[id] = (int32_t)strmap_get(m, key, (size_t)len);
	}
	strmap_free(m);
	if (rc) {
		free(row_of);
		return NULL;
	}
	return row_of;
}

int view_prompts_trend(store *st, view_prompts *v, int nbuckets, char *err, size_t errlen)
{
	free(v->trend);
	free(v->change_pct);
	v->trend = v->change_pct = NULL;
	v->trend_n = 0;
	const view_cube *c = v->of ? v->of : &v->cube;
	int64_t a, b;
	trend_bounds(v, &a, &b);
	int64_t step = view_trend_step(b > a ? b - a : MIN_MS, nbuckets);
	int r = step % DAY_MS == 0 ? TT_RES_DAY : step % HOUR_MS == 0 ? TT_RES_HOUR : TT_RES_MINUTE;
	/* edges on whole units of r: no row read straddles one */
	v->trend_step_ms = step;
	v->trend_t0_ms = floor_div(a, res_ms[r]) * res_ms[r];
	size_t n = b > v->trend_t0_ms ? (size_t)((b - v->trend_t0_ms + step - 1) / step) : 1;
	int32_t *row_of = NULL;
	if (v->rows.n) {
		v->trend = calloc(v->rows.n * n, sizeof *v->trend);
		v->change_pct = calloc(v->rows.n, sizeof *v->change_pct);
		row_of = trend_rows_of(v, c);
		if (!v->trend || !v->change_pct || (c->ndims && !row_of)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	v->trend_n = n;
	if (!v->rows.n)
		return 0;
	trend_ctx t = {v, row_of, c->ndims};
	if (trend_read(st, &t, r, a, b)) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		goto fail;
	}
	free(row_of);
	trend_change(v);
	return 0;
fail:
	free(row_of);
	free(v->trend);
	free(v->change_pct);
	v->trend = v->change_pct = NULL;
	v->trend_n = 0;
	return -1;
}
