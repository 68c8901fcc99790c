/* The inference view: per self-hosted server, the latest scrape and TTFT since the one before. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/histq.h"
#include "tokentop/inference.h"

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
	s->ttft_p50_s = s->ttft_p95_s = NAN;
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

void view_inference_free(view_inference *v)
{
	free(v->servers);
	memset(v, 0, sizeof *v);
}
