/* The alerts view: every detector replayed in five-minute steps over the last hours. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/money.h"
#include "tokentop/strmap.h"
#include "tokentop/view.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

/* Evaluated every STEP over the last EVAL, each on the latest WINDOW against the windows of
 * the BASELINE before it (docs/alerts.md). */
#define STEP_MS       (5 * MIN_MS)
#define WINDOW_MS     (30 * MIN_MS)
#define BASELINE_MS   DAY_MS
#define EVAL_MS       (6 * HOUR_MS)
#define WEEK_MS       (7 * DAY_MS)
#define CLEAR_AFTER   3   /* clear evaluations that resolve an alert */
#define COST_MATERIAL 1.0 /* a runaway adds at least this part of the org's mean $/min */

#define WB ((size_t)(WINDOW_MS / STEP_MS))
#define BB ((size_t)(BASELINE_MS / STEP_MS))
#define EB ((size_t)(EVAL_MS / STEP_MS))

/* What each step of a scope counts. */
typedef struct cnt {
	int64_t req, input, hits, misses, refusals, limited, errors, cost;
} cnt;

typedef struct scope {
	tt_dim dim; /* TT_D_PROMPT_ID (with its version), TT_D_USE_CASE or TT_D_PROVIDER */
	char name[ANOM_SCOPE_CAP];
} scope;

#define CHUNK_STEPS ((size_t)(HOUR_MS / STEP_MS))

typedef struct series {
	int64_t t0;
	size_t nb;
	cnt *sum;     /* nscopes x (nb + 1) prefix sums */
	int64_t *org; /* nb + 1 prefix sums of all cost */
	/* latency (recent series only): read an hour at a time into nscopes x CHUNK_STEPS
	 * sketches, each kept encoded (a few hundred bytes, not kilobytes of bins) */
	sketch *chunk;
	size_t chunk_b0; /* the step of chunk[.. * CHUNK_STEPS + 0] */
	uint8_t **blob;  /* nscopes x nb; NULL for a step without latencies */
	size_t *bloblen;
} series;

typedef struct actx {
	const vdims *dims;
	size_t (*of)[3]; /* per dims id: its prompt, use case and provider scope */
	scope *scopes;
	size_t nscopes;
	series recent, week;
	double *p95;   /* nscopes x (nb + 1): p95 of the window ending at each step */
	int64_t *p95n; /* its count */
	series *fill;
	int failed;
} actx;

static cnt *at(const series *s, size_t k, size_t b)
{
	return &s->sum[k * (s->nb + 1) + b];
}

static int add_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	actx *c = ctx;
	series *s = c->fill;
	if (!vdims_has(c->dims, row->dims_id))
		return 0;
	int64_t b = (row->bucket * 1000 - s->t0) / STEP_MS;
	if (b < 0 || (size_t)b >= s->nb)
		return 0;
	const int64_t *m = row->m;
	char *const *d = c->dims->v[row->dims_id];
	tt_status st = c->dims->status[row->dims_id];
	int64_t n = m[TT_M_REQUESTS];
	cnt add = {
	    .req = n,
	    .input = m[TT_M_INPUT_TOKENS],
	    .hits = strcmp(d[TT_D_CACHE], "hit") == 0 ? n : 0,
	    .misses = strcmp(d[TT_D_CACHE], "miss") == 0 ? n : 0,
	    .refusals = st == TT_STATUS_SAFETY_REFUSAL ? n : 0,
	    .limited = st == TT_STATUS_RATE_LIMITED ? n : 0,
	    .errors = st == TT_STATUS_TIMEOUT || st == TT_STATUS_SERVER_ERROR ? n : 0,
	    .cost = m[TT_M_COST_NANOS],
	};
	/* counted at b + 1: prefix sums are formed in place afterwards */
	for (int k = 0; k < 3; k++) {
		cnt *x = at(s, c->of[row->dims_id][k], (size_t)b + 1);
		x->req += add.req;
		x->input += add.input;
		x->hits += add.hits;
		x->misses += add.misses;
		x->refusals += add.refusals;
		x->limited += add.limited;
		x->errors += add.errors;
		x->cost += add.cost;
	}
	s->org[b + 1] += add.cost;
	if (s->chunk && row->sk[TT_SK_LATENCY]) {
		size_t j = (size_t)b - s->chunk_b0;
		if ((size_t)b < s->chunk_b0 || j >= CHUNK_STEPS) {
			c->failed = 1; /* a row outside the hour asked for */
			return 0;
		}
		sketch *k = &s->chunk[c->of[row->dims_id][1] * CHUNK_STEPS + j];
		if (sketch_merge_blob(k, row->sk[TT_SK_LATENCY], row->sklen[TT_SK_LATENCY]))
			c->failed = 1;
	}
	return 0;
}

