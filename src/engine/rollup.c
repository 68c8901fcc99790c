/* Rollup accumulation: per-minute cells per event; hours and days derived when flushed. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/rollup.h"
#include "tokentop/sketch.h"

typedef struct cell {
	int64_t bucket;
	int64_t key;
	int res; /* -1 marks an empty slot */
	int64_t m[TT_M_COUNT];
	sketch sk[TT_SK_COUNT];
} cell;

/* Open addressing over (res, bucket, key); empty slots keep their sketch buffers for reuse. */
typedef struct table {
	cell *cells;
	size_t cap, used;
} table;

struct rollup_acc {
	table minute; /* filled per event */
	table coarse; /* hours and days, built at flush */
};

static int table_init(table *t, size_t cap)
{
	t->cells = calloc(cap, sizeof *t->cells);
	if (!t->cells)
		return -1;
	t->cap = cap;
	t->used = 0;
	for (size_t i = 0; i < cap; i++) {
		t->cells[i].res = -1;
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_init(&t->cells[i].sk[k]);
	}
	return 0;
}

static void table_free(table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_free(&t->cells[i].sk[k]);
	free(t->cells);
	t->cells = NULL;
	t->cap = t->used = 0;
}

rollup_acc *rollup_acc_new(void)
{
	rollup_acc *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (table_init(&a->minute, 4096) || table_init(&a->coarse, 1024)) {
		rollup_acc_free(a);
		return NULL;
	}
	return a;
}

void rollup_acc_free(rollup_acc *a)
{
	if (!a)
		return;
	table_free(&a->minute);
	table_free(&a->coarse);
	free(a);
}

