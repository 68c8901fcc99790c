/* Prometheus text exposition (0.0.4) and OpenMetrics 1.0 parsing, and the vLLM/TGI mapping. */
#ifndef TOKENTOP_PROM_H
#define TOKENTOP_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	PROM_FORMAT_AUTO,        /* decided by the text: OpenMetrics when it has # EOF or # UNIT */
	PROM_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
	PROM_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	PROM_FORMAT_COUNT
} prom_format;

typedef enum {
	PROM_UNTYPED, /* no TYPE line, "untyped", or OpenMetrics "unknown" */
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
	PROM_SUMMARY,
	PROM_GAUGEHISTOGRAM,
	PROM_INFO,
	PROM_STATESET,
	PROM_TYPE_COUNT
} prom_type;

/* Which series of its family a sample is. */
typedef enum {
	PROM_PART_VALUE,  /* the family's own name: a gauge, a 0.0.4 counter, a summary quantile */
	PROM_PART_TOTAL,  /* an OpenMetrics counter's _total */
	PROM_PART_BUCKET, /* _bucket: bound holds le */
	PROM_PART_SUM,
	PROM_PART_COUNT,
	PROM_PART_GSUM,
	PROM_PART_GCOUNT,
	PROM_PART_INFO,
	PROM_PART_NPARTS
} prom_part;

/* Hard limits; a zero member takes the default. */
typedef struct prom_limits {
	size_t max_line;    /* bytes in one line; a longer line is skipped */
	size_t max_labels;  /* labels on one sample; a sample with more is skipped */
	size_t max_samples; /* samples (and families) in one exposition; the rest is ignored */
	size_t max_bytes;   /* bytes in one exposition; the rest is ignored */
} prom_limits;

#define PROM_MAX_LINE    (1u << 20)
#define PROM_MAX_LABELS  128u
#define PROM_MAX_SAMPLES 1000000u
#define PROM_MAX_BYTES   (64u << 20)

#define PROM_ERRORS_KEPT 16
#define PROM_ERROR_MAX   160
#define PROM_NO_TS       INT64_MIN

typedef struct prom_label {
	const char *name;
	const char *value; /* unescaped */
} prom_label;

typedef struct prom_sample {
	const char *name;         /* as exposed, e.g. "vllm:e2e_request_latency_seconds_bucket" */
	const prom_label *labels; /* sorted by name, le and quantile included */
	uint32_t nlabels;
	uint32_t line;
	prom_part part;
	double value;
	double bound;  /* le of a bucket, quantile of a summary sample; NaN otherwise */
	int64_t ts_ms; /* Unix milliseconds, or PROM_NO_TS */
} prom_sample;

typedef struct prom_family {
	const char *name; /* from its TYPE line, else the name of its samples */
	const char *help; /* "" when absent; unescaped */
	const char *unit; /* "" when absent */
	prom_type type;
	const prom_sample *samples; /* in exposition order */
	size_t nsamples;
} prom_family;

typedef struct prom_scrape {
	prom_format format;          /* TEXT or OPENMETRICS, never AUTO */
	const prom_family *families; /* in order of first appearance */
	size_t nfamilies;
	size_t nsamples;
	size_t nlines;
	size_t nbad;     /* lines skipped because they are malformed or over a limit */
	size_t ncreated; /* _created samples skipped */
	bool eof;        /* an OpenMetrics "# EOF" was seen */
	bool truncated;  /* a limit stopped the parse; the rest of the input was ignored */
	/* Why the exposition is not whole, "" when it is: cut mid-line, an OpenMetrics body without
	 * # EOF, or a stopped parse. A scrape that is not whole must not be stored as data: its
	 * counters would under-count and the next scrape would show a false jump. */
	char incomplete[PROM_ERROR_MAX + 32];
	/* The first PROM_ERRORS_KEPT of nerrors messages, each "line N: what is wrong". */
	size_t nerrors;
	char errors[PROM_ERRORS_KEPT][PROM_ERROR_MAX];
	struct prom_store *store; /* private */
} prom_scrape;

/* "auto", "text", "openmetrics"; 0 or -1. */
int prom_format_from_name(const char *name, prom_format *out);
const char *prom_format_name(prom_format f);
/* From an HTTP Content-Type: application/openmetrics-text -> OPENMETRICS, text/plain -> TEXT,
 * anything else (or NULL) -> AUTO. */
