/* The budgets view: hourly spend per budget scope, forecasts, backtests and what-ifs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/view.h"

#define HOUR_MS 3600000LL
#define WEEK_MS (7 * 86400000LL)

typedef struct series_ctx {
	const vdims *dims;
	const unsigned char *match; /* ndims x n: does dims id d fall in budget i */
	size_t n;
	int64_t hour0_ms;
	size_t nhours;
	int64_t **hourly;
} series_ctx;

static int add_cost(void *ctx, int64_t bucket, int64_t dims_id, int64_t cost_nanos)
{
	series_ctx *c = ctx;
	if (!vdims_has(c->dims, dims_id))
		return 0;
	int64_t i = (bucket * 1000 - c->hour0_ms) / HOUR_MS;
	if (i < 0 || (size_t)i >= c->nhours)
		return 0;
	const unsigned char *m = c->match + (size_t)dims_id * c->n;
	for (size_t k = 0; k < c->n; k++)
		if (m[k])
			c->hourly[k][i] += cost_nanos;
	return 0;
}

static int add_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	return add_cost(ctx, row->bucket, row->dims_id, row->m[TT_M_COST_NANOS]);
}

/* The whole hours from the store's narrow cost index; the hour holding now as far as its
 * minutes go (through the end of the minute holding now, as every range is read). */
static int hourly_series(store *st, series_ctx *c, int64_t from_ms, int64_t now_ms)
{
	int64_t cur = now_ms - ((now_ms % HOUR_MS) + HOUR_MS) % HOUR_MS;
	if (from_ms < cur && store_rollup_costs(st, TT_RES_HOUR, from_ms, cur, add_cost, c))
		return -1;
	return store_rollup_scan(st, cur, now_ms, false, add_row, c);
}

static bool keep_scope(const view_cube *c, size_t id, void *ctx)
{
	return budget_scope_has(ctx, c->dims[id]);
}

/* The share of a (provider, model) cell's cost that pays for input tokens: at card prices, or
 * by token counts without a price. */
static double input_share(const ratecard *card, const view_row *row, int64_t now_ms)
{
	const int64_t *m = row->m;
	const tt_price *p = card ? ratecard_lookup(card, row->key[1], row->key[2], now_ms) : NULL;
	if (p) {
		double in = (double)(m[TT_M_INPUT_TOKENS] - m[TT_M_CACHED_TOKENS]) *
		                (double)p->input_per_mtok +
		            (double)m[TT_M_CACHED_TOKENS] * (double)p->cached_input_per_mtok;
		double out = (double)m[TT_M_OUTPUT_TOKENS] * (double)p->output_per_mtok;
		if (in + out > 0)
			return in / (in + out);
	}
	int64_t t = m[TT_M_INPUT_TOKENS] + m[TT_M_OUTPUT_TOKENS];
	return t ? (double)m[TT_M_INPUT_TOKENS] / (double)t : 0;
}

/* The factor the what-ifs change a scope's spend by, from the mix of its last week. */
static int whatif_scope(const view_cube *week, const budget_scope *scope, const whatif *w,
                        size_t nw, const ratecard *card, int64_t now_ms, double *factor)
{
	static const tt_dim by[] = {TT_D_USE_CASE, TT_D_PROVIDER, TT_D_MODEL};
	view_rows rows;
	if (view_group(week, by, 3, keep_scope, (void *)scope, &rows))
		return -1;
	whatif_cell *cells = calloc(rows.n ? rows.n : 1, sizeof *cells);
	if (!cells) {
		view_rows_free(&rows);
		return -1;
	}
	for (size_t i = 0; i < rows.n; i++) {
		cells[i].use_case = rows.rows[i].key[0];
		cells[i].model = rows.rows[i].key[2];
		cells[i].cost_nanos = rows.rows[i].m[TT_M_COST_NANOS];
		cells[i].input_share = input_share(card, &rows.rows[i], now_ms);
	}
	*factor = whatif_factor(cells, rows.n, w, nw);
	free(cells);
	view_rows_free(&rows);
	return 0;
}

