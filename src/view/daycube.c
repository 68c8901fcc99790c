/* The day cube: one rollup scan into totals per (UTC day, dimension tuple), and folds of it. */
#include "tokentop/daycube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

typedef struct dc_build {
	view_daycube *dc;
	size_t cap;
	size_t *slots; /* open addressing over cells: index + 1, 0 empty */
	size_t nslots;
	int failed;
} dc_build;

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static size_t slot_hash(int64_t day, size_t id)
{
	uint64_t h = (uint64_t)day * 0x9E3779B97F4A7C15ULL ^ (uint64_t)id * 0xC2B2AE3D27D4EB4FULL;
	h ^= h >> 31;
	return (size_t)h;
}

static int grow_slots(dc_build *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 1024;
	size_t *s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < b->dc->n; i++) {
		const view_daycell *c = &b->dc->cells[i];
		size_t k = slot_hash(c->day, c->id) & (n - 1);
		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = i + 1;
	}
	free(b->slots);
	b->slots = s;
	b->nslots = n;
	return 0;
}

static view_daycell *cell_of(dc_build *b, int64_t day, size_t id)
{
	view_daycube *dc = b->dc;
	if ((dc->n + 1) * 2 > b->nslots && grow_slots(b))
		return NULL;
	size_t k = slot_hash(day, id) & (b->nslots - 1);
	while (b->slots[k]) {
		view_daycell *c = &dc->cells[b->slots[k] - 1];
		if (c->day == day && c->id == id)
			return c;
		k = (k + 1) & (b->nslots - 1);
	}
	if (dc->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		view_daycell *nc = realloc(dc->cells, ncap * sizeof *nc);
		if (!nc)
			return NULL;
		dc->cells = nc;
		b->cap = ncap;
	}
	view_daycell *c = &dc->cells[dc->n];
	memset(c, 0, sizeof *c);
	c->day = day;
	c->id = id;
	b->slots[k] = ++dc->n;
	return c;
}

static int add_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	dc_build *b = ctx;
	view_daycube *dc = b->dc;
	if (row->dims_id <= 0 || (size_t)row->dims_id >= dc->ndims || !dc->dims[row->dims_id][0])
		return 0; /* a dims row added after they were loaded: the next run shows it */
	view_daycell *c = cell_of(b, floor_div(row->bucket, 86400), (size_t)row->dims_id);
	if (!c) {
		b->failed = 1;
		return 1;
	}
	for (int m = 0; m < TT_M_COUNT; m++) {
		c->m[m] += row->m[m];
		dc->total[m] += row->m[m];
	}
	return 0;
}

static int cmp_cells(const void *pa, const void *pb)
{
	const view_daycell *a = pa, *b = pb;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

int view_daycube_build(store *st, int64_t since_ms, int64_t until_ms, view_daycube *dc, char *err,
                       size_t errlen)
{
	memset(dc, 0, sizeof *dc);
	dc->since_ms = since_ms;
	dc->until_ms = until_ms;
	dc_build b = {.dc = dc};
	vdims vd;
	if (vdims_load(st, &vd))
		goto fail;
	free(vd.status);
	dc->ndims = vd.n;
	dc->dims = vd.v;
	int rc = 0;
	if (dc->ndims && until_ms > since_ms)
		rc = store_rollup_scan(st, since_ms, until_ms, false, add_row, &b);
	if (rc && !b.failed)
		goto fail;
	free(b.slots);
	if (b.failed) {
		snprintf(err, errlen, "out of memory");
		view_daycube_free(dc);
		return -1;
	}
	/* Cells whose events all cancelled out (none do today) would only add empty rows. */
	size_t k = 0;
	for (size_t i = 0; i < dc->n; i++)
		if (dc->cells[i].m[TT_M_REQUESTS])
			dc->cells[k++] = dc->cells[i];
	dc->n = k;
	if (dc->n)
		qsort(dc->cells, dc->n, sizeof *dc->cells, cmp_cells);
	return 0;
fail:
	free(b.slots);
	snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
	view_daycube_free(dc);
	return -1;
}

void view_daycube_free(view_daycube *dc)
{
	for (size_t i = 0; i < dc->ndims; i++)
		for (int d = 0; d < TT_D_COUNT; d++)
			free(dc->dims[i][d]);
	free(dc->dims);
	free(dc->cells);
	memset(dc, 0, sizeof *dc);
}

int view_daycube_fold(const view_daycube *dc, int64_t day_from, int64_t day_to, view_cube *out)
{
	memset(out, 0, sizeof *out);
	out->since_ms = day_from * 86400000;
	out->until_ms = day_to * 86400000;
	out->ndims = dc->ndims;
	out->dims = dc->dims;
	out->day0 = day_from;
	out->ndays = day_to > day_from ? (size_t)(day_to - day_from) : 0;
	if (dc->ndims && !(out->m = calloc(dc->ndims, sizeof *out->m)))
		return -1;
	if (out->ndays && !(out->by_day = calloc(out->ndays, sizeof *out->by_day))) {
		view_daycube_fold_free(out);
		return -1;
	}
	for (size_t i = 0; i < dc->n; i++) {
		const view_daycell *c = &dc->cells[i];
		if (c->day < day_from || c->day >= day_to)
			continue;
		for (int m = 0; m < TT_M_COUNT; m++) {
			out->m[c->id][m] += c->m[m];
			out->total[m] += c->m[m];
			out->by_day[c->day - day_from][m] += c->m[m];
		}
	}
	return 0;
}

void view_daycube_fold_free(view_cube *c)
{
	free(c->m);
	free(c->by_day);
	memset(c, 0, sizeof *c);
}
