/* histogram_quantile over classic Prometheus histogram buckets, computed as PromQL does. */
#ifndef TOKENTOP_HISTQ_H
#define TOKENTOP_HISTQ_H

#include <stddef.h>

#include "tokentop/prom.h"

/* Bits of *flags, PromQL's two annotations. */
#define HISTQ_FORCED_MONOTONIC 1u /* a bucket count fell and was raised to the one below */
#define HISTQ_FIXED_PRECISION  2u /* counts a relative 1e-12 apart were taken as equal */

/* The q-quantile of cumulative buckets (any order), exactly as PromQL's histogram_quantile: buckets
 * sorted by le, equal bounds added, small float deltas ignored and decreases raised
 * (ensureMonotonic); linear interpolation inside the bucket holding rank q * count, from 0 for the
 * lowest bucket when its bound is above 0 (else that bound itself); a rank in the +Inf bucket gives
 * the second-highest bound. NaN when q is NaN, with fewer than 2 buckets, without a +Inf bucket, or
 * with no observations; q < 0 gives -Inf, q > 1 +Inf. Buckets with a NaN bound are left out. flags
 * may be NULL. */
double histq_quantile(double q, const prom_bucket *b, size_t n, unsigned *flags);

/* The increase of each bucket from prev to cur (two scrapes of the same histogram): buckets matched
 * by le, prev sorted by le (as prom_histogram gives them); one missing from prev is left out
 * (PromQL has no rate for a series with one sample); a count that fell is a counter reset, so the
 * increase is the new count. out holds ncur; returns how many were written. */
size_t histq_increase(const prom_bucket *prev, size_t nprev, const prom_bucket *cur, size_t ncur,
                      prom_bucket *out);

/* histq_quantile over histq_increase: histogram_quantile(q, rate(x_bucket[...])) for a window of
 * exactly these two scrapes (the rate's division by the window cancels out). */
double histq_quantile_increase(double q, const prom_bucket *prev, size_t nprev,
                               const prom_bucket *cur, size_t ncur, unsigned *flags);

#endif
