/* The alerts view: every detector replayed minute by minute over the last hours, each on a
 * fast and a slow window. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/money.h"
#include "tokentop/strmap.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

/* Evaluated every STEP over the last EVAL, each on the latest FAST and SLOW windows against
 * the same windows over the BASELINE before the slow one (docs/alerts.md). */
#define STEP_MS       MIN_MS
#define FAST_MS       (5 * MIN_MS)
#define WINDOW_MS     (30 * MIN_MS)
#define BASELINE_MS   DAY_MS
#define EVAL_MS       (6 * HOUR_MS)
#define WEEK_MS       (7 * DAY_MS)
#define CLEAR_AFTER   15  /* clear evaluations (minutes) that resolve an alert */
#define COST_MATERIAL 1.0 /* a runaway adds at least this part of the org's mean $/min */

#define WB    ((size_t)(WINDOW_MS / STEP_MS))
#define WF    ((size_t)(FAST_MS / STEP_MS))
#define BB    ((size_t)(BASELINE_MS / STEP_MS))
#define EB    ((size_t)(EVAL_MS / STEP_MS))
#define NHIST (BB / WB) /* baseline windows: one per half hour of the day before */

/* What each step of a scope counts. */
typedef struct cnt {
	int64_t req, input, hits, misses, refusals, limited, errors, cost;
	double
	    cost2; /* the sum of squared request costs, USD^2 (each row's requests at its mean) */
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
	const budget_spec *budgets;
	size_t nbudgets;
	unsigned char *bmatch; /* per dims id x budget: the id is in the budget's scope */
	int64_t *bsum;         /* per budget, recent.nb + 1 prefix sums of its scope's spend */
	size_t (*of)[3];       /* per dims id: its prompt, use case and provider scope */
	scope *scopes;
	size_t nscopes;
	series recent, week;
	/* per window (fast, slow, trailing hour), nscopes x (nb + 1), computed when first asked
	 * for: the p95 of the window ending at each step, its lower bound and its count (-1: not
	 * yet computed) */
	double *p95[3], *p95lo[3];
	int64_t *p95n[3];
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
	    .cost2 = n > 0 ? ((double)m[TT_M_COST_NANOS] / TT_NANOS_PER_USD) *
	                         ((double)m[TT_M_COST_NANOS] / TT_NANOS_PER_USD) / (double)n
	                   : 0,
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
		x->cost2 += add.cost2;
	}
	s->org[b + 1] += add.cost;
	if (s == &c->recent)
		for (size_t i = 0; i < c->nbudgets; i++)
			if (c->bmatch[(size_t)row->dims_id * c->nbudgets + i])
				c->bsum[i * (s->nb + 1) + (size_t)b + 1] += add.cost;
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
			x->cost2 += p->cost2;
		}
	for (size_t b = 1; b <= nb; b++)
		s->org[b] += s->org[b - 1];
	if (s == &c->recent)
		for (size_t i = 0; i < c->nbudgets; i++)
			for (size_t b = 1; b <= nb; b++)
				c->bsum[i * (nb + 1) + b] += c->bsum[i * (nb + 1) + b - 1];
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

/* The counts of steps [b - w, b). */
static cnt window(const series *s, size_t k, size_t b, size_t w)
{
	const cnt *x = at(s, k, b), *p = at(s, k, b - w);
	return (cnt){x->req - p->req,       x->input - p->input,       x->hits - p->hits,
	             x->misses - p->misses, x->refusals - p->refusals, x->limited - p->limited,
	             x->errors - p->errors, x->cost - p->cost,         x->cost2 - p->cost2};
}