static int64_t hour_of(int64_t ms)
{
	return ms - ((ms % HOUR_MS) + HOUR_MS) % HOUR_MS;
}

/* The closed hours of prev that this read can take as they are: 0 when none. */
static size_t kept_hours(const view_budgets *prev, const budget_spec *specs, size_t n, int64_t dv,
                         int64_t hour0, int64_t now_ms)
{
	if (!prev || !prev->hourly || prev->n != n || !n || prev->rows[0].spec != specs || dv < 0 ||
	    prev->data_version != dv || prev->hour0_ms != hour0 || now_ms < prev->now_ms)
		return 0;
	return (size_t)((hour_of(prev->now_ms) - hour0) / HOUR_MS);
}

static int budgets_make(store *st, const budget_spec *specs, size_t n, int64_t now_ms,
                        const whatif *w, size_t nw, const ratecard *card, const view_budgets *prev,
                        view_budgets *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	v->data_version = store_data_version(st);
	v->whatifs = w;
	v->nwhatifs = nw;
	if (!n)
		return 0;
	int64_t first = 0, last = 0;
	if (store_time_bounds(st, &first, &last)) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		return -1;
	}
	int64_t data_start = first ? first : now_ms;
	int64_t hour0 = now_ms;
	for (size_t i = 0; i < n; i++) {
		int64_t h = budget_history_start(specs[i].period, now_ms);
		if (h < hour0)
			hour0 = h;
	}
	if (hour0 < data_start)
		hour0 = data_start;
	hour0 -= ((hour0 % HOUR_MS) + HOUR_MS) % HOUR_MS;
	size_t nhours = (size_t)((now_ms - hour0 + HOUR_MS - 1) / HOUR_MS);
	if (now_ms <= hour0)
		nhours = 0;

	vdims dims;
	if (vdims_load(st, &dims)) {
		snprintf(err, errlen, "reading dimensions: %s", store_errmsg(st));
		return -1;
	}
	int rc = -1;
	v->rows = calloc(n, sizeof *v->rows);
	int64_t **hourly = v->hourly = calloc(n, sizeof *hourly);
	v->hour0_ms = hour0;
	v->nhours = nhours;
	unsigned char *match = calloc(dims.n ? dims.n * n : 1, 1);
	view_cube week = {0};
	bool have_week = false;
	if (!v->rows || !hourly || !match)
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (!(hourly[i] = calloc(nhours ? nhours : 1, sizeof **hourly)))
			goto oom;
	for (size_t d = 1; d < dims.n; d++)
		for (size_t i = 0; vdims_has(&dims, (int64_t)d) && i < n; i++)
			match[d * n + i] = budget_scope_has(&specs[i].scope, dims.v[d]);
	size_t kept = kept_hours(prev, specs, n, v->data_version, hour0, now_ms);
	if (kept > nhours)
		kept = nhours;
	for (size_t i = 0; kept && i < n; i++)
		memcpy(hourly[i], prev->hourly[i], kept * sizeof **hourly);
	series_ctx c = {&dims, match, n, hour0, nhours, hourly};
	if (nhours && hourly_series(st, &c, hour0 + (int64_t)kept * HOUR_MS, now_ms)) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		goto done;
	}
	if (nw) {
		if (view_cube_build(st, now_ms - WEEK_MS, now_ms, false, &week, err, errlen))
			goto done;
		have_week = true;
	}
	for (size_t i = 0; i < n; i++) {
		view_budget_row *r = &v->rows[i];
		const budget_spec *b = &specs[i];
		r->spec = b;
		budget_period_bounds(b->period, now_ms, &r->period_start_ms, &r->period_end_ms);
		budget_series s = {hourly[i], nhours, hour0, data_start};
		budget_forecast(&s, r->period_start_ms, r->period_end_ms, now_ms, &r->fc);
		r->spent_nanos = r->fc.spent_nanos;
		r->used_pct = b->amount_nanos > 0
		                  ? 100.0 * (double)r->spent_nanos / (double)b->amount_nanos
		                  : NAN;
		r->state = b->amount_nanos > 0 ? budget_state_of(b, r->spent_nanos) : BUDGET_OK;
		r->forecast_state =
		    b->amount_nanos > 0 ? budget_state_of(b, r->fc.point_nanos) : BUDGET_OK;
		r->mape = budget_backtest(&s, b->period, now_ms, &r->backtests);
		budget_forecast_widen(&r->fc, r->mape);
		r->whatif_factor = 1;
		r->fc_whatif = r->fc;
		if (nw) {
			if (whatif_scope(&week, &b->scope, w, nw, card, now_ms, &r->whatif_factor))
				goto oom;
			if (whatif_apply(&r->fc_whatif, r->whatif_factor)) {
				snprintf(
				    err, errlen,
				    "budget %s: the what-ifs (x%g together) take its forecast past "
				    "9.2 billion USD, more than can be counted; refused",
				    b->name, r->whatif_factor);
				goto done;
			}
		}
	}
	v->n = n;
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	if (have_week)
		view_cube_free(&week);
	free(match);
	vdims_free(&dims);
	if (rc) {
		v->n = n; /* the hours allocated so far */
		view_budgets_free(v);
	}
	return rc;
}

