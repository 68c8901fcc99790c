/* Anomaly rules over robust statistics (median, MAD) and the alert deduplication state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/anomaly.h"

/* How a statistic varies by chance: rates also by binomial sampling noise. */
typedef enum { STAT_RATE, STAT_LEVEL } stat_type;

/*
 * A rule fires when every test holds: at least min_count requests in the window and
 * min_history earlier windows; value >= min_ratio x baseline and value - baseline >= min_delta
 * (for rates of a complement, such as a miss rate, the ratio is of the complements: the hit
 * rate falls to 1/min_ratio of its baseline); and a robust z-score of at least min_z (0: not
 * tested). A rate must also be unlikely as chance: at least as many events as seen have a
 * Poisson probability under MAX_P at the baseline rate (few events at night are not a storm).
 * Critical when the ratio also reaches crit_ratio. An open alert holds while the value
 * stays above the bars halved (ratio 1 + (min_ratio - 1) / 2), so that it does not flap.
 */
#define MAX_P      1e-6
#define MAX_P_OPEN 1e-3
/* A mean of a few dozen request costs, some a hundred times others, is far from normal: its
 * bound is taken further off than a count's (ANOM_BOUND_SE) for the same confidence. */
#define MIX_SE 3.0

static const struct rule {
	const char *name;
	stat_type type;
	int complement;
	int64_t min_count;
	size_t min_history;
	double min_ratio, min_delta, min_z, crit_ratio;
	double min_mix; /* the second level's least ratio (anomaly_obs.mix) */
} rules[ANOM_KIND_COUNT] = {
    /*                         name                  type        compl count hist ratio delta   z
       crit */
    [ANOM_TOKEN_SPIKE] = {"token_spike", STAT_LEVEL, 0, 20, 12, 2.0, 0, 5, 4.0},
    [ANOM_CACHE_MISS_SURGE] = {"cache_miss_surge", STAT_RATE, 1, 50, 12, 2.0, 0.05, 5, 5.0},
    [ANOM_REFUSAL_RISE] = {"refusal_rise", STAT_RATE, 0, 50, 12, 3.0, 0.01, 5, 8.0},
    [ANOM_429_STORM] = {"429_storm", STAT_RATE, 0, 50, 12, 3.0, 0.10, 5, 6.0},
    [ANOM_ERROR_SPIKE] = {"error_spike", STAT_RATE, 0, 50, 12, 3.0, 0.05, 5, 10.0},
    [ANOM_COST_RUNAWAY] = {"cost_runaway", STAT_LEVEL, 0, 20, 12, 5.0, 0, 5, 10.0, 1.0},
    [ANOM_LATENCY_REGRESSION] = {"latency_regression", STAT_LEVEL, 0, 100, 12, 2.0, 500, 5, 4.0},
    [ANOM_BUDGET_BURN] = {"budget_burn", STAT_LEVEL, 0, 0, 0, 0, 0, 0, 0},
};

const char *anomaly_kind_name(anomaly_kind k)
{
	return k >= 0 && k < ANOM_KIND_COUNT ? rules[k].name : NULL;
}

const char *anomaly_severity_name(anomaly_severity s)
{
	return s == ANOM_CRITICAL ? "critical" : s == ANOM_WARNING ? "warning" : NULL;
}

int64_t anomaly_min_count(anomaly_kind k)
{
	return rules[k].min_count;
}

