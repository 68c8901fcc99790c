/* Rollup accumulation: a hash of cells keyed by resolution, bucket and dimension id. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/rollup.h"
#include "tokentop/sketch.h"

typedef struct cell {
	int64_t bucket;
	int64_t dims_id;
	int res; /* -1 marks an empty slot */
	int64_t m[TT_M_COUNT];
	sketch sk[TT_SK_COUNT];
} cell;

struct rollup_acc {
	cell *cells;
	size_t cap, used;
};

rollup_acc *rollup_acc_new(void)
{
	rollup_acc *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->cap = 4096;
	a->cells = calloc(a->cap, sizeof *a->cells);
	if (!a->cells) {
		free(a);
		return NULL;
	}
	for (size_t i = 0; i < a->cap; i++) {
		a->cells[i].res = -1;
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_init(&a->cells[i].sk[k]);
	}
	return a;
}

void rollup_acc_free(rollup_acc *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->cap; i++)
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_free(&a->cells[i].sk[k]);
	free(a->cells);
	free(a);
}

size_t rollup_acc_cells(const rollup_acc *a)
{
	return a->used;
}

void rollup_event_metrics(const tt_event *ev, int64_t m[TT_M_COUNT])
{
	memset(m, 0, sizeof(int64_t) * TT_M_COUNT);
	m[TT_M_REQUESTS] = 1;
	m[TT_M_INPUT_TOKENS] = ev->input_tokens;
	m[TT_M_OUTPUT_TOKENS] = ev->output_tokens;
	m[TT_M_CACHED_TOKENS] = ev->cached_tokens;
	m[TT_M_COST_MICROS] = ev->cost_micros;
	m[TT_M_SAVED_MICROS] = ev->saved_micros;
	m[TT_M_GATEWAY_PRICED] = ev->cost_source == TT_COST_GATEWAY;
	m[TT_M_CARD_PRICED] = ev->cost_source == TT_COST_CARD;
	m[TT_M_UNPRICED] = ev->cost_source == TT_COST_UNPRICED;
	m[TT_M_SUCCESS] = ev->outcome == TT_OUTCOME_SUCCESS;
	m[TT_M_FAILURE] = ev->outcome == TT_OUTCOME_FAILURE;
	m[TT_M_ABANDONED] = ev->outcome == TT_OUTCOME_ABANDONED;
	m[TT_M_ELEVATED] = ev->elevated;
	m[TT_M_LATENCY_MS_SUM] = ev->latency_ms > 0 ? ev->latency_ms : 0;
}

static size_t cell_hash(int res, int64_t bucket, int64_t dims_id)
{
	uint64_t h = (uint64_t)bucket * 0x9E3779B97F4A7C15ULL ^ (uint64_t)dims_id << 2 ^
		     (uint64_t)res;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static cell *find(rollup_acc *a, int res, int64_t bucket, int64_t dims_id)
{
	size_t i = cell_hash(res, bucket, dims_id) & (a->cap - 1);
	for (;;) {
		cell *c = &a->cells[i];
		if (c->res < 0 || (c->res == res && c->bucket == bucket && c->dims_id == dims_id))
			return c;
		i = (i + 1) & (a->cap - 1);
	}
}

static int grow(rollup_acc *a)
{
	size_t oldcap = a->cap;
	cell *old = a->cells;
	cell *nc = calloc(oldcap * 2, sizeof *nc);
	if (!nc)
		return -1;
	a->cells = nc;
	a->cap = oldcap * 2;
	for (size_t i = 0; i < a->cap; i++) {
		nc[i].res = -1;
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_init(&nc[i].sk[k]);
	}
	/* Moving a cell moves its sketches' buffers too; empty old slots keep theirs. */
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].res < 0) {
			for (int k = 0; k < TT_SK_COUNT; k++)
				sketch_free(&old[i].sk[k]);
			continue;
		}
		cell *c = find(a, old[i].res, old[i].bucket, old[i].dims_id);
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_free(&c->sk[k]);
		*c = old[i];
	}
	free(old);
	return 0;
}

int rollup_acc_add(rollup_acc *a, int64_t dims_id, const tt_event *ev)
{
	int64_t m[TT_M_COUNT];
	rollup_event_metrics(ev, m);
	for (int r = 0; r < TT_RES_COUNT; r++) {
		if ((a->used + 1) * 4 > a->cap * 3 && grow(a))
			return -1;
		int64_t bucket = store_bucket((tt_res)r, ev->ts_ms);
		cell *c = find(a, r, bucket, dims_id);
		if (c->res < 0) {
			c->res = r;
			c->bucket = bucket;
			c->dims_id = dims_id;
			memset(c->m, 0, sizeof c->m);
			a->used++;
		}
		for (int i = 0; i < TT_M_COUNT; i++)
			c->m[i] += m[i];
		if (ev->latency_ms >= 0 && sketch_add(&c->sk[TT_SK_LATENCY], (double)ev->latency_ms, 1))
			return -1;
		if (ev->ttft_ms >= 0 && sketch_add(&c->sk[TT_SK_TTFT], (double)ev->ttft_ms, 1))
			return -1;
	}
	return 0;
}

int rollup_acc_flush(rollup_acc *a, rollup_emit_fn fn, void *ctx)
{
	uint8_t *buf[TT_SK_COUNT] = {NULL};
	size_t bufcap[TT_SK_COUNT] = {0};
	int rc = 0;
	for (size_t i = 0; i < a->cap; i++) {
		cell *c = &a->cells[i];
		if (c->res < 0)
			continue;
		if (!rc) {
			tt_rollup row = {.bucket = c->bucket, .dims_id = c->dims_id};
			memcpy(row.m, c->m, sizeof row.m);
			for (int k = 0; k < TT_SK_COUNT; k++) {
				if (!c->sk[k].count)
					continue;
				size_t n = sketch_encode(&c->sk[k], buf[k], bufcap[k]);
				if (n > bufcap[k]) {
					uint8_t *nb = realloc(buf[k], n * 2);
					if (!nb) {
						rc = -1;
						break;
					}
					buf[k] = nb;
					bufcap[k] = n * 2;
					sketch_encode(&c->sk[k], buf[k], bufcap[k]);
				}
				row.sk[k] = buf[k];
				row.sklen[k] = n;
			}
			if (!rc)
				rc = fn(ctx, (tt_res)c->res, &row);
		}
		c->res = -1;
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_clear(&c->sk[k]);
	}
	a->used = 0;
	for (int k = 0; k < TT_SK_COUNT; k++)
		free(buf[k]);
	return rc;
}

int rollup_sketch_blob_merge(const void *a, size_t alen, const void *b, size_t blen, void **out,
			     size_t *outlen)
{
	sketch s;
	sketch_init(&s);
	if (sketch_merge_blob(&s, a, alen) || sketch_merge_blob(&s, b, blen)) {
		sketch_free(&s);
		return -1;
	}
	size_t n = sketch_encode(&s, NULL, 0);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		sketch_free(&s);
		return -1;
	}
	sketch_encode(&s, buf, n);
	sketch_free(&s);
	*out = buf;
	*outlen = n;
	return 0;
}
