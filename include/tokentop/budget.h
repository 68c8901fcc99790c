/* Budgets and spend forecasts: period bounds, soft/hard states, a profile forecast, backtests. */
#ifndef TOKENTOP_BUDGET_H
#define TOKENTOP_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"
#include "tokentop/slo.h"
#include "tokentop/store.h"

#define BUDGET_NAME_CAP 64

typedef enum { BUDGET_DAY, BUDGET_WEEK, BUDGET_MONTH, BUDGET_PERIOD_COUNT } budget_period;

const char *budget_period_name(budget_period p); /* "day", "week", "month" */
int budget_period_parse(const char *s, budget_period *out);

/* The UTC period holding t: days from 00:00, weeks from Monday 00:00, months from the 1st. */
void budget_period_bounds(budget_period p, int64_t t_ms, int64_t *start_ms, int64_t *end_ms);

/* What a budget covers: every event, or those whose dimension equals a value. */
typedef struct budget_scope {
	bool all;
	tt_dim dim;
	char value[TT_MODEL_CAP];
} budget_scope;

/* "*" or "DIM=VALUE" (use_case, team, tenant, prompt_id, provider, model, tier); 0 or -1. */
int budget_scope_parse(const char *s, budget_scope *out);
/* Writes "*" or "DIM=VALUE". */
void budget_scope_format(const budget_scope *s, char *buf, size_t cap);
/* Whether a dimension tuple (dims[TT_D_*]) falls in the scope. */
bool budget_scope_has(const budget_scope *s, char *const dims[TT_D_COUNT]);

/* One budget, as configured ([budget NAME] in docs/config.md). */
typedef struct budget_spec {
	char name[BUDGET_NAME_CAP];
	budget_scope scope;
	budget_period period;
	int64_t amount_nanos;
	int64_t soft_pct, hard_pct; /* percent of amount: alert, recommend throttle */
} budget_spec;

typedef enum { BUDGET_OK, BUDGET_SOFT, BUDGET_HARD } budget_state;
const char *budget_state_name(budget_state s); /* "ok", "soft", "hard" */

/* The state of spend against a budget: hard from hard_pct of the amount on, soft from soft_pct. */
budget_state budget_state_of(const budget_spec *b, int64_t spent_nanos);

/*
 * Budget burn (docs/alerts.md): money spent as an SLO spends its error budget. A burn rate is
 * the spend of a window against the pace that spends the amount exactly over the period: 1 is
 * on pace, 14.4 spends 2% of a 30-day budget in an hour.
 */
double budget_burn_rate(int64_t spent_nanos, int64_t window_ms, int64_t amount_nanos,
                        int64_t period_ms);
#define BUDGET_BURN_RULES 3
/* Burn rule i (0..2): the SLO rules' windows and shares (page 1h and 5m at 2%, 6h and 30m at
 * 5%; ticket 1d and 2h at 10%), the rate share x period / long window floored at 3 for a page
 * and 1.5 for a ticket, so that the busy hour of a day's budget does not page. */
double budget_burn_threshold(int rule, int64_t period_ms);
/* The strongest rule whose two windows both reach their rate: its alert, and its index in
 * *rule (-1 with SLO_ALERT_NONE). */
slo_alert budget_burn_alert(const double burn[SLO_WINDOW_COUNT], int64_t period_ms, int *rule);
void budget_burn_windows(int rule, slo_window *long_w, slo_window *short_w);

/*
 * Forecasting. Spend is given per UTC hour: hourly[i] is the spend of the hour starting at
 * hour0_ms + i hours. History is what lies before the cut; data_start_ms is when the data
 * begins (earlier hours are unknown, not zero).
 */
typedef struct budget_series {
	const int64_t *hourly;
	size_t nhours;
	int64_t hour0_ms;
	int64_t data_start_ms;
} budget_series;

/* How the rest of a period was projected, from the most history to the least. */
typedef enum {
	FORECAST_WEEKLY, /* hour-of-week profile of the last 1 to 4 weeks, scaled to the last week
	                  */
	FORECAST_DAILY,  /* hour-of-day profile of the last 1 to 6 days */
	FORECAST_RATE,   /* the mean hourly rate of under a day of history */
	FORECAST_NONE,   /* no history: only the spend so far */
	FORECAST_BASIS_COUNT
} forecast_basis;

const char *forecast_basis_name(forecast_basis b); /* "weekly", "daily", "rate", "none" */

typedef struct forecast {
	int64_t spent_nanos; /* in [period start, cut) */
	int64_t point_nanos; /* spent + projected rest of the period */
	int64_t low_nanos, high_nanos;
	forecast_basis basis;
	int weeks; /* weeks in the weekly profile */
} forecast;

/* Forecasts the total of the period [start, end) from the spend before cut_ms (start <= cut <=
 * end). Only hours of the series before the cut are read. */
void budget_forecast(const budget_series *s, int64_t start_ms, int64_t end_ms, int64_t cut_ms,
                     forecast *out);

/* Widens a forecast's range to at least the point +- mape of it (never below the spend). */
void budget_forecast_widen(forecast *f, double mape);

/* Replays the full periods before the one holding `before_ms` (up to 2 months, 4 weeks or 7 days):
 * forecasts each from a quarter, half and three quarters of the way through and compares with
 * what it came to. Mean absolute percentage error as a fraction; NAN when no full period with
 * spend lies in the data. *n_out (may be NULL) gets the number of forecasts compared. */
double budget_backtest(const budget_series *s, budget_period p, int64_t before_ms, int *n_out);

/* The history a forecast and its backtest read: from this time on. */
int64_t budget_history_start(budget_period p, int64_t now_ms);

/*
 * What-ifs: a change applied to the projected part of a forecast. The spend is split into
 * cells (use case x model), each with its share of recent spend and the part of its cost that
 * is input tokens; each what-if scales the cells it applies to.
 */
typedef enum { WHATIF_CONTEXT, WHATIF_PRICE, WHATIF_TRAFFIC, WHATIF_KIND_COUNT } whatif_kind;
#define WHATIF_MAX_FACTOR 1000 /* x1000 (+99900%): beyond it a what-if is a typo, not a plan */

typedef struct whatif {
	whatif_kind kind;
	char target[TT_MODEL_CAP]; /* price: a model; traffic: a use case; context: unused */
	double factor;             /* context and price: 1 + change; traffic: the multiple */
} whatif;

/* "context=+20%", "price=MODEL:+15%", "traffic=USE_CASE:x2" (also -10%, x0.5); 0 or -1 with
 * a reason. */
int whatif_parse(const char *s, whatif *out, char *why, size_t whylen);

/* Writes the what-if back in the form whatif_parse reads. */
void whatif_format(const whatif *w, char *buf, size_t cap);

typedef struct whatif_cell {
	const char *use_case, *model;
	int64_t cost_nanos; /* recent spend of the cell */
	double input_share; /* of that spend, the part paid for input tokens (0..1) */
} whatif_cell;

/* The factor by which the what-ifs change spend with this mix; 1 with no cells or no spend. */
double whatif_factor(const whatif_cell *cells, size_t ncells, const whatif *w, size_t nw);

/* Applies a factor to the projected part of a forecast (spend so far is spent). 0; -1 with f
 * unchanged when a figure would leave 64-bit nano-dollars. */
int whatif_apply(forecast *f, double factor);

#endif