const char *view_budget_state_label(const view_budget_row *r, char *buf, size_t cap)
{
	if (r->forecast_state > r->state)
		snprintf(buf, cap, "%s, forecast %s", budget_state_name(r->state),
		         budget_state_name(r->forecast_state));
	else
		snprintf(buf, cap, "%s", budget_state_name(r->state));
	return buf;
}

budget_state view_budget_state_worst(const view_budget_row *r)
{
	return r->forecast_state > r->state ? r->forecast_state : r->state;
}

int view_budgets_build(store *st, const budget_spec *specs, size_t n, int64_t now_ms,
                       const whatif *w, size_t nw, const ratecard *card, view_budgets *v, char *err,
                       size_t errlen)
{
	return budgets_make(st, specs, n, now_ms, w, nw, card, NULL, v, err, errlen);
}

int view_budgets_update(store *st, const budget_spec *specs, size_t n, int64_t now_ms,
                        const view_budgets *prev, view_budgets *v, char *err, size_t errlen)
{
	return budgets_make(st, specs, n, now_ms, NULL, 0, NULL, prev, v, err, errlen);
}

int view_budgets_copy(const view_budgets *src, view_budgets *dst)
{
	*dst = *src;
	dst->rows = NULL;
	dst->hourly = NULL;
	if (!src->n)
		return 0;
	dst->rows = malloc(src->n * sizeof *dst->rows);
	dst->hourly = src->hourly ? calloc(src->n, sizeof *dst->hourly) : NULL;
	if (!dst->rows || (src->hourly && !dst->hourly))
		goto fail;
	memcpy(dst->rows, src->rows, src->n * sizeof *dst->rows);
	for (size_t i = 0; dst->hourly && i < src->n; i++) {
		dst->hourly[i] = malloc((src->nhours ? src->nhours : 1) * sizeof **dst->hourly);
		if (!dst->hourly[i])
			goto fail;
		memcpy(dst->hourly[i], src->hourly[i], src->nhours * sizeof **dst->hourly);
	}
	return 0;
fail:
	view_budgets_free(dst);
	return -1;
}

void view_budgets_free(view_budgets *v)
{
	for (size_t i = 0; v->hourly && i < v->n; i++)
		free(v->hourly[i]);
	free(v->hourly);
	v->hourly = NULL;
	free(v->rows);
	v->rows = NULL;
	v->n = 0;
}
