/* DDSketch quantile sketch: log buckets with 1% relative error, exact merges, varint blobs. */
#include "tokentop/sketch.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Bucket i holds the values v with gamma^(i-1) < v <= gamma^i, gamma = (1+a)/(1-a). Its
 * representative 2*gamma^i/(gamma+1) is within a (relative) of every value in the bucket.
 *
 * At most SK_MAX_BINS consecutive buckets are kept. When a value would stretch the range
 * beyond that, the lowest buckets are folded into the lowest kept one: the final state is
 * lo = max(lowest index seen, highest index seen - SK_MAX_BINS + 1), every value at or below
 * lo counted in lo. That does not depend on the order of adds and merges (so merging equals
 * sketching the union), and the upper quantiles keep their error bound; only quantiles that
 * fall in the folded bucket are overestimated. With 1% error 4096 buckets span a factor of
 * about 1e35, so folding needs absurd data.
 *
 * Invariant: when nbins > 0, bins[0] and bins[nbins - 1] are nonzero, so the layout follows
 * from the contents alone and encodings of equal sketches are identical.
 */

#define SK_GAMMA    ((1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA))
#define SK_MAX_BINS 4096
/* index of SKETCH_MIN_VALUE, with a bucket of slack for rounding */
#define SK_INDEX_MIN (-346)
/* about 1e295: representatives stay finite; larger values are counted here */
#define SK_INDEX_MAX 34000

#define SK_VERSION    1
#define SK_DENSE      0x10
#define SK_SPARSE     0x11
#define SK_VARINT_MAX 10

void sketch_init(sketch *s)
{
	memset(s, 0, sizeof *s);
}

void sketch_free(sketch *s)
{
	free(s->bins);
	sketch_init(s);
}

void sketch_clear(sketch *s)
{
	s->count = 0;
	s->zero = 0;
	s->lo = 0;
	s->nbins = 0;
}

static int32_t sketch_index(double v)
{
	double i = ceil(log(v) / log(SK_GAMMA));
	if (i > SK_INDEX_MAX)
		return SK_INDEX_MAX;
	if (i < SK_INDEX_MIN)
		return SK_INDEX_MIN;
	return (int32_t)i;
}

static double sketch_value(int32_t i)
{
	return 2.0 * pow(SK_GAMMA, i) / (SK_GAMMA + 1.0);
}

static int32_t sketch_hi(const sketch *s)
{
	return s->lo + (int32_t)s->nbins - 1;
}

/* The kept range's low end once indices want_lo..want_hi are all present. */
static int32_t sketch_fold_lo(int32_t want_lo, int32_t want_hi)
{
	int32_t floor_lo = want_hi - (SK_MAX_BINS - 1);
	return want_lo > floor_lo ? want_lo : floor_lo;
}

/*
 * Makes the bins span new_lo..new_hi, a range that covers the current one except for buckets
 * below new_lo, which are folded into new_lo. -1 (sketch unchanged) when memory runs out.
 */
static int sketch_reshape(sketch *s, int32_t new_lo, int32_t new_hi)
{
	uint32_t n = (uint32_t)(new_hi - new_lo + 1);
	if (n > s->cap) {
		uint32_t cap = s->cap * 2;
		if (cap > SK_MAX_BINS)
			cap = SK_MAX_BINS;
		if (cap < n)
			cap = n;
		if (cap < 32)
			cap = 32;
		uint64_t *b = realloc(s->bins, (size_t)cap * sizeof *b);
		if (!b)
			return -1;
		s->bins = b;
		s->cap = cap;
	}
	if (s->nbins == 0) {
		memset(s->bins, 0, (size_t)n * sizeof *s->bins);
	} else {
		int32_t old_lo = s->lo, old_hi = sketch_hi(s);
		uint64_t folded = 0;
		for (int32_t i = old_lo; i < new_lo && i <= old_hi; i++)
			folded += s->bins[i - old_lo];
		int32_t keep_from = old_lo > new_lo ? old_lo : new_lo;
		uint32_t dst = (uint32_t)(keep_from - new_lo);
		uint32_t kept = keep_from <= old_hi ? (uint32_t)(old_hi - keep_from + 1) : 0;
		if (kept)
			memmove(s->bins + dst, s->bins + (keep_from - old_lo),
			        (size_t)kept * sizeof *s->bins);
		memset(s->bins, 0, (size_t)dst * sizeof *s->bins);
		memset(s->bins + dst + kept, 0, (size_t)(n - dst - kept) * sizeof *s->bins);
		s->bins[0] += folded;
	}
	s->lo = new_lo;
	s->nbins = n;
	return 0;
}