/* The chunk's sketches into their steps' blobs; the chunk is left empty. */
static int keep_chunk(actx *c, series *s, size_t nsteps)
{
	for (size_t k = 0; k < c->nscopes; k++)
		for (size_t j = 0; j < nsteps; j++) {
			sketch *sk = &s->chunk[k * CHUNK_STEPS + j];
			if (!sk->count)
				continue;
			size_t len = sketch_encode(sk, NULL, 0), at_ = k * s->nb + s->chunk_b0 + j;
			uint8_t *b = malloc(len);
			if (!b)
				return -1;
			sketch_encode(sk, b, len);
			s->blob[at_] = b;
			s->bloblen[at_] = len;
			sketch_clear(sk);
		}
	return 0;
}

/* The latency sketches of [t0, t0 + nb steps), an hour at a time. */
static int read_latencies(store *st, actx *c, series *s)
{
	int64_t end = s->t0 + (int64_t)s->nb * STEP_MS;
	for (int64_t a = s->t0; a < end;) {
		int64_t b = a - (((a % HOUR_MS) + HOUR_MS) % HOUR_MS) + HOUR_MS;
		if (b > end)
			b = end;
		s->chunk_b0 = (size_t)((a - s->t0) / STEP_MS);
		if (vscan_steps(st, a, b, STEP_MS, true, add_row, c))
			return -1;
		if (keep_chunk(c, s, (size_t)((b - a) / STEP_MS)))
			return -2;
		a = b;
	}
	return 0;
}

static int series_build(store *st, actx *c, series *s, int64_t t0, size_t nb, bool sketches)
{
	s->t0 = t0;
	s->nb = nb;
	s->sum = calloc(c->nscopes * (nb + 1), sizeof *s->sum);
	s->org = calloc(nb + 1, sizeof *s->org);
	if (sketches) {
		s->chunk = calloc(c->nscopes * CHUNK_STEPS, sizeof *s->chunk);
		s->blob = calloc(c->nscopes * nb, sizeof *s->blob);
		s->bloblen = calloc(c->nscopes * nb, sizeof *s->bloblen);
		if (!s->chunk || !s->blob || !s->bloblen)
			return -1;
		for (size_t i = 0; i < c->nscopes * CHUNK_STEPS; i++)
			sketch_init(&s->chunk[i]);
	}
	if (!s->sum || !s->org)
		return -1;
	c->fill = s;
	if (sketches ? read_latencies(st, c, s)
	             : vscan_steps(st, t0, t0 + (int64_t)nb * STEP_MS, STEP_MS, false, add_row, c))
		return -1;
	for (size_t k = 0; k < c->nscopes; k++)
		for (size_t b = 1; b <= nb; b++) {
			cnt *x = at(s, k, b), *p = at(s, k, b - 1);
			x->req += p->req;
			x->input += p->input;
			x->hits += p->hits;
			x->misses += p->misses;
			x->refusals += p->refusals;
			x->limited += p->limited;
			x->errors += p->errors;
			x->cost += p->cost;
		}
	for (size_t b = 1; b <= nb; b++)
		s->org[b] += s->org[b - 1];
	return 0;
}

static void series_free(series *s, size_t nscopes)
{
	if (s->chunk)
		for (size_t i = 0; i < nscopes * CHUNK_STEPS; i++)
			sketch_free(&s->chunk[i]);
	free(s->chunk);
	for (size_t i = 0; s->blob && i < nscopes * s->nb; i++)
		free(s->blob[i]);
	free(s->blob);
	free(s->bloblen);
	free(s->sum);
	free(s->org);
}

