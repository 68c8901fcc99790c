/* The v1 admin API over HTTP: one route table, auth, faults, idempotency, libmicrohttpd glue. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "sim_internal.h"
#include "tokentop/timeutil.h"

#define BODY_MAX       (64 * 1024)
#define LIMIT_DEFAULT  500
#define LIMIT_MAX      5000
#define OVERSIZE_BYTES (8u << 20)
#define JSON_TYPE      "application/json"
#define METRICS_TYPE   "text/plain; version=0.0.4; charset=utf-8"

typedef void (*handler)(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                        int64_t now);

static void h_health(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now);
static void h_events(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now);
static void h_stats(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now);
static void h_routing(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now);
static void h_controls(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                       int64_t now);
static void h_control_post(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                           int64_t now);
static void h_control_get(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                          int64_t now);
static void h_control_delete(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                             int64_t now);
static void h_metrics(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now);

enum { R_MUTATES = 1, R_NO_FAULTS = 2 };

/* A trailing "*" in a path matches one non-empty segment, passed to the handler as id. */
static const struct {
	const char *method, *path;
	handler fn;
	unsigned flags;
} routes[] = {
    {"GET", "/v1/health", h_health, 0},
    {"GET", "/v1/events", h_events, 0},
    {"GET", "/v1/stats", h_stats, R_NO_FAULTS},
    {"GET", "/v1/routing", h_routing, 0},
    {"GET", "/v1/controls", h_controls, 0},
    {"POST", "/v1/controls", h_control_post, R_MUTATES},
    {"GET", "/v1/controls/*", h_control_get, 0},
    {"DELETE", "/v1/controls/*", h_control_delete, R_MUTATES},
    {"GET", "/metrics", h_metrics, 0},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static const char *path_match(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);
	if (pattern[n - 1] != '*')
		return strcmp(pattern, path) == 0 ? "" : NULL;
	if (strncmp(pattern, path, n - 1) != 0)
		return NULL;
	const char *id = path + n - 1;
	return *id && !strchr(id, '/') ? id : NULL;
}

static void add_header(sim_response *rs, const char *name, const char *value)
{
	if (rs->n_headers == SIM_HEADERS_MAX)
		return;
	rs->headers[rs->n_headers].name = name;
	snprintf(rs->headers[rs->n_headers].value, sizeof rs->headers[0].value, "%s", value);
	rs->n_headers++;
}

static void reply_json(sim_response *rs, int status, json_t *o)
{
	rs->status = status;
	rs->content_type = JSON_TYPE;
	rs->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!rs->body) {
		rs->status = 500;
		rs->body =
		    strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
	}
	rs->len = rs->body ? strlen(rs->body) : 0;
}

static json_t *error_json(const char *code, const char *message)
{
	return json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
}

static void reply_error(sim_response *rs, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reply_error(sim_response *rs, int status, const char *code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reply_json(rs, status, error_json(code, msg));
}

static void etag_of(const sim *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "\"c%llu\"", (unsigned long long)s->ctl_version);
}

/* An If-Match value: "*", or the current tag (quotes and a weak W/ prefix optional). */
static bool etag_matches(const char *given, const char *current)
{
	while (*given == ' ')
		given++;
	if (strcmp(given, "*") == 0)
		return true;
	if (strncmp(given, "W/", 2) == 0)
		given += 2;
	size_t n = strlen(given);
	while (n && given[n - 1] == ' ')
		n--;
	if (n >= 2 && given[0] == '"' && given[n - 1] == '"') {
		given++;
		n -= 2;
	}
	return n == strlen(current) - 2 && memcmp(given, current + 1, n) == 0;
}

static json_t *active_controls(const sim *s, bool all)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n_ctl; i++)
		if (all || s->ctl[i]->state == CTL_ACTIVE)
			json_array_append_new(a, control_json(s->ctl[i]));
	return a;
}

static void h_health(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now)
{
	(void)rq;
	(void)id;
	char t[32], started[32];
	time_format_iso(now, t, sizeof t);
	time_format_iso(s->start_ms, started, sizeof started);
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:f}", "gateway", "tokentop-sim", "version",
	              s->version, "time", t, "started_at", started, "events", (json_int_t)s->n_recs,
	              "full", s->n_recs >= s->max_events, "rate", s->o.rate);
	json_object_set_new(o, "scenario",
	                    s->o.has_scenario ? json_string(workload_scenario_name(s->o.scenario))
	                                      : json_null());
	reply_json(rs, 200, o);
}

