/* A LiteLLM proxy source: spend-log rows by sliding window; liveliness, spend, models, router. */
#ifndef TOKENTOP_LITELLM_H
#define TOKENTOP_LITELLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/http.h"
#include "tokentop/source.h"

typedef struct litellm_src litellm_src;

/* Default pause between two reads of the state endpoints. */
#define LITELLM_STATE_MS 30000
/* Default age at which a stretch is read again: the longest request plus LiteLLM's write delay
 * (a row is keyed by its startTime and written when the call ends, later after an outage). */
#define LITELLM_REREAD_MS (2 * 3600000LL)

typedef struct litellm_opts {
	const char *name;
	const char *url;     /* the proxy's base URL */
	const char *token;   /* the master key (Bearer); never printed */
	long poll_ms;        /* pause when caught up; 0: 10000 */
	long state_ms;       /* between reads of /health/liveliness, /global/spend, /model/info,
	                      * /router/settings; 0: LITELLM_STATE_MS; < 0: never */
	int64_t overlap_ms;  /* each window re-reads this much before the cursor; 0: 15 min */
	int64_t reread_ms;   /* each stretch of time is read once more when it is this old, for
	                      * rows LiteLLM writes late; 0: LITELLM_REREAD_MS */
	int64_t since_ms;    /* with no cursor, the first read starts here; 0: the start of this
	                      * month (UTC), since month budgets need the month */
	int64_t window_ms;   /* widest advance asked at once; 0: 1 h (halved when too busy) */
	int page_size;       /* rows per page, 1..100; 0: 100 */
	long timeout_ms;
	size_t max_body;
	bool insecure;
} litellm_opts;

/* The cursor is the end of the last window stored (ISO 8601); rows re-read in the overlap
 * and the re-read sweep are duplicates the store ignores. */
litellm_src *litellm_new(uv_loop_t *loop, http_client *http, const litellm_opts *o,
                         const char *cursor, const source_sink *sink);
void litellm_start(litellm_src *s);
void litellm_stop(litellm_src *s);
void litellm_free(litellm_src *s);
source_state litellm_state(const litellm_src *s);
bool litellm_caught_up(const litellm_src *s);
const char *litellm_cursor(const litellm_src *s);
uint64_t litellm_events(const litellm_src *s);
/* Rounds of the state endpoints completed (each answer stored, refused or failed). */
uint64_t litellm_state_rounds(const litellm_src *s);

/* "YYYY-MM-DD HH:MM:SS" in UTC, the form /spend/logs/ui takes. */
void litellm_format_time(int64_t ms, char *buf, size_t cap);

#endif
