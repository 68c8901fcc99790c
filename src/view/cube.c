/* The cube: per-dimension totals over a time range, and grouping it into breakdown rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/view.h"

typedef struct build_ctx {
	view_cube *c;
	int failed;
} build_ctx;

static int load_dim(void *ctx, int64_t id, const tt_dims *d)
{
	view_cube *c = ctx;
	if (id <= 0)
		return 0;
	if ((size_t)id >= c->ndims) {
		size_t n = c->ndims ? c->ndims : 64;
		while (n <= (size_t)id)
			n *= 2;
		void *nd = realloc(c->dims, n * sizeof *c->dims);
		if (!nd)
			return -1;
		c->dims = nd;
		memset(c->dims + c->ndims, 0, (n - c->ndims) * sizeof *c->dims);
		c->ndims = n;
	}
	for (int i = 0; i < TT_D_COUNT; i++) {
		c->dims[id][i] = strdup(d->v[i] ? d->v[i] : "");
		if (!c->dims[id][i])
			return -1;
	}
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int add_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	build_ctx *b = ctx;
	view_cube *c = b->c;
	if (row->dims_id <= 0 || (size_t)row->dims_id >= c->ndims || !c->dims[row->dims_id][0])
		return 0; /* a dims row added after the cube loaded them: next refresh shows it */
	int64_t day = floor_div(row->bucket, 86400) - c->day0;
	for (int m = 0; m < TT_M_COUNT; m++) {
		c->m[row->dims_id][m] += row->m[m];
		c->total[m] += row->m[m];
		if (day >= 0 && (size_t)day < c->ndays)
			c->by_day[day][m] += row->m[m];
	}
	if (c->with_sketches) {
		if (row->sk[TT_SK_LATENCY] && sketch_merge_blob(&c->latency, row->sk[TT_SK_LATENCY],
		                                                row->sklen[TT_SK_LATENCY]))
			b->failed = 1;
		if (row->sk[TT_SK_TTFT] &&
		    sketch_merge_blob(&c->ttft, row->sk[TT_SK_TTFT], row->sklen[TT_SK_TTFT]))
			b->failed = 1;
	}
	return 0;
}