/* A cursor argument: absent or empty is the beginning; 0 or -1 (answered with a 400). */
static int take_cursor(sim *s, const sim_request *rq, sim_response *rs, uint64_t *seq)
{
	const char *c = rq->arg ? rq->arg(rq->ctx, "cursor") : NULL;
	*seq = 0;
	if (!c || !*c)
		return 0;
	if (sim_cursor_parse(c, s->instance, seq) || *seq > s->n_recs) {
		reply_error(rs, 400, "bad_cursor",
		            "cursor: unknown or malformed (cursors name a position in one "
		            "simulator run; start again without one)");
		return -1;
	}
	return 0;
}

static void h_events(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now)
{
	(void)id;
	(void)now;
	uint64_t from;
	if (take_cursor(s, rq, rs, &from))
		return;
	const char *l = rq->arg ? rq->arg(rq->ctx, "limit") : NULL;
	uint64_t limit = LIMIT_DEFAULT;
	if (l) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(l, &end, 10);
		if (*l < '0' || *l > '9' || *end || errno || v < 1) {
			reply_error(rs, 400, "bad_limit", "limit: must be an integer from 1 to %d",
			            LIMIT_MAX);
			return;
		}
		limit = v > LIMIT_MAX ? LIMIT_MAX : v;
	}
	uint64_t n = s->n_recs - from < limit ? s->n_recs - from : limit;
	sbuf b = {0};
	sb_puts(&b, "{\"events\":[\n");
	char line[16384];
	tt_event ev;
	for (uint64_t seq = from + 1; seq <= from + n; seq++) {
		sim_rec_event(s, sim_rec_at(s, seq), &ev);
		size_t len = event_write_json(&ev, line, sizeof line);
		if (len >= sizeof line)
			continue; /* cannot happen: an event line is at most 8 KiB */
		sb_put(&b, line, len - 1);
		sb_puts(&b, seq < from + n ? ",\n" : "\n");
	}
	char cursor[SIM_CURSOR_CAP];
	sim_cursor_format(s->instance, from + n, cursor, sizeof cursor);
	sb_printf(&b, "],\"next_cursor\":\"%s\",\"has_more\":%s}\n", cursor,
	          from + n < s->n_recs ? "true" : "false");
	if (b.oom) {
		free(b.p);
		reply_error(rs, 500, "internal", "out of memory");
		return;
	}
	rs->status = 200;
	rs->content_type = JSON_TYPE;
	rs->body = b.p;
	rs->len = b.len;
}

static void h_stats(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now)
{
	(void)id;
	(void)now;
	uint64_t upto;
	const char *c = rq->arg ? rq->arg(rq->ctx, "cursor") : NULL;
	if (take_cursor(s, rq, rs, &upto))
		return;
	if (!c || !*c)
		upto = s->n_recs;
	reply_json(rs, 200, sim_stats_json(s, upto));
}

static void h_routing(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now)
{
	(void)rq;
	(void)id;
	reply_json(rs, 200, routing_json(&s->rt, s->ctl, s->n_ctl, now));
}

static void with_etag(const sim *s, sim_response *rs, json_t *o)
{
	char etag[32];
	etag_of(s, etag, sizeof etag);
	json_object_set_new(o, "etag", json_string(etag));
	add_header(rs, "ETag", etag);
}

static void h_controls(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now)
{
	(void)id;
	(void)now;
	const char *state = rq->arg ? rq->arg(rq->ctx, "state") : NULL;
	if (state && strcmp(state, "all") != 0 && strcmp(state, "active") != 0) {
		reply_error(rs, 400, "bad_state", "state: must be active or all");
		return;
	}
	char etag[32];
	etag_of(s, etag, sizeof etag);
	const char *inm = rq->header ? rq->header(rq->ctx, "If-None-Match") : NULL;
	if (inm && etag_matches(inm, etag)) {
		rs->status = 304;
		add_header(rs, "ETag", etag);
		return;
	}
	json_t *o =
	    json_pack("{s:o}", "controls", active_controls(s, state && strcmp(state, "all") == 0));
	with_etag(s, rs, o);
	reply_json(rs, 200, o);
}

static sim_control *find_control(sim *s, const char *id)
{
	for (size_t i = 0; i < s->n_ctl; i++)
		if (strcmp(s->ctl[i]->id, id) == 0)
			return s->ctl[i];
	return NULL;
}

static void h_control_get(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                          int64_t now)
{
	(void)rq;
	(void)now;
	sim_control *c = find_control(s, id);
	if (!c) {
		reply_error(rs, 404, "not_found", "no control %.64s", id);
		return;
	}
	reply_json(rs, 200, json_pack("{s:o}", "control", control_json(c)));
}

