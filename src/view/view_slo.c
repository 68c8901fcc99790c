/* The SLO view: good and bad requests per SLO over each window ending at now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/view.h"

#define MIN_MS 60000LL

typedef struct slo_ctx {
	const vdims *dims;
	const slo_spec *specs;
	size_t n;
	const bool *active;         /* the specs the segment being scanned counts for */
	const unsigned char *match; /* ndims x n: does dims id d fall in SLO i */
	slo_counts *out;            /* n running counts */
	sketch sk;
	int failed;
} slo_ctx;

static bool matches(const slo_spec *s, const char *use_case)
{
	return strcmp(s->use_case, "*") == 0 || strcmp(s->use_case, use_case) == 0;
}

/*
 * Rows add up exactly whatever resolution they come at: an hour (day) row's counters are the
 * sums of its minutes (hours), and its latency sketch their merge. Counting from a sketch is
 * additive too, since a bucket lies wholly below the threshold or not, and merges fold no
 * buckets for integer latencies (1 ms to 2^63 ms spans far fewer than the sketch's 4096).
 */
static int count_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	slo_ctx *c = ctx;
	if (!vdims_has(c->dims, row->dims_id))
		return 0;
	const unsigned char *match = c->match + (size_t)row->dims_id * c->n;
	tt_status st = c->dims->status[row->dims_id];
	bool decoded = false;
	for (size_t i = 0; i < c->n; i++) {
		const slo_spec *s = &c->specs[i];
		if (!c->active[i] || !match[i])
			continue;
		if (s->sli == SLO_AVAILABILITY) {
			if (st == TT_STATUS_OTHER) /* a status nobody listed: neither good nor bad */
				continue;
			c->out[i].total += row->m[TT_M_REQUESTS];
			if (st < TT_STATUS_COUNT && slo_is_bad_status(s, st))
				c->out[i].bad += row->m[TT_M_REQUESTS];
			continue;
		}
		if (!decoded) {
			sketch_clear(&c->sk);
			if (row->sk[TT_SK_LATENCY] &&
			    sketch_merge_blob(&c->sk, row->sk[TT_SK_LATENCY],
			                      row->sklen[TT_SK_LATENCY]))
				c->failed = 1;
			decoded = true;
		}
		/* requests with a latency; good when faster than the threshold (docs/alerts.md
		 * gives the error bound of counting from the sketch) */
		int64_t all = (int64_t)c->sk.count;
		int64_t good = (int64_t)sketch_count_below(&c->sk, (double)s->threshold_ms);
		c->out[i].total += all;
		c->out[i].bad += all - good;
	}
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int cmp_desc(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return a < b ? 1 : a > b ? -1 : 0;
}

/*
 * The store widens a range to whole minutes, so the window of length L ending at now covers
 * minutes [floor((now - L) / 1m), ceil(now / 1m)). Every window and period shares that end:
 * scanning the disjoint segments between their starts once, newest first, and reading the
 * running counts as each start is passed gives each the sum over exactly its own minutes.
 */
