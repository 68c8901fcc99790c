/* The local cache: SQLite (WAL) holding deduplicated events, multi-resolution rollups, cursors. */
#ifndef TOKENTOP_STORE_H
#define TOKENTOP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"

typedef struct store store;

/* Rollup resolutions. Every event is counted once in each. */
typedef enum { TT_RES_MINUTE, TT_RES_HOUR, TT_RES_DAY, TT_RES_COUNT } tt_res;

/* The counters every rollup row holds; store_metric_name gives their column names. */
typedef enum {
	TT_M_REQUESTS,
	TT_M_INPUT_TOKENS,
	TT_M_OUTPUT_TOKENS,
	TT_M_CACHED_TOKENS,
	TT_M_COST_NANOS,
	TT_M_SAVED_NANOS,
	TT_M_GATEWAY_PRICED,
	TT_M_CARD_PRICED,
	TT_M_UNPRICED,
	TT_M_SUCCESS,
	TT_M_FAILURE,
	TT_M_ABANDONED,
	TT_M_ELEVATED,
	TT_M_LATENCY_MS_SUM,
	TT_M_COUNT
} tt_metric;

/* The two sketches every rollup row holds. */
typedef enum { TT_SK_LATENCY, TT_SK_TTFT, TT_SK_COUNT } tt_sketch_kind;

/* The dimensions a rollup is keyed by; interned as one integer id. */
typedef enum {
	TT_D_USE_CASE,
	TT_D_TEAM,
	TT_D_TENANT,
	TT_D_PROMPT_ID,
	TT_D_PROMPT_VERSION,
	TT_D_PROVIDER,
	TT_D_MODEL,
	TT_D_TIER,
	TT_D_STATUS,
	TT_D_CACHE,
	TT_D_COUNT
} tt_dim;

typedef struct tt_dims {
	const char *v[TT_D_COUNT];
} tt_dims;

/* Merges encoded sketch b into encoded sketch a, giving a new malloc'd blob.
 * The store needs it for upserts but does not know the sketch format. */
typedef int (*store_blob_merge_fn)(const void *a, size_t alen, const void *b, size_t blen,
                                   void **out, size_t *outlen);

typedef struct store_opts {
	bool readonly;
	int cache_kib; /* SQLite's page cache for this handle; 0: 64 MiB (bulk work) */
	int busy_ms;   /* how long a write waits for another writer's lock; 0: 5 s */
	store_blob_merge_fn merge;
} store_opts;

/* Opens (creating when allowed) and migrates the database. NULL on error with err naming the
 * file and the reason. */
store *store_open(const char *path, const store_opts *o, char *err, size_t errlen);
void store_close(store *s);
const char *store_errmsg(store *s);
int store_schema_version(store *s);

/* Changes whenever another connection commits to the database (PRAGMA data_version): a cheap
 * way for a reader to know whether to read again. -1 on error. */
int64_t store_data_version(store *s);

/* The default database path: $XDG_DATA_HOME/tokentop/tokentop.db (fallback
 * ~/.local/share/tokentop/tokentop.db); creates the directory. 0 or -1. */
int store_default_path(char *buf, size_t cap, char *err, size_t errlen);

int store_begin(store *s);
int store_commit(store *s);
/* Whether the last failure was another connection holding the lock (SQLITE_BUSY): worth
 * trying again later, unlike a full disk or a damaged file. */
bool store_busy(store *s);
/* Whether a transaction is open on this handle. */
bool store_in_txn(store *s);
int store_rollback(store *s);

const char *store_metric_name(tt_metric m);
const char *store_dim_name(tt_dim d);
const char *store_res_name(tt_res r);

/* Bucket start (Unix seconds) holding ts_ms at a resolution. */
int64_t store_bucket(tt_res r, int64_t ts_ms);
int64_t store_bucket_seconds(tt_res r);

/* The event's dimension tuple (status and cache as their names). */
void store_dims_of(const tt_event *ev, tt_dims *d);

