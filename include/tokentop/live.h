/* The live sources on one loop, storing what they read: what tokentop sync and the console run. */
#ifndef TOKENTOP_LIVE_H
#define TOKENTOP_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "tokentop/config.h"
#include "tokentop/overview.h"
#include "tokentop/promsrc.h"
#include "tokentop/prom.h"
#include "tokentop/ratecard.h"
#include "tokentop/source.h"
#include "tokentop/store.h"

#define LIVE_MAX_SOURCES 256

typedef struct live live;

/* A source changed state (detail: why, one line, no secrets). */
typedef void (*live_state_fn)(void *ctx, const char *source, source_state st, const char *detail);

/* Sources on loop storing into st (events priced by card, which may be NULL). Rejected events
 * are written to errors (NULL: counted only). NULL on no memory. */
live *live_new(uv_loop_t *loop, store *st, const ratecard *card, FILE *errors);
void live_on_state(live *l, live_state_fn fn, void *ctx);

/* Adds and starts a source. Tokens are copied (and wiped on free). 0, or -1 with err. */
typedef struct live_events_opts {
	const char *name, *url, *token;
	bool litellm; /* the LiteLLM dialect, else tokentop's v1 */
	int64_t poll_ms, state_ms;
	int page_limit;
	bool production;
	int64_t since_ms, reread_ms; /* LiteLLM: the first read's start, the re-read age; 0: defaults */
} live_events_opts;
int live_add_events(live *l, const live_events_opts *o, char *err, size_t errlen);
int live_add_scrape(live *l, const char *name, const char *url, prom_kind kind,
                    const char *token, int64_t interval_ms, char *err, size_t errlen);
int live_add_prometheus(live *l, const char *name, const char *url, const char *token,
                        const promsrc_query *q, size_t nq, int64_t interval_ms, char *err,
                        size_t errlen);

/* Every [gateway], [scrape] and [prometheus] section of cfg, tokens read as configured;
 * state_ms (0: each section's own) overrides the state endpoints' interval. 0, or -1 with err
 * naming the section. */
int live_add_config(live *l, const tt_config *cfg, int64_t state_ms, char *err, size_t errlen);

size_t live_count(const live *l);
/* Every event source caught up, every scrape and query done at least once. */
bool live_caught_up(const live *l);
/* The store refused something (a page, samples): the caller decides whether that is fatal. */
bool live_store_failed(const live *l);
/* One line per event source: "NAME: N events stored, cursor C". */
void live_print_totals(const live *l, FILE *out, const char *prefix);

/* The sources' health for the overview (a ui_sources_fn): names stay valid while l lives. */
size_t live_health(void *l, view_source_health *out, size_t cap);

/* Stops polling (requests in flight are cancelled); then free, and run the loop to let the
 * handles close. */
void live_stop(live *l);
void live_free(live *l);

#endif
