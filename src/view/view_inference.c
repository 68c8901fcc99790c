/* The inference view: per self-hosted server, the latest scrape and TTFT since the one before,
 * and the history of KV-cache pressure, token throughput and queue depth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/histq.h"
#include "tokentop/inference.h"

/* How much a cumulative counter grew from a to b: a drop is a restart, b counts from zero. */
static double counter_increase(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return b >= a ? b - a : b;
}

/* Prompt plus generation tokens between two scrapes; NaN when neither counter is known. */
static double tokens_increase(const tt_inference *a, const tt_inference *b)
{
	double p = counter_increase(a->prompt_tokens_total, b->prompt_tokens_total);
	double g = counter_increase(a->generation_tokens_total, b->generation_tokens_total);
	if (isnan(p) && isnan(g))
		return NAN;
	return (isnan(p) ? 0 : p) + (isnan(g) ? 0 : g);
}

static int add_server(void *ctx, const tt_inference *latest, const tt_inference *prev)
{
	view_inference *v = ctx;
	view_server *ns = realloc(v->servers, (v->n + 1) * sizeof *ns);
	if (!ns)
		return -1;
	v->servers = ns;
	view_server *s = &ns[v->n++];
	memset(s, 0, sizeof *s);
	snprintf(s->source, sizeof s->source, "%s", latest->source);
	snprintf(s->model_name, sizeof s->model_name, "%s", latest->model_name);
	s->last_scrape_ms = latest->ts_ms;
	s->requests_running = latest->requests_running;
	s->requests_waiting = latest->requests_waiting;
	s->kv_cache_usage = latest->kv_cache_usage;
	s->prompt_tokens_total = latest->prompt_tokens_total;
	s->generation_tokens_total = latest->generation_tokens_total;
	s->ttft_p50_s = s->ttft_p95_s = s->tokens_per_s = NAN;
	if (prev && latest->ts_ms > prev->ts_ms)
		s->tokens_per_s =
		    tokens_increase(prev, latest) * 1000.0 / (double)(latest->ts_ms - prev->ts_ms);
	size_t n = latest->ttft_len / sizeof(prom_bucket);
	if (!n)
		return 0;
	/* copies: the blobs need not be aligned for doubles */
	prom_bucket *cur = malloc(n * sizeof *cur);
	size_t np = prev ? prev->ttft_len / sizeof(prom_bucket) : 0;
	prom_bucket *old = np ? malloc(np * sizeof *old) : NULL;
	if (!cur || (np && !old)) {
		free(cur);
		free(old);
		return -1;
	}
	memcpy(cur, latest->ttft, n * sizeof *cur);
	if (np)
		memcpy(old, prev->ttft, np * sizeof *old);
	unsigned flags = 0;
	if (np) {
		s->ttft_p50_s = histq_quantile_increase(0.5, old, np, cur, n, &flags);
		s->ttft_p95_s = histq_quantile_increase(0.95, old, np, cur, n, &flags);
	} else {
		s->ttft_p50_s = histq_quantile(0.5, cur, n, &flags);
		s->ttft_p95_s = histq_quantile(0.95, cur, n, &flags);
	}
	free(cur);
	free(old);
	return 0;
}

int view_inference_build(store *st, view_inference *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	if (store_inference_latest(st, add_server, v)) {
		snprintf(err, errlen, "reading inference samples: %s", store_errmsg(st));
		view_inference_free(v);
		return -1;
	}
	return 0;
}

#define P VIEW_INFERENCE_POINTS

typedef struct hist_ctx {
	view_server_history *h;
	int64_t until_ms, gap_ms;
	double tokens[P], covered_ms[P];
	bool have_prev;
	tt_inference prev; /* numbers only: the strings are not kept */
} hist_ctx;

static double max_of(double a, double b)
{
	if (isnan(b))
		return a;
	return isnan(a) || b > a ? b : a;
}

/* A rate over [t0, t1) goes to each step it overlaps, by the time it covers there. */
static void spread_rate(hist_ctx *x, int64_t t0, int64_t t1, double per_ms)
{
	const view_server_history *h = x->h;
	if (t0 < h->since_ms)
		t0 = h->since_ms;
	if (t1 > x->until_ms)
		t1 = x->until_ms;
	while (t0 < t1) {
		int64_t b = (t0 - h->since_ms) / h->step_ms;
		if (b >= P)
			break;
		int64_t end = h->since_ms + (b + 1) * h->step_ms;
		int64_t span = (end < t1 ? end : t1) - t0;
		x->tokens[b] += per_ms * (double)span;
		x->covered_ms[b] += (double)span;
		t0 += span;
	}
}

