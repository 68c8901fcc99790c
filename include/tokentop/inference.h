/* The inference view: per self-hosted server, the latest scrape and TTFT since the one before,
 * and the history of KV-cache pressure, token throughput and queue depth. */
#ifndef TOKENTOP_INFERENCE_H
#define TOKENTOP_INFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"

#define VIEW_INFERENCE_POINTS 120 /* points of a server's history */

/* A server's history over a window cut in VIEW_INFERENCE_POINTS equal steps: point i covers
 * [since_ms + i * step_ms, since_ms + (i + 1) * step_ms). NaN where nothing was scraped. */
typedef struct view_server_history {
	int64_t since_ms, step_ms;
	/* the gauges: the most of the step's scrapes (a peak is never averaged away) */
	double kv_cache_usage[VIEW_INFERENCE_POINTS]; /* 0..1 */
	double requests_waiting[VIEW_INFERENCE_POINTS];
	double requests_running[VIEW_INFERENCE_POINTS];
	double tokens_per_s[VIEW_INFERENCE_POINTS]; /* prompt + generation, the step's mean rate */
	/* the most over the window; NaN when nothing was scraped */
	double kv_max, tokens_per_s_max, waiting_max, running_max;
} view_server_history;

typedef struct view_server {
	char source[64];
	char model_name[256];
	int64_t last_scrape_ms;
	double requests_running, requests_waiting;
	double kv_cache_usage; /* 0..1 */
	double prompt_tokens_total, generation_tokens_total;
	double ttft_p50_s, ttft_p95_s; /* over the last scrape interval; NaN when unknown */
	double tokens_per_s;           /* over the last scrape interval; NaN when unknown */
	bool has_history;              /* view_inference_history filled hist */
	view_server_history hist;
} view_server;

typedef struct view_inference {
	view_server *servers;
	size_t n;
} view_inference;

int view_inference_build(store *st, view_inference *v, char *err, size_t errlen);
/* Reads each server's history over [since_ms, until_ms) (one range read of the primary key
 * a server). Token throughput is the rate between consecutive scrapes of the cumulative
 * counters, a drop read as a restart (the new value is the increase); scrapes further apart
 * than three steps (and two minutes) are a gap, not a rate. */
int view_inference_history(store *st, view_inference *v, int64_t since_ms, int64_t until_ms,
                           char *err, size_t errlen);
void view_inference_free(view_inference *v);

#endif