/* Makes room for indices lo..hi; returns the resulting low end via *kept_lo. */
static int sketch_cover(sketch *s, int32_t lo, int32_t hi, int32_t *kept_lo)
{
	int32_t want_lo = lo, want_hi = hi;
	if (s->nbins > 0) {
		if (s->lo < want_lo)
			want_lo = s->lo;
		if (sketch_hi(s) > want_hi)
			want_hi = sketch_hi(s);
		if (want_lo == s->lo && want_hi == sketch_hi(s)) {
			*kept_lo = s->lo;
			return 0;
		}
	}
	int32_t new_lo = sketch_fold_lo(want_lo, want_hi);
	if (sketch_reshape(s, new_lo, want_hi) != 0)
		return -1;
	*kept_lo = new_lo;
	return 0;
}

/* Adds n at bucket i once the range covers it (indices below lo are folded into lo). */
static void sketch_bump(sketch *s, int32_t i, uint64_t n)
{
	if (i < s->lo)
		i = s->lo;
	s->bins[i - s->lo] += n;
}

int sketch_add(sketch *s, double value, uint64_t n)
{
	/* NaN, negatives and infinity carry no usable magnitude */
	if (n == 0 || !(value >= 0) || isinf(value))
		return 0;
	if (value < SKETCH_MIN_VALUE) {
		s->zero += n;
		s->count += n;
		return 0;
	}
	int32_t i = sketch_index(value);
	if (s->nbins == 0 || i < s->lo || i > sketch_hi(s)) {
		int32_t kept_lo;
		if (sketch_cover(s, i, i, &kept_lo) != 0)
			return -1;
	}
	sketch_bump(s, i, n);
	s->count += n;
	return 0;
}

int sketch_remove(sketch *s, double value, uint64_t n)
{
	if (n == 0 || !(value >= 0) || isinf(value))
		return 0;
	if (s->count < n)
		return -1;
	if (value < SKETCH_MIN_VALUE) {
		if (s->zero < n)
			return -1;
		s->zero -= n;
		s->count -= n;
		return 0;
	}
	int32_t i = sketch_index(value);
	if (s->nbins == 0 || i > sketch_hi(s))
		return -1;
	if (i < s->lo)
		i = s->lo; /* folded into the lowest kept bin when it was added */
	if (s->bins[i - s->lo] < n)
		return -1;
	s->bins[i - s->lo] -= n;
	s->count -= n;
	/* keep the invariant: no empty bin at either end */
	uint32_t first = 0, last = s->nbins;
	while (first < last && !s->bins[first])
		first++;
	while (last > first && !s->bins[last - 1])
		last--;
	if (first == last) {
		s->nbins = 0;
		s->lo = 0;
		return 0;
	}
	if (first)
		memmove(s->bins, s->bins + first, (size_t)(last - first) * sizeof *s->bins);
	s->lo += (int32_t)first;
	s->nbins = last - first;
	return 0;
}

int sketch_merge(sketch *dst, const sketch *src)
{
	if (src->nbins > 0) {
		int32_t src_lo = src->lo, src_hi = sketch_hi(src), kept_lo;
		if (sketch_cover(dst, src_lo, src_hi, &kept_lo) != 0)
			return -1;
		uint32_t n = src->nbins;
		for (uint32_t k = 0; k < n; k++)
			if (src->bins[k])
				sketch_bump(dst, src_lo + (int32_t)k, src->bins[k]);
	}
	dst->zero += src->zero;
	dst->count += src->count;
	return 0;
}

/*
 * Rank convention: the q-quantile is the value of rank floor(q * (count - 1)) (0-based) in
 * sorted order, i.e. the lower of the two neighbours when q*(count-1) falls between ranks:
 * p50 of {1, 2, 3, 4} is 2, p0 the minimum and p100 the maximum (each within the error).
 */
