/* A gateway source (tokentop dialect): events by cursor, plus health, routing and controls. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "poller.h"
#include "statedoc.h"
#include "tokentop/gateway.h"
#include "tokentop/parse.h"
#include "tokentop/timeutil.h"

#define CURSOR_CAP 512

struct gateway {
	poller p; /* first: the poller's callbacks get the gateway back by a cast */
	http_client *http;
	source_sink sink;
	char *url, *auth, *userpwd;
	long poll_ms, timeout_ms, idle_max_ms;
	unsigned idle_polls; /* empty pages in a row */
	int64_t interval_ms; /* the pause after the last page */
	statedocs sd;
	int limit;
	size_t max_body;
	bool insecure;
	char cursor[CURSOR_CAP];
	bool caught_up;
	/* Brent's cycle detection over the cursors of one catch-up pass: a gateway whose cursors
	 * go round (A, B, A...) would otherwise keep a sync --once reading for ever */
	char mark[CURSOR_CAP];
	unsigned power, steps, pages;
	uint64_t events;
	/* the page being parsed */
	tt_event *evs;
	size_t nevs, capevs;
};

static void collect(void *ctx, const tt_event *ev)
{
	gateway *g = ctx;
	if (g->nevs == g->capevs) {
		size_t cap = g->capevs ? g->capevs * 2 : 256;
		tt_event *n = realloc(g->evs, cap * sizeof *n);
		if (!n)
			return;
		g->evs = n;
		g->capevs = cap;
	}
	g->evs[g->nevs++] = *ev;
}

static void reject(void *ctx, int item, const char *reason)
{
	gateway *g = ctx;
	(void)item;
	if (g->sink.reject)
		g->sink.reject(g->sink.ctx, g->p.name, reason);
}

static void note(void *ctx, int item, const char *what)
{
	gateway *g = ctx;
	(void)item;
	if (g->sink.note)
		g->sink.note(g->sink.ctx, g->p.name, what);
}

/* Parses {"events":[...],"next_cursor":"..."}; -1 with why on a malformed page. */
static int parse_page(gateway *g, const char *body, size_t len, char *next, char *why,
                      size_t whylen)
{
	g->nevs = 0;
	parse_sink sink = {collect, reject, g, note};
	return parse_native_page(body, len, next, CURSOR_CAP, &sink, why, whylen);
}

/* ---- the shapes of the state answers (docs/api.md) ---- */

static bool is_str(const json_t *o, const char *key)
{
	return json_is_string(json_object_get(o, key));
}

static const char *check_health(const json_t *doc)
{
	int64_t t;
	const char *time = json_string_value(json_object_get(doc, "time"));
	if (!json_is_object(doc) || !is_str(doc, "gateway") || !is_str(doc, "version") || !time)
		return "expected {gateway, version, time}";
	if (time_parse_iso(time, strlen(time), &t))
		return "time is not an ISO 8601 time";
	return NULL;
}

static const char *check_routing(const json_t *doc)
{
	json_t *routes = json_object_get(doc, "routes");
	if (!json_is_array(routes))
		return "expected {routes: [...]}";
	size_t i, k;
	json_t *r, *t;
	json_array_foreach(routes, i, r)
	{
		json_t *targets = json_object_get(r, "targets");
		if (!is_str(r, "use_case") || !json_is_array(targets))
			return "a route without use_case or targets";
		json_array_foreach(targets, k, t)
		{
			if (!is_str(t, "provider") || !is_str(t, "model") ||
			    !json_is_number(json_object_get(t, "weight")))
				return "a target without provider, model or weight";
		}
	}
	return NULL;
}

static const char *check_controls(const json_t *doc)
{
	json_t *controls = json_object_get(doc, "controls");
	if (!json_is_array(controls))
		return "expected {controls: [...]}";
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c)
	{
		if (!is_str(c, "id") || !is_str(c, "kind") ||
		    !json_is_object(json_object_get(c, "scope")))
			return "a control without id, kind or scope";
	}
	return NULL;
}

static const statedoc_kind state_kinds[] = {
    {"health", "/v1/health", check_health, false},
    {"routing", "/v1/routing", check_routing, false},
    {"controls", "/v1/controls", check_controls, true},
};

/* After a full page moved the cursor on: true when g->cursor was seen before in this pass.
 * The mark jumps to the cursor at every power of two steps, so a cycle of any length is
 * met within twice its length once the pass is in it. */
static bool cursor_cycles(gateway *g)
{
	g->pages++;
	if (g->power && !strcmp(g->mark, g->cursor))
		return true;
	if (g->steps == g->power) {
		memcpy(g->mark, g->cursor, sizeof g->mark);
		g->power = g->power ? g->power * 2 : 1;
		g->steps = 0;
	}
	g->steps++;
	return false;
}

