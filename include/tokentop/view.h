/* View models: plain structs of what a screen or report shows, built from store + engine. */
#ifndef TOKENTOP_VIEW_H
#define TOKENTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/anomaly.h"
#include "tokentop/budget.h"
#include "tokentop/ratecard.h"
#include "tokentop/sketch.h"
#include "tokentop/slo.h"
#include "tokentop/store.h"

/* Totals per dimension tuple over a time range: the one pass every view starts from. */
typedef struct view_cube {
	int64_t since_ms, until_ms;
	size_t ndims;              /* dimension ids are 1..ndims-1 */
	char *(*dims)[TT_D_COUNT]; /* the strings of each id (NULL for unused ids) */
	int64_t (*m)[TT_M_COUNT];  /* totals per id */
	int64_t total[TT_M_COUNT]; /* totals over everything */
	int64_t day0;              /* first day (Unix days) of by_day */
	size_t ndays;
	int64_t (*by_day)[TT_M_COUNT]; /* totals per UTC day from day0 */
	bool with_sketches;
	sketch latency, ttft; /* merged over everything */
} view_cube;

int view_cube_build(store *st, int64_t since_ms, int64_t until_ms, bool with_sketches, view_cube *c,
                    char *err, size_t errlen);
void view_cube_free(view_cube *c);

/* One group of a breakdown. key[i] pairs with the dims asked for. */
typedef struct view_row {
	const char *key[TT_D_COUNT];
	int64_t m[TT_M_COUNT];
} view_row;

typedef struct view_rows {
	tt_dim by[TT_D_COUNT];
	size_t nby;
	view_row *rows;
	size_t n;
} view_rows;

/* Groups the cube by some dimensions, costliest first (then most requests, then by key).
 * keep (may be NULL) filters dimension ids. 0 or -1 (memory). */
typedef bool (*view_keep_fn)(const view_cube *c, size_t id, void *ctx);
int view_group(const view_cube *c, const tt_dim *by, size_t nby, view_keep_fn keep, void *ctx,
               view_rows *out);
void view_rows_free(view_rows *r);

/* a / b rounded half away from zero; 0 when b is 0. */
int64_t view_ratio_round(int64_t a, int64_t b);

/* The summary report. */
typedef struct view_summary {
	int64_t since_ms, until_ms;
	int64_t m[TT_M_COUNT];
	int64_t by_status[TT_STATUS_COUNT];
	int64_t by_cache[TT_CACHE_COUNT];
	int64_t errors; /* requests whose status is an error */
	int64_t cost_per_request_nanos;
	int64_t cost_per_success_nanos; /* -1 when there was no success */
	int64_t chargeback_nanos;       /* -1 without a rate card */
	double latency_ms[3];           /* p50, p95, p99; NAN when no latencies */
	double ttft_ms[3];
	int64_t day0;
	size_t ndays;
	int64_t (*by_day)[TT_M_COUNT];
	view_rows by_use_case, by_team, by_tenant, by_provider, by_model;
	view_rows unpriced; /* provider, model of events with no price */
	view_cube cube;
} view_summary;

int view_summary_build(store *st, int64_t since_ms, int64_t until_ms, const ratecard *card,
                       view_summary *v, char *err, size_t errlen);
void view_summary_free(view_summary *v);

/* The prompts report: prompt id + version by spend. */
typedef struct view_prompts {
	int64_t since_ms, until_ms;
	int64_t total_cost_nanos;
	size_t top; /* rows shown (<= rows.n) */
	view_rows rows;
	view_cube cube;
	const view_cube *of; /* the cube of view_prompts_of; NULL: cube */
	/* The trend (view_prompts_trend; trend_n is 0 before): each row's cost in buckets of
	 * trend_step_ms from trend_t0_ms, the range's start floored to the step's unit (a UTC
	 * minute, hour or day); bucket k is [t0 + k * step, + step) clipped to [since, until)
	 * (the range widened to whole minutes), so the first may lack part of a unit and the
	 * last may be partial. A row's buckets add up to its cost exactly. */
	size_t trend_n;
	int64_t trend_t0_ms, trend_step_ms;
	int64_t *trend;      /* rows.n * trend_n nano-dollars, row by row */
	int64_t *change_pct; /* per row: VIEW_TREND_NEW, VIEW_TREND_NONE or a percent */
} view_prompts;

