/* A gateway source (tokentop dialect): pages GET /v1/events by cursor on the libuv loop. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/gateway.h"
#include "tokentop/parse.h"
#include "tokentop/timeutil.h"

#define CURSOR_CAP 512
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 60000

struct gateway {
	uv_loop_t *loop;
	http_client *http;
	uv_timer_t timer;
	gateway_sink sink;
	char *name, *url, *auth;
	long poll_ms, timeout_ms;
	int limit;
	size_t max_body;
	bool insecure;
	char cursor[CURSOR_CAP];
	bool running, in_flight, freed, caught_up;
	source_state state;
	unsigned failures;
	uint64_t rng;
	int64_t last_success_ms;
	uint64_t events;
	/* the page being parsed */
	tt_event *evs;
	size_t nevs, capevs;
};

static void poll_now(gateway *g);

static void set_state(gateway *g, source_state st, const char *detail)
{
	if (st == g->state && st == SRC_OK)
		return;
	g->state = st;
	if (g->sink.state)
		g->sink.state(g->sink.ctx, g->name, st, detail);
}

static void on_timer(uv_timer_t *t)
{
	poll_now(t->data);
}

static void schedule(gateway *g, int64_t ms)
{
	if (g->running && !g->freed)
		uv_timer_start(&g->timer, on_timer, (uint64_t)(ms > 0 ? ms : 0), 0);
}

static void fail(gateway *g, bool auth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(gateway *g, bool auth, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	g->failures++;
	set_state(g, auth || g->failures >= SOURCE_DOWN_AFTER ? SRC_DOWN : SRC_DEGRADED, detail);
	schedule(g, source_backoff_ms(g->failures + (auth ? 4 : 0), BACKOFF_BASE_MS,
				      BACKOFF_CAP_MS, &g->rng));
}

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
		g->sink.reject(g->sink.ctx, g->name, reason);
}

/* Parses {"events":[...],"next_cursor":"..."}; -1 with why on a malformed page. */
static int parse_page(gateway *g, const char *body, size_t len, char *next, char *why,
		      size_t whylen)
{
	json_error_t je;
	json_t *doc = json_loadb(body, len, 0, &je);
	if (!doc) {
		snprintf(why, whylen, "malformed answer (%s at byte %d)", je.text, je.position);
		return -1;
	}
	json_t *events = json_object_get(doc, "events");
	json_t *cur = json_object_get(doc, "next_cursor");
	if (!json_is_array(events) || !json_is_string(cur) ||
	    json_string_length(cur) >= CURSOR_CAP) {
		snprintf(why, whylen, "malformed answer: expected {events: [...], next_cursor}");
		json_decref(doc);
		return -1;
	}
	snprintf(next, CURSOR_CAP, "%s", json_string_value(cur));
	g->nevs = 0;
	parse_sink sink = {collect, reject, g};
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		char *text = json_dumps(ev, JSON_COMPACT);
		if (!text) {
			reject(g, (int)i, "out of memory");
			continue;
		}
		parse_record(TT_FORMAT_NATIVE, text, strlen(text), &sink);
		free(text);
	}
	size_t n = json_array_size(events);
	json_decref(doc);
	return (int)(n > (size_t)INT32_MAX ? INT32_MAX : n);
}

static void on_answer(void *ctx, const http_response *r)
{
	gateway *g = ctx;
	g->in_flight = false;
	if (g->freed) {
		gateway_free(g);
		return;
	}
	if (!g->running)
		return;
	if (r->error) {
		fail(g, false, "%s: %s", g->url, r->error);
		return;
	}
	if (r->status == 401 || r->status == 403) {
		fail(g, true, "%s: the gateway refused the token (HTTP %ld); check token_env/token_file",
		     g->url, r->status);
		return;
	}
	if (r->status != 200) {
		fail(g, false, "%s: HTTP %ld", g->url, r->status);
		return;
	}
	char next[CURSOR_CAP], why[256];
	int n = parse_page(g, r->body, r->len, next, why, sizeof why);
	if (n < 0) {
		fail(g, false, "%s: %s", g->url, why);
		return;
	}
	if (g->sink.page && g->sink.page(g->sink.ctx, g->name, g->evs, g->nevs, next)) {
		fail(g, false, "%s: could not store the page; will fetch it again", g->name);
		return;
	}
	memcpy(g->cursor, next, sizeof g->cursor);
	g->events += g->nevs;
	g->failures = 0;
	g->last_success_ms = time_now_ms();
	g->caught_up = n < g->limit;
	set_state(g, SRC_OK, "");
	schedule(g, g->caught_up ? g->poll_ms : 0);
}