size_t anomaly_min_history(anomaly_kind k)
{
	return rules[k].min_history;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double anomaly_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	/* a baseline holds a few dozen values: insertion sort, stable as glibc's qsort is, costs a
	 * fraction of the calls (the alerts view takes thousands of medians) */
	if (n <= 64)
		for (size_t i = 1; i < n; i++) {
			double x = v[i];
			size_t j = i;
			for (; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	else
		qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double anomaly_mad(const double *v, size_t n, double median, double *scratch)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = fabs(v[i] - median);
	return anomaly_median(scratch, n);
}

/* For X ~ Poisson(lambda), k < lambda: P(X <= k), summed from k down, where the terms fall. */
static double poisson_lower(double k, double lambda)
{
	double term = exp(-lambda + k * log(lambda) - lgamma(k + 1)), sum = 0;
	for (double i = k; i >= 0 && term > sum * 1e-15; i--) {
		sum += term;
		term *= i / lambda;
	}
	return sum;
}

/* For X ~ Poisson(lambda), k > lambda: P(X >= k), summed from k up, where the terms fall. */
static double poisson_upper(double k, double lambda)
{
	double term = exp(-lambda + k * log(lambda) - lgamma(k + 1)), sum = 0;
	for (double i = k; term > sum * 1e-15 && i < k + 1e6; i++) {
		sum += term;
		term *= lambda / (i + 1);
	}
	return sum;
}

static double ratio_of(const struct rule *r, double value, double base)
{
	if (r->complement) {
		value = 1 - value;
		base = 1 - base;
		return value > 0 ? base / value : INFINITY;
	}
	return base > 0 ? value / base : (value > 0 ? INFINITY : 1);
}

void anomaly_check(anomaly_kind k, anomaly_obs *o, anomaly_verdict *out)
{
	const struct rule *r = &rules[k];
	double keep = o->open ? 0.5 : 1;
	memset(out, 0, sizeof *out);
	out->baseline = NAN;
	if (k == ANOM_BUDGET_BURN || o->count < r->min_count || o->nhistory < r->min_history ||
	    !isfinite(o->value))
		return;
	double median = anomaly_median(o->history, o->nhistory), base = median;
	/* a reference of the same time (cost: the trailing hour, the same window a week earlier)
	 * is what the value should be now; the day's windows, at other hours, tell only how much
	 * it varies, as a share of their median (at night the day's median is no baseline) */
	double level = 1;
	if (!isnan(o->ref) && o->ref > 0 && !(o->ref_raises && o->ref <= median)) {
		base = o->ref;
		level = median > 0 ? o->ref / median : 1;
	}
	double value = o->low > 0 ? o->low : o->value;
	out->baseline = base;
	out->judged = true;
	if (r->min_z > 0) {
		double *scratch = malloc(o->nhistory * sizeof *scratch);
		double mad = scratch ? anomaly_mad(o->history, o->nhistory, median, scratch) : 0;
		free(scratch);
		/* 1.4826 MAD estimates a standard deviation; it may not fall below the sampling
		 * noise of a rate, nor below 1% of the baseline (a flat history has MAD 0) */
		double scale = 1.4826 * mad * level;
		if (r->type == STAT_RATE) {
			double p = base > 0.5 / (double)o->count ? base : 0.5 / (double)o->count;
			double noise = sqrt(p * (1 - p) / (double)o->count);
			if (noise > scale)
				scale = noise;
		}
		if (o->noise > scale)
			scale = o->noise;
		if (0.01 * fabs(base) > scale)
			scale = 0.01 * fabs(base);
		out->z = scale > 0 ? (value - base) / scale : 0;
		if (out->z < r->min_z * keep)
			return;
	}
	if (r->type == STAT_RATE) {
		/* of a complement (misses up: hits down), the chance of so few hits */
		double n = (double)o->count, p = r->complement ? 1 - base : base;
		double seen = round((r->complement ? 1 - value : value) * n);
		if (p < 0.5 / n)
			p = 0.5 / n;
		double lambda = p * n, tail = 1;
		if (r->complement && seen < lambda)
			tail = poisson_lower(seen, lambda);
		else if (!r->complement && seen > lambda)
			tail = poisson_upper(seen, lambda);
		if (tail > (o->open ? MAX_P_OPEN : MAX_P))
			return;
	}
	/* how far a share has risen is judged on its count's lower bound (of hits: upper),
	 * ANOM_BOUND_SE of its standard errors off, so that a fast window of two hundred requests
	 * does not read a tripling as six times by chance */
	if (r->type == STAT_RATE && !o->open) {
		double n = (double)o->count, seen = round((r->complement ? 1 - value : value) * n);
		double bound = r->complement ? seen + ANOM_BOUND_SE * sqrt(seen)
		                             : seen - ANOM_BOUND_SE * sqrt(seen);
		if (bound < 0)
			bound = 0;
		if (bound > n)
			bound = n;
		value = r->complement ? 1 - bound / n : bound / n;
	}
	double ratio = ratio_of(r, value, base);
	if (ratio < 1 + (r->min_ratio - 1) * keep ||
	    value - base < (r->min_delta + o->min_delta) * keep)
		return;
	/* the second level (cost: per request) must rise as well: a surge of traffic at the
	 * usual price is load, not a runaway (budget burn judges whether it is affordable) */
	if (r->min_mix > 0 && !isnan(o->mix) && o->mix_ref > 0 &&
	    o->mix - (o->open ? 0 : MIX_SE * o->mix_se) <
	        (1 + (r->min_mix - 1) * keep) * o->mix_ref)
		return;
	out->severity = ratio >= r->crit_ratio ? ANOM_CRITICAL : ANOM_WARNING;
}

void anomaly_tracker_init(anomaly_tracker *t, int clear_after)
{
	memset(t, 0, sizeof *t);
	t->clear_after = clear_after > 0 ? clear_after : 1;
}

void anomaly_tracker_free(anomaly_tracker *t)
{
	free(t->alerts);
	memset(t, 0, sizeof *t);
}

static anomaly_alert *find_open(const anomaly_tracker *t, anomaly_kind k, const char *scope)
{
	for (size_t i = t->n; i-- > 0;) {
		anomaly_alert *a = &t->alerts[i];
		if (a->kind == k && a->resolved_ms < 0 && strcmp(a->scope, scope) == 0)
			return a;
	}
	return NULL;
}

const anomaly_alert *anomaly_tracker_open(const anomaly_tracker *t, anomaly_kind k,
                                          const char *scope)
{
	return find_open(t, k, scope);
}

int anomaly_track(anomaly_tracker *t, anomaly_kind k, const char *scope, int64_t t_ms,
                  const anomaly_verdict *v, double value)
{
	anomaly_alert *a = find_open(t, k, scope);
	if (!v->judged)
		return 0;
	if (v->severity == ANOM_NONE) {
		if (a && a->clear_run++ == 0)
			a->clear_ms = t_ms;
		if (a && a->clear_run >= t->clear_after)
			a->resolved_ms = a->clear_ms;
		return 0;
	}
	if (!a) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 16;
			anomaly_alert *na = realloc(t->alerts, cap * sizeof *na);
			if (!na)
				return -1;
			t->alerts = na;
			t->cap = cap;
		}
		a = &t->alerts[t->n++];
		memset(a, 0, sizeof *a);
		a->kind = k;
		strncpy(a->scope, scope, sizeof a->scope - 1);
		a->since_ms = t_ms;
		a->resolved_ms = -1;
	}
	a->clear_run = 0;
	a->severity = v->severity;
	if (v->severity > a->peak)
		a->peak = v->severity;
	a->value = value;
	a->baseline = v->baseline;
	a->window_ms = v->window_ms;
	a->last_ms = t_ms;
	return 0;
}