/* Reroute targets without a tier take the card's, else the catalogue's. */
static void fill_tiers(const sim *s, sim_control *c)
{
	for (int i = 0; i < c->n_targets; i++) {
		sim_target *t = &c->targets[i];
		if (t->tier[0])
			continue;
		const char *tier = ratecard_model_tier(s->o.card, t->provider, t->model);
		for (int j = 0; !tier && j < s->rt.n; j++)
			for (int k = 0; !tier && k < s->rt.r[j].n; k++)
				if (strcmp(s->rt.r[j].t[k].provider, t->provider) == 0 &&
				    strcmp(s->rt.r[j].t[k].model, t->model) == 0)
					tier = s->rt.r[j].t[k].tier;
		if (tier)
			snprintf(t->tier, sizeof t->tier, "%s", tier);
	}
}

static void h_control_post(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                           int64_t now)
{
	(void)id;
	char err[400];
	if (s->n_ctl >= SIM_CONTROLS_MAX) {
		reply_error(rs, 409, "too_many_controls", "at most %d controls per run",
		            SIM_CONTROLS_MAX);
		return;
	}
	sim_control *c =
	    sim_control_parse(rq->body ? rq->body : "", rq->body_len, now, err, sizeof err);
	if (!c) {
		reply_error(rs, 400, "invalid_control", "%s", err);
		return;
	}
	sim_control **grown = realloc(s->ctl, (s->n_ctl + 1) * sizeof *grown);
	if (!grown) {
		sim_control_free(c);
		reply_error(rs, 500, "internal", "out of memory");
		return;
	}
	s->ctl = grown;
	fill_tiers(s, c);
	snprintf(c->id, sizeof c->id, "ctl-%llu", (unsigned long long)++s->ctl_seq);
	for (int i = 0; i < c->n_targets; i++)
		if (strcmp(c->targets[i].provider, "vllm") == 0)
			metrics_add_vllm(s, c->targets[i].model);
	s->ctl[s->n_ctl++] = c;
	s->ctl_version++;
	char location[64];
	snprintf(location, sizeof location, "/v1/controls/%s", c->id);
	add_header(rs, "Location", location);
	json_t *o = json_pack("{s:o, s:o}", "control", control_json(c), "controls",
	                      active_controls(s, false));
	with_etag(s, rs, o);
	reply_json(rs, 201, o);
}

static void h_control_delete(sim *s, const sim_request *rq, sim_response *rs, const char *id,
                             int64_t now)
{
	(void)rq;
	sim_control *c = find_control(s, id);
	if (!c) {
		reply_error(rs, 404, "not_found", "no control %.64s", id);
		return;
	}
	if (c->state != CTL_ACTIVE) {
		json_t *o = error_json("gone", c->state == CTL_EXPIRED ? "the control has expired"
		                                                       : "the control was lifted");
		json_object_set_new(o, "control", control_json(c));
		with_etag(s, rs, o);
		reply_json(rs, 410, o);
		return;
	}
	c->state = CTL_LIFTED;
	c->ended_ms = now;
	s->ctl_version++;
	json_t *o = json_pack("{s:o, s:o}", "control", control_json(c), "controls",
	                      active_controls(s, false));
	with_etag(s, rs, o);
	reply_json(rs, 200, o);
}

static void h_metrics(sim *s, const sim_request *rq, sim_response *rs, const char *id, int64_t now)
{
	(void)rq;
	(void)id;
	sbuf b = {0};
	metrics_write(s, now, &b);
	if (b.oom) {
		free(b.p);
		reply_error(rs, 500, "internal", "out of memory");
		return;
	}
	rs->status = 200;
	rs->content_type = METRICS_TYPE;
	rs->body = b.p;
	rs->len = b.len;
}

static uint64_t fingerprint(const sim_request *rq)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = {rq->method, "\n", rq->path, "\n"};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	for (size_t i = 0; i < rq->body_len; i++)
		h = (h ^ (unsigned char)rq->body[i]) * 0x100000001b3ULL;
	return h;
}

static idem_entry *idem_find(sim *s, const char *key)
{
	for (size_t i = 0; i < SIM_IDEM_MAX; i++)
		if (s->idem[i].key[0] && strcmp(s->idem[i].key, key) == 0)
			return &s->idem[i];
	return NULL;
}

