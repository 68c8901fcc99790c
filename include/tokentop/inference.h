/* The inference view: per self-hosted server, the latest scrape and TTFT since the one before. */
#ifndef TOKENTOP_INFERENCE_H
#define TOKENTOP_INFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"

typedef struct view_server {
	char source[64];
	char model_name[256];
	int64_t last_scrape_ms;
	double requests_running, requests_waiting;
	double kv_cache_usage; /* 0..1 */
	double prompt_tokens_total, generation_tokens_total;
	double ttft_p50_s, ttft_p95_s; /* over the last scrape interval; NaN when unknown */
} view_server;

typedef struct view_inference {
	view_server *servers;
	size_t n;
} view_inference;

int view_inference_build(store *st, view_inference *v, char *err, size_t errlen);
void view_inference_free(view_inference *v);

#endif