static int scan_segments(store *st, slo_ctx *c, int64_t now_ms, view_slo_row *rows,
                         slo_counts *period, bool *active)
{
	size_t n = c->n, nb = 0;
	int64_t end = -floor_div(-now_ms, MIN_MS);
	int64_t wstart[SLO_WINDOW_COUNT], oldest_win = end;
	int64_t *pstart = malloc(n * sizeof *pstart);
	int64_t *bounds = malloc((SLO_WINDOW_COUNT + n) * sizeof *bounds);
	if (!pstart || !bounds) {
		free(pstart);
		free(bounds);
		return -2;
	}
	for (int w = 0; w < SLO_WINDOW_COUNT; w++) {
		int64_t b = floor_div(now_ms - slo_window_ms((slo_window)w), MIN_MS);
		wstart[w] = b < end ? b : end;
		if (wstart[w] < oldest_win)
			oldest_win = wstart[w];
		bounds[nb++] = wstart[w];
	}
	for (size_t i = 0; i < n; i++) {
		int64_t b = floor_div(now_ms - c->specs[i].period_ms, MIN_MS);
		pstart[i] = b < end ? b : end;
		bounds[nb++] = pstart[i];
	}
	qsort(bounds, nb, sizeof *bounds, cmp_desc);
	int rc = 0;
	int64_t hi = end;
	for (size_t k = 0; !rc && k < nb; k++) {
		int64_t lo = bounds[k];
		if (lo == hi)
			continue; /* a start shared with the one before */
		/* an SLO counts a segment while one of its windows or its period reaches it */
		bool sketches = false;
		for (size_t i = 0; i < n; i++) {
			active[i] = lo >= (pstart[i] < oldest_win ? pstart[i] : oldest_win);
			sketches |= active[i] && c->specs[i].sli == SLO_LATENCY;
		}
		if (store_rollup_scan(st, lo * MIN_MS, hi * MIN_MS, sketches, count_row, c))
			rc = -1;
		hi = lo;
		for (int w = 0; w < SLO_WINDOW_COUNT; w++)
			if (wstart[w] == lo)
				for (size_t i = 0; i < n; i++)
					rows[i].win[w] = c->out[i];
		for (size_t i = 0; i < n; i++)
			if (pstart[i] == lo)
				period[i] = c->out[i];
	}
	free(pstart);
	free(bounds);
	return rc;
}

/* The minutes [a, b) (a <= b) added to each active SLO's running counts, or taken away. */
static int scan_minutes(store *st, slo_ctx *c, int64_t a, int64_t b, bool take)
{
	if (a >= b)
		return 0;
	memset(c->out, 0, c->n * sizeof *c->out);
	if (store_rollup_scan(st, a * MIN_MS, b * MIN_MS, true, count_row, c))
		return -1;
	if (take)
		for (size_t i = 0; i < c->n; i++) {
			c->out[i].bad = -c->out[i].bad;
			c->out[i].total = -c->out[i].total;
		}
	return 0;
}

static void add_counts(slo_counts *to, const slo_counts *d)
{
	to->bad += d->bad;
	to->total += d->total;
}

/*
 * The window [s, e) becomes [s', e') as now moves on: its counts change by what [e, e') adds
 * and [s, s') takes away, an identity of sums over minutes that holds however far now moved.
 * Counts are integers, so the result is the build's to the request.
 */
static int advance(store *st, slo_ctx *c, int64_t old_ms, int64_t now_ms, view_slo_row *rows)
{
	int64_t oend = -floor_div(-old_ms, MIN_MS), nend = -floor_div(-now_ms, MIN_MS);
	if (scan_minutes(st, c, oend, nend, false))
		return -1;
	slo_counts *gained = malloc(c->n * sizeof *gained);
	if (!gained)
		return -2;
	memcpy(gained, c->out, c->n * sizeof *gained);
	for (size_t i = 0; i < c->n; i++) {
		for (int w = 0; w < SLO_WINDOW_COUNT; w++)
			add_counts(&rows[i].win[w], &gained[i]);
		add_counts(&rows[i].status.period, &gained[i]);
	}
	int rc = 0;
	for (int w = 0; !rc && w < SLO_WINDOW_COUNT; w++) {
		int64_t L = slo_window_ms((slo_window)w);
		int64_t os = floor_div(old_ms - L, MIN_MS), ns = floor_div(now_ms - L, MIN_MS);
		os = os < oend ? os : oend;
		ns = ns < nend ? ns : nend;
		rc = scan_minutes(st, c, os, ns, true);
		for (size_t i = 0; !rc && i < c->n; i++)
			add_counts(&rows[i].win[w], &c->out[i]);
	}
	for (size_t i = 0; !rc && i < c->n; i++) {
		int64_t os = floor_div(old_ms - c->specs[i].period_ms, MIN_MS);
		int64_t ns = floor_div(now_ms - c->specs[i].period_ms, MIN_MS);
		os = os < oend ? os : oend;
		ns = ns < nend ? ns : nend;
		rc = scan_minutes(st, c, os, ns, true);
		add_counts(&rows[i].status.period, &c->out[i]);
	}
	free(gained);
	return rc;
}