double sketch_quantile(const sketch *s, double q)
{
	if (s->count == 0 || !(q >= 0.0 && q <= 1.0))
		return NAN;
	double r = floor(q * (double)(s->count - 1));
	uint64_t rank = r >= (double)(s->count - 1) ? s->count - 1 : (uint64_t)r;
	if (rank < s->zero)
		return 0.0;
	uint64_t seen = s->zero;
	for (uint32_t k = 0; k < s->nbins; k++) {
		seen += s->bins[k];
		if (seen > rank)
			return sketch_value(s->lo + (int32_t)k);
	}
	return sketch_value(sketch_hi(s));
}

uint64_t sketch_count_below(const sketch *s, double threshold)
{
	if (!(threshold > 0))
		return 0;
	if (threshold < SKETCH_MIN_VALUE)
		return 0; /* the zero bucket holds the threshold */
	uint64_t below = s->zero;
	if (s->nbins == 0)
		return below;
	/* buckets with index below the threshold's own lie wholly below it */
	int32_t t = isinf(threshold) ? INT32_MAX : sketch_index(threshold);
	for (uint32_t k = 0; k < s->nbins && s->lo + (int32_t)k < t; k++)
		below += s->bins[k];
	return below;
}

/* ---- encoding ----
 *
 * Dense:  0x10, varint zero, varint zigzag(lo), varint nbins, nbins x varint count
 * Sparse: 0x11, varint zero, varint npairs, then npairs pairs (index, count): the first index
 *         as varint zigzag(index), later ones as varint (index - previous index) >= 1;
 *         every count >= 1.
 * The encoder writes whichever is shorter (dense on a tie), so equal sketches encode to equal
 * bytes. Varints are unsigned LEB128, at most 10 bytes, without redundant trailing zero bytes.
 */

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static size_t sketch_dense_len(const sketch *s)
{
	size_t n = 1 + varint_len(s->zero) + varint_len(zigzag(s->lo)) + varint_len(s->nbins);
	for (uint32_t k = 0; k < s->nbins; k++)
		n += varint_len(s->bins[k]);
	return n;
}

static size_t sketch_sparse_len(const sketch *s)
{
	uint64_t pairs = 0;
	size_t n = 0;
	int32_t prev = 0;
	for (uint32_t k = 0; k < s->nbins; k++) {
		if (!s->bins[k])
			continue;
		int32_t i = s->lo + (int32_t)k;
		n += (pairs ? varint_len((uint64_t)(i - prev)) : varint_len(zigzag(i))) +
		     varint_len(s->bins[k]);
		prev = i;
		pairs++;
	}
	return 1 + varint_len(s->zero) + varint_len(pairs) + n;
}

size_t sketch_encode(const sketch *s, uint8_t *buf, size_t cap)
{
	size_t dense = sketch_dense_len(s), sparse = sketch_sparse_len(s);
	bool use_dense = dense <= sparse;
	size_t need = use_dense ? dense : sparse;
	if (!buf || cap < need)
		return need;
	uint8_t *p = buf;
	if (use_dense) {
		*p++ = SK_DENSE;
		p = varint_put(p, s->zero);
		p = varint_put(p, zigzag(s->lo));
		p = varint_put(p, s->nbins);
		for (uint32_t k = 0; k < s->nbins; k++)
			p = varint_put(p, s->bins[k]);
		return need;
	}
	uint64_t pairs = 0;
	for (uint32_t k = 0; k < s->nbins; k++)
		pairs += s->bins[k] != 0;
	*p++ = SK_SPARSE;
	p = varint_put(p, s->zero);
	p = varint_put(p, pairs);
	int32_t prev = 0;
	bool first = true;
	for (uint32_t k = 0; k < s->nbins; k++) {
		if (!s->bins[k])
			continue;
		int32_t i = s->lo + (int32_t)k;
		p = varint_put(p, first ? zigzag(i) : (uint64_t)(i - prev));
		p = varint_put(p, s->bins[k]);
		prev = i;
		first = false;
	}
	return need;
}

typedef struct blob_reader {
	const uint8_t *p, *end;
} blob_reader;

