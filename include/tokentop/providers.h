/* The Providers screen's model: per provider and provider+model, error classes, latency, state. */
#ifndef TOKENTOP_PROVIDERS_H
#define TOKENTOP_PROVIDERS_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"
#include "tokentop/sketch.h"
#include "tokentop/store.h"

/*
 * A provider's state follows its error rate: errors (timeout, rate_limited, server_error:
 * event_status_is_error) over calls (the requests the gateway sent to it). Thresholds are in
 * parts per million and inclusive: a rate of exactly 10% is degraded, exactly 25% failing.
 * Providers shed 429s as a matter of course (2.5% of requests in the generated traffic, 6.5%
 * in bursts, docs/gen.md), so degraded starts above what a busy but healthy provider shows;
 * at a quarter of calls failing, retries no longer hide it from users and a reroute is due.
 */
#define VIEW_PROVIDERS_DEGRADED_PPM 100000 /* 10% */
#define VIEW_PROVIDERS_FAILING_PPM  250000 /* 25% */

typedef enum {
	VIEW_PROVIDER_OK,
	VIEW_PROVIDER_DEGRADED,
	VIEW_PROVIDER_FAILING,
	VIEW_PROVIDER_STATE_COUNT
} view_provider_state;

const char *view_providers_state_name(view_provider_state s); /* "ok", "degraded", "failing" */

/* The state of errors out of calls; OK when there were no calls. */
view_provider_state view_providers_state_of(int64_t errors, int64_t calls);

/*
 * One row: a provider (model "") or one of its models, or the total (both ""). requests
 * counts every event; calls leaves out those that never reached the provider: killed and
 * throttled by tokentop's own controls, and response-cache hits. Errors, the error rate and
 * the latency and TTFT quantiles are over calls only, so a kill switch or a warm cache neither
 * hides a provider's failures nor flatters its latency.
 */
typedef struct view_provider_row {
	char provider[TT_NAME_CAP];
	char model[TT_MODEL_CAP];
	int64_t requests;
	int64_t by_status[TT_STATUS_COUNT]; /* every event by status; sums to requests */
	int64_t calls;
	int64_t errors;    /* calls with an error status */
	double error_rate; /* errors / calls; 0 without calls */
	view_provider_state state;
	int64_t cost_nanos;
	/* Quantiles of the merged sketches (SKETCH_ALPHA relative error); NAN when empty. */
	double p50_ms, p95_ms, p99_ms;
	double ttft_p50_ms, ttft_p95_ms;
	sketch latency, ttft; /* over calls, for other quantiles */
	size_t parent;        /* model rows: the index of their provider in providers */
	size_t first, n;      /* provider rows: their models, models[first .. first + n) */
} view_provider_row;

typedef struct view_providers {
	int64_t since_ms, until_ms;
	view_provider_row *providers; /* costliest first, then most requests, then by name */
	size_t nproviders;
	view_provider_row *models; /* grouped by provider in providers' order, each group
	                            * costliest first */
	size_t nmodels;
	view_provider_row total; /* everything in the range */
} view_providers;

/* Builds the view over [since_ms, until_ms) in one pass over the rollups. An empty range gives
 * no rows. 0, or -1 with err set (v is then empty). */
int view_providers_build(store *st, int64_t since_ms, int64_t until_ms, view_providers *v,
                         char *err, size_t errlen);
void view_providers_free(view_providers *v);

#endif