/* A tuple's identity as one string: the values joined by 0x1f. Returns its length, 0 when it
 * does not fit cap (TT_DIMS_KEY_CAP always fits an event's tuple). */
#define TT_DIMS_KEY_CAP 1024
size_t store_dims_key(const tt_dims *d, char *buf, size_t cap);

/* The id of a dimension tuple, inserting it when new; -1 on error. */
int64_t store_dims_intern(store *s, const tt_dims *d);

/* Every dims row: calls fn(ctx, id, dims) in id order. */
typedef int (*store_dims_fn)(void *ctx, int64_t id, const tt_dims *d);
int store_dims_each(store *s, store_dims_fn fn, void *ctx);

/* Inserts an event unless its request_id is known: 1 inserted, 0 duplicate, -1 error. */
int store_event_insert(store *s, const tt_event *ev, int64_t dims_id);

/* Number of events stored. */
int64_t store_event_count(store *s);

/* A rollup row: one (resolution, bucket, dims) cell. */
typedef struct tt_rollup {
	int64_t bucket; /* Unix seconds */
	int64_t dims_id;
	int64_t m[TT_M_COUNT];
	const void *sk[TT_SK_COUNT];
	size_t sklen[TT_SK_COUNT];
	const void *minutes; /* hour rows: the minute pack (below); NULL otherwise */
	size_t minutes_len;
} tt_rollup;

/*
 * Minute rollups are stored packed inside their hour row: one row per (hour, dims) instead of
 * one per (minute, dims) keeps ingest to a fraction of the SQLite rows. A pack is the hour's
 * non-empty minutes in ascending order, each with its counters and sketches.
 */
typedef struct store_pack {
	uint8_t *buf;
	size_t len, cap;
} store_pack;

void store_pack_reset(store_pack *p);
void store_pack_free(store_pack *p);
/* Appends a minute (0..59, ascending). 0, or -1 out of memory or out of order. */
int store_pack_add(store_pack *p, int minute, const int64_t m[TT_M_COUNT],
                   const void *const sk[TT_SK_COUNT], const size_t sklen[TT_SK_COUNT]);

/* Adds a row into the stored cell (counters summed, sketches and packs merged). Only hour
 * and day rows are stored; an hour row must carry its minute pack. 0 or -1. */
int store_rollup_add(store *s, tt_res r, const tt_rollup *row);

/* Visits the rollup rows covering [since_ms, until_ms), using the coarsest resolution that
 * tiles each part of the range exactly (days inside, hours at the edges, minutes at the
 * ragged ends). The range is widened to whole minutes. Sketch pointers are valid only
 * during the callback; with want_sketches false they are NULL. fn returns non-zero to stop. */
typedef int (*store_rollup_fn)(void *ctx, tt_res r, const tt_rollup *row);
int store_rollup_scan(store *s, int64_t since_ms, int64_t until_ms, bool want_sketches,
                      store_rollup_fn fn, void *ctx);

/* As store_rollup_scan, but never a row coarser than `coarsest`: a view that puts rows in
 * minute (hour) steps reads the whole range in one pass, each hour row's minute pack once. */
int store_rollup_scan_res(store *s, int64_t since_ms, int64_t until_ms, tt_res coarsest,
                          bool want_sketches, store_rollup_fn fn, void *ctx);

/* The hour or day rows whose bucket starts in [since_ms, until_ms), with only their spend: for
 * cost series and totals over long ranges. An index holds these three columns of the hour rows
 * (migration 6), so their minute packs and sketches are not read. fn returns non-zero to
 * stop. */
typedef int (*store_cost_fn)(void *ctx, int64_t bucket, int64_t dims_id, int64_t cost_nanos);
int store_rollup_costs(store *s, tt_res r, int64_t since_ms, int64_t until_ms, store_cost_fn fn,
                       void *ctx);

/* Earliest and latest event time in the rollups (Unix ms); 0 when empty, -1 on error. */
int store_time_bounds(store *s, int64_t *first_ms, int64_t *last_ms);

