/* A LiteLLM proxy source: spend-log rows by sliding window; liveliness, spend, models, router. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "poller.h"
#include "statedoc.h"
#include "tokentop/litellm.h"
#include "tokentop/parse.h"
#include "tokentop/timeutil.h"

#define CURSOR_CAP    64
#define MAX_PAGES     50 /* more in one window: halve the window */
#define MIN_WINDOW_MS 60000

struct litellm_src {
	poller p; /* first */
	http_client *http;
	source_sink sink;
	char *url, *auth;
	litellm_opts o;
	statedocs sd;
	char cursor[CURSOR_CAP];
	/* the window being read */
	int64_t from_ms, to_ms, window_ms;
	int page, total_pages;
	bool caught_up;
	uint64_t events;
	tt_event *evs;
	size_t nevs, capevs;
};

void litellm_format_time(int64_t ms, char *buf, size_t cap)
{
	char iso[32];
	time_format_iso(ms, iso, sizeof iso);
	iso[10] = ' ';
	iso[19] = 0; /* drop the milliseconds and the Z */
	snprintf(buf, cap, "%s", iso);
}

static void collect(void *ctx, const tt_event *ev)
{
	litellm_src *s = ctx;
	if (s->nevs == s->capevs) {
		size_t cap = s->capevs ? s->capevs * 2 : 256;
		tt_event *n = realloc(s->evs, cap * sizeof *n);
		if (!n)
			return;
		s->evs = n;
		s->capevs = cap;
	}
	s->evs[s->nevs++] = *ev;
}

static void reject(void *ctx, int item, const char *reason)
{
	litellm_src *s = ctx;
	(void)item;
	if (s->sink.reject)
		s->sink.reject(s->sink.ctx, s->p.name, reason);
}

/* Picks the next window after the cursor (or the lookback) up to now. */
static void next_window(litellm_src *s)
{
	int64_t now = time_now_ms(), start;
	if (s->cursor[0] && time_parse_iso(s->cursor, strlen(s->cursor), &start) == 0)
		start -= s->o.overlap_ms;
	else
		start = now - s->o.lookback_ms;
	s->from_ms = start;
	s->to_ms = start + s->window_ms < now ? start + s->window_ms : now;
	s->page = 1;
	s->total_pages = 1;
	s->nevs = 0;
}

/* ---- the shapes of the state answers (reference: LiteLLM's proxy endpoints) ---- */

/* /health/liveliness answers the JSON string "I'm alive!" (an object on some builds) */
static const char *check_liveliness(const json_t *doc)
{
	return json_is_string(doc) || json_is_object(doc) ? NULL : "expected a string or object";
}

static const char *check_global_spend(const json_t *doc)
{
	json_t *mb = json_object_get(doc, "max_budget");
	if (!json_is_number(json_object_get(doc, "spend")) ||
	    (mb && !json_is_null(mb) && !json_is_number(mb)))
		return "expected {spend, max_budget}";
	return NULL;
}

static const char *check_model_info(const json_t *doc)
{
	json_t *data = json_object_get(doc, "data");
	if (!json_is_array(data))
		return "expected {data: [...]}";
	size_t i;
	json_t *m;
	json_array_foreach(data, i, m)
	{
		if (!json_is_string(json_object_get(m, "model_name")))
			return "a model without model_name";
	}
	return NULL;
}

static const char *check_router_settings(const json_t *doc)
{
	json_t *cv = json_object_get(doc, "current_values");
	if (!json_is_array(json_object_get(doc, "fields")) || (cv && !json_is_object(cv)))
		return "expected {fields: [...], current_values: {...}}";
	return NULL;
}

/* Never plain /health: it sends a real, billed request to every model. */
static const statedoc_kind state_kinds[] = {
    {"health", "/health/liveliness", check_liveliness, false},
    {"global_spend", "/global/spend", check_global_spend, false},
    {"model_info", "/model/info", check_model_info, false},
    {"router_settings", "/router/settings", check_router_settings, false},
};

static void send_page(poller *p);

static void on_answer(void *ctx, const http_response *r)
{
	litellm_src *s = ctx;
	if (!poller_answer(&s->p))
		return;
	if (r->error) {
		poller_fail(&s->p, false, "%s: %s", s->url, r->error);
		return;
	}
	if (r->status == 401 || r->status == 403) {
		poller_fail(
		    &s->p, true,
		    "%s: the proxy refused the master key (HTTP %ld); check token_env/token_file",
		    s->url, r->status);
		return;
	}
	if (r->status != 200) {
		poller_fail(&s->p, false, "%s: HTTP %ld from /spend/logs/ui", s->url, r->status);
		return;
	}
	json_error_t je;
	json_t *doc = json_loadb(r->body, r->len, 0, &je);
	json_t *data = doc ? json_object_get(doc, "data") : NULL;
	json_t *tp = doc ? json_object_get(doc, "total_pages") : NULL;
	if (!json_is_array(data) || (tp && !json_is_integer(tp))) {
		json_decref(doc);
		poller_fail(&s->p, false, "%s: malformed /spend/logs/ui page (%s)", s->url,
		            doc ? "expected {data: [...], total_pages}" : je.text);
		return;
	}
	s->total_pages = tp ? (int)json_integer_value(tp) : 1;
	json_decref(doc);
	if (s->total_pages > MAX_PAGES && s->window_ms / 2 >= MIN_WINDOW_MS) {
		/* too busy for one window: read a narrower one, from the same start */
		s->window_ms /= 2;
		s->to_ms = s->from_ms + s->window_ms;
		s->page = 1;
		s->nevs = 0;
		poller_schedule(&s->p, 0);
		return;
	}
	parse_sink sink = {collect, reject, s};
	parse_record(TT_FORMAT_LITELLM, r->body, r->len, &sink);
	if (s->page < s->total_pages) {
		s->page++;
		poller_schedule(&s->p, 0);
		return;
	}
	/* the window is read whole: store it with its end as the cursor */
	char cursor[CURSOR_CAP];
	time_format_iso(s->to_ms, cursor, sizeof cursor);
	if (s->sink.page && s->sink.page(s->sink.ctx, s->p.name, s->evs, s->nevs, cursor)) {
		poller_fail(&s->p, false, "%s: could not store the window; will read it again",
		            s->p.name);
		s->page = 1;
		s->nevs = 0;
		return;
	}
	memcpy(s->cursor, cursor, sizeof s->cursor);
	s->events += s->nevs;
	int64_t now = time_now_ms();
	s->caught_up = s->to_ms >= now - 1000;
	if (s->window_ms < s->o.window_ms)
		s->window_ms *= 2; /* quieter again: widen back */
	s->page = 0;
	poller_ok(&s->p, s->caught_up ? s->o.poll_ms : 0);
}

