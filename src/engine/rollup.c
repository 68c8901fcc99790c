/* Rollup accumulation: minute cells per event; hours (with minute packs) and days at encode. */
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

/* Open addressing over (res, bucket, key); empty slots keep their sketch buffers for reuse.
 * live lists the occupied slots, so a small batch is encoded and cleared without a walk over
 * every slot (a live source commits a page of a few events many times a second). */
typedef struct table {
	cell *cells;
	size_t cap, used;
	size_t *live;
} table;

struct rollup_acc {
	table minute; /* filled per event */
	table coarse; /* hours and days, built at flush */
};

static int table_init(table *t, size_t cap)
{
	t->cells = calloc(cap, sizeof *t->cells);
	t->live = malloc(cap * sizeof *t->live);
	if (!t->cells || !t->live) {
		free(t->cells);
		free(t->live);
		return -1;
	}
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
	free(t->live);
	t->cells = NULL;
	t->live = NULL;
	t->cap = t->used = 0;
}

/* Empties the table; slots keep their sketch buffers. */
static void table_clear(table *t)
{
	for (size_t i = 0; i < t->used; i++) {
		cell *c = &t->cells[t->live[i]];
		c->res = -1;
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_clear(&c->sk[k]);
	}
	t->used = 0;
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
	m[TT_M_COST_NANOS] = ev->cost_nanos;
	m[TT_M_SAVED_NANOS] = ev->saved_nanos;
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
	/* in live order, so the new live list keeps the order cells were made in */
	for (size_t i = 0; i < old.used; i++) {
		cell *o = &old.cells[old.live[i]];
		cell *c = slot_of(t, o->res, o->bucket, o->key);
		for (int k = 0; k < TT_SK_COUNT; k++)
			sketch_free(&c->sk[k]);
		*c = *o;     /* moves the sketch buffers */
		o->res = -2; /* moved */
		t->live[t->used++] = (size_t)(c - t->cells);
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.cells[i].res != -2)
			for (int k = 0; k < TT_SK_COUNT; k++)
				sketch_free(&old.cells[i].sk[k]);
	free(old.cells);
	free(old.live);
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
		t->live[t->used++] = (size_t)(c - t->cells);
	}
	return c;
}

int rollup_acc_add(rollup_acc *a, int64_t dims_id, const tt_event *ev)
{
	cell *c =
	    table_get(&a->minute, TT_RES_MINUTE, store_bucket(TT_RES_MINUTE, ev->ts_ms), dims_id);
	if (!c)
		return -1;
	int64_t m[TT_M_COUNT], sum[TT_M_COUNT];
	rollup_event_metrics(ev, m);
	for (int i = 0; i < TT_M_COUNT; i++)
		if (__builtin_add_overflow(c->m[i], m[i], &sum[i]))
			return ROLLUP_OVERFLOW;
	memcpy(c->m, sum, sizeof sum);
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

/* Encoded rows: fixed parts in an array, blobs in one arena (offsets, so it may grow). */
typedef struct row_rec {
	int res;
	int64_t bucket, key;
	int64_t m[TT_M_COUNT];
	size_t off[TT_SK_COUNT + 1], len[TT_SK_COUNT + 1]; /* sketches, then the minute pack */
} row_rec;

struct rollup_rows {
	row_rec *rows;
	size_t n, cap;
	uint8_t *arena;
	size_t used, acap;
};

rollup_rows *rollup_rows_new(void)
{
	return calloc(1, sizeof(rollup_rows));
}

void rollup_rows_free(rollup_rows *r)
{
	if (!r)
		return;
	free(r->rows);
	free(r->arena);
	free(r);
}

static int arena_put(rollup_rows *r, const void *p, size_t n, size_t *off)
{
	if (r->used + n > r->acap) {
		size_t cap = r->acap ? r->acap * 2 : 1 << 16;
		while (cap < r->used + n)
			cap *= 2;
		uint8_t *na = realloc(r->arena, cap);
		if (!na)
			return -1;
		r->arena = na;
		r->acap = cap;
	}
	memcpy(r->arena + r->used, p, n);
	*off = r->used;
	r->used += n;
	return 0;
}

static row_rec *rows_add(rollup_rows *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		row_rec *nr = realloc(r->rows, cap * sizeof *nr);
		if (!nr)
			return NULL;
		r->rows = nr;
		r->cap = cap;
	}
	row_rec *rec = &r->rows[r->n++];
	memset(rec, 0, sizeof *rec);
	return rec;
}

typedef struct encoder {
	uint8_t *buf[TT_SK_COUNT]; /* scratch, one per sketch kind */
	size_t cap[TT_SK_COUNT];
	store_pack pack;
	sketch hour[TT_SK_COUNT];
} encoder;

/* Encodes sketch kind k into its scratch buffer; returns the length, 0 when empty. */
static size_t enc_sketch(encoder *e, int k, const sketch *s, int *err)
{
	if (!s->count)
		return 0;
	size_t n = sketch_encode(s, e->buf[k], e->cap[k]);
	if (n > e->cap[k]) {
		uint8_t *nb = realloc(e->buf[k], n * 2);
		if (!nb) {
			*err = -1;
			return 0;
		}
		e->buf[k] = nb;
		e->cap[k] = n * 2;
		sketch_encode(s, e->buf[k], e->cap[k]);
	}
	return n;
}

static int put_sketches(rollup_rows *out, row_rec *rec, encoder *e, const sketch *sk)
{
	int err = 0;
	for (int k = 0; k < TT_SK_COUNT; k++) {
		size_t n = enc_sketch(e, k, &sk[k], &err);
		if (err || (n && arena_put(out, e->buf[k], n, &rec->off[k])))
			return -1;
		rec->len[k] = n;
	}
	return 0;
}

