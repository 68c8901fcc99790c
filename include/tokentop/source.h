/* What every live source shares: its health state and the retry schedule after failures. */
#ifndef TOKENTOP_SOURCE_H
#define TOKENTOP_SOURCE_H

#include <stdint.h>

typedef enum {
	SRC_STARTING, /* no answer yet */
	SRC_OK,
	SRC_DEGRADED, /* the last attempt failed; retrying */
	SRC_DOWN,     /* several attempts in a row failed, or the gateway refused the token */
	SRC_STATE_COUNT
} source_state;

const char *source_state_name(source_state s);

/* Failures in a row before a source is shown as down. */
#define SOURCE_DOWN_AFTER 3

/* Delay before retry number `attempt` (1, 2, ...): exponential from base_ms, capped at
 * cap_ms, with full jitter drawn from *rng (xorshift state, never 0). */
int64_t source_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng);

#endif
