/* Anomaly detection: robust statistics, per-kind rules, and alerts deduplicated until resolved. */
#ifndef TOKENTOP_ANOMALY_H
#define TOKENTOP_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	ANOM_TOKEN_SPIKE,        /* input tokens per request of a prompt id + version */
	ANOM_CACHE_MISS_SURGE,   /* response cache miss rate of a use case */
	ANOM_REFUSAL_RISE,       /* safety refusal rate of a use case */
	ANOM_429_STORM,          /* rate_limited share of a provider's requests */
	ANOM_ERROR_SPIKE,        /* timeout + server_error share of a provider's requests */
	ANOM_COST_RUNAWAY,       /* $/min of a use case */
	ANOM_LATENCY_REGRESSION, /* p95 latency of a use case */
	ANOM_BUDGET_BURN,        /* $/min of a budget's scope against its pace (not a statistic:
	                            budget_burn_alert's rule, never anomaly_check) */
	ANOM_KIND_COUNT
} anomaly_kind;

const char *anomaly_kind_name(anomaly_kind k); /* "token_spike", ..., "budget_burn" */

typedef enum { ANOM_NONE, ANOM_WARNING, ANOM_CRITICAL } anomaly_severity;
const char *anomaly_severity_name(anomaly_severity s); /* NULL, "warning", "critical" */

/* The median of v (sorted in place); NAN when n is 0. */
double anomaly_median(double *v, size_t n);
/* The median absolute deviation from `median`; scratch holds n doubles. NAN when n is 0. */
double anomaly_mad(const double *v, size_t n, double median, double *scratch);

/* How many standard errors below a value (a share's count, a mean, a p95's rank) the size of
 * its rise is judged on: a rise must reach the bars at that confidence, not just as read. */
#define ANOM_BOUND_SE 2.0

/* One evaluation of one scope: the statistic over the latest window and the same statistic
 * over the earlier windows that make the baseline. */
typedef struct anomaly_obs {
	double value;
	int64_t count;   /* requests the value is over */
	double *history; /* sorted in place */
	size_t nhistory;
	double ref;          /* what the value should be now, when known (cost: the larger of the
	                        trailing hour and the same window a week earlier): the baseline,
	                        the history giving only the spread; NAN or 0: the history's median */
	bool ref_raises;     /* ref only raises the baseline above the history's median (shares,
	                        latency: the trailing hour's level, where the mix of the hour
	                        differs from the day's) */
	double low;          /* a lower confidence bound of the value, tested in its place (latency:
	                        a p95 of few requests); 0 or NAN: the value */
	double noise;        /* the value's standard deviation by chance, when known (cost: of a
	                        sum of request costs): a floor on its spread; 0: none */
	double mix, mix_ref; /* a second level that must rise too (cost: $ per request, against
	                        the same reference); mix_ref 0: not tested */
	double mix_se;       /* the standard error of mix: it is judged that many below */
	double min_delta;    /* added to the rule's minimum rise (cost: a material amount) */
	bool open;           /* an alert is open: it holds until the value is half-way back */
} anomaly_obs;

typedef struct anomaly_verdict {
	bool judged; /* false: too few requests or too little history to say either way */
	anomaly_severity severity;
	double baseline;   /* median of the history, or ref */
	double z;          /* robust z-score of the value; 0 when the rule uses none */
	int64_t window_ms; /* the window judged (set by the caller; kept with the alert) */
} anomaly_verdict;

/* Judges an observation with the kind's rule (docs/alerts.md): NONE until there is enough
 * history and count, then WARNING or CRITICAL when the value is far enough above baseline. */
void anomaly_check(anomaly_kind k, anomaly_obs *o, anomaly_verdict *out);

/* The rule's minimum requests in a window and minimum windows of history. */
int64_t anomaly_min_count(anomaly_kind k);
size_t anomaly_min_history(anomaly_kind k);

/* One alert: a kind on a scope from the first evaluation that fired until it cleared. */
#define ANOM_SCOPE_CAP 160
typedef struct anomaly_alert {
	anomaly_kind kind;
	char scope[ANOM_SCOPE_CAP];
	anomaly_severity severity; /* at the latest firing evaluation */
	anomaly_severity peak;     /* the highest while it fired */
	double value, baseline;    /* at the latest firing evaluation */
	int64_t window_ms;         /* the window that value is over */
	int64_t since_ms, last_ms; /* first and latest firing evaluation */
	int64_t resolved_ms;       /* -1 while firing: else the first of the clear evaluations */
	int clear_run;             /* consecutive clear evaluations */
	int64_t clear_ms;          /* the first of them */
} anomaly_alert;

/* Deduplication: at most one open alert per (kind, scope); it resolves after `clear_after`
 * consecutive clear evaluations; firing again later opens a new one. */
typedef struct anomaly_tracker {
	anomaly_alert *alerts;
	size_t n, cap;
	int clear_after;
} anomaly_tracker;

void anomaly_tracker_init(anomaly_tracker *t, int clear_after);
void anomaly_tracker_free(anomaly_tracker *t);
/* The open alert of (kind, scope), or NULL. */
const anomaly_alert *anomaly_tracker_open(const anomaly_tracker *t, anomaly_kind k,
                                          const char *scope);
/* Feeds one evaluation at t_ms (evaluations of a key come in time order); one that could not
 * be judged changes nothing: missing data neither fires nor clears. 0 or -1 (memory). */
int anomaly_track(anomaly_tracker *t, anomaly_kind k, const char *scope, int64_t t_ms,
                  const anomaly_verdict *v, double value);

#endif