/* The counts of every window and period ending at now_ms: scanned, or prev's moved on. */
static int slo_read(store *st, const slo_spec *specs, size_t n, int64_t now_ms,
                    const view_slo *prev, view_slo *v, char *err, size_t errlen)
{
	vdims dims;
	if (vdims_load(st, &dims)) {
		snprintf(err, errlen, "reading dimensions: %s", store_errmsg(st));
		return -1;
	}
	slo_counts *acc = calloc(n, sizeof *acc);
	slo_counts *period = calloc(n, sizeof *period);
	bool *active = calloc(n, sizeof *active);
	unsigned char *match = calloc(dims.n ? dims.n * n : 1, 1);
	for (size_t d = 1; match && d < dims.n; d++)
		for (size_t i = 0; vdims_has(&dims, (int64_t)d) && i < n; i++)
			match[d * n + i] = matches(&specs[i], dims.v[d][TT_D_USE_CASE]);
	for (size_t i = 0; prev && active && i < n; i++)
		active[i] = true;
	slo_ctx c = {
	    .dims = &dims, .specs = specs, .n = n, .active = active, .match = match, .out = acc};
	sketch_init(&c.sk);
	int rc = -2;
	if (v->rows && acc && period && active && match)
		rc = prev ? advance(st, &c, prev->now_ms, now_ms, v->rows)
		          : scan_segments(st, &c, now_ms, v->rows, period, active);
	if (rc == -2)
		snprintf(err, errlen, "out of memory");
	else if (rc)
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
	else if (c.failed) {
		snprintf(err, errlen, "malformed latency sketch in the database");
		rc = -1;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		v->rows[i].spec = &specs[i];
		slo_counts p = prev ? v->rows[i].status.period : period[i];
		slo_evaluate(&specs[i], v->rows[i].win, p, &v->rows[i].status);
	}
	sketch_free(&c.sk);
	free(acc);
	free(period);
	free(active);
	free(match);
	vdims_free(&dims);
	return rc ? -1 : 0;
}

int view_slo_build(store *st, const slo_spec *specs, size_t n, int64_t now_ms, view_slo *v,
                   char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	v->data_version = store_data_version(st);
	if (!n)
		return 0;
	v->rows = calloc(n, sizeof *v->rows);
	if (slo_read(st, specs, n, now_ms, NULL, v, err, errlen)) {
		view_slo_free(v);
		return -1;
	}
	v->n = n;
	return 0;
}

int view_slo_copy(const view_slo *src, view_slo *dst)
{
	*dst = *src;
	dst->rows = NULL;
	if (!src->n)
		return 0;
	dst->rows = malloc(src->n * sizeof *dst->rows);
	if (!dst->rows)
		return -1;
	memcpy(dst->rows, src->rows, src->n * sizeof *dst->rows);
	return 0;
}

int view_slo_update(store *st, const slo_spec *specs, size_t n, int64_t now_ms,
                    const view_slo *prev, view_slo *v, char *err, size_t errlen)
{
	int64_t dv = store_data_version(st);
	/* past an hour the build reads less than the edges would */
	if (!prev || !n || prev->n != n || prev->rows[0].spec != specs || dv < 0 ||
	    prev->data_version != dv || now_ms < prev->now_ms || now_ms - prev->now_ms > 3600000)
		return view_slo_build(st, specs, n, now_ms, v, err, errlen);
	if (view_slo_copy(prev, v)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->now_ms = now_ms;
	if (slo_read(st, specs, n, now_ms, prev, v, err, errlen)) {
		view_slo_free(v);
		return -1;
	}
	return 0;
}

void view_slo_free(view_slo *v)
{
	free(v->rows);
	memset(v, 0, sizeof *v);
}