int view_cube_build(store *st, int64_t since_ms, int64_t until_ms, bool with_sketches, view_cube *c,
                    char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->since_ms = since_ms;
	c->until_ms = until_ms;
	c->with_sketches = with_sketches;
	sketch_init(&c->latency);
	sketch_init(&c->ttft);
	if (store_dims_each(st, load_dim, c))
		goto fail;
	if (c->ndims) {
		c->m = calloc(c->ndims, sizeof *c->m);
		if (!c->m)
			goto fail;
	}
	c->day0 = floor_div(since_ms, 86400000);
	int64_t last = floor_div(until_ms - 1, 86400000);
	c->ndays = last >= c->day0 ? (size_t)(last - c->day0 + 1) : 0;
	if (c->ndays > 100000)
		c->ndays = 100000;
	if (c->ndays) {
		c->by_day = calloc(c->ndays, sizeof *c->by_day);
		if (!c->by_day)
			goto fail;
	}
	if (!c->ndims)
		return 0;
	build_ctx b = {c, 0};
	if (store_rollup_scan(st, since_ms, until_ms, with_sketches, add_row, &b))
		goto fail;
	if (b.failed) {
		snprintf(err, errlen, "malformed latency sketch in the database");
		view_cube_free(c);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
	view_cube_free(c);
	return -1;
}

void view_cube_free(view_cube *c)
{
	for (size_t i = 0; i < c->ndims; i++)
		for (int d = 0; d < TT_D_COUNT; d++)
			free(c->dims[i][d]);
	free(c->dims);
	free(c->m);
	free(c->by_day);
	sketch_free(&c->latency);
	sketch_free(&c->ttft);
	memset(c, 0, sizeof *c);
}

int64_t view_ratio_round(int64_t a, int64_t b)
{
	if (b == 0)
		return 0;
	__int128 q = (__int128)a * 2 / b;
	return (int64_t)((q + (q >= 0 ? 1 : -1)) / 2);
}

static int cmp_rows(const void *pa, const void *pb)
{
	const view_row *a = pa, *b = pb;
	if (a->m[TT_M_COST_NANOS] != b->m[TT_M_COST_NANOS])
		return a->m[TT_M_COST_NANOS] > b->m[TT_M_COST_NANOS] ? -1 : 1;
	if (a->m[TT_M_REQUESTS] != b->m[TT_M_REQUESTS])
		return a->m[TT_M_REQUESTS] > b->m[TT_M_REQUESTS] ? -1 : 1;
	for (int i = 0; i < TT_D_COUNT && a->key[i]; i++) {
		int c = strcmp(a->key[i], b->key[i]);
		if (c)
			return c;
	}
	return 0;
}

/* Groups are found with a small open-addressing table over the key strings' pointers: every
 * equal string in the cube is a distinct allocation, so keys are compared by content. */
static uint64_t key_hash(const view_row *r, size_t nby)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < nby; i++) {
		for (const char *p = r->key[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	return h;
}

static bool key_eq(const view_row *a, const view_row *b, size_t nby)
{
	for (size_t i = 0; i < nby; i++)
		if (strcmp(a->key[i], b->key[i]))
			return false;
	return true;
}

int view_group(const view_cube *c, const tt_dim *by, size_t nby, view_keep_fn keep, void *ctx,
               view_rows *out)
{
	memset(out, 0, sizeof *out);
	if (nby > TT_D_COUNT)
		return -1;
	memcpy(out->by, by, nby * sizeof *by);
	out->nby = nby;
	size_t cap = 16, tcap = 64;
	out->rows = calloc(cap, sizeof *out->rows);
	size_t *table = malloc(tcap * sizeof *table);
	if (!out->rows || !table)
		goto oom;
	memset(table, 0xff, tcap * sizeof *table);
	for (size_t id = 1; id < c->ndims; id++) {
		if (!c->dims[id][0] || (keep && !keep(c, id, ctx)))
			continue;
		if (!c->m[id][TT_M_REQUESTS])
			continue;
		view_row probe = {{0}};
		for (size_t i = 0; i < nby; i++)
			probe.key[i] = c->dims[id][by[i]];
		size_t h = (size_t)key_hash(&probe, nby) & (tcap - 1);
		while (table[h] != (size_t)-1 && !key_eq(&out->rows[table[h]], &probe, nby))
			h = (h + 1) & (tcap - 1);
		view_row *row;
		if (table[h] == (size_t)-1) {
			if (out->n == cap) {
				view_row *nr = realloc(out->rows, cap * 2 * sizeof *nr);
				if (!nr)
					goto oom;
				out->rows = nr;
				cap *= 2;
			}
			row = &out->rows[out->n];
			*row = probe;
			table[h] = out->n++;
			if (out->n * 2 > tcap) {
				size_t ncap = tcap * 2;
				size_t *nt = malloc(ncap * sizeof *nt);
				if (!nt)
					goto oom;
				memset(nt, 0xff, ncap * sizeof *nt);
				for (size_t i = 0; i < out->n; i++) {
					size_t k =
					    (size_t)key_hash(&out->rows[i], nby) & (ncap - 1);
					while (nt[k] != (size_t)-1)
						k = (k + 1) & (ncap - 1);
					nt[k] = i;
				}
				free(table);
				table = nt;
				tcap = ncap;
			}
		} else {
			row = &out->rows[table[h]];
		}
		for (int m = 0; m < TT_M_COUNT; m++)
			row->m[m] += c->m[id][m];
	}
	free(table);
	qsort(out->rows, out->n, sizeof *out->rows, cmp_rows);
	return 0;
oom:
	free(table);
	view_rows_free(out);
	return -1;
}

void view_rows_free(view_rows *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}