static void on_answer(void *ctx, const http_response *r)
{
	gateway *g = ctx;
	if (!poller_answer(&g->p))
		return;
	if (r->error) {
		poller_fail(&g->p, false, "%s: %s", g->url, r->error);
		return;
	}
	if (r->status == 401 || r->status == 403) {
		poller_fail(
		    &g->p, true,
		    "%s: the gateway refused the token (HTTP %ld); check token_env/token_file",
		    g->url, r->status);
		return;
	}
	if (r->status != 200) {
		poller_fail(&g->p, false, "%s: HTTP %ld", g->url, r->status);
		return;
	}
	char next[CURSOR_CAP], why[256];
	int n = parse_page(g, r->body, r->len, next, why, sizeof why);
	if (n < 0) {
		poller_fail(&g->p, false, "%s: %s", g->url, why);
		return;
	}
	/* an empty page that moves nothing on needs no write */
	bool idle = g->nevs == 0 && strcmp(next, g->cursor) == 0;
	if (!idle && g->sink.page && g->sink.page(g->sink.ctx, g->p.name, g->evs, g->nevs, next)) {
		poller_fail(&g->p, false, "%s: could not store the page; will fetch it again",
		            g->p.name);
		return;
	}
	memcpy(g->cursor, next, sizeof g->cursor);
	g->events += g->nevs;
	g->caught_up = n < g->limit;
	if (g->caught_up || idle) {
		g->power = g->steps = g->pages = 0;
	} else if (cursor_cycles(g)) {
		poller_fail(
		    &g->p, true,
		    "%s: the cursor %.64s came back after %u pages: the gateway's cursors go "
		    "round in a circle, so reading stopped; its events up to here are stored",
		    g->url, g->cursor, g->pages);
		g->power = g->steps = g->pages = 0;
		return;
	}
	/* a gateway with nothing new is asked less often, up to a cap; any event brings the
	 * poll interval back at once (no event is lost: the cursor only waits) */
	g->idle_polls = g->nevs ? 0 : g->idle_polls + 1;
	g->interval_ms =
	    g->caught_up ? source_idle_ms(g->idle_polls, g->poll_ms, g->idle_max_ms) : 0;
	poller_ok(&g->p, g->interval_ms);
}

static void poll_now(poller *p)
{
	gateway *g = (gateway *)p;
	if (statedocs_poll(&g->sd, time_now_ms()))
		return;
	char url[2048], esc[3 * CURSOR_CAP];
	http_url_escape(g->cursor, esc, sizeof esc);
	snprintf(url, sizeof url, "%s/v1/events?cursor=%s&limit=%d", g->url, esc, g->limit);
	const char *headers[3] = {"Accept: application/json", g->auth, NULL};
	http_request req = {.url = url,
	                    .headers = headers,
	                    .timeout_ms = g->timeout_ms,
	                    .max_body = g->max_body,
	                    .insecure = g->insecure,
	                    .userpwd = g->userpwd};
	if (http_client_send(g->http, &req, on_answer, g)) {
		poller_fail(&g->p, false, "%s: could not start a request", g->url);
		return;
	}
	poller_sent(&g->p);
}

static void destroy(poller *p)
{
	gateway *g = (gateway *)p;
	free(g->url);
	poller_wipe(g->auth);
	poller_wipe(g->userpwd);
	free(g->evs);
	free(g);
}

gateway *gateway_new(uv_loop_t *loop, http_client *http, const gateway_opts *o, const char *cursor,
                     const source_sink *sink)
{
	gateway *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->http = http;
	g->sink = *sink;
	int url_rc = poller_url(o->url, &g->url, &g->userpwd);
	int auth_rc = poller_bearer(o->token, &g->auth);
	if (url_rc || !g->url || auth_rc ||
	    poller_init(&g->p, loop, o->name, poll_now, destroy, sink->state, sink->ctx)) {
		free(g->url);
		poller_wipe(g->auth);
		poller_wipe(g->userpwd);
		free(g);
		return NULL;
	}
	size_t ul = strlen(g->url);
	while (ul && g->url[ul - 1] == '/')
		g->url[--ul] = 0;
	g->poll_ms = o->poll_ms > 0 ? o->poll_ms : 2000;
	g->idle_max_ms = o->idle_max_ms > 0 ? o->idle_max_ms : 4 * g->poll_ms;
	g->limit = o->page_limit > 0 ? o->page_limit : 1000;
	g->timeout_ms = o->timeout_ms;
	g->max_body = o->max_body;
	g->insecure = o->insecure;
	snprintf(g->cursor, sizeof g->cursor, "%s", cursor ? cursor : "");
	statedocs_init(&g->sd, state_kinds,
	               o->state_ms < 0 ? 0 : sizeof state_kinds / sizeof state_kinds[0],
	               o->state_ms > 0 ? o->state_ms : GATEWAY_STATE_MS);
	g->sd.p = &g->p;
	g->sd.http = http;
	g->sd.sink = &g->sink;
	g->sd.base = g->url;
	g->sd.auth = g->auth;
	g->sd.userpwd = g->userpwd;
	g->sd.refused_auth = "the gateway refused the token";
	g->sd.timeout_ms = g->timeout_ms;
	g->sd.max_body = g->max_body;
	g->sd.insecure = g->insecure;
	return g;
}

void gateway_start(gateway *g)
{
	poller_start(&g->p);
}

void gateway_stop(gateway *g)
{
	poller_stop(&g->p);
}

void gateway_free(gateway *g)
{
	if (g)
		poller_free(&g->p);
}

source_state gateway_state(const gateway *g)
{
	return g->p.state;
}

bool gateway_caught_up(const gateway *g)
{
	return g->caught_up;
}

int64_t gateway_last_success_ms(const gateway *g)
{
	return g->p.last_success_ms;
}

const char *gateway_cursor(const gateway *g)
{
	return g->cursor;
}

uint64_t gateway_events(const gateway *g)
{
	return g->events;
}

int64_t gateway_interval_ms(const gateway *g)
{
	return g->interval_ms;
}

uint64_t gateway_state_rounds(const gateway *g)
{
	return g->sd.rounds;
}