prom_format prom_format_from_content_type(const char *content_type);
const char *prom_type_name(prom_type t);

/* A streaming parser: feed the body in chunks as they arrive (a line may span chunks), then finish.
 * A bad line is counted and skipped, never stopping the others; a limit on the whole exposition
 * stops the parse and keeps what came before. */
typedef struct prom_parser prom_parser;

/* NULL when out of memory. lim may be NULL (defaults). */
prom_parser *prom_parser_new(prom_format hint, const prom_limits *lim);
/* 0, or -1 once the parse has stopped (a limit, out of memory, content after # EOF). */
int prom_parser_feed(prom_parser *p, const char *buf, size_t len);
/* Ends the input and frees p; the result is freed with prom_scrape_free. NULL only when out of
 * memory. */
prom_scrape *prom_parser_finish(prom_parser *p);
/* Frees a parser that will not be finished. */
void prom_parser_free(prom_parser *p);

/* The whole exposition at once, default limits. */
prom_scrape *prom_parse(const char *buf, size_t len, prom_format hint);
void prom_scrape_free(prom_scrape *s);

/* The family of that name. A counter is found by either spelling: "x" and "x_total". */
const prom_family *prom_find(const prom_scrape *s, const char *name);
/* The value of a sample's label, or NULL. */
const char *prom_label_get(const prom_sample *smp, const char *name);
/* Whether the sample has every one of the match labels with the same value. */
bool prom_sample_matches(const prom_sample *smp, const prom_label *match, size_t nmatch);

typedef enum { PROM_AGG_SUM, PROM_AGG_MAX } prom_agg;

/* The sum or the maximum of the plain values (VALUE, TOTAL, INFO parts) of f's samples that match;
 * NaN when none does (or f is NULL). */
double prom_value(const prom_family *f, const prom_label *match, size_t nmatch, prom_agg agg);

typedef struct prom_bucket {
	double le;    /* upper bound, +Inf for the last */
	double count; /* cumulative */
} prom_bucket;

/* A classic histogram summed over the series that match, as `sum by (le) (x_bucket{match})`:
 * buckets sorted by le, equal bounds added. */
typedef struct prom_hist {
	prom_bucket *buckets; /* malloc'd; NULL when n is 0 */
	size_t n;
	double sum;   /* of the matching _sum series; NaN when there is none */
	double count; /* of the matching _count series; NaN when there is none */
} prom_hist;

/* Fills h (zeroed first) from histogram family f; 0, or -1 out of memory. f may be NULL. */
int prom_histogram(const prom_family *f, const prom_label *match, size_t nmatch, prom_hist *h);
void prom_hist_free(prom_hist *h);

/* ---- inference servers ---- */

typedef enum { PROM_KIND_GENERIC, PROM_KIND_VLLM, PROM_KIND_TGI, PROM_KIND_COUNT } prom_kind;

/* "generic", "vllm", "tgi"; 0 or -1. */
int prom_kind_from_name(const char *name, prom_kind *out);
const char *prom_kind_name(prom_kind k);

/* One inference server (a vLLM model_name, or a TGI router) as tokentop shows it. A number the
 * scrape does not carry is NaN; a histogram it does not carry has n 0. */
typedef struct prom_server {
	prom_kind kind;       /* VLLM or TGI */
	char model_name[256]; /* cut short past 255 bytes */
	unsigned engines;     /* distinct vLLM engine labels seen (0: none) */
	double requests_running;
	double requests_waiting;
	double kv_cache_usage; /* 0..1; the fullest engine */
	double prompt_tokens_total;
	double generation_tokens_total;
	prom_hist ttft; /* seconds */
	prom_hist e2e;  /* seconds */
	/* the family each value came from (docs/prometheus.md), NULL when absent */
	const char *kv_metric;
	const char *ttft_metric;
} prom_server;

/* The servers in a scrape: kind VLLM one per model_name (in order of first appearance), TGI at most
 * one, GENERIC both. Returns how many (stored in *out, free with prom_servers_free), or -1 out of
 * memory. */
int prom_servers(const prom_scrape *s, prom_kind kind, prom_server **out);
void prom_servers_free(prom_server *v, size_t n);

#endif
