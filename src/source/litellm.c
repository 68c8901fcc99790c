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
#define SWEEP_MIN_MS  (5 * 60000) /* a re-read waits until this much has aged */

struct litellm_src {
	poller p; /* first */
	http_client *http;
	source_sink sink;
	char *url, *auth, *userpwd;
	litellm_opts o;
	statedocs sd;
	char cursor[CURSOR_CAP];
	/* the window being read */
	int64_t from_ms, to_ms, window_ms;
	int page, total_pages;
	bool caught_up;
	/* The re-read sweep: everything before sweep_ms was read once more when reread_ms old. It
	 * starts reread_ms before the cursor found at start (floor_ms) and reads up to it at once;
	 * past it, it jumps to jump_to, reread_ms before the start, since older rows were all
	 * written when the forward read saw them. */
	bool forward_done; /* the forward read reached now */
	bool sweeping;     /* the window being read is the sweep's: the cursor does not move */
	int64_t sweep_ms, floor_ms, jump_at, jump_to;
	uint64_t events;
	tt_event *evs;
	size_t nevs, capevs;
	/* Rows are read more than once (the overlap, the sweep): a refused or odd row is passed on
	 * once, by a fingerprint of its bytes and the reason, remembered in a table cleared when
	 * three quarters full. */
	uint64_t row_hash;
	uint64_t *seen;
	size_t nseen;
};

#define SEEN_SLOTS (1u << 16)

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

/* true the first time (row, what) is seen */
static bool first_time(litellm_src *s, const char *what)
{
	if (!s->seen && !(s->seen = calloc(SEEN_SLOTS, sizeof *s->seen)))
		return true;
	uint64_t h = fnv(s->row_hash, what, strlen(what)) | 1; /* 0 marks a free slot */
	if (s->nseen >= SEEN_SLOTS / 4 * 3) {
		memset(s->seen, 0, SEEN_SLOTS * sizeof *s->seen);
		s->nseen = 0;
	}
	for (size_t i = h & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1)) {
		if (s->seen[i] == h)
			return false;
		if (!s->seen[i]) {
			s->seen[i] = h;
			s->nseen++;
			return true;
		}
	}
}

static void row(void *ctx, int item, const char *raw, size_t len)
{
	litellm_src *s = ctx;
	(void)item;
	s->row_hash = fnv(0xcbf29ce484222325ULL, raw, len);
}

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
	if (s->sink.reject && first_time(s, reason))
		s->sink.reject(s->sink.ctx, s->p.name, reason);
}

static void note(void *ctx, int item, const char *what)
{
	litellm_src *s = ctx;
	(void)item;
	if (s->sink.note && first_time(s, what))
		s->sink.note(s->sink.ctx, s->p.name, what);
}