/* The counts of steps [b - WB, b). */
static cnt window(const series *s, size_t k, size_t b)
{
	const cnt *x = at(s, k, b), *p = at(s, k, b - WB);
	return (cnt){x->req - p->req,       x->input - p->input,       x->hits - p->hits,
	             x->misses - p->misses, x->refusals - p->refusals, x->limited - p->limited,
	             x->errors - p->errors, x->cost - p->cost};
}

static double ratio(int64_t a, int64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

/* The statistic of a detector over the window ending at step b of a series. */
typedef void (*stat_fn)(const actx *c, const series *s, size_t k, size_t b, double *value,
                        int64_t *count);

static void st_tokens(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)c;
	cnt w = window(s, k, b);
	*v = ratio(w.input, w.req);
	*n = w.req;
}

static void st_miss(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)c;
	cnt w = window(s, k, b);
	*v = ratio(w.misses, w.hits + w.misses);
	*n = w.hits + w.misses;
}

static void st_refusal(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)c;
	cnt w = window(s, k, b);
	*v = ratio(w.refusals, w.req);
	*n = w.req;
}

static void st_limited(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)c;
	cnt w = window(s, k, b);
	*v = ratio(w.limited, w.req);
	*n = w.req;
}

static void st_errors(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)c;
	cnt w = window(s, k, b);
	*v = ratio(w.errors, w.req);
	*n = w.req;
}

/* US dollars per minute. */
static void st_cost(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)c;
	cnt w = window(s, k, b);
	*v = (double)w.cost / (double)TT_NANOS_PER_USD / (double)(WINDOW_MS / MIN_MS);
	*n = w.req;
}

static void st_p95(const actx *c, const series *s, size_t k, size_t b, double *v, int64_t *n)
{
	(void)s;
	*v = c->p95[k * (c->recent.nb + 1) + b];
	*n = c->p95n[k * (c->recent.nb + 1) + b];
}

static const struct detector {
	anomaly_kind kind;
	tt_dim dim;
	stat_fn stat;
	size_t history; /* windows of baseline */
} detectors[] = {
    {ANOM_TOKEN_SPIKE, TT_D_PROMPT_ID, st_tokens, BB / WB},
    {ANOM_CACHE_MISS_SURGE, TT_D_USE_CASE, st_miss, BB / WB},
    {ANOM_REFUSAL_RISE, TT_D_USE_CASE, st_refusal, BB / WB},
    {ANOM_429_STORM, TT_D_PROVIDER, st_limited, BB / WB},
    {ANOM_ERROR_SPIKE, TT_D_PROVIDER, st_errors, BB / WB},
    /* and against the trailing hour and the same window a week earlier */
    {ANOM_COST_RUNAWAY, TT_D_USE_CASE, st_cost, BB / WB},
    {ANOM_LATENCY_REGRESSION, TT_D_USE_CASE, st_p95, BB / WB},
};

static void precompute_p95(actx *c)
{
	size_t nb = c->recent.nb;
	sketch w;
	sketch_init(&w);
	for (size_t k = 0; k < c->nscopes; k++) {
		for (size_t b = 0; b <= nb; b++) {
			c->p95[k * (nb + 1) + b] = NAN;
			c->p95n[k * (nb + 1) + b] = 0;
			if (c->scopes[k].dim != TT_D_USE_CASE || b < WB)
				continue;
			sketch_clear(&w);
			for (size_t j = b - WB; j < b; j++)
				if (c->recent.blob[k * nb + j] &&
				    sketch_merge_blob(&w, c->recent.blob[k * nb + j],
				                      c->recent.bloblen[k * nb + j]))
					c->failed = 1;
			c->p95[k * (nb + 1) + b] = sketch_quantile(&w, 0.95);
			c->p95n[k * (nb + 1) + b] = (int64_t)w.count;
		}
	}
	sketch_free(&w);
}