static double ratio(int64_t a, int64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

/* A detector's statistic over a window: its value, the requests it is over, and for some a
 * lower confidence bound (latency) or a second level (cost: per request, and the mean
 * squared cost of a request). */
typedef struct stat {
	double v, low, mix, mix2;
	int64_t n;
} stat;

/* The statistic of a detector over the w steps ending at step b of a series. */
typedef stat (*stat_fn)(actx *c, const series *s, size_t k, size_t b, size_t w);

static stat st_tokens(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	(void)c;
	cnt x = window(s, k, b, w);
	return (stat){.v = ratio(x.input, x.req), .n = x.req};
}

static stat st_miss(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	(void)c;
	cnt x = window(s, k, b, w);
	return (stat){.v = ratio(x.misses, x.hits + x.misses), .n = x.hits + x.misses};
}

static stat st_refusal(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	(void)c;
	cnt x = window(s, k, b, w);
	return (stat){.v = ratio(x.refusals, x.req), .n = x.req};
}

static stat st_limited(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	(void)c;
	cnt x = window(s, k, b, w);
	return (stat){.v = ratio(x.limited, x.req), .n = x.req};
}

static stat st_errors(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	(void)c;
	cnt x = window(s, k, b, w);
	return (stat){.v = ratio(x.errors, x.req), .n = x.req};
}

/* US dollars per minute; the second level is US dollars per request. */
static stat st_cost(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	(void)c;
	cnt x = window(s, k, b, w);
	double usd = (double)x.cost / (double)TT_NANOS_PER_USD;
	return (stat){.v = usd / (double)(w * STEP_MS / MIN_MS),
	              .mix = x.req ? usd / (double)x.req : NAN,
	              .mix2 = x.req ? x.cost2 / (double)x.req : NAN,
	              .n = x.req};
}

/* The memo slot of a latency window: fast, slow, or the trailing hour. */
static int p95_slot(size_t w)
{
	return w == WF ? 0 : w == WB ? 1 : 2;
}

/* The p95 latency of a use case over the w steps ending at b, merged from the steps' sketches
 * the first time it is asked for; its lower bound is the quantile ANOM_BOUND_SE standard errors
 * of the p95's rank below it (of 120 requests, the p89: a single timeout is not a regression). */
static stat st_p95(actx *c, const series *s, size_t k, size_t b, size_t w)
{
	size_t nb = s->nb, at_ = k * (nb + 1) + b;
	int wi = p95_slot(w);
	if (c->p95n[wi][at_] < 0) {
		sketch sk;
		sketch_init(&sk);
		for (size_t j = b - w; j < b; j++)
			if (s->blob[k * nb + j] &&
			    sketch_merge_blob(&sk, s->blob[k * nb + j], s->bloblen[k * nb + j]))
				c->failed = 1;
		double q =
		    0.95 - ANOM_BOUND_SE * sqrt(0.95 * 0.05 / (sk.count ? (double)sk.count : 1));
		c->p95[wi][at_] = sk.count ? sketch_quantile(&sk, 0.95) : NAN;
		c->p95lo[wi][at_] = sk.count && q > 0 ? sketch_quantile(&sk, q) : NAN;
		c->p95n[wi][at_] = (int64_t)sk.count;
		sketch_free(&sk);
	}
	return (stat){.v = c->p95[wi][at_], .low = c->p95lo[wi][at_], .n = c->p95n[wi][at_]};
}

/* Each detector judges two windows: the fast one (WF) pages on a sudden change within
 * minutes, the slow one (WB) shows a drift too small for five minutes to tell. */
static const struct detector {
	anomaly_kind kind;
	tt_dim dim;
	stat_fn stat;
} detectors[] = {
    {ANOM_TOKEN_SPIKE, TT_D_PROMPT_ID, st_tokens},
    {ANOM_CACHE_MISS_SURGE, TT_D_USE_CASE, st_miss},
    {ANOM_REFUSAL_RISE, TT_D_USE_CASE, st_refusal},
    {ANOM_429_STORM, TT_D_PROVIDER, st_limited},
    {ANOM_ERROR_SPIKE, TT_D_PROVIDER, st_errors},
    {ANOM_COST_RUNAWAY, TT_D_USE_CASE, st_cost},
    {ANOM_LATENCY_REGRESSION, TT_D_USE_CASE, st_p95},
};

/* The verdict of a detector on one window (w steps) ending at step b, against the same window
 * at the half-hour marks of the day before be. */
static void judge(actx *c, const struct detector *d, size_t k, size_t b, size_t w, size_t be,
                  bool open, double *hist, anomaly_verdict *out, double *value)
{
	const series *s = &c->recent;
	/* the marks are on the clock (:00 and :30), so a window's history is shared by the
	 * evaluations of the half hour and each p95 is merged once */
	size_t off = (size_t)((s->t0 / STEP_MS) % (int64_t)WB), mark = be - (off + be) % WB;
	stat now = d->stat(c, s, k, b, w);
	anomaly_obs o = {.value = now.v,
	                 .count = now.n,
	                 .low = now.low,
	                 .history = hist,
	                 .ref = NAN,
	                 .open = open};
	for (size_t j = 0; j < NHIST && mark >= j * WB + w; j++) {
		stat h = d->stat(c, s, k, mark - j * WB, w);
		if (h.n >= anomaly_min_count(d->kind) && isfinite(h.v))
			hist[o.nhistory++] = h.v;
	}
	/* the trailing hour before the baseline's end: the level of the hour */
	stat hour = d->stat(c, s, k, be, 2 * WB);
	if (d->kind == ANOM_COST_RUNAWAY) {
		/* and the same window a week earlier, whichever is the higher */
		stat week = st_cost(c, &c->week, k, b - BB, w);
		if (hour.n > 0) {
			o.ref = hour.v;
			o.mix_ref = hour.mix;
		}
		if (week.n > 0 && !(week.v <= o.ref))
			o.ref = week.v;
		if (week.n > 0 && !(week.mix <= o.mix_ref))
			o.mix_ref = week.mix;
		o.mix = now.mix;
		if (now.n > 0 && now.mix2 > now.mix * now.mix)
			o.mix_se = sqrt((now.mix2 - now.mix * now.mix) / (double)now.n);
		/* a window's spend is a sum of request costs, some far dearer than others: by
		 * chance alone it varies by sqrt(requests x mean squared cost) of the hour's mix,
		 * which the day's MAD, blind to the tail, does not see */
		if (hour.n > 0 && isfinite(hour.mix2))
			o.noise = sqrt((double)now.n * hour.mix2) / (double)(w * STEP_MS / MIN_MS);
		size_t from = be >= BB ? be - BB : 0;
		double org = (double)(s->org[be] - s->org[from]) / (double)TT_NANOS_PER_USD /
		             ((double)((be - from) * STEP_MS) / MIN_MS);
		o.min_delta = be > from ? COST_MATERIAL * org : 0;
	} else if (hour.n >= anomaly_min_count(d->kind) && isfinite(hour.v)) {
		o.ref = hour.v;
		o.ref_raises = true;
	}
	anomaly_check(d->kind, &o, out);
	out->window_ms = (int64_t)w * STEP_MS;
	*value = o.value;
}

/* One evaluation of a detector on a scope at step b: the fast window fires alone (its sizes
 * judged on their lower confidence bounds, five minutes are evidence enough); the slow one
 * while the fast one, when it can tell, is still at least half-way up (the Workbook's short
 * window: an alert ends soon after the change does). */
static int evaluate(actx *c, anomaly_tracker *t, const struct detector *d, size_t k, size_t b,
                    double *hist)
{
	const series *s = &c->recent;
	const char *name = c->scopes[k].name;
	const anomaly_alert *open = anomaly_tracker_open(t, d->kind, name);
	/* an open alert keeps the baseline from before it began */
	size_t be = b - WB;
	if (open)
		be = (size_t)((open->since_ms - s->t0) / STEP_MS) - WB;
	anomaly_verdict fast, slow;
	double vfast, vslow;
	judge(c, d, k, b, WF, be, open != NULL, hist, &fast, &vfast);
	judge(c, d, k, b, WB, be, open != NULL, hist, &slow, &vslow);
	if (slow.severity != ANOM_NONE && fast.judged && fast.severity == ANOM_NONE && !open) {
		anomaly_verdict held;
		double v;
		judge(c, d, k, b, WF, be, true, hist, &held, &v);
		if (held.severity == ANOM_NONE)
			slow.severity = ANOM_NONE;
	}
	const anomaly_verdict *pick = slow.severity > fast.severity ? &slow : &fast;
	anomaly_verdict both = *pick;
	both.judged = fast.judged || slow.judged;
	return anomaly_track(t, d->kind, name, s->t0 + (int64_t)b * STEP_MS, &both,
	                     pick == &slow ? vslow : vfast);
}

/* One evaluation of a budget's burn at step b: exact, from the spend of its scope over the
 * burn rules' windows against the pace of the period holding the step (docs/alerts.md). */
static int evaluate_budget(actx *c, anomaly_tracker *t, size_t i, size_t b)
{
	const budget_spec *bs = &c->budgets[i];
	const series *s = &c->recent;
	const int64_t *sum = &c->bsum[i * (s->nb + 1)];
	int64_t at_ms = s->t0 + (int64_t)b * STEP_MS, p0, p1;
	budget_period_bounds(bs->period, at_ms - 1, &p0, &p1);
	double burn[SLO_WINDOW_COUNT] = {0};
	for (int w = 0; w < SLO_WINDOW_COUNT; w++) {
		size_t steps = (size_t)(slo_window_ms((slo_window)w) / STEP_MS);
		if (steps <= b)
			burn[w] =
			    budget_burn_rate(sum[b] - sum[b - steps], (int64_t)steps * STEP_MS,
			                     bs->amount_nanos, p1 - p0);
	}
	int rule;
	slo_alert a = budget_burn_alert(burn, p1 - p0, &rule);
	anomaly_verdict v = {.judged = bs->amount_nanos > 0, .baseline = NAN};
	double value = NAN;
	if (a != SLO_ALERT_NONE) {
		slo_window lw, sw;
		budget_burn_windows(rule, &lw, &sw);
		int64_t wms = slo_window_ms(sw);
		size_t steps = (size_t)(wms / STEP_MS);
		/* $/min over the short window, against the pace's $/min */
		value = (double)(sum[b] - sum[b - steps]) / (double)TT_NANOS_PER_USD /
		        ((double)wms / MIN_MS);
		v.baseline = (double)bs->amount_nanos / (double)TT_NANOS_PER_USD /
		             ((double)(p1 - p0) / MIN_MS);
		v.severity = a == SLO_ALERT_PAGE ? ANOM_CRITICAL : ANOM_WARNING;
		v.window_ms = wms;
	}
	char name[ANOM_SCOPE_CAP];
	snprintf(name, sizeof name, "budget=%s", bs->name);
	return anomaly_track(t, ANOM_BUDGET_BURN, name, at_ms, &v, value);
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

/* Which dimension tuples fall in which budget. */
static int match_budgets(actx *c)
{
	size_t n = c->dims->n ? c->dims->n : 1;
	c->bmatch = calloc(n * (c->nbudgets ? c->nbudgets : 1), 1);
	if (!c->bmatch)
		return -1;
	for (size_t id = 1; id < c->dims->n; id++)
		if (vdims_has(c->dims, (int64_t)id))
			for (size_t i = 0; i < c->nbudgets; i++)
				c->bmatch[id * c->nbudgets + i] =
				    budget_scope_has(&c->budgets[i].scope, c->dims->v[id]);
	return 0;
}

int view_alerts_build(store *st, const budget_spec *budgets, size_t nbudgets, int64_t now_ms,
                      view_alerts *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	v->data_version = store_data_version(st);
	v->step_ms = STEP_MS;
	v->fast_ms = FAST_MS;
	v->window_ms = WINDOW_MS;
	int64_t t1 = now_ms - (((now_ms % STEP_MS) + STEP_MS) % STEP_MS);
	v->from_ms = t1 - EVAL_MS;
	vdims dims;
	if (vdims_load(st, &dims)) {
		snprintf(err, errlen, "reading dimensions: %s", store_errmsg(st));
		return -1;
	}
	actx c = {.dims = &dims, .budgets = budgets, .nbudgets = nbudgets};
	anomaly_tracker t;
	anomaly_tracker_init(&t, CLEAR_AFTER);
	int rc = -1;
	size_t nb = EB + WB + BB;
	double *hist = malloc((NHIST + 1) * sizeof *hist);
	if (!hist || make_scopes(&c) || match_budgets(&c) ||
	    !(c.bsum = calloc(nbudgets * (nb + 1) + 1, sizeof *c.bsum)))
		goto oom;
	if (series_build(st, &c, &c.recent, t1 - (int64_t)nb * STEP_MS, nb, true) ||
	    series_build(st, &c, &c.week, t1 - (int64_t)(EB + WB) * STEP_MS - WEEK_MS, EB + WB,
	                 false)) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		goto done;
	}
	for (int w = 0; w < 3; w++) {
		c.p95[w] = malloc(c.nscopes * (nb + 1) * sizeof *c.p95[w]);
		c.p95lo[w] = malloc(c.nscopes * (nb + 1) * sizeof *c.p95lo[w]);
		c.p95n[w] = malloc(c.nscopes * (nb + 1) * sizeof *c.p95n[w]);
		if (!c.p95[w] || !c.p95lo[w] || !c.p95n[w])
			goto oom;
		for (size_t i = 0; i < c.nscopes * (nb + 1); i++)
			c.p95n[w][i] = -1;
	}
	for (size_t b = nb - EB; b <= nb; b++)
		for (size_t k = 0; k < c.nscopes; k++)
			for (size_t i = 0; i < sizeof detectors / sizeof detectors[0]; i++)
				if (detectors[i].dim == c.scopes[k].dim &&
				    evaluate(&c, &t, &detectors[i], k, b, hist))
					goto oom;
	for (size_t b = nb - EB; b <= nb; b++)
		for (size_t i = 0; i < nbudgets; i++)
			if (evaluate_budget(&c, &t, i, b))
				goto oom;
	if (c.failed) {
		snprintf(err, errlen, "malformed latency sketch in the database");
		goto done;
	}
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
	for (int w = 0; w < 3; w++) {
		free(c.p95[w]);
		free(c.p95lo[w]);
		free(c.p95n[w]);
	}
	free(c.scopes);
	free(c.of);
	free(c.bmatch);
	free(c.bsum);
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
int view_alerts_update(store *st, const budget_spec *budgets, size_t nbudgets, int64_t now_ms,
                       const view_alerts *prev, view_alerts *v, char *err, size_t errlen)
{
	int64_t t1 = now_ms - (((now_ms % STEP_MS) + STEP_MS) % STEP_MS);
	int64_t dv = store_data_version(st);
	if (!prev || dv < 0 || prev->data_version != dv || prev->from_ms != t1 - EVAL_MS)
		return view_alerts_build(st, budgets, nbudgets, now_ms, v, err, errlen);
	if (view_alerts_copy(prev, v)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->now_ms = now_ms;
	return 0;
}

/* Each kind's value and baseline: their unit. */
enum { U_TOKENS, U_SHARE, U_USD_MIN, U_MS };
static const char *const unit_names[] = {"tokens_per_request", "share", "usd_per_minute", "ms"};
static const int units[ANOM_KIND_COUNT] = {
    [ANOM_TOKEN_SPIKE] = U_TOKENS,    [ANOM_CACHE_MISS_SURGE] = U_SHARE,
    [ANOM_REFUSAL_RISE] = U_SHARE,    [ANOM_429_STORM] = U_SHARE,
    [ANOM_ERROR_SPIKE] = U_SHARE,     [ANOM_COST_RUNAWAY] = U_USD_MIN,
    [ANOM_LATENCY_REGRESSION] = U_MS, [ANOM_BUDGET_BURN] = U_USD_MIN,
};

const char *view_alert_unit(anomaly_kind k)
{
	return k >= 0 && k < ANOM_KIND_COUNT ? unit_names[units[k]] : NULL;
}

void view_alert_value(anomaly_kind k, double v, char *buf, size_t cap)
{
	if (isnan(v) || k < 0 || k >= ANOM_KIND_COUNT) {
		snprintf(buf, cap, "-");
		return;
	}
	switch (units[k]) {
	case U_TOKENS:
		snprintf(buf, cap, "%.0f tok/req", v);
		break;
	case U_USD_MIN:
		/* cents from a dollar a minute, four places below, two significant digits under
		 * a tenth of a cent: a budget's pace is often that small */
		snprintf(buf, cap,
		         v >= 1       ? "$%.2f/min"
		         : v >= 0.001 ? "$%.4f/min"
		                      : "$%.2g/min",
		         v);
		break;
	case U_MS:
		if (v >= 1000)
			snprintf(buf, cap, "%.2f s", v / 1000);
		else
			snprintf(buf, cap, "%.0f ms", v);
		break;
	case U_SHARE:
		snprintf(buf, cap, "%.2f%%", 100 * v);
		break;
	}
}

void view_alert_reason(const anomaly_alert *a, char *buf, size_t cap)
{
	char val[32], base[32], win[32], since[32];
	view_alert_value(a->kind, a->value, val, sizeof val);
	view_alert_value(a->kind, a->baseline, base, sizeof base);
	snprintf(win, sizeof win, "%" PRId64 "m", (int64_t)(a->window_ms / MIN_MS));
	time_format_iso(a->since_ms, since, sizeof since);
	const char *who = strchr(a->scope, '=');
	who = who ? who + 1 : a->scope;
	const char *than = a->kind == ANOM_BUDGET_BURN ? "its budget's pace" : "its baseline";
	if (a->baseline > 0 && isfinite(a->value / a->baseline))
		snprintf(buf, cap, "%s %s over %s, %.1fx %s (%s), since %.5s UTC", who, val,
		         a->window_ms > 0 ? win : "the window", a->value / a->baseline, than, base,
		         since + 11);
	else
		snprintf(buf, cap, "%s %s over %s, up from %s, since %.5s UTC", who, val,
		         a->window_ms > 0 ? win : "the window", base, since + 11);
}

void view_alerts_free(view_alerts *v)
{
	free(v->alerts);
	memset(v, 0, sizeof *v);
}
