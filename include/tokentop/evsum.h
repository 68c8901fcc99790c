/* Sums over stored events for what the rollups do not key on (whether a request was elevated). */
#ifndef TOKENTOP_EVSUM_H
#define TOKENTOP_EVSUM_H

#include <stdint.h>

#include "tokentop/store.h"

/* Called once per dimension tuple that has elevated events in the range, in dims id order. */
typedef int (*evsum_fn)(void *ctx, int64_t dims_id, int64_t requests, int64_t cost_nanos);

/* The requests and cost of the elevated events with since_ms <= ts < until_ms, per dims id.
 * fn's non-zero return stops the walk and is returned; -1 on a store error. */
int evsum_elevated(store *s, int64_t since_ms, int64_t until_ms, evsum_fn fn, void *ctx);

#endif
