/* Budgets and spend forecasts: hour-of-week profiles, ranges, backtests and what-ifs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/budget.h"
#include "tokentop/timeutil.h"

#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL
#define WEEK_MS (7 * DAY_MS)

#define MAX_WEEKS 4 /* of history in a weekly profile */

static const char *const period_names[BUDGET_PERIOD_COUNT] = {"day", "week", "month"};
static const char *const state_names[] = {"ok", "soft", "hard"};
static const char *const basis_names[FORECAST_BASIS_COUNT] = {"weekly", "daily", "rate", "none"};

/* How far a forecast's range reaches at least, by basis, as a fraction of the projected part:
 * the less history, the less is known of how the rest may vary. */
static const double min_band[FORECAST_BASIS_COUNT] = {0.10, 0.25, 0.50, 0};

/* Full periods a backtest replays. */
static const int backtest_periods[BUDGET_PERIOD_COUNT] = {7, 4, 2};

/* The dimensions a budget may be scoped by. */
static const struct {
	const char *name;
	tt_dim dim;
} scope_dims[] = {
    {"use_case", TT_D_USE_CASE},   {"team", TT_D_TEAM},         {"tenant", TT_D_TENANT},
    {"prompt_id", TT_D_PROMPT_ID}, {"provider", TT_D_PROVIDER}, {"model", TT_D_MODEL},
    {"tier", TT_D_TIER},
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_to(int64_t v, int64_t step)
{
	return floor_div(v, step) * step;
}

static int64_t ceil_to(int64_t v, int64_t step)
{
	return -floor_div(-v, step) * step;
}

/* n / d rounded half away from zero (d > 0). */
static int64_t div_round(__int128 n, __int128 d)
{
	__int128 q = (n < 0 ? n - d / 2 : n + d / 2) / d;
	return (int64_t)q;
}

const char *budget_period_name(budget_period p)
{
	return p >= 0 && p < BUDGET_PERIOD_COUNT ? period_names[p] : NULL;
}

int budget_period_parse(const char *s, budget_period *out)
{
	for (int i = 0; i < BUDGET_PERIOD_COUNT; i++)
		if (strcmp(s, period_names[i]) == 0) {
			*out = (budget_period)i;
			return 0;
		}
	return -1;
}

void budget_period_bounds(budget_period p, int64_t t_ms, int64_t *start_ms, int64_t *end_ms)
{
	int64_t day = floor_div(t_ms, DAY_MS);
	if (p == BUDGET_DAY) {
		*start_ms = day * DAY_MS;
		*end_ms = *start_ms + DAY_MS;
	} else if (p == BUDGET_WEEK) {
		int64_t monday = day - (((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		*start_ms = monday * DAY_MS;
		*end_ms = *start_ms + WEEK_MS;
	} else {
		int64_t y;
		unsigned m, d;
		time_civil_from_days(day, &y, &m, &d);
		*start_ms = time_days_from_civil(y, m, 1) * DAY_MS;
		*end_ms = (m == 12 ? time_days_from_civil(y + 1, 1, 1)
		                   : time_days_from_civil(y, m + 1, 1)) *
		          DAY_MS;
	}
}

int budget_scope_parse(const char *s, budget_scope *out)
{
	memset(out, 0, sizeof *out);
	if (strcmp(s, "*") == 0) {
		out->all = true;
		return 0;
	}
	const char *eq = strchr(s, '=');
	if (!eq || !eq[1] || strlen(eq + 1) >= sizeof out->value)
		return -1;
	for (size_t i = 0; i < sizeof scope_dims / sizeof scope_dims[0]; i++)
		if (strlen(scope_dims[i].name) == (size_t)(eq - s) &&
		    strncmp(s, scope_dims[i].name, (size_t)(eq - s)) == 0) {
			out->dim = scope_dims[i].dim;
			strcpy(out->value, eq + 1);
			return 0;
		}
	return -1;
}

bool budget_scope_has(const budget_scope *s, char *const dims[TT_D_COUNT])
{
	return s->all || strcmp(dims[s->dim], s->value) == 0;
}

void budget_scope_format(const budget_scope *s, char *buf, size_t cap)
{
	if (s->all) {
		snprintf(buf, cap, "*");
		return;
	}
	for (size_t i = 0; i < sizeof scope_dims / sizeof scope_dims[0]; i++)
		if (scope_dims[i].dim == s->dim) {
			snprintf(buf, cap, "%s=%s", scope_dims[i].name, s->value);
			return;
		}
	snprintf(buf, cap, "?=%s", s->value);
}

const char *budget_state_name(budget_state s)
{
	return s >= BUDGET_OK && s <= BUDGET_HARD ? state_names[s] : NULL;
}

budget_state budget_state_of(const budget_spec *b, int64_t spent_nanos)
{
	__int128 used = (__int128)spent_nanos * 100;
	if (used >= (__int128)b->amount_nanos * b->hard_pct)
		return BUDGET_HARD;
	if (used >= (__int128)b->amount_nanos * b->soft_pct)
		return BUDGET_SOFT;
	return BUDGET_OK;
}

double budget_burn_rate(int64_t spent_nanos, int64_t window_ms, int64_t amount_nanos,
                        int64_t period_ms)
{
	if (amount_nanos <= 0 || window_ms <= 0 || period_ms <= 0)
		return 0;
	/* spent / (amount x window / period), in doubles: the products overflow 64 bits */
	return (double)spent_nanos * (double)period_ms / ((double)amount_nanos * (double)window_ms);
}

/* The SLO rules that money uses: the 3-day ticket is the forecast's to tell. */
static const double burn_floor[BUDGET_BURN_RULES] = {3.0, 3.0, 1.5};

void budget_burn_windows(int rule, slo_window *long_w, slo_window *short_w)
{
	slo_alert a;
	slo_rule_windows(rule, &a, long_w, short_w);
}

double budget_burn_threshold(int rule, int64_t period_ms)
{
	double r = slo_alert_rate(rule, period_ms);
	return r > burn_floor[rule] ? r : burn_floor[rule];
}

slo_alert budget_burn_alert(const double burn[SLO_WINDOW_COUNT], int64_t period_ms, int *rule)
{
	slo_alert best = SLO_ALERT_NONE;
	*rule = -1;
	for (int i = 0; i < BUDGET_BURN_RULES; i++) {
		slo_alert a;
		slo_window lw, sw;
		slo_rule_windows(i, &a, &lw, &sw);
		double rate = budget_burn_threshold(i, period_ms);
		if (burn[lw] >= rate && burn[sw] >= rate && a > best) {
			best = a;
			*rule = i;
		}
	}
	return best;
}

const char *forecast_basis_name(forecast_basis b)
{
	return b >= 0 && b < FORECAST_BASIS_COUNT ? basis_names[b] : NULL;
}

/* ---- forecasting ---- */

static int64_t val(const budget_series *s, int64_t hour_ms)
{
	int64_t i = floor_div(hour_ms - s->hour0_ms, HOUR_MS);
	return i >= 0 && (size_t)i < s->nhours ? s->hourly[i] : 0;
}

static int64_t sum_hours(const budget_series *s, int64_t from, int64_t to)
{
	int64_t t = 0;
	for (int64_t h = from; h < to; h += HOUR_MS)
		t += val(s, h);
	return t;
}

/* The history hour that stands for future hour h in a profile of the last `n` cycles of
 * length `cycle` before cut_h, cycle j (0 = the latest) back. */
static int64_t profile_hour(int64_t h, int64_t cut_h, int64_t cycle, int j)
{
	int64_t base = cut_h - cycle;
	return base + (((h - base) % cycle) + cycle) % cycle - (int64_t)j * cycle;
}

/* The projection over [cut, end): each hour weighted by the milliseconds of it left, profile
 * cycles `from` to `to` (exclusive) summed. Units: nanos x ms. */
static __int128 project(const budget_series *s, int64_t cut, int64_t end, int64_t cut_h,
                        int64_t cycle, int from, int to)
{
	__int128 acc = 0;
	for (int64_t h = floor_to(cut, HOUR_MS); h < end; h += HOUR_MS) {
		int64_t a = h > cut ? h : cut, b = h + HOUR_MS < end ? h + HOUR_MS : end;
		if (b <= a)
			continue;
		int64_t slot = 0;
		for (int j = from; j < to; j++)
			slot += val(s, profile_hour(h, cut_h, cycle, j));
		acc += (__int128)slot * (b - a);
	}
	return acc;
}

/* The range: the projections' spread, at least a band around the point's projected part. */
static void set_range(forecast *f, int64_t rest, int64_t lo_rest, int64_t hi_rest, double band)
{
	int64_t d = (int64_t)llround((double)rest * band);
	if (rest - d < lo_rest)
		lo_rest = rest - d;
	if (rest + d > hi_rest)
		hi_rest = rest + d;
	f->point_nanos = f->spent_nanos + rest;
	f->low_nanos = f->spent_nanos + (lo_rest > 0 ? lo_rest : 0);
	f->high_nanos = f->spent_nanos + hi_rest;
}

void budget_forecast_widen(forecast *f, double mape)
{
	if (!(mape > 0))
		return;
	int64_t d = (int64_t)llround((double)f->point_nanos * mape);
	if (f->point_nanos - d < f->low_nanos)
		f->low_nanos = f->point_nanos - d;
	if (f->low_nanos < f->spent_nanos)
		f->low_nanos = f->spent_nanos;
	if (f->point_nanos + d > f->high_nanos)
		f->high_nanos = f->point_nanos + d;
}

void budget_forecast(const budget_series *s, int64_t start_ms, int64_t end_ms, int64_t cut_ms,
                     forecast *out)
{
	memset(out, 0, sizeof *out);
	if (cut_ms < start_ms)
		cut_ms = start_ms;
	if (cut_ms > end_ms)
		cut_ms = end_ms;
	int64_t cut_h = floor_to(cut_ms, HOUR_MS);
	/* spend so far: whole hours, and the hour the cut falls in as far as the series has it */
	out->spent_nanos = sum_hours(s, ceil_to(start_ms, HOUR_MS), ceil_to(cut_ms, HOUR_MS));
	int64_t known = ceil_to(s->data_start_ms, HOUR_MS);
	int64_t history = cut_h > known ? cut_h - known : 0; /* complete hours before the cut */
	int64_t lo_rest = 0, hi_rest = 0;
	int64_t rest = 0;
	if (history >= WEEK_MS) {
		int n = (int)(history / WEEK_MS);
		if (n > MAX_WEEKS)
			n = MAX_WEEKS;
		out->basis = FORECAST_WEEKLY;
		out->weeks = n;
		/* the mean week, scaled to the latest: last week's spend / mean weekly spend */
		int64_t last = sum_hours(s, cut_h - WEEK_MS, cut_h);
		int64_t total = sum_hours(s, cut_h - n * WEEK_MS, cut_h);
		if (total > 0) {
			__int128 p = project(s, cut_ms, end_ms, cut_h, WEEK_MS, 0, n);
			rest = div_round(p * last, (__int128)total * HOUR_MS);
		}
		lo_rest = hi_rest = rest;
		/* each week on its own, at the latest week's level: the range spans their
		 * differences in shape (in size, the backtest's error widens it) */
		for (int j = 0; j < n; j++) {
			int64_t wk = sum_hours(s, cut_h - (j + 1) * WEEK_MS, cut_h - j * WEEK_MS);
			if (wk <= 0)
				continue;
			__int128 p = project(s, cut_ms, end_ms, cut_h, WEEK_MS, j, j + 1);
			int64_t r = div_round(p * last, (__int128)wk * HOUR_MS);
			if (r < lo_rest)
				lo_rest = r;
			if (r > hi_rest)
				hi_rest = r;
		}
	} else if (history >= DAY_MS) {
		int n = (int)(history / DAY_MS);
		out->basis = FORECAST_DAILY;
		__int128 p = project(s, cut_ms, end_ms, cut_h, DAY_MS, 0, n);
		rest = div_round(p, (__int128)n * HOUR_MS);
		lo_rest = hi_rest = rest;
		for (int j = 0; j < n; j++) {
			int64_t r =
			    div_round(project(s, cut_ms, end_ms, cut_h, DAY_MS, j, j + 1), HOUR_MS);
			if (r < lo_rest)
				lo_rest = r;
			if (r > hi_rest)
				hi_rest = r;
		}
	} else if (history >= HOUR_MS) {
		out->basis = FORECAST_RATE;
		int64_t spent = sum_hours(s, cut_h - history, cut_h);
		rest = div_round((__int128)spent * (end_ms - cut_ms), (__int128)history);
		lo_rest = hi_rest = rest;
	} else {
		out->basis = FORECAST_NONE;
	}
	set_range(out, rest, lo_rest, hi_rest, min_band[out->basis]);
}

int64_t budget_history_start(budget_period p, int64_t now_ms)
{
	int64_t start, end;
	budget_period_bounds(p, now_ms, &start, &end);
	for (int k = 0; k < backtest_periods[p]; k++)
		budget_period_bounds(p, start - 1, &start, &end);
	return start - MAX_WEEKS * WEEK_MS;
}

double budget_backtest(const budget_series *s, budget_period p, int64_t before_ms, int *n_out)
{
	static const int quarters[] = {1, 2, 3};
	int64_t start, end;
	budget_period_bounds(p, before_ms, &start, &end);
	end = start; /* the period holding before_ms is not over: start from the one before */
	double sum = 0;
	int n = 0;
	for (int k = 0; k < backtest_periods[p]; k++) {
		budget_period_bounds(p, end - 1, &start, &end);
		int64_t pstart = start, pend = end;
		end = start; /* the next one back */
		if (pstart < s->data_start_ms)
			break;
		int64_t actual = sum_hours(s, pstart, pend);
		if (actual <= 0)
			continue;
		for (size_t q = 0; q < sizeof quarters / sizeof quarters[0]; q++) {
			int64_t cut = pstart + floor_to((pend - pstart) * quarters[q] / 4, HOUR_MS);
			forecast f;
			budget_forecast(s, pstart, pend, cut, &f);
			sum += fabs((double)(f.point_nanos - actual)) / (double)actual;
			n++;
		}
	}
	if (n_out)
		*n_out = n;
	return n ? sum / n : NAN;
}

/* ---- what-ifs ---- */

static const char *const whatif_names[WHATIF_KIND_COUNT] = {"context", "price", "traffic"};

/* "+20%", "-10%", "x2", "x0.5": the factor, at most WHATIF_MAX_FACTOR. */
static int parse_change(const char *v, double *out)
{
	char *end;
	if (v[0] == 'x') {
		*out = strtod(v + 1, &end);
		return v[1] && !*end && *out >= 0 && *out <= WHATIF_MAX_FACTOR ? 0 : -1;
	}
	if (v[0] != '+' && v[0] != '-')
		return -1;
	double pct = strtod(v, &end);
	if (end == v || strcmp(end, "%") != 0 || !(pct >= -100) ||
	    !(pct <= (WHATIF_MAX_FACTOR - 1) * 100))
		return -1;
	*out = 1 + pct / 100;
	return 0;
}

int whatif_parse(const char *s, whatif *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	const char *eq = strchr(s, '=');
	int k = 0;
	while (eq && k < WHATIF_KIND_COUNT &&
	       !(strlen(whatif_names[k]) == (size_t)(eq - s) &&
	         strncmp(s, whatif_names[k], (size_t)(eq - s)) == 0))
		k++;
	if (!eq || k == WHATIF_KIND_COUNT) {
		snprintf(why, whylen,
		         "expected context=+N%%, price=MODEL:+N%% or traffic=USE_CASE:xN");
		return -1;
	}
	out->kind = (whatif_kind)k;
	const char *v = eq + 1;
	if (out->kind != WHATIF_CONTEXT) {
		const char *colon = strrchr(v, ':');
		if (!colon || colon == v || (size_t)(colon - v) >= sizeof out->target) {
			snprintf(why, whylen, "expected %s=%s:CHANGE", whatif_names[k],
			         out->kind == WHATIF_PRICE ? "MODEL" : "USE_CASE");
			return -1;
		}
		memcpy(out->target, v, (size_t)(colon - v));
		v = colon + 1;
	}
	if (parse_change(v, &out->factor)) {
		snprintf(why, whylen,
		         "'%s' is not a change: expected +N%%, -N%% or xN, at most x%d (+%d%%)", v,
		         WHATIF_MAX_FACTOR, (WHATIF_MAX_FACTOR - 1) * 100);
		return -1;
	}
	return 0;
}

void whatif_format(const whatif *w, char *buf, size_t cap)
{
	const char *name =
	    w->kind >= 0 && w->kind < WHATIF_KIND_COUNT ? whatif_names[w->kind] : "?";
	if (w->kind == WHATIF_CONTEXT)
		snprintf(buf, cap, "%s=%+g%%", name, (w->factor - 1) * 100);
	else if (w->kind == WHATIF_PRICE)
		snprintf(buf, cap, "%s=%s:%+g%%", name, w->target, (w->factor - 1) * 100);
	else
		snprintf(buf, cap, "%s=%s:x%g", name, w->target, w->factor);
}

double whatif_factor(const whatif_cell *cells, size_t ncells, const whatif *w, size_t nw)
{
	int64_t before = 0;
	double after = 0;
	for (size_t i = 0; i < ncells; i++) {
		double m = 1;
		for (size_t k = 0; k < nw; k++) {
			if (w[k].kind == WHATIF_CONTEXT)
				m *= 1 + (w[k].factor - 1) * cells[i].input_share;
			else if (w[k].kind == WHATIF_PRICE &&
			         strcmp(w[k].target, cells[i].model) == 0)
				m *= w[k].factor;
			else if (w[k].kind == WHATIF_TRAFFIC &&
			         strcmp(w[k].target, cells[i].use_case) == 0)
				m *= w[k].factor;
		}
		before += cells[i].cost_nanos;
		after += (double)cells[i].cost_nanos * m;
	}
	return before > 0 ? after / (double)before : 1.0;
}

int whatif_apply(forecast *f, double factor)
{
	int64_t *v[] = {&f->point_nanos, &f->low_nanos, &f->high_nanos}, out[3];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		double d = (double)f->spent_nanos + (double)(*v[i] - f->spent_nanos) * factor;
		/* beyond what 64-bit nano-dollars hold (9.2 billion USD): refused, not wrapped */
		if (!(d > -9.2e18 && d < 9.2e18))
			return -1;
		out[i] = (int64_t)llround(d);
	}
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		*v[i] = out[i];
	return 0;
}
