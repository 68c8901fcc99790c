/* A scrape source: an inference server's Prometheus text endpoint polled on the libuv loop. */
#ifndef TOKENTOP_SCRAPE_H
#define TOKENTOP_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/http.h"
#include "tokentop/prom.h"
#include "tokentop/source.h"

typedef struct scrape_src scrape_src;

typedef struct scrape_opts {
	const char *name;
	const char *url;   /* the full /metrics URL */
	prom_kind kind;    /* vllm, tgi or generic */
	const char *token; /* bearer token, or NULL */
	long interval_ms;  /* 0: 5000 */
	long timeout_ms;
	size_t max_body; /* 0: 16 MiB */
	bool insecure;
} scrape_opts;

/* One server's figures at one scrape, ready to store. A figure the server does not expose is
 * NaN. The TTFT histogram is cumulative, as scraped (quantiles come later, from the increase
 * between two scrapes). */
typedef struct scrape_sample {
	char model_name[256];
	int64_t ts_ms;
	double requests_running, requests_waiting, kv_cache_usage;
	double prompt_tokens_total, generation_tokens_total;
	prom_bucket *ttft; /* owned by the sample array */
	size_t nttft;
} scrape_sample;

typedef struct scrape_sink {
	/* The servers of one scrape; 0 once stored. */
	int (*samples)(void *ctx, const char *source, const scrape_sample *s, size_t n);
	void (*state)(void *ctx, const char *source, source_state st, const char *detail);
	void *ctx;
} scrape_sink;

scrape_src *scrape_new(uv_loop_t *loop, http_client *http, const scrape_opts *o,
                       const scrape_sink *sink);
void scrape_start(scrape_src *s);
void scrape_stop(scrape_src *s);
void scrape_free(scrape_src *s);
source_state scrape_state(const scrape_src *s);
uint64_t scrape_count(const scrape_src *s); /* scrapes stored */

/* The samples of one exposition (what the source does with each answer). 0 or -1. */
int scrape_samples(const prom_scrape *ps, prom_kind kind, int64_t ts_ms, scrape_sample **out,
                   size_t *n);
void scrape_samples_free(scrape_sample *v, size_t n);

#endif
