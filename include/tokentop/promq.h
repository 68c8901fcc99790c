/* The Prometheus HTTP query API (/api/v1/query, /api/v1/query_range): requests and answers. */
#ifndef TOKENTOP_PROMQ_H
#define TOKENTOP_PROMQ_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/http.h"

typedef struct promq_point {
	int64_t ts_ms;
	double value; /* NaN and +-Inf as Prometheus sends them */
} promq_point;

typedef struct promq_series {
	char *labels;        /* the metric's labels as compact JSON, e.g. {"model":"x"} */
	promq_point *points; /* one for a vector or scalar, many for a matrix */
	size_t npoints;
} promq_series;

typedef struct promq_result {
	char type[16]; /* "vector", "matrix", "scalar" or "string" */
	promq_series *series;
	size_t nseries;
	/* Series that held no usable number (a string result, a malformed series): skipped, never
	 * fatal to the answer or the source. */
	size_t nskipped;
} promq_result;

/* Parses an API answer. 0, or -1 with err saying what is wrong (Prometheus' own error text
 * for status "error"). */
int promq_parse(const char *body, size_t len, promq_result *out, char *err, size_t errlen);
void promq_result_free(promq_result *r);

/* The value of a label in a series, copied into buf; 0, or -1 when absent. */
int promq_label(const promq_series *s, const char *name, char *buf, size_t cap);

typedef void (*promq_done_fn)(void *ctx, const promq_result *r, const char *error);

typedef struct promq_request {
	const char *base_url; /* e.g. http://127.0.0.1:9090 (Thanos, Mimir, VictoriaMetrics too) */
	const char *query;    /* PromQL */
	int64_t time_ms;      /* instant query time; 0: now */
	int64_t start_ms, end_ms, step_ms; /* a range query when step_ms > 0 */
	const char *token;                 /* bearer token, or NULL */
	const char *userpwd;               /* basic auth (http_url_split), or NULL */
	long timeout_ms;
	bool insecure;
} promq_request;

/* Sends a query; done gets the parsed result or an error line. 0, or -1 when it could not
 * be started. */
int promq_send(http_client *http, const promq_request *q, promq_done_fn done, void *ctx);

#endif
