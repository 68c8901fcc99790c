/* What every live source shares: its health state and the retry schedule after failures. */
#ifndef TOKENTOP_SOURCE_H
#define TOKENTOP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"

typedef enum {
	SRC_STARTING, /* no answer yet */
	SRC_OK,
	SRC_DEGRADED, /* the last attempt failed; retrying */
	SRC_DOWN,     /* several attempts in a row failed, or the gateway refused the token */
	SRC_STATE_COUNT
} source_state;

const char *source_state_name(source_state s);

/* Where a source of events delivers. */
typedef struct source_sink {
	/* A batch of parsed events and the cursor that follows them. Return 0 once they are
	 * stored with that cursor (the source then moves on), -1 to have them fetched again. */
	int (*page)(void *ctx, const char *source, tt_event *evs, size_t n, const char *cursor);
	/* An event that did not parse; the rest are kept. */
	void (*reject)(void *ctx, const char *source, const char *reason);
	/* An event kept with an odd value (an unknown status kept as other, a name cut): what.
	 * May be NULL. */
	void (*note)(void *ctx, const char *source, const char *what);
	/* The source's state changed (detail: why, one line, no secrets). */
	void (*state)(void *ctx, const char *source, source_state st, const char *detail);
	/* The answer of one of the gateway's state endpoints (kind: health, routing, controls,
	 * ...; docs/sources.md), already checked to be JSON of the shape that endpoint gives.
	 * body NULL: the answer last delivered with this etag is still current (a 304). Return
	 * 0 once stored, -1 when it could not be. May be NULL: the state is not kept. */
	int (*gwstate)(void *ctx, const char *source, const char *kind, const char *body,
	               size_t len, const char *etag);
	void *ctx;
} source_sink;

/* Failures in a row before a source is shown as down. */
#define SOURCE_DOWN_AFTER 3

/* Delay before retry number `attempt` (1, 2, ...): exponential from base_ms, capped at
 * cap_ms, with full jitter drawn from *rng (xorshift state, never 0). */
int64_t source_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng);

/* The pause before the next poll after `empty` empty answers in a row (0 after one that
 * brought something): poll_ms, and from the second empty one on doubling up to cap_ms (never
 * under poll_ms). An idle gateway costs less; a busy one is not slowed by one quiet second. */
int64_t source_idle_ms(unsigned empty, int64_t poll_ms, int64_t cap_ms);

#endif