/* Keeps a successful answer for replays; the oldest entry makes room. */
static void idem_store(sim *s, const char *key, uint64_t fp, const sim_response *rs)
{
	idem_entry *e = &s->idem[s->idem_next];
	s->idem_next = (s->idem_next + 1) % SIM_IDEM_MAX;
	free(e->body);
	memset(e, 0, sizeof *e);
	e->body = malloc(rs->len ? rs->len : 1);
	if (!e->body)
		return;
	memcpy(e->body, rs->body, rs->len);
	e->len = rs->len;
	snprintf(e->key, sizeof e->key, "%s", key);
	e->fingerprint = fp;
	e->status = rs->status;
	for (int i = 0; i < rs->n_headers; i++) {
		if (strcmp(rs->headers[i].name, "ETag") == 0)
			snprintf(e->etag, sizeof e->etag, "%s", rs->headers[i].value);
		if (strcmp(rs->headers[i].name, "Location") == 0)
			snprintf(e->location, sizeof e->location, "%s", rs->headers[i].value);
	}
}

static bool key_ok(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n >= sizeof((idem_entry *)0)->key)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return false;
	return true;
}

/* Idempotency and preconditions around a change; true when the handler should run. */
static bool mutation_guard(sim *s, const sim_request *rq, sim_response *rs, const char **key)
{
	*key = rq->header ? rq->header(rq->ctx, "Idempotency-Key") : NULL;
	if (*key && !key_ok(*key)) {
		reply_error(rs, 400, "bad_idempotency_key",
		            "Idempotency-Key: 1 to 255 printable ASCII characters");
		return false;
	}
	if (*key) {
		idem_entry *e = idem_find(s, *key);
		if (e && e->fingerprint != fingerprint(rq)) {
			reply_error(rs, 422, "idempotency_key_reused",
			            "Idempotency-Key was used for a different request");
			return false;
		}
		if (e) {
			rs->status = e->status;
			rs->content_type = JSON_TYPE;
			rs->body = malloc(e->len ? e->len : 1);
			if (rs->body)
				memcpy(rs->body, e->body, e->len);
			rs->len = rs->body ? e->len : 0;
			if (e->etag[0])
				add_header(rs, "ETag", e->etag);
			if (e->location[0])
				add_header(rs, "Location", e->location);
			add_header(rs, "Idempotent-Replayed", "true");
			return false;
		}
	}
	const char *im = rq->header ? rq->header(rq->ctx, "If-Match") : NULL;
	char etag[32];
	etag_of(s, etag, sizeof etag);
	if (im && !etag_matches(im, etag)) {
		json_t *o = error_json("precondition_failed",
		                       "If-Match does not match the current controls");
		with_etag(s, rs, o);
		reply_json(rs, 412, o);
		return false;
	}
	return true;
}

static bool authorized(const sim *s, const sim_request *rq)
{
	if (!s->token)
		return true;
	const char *h = rq->header ? rq->header(rq->ctx, "Authorization") : NULL;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return sim_token_equal(h, strlen(h), s->token, strlen(s->token));
}

void sim_handle(sim *s, const sim_request *rq, sim_response *rs)
{
	memset(rs, 0, sizeof *rs);
	rs->content_type = JSON_TYPE;
	add_header(rs, "Cache-Control", "no-store");
	pthread_mutex_lock(&s->mu);
	int64_t now = sim_now(s);
	if (!authorized(s, rq)) {
		add_header(rs, "WWW-Authenticate", "Bearer realm=\"tokentop-sim\"");
		reply_error(rs, 401, "unauthorized", "a valid bearer token is required");
		goto out;
	}
	size_t r = 0;
	const char *id = NULL;
	bool path_known = false;
	for (; r < N_ROUTES; r++) {
		const char *m = path_match(routes[r].path, rq->path);
		path_known |= m != NULL;
		if (m && strcmp(routes[r].method, rq->method) == 0) {
			id = m;
			break;
		}
	}
	if (r == N_ROUTES) {
		if (path_known)
			reply_error(rs, 405, "method_not_allowed", "%.16s is not allowed on %.200s",
			            rq->method, rq->path);
		else
			reply_error(rs, 404, "not_found", "no such endpoint: %.200s", rq->path);
		goto out;
	}
	if (routes[r].flags & R_MUTATES)
		s->control_requests++; /* so tests can prove that none were sent */
	sim_fault fault = SIM_FAULT_NONE;
	if (!(routes[r].flags & R_NO_FAULTS))
		fault =
		    sim_faults_pick(&s->o.faults, (uint32_t)(sim_rand(&s->fault_rng) % 1000000));
	if (fault == SIM_FAULT_5XX) {
		reply_error(rs, 500, "internal", "simulated fault");
		goto out;
	}
	sim_advance(s, now);
	const char *key = NULL;
	if (routes[r].flags & R_MUTATES && !mutation_guard(s, rq, rs, &key))
		goto out;
	routes[r].fn(s, rq, rs, id, now);
	if (key && rs->status >= 200 && rs->status < 300)
		idem_store(s, key, fingerprint(rq), rs);
	rs->fault = fault;
	if (fault == SIM_FAULT_SLOW)
		rs->delay_ms = 1000 + (int)(sim_rand(&s->fault_rng) % 4000);
out:
	pthread_mutex_unlock(&s->mu);
}

