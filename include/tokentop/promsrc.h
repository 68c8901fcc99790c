/* A Prometheus-compatible query source: named PromQL queries evaluated every interval. */
#ifndef TOKENTOP_PROMSRC_H
#define TOKENTOP_PROMSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/http.h"
#include "tokentop/promq.h"
#include "tokentop/source.h"

typedef struct promsrc promsrc;

typedef struct promsrc_query {
	const char *series; /* the name results are stored under, e.g. spend_usd_per_s */
	const char *promql;
} promsrc_query;

typedef struct promsrc_opts {
	const char *name;
	const char *url; /* the query API's base URL */
	const char *token;
	const promsrc_query *queries;
	size_t nqueries;
	long interval_ms; /* 0: 15000 */
	long timeout_ms;
	bool insecure;
} promsrc_opts;

typedef struct promsrc_sink {
	/* One query's instant vector (series name, result); 0 once stored. */
	int (*result)(void *ctx, const char *source, const char *series, const promq_result *r);
	void (*state)(void *ctx, const char *source, source_state st, const char *detail);
	void *ctx;
} promsrc_sink;

promsrc *promsrc_new(uv_loop_t *loop, http_client *http, const promsrc_opts *o,
		     const promsrc_sink *sink);
void promsrc_start(promsrc *s);
void promsrc_stop(promsrc *s);
void promsrc_free(promsrc *s);
source_state promsrc_state(const promsrc *s);
/* Rounds of queries completed (every query answered). */
uint64_t promsrc_rounds(const promsrc *s);

#endif
