/* A scrape source: an inference server's Prometheus text endpoint polled on the libuv loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poller.h"
#include "tokentop/scrape.h"
#include "tokentop/timeutil.h"

int scrape_samples(const prom_scrape *ps, prom_kind kind, int64_t ts_ms, scrape_sample **out,
                   size_t *n)
{
	prom_server *sv;
	int k = prom_servers(ps, kind, &sv);
	if (k < 0)
		return -1;
	scrape_sample *v = calloc(k ? (size_t)k : 1, sizeof *v);
	if (!v) {
		prom_servers_free(sv, (size_t)k);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < k; i++) {
		const prom_server *s = &sv[i];
		scrape_sample *o = &v[i];
		snprintf(o->model_name, sizeof o->model_name, "%s", s->model_name);
		o->ts_ms = ts_ms;
		o->requests_running = s->requests_running;
		o->requests_waiting = s->requests_waiting;
		o->kv_cache_usage = s->kv_cache_usage;
		o->prompt_tokens_total = s->prompt_tokens_total;
		o->generation_tokens_total = s->generation_tokens_total;
		if (s->ttft.n) {
			o->ttft = malloc(s->ttft.n * sizeof *o->ttft);
			if (!o->ttft) {
				rc = -1;
				continue;
			}
			memcpy(o->ttft, s->ttft.buckets, s->ttft.n * sizeof *o->ttft);
			o->nttft = s->ttft.n;
		}
	}
	prom_servers_free(sv, (size_t)k);
	if (rc) {
		scrape_samples_free(v, (size_t)k);
		return -1;
	}
	*out = v;
	*n = (size_t)k;
	return 0;
}

void scrape_samples_free(scrape_sample *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].ttft);
	free(v);
}

struct scrape_src {
	poller p; /* first */
	http_client *http;
	scrape_sink sink;
	scrape_opts o;
	char *url, *auth, *userpwd;
	uint64_t count;
};

static void on_answer(void *ctx, const http_response *r)
{
	scrape_src *s = ctx;
	if (!poller_answer(&s->p))
		return;
	if (r->error) {
		poller_fail(&s->p, false, "%s: %s", s->url, r->error);
		return;
	}
	if (r->status == 401 || r->status == 403) {
		poller_fail(&s->p, true, "%s: the server refused the token (HTTP %ld)", s->url,
		            r->status);
		return;
	}
	if (r->status != 200) {
		poller_fail(&s->p, false, "%s: HTTP %ld", s->url, r->status);
		return;
	}
	prom_scrape *ps =
	    prom_parse(r->body, r->len, prom_format_from_content_type(r->content_type));
	if (!ps) {
		poller_fail(&s->p, false, "%s: out of memory parsing the scrape", s->url);
		return;
	}
	if (ps->incomplete[0]) {
		poller_fail(&s->p, false, "%s: scrape not whole (%s); not stored", s->url,
		            ps->incomplete);
		prom_scrape_free(ps);
		return;
	}
	if (!ps->nsamples && ps->nbad) {
		poller_fail(&s->p, false, "%s: not Prometheus text (%s)", s->url,
		            ps->nerrors ? ps->errors[0] : "no samples");
		prom_scrape_free(ps);
		return;
	}
	scrape_sample *v = NULL;
	size_t n = 0;
	int rc = scrape_samples(ps, s->o.kind, time_now_ms(), &v, &n);
	prom_scrape_free(ps);
	if (rc || (s->sink.samples && s->sink.samples(s->sink.ctx, s->p.name, v, n))) {
		scrape_samples_free(v, n);
		poller_fail(&s->p, false, "%s: could not store the scrape", s->p.name);
		return;
	}
	scrape_samples_free(v, n);
	s->count++;
	poller_ok(&s->p, s->o.interval_ms);
}

static void send_scrape(poller *p)
{
	scrape_src *s = (scrape_src *)p;
	const char *headers[3] = {"Accept: application/openmetrics-text;version=1.0.0;q=0.5,"
	                          "text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
	                          s->auth, NULL};
	http_request req = {.url = s->url,
	                    .headers = headers,
	                    .timeout_ms = s->o.timeout_ms,
	                    .max_body = s->o.max_body,
	                    .insecure = s->o.insecure,
	                    .userpwd = s->userpwd};
	if (http_client_send(s->http, &req, on_answer, s)) {
		poller_fail(&s->p, false, "%s: could not start a request", s->url);
		return;
	}
	poller_sent(&s->p);
}

static void destroy(poller *p)
{
	scrape_src *s = (scrape_src *)p;
	free(s->url);
	poller_wipe(s->auth);
	poller_wipe(s->userpwd);
	free(s);
}

scrape_src *scrape_new(uv_loop_t *loop, http_client *http, const scrape_opts *o,
                       const scrape_sink *sink)
{
	scrape_src *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->http = http;
	s->sink = *sink;
	s->o = *o;
	s->o.name = s->o.url = s->o.token = NULL;
	if (s->o.interval_ms <= 0)
		s->o.interval_ms = 5000;
	int url_rc = poller_url(o->url, &s->url, &s->userpwd);
	int auth_rc = poller_bearer(o->token, &s->auth);
	if (url_rc || !s->url || auth_rc ||
	    poller_init(&s->p, loop, o->name, send_scrape, destroy, sink->state, sink->ctx)) {
		free(s->url);
		poller_wipe(s->auth);
		poller_wipe(s->userpwd);
		free(s);
		return NULL;
	}
	return s;
}

void scrape_start(scrape_src *s)
{
	poller_start(&s->p);
}

void scrape_stop(scrape_src *s)
{
	poller_stop(&s->p);
}

void scrape_free(scrape_src *s)
{
	if (s)
		poller_free(&s->p);
}

source_state scrape_state(const scrape_src *s)
{
	return s->p.state;
}

uint64_t scrape_count(const scrape_src *s)
{
	return s->count;
}