static void poll_now(gateway *g)
{
	if (!g->running || g->in_flight || g->freed)
		return;
	char url[2048], esc[3 * CURSOR_CAP];
	size_t o = 0;
	for (const char *p = g->cursor; *p && o + 4 < sizeof esc; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~')
			esc[o++] = (char)ch;
		else
			o += (size_t)snprintf(esc + o, sizeof esc - o, "%%%02X", ch);
	}
	esc[o] = 0;
	snprintf(url, sizeof url, "%s/v1/events?cursor=%s&limit=%d", g->url, esc, g->limit);
	const char *headers[3] = {"Accept: application/json", g->auth, NULL};
	http_request req = {.url = url,
			    .headers = headers,
			    .timeout_ms = g->timeout_ms,
			    .max_body = g->max_body,
			    .insecure = g->insecure};
	if (http_client_send(g->http, &req, on_answer, g)) {
		fail(g, false, "%s: could not start a request", g->url);
		return;
	}
	g->in_flight = true;
}

gateway *gateway_new(uv_loop_t *loop, http_client *http, const gateway_opts *o,
		     const char *cursor, const gateway_sink *sink)
{
	gateway *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->loop = loop;
	g->http = http;
	g->sink = *sink;
	g->name = strdup(o->name);
	g->url = strdup(o->url);
	if (o->token && *o->token) {
		size_t n = strlen(o->token) + 32;
		g->auth = malloc(n);
		if (g->auth)
			snprintf(g->auth, n, "Authorization: Bearer %s", o->token);
	}
	if (!g->name || !g->url || (o->token && *o->token && !g->auth)) {
		free(g->name);
		free(g->url);
		free(g->auth);
		free(g);
		return NULL;
	}
	size_t ul = strlen(g->url);
	while (ul && g->url[ul - 1] == '/')
		g->url[--ul] = 0;
	g->poll_ms = o->poll_ms > 0 ? o->poll_ms : 2000;
	g->limit = o->page_limit > 0 ? o->page_limit : 1000;
	g->timeout_ms = o->timeout_ms;
	g->max_body = o->max_body;
	g->insecure = o->insecure;
	g->rng = (uint64_t)(uintptr_t)g ^ (uint64_t)time_now_ms();
	snprintf(g->cursor, sizeof g->cursor, "%s", cursor ? cursor : "");
	g->state = SRC_STARTING;
	uv_timer_init(loop, &g->timer);
	g->timer.data = g;
	return g;
}

void gateway_start(gateway *g)
{
	g->running = true;
	schedule(g, 0);
}

void gateway_stop(gateway *g)
{
	g->running = false;
	uv_timer_stop(&g->timer);
}

static void free_gateway(uv_handle_t *h)
{
	gateway *g = h->data;
	free(g->name);
	free(g->url);
	if (g->auth) {
		memset(g->auth, 0, strlen(g->auth)); /* the token does not outlive the source */
		free(g->auth);
	}
	free(g->evs);
	free(g);
}

void gateway_free(gateway *g)
{
	if (!g)
		return;
	gateway_stop(g);
	g->freed = true;
	if (g->in_flight)
		return; /* on_answer finishes the job */
	uv_close((uv_handle_t *)&g->timer, free_gateway);
}

source_state gateway_state(const gateway *g)
{
	return g->state;
}

bool gateway_caught_up(const gateway *g)
{
	return g->caught_up;
}

int64_t gateway_last_success_ms(const gateway *g)
{
	return g->last_success_ms;
}

const char *gateway_cursor(const gateway *g)
{
	return g->cursor;
}

uint64_t gateway_events(const gateway *g)
{
	return g->events;
}