static void send_page(poller *p)
{
	litellm_src *s = (litellm_src *)p;
	/* state is read between windows, never in the middle of one */
	if (s->page == 0 && statedocs_poll(&s->sd, time_now_ms()))
		return;
	if (s->page == 0)
		next_window(s);
	char from[32], to[32], ef[96], et[96], url[2048];
	litellm_format_time(s->from_ms, from, sizeof from);
	litellm_format_time(s->to_ms, to, sizeof to);
	http_url_escape(from, ef, sizeof ef);
	http_url_escape(to, et, sizeof et);
	snprintf(url, sizeof url, "%s/spend/logs/ui?start_date=%s&end_date=%s&page=%d&page_size=%d",
	         s->url, ef, et, s->page, s->o.page_size);
	const char *headers[3] = {"Accept: application/json", s->auth, NULL};
	http_request req = {.url = url,
	                    .headers = headers,
	                    .timeout_ms = s->o.timeout_ms,
	                    .max_body = s->o.max_body,
	                    .insecure = s->o.insecure};
	if (http_client_send(s->http, &req, on_answer, s)) {
		poller_fail(&s->p, false, "%s: could not start a request", s->url);
		return;
	}
	poller_sent(&s->p);
}

static void destroy(poller *p)
{
	litellm_src *s = (litellm_src *)p;
	free(s->url);
	poller_wipe(s->auth);
	free(s->evs);
	free(s);
}

litellm_src *litellm_new(uv_loop_t *loop, http_client *http, const litellm_opts *o,
                         const char *cursor, const source_sink *sink)
{
	litellm_src *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->http = http;
	s->sink = *sink;
	s->o = *o;
	s->o.name = s->o.url = s->o.token = NULL; /* copied below; o's strings are the caller's */
	if (s->o.poll_ms <= 0)
		s->o.poll_ms = 10000;
	if (s->o.overlap_ms <= 0)
		s->o.overlap_ms = 15 * 60000;
	if (s->o.lookback_ms <= 0)
		s->o.lookback_ms = 24 * 3600000LL;
	if (s->o.window_ms <= 0)
		s->o.window_ms = 3600000;
	if (s->o.page_size <= 0 || s->o.page_size > 100)
		s->o.page_size = 100;
	s->window_ms = s->o.window_ms;
	s->url = strdup(o->url);
	int auth_rc = poller_bearer(o->token, &s->auth);
	if (!s->url || auth_rc ||
	    poller_init(&s->p, loop, o->name, send_page, destroy, sink->state, sink->ctx)) {
		free(s->url);
		poller_wipe(s->auth);
		free(s);
		return NULL;
	}
	size_t ul = strlen(s->url);
	while (ul && s->url[ul - 1] == '/')
		s->url[--ul] = 0;
	snprintf(s->cursor, sizeof s->cursor, "%s", cursor ? cursor : "");
	statedocs_init(&s->sd, state_kinds,
	               s->o.state_ms < 0 ? 0 : sizeof state_kinds / sizeof state_kinds[0],
	               s->o.state_ms > 0 ? s->o.state_ms : LITELLM_STATE_MS);
	s->sd.p = &s->p;
	s->sd.http = http;
	s->sd.sink = &s->sink;
	s->sd.base = s->url;
	s->sd.auth = s->auth;
	s->sd.refused_auth = "the proxy refused the master key";
	s->sd.timeout_ms = s->o.timeout_ms;
	s->sd.max_body = s->o.max_body;
	s->sd.insecure = s->o.insecure;
	return s;
}

void litellm_start(litellm_src *s)
{
	poller_start(&s->p);
}

void litellm_stop(litellm_src *s)
{
	poller_stop(&s->p);
}

void litellm_free(litellm_src *s)
{
	if (s)
		poller_free(&s->p);
}

source_state litellm_state(const litellm_src *s)
{
	return s->p.state;
}

bool litellm_caught_up(const litellm_src *s)
{
	return s->caught_up;
}

const char *litellm_cursor(const litellm_src *s)
{
	return s->cursor;
}

uint64_t litellm_events(const litellm_src *s)
{
	return s->events;
}

uint64_t litellm_state_rounds(const litellm_src *s)
{
	return s->sd.rounds;
}