/* A source's cursor (an opaque string); committed with the events it covers. */
int store_cursor_get(store *s, const char *source, char *buf, size_t cap);
int store_cursor_set(store *s, const char *source, const char *cursor);

/* One inference server's figures at one scrape. NaN: not exposed. ttft: the cumulative TTFT
 * histogram as an array of {double le; double count} pairs in native byte order. */
typedef struct tt_inference {
	const char *source;
	const char *model_name;
	int64_t ts_ms;
	double requests_running, requests_waiting, kv_cache_usage;
	double prompt_tokens_total, generation_tokens_total;
	const void *ttft;
	size_t ttft_len;
} tt_inference;

int store_inference_add(store *s, const tt_inference *x);
/* Drops samples older than before_ms. */
int store_inference_prune(store *s, int64_t before_ms);
/* For every (source, model_name): fn(ctx, newest, the one before or NULL), in name order;
 * fn's non-zero return stops and is returned. */
typedef int (*store_inference_fn)(void *ctx, const tt_inference *latest,
                                  const tt_inference *previous);
int store_inference_latest(store *s, store_inference_fn fn, void *ctx);
/* One server's samples with since_ms <= ts_ms < until_ms, oldest first, without the TTFT
 * histogram (one range read of the primary key); fn's non-zero return stops and is returned. */
typedef int (*store_inference_each_fn)(void *ctx, const tt_inference *x);
int store_inference_range(store *s, const char *source, const char *model_name, int64_t since_ms,
                          int64_t until_ms, store_inference_each_fn fn, void *ctx);

/* A point of a series read from a Prometheus-compatible API (labels: compact JSON; NaN is
 * stored as NULL). */
int store_metric_add(store *s, const char *source, const char *series, const char *labels,
                     int64_t ts_ms, double value);

/* The newest point of one series and label set, with how many points are kept of it. */
typedef struct tt_metric_point {
	const char *source, *series, *labels;
	int64_t ts_ms;
	double value; /* NaN when stored as NULL */
	int64_t points;
} tt_metric_point;

/* For every (source, series, labels), in that order: fn(ctx, its newest point); the strings
 * are valid during the call. fn's non-zero return stops and is returned; -1 on error. */
typedef int (*store_metric_fn)(void *ctx, const tt_metric_point *p);
int store_metric_latest(store *s, store_metric_fn fn, void *ctx);

/*
 * Gateway state: the latest answer of each state endpoint of a live source (kind: health,
 * routing, controls; LiteLLM: health, global_spend, model_info, router_settings), kept
 * verbatim as JSON with its ETag and the time it was fetched or last confirmed.
 */
typedef struct tt_gwstate {
	const char *source, *kind;
	const char *body; /* JSON as the gateway sent it */
	size_t len;
	const char *etag; /* NULL when the answer had none */
	int64_t fetched_ms;
} tt_gwstate;

/* Stores an answer, replacing the previous one of (source, kind). etag may be NULL. 0 or -1. */
int store_gwstate_put(store *s, const char *source, const char *kind, const char *body,
                      const char *etag, int64_t fetched_ms);
/* The stored answer is still current (a 304): only its time moves. 1 touched, 0 none
 * stored, -1 error. */
int store_gwstate_touch(store *s, const char *source, const char *kind, int64_t fetched_ms);
/* The stored answer of (source, kind): 1 with *body (and *etag, NULL when none) malloc'd for
 * the caller, 0 when none is stored (*body NULL), -1 on error. etag and fetched_ms may be
 * NULL. */
int store_gwstate_get(store *s, const char *source, const char *kind, char **body, char **etag,
                      int64_t *fetched_ms);
/* Every stored answer in (source, kind) order; the strings are valid during the call. fn's
 * non-zero return stops and is returned; -1 on error. */
typedef int (*store_gwstate_fn)(void *ctx, const tt_gwstate *g);
int store_gwstate_each(store *s, store_gwstate_fn fn, void *ctx);

#endif
