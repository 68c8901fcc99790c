/* A Prometheus-compatible query source: named PromQL queries evaluated every interval. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poller.h"
#include "tokentop/promsrc.h"

struct promsrc {
	poller p; /* first */
	http_client *http;
	promsrc_sink sink;
	char *url, *token, *userpwd;
	char **series, **promql;
	size_t nq, next; /* queries, the one being asked */
	long interval_ms, timeout_ms;
	bool insecure;
	uint64_t rounds;
};

static void on_result(void *ctx, const promq_result *r, const char *error)
{
	promsrc *s = ctx;
	if (!poller_answer(&s->p))
		return;
	const char *series = s->series[s->next];
	if (error) {
		poller_fail(&s->p, strstr(error, "401") || strstr(error, "403"), "%s: %s: %s",
		            s->url, series, error);
		return;
	}
	if (s->sink.result && s->sink.result(s->sink.ctx, s->p.name, series, r)) {
		poller_fail(&s->p, false, "%s: could not store %s", s->p.name, series);
		return;
	}
	s->next++;
	if (s->next < s->nq) {
		poller_schedule(&s->p, 0);
		return;
	}
	s->next = 0;
	s->rounds++;
	poller_ok(&s->p, s->interval_ms);
}

static void send_query(poller *p)
{
	promsrc *s = (promsrc *)p;
	promq_request q = {.base_url = s->url,
	                   .query = s->promql[s->next],
	                   .token = s->token,
	                   .userpwd = s->userpwd,
	                   .timeout_ms = s->timeout_ms,
	                   .insecure = s->insecure};
	if (promq_send(s->http, &q, on_result, s)) {
		poller_fail(&s->p, false, "%s: could not start a query", s->url);
		return;
	}
	poller_sent(&s->p);
}

static void destroy(poller *p)
{
	promsrc *s = (promsrc *)p;
	for (size_t i = 0; i < s->nq; i++) {
		free(s->series[i]);
		free(s->promql[i]);
	}
	free(s->series);
	free(s->promql);
	free(s->url);
	poller_wipe(s->userpwd);
	if (s->token) {
		memset(s->token, 0, strlen(s->token));
		free(s->token);
	}
	free(s);
}

promsrc *promsrc_new(uv_loop_t *loop, http_client *http, const promsrc_opts *o,
                     const promsrc_sink *sink)
{
	if (!o->nqueries)
		return NULL;
	promsrc *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->http = http;
	s->sink = *sink;
	s->interval_ms = o->interval_ms > 0 ? o->interval_ms : 15000;
	s->timeout_ms = o->timeout_ms;
	s->insecure = o->insecure;
	int url_rc = poller_url(o->url, &s->url, &s->userpwd);
	s->token = o->token && *o->token ? strdup(o->token) : NULL;
	s->series = calloc(o->nqueries, sizeof *s->series);
	s->promql = calloc(o->nqueries, sizeof *s->promql);
	bool ok =
	    !url_rc && s->url && s->series && s->promql && (!o->token || !*o->token || s->token);
	for (size_t i = 0; ok && i < o->nqueries; i++) {
		s->series[i] = strdup(o->queries[i].series);
		s->promql[i] = strdup(o->queries[i].promql);
		s->nq = i + 1;
		ok = s->series[i] && s->promql[i];
	}
	if (!ok || poller_init(&s->p, loop, o->name, send_query, destroy, sink->state, sink->ctx)) {
		destroy(&s->p);
		return NULL;
	}
	return s;
}

void promsrc_start(promsrc *s)
{
	poller_start(&s->p);
}

void promsrc_stop(promsrc *s)
{
	poller_stop(&s->p);
}

void promsrc_free(promsrc *s)
{
	if (s)
		poller_free(&s->p);
}

source_state promsrc_state(const promsrc *s)
{
	return s->p.state;
}

uint64_t promsrc_rounds(const promsrc *s)
{
	return s->rounds;
}