void sim_response_free(sim_response *rs)
{
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
}

void sim_pause(sim *s, int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->stopping && pthread_cond_timedwait(&s->stop_cv, &s->mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->mu);
}

typedef struct conn {
	sbuf body;
	bool too_large;
} conn;

static const char *mhd_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *mhd_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* Applies the transport faults, then sends. */
static enum MHD_Result transmit(sim *s, struct MHD_Connection *c, sim_response *rs)
{
	switch (rs->fault) {
	case SIM_FAULT_DROP:
		sim_response_free(rs);
		return MHD_NO;
	case SIM_FAULT_SLOW:
		sim_pause(s, rs->delay_ms);
		break;
	case SIM_FAULT_TRUNCATE:
		/* half the body, and never at a line's end: a cut that fell just after a newline
		 * would look whole to a line-based reader, whatever the day's counters make the
		 * length */
		rs->len /= 2;
		while (rs->len > 1 && rs->body[rs->len - 1] == '\n')
			rs->len--;
		break;
	case SIM_FAULT_OVERSIZE: {
		char *big = realloc(rs->body, rs->len + OVERSIZE_BYTES);
		if (big) {
			memset(big + rs->len, ' ', OVERSIZE_BYTES);
			rs->body = big;
			rs->len += OVERSIZE_BYTES;
		}
		break;
	}
	default:
		break;
	}
	struct MHD_Response *r =
	    rs->len ? MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE)
	            : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		sim_response_free(rs);
		return MHD_NO;
	}
	if (rs->len)
		rs->body = NULL; /* MHD owns it now */
	sim_response_free(rs);
	if (rs->status != 304)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
	for (int i = 0; i < rs->n_headers; i++)
		MHD_add_response_header(r, rs->headers[i].name, rs->headers[i].value);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	(void)version;
	sim *s = cls;
	conn *st = *con_cls;
	if (!st) {
		st = calloc(1, sizeof *st);
		*con_cls = st;
		return st ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (st->body.len + *upload_size > BODY_MAX)
			st->too_large = true;
		else
			sb_put(&st->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	sim_response rs;
	if (st->too_large || st->body.oom) {
		memset(&rs, 0, sizeof rs);
		reply_error(&rs, 413, "too_large", "request bodies are limited to %d bytes",
		            BODY_MAX);
	} else {
		sim_request rq = {method, url, mhd_arg, mhd_header, c, st->body.p, st->body.len};
		sim_handle(s, &rq, &rs);
	}
	return transmit(s, c, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	conn *st = *con_cls;
	if (st) {
		free(st->body.p);
		free(st);
	}
	*con_cls = NULL;
}

int sim_start(sim *s, char *err, size_t errlen)
{
	char host[64];
	uint16_t port;
	bool v6;
	if (sim_listen_parse(s->listen, host, sizeof host, &port, &v6)) {
		snprintf(err, errlen, "listen: '%s' is not HOST:PORT", s->listen);
		return -1;
	}
	struct sockaddr_in sa4 = {0};
	struct sockaddr_in6 sa6 = {0};
	struct sockaddr *sa;
	if (v6) {
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons(port);
		inet_pton(AF_INET6, host, &sa6.sin6_addr);
		sa = (struct sockaddr *)&sa6;
	} else {
		sa4.sin_family = AF_INET;
		sa4.sin_port = htons(port);
		inet_pton(AF_INET, host, &sa4.sin_addr);
		sa = (struct sockaddr *)&sa4;
	}
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0);
	s->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	                             sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
	                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not permitted)",
		         s->listen);
		return -1;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	return 0;
}

uint16_t sim_port(const sim *s)
{
	return s->port;
}

void sim_stop(sim *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->stop_cv);
	pthread_mutex_unlock(&s->mu);
	if (s->daemon) {
		MHD_stop_daemon(s->daemon);
		s->daemon = NULL;
	}
}