size_t rollup_acc_cells(const rollup_acc *a)
{
	return a->minute.used;
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

static size_t cell_hash(int res, int64_t bucket, int64_t key)
{
	uint64_t h = (uint64_t)bucket * 0x9E3779B97F4A7C15ULL ^ (uint64_t)key << 2 ^ (uint64_t)res;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static cell *slot_of(table *t, int res, int64_t bucket, int64_t key)
{
	size_t i = cell_hash(res, bucket, key) & (t->cap - 1);
	for (;;) {
		cell *c = &t->cells[i];
		if (c->res < 0 || (c->res == res && c->bucket == bucket && c->key == key))
			return c;
		i = (i + 1) & (t->cap - 1);
	}
}

static int table_grow(table *t)
{
	table old = *t;
	if (table_init(t, old.cap * 2)) {
		*t = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++) {
		cell *o = &old.cells[i];
		if (o->res < 0) {
			for (int k = 0; k < TT_SK_COUNT; k++)
				sketch_free(&o->sk[k]);
			continue;
		}
		cell *c = slot_of(t, o->res, o->bucket, o->key);
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_free(&c->sk[k]);
		*c = *o; /* moves the sketch buffers */
		t->used++;
	}
	free(old.cells);
	return 0;
}

/* The cell for (res, bucket, key), created empty when missing; NULL out of memory. */
static cell *table_get(table *t, int res, int64_t bucket, int64_t key)
{
	if ((t->used + 1) * 4 > t->cap * 3 && table_grow(t))
		return NULL;
	cell *c = slot_of(t, res, bucket, key);
	if (c->res < 0) {
		c->res = res;
		c->bucket = bucket;
		c->key = key;
		memset(c->m, 0, sizeof c->m);
		t->used++;
	}
	return c;
}

int rollup_acc_add(rollup_acc *a, int64_t dims_id, const tt_event *ev)
{
	cell *c = table_get(&a->minute, TT_RES_MINUTE, store_bucket(TT_RES_MINUTE, ev->ts_ms),
			    dims_id);
	if (!c)
		return -1;
	int64_t m[TT_M_COUNT];
	rollup_event_metrics(ev, m);
	for (int i = 0; i < TT_M_COUNT; i++)
		c->m[i] += m[i];
	if (ev->latency_ms >= 0 && sketch_add(&c->sk[TT_SK_LATENCY], (double)ev->latency_ms, 1))
		return -1;
	if (ev->ttft_ms >= 0 && sketch_add(&c->sk[TT_SK_TTFT], (double)ev->ttft_ms, 1))
		return -1;
	return 0;
}

int rollup_acc_remove(rollup_acc *a, int64_t dims_id, const tt_event *ev)
{
	table *t = &a->minute;
	cell *c = slot_of(t, TT_RES_MINUTE, store_bucket(TT_RES_MINUTE, ev->ts_ms), dims_id);
	if (c->res < 0 || c->m[TT_M_REQUESTS] < 1)
		return -1;
	if (ev->latency_ms >= 0 && sketch_remove(&c->sk[TT_SK_LATENCY], (double)ev->latency_ms, 1))
		return -1;
	if (ev->ttft_ms >= 0 && sketch_remove(&c->sk[TT_SK_TTFT], (double)ev->ttft_ms, 1))
		return -1;
	int64_t m[TT_M_COUNT];
	rollup_event_metrics(ev, m);
	for (int i = 0; i < TT_M_COUNT; i++)
		c->m[i] -= m[i];
	return 0;
}

/* Folds every minute cell into its hour and day cells. */
static int derive_coarse(rollup_acc *a)
{
	for (size_t i = 0; i < a->minute.cap; i++) {
		cell *mc = &a->minute.cells[i];
		if (mc->res < 0 || mc->m[TT_M_REQUESTS] == 0)
			continue;
		int64_t ts_ms = mc->bucket * 1000;
		for (int r = TT_RES_HOUR; r < TT_RES_COUNT; r++) {
			cell *c = table_get(&a->coarse, r, store_bucket((tt_res)r, ts_ms), mc->key);
			if (!c)
				return -1;
			for (int m = 0; m < TT_M_COUNT; m++)
				c->m[m] += mc->m[m];
			for (int k = 0; k < TT_SK_COUNT; k++)
				if (mc->sk[k].count && sketch_merge(&c->sk[k], &mc->sk[k]))
					return -1;
		}
	}
	return 0;
}

typedef struct encoder {
	uint8_t *buf[TT_SK_COUNT];
	size_t cap[TT_SK_COUNT];
} encoder;

static int emit_table(table *t, encoder *e, rollup_emit_fn fn, void *ctx, int rc)
{
	for (size_t i = 0; i < t->cap; i++) {
		cell *c = &t->cells[i];
		if (c->res < 0)
			continue;
		if (!rc && c->m[TT_M_REQUESTS] > 0) {
			tt_rollup row = {.bucket = c->bucket, .dims_id = c->key};
			memcpy(row.m, c->m, sizeof row.m);
			for (int k = 0; k < TT_SK_COUNT && !rc; k++) {
				if (!c->sk[k].count)
					continue;
				size_t n = sketch_encode(&c->sk[k], e->buf[k], e->cap[k]);
				if (n > e->cap[k]) {
					uint8_t *nb = realloc(e->buf[k], n * 2);
					if (!nb) {
						rc = -1;
						break;
					}
					e->buf[k] = nb;
					e->cap[k] = n * 2;
					sketch_encode(&c->sk[k], e->buf[k], e->cap[k]);
				}
				row.sk[k] = e->buf[k];
				row.sklen[k] = n;
			}
			if (!rc)
				rc = fn(ctx, (tt_res)c->res, &row);
		}
		c->res = -1;
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_clear(&c->sk[k]);
	}
	t->used = 0;
	return rc;
}

int rollup_acc_flush(rollup_acc *a, rollup_emit_fn fn, void *ctx)
{
	encoder e = {{NULL}, {0}};
	int rc = derive_coarse(a);
	rc = emit_table(&a->minute, &e, fn, ctx, rc);
	rc = emit_table(&a->coarse, &e, fn, ctx, rc);
	for (int k = 0; k < TT_SK_COUNT; k++)
		free(e.buf[k]);
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