/* One evaluation of a detector on a scope at step b of the recent series. */
static int evaluate(actx *c, anomaly_tracker *t, const struct detector *d, size_t k, size_t b,
                    double *hist)
{
	const series *s = &c->recent;
	const char *name = c->scopes[k].name;
	const anomaly_alert *open = anomaly_tracker_open(t, d->kind, name);
	/* an open alert keeps the baseline from before it began */
	size_t be = b - WB;
	if (open) {
		int64_t since_b = (open->since_ms - s->t0) / STEP_MS;
		be = (size_t)since_b - WB;
	}
	anomaly_obs o = {.history = hist, .ref = NAN, .open = open != NULL};
	d->stat(c, s, k, b, &o.value, &o.count);
	for (size_t j = 0; j < d->history && be >= (j + 1) * WB; j++) {
		double v;
		int64_t n;
		d->stat(c, s, k, be - j * WB, &v, &n);
		if (n >= anomaly_min_count(d->kind) && isfinite(v))
			hist[o.nhistory++] = v;
	}
	if (d->kind == ANOM_COST_RUNAWAY) {
		/* the trailing hour: the two windows before the baseline's end */
		double v, h1, h2;
		int64_t n, n1, n2;
		st_cost(c, s, k, be, &h1, &n1);
		st_cost(c, s, k, be - WB, &h2, &n2);
		if (n1 + n2 > 0)
			o.ref = (h1 + h2) / 2;
		st_cost(c, &c->week, k, b - BB, &v, &n); /* the same window a week earlier */
		if (n > 0 && !(v <= o.ref))
			o.ref = v;
		size_t from = be >= BB ? be - BB : 0;
		double org = (double)(s->org[be] - s->org[from]) / (double)TT_NANOS_PER_USD /
		             ((double)((be - from) * STEP_MS) / MIN_MS);
		o.min_delta = be > from ? COST_MATERIAL * org : 0;
	}
	anomaly_verdict verdict;
	anomaly_check(d->kind, &o, &verdict);
	return anomaly_track(t, d->kind, name, s->t0 + (int64_t)b * STEP_MS, &verdict, o.value);
}

/* Scopes from the dimension tuples: each id maps to its prompt, use case and provider. */
static int make_scopes(actx *c)
{
	strmap *m = strmap_new();
	if (!m)
		return -1;
	size_t cap = 16;
	c->scopes = malloc(cap * sizeof *c->scopes);
	c->of = calloc(c->dims->n ? c->dims->n : 1, sizeof *c->of);
	if (!c->scopes || !c->of)
		goto fail;
	static const tt_dim dims[3] = {TT_D_PROMPT_ID, TT_D_USE_CASE, TT_D_PROVIDER};
	for (size_t id = 1; id < c->dims->n; id++) {
		if (!vdims_has(c->dims, (int64_t)id))
			continue;
		char *const *d = c->dims->v[id];
		for (int k = 0; k < 3; k++) {
			scope sc = {.dim = dims[k]};
			if (k == 0)
				snprintf(sc.name, sizeof sc.name, "prompt=%s@%s", d[TT_D_PROMPT_ID],
				         d[TT_D_PROMPT_VERSION]);
			else
				snprintf(sc.name, sizeof sc.name, "%s=%s", store_dim_name(dims[k]),
				         d[dims[k]]);
			int64_t idx = strmap_get(m, sc.name, strlen(sc.name));
			if (idx < 0) {
				if (c->nscopes == cap) {
					scope *ns = realloc(c->scopes, cap * 2 * sizeof *ns);
					if (!ns)
						goto fail;
					c->scopes = ns;
					cap *= 2;
				}
				idx = (int64_t)c->nscopes;
				c->scopes[c->nscopes++] = sc;
				if (strmap_put(m, sc.name, strlen(sc.name), idx))
					goto fail;
			}
			c->of[id][k] = (size_t)idx;
		}
	}
	strmap_free(m);
	return 0;
fail:
	strmap_free(m);
	return -1;
}

