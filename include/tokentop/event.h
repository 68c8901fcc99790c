/* The request event: one LLM call as seen by a gateway, the unit everything else counts. */
#ifndef TOKENTOP_EVENT_H
#define TOKENTOP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Field capacities include the terminating NUL. A request_id that does not fit is rejected; a
 * longer name is kept, cut at a character boundary, and counted in the ingest summary. */
#define TT_ID_CAP      128
#define TT_NAME_CAP    128
#define TT_MODEL_CAP   128
#define TT_VERSION_CAP 64
#define TT_TIER_CAP    64

/* Largest cost one event may have by default ($100,000): above it an event is rejected as
 * implausible, so that one absurd value cannot poison the sums (ingest --max-event-cost). */
#define TT_COST_CEILING_NANOS (100000LL * 1000000000LL)

/* Largest token count or latency accepted on input (2^40): beyond it a value is an error. */
#define TT_COUNT_MAX ((int64_t)1 << 40)

typedef enum {
	TT_STATUS_OK,
	TT_STATUS_TIMEOUT,
	TT_STATUS_RATE_LIMITED,
	TT_STATUS_SERVER_ERROR,
	TT_STATUS_SAFETY_REFUSAL,
	TT_STATUS_CLIENT_ERROR,
	TT_STATUS_KILLED,
	TT_STATUS_THROTTLED,
	TT_STATUS_OTHER, /* a value outside this list: traffic and spend, neither good nor bad */
	TT_STATUS_COUNT
} tt_status;

/* Gateway response cache: none = not looked up (or bypassed), miss, hit (no provider call). */
/* other: a value outside this list (a semantic cache's own word), counted as neither. */
typedef enum {
	TT_CACHE_NONE,
	TT_CACHE_MISS,
	TT_CACHE_HIT,
	TT_CACHE_OTHER,
	TT_CACHE_COUNT
} tt_cache;

/* What the request achieved for the product, when the gateway knows. */
typedef enum {
	TT_OUTCOME_NONE,
	TT_OUTCOME_SUCCESS,
	TT_OUTCOME_FAILURE,
	TT_OUTCOME_ABANDONED,
	TT_OUTCOME_OTHER, /* a value outside this list */
	TT_OUTCOME_COUNT
} tt_outcome;

/* Where an event's cost came from. */
typedef enum {
	TT_COST_GATEWAY,  /* given on the event (cost_usd, LiteLLM spend) */
	TT_COST_CARD,     /* priced by the rate card at the event's time */
	TT_COST_UNPRICED, /* no cost given and no card price: cost 0, reported */
	TT_COST_COUNT
} tt_cost_source;

typedef struct tt_event {
	char request_id[TT_ID_CAP];
	int64_t ts_ms; /* request start, Unix milliseconds UTC */
	char gateway[TT_NAME_CAP];
	char tenant[TT_NAME_CAP];
	char team[TT_NAME_CAP];
	char use_case[TT_NAME_CAP];
	char prompt_id[TT_NAME_CAP];
	char prompt_version[TT_VERSION_CAP];
	char provider[TT_NAME_CAP];
	char model[TT_MODEL_CAP];
	char tier[TT_TIER_CAP];
	bool elevated;

	int64_t input_tokens; /* includes cached_tokens */
	int64_t output_tokens;
	int64_t cached_tokens;

	int64_t latency_ms; /* -1 when unknown */
	int64_t ttft_ms;
	int64_t retrieval_ms;
	int64_t queue_ms;

	tt_status status;
	tt_cache cache;
	tt_outcome outcome;
	int32_t quality_milli; /* quality 0..1 as 0..1000; -1 when unknown */

	bool has_cost;      /* cost_nanos was given by the source */
	int64_t cost_nanos; /* final cost, integer nano-dollars */
	tt_cost_source cost_source;
	int64_t saved_nanos; /* what the caches saved, priced at the card */
} tt_event;

/* Resets every field to its "absent" value. */
void event_init(tt_event *ev);

/* Names as written in JSON; NULL for an out-of-range value. */
const char *event_status_name(tt_status s);
const char *event_cache_name(tt_cache c);
const char *event_outcome_name(tt_outcome o);
const char *event_cost_source_name(tt_cost_source c);

/* Looks a name up; 0 on success, -1 when unknown. len is the name's length. */
int event_status_parse(const char *s, size_t len, tt_status *out);
int event_cache_parse(const char *s, size_t len, tt_cache *out);
int event_outcome_parse(const char *s, size_t len, tt_outcome *out);

/* True for statuses that are the provider's or the gateway's failure to serve. */
bool event_status_is_error(tt_status s);

/* Copies a string field, refusing values that do not fit: 0 or -1. */
int event_set_str(char *dst, size_t cap, const char *src, size_t len);

/* Writes the event as one line of native JSONL (with '\n'); returns the length, or the length
 * that would have been needed when cap is too small (like snprintf). */
size_t event_write_json(const tt_event *ev, char *buf, size_t cap);

#endif
