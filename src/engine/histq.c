/* histogram_quantile as PromQL computes it for classic histograms (promql/quantile.go). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "tokentop/histq.h"

#define STACK_BUCKETS 128
/* PromQL's smallDeltaTolerance: counts closer than this (relative) are float noise. */
#define SMALL_DELTA 1e-12

/* util/almost.Equal */
static int almost_equal(double a, double b, double eps)
{
	if (isnan(a) && isnan(b))
		return 1;
	if (a == b)
		return 1;
	double sum = fabs(a) + fabs(b), diff = fabs(a - b);
	if (a == 0 || b == 0 || sum < DBL_MIN)
		return diff < eps * DBL_MIN;
	return diff / fmin(sum, DBL_MAX) < eps;
}

static int bucket_cmp(const void *a, const void *b)
{
	double x = ((const prom_bucket *)a)->le, y = ((const prom_bucket *)b)->le;
	return (x > y) - (x < y);
}

static size_t coalesce(prom_bucket *b, size_t n)
{
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (b[i].le == b[k].le)
			b[k].count += b[i].count;
		else
			b[++k] = b[i];
	}
	return k + 1;
}

/* ensureMonotonicAndIgnoreSmallDeltas: prev only moves on a real increase. */
static unsigned make_monotonic(prom_bucket *b, size_t n)
{
	unsigned flags = 0;
	double prev = b[0].count;
	for (size_t i = 1; i < n; i++) {
		double curr = b[i].count;
		if (curr == prev)
			continue;
		if (almost_equal(prev, curr, SMALL_DELTA)) {
			b[i].count = prev;
			flags |= HISTQ_FIXED_PRECISION;
		} else if (curr < prev) {
			b[i].count = prev;
			flags |= HISTQ_FORCED_MONOTONIC;
		} else {
			prev = curr;
		}
	}
	return flags;
}

/* Go's sort.Search over the first n-1 buckets: the smallest i with count >= rank, else n-1; the
 * same halving so that NaN counts land where PromQL's do. */
static size_t search_rank(const prom_bucket *b, size_t n, double rank)
{
	size_t i = 0, j = n - 1;
	while (i < j) {
		size_t h = i + (j - i) / 2;
		if (!(b[h].count >= rank))
			i = h + 1;
		else
			j = h;
	}
	return i;
}

static double quantile_sorted(double q, prom_bucket *b, size_t n, unsigned *flags)
{
	qsort(b, n, sizeof *b, bucket_cmp);
	if (!isinf(b[n - 1].le) || b[n - 1].le < 0)
		return NAN;
	n = coalesce(b, n);
	unsigned f = make_monotonic(b, n);
	if (n < 2)
		return NAN;
	double observations = b[n - 1].count;
	if (observations == 0)
		return NAN;
	if (flags)
		*flags = f;
	double rank = q * observations;
	size_t i = search_rank(b, n, rank);
	if (i == n - 1)
		return b[n - 2].le;
	if (i == 0 && b[0].le <= 0)
		return b[0].le;
	double start = 0, end = b[i].le, count = b[i].count;
	if (i > 0) {
		start = b[i - 1].le;
		count -= b[i - 1].count;
		rank -= b[i - 1].count;
	}
	return start + (end - start) * (rank / count);
}

double histq_quantile(double q, const prom_bucket *b, size_t n, unsigned *flags)
{
	if (flags)
		*flags = 0;
	if (isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	prom_bucket stack[STACK_BUCKETS], *w = n <= STACK_BUCKETS ? stack : malloc(n * sizeof *w);
	if (!w)
		return NAN;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(b[i].le))
			w[k++] = b[i];
	double r = k ? quantile_sorted(q, w, k, flags) : NAN;
	if (w != stack)
		free(w);
	return r;
}

size_t histq_increase(const prom_bucket *prev, size_t nprev, const prom_bucket *cur, size_t ncur,
                      prom_bucket *out)
{
	size_t k = 0;
	for (size_t i = 0; i < ncur; i++) {
		size_t lo = 0, hi = nprev;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (prev[mid].le < cur[i].le)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nprev || !(prev[lo].le == cur[i].le))
			continue;
		double was = prev[lo].count, now = cur[i].count;
		out[k++] = (prom_bucket){cur[i].le, now < was ? now : now - was};
	}
	return k;
}

double histq_quantile_increase(double q, const prom_bucket *prev, size_t nprev,
                               const prom_bucket *cur, size_t ncur, unsigned *flags)
{
	if (flags)
		*flags = 0;
	prom_bucket stack[STACK_BUCKETS],
	    *d = ncur <= STACK_BUCKETS ? stack : malloc(ncur * sizeof *d);
	if (!d)
		return NAN;
	size_t n = histq_increase(prev, nprev, cur, ncur, d);
	double r = histq_quantile(q, d, n, flags);
	if (d != stack)
		free(d);
	return r;
}