static int cmp_alerts(const void *pa, const void *pb)
{
	const anomaly_alert *a = pa, *b = pb;
	bool fa = a->resolved_ms < 0, fb = b->resolved_ms < 0;
	if (fa != fb)
		return fa ? -1 : 1;
	if (fa && a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	int64_t ta = fa ? a->since_ms : a->resolved_ms, tb = fb ? b->since_ms : b->resolved_ms;
	if (ta != tb)
		return ta > tb ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->scope, b->scope);
}

int view_alerts_build(store *st, int64_t now_ms, view_alerts *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	v->data_version = store_data_version(st);
	v->step_ms = STEP_MS;
	v->window_ms = WINDOW_MS;
	int64_t t1 = now_ms - (((now_ms % STEP_MS) + STEP_MS) % STEP_MS);
	v->from_ms = t1 - EVAL_MS;
	vdims dims;
	if (vdims_load(st, &dims)) {
		snprintf(err, errlen, "reading dimensions: %s", store_errmsg(st));
		return -1;
	}
	actx c = {.dims = &dims};
	anomaly_tracker t;
	anomaly_tracker_init(&t, CLEAR_AFTER);
	int rc = -1;
	size_t nb = EB + WB + BB;
	double *hist = malloc((BB / WB + 1) * sizeof *hist);
	if (!hist || make_scopes(&c))
		goto oom;
	if (series_build(st, &c, &c.recent, t1 - (int64_t)nb * STEP_MS, nb, true) ||
	    series_build(st, &c, &c.week, t1 - (int64_t)(EB + WB) * STEP_MS - WEEK_MS, EB + WB,
	                 false)) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		goto done;
	}
	c.p95 = malloc(c.nscopes * (nb + 1) * sizeof *c.p95);
	c.p95n = malloc(c.nscopes * (nb + 1) * sizeof *c.p95n);
	if (!c.p95 || !c.p95n)
		goto oom;
	precompute_p95(&c);
	if (c.failed) {
		snprintf(err, errlen, "malformed latency sketch in the database");
		goto done;
	}
	for (size_t b = nb - EB; b <= nb; b++)
		for (size_t k = 0; k < c.nscopes; k++)
			for (size_t i = 0; i < sizeof detectors / sizeof detectors[0]; i++)
				if (detectors[i].dim == c.scopes[k].dim &&
				    evaluate(&c, &t, &detectors[i], k, b, hist))
					goto oom;
	v->alerts = t.alerts;
	v->n = t.n;
	t.alerts = NULL;
	if (v->n)
		qsort(v->alerts, v->n, sizeof *v->alerts, cmp_alerts);
	while (v->nfiring < v->n && v->alerts[v->nfiring].resolved_ms < 0)
		v->nfiring++;
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	anomaly_tracker_free(&t);
	series_free(&c.recent, c.nscopes);
	series_free(&c.week, c.nscopes);
	free(c.p95);
	free(c.p95n);
	free(c.scopes);
	free(c.of);
	free(hist);
	vdims_free(&dims);
	return rc;
}

int view_alerts_copy(const view_alerts *src, view_alerts *dst)
{
	*dst = *src;
	dst->alerts = NULL;
	if (!src->n)
		return 0;
	dst->alerts = malloc(src->n * sizeof *dst->alerts);
	if (!dst->alerts)
		return -1;
	memcpy(dst->alerts, src->alerts, src->n * sizeof *dst->alerts);
	return 0;
}

/* Evaluations happen at closed steps only, so the replay's result changes with the data or
 * with a step closing, never in between. */
int view_alerts_update(store *st, int64_t now_ms, const view_alerts *prev, view_alerts *v,
                       char *err, size_t errlen)
{
	int64_t t1 = now_ms - (((now_ms % STEP_MS) + STEP_MS) % STEP_MS);
	int64_t dv = store_data_version(st);
	if (!prev || dv < 0 || prev->data_version != dv || prev->from_ms != t1 - EVAL_MS)
		return view_alerts_build(st, now_ms, v, err, errlen);
	if (view_alerts_copy(prev, v)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->now_ms = now_ms;
	return 0;
}

void view_alerts_free(view_alerts *v)
{
	free(v->alerts);
	memset(v, 0, sizeof *v);
}