/* The change figure: the cost per hour of the later half of the buckets against the earlier
 * half's, as a rounded percent (+35: a third more; -100: stopped). The halves split at the
 * bucket edge nearest the middle of the range and each is weighed by its length. */
#define VIEW_TREND_NEW  INT64_MAX /* no cost in the earlier half, some in the later */
#define VIEW_TREND_NONE INT64_MIN /* no cost in either half */

int view_prompts_build(store *st, int64_t since_ms, int64_t until_ms, size_t top, view_prompts *v,
                       char *err, size_t errlen);
/* As view_prompts_build, from a cube already read (without sketches) for the range: v->cube
 * stays empty and the rows point into cube, which must outlive v. */
int view_prompts_of(const view_cube *cube, size_t top, view_prompts *v, char *err, size_t errlen);
void view_prompts_free(view_prompts *v);
/* The bucket width for about nbuckets buckets over a range: a whole number of minutes, hours
 * (a span of 2 hours or more) or days (2 days or more), so that the rollup rows read never
 * straddle a bucket edge. */
int64_t view_trend_step(int64_t range_ms, int nbuckets);
/* Fills v's trend from the store: about nbuckets buckets (view_trend_step) over v's range.
 * Reads only spend: hour or day rows through store_rollup_costs inside the range, minute and
 * hour rows at its ragged edges. 0 or -1 with err. */
int view_prompts_trend(store *st, view_prompts *v, int nbuckets, char *err, size_t errlen);
/* Bucket k's span within the range (ms). */
void view_trend_span(const view_prompts *v, size_t k, int64_t *lo_ms, int64_t *hi_ms);

/* The routing report: per use case, the traffic share of each provider/model/tier. */
typedef struct view_route {
	const char *use_case;
	int64_t requests, elevated, cost_nanos;
	size_t first, n; /* its targets in view_routing.targets.rows */
} view_route;

typedef struct view_routing {
	int64_t since_ms, until_ms;
	view_route *routes;
	size_t nroutes;
	view_rows targets; /* by use_case, provider, model, tier */
	view_cube cube;
} view_routing;

int view_routing_build(store *st, int64_t since_ms, int64_t until_ms, view_routing *v, char *err,
                       size_t errlen);
/* As view_routing_build, from a cube already read for the range (as view_prompts_of). */
int view_routing_of(const view_cube *cube, view_routing *v, char *err, size_t errlen);
void view_routing_free(view_routing *v);

/* SLOs: burn rates over windows ending at now, the period's budget, the alert. */
typedef struct view_slo_row {
	const slo_spec *spec;
	slo_counts win[SLO_WINDOW_COUNT];
	slo_status status;
} view_slo_row;

typedef struct view_slo {
	int64_t now_ms;
	int64_t data_version; /* store_data_version when it was read */
	view_slo_row *rows;   /* in the order configured */
	size_t n;
} view_slo;

int view_slo_build(store *st, const slo_spec *specs, size_t n, int64_t now_ms, view_slo *v,
                   char *err, size_t errlen);
/* As view_slo_build, from prev (built with the same specs on the same handle): while the store
 * has not changed since, only the minutes each window gained and lost are read. Otherwise, or
 * when prev is NULL, a build. */
int view_slo_update(store *st, const slo_spec *specs, size_t n, int64_t now_ms,
                    const view_slo *prev, view_slo *v, char *err, size_t errlen);
/* A copy of src that owns its rows (the specs stay shared). */
int view_slo_copy(const view_slo *src, view_slo *dst);
void view_slo_free(view_slo *v);