static int64_t cursor_ms(const litellm_src *s)
{
	int64_t c;
	if (s->cursor[0] && time_parse_iso(s->cursor, strlen(s->cursor), &c) == 0)
		return c;
	return s->o.since_ms;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Where the sweep may read to: what is reread_ms old, and at least the cursor found at start,
 * so that every start (a cron's sync --once) reads the last reread_ms once more. */
static int64_t sweep_limit(const litellm_src *s, int64_t now)
{
	int64_t aged = now - s->o.reread_ms;
	return aged > s->floor_ms ? aged : s->floor_ms;
}

/* The sweep has time to re-read: the stretch from start, or enough that has aged. */
static bool sweep_due(const litellm_src *s, int64_t now)
{
	return s->sweep_ms < s->floor_ms || sweep_limit(s, now) - s->sweep_ms >= SWEEP_MIN_MS;
}

/* Picks the next window: the sweep's when it is due and the forward read is caught up, else
 * from the overlap before the cursor to at most window_ms past it. The end never falls before
 * the cursor, so a narrowed window cannot move the cursor back. */
static void next_window(litellm_src *s)
{
	int64_t now = time_now_ms(), c = cursor_ms(s);
	s->sweeping = s->forward_done && sweep_due(s, now);
	if (s->sweeping) {
		s->from_ms = s->sweep_ms;
		s->to_ms = min64(s->sweep_ms + s->window_ms, sweep_limit(s, now));
	} else {
		s->from_ms = s->cursor[0] ? c - s->o.overlap_ms : c;
		s->to_ms = min64(c + s->window_ms, now);
	}
	s->page = 1;
	s->total_pages = 1;
	s->nevs = 0;
}

/* The sweep's window is read and stored: move past it. */
static void sweep_advance(litellm_src *s)
{
	s->sweep_ms = s->to_ms;
	if (s->sweep_ms >= s->jump_at && s->jump_to > s->sweep_ms)
		s->sweep_ms = s->jump_to;
}

/* ---- the shapes of the state answers (reference: LiteLLM's proxy endpoints) ---- */

/* /health/liveliness answers the JSON string "I'm alive!" (an object on some builds) */
static const char *check_liveliness(const json_t *doc)
{
	return json_is_string(doc) || json_is_object(doc) ? NULL : "expected a string or object";
}

static const char *check_global_spend(const json_t *doc)
{
	json_t *mb = json_object_get(doc, "max_budget"), *sp = json_object_get(doc, "spend");
	if (!sp || (!json_is_null(sp) && !json_is_number(sp)) ||
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
		s->to_ms = s->sweeping ? s->from_ms + s->window_ms
		                       : min64(cursor_ms(s) + s->window_ms, s->to_ms);
		s->page = 1;
		s->nevs = 0;
		poller_schedule(&s->p, 0);
		return;
	}
	parse_sink sink = {collect, reject, s, note, row};
	parse_record(TT_FORMAT_LITELLM, r->body, r->len, &sink);
	if (s->page < s->total_pages) {
		s->page++;
		poller_schedule(&s->p, 0);
		return;
	}
	/* the window is read whole: store it with its end as the cursor (the sweep's leaves the
	 * cursor where it is) */
	char cursor[CURSOR_CAP];
	if (s->sweeping)
		snprintf(cursor, sizeof cursor, "%s", s->cursor);
	else
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
	if (s->sweeping) {
		sweep_advance(s);
		s->forward_done = false; /* a forward read between two sweep windows */
	} else
		s->forward_done = s->to_ms >= now - 1000;
	s->caught_up = s->forward_done && !sweep_due(s, now);
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
	litellm_src *s = (litellm_src *)p;
	free(s->url);
	poller_wipe(s->auth);
	poller_wipe(s->userpwd);
	free(s->evs);
	free(s->seen);
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
	if (s->o.reread_ms <= 0)
		s->o.reread_ms = LITELLM_REREAD_MS;
	int64_t now = time_now_ms();
	if (s->o.since_ms <= 0)
		s->o.since_ms = time_month_start(now);
	if (s->o.window_ms <= 0)
		s->o.window_ms = 3600000;
	if (s->o.page_size <= 0 || s->o.page_size > 100)
		s->o.page_size = 100;
	s->window_ms = s->o.window_ms;
	int url_rc = poller_url(o->url, &s->url, &s->userpwd);
	int auth_rc = poller_bearer(o->token, &s->auth);
	if (url_rc || !s->url || auth_rc ||
	    poller_init(&s->p, loop, o->name, send_page, destroy, sink->state, sink->ctx)) {
		free(s->url);
		poller_wipe(s->auth);
		poller_wipe(s->userpwd);
		free(s);
		return NULL;
	}
	size_t ul = strlen(s->url);
	while (ul && s->url[ul - 1] == '/')
		s->url[--ul] = 0;
	snprintf(s->cursor, sizeof s->cursor, "%s", cursor ? cursor : "");
	int64_t c = cursor_ms(s);
	s->floor_ms = s->cursor[0] ? c : INT64_MIN;
	s->jump_at = s->cursor[0] ? c : INT64_MAX;
	s->jump_to = now - s->o.reread_ms;
	if (s->cursor[0])
		s->sweep_ms = c - s->o.reread_ms;
	else /* a first read: what is older than reread_ms now was all written */
		s->sweep_ms = c > s->jump_to ? c : s->jump_to;
	statedocs_init(&s->sd, state_kinds,
	               s->o.state_ms < 0 ? 0 : sizeof state_kinds / sizeof state_kinds[0],
	               s->o.state_ms > 0 ? s->o.state_ms : LITELLM_STATE_MS);
	s->sd.p = &s->p;
	s->sd.http = http;
	s->sd.sink = &s->sink;
	s->sd.base = s->url;
	s->sd.auth = s->auth;
	s->sd.userpwd = s->userpwd;
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