/* The steps after the one of scrape a, up to the one of the scrape at t1, take a's gauges. */
static void hold_gauges(hist_ctx *x, const tt_inference *a, int64_t t1)
{
	view_server_history *h = x->h;
	int64_t first = a->ts_ms < h->since_ms ? 0 : (a->ts_ms - h->since_ms) / h->step_ms + 1;
	int64_t last = t1 < h->since_ms ? -1 : (t1 - h->since_ms) / h->step_ms - 1;
	if (t1 > x->until_ms)
		last = P - 1;
	for (int64_t b = first; b <= last && b < P; b++) {
		h->kv_cache_usage[b] = max_of(h->kv_cache_usage[b], a->kv_cache_usage);
		h->requests_waiting[b] = max_of(h->requests_waiting[b], a->requests_waiting);
		h->requests_running[b] = max_of(h->requests_running[b], a->requests_running);
	}
}

static int add_sample(void *ctx, const tt_inference *s)
{
	hist_ctx *x = ctx;
	view_server_history *h = x->h;
	if (s->ts_ms >= h->since_ms && s->ts_ms < x->until_ms) {
		int64_t b = (s->ts_ms - h->since_ms) / h->step_ms;
		if (b < P) {
			h->kv_cache_usage[b] = max_of(h->kv_cache_usage[b], s->kv_cache_usage);
			h->requests_waiting[b] =
			    max_of(h->requests_waiting[b], s->requests_waiting);
			h->requests_running[b] =
			    max_of(h->requests_running[b], s->requests_running);
		}
	}
	if (x->have_prev) {
		int64_t dt = s->ts_ms - x->prev.ts_ms;
		double inc = tokens_increase(&x->prev, s);
		if (dt > 0 && dt <= x->gap_ms && !isnan(inc))
			spread_rate(x, x->prev.ts_ms, s->ts_ms, inc / (double)dt);
		/* steps shorter than the scrape interval: a gauge holds until the next scrape */
		if (dt > 0 && dt <= x->gap_ms)
			hold_gauges(x, &x->prev, s->ts_ms);
	}
	x->prev = *s;
	x->prev.source = x->prev.model_name = NULL;
	x->prev.ttft = NULL;
	x->prev.ttft_len = 0;
	x->have_prev = true;
	return 0;
}

int view_inference_history(store *st, view_inference *v, int64_t since_ms, int64_t until_ms,
                           char *err, size_t errlen)
{
	int64_t step = (until_ms - since_ms + P - 1) / P;
	if (step < 1)
		step = 1;
	since_ms = until_ms - P * step;
	hist_ctx *x = malloc(sizeof *x);
	if (!x) {
		snprintf(err, errlen, "reading inference history: no memory");
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		view_server *s = &v->servers[i];
		view_server_history *h = &s->hist;
		memset(x, 0, sizeof *x);
		x->h = h;
		x->until_ms = until_ms;
		x->gap_ms = 3 * step > 120000 ? 3 * step : 120000;
		h->since_ms = since_ms;
		h->step_ms = step;
		for (int k = 0; k < P; k++)
			h->kv_cache_usage[k] = h->requests_waiting[k] = h->requests_running[k] =
			    NAN;
		/* from a gap before the window: the rate into its first step */
		if (store_inference_range(st, s->source, s->model_name, since_ms - x->gap_ms,
		                          until_ms, add_sample, x)) {
			snprintf(err, errlen, "reading inference history: %s", store_errmsg(st));
			free(x);
			return -1;
		}
		/* the newest scrape's gauges hold to the window's end while it is recent */
		if (x->have_prev && until_ms - x->prev.ts_ms <= x->gap_ms)
			hold_gauges(x, &x->prev, until_ms);
		h->kv_max = h->tokens_per_s_max = h->waiting_max = h->running_max = NAN;
		for (int k = 0; k < P; k++) {
			h->tokens_per_s[k] =
			    x->covered_ms[k] > 0 ? x->tokens[k] * 1000.0 / x->covered_ms[k] : NAN;
			h->kv_max = max_of(h->kv_max, h->kv_cache_usage[k]);
			h->tokens_per_s_max = max_of(h->tokens_per_s_max, h->tokens_per_s[k]);
			h->waiting_max = max_of(h->waiting_max, h->requests_waiting[k]);
			h->running_max = max_of(h->running_max, h->requests_running[k]);
		}
		s->has_history = true;
	}
	free(x);
	return 0;
}

void view_inference_free(view_inference *v)
{
	free(v->servers);
	memset(v, 0, sizeof *v);
}