/* Budgets: spend in the current period, state, forecast with range and backtest error. */
typedef struct view_budget_row {
	const budget_spec *spec;
	int64_t period_start_ms, period_end_ms;
	int64_t spent_nanos;
	double used_pct;             /* NAN for an amount of 0 (a forecast without a budget) */
	budget_state state;          /* of the spend so far */
	budget_state forecast_state; /* of the forecast's point: where the period is heading */
	forecast fc;                 /* range widened to at least +- mape */
	double mape;                 /* NAN without a full past period to replay */
	int backtests;               /* forecasts the mape is over */
	double whatif_factor;        /* 1 without what-ifs */
	forecast fc_whatif;          /* fc with the what-ifs applied to its projected part */
} view_budget_row;

typedef struct view_budgets {
	int64_t now_ms;
	view_budget_row *rows;
	size_t n;
	const whatif *whatifs;
	size_t nwhatifs;
	/* the hourly spend per budget the forecasts were made from, kept so that the next read of
	 * an unchanged store reads only the hours since (view_budgets_update) */
	int64_t data_version;
	int64_t hour0_ms;
	size_t nhours;
	int64_t **hourly; /* n x nhours; the last hour is the one holding now_ms */
} view_budgets;

/* card (may be NULL) tells the input-token part of each model's cost for context what-ifs. */
int view_budgets_build(store *st, const budget_spec *specs, size_t n, int64_t now_ms,
                       const whatif *w, size_t nw, const ratecard *card, view_budgets *v, char *err,
                       size_t errlen);
/* As view_budgets_build (without what-ifs), from prev (built with the same specs on the same
 * handle): while the store has not changed since, the closed hours prev read are not read
 * again. Otherwise, or when prev is NULL, a build. */
int view_budgets_update(store *st, const budget_spec *specs, size_t n, int64_t now_ms,
                        const view_budgets *prev, view_budgets *v, char *err, size_t errlen);
/* The state in words: "ok", or with the forecast's when it is worse, "ok, forecast hard". */
const char *view_budget_state_label(const view_budget_row *r, char *buf, size_t cap);
/* The worse of the two states: what a budget's colour says. */
budget_state view_budget_state_worst(const view_budget_row *r);
/* A copy of src that owns its rows and hours. */
int view_budgets_copy(const view_budgets *src, view_budgets *dst);
void view_budgets_free(view_budgets *v);

/* Alerts: every detector replayed over the last hours (docs/alerts.md). */
typedef struct view_alerts {
	int64_t now_ms;
	int64_t data_version;                /* store_data_version when it was read */
	int64_t from_ms;                     /* first evaluation */
	int64_t step_ms, fast_ms, window_ms; /* every step, a fast and a slow window */
	anomaly_alert *alerts; /* firing first (most severe, then newest), then resolved */
	size_t n, nfiring;
} view_alerts;

/* budgets (may be NULL with n 0) add a budget_burn rule per budget (scope "budget=NAME"). */
int view_alerts_build(store *st, const budget_spec *budgets, size_t nbudgets, int64_t now_ms,
                      view_alerts *v, char *err, size_t errlen);
/* As view_alerts_build; while the store has not changed since prev was read on the same handle
 * (with the same budgets) and no step has closed since, prev's alerts (nothing is read). */
int view_alerts_update(store *st, const budget_spec *budgets, size_t nbudgets, int64_t now_ms,
                       const view_alerts *prev, view_alerts *v, char *err, size_t errlen);
/* A copy of src that owns its alerts. */
int view_alerts_copy(const view_alerts *src, view_alerts *dst);
/* An alert's value (or baseline) in its kind's unit: "$0.82/min", "4210 tok/req", "12.50%",
 * "6.31 s"; "-" for NAN. */
void view_alert_value(anomaly_kind k, double v, char *buf, size_t cap);
/* The unit of a kind's value and baseline: "tokens_per_request", "share" (0..1),
 * "usd_per_minute", "ms". */
const char *view_alert_unit(anomaly_kind k);
/* Its evidence in one line: "code-review $0.82/min over 5m, 9.7x its baseline ($0.0845/min),
 * since 02:57 UTC". */
void view_alert_reason(const anomaly_alert *a, char *buf, size_t cap);
void view_alerts_free(view_alerts *v);

#endif
