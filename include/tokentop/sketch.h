/* A DDSketch-style mergeable quantile sketch: log buckets, 1% relative error on the value. */
#ifndef TOKENTOP_SKETCH_H
#define TOKENTOP_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define SKETCH_ALPHA 0.01

/* Values below SKETCH_MIN_VALUE (including 0) are counted in the zero bucket. */
#define SKETCH_MIN_VALUE 1e-3

typedef struct sketch {
	uint64_t count; /* all values, zero bucket included */
	uint64_t zero;
	int32_t lo;      /* bucket index of bins[0] */
	uint32_t nbins;  /* bins in use */
	uint32_t cap;    /* bins allocated */
	uint64_t *bins;
} sketch;

void sketch_init(sketch *s);
void sketch_free(sketch *s);
void sketch_clear(sketch *s);

/* Adds a non-negative value n times; negative, NaN or infinite values are ignored (values past
 * about 1e295 count in the top bucket). 0 or -1 (memory). */
int sketch_add(sketch *s, double value, uint64_t n);
int sketch_merge(sketch *dst, const sketch *src);

/* Takes back n values added earlier with sketch_add (same value): DDSketch counts subtract
 * exactly. 0, or -1 (s unchanged) when the sketch does not hold them. */
int sketch_remove(sketch *s, double value, uint64_t n);

/* The q-quantile (0 <= q <= 1): the value of 0-based rank floor(q * (count - 1)) within
 * SKETCH_ALPHA relative error; 0 when that rank is in the zero bucket; NAN when empty or q is
 * out of range. */
double sketch_quantile(const sketch *s, double q);

/* How many values are (within the sketch's error) below threshold: exact for buckets wholly
 * below or above it; the bucket holding threshold is counted as not below. */
uint64_t sketch_count_below(const sketch *s, double threshold);

/* Compact varint encoding (layout in sketch.c; equal sketches give equal bytes); returns the
 * bytes needed (write happens only when they fit; buf may be NULL to ask). */
size_t sketch_encode(const sketch *s, uint8_t *buf, size_t cap);
/* Adds an encoded sketch into s; 0, or -1 when the blob is malformed (s unchanged). */
int sketch_merge_blob(sketch *s, const uint8_t *blob, size_t len);

#endif