static int varint_get(blob_reader *r, uint64_t *out)
{
	uint64_t v = 0;
	for (int k = 0; k < SK_VARINT_MAX; k++) {
		if (r->p >= r->end)
			return -1;
		uint8_t b = *r->p++;
		if (k == SK_VARINT_MAX - 1 && b > 1)
			return -1; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << (7 * k);
		if (!(b & 0x80)) {
			if (b == 0 && k > 0)
				return -1; /* overlong */
			*out = v;
			return 0;
		}
	}
	return -1;
}

static int index_get(blob_reader *r, int32_t *out)
{
	uint64_t z;
	if (varint_get(r, &z) != 0)
		return -1;
	int64_t i = unzigzag(z);
	if (i < SK_INDEX_MIN || i > SK_INDEX_MAX)
		return -1;
	*out = (int32_t)i;
	return 0;
}

static bool add_overflows(uint64_t *acc, uint64_t v)
{
	if (*acc > UINT64_MAX - v)
		return true;
	*acc += v;
	return false;
}

/* One pass over a blob's buckets: validates, and when s is given adds them into it. */
typedef struct blob_info {
	uint64_t zero, total;
	int32_t lo, hi;
	bool any;
} blob_info;

static int blob_walk(const uint8_t *blob, size_t len, blob_info *info, sketch *s)
{
	blob_reader r = {blob, blob + len};
	if (len < 1)
		return -1;
	uint8_t kind = *r.p++;
	if (kind != SK_DENSE && kind != SK_SPARSE)
		return -1;
	memset(info, 0, sizeof *info);
	if (varint_get(&r, &info->zero) != 0)
		return -1;
	info->total = info->zero;

	if (kind == SK_DENSE) {
		int32_t lo;
		uint64_t nbins;
		if (index_get(&r, &lo) != 0 || varint_get(&r, &nbins) != 0)
			return -1;
		if (nbins > SK_MAX_BINS || (int64_t)lo + (int64_t)nbins - 1 > SK_INDEX_MAX)
			return -1;
		if (nbins == 0 && lo != 0)
			return -1;
		for (uint64_t k = 0; k < nbins; k++) {
			uint64_t c;
			if (varint_get(&r, &c) != 0)
				return -1;
			if (c == 0 && (k == 0 || k == nbins - 1))
				return -1; /* edges are nonzero in a canonical sketch */
			if (add_overflows(&info->total, c))
				return -1;
			if (s && c)
				sketch_bump(s, lo + (int32_t)k, c);
		}
		if (nbins) {
			info->any = true;
			info->lo = lo;
			info->hi = lo + (int32_t)nbins - 1;
		}
	} else {
		uint64_t pairs;
		if (varint_get(&r, &pairs) != 0 || pairs > SK_MAX_BINS)
			return -1;
		int32_t prev = 0;
		for (uint64_t k = 0; k < pairs; k++) {
			int32_t i;
			if (k == 0) {
				if (index_get(&r, &i) != 0)
					return -1;
			} else {
				uint64_t d;
				if (varint_get(&r, &d) != 0 || d == 0 ||
				    d > (uint64_t)(SK_INDEX_MAX - prev))
					return -1;
				i = prev + (int32_t)d;
			}
			uint64_t c;
			if (varint_get(&r, &c) != 0 || c == 0)
				return -1;
			if (add_overflows(&info->total, c))
				return -1;
			if (s)
				sketch_bump(s, i, c);
			if (k == 0)
				info->lo = i;
			prev = i;
		}
		if (pairs) {
			info->any = true;
			info->hi = prev;
		}
	}
	if (r.p != r.end)
		return -1;
	if (info->any && info->hi - info->lo + 1 > SK_MAX_BINS)
		return -1; /* wider than any sketch can be */
	return 0;
}

int sketch_merge_blob(sketch *s, const uint8_t *blob, size_t len)
{
	blob_info info;
	if (!blob || blob_walk(blob, len, &info, NULL) != 0)
		return -1;
	uint64_t count = s->count;
	if (add_overflows(&count, info.total))
		return -1;
	if (info.any) {
		int32_t kept_lo;
		if (sketch_cover(s, info.lo, info.hi, &kept_lo) != 0)
			return -1;
		blob_walk(blob, len, &info, s);
	}
	s->zero += info.zero;
	s->count = count;
	return 0;
}