static int cmp_cells(const void *pa, const void *pb)
{
	const cell *a = *(cell *const *)pa, *b = *(cell *const *)pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
}

/* One hour of one key: its minutes (sorted) packed, summed and merged into an hour row. */
static int encode_hour(rollup_acc *a, cell **mc, size_t n, encoder *e, rollup_rows *out)
{
	int64_t hour = store_bucket(TT_RES_HOUR, mc[0]->bucket * 1000);
	row_rec *rec = rows_add(out);
	if (!rec)
		return -1;
	rec->res = TT_RES_HOUR;
	rec->bucket = hour;
	rec->key = mc[0]->key;
	store_pack_reset(&e->pack);
	for (int k = 0; k < TT_SK_COUNT; k++)
		sketch_clear(&e->hour[k]);
	cell *day =
	    table_get(&a->coarse, TT_RES_DAY, store_bucket(TT_RES_DAY, hour * 1000), rec->key);
	if (!day)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cell *c = mc[i];
		const void *sk[TT_SK_COUNT];
		size_t sklen[TT_SK_COUNT];
		int err = 0;
		for (int m = 0; m < TT_M_COUNT; m++)
			if (__builtin_add_overflow(rec->m[m], c->m[m], &rec->m[m]))
				return -1;
		for (int k = 0; k < TT_SK_COUNT && !err; k++) {
			if (c->sk[k].count && sketch_merge(&e->hour[k], &c->sk[k]))
				err = -1;
			sklen[k] = enc_sketch(e, k, &c->sk[k], &err);
			sk[k] = e->buf[k];
		}
		if (err ||
		    store_pack_add(&e->pack, (int)((c->bucket - hour) / 60), c->m, sk, sklen))
			return -1;
	}
	/* the day takes the hour whole: one merge per hour, not per minute */
	for (int m = 0; m < TT_M_COUNT; m++)
		if (__builtin_add_overflow(day->m[m], rec->m[m], &day->m[m]))
			return -1;
	for (int k = 0; k < TT_SK_COUNT; k++)
		if (e->hour[k].count && sketch_merge(&day->sk[k], &e->hour[k]))
			return -1;
	if (put_sketches(out, rec, e, e->hour) ||
	    arena_put(out, e->pack.buf, e->pack.len, &rec->off[TT_SK_COUNT]))
		return -1;
	rec->len[TT_SK_COUNT] = e->pack.len;
	return 0;
}

int rollup_acc_encode(rollup_acc *a, rollup_rows *out)
{
	out->n = 0;
	out->used = 0;
	size_t n = 0;
	cell **mc = malloc((a->minute.used ? a->minute.used : 1) * sizeof *mc);
	if (!mc)
		return -1;
	for (size_t i = 0; i < a->minute.used; i++) {
		cell *c = &a->minute.cells[a->minute.live[i]];
		if (c->m[TT_M_REQUESTS] > 0)
			mc[n++] = c;
	}
	qsort(mc, n, sizeof *mc, cmp_cells);
	encoder e = {0};
	for (int k = 0; k < TT_SK_COUNT; k++)
		sketch_init(&e.hour[k]);
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i + 1;
		int64_t hour = store_bucket(TT_RES_HOUR, mc[i]->bucket * 1000);
		while (j < n && mc[j]->key == mc[i]->key &&
		       store_bucket(TT_RES_HOUR, mc[j]->bucket * 1000) == hour)
			j++;
		rc = encode_hour(a, mc + i, j - i, &e, out);
		i = j;
	}
	for (size_t i = 0; i < a->coarse.used && !rc; i++) {
		cell *c = &a->coarse.cells[a->coarse.live[i]];
		row_rec *rec = rows_add(out);
		if (!rec) {
			rc = -1;
			break;
		}
		rec->res = c->res;
		rec->bucket = c->bucket;
		rec->key = c->key;
		memcpy(rec->m, c->m, sizeof rec->m);
		rc = put_sketches(out, rec, &e, c->sk);
	}
	table_clear(&a->coarse);
	free(mc);
	for (int k = 0; k < TT_SK_COUNT; k++)
		free(e.buf[k]);
	store_pack_free(&e.pack);
	for (int k = 0; k < TT_SK_COUNT; k++)
		sketch_free(&e.hour[k]);
	return rc;
}

int rollup_rows_emit(const rollup_rows *r, rollup_emit_fn fn, void *ctx)
{
	for (size_t i = 0; i < r->n; i++) {
		const row_rec *rec = &r->rows[i];
		tt_rollup row = {.bucket = rec->bucket, .dims_id = rec->key};
		memcpy(row.m, rec->m, sizeof row.m);
		for (int k = 0; k < TT_SK_COUNT; k++) {
			row.sk[k] = rec->len[k] ? r->arena + rec->off[k] : NULL;
			row.sklen[k] = rec->len[k];
		}
		if (rec->res == TT_RES_HOUR) {
			row.minutes = r->arena + rec->off[TT_SK_COUNT];
			row.minutes_len = rec->len[TT_SK_COUNT];
		}
		int rc = fn(ctx, (tt_res)rec->res, &row);
		if (rc)
			return rc;
	}
	return 0;
}

size_t rollup_rows_count(const rollup_rows *r)
{
	return r->n;
}

void rollup_acc_clear(rollup_acc *a)
{
	table_clear(&a->minute);
	table_clear(&a->coarse);
}

int rollup_acc_flush(rollup_acc *a, rollup_emit_fn fn, void *ctx)
{
	rollup_rows *r = rollup_rows_new();
	int rc = !r || rollup_acc_encode(a, r) ? -1 : rollup_rows_emit(r, fn, ctx);
	rollup_rows_free(r);
	rollup_acc_clear(a);
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
