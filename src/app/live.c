/* The live sources on one loop, storing what they read: what tokentop sync and the console run. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/gateway.h"
#include "tokentop/ingest.h"
#include "tokentop/litellm.h"
#include "tokentop/live.h"
#include "tokentop/scrape.h"
#include "tokentop/tally.h"
#include "tokentop/timeutil.h"

/* The kinds of event source, behind one table of operations. */
typedef struct events_kind {
	void *(*make)(uv_loop_t *loop, http_client *http, const live_events_opts *o,
	              const char *cursor, const source_sink *sink);
	void (*start)(void *s);
	void (*stop)(void *s);
	void (*free)(void *s);
	bool (*caught_up)(const void *s);
	uint64_t (*events)(const void *s);
	const char *(*cursor)(const void *s);
} events_kind;

static void *make_gateway(uv_loop_t *loop, http_client *http, const live_events_opts *p,
                          const char *cursor, const source_sink *sink)
{
	gateway_opts o = {.name = p->name,
	                  .url = p->url,
	                  .token = p->token,
	                  .poll_ms = (long)p->poll_ms,
	                  .page_limit = p->page_limit,
	                  .state_ms = (long)p->state_ms};
	return gateway_new(loop, http, &o, cursor, sink);
}

static void *make_litellm(uv_loop_t *loop, http_client *http, const live_events_opts *p,
                          const char *cursor, const source_sink *sink)
{
	litellm_opts o = {.name = p->name,
	                  .url = p->url,
	                  .token = p->token,
	                  .poll_ms = (long)p->poll_ms,
	                  .state_ms = (long)p->state_ms,
	                  .since_ms = p->since_ms,
	                  .reread_ms = p->reread_ms};
	return litellm_new(loop, http, &o, cursor, sink);
}

/* Adapters from each source's typed functions to the table's void pointers. */
#define SOURCE_OPS(pfx, T)                                                                         \
	static void pfx##_start_op(void *s)                                                        \
	{                                                                                          \
		pfx##_start(s);                                                                    \
	}                                                                                          \
	static void pfx##_stop_op(void *s)                                                         \
	{                                                                                          \
		pfx##_stop(s);                                                                     \
	}                                                                                          \
	static void pfx##_free_op(void *s)                                                         \
	{                                                                                          \
		pfx##_free(s);                                                                     \
	}                                                                                          \
	static bool pfx##_caught_up_op(const void *s)                                              \
	{                                                                                          \
		return pfx##_caught_up((const T *)s);                                              \
	}                                                                                          \
	static uint64_t pfx##_events_op(const void *s)                                             \
	{                                                                                          \
		return pfx##_events((const T *)s);                                                 \
	}                                                                                          \
	static const char *pfx##_cursor_op(const void *s)                                          \
	{                                                                                          \
		return pfx##_cursor((const T *)s);                                                 \
	}

SOURCE_OPS(gateway, gateway)
SOURCE_OPS(litellm, litellm_src)

#define KIND(pfx)                                                                                  \
	{                                                                                          \
		make_##pfx, pfx##_start_op, pfx##_stop_op, pfx##_free_op, pfx##_caught_up_op,      \
		    pfx##_events_op, pfx##_cursor_op                                               \
	}

static const events_kind kinds[] = {KIND(gateway), KIND(litellm)};

typedef enum { LIVE_EVENTS, LIVE_SCRAPE, LIVE_PROM } live_type;

/* One source and what the screens show of it. */
typedef struct live_src {
	live_type type;
	const events_kind *kind; /* LIVE_EVENTS */
	void *h;
	char *name;
	char *token; /* kept for the life of the source, wiped on free */
	bool production;
	source_state state;
	int64_t last_ok_ms;
	tally *rejects, *notes; /* LIVE_EVENTS: rows refused and rows kept with odd values */
	uint64_t stored, read;  /* LIVE_EVENTS: new events stored, rows read (re-reads too) */
} live_src;

struct live {
	uv_loop_t *loop;
	store *st;
	http_client *http; /* made with the first source, as is in: a console on the cache alone */
	ingest *in;        /* carries neither libcurl's TLS nor an ingest's tables */
	ingest_opts io;
	live_src src[LIVE_MAX_SOURCES];
	size_t n;
	live_state_fn on_state;
	void *state_ctx;
	bool store_failed;
	uint64_t busy; /* writes given up because another process held the lock */
	uint64_t scrapes;
	source_sink sink;
	scrape_sink ssink;
	promsrc_sink psink;
};

static live_src *find(live *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->src[i].name, name))
			return &l->src[i];
	return NULL;
}

static void mark_ok(live *l, const char *name)
{
	live_src *s = find(l, name);
	if (s)
		s->last_ok_ms = time_now_ms();
}

/* A write that failed. Another process holding the lock (tokentop ingest, a second sync) is
 * waited for only briefly, so that a console's loop does not stall: what was written is
 * rolled back, and the source, whose cursor did not move, fetches the same data again at
 * its next poll. Any other failure stops the writing. */
static int write_failed(live *l)
{
	if (store_busy(l->st)) {
		if (l->in)
			ingest_abandon(l->in);
		else if (store_in_txn(l->st))
			store_rollback(l->st);
		l->busy++;
		return -1;
	}
	l->store_failed = true;
	return -1;
}

static int on_page(void *ctx, const char *source, tt_event *evs, size_t n, const char *cursor)
{
	live *l = ctx;
	uint64_t before = ingest_stats_get(l->in)->accepted;
	for (size_t i = 0; i < n; i++)
		if (ingest_event(l->in, &evs[i]) < 0) /* 1: refused, named, and passed over */
			return write_failed(l);
	if (ingest_commit(l->in, source, cursor))
		return write_failed(l);
	live_src *s = find(l, source);
	if (s) {
		s->stored += ingest_stats_get(l->in)->accepted - before;
		s->read += n;
	}
	mark_ok(l, source);
	return 0;
}

#define KEEP_INFERENCE_MS (8 * 86400000LL)

static int on_samples(void *ctx, const char *source, const scrape_sample *v, size_t n)
{
	live *l = ctx;
	if (store_begin(l->st))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		tt_inference x = {.source = source,
		                  .model_name = v[i].model_name,
		                  .ts_ms = v[i].ts_ms,
		                  .requests_running = v[i].requests_running,
		                  .requests_waiting = v[i].requests_waiting,
		                  .kv_cache_usage = v[i].kv_cache_usage,
		                  .prompt_tokens_total = v[i].prompt_tokens_total,
		                  .generation_tokens_total = v[i].generation_tokens_total,
		                  .ttft = v[i].ttft,
		                  .ttft_len = v[i].nttft * sizeof *v[i].ttft};
		if (store_inference_add(l->st, &x))
			goto fail;
	}
	if (++l->scrapes % 1000 == 0)
		store_inference_prune(l->st, time_now_ms() - KEEP_INFERENCE_MS);
	if (store_commit(l->st))
		goto fail;
	mark_ok(l, source);
	return 0;
fail:
	if (!store_busy(l->st) && store_in_txn(l->st))
		store_rollback(l->st);
	return write_failed(l);
}

static int on_query(void *ctx, const char *source, const char *series, const promq_result *r)
{
	live *l = ctx;
	if (store_begin(l->st))
		goto fail;
	for (size_t i = 0; i < r->nseries; i++)
		for (size_t k = 0; k < r->series[i].npoints; k++)
			if (store_metric_add(l->st, source, series, r->series[i].labels,
			                     r->series[i].points[k].ts_ms,
			                     r->series[i].points[k].value))
				goto fail;
	if (store_commit(l->st))
		goto fail;
	mark_ok(l, source);
	return 0;
fail:
	if (!store_busy(l->st) && store_in_txn(l->st))
		store_rollback(l->st);
	return write_failed(l);
}

/* A state endpoint's answer (health, routing, controls...), kept as the gateway sent it. */
static int on_gwstate(void *ctx, const char *source, const char *kind, const char *body, size_t len,
                      const char *etag)
{
	live *l = ctx;
	(void)len;
	int64_t now = time_now_ms();
	if (!body) {
		int rc = store_gwstate_touch(l->st, source, kind, now);
		return rc < 0 ? -1 : 0;
	}
	return store_gwstate_put(l->st, source, kind, body, etag, now);
}

/* A row of a live page that did not parse, or was kept with an odd value: counted by reason,
 * said once in the totals (live_print_totals), never a line per row. */
static void on_reject(void *ctx, const char *source, const char *reason)
{
	live_src *s = find(ctx, source);
	if (s)
		tally_add(s->rejects, reason, NULL);
}

static void on_note(void *ctx, const char *source, const char *what)
{
	live_src *s = find(ctx, source);
	if (s)
		tally_add(s->notes, what, NULL);
}

static void on_state(void *ctx, const char *source, source_state st, const char *detail)
{
	live *l = ctx;
	live_src *s = find(l, source);
	if (s) {
		s->state = st;
		if (st == SRC_OK)
			s->last_ok_ms = time_now_ms();
	}
	if (l->on_state)
		l->on_state(l->state_ctx, source, st, detail);
}

live *live_new(uv_loop_t *loop, store *st, const ratecard *card, FILE *errors)
{
	live *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->loop = loop;
	l->st = st;
	l->io = (ingest_opts){.card = card, .errors = errors};
	l->sink = (source_sink){.page = on_page,
	                        .reject = on_reject,
	                        .note = on_note,
	                        .state = on_state,
	                        .gwstate = on_gwstate,
	                        .ctx = l};
	l->ssink = (scrape_sink){on_samples, on_state, l};
	l->psink = (promsrc_sink){on_query, on_state, l};
	return l;
}

void live_on_state(live *l, live_state_fn fn, void *ctx)
{
	l->on_state = fn;
	l->state_ctx = ctx;
}

/* Claims the next slot for name; NULL (err set) when full, taken or out of memory. */
static live_src *claim(live *l, live_type t, const char *name, const char *token, char *err,
                       size_t errlen)
{
	if (l->n == LIVE_MAX_SOURCES) {
		snprintf(err, errlen, "at most %d sources", LIVE_MAX_SOURCES);
		return NULL;
	}
	if (find(l, name)) {
		snprintf(err, errlen, "two sources are named '%s'; names must differ", name);
		return NULL;
	}
	if (!l->http && !(l->http = http_client_new(l->loop))) {
		snprintf(err, errlen, "cannot start the HTTP client");
		return NULL;
	}
	if (!l->in && !(l->in = ingest_new(l->st, &l->io))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	live_src *s = &l->src[l->n];
	memset(s, 0, sizeof *s);
	s->type = t;
	s->state = SRC_STARTING;
	s->name = strdup(name);
	s->token = strdup(token ? token : "");
	if (!s->name || !s->token) {
		free(s->name);
		free(s->token);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

static void release(live_src *s)
{
	if (s->token) {
		memset(s->token, 0, strlen(s->token)); /* tokens do not linger */
		free(s->token);
	}
	free(s->name);
	s->token = s->name = NULL;
	tally_free(s->rejects);
	tally_free(s->notes);
	s->rejects = s->notes = NULL;
}

int live_add_events(live *l, const live_events_opts *o, char *err, size_t errlen)
{
	live_src *s = claim(l, LIVE_EVENTS, o->name, o->token, err, errlen);
	if (!s)
		return -1;
	char cursor[512];
	if (store_cursor_get(l->st, o->name, cursor, sizeof cursor) < 0) {
		snprintf(err, errlen, "%s: cannot read its cursor: %s", o->name,
		         store_errmsg(l->st));
		release(s);
		return -1;
	}
	s->rejects = tally_new();
	s->notes = tally_new();
	if (!s->rejects || !s->notes) {
		snprintf(err, errlen, "out of memory");
		release(s);
		return -1;
	}
	live_events_opts copy = *o;
	copy.name = s->name;
	copy.token = *s->token ? s->token : NULL;
	s->kind = &kinds[o->litellm];
	s->production = o->production;
	s->h = s->kind->make(l->loop, l->http, &copy, cursor, &l->sink);
	if (!s->h) {
		snprintf(err, errlen, "out of memory");
		release(s);
		return -1;
	}
	l->n++;
	s->kind->start(s->h);
	return 0;
}

int live_add_scrape(live *l, const char *name, const char *url, prom_kind kind, const char *token,
                    int64_t interval_ms, char *err, size_t errlen)
{
	live_src *s = claim(l, LIVE_SCRAPE, name, token, err, errlen);
	if (!s)
		return -1;
	scrape_opts so = {.name = s->name,
	                  .url = url,
	                  .kind = kind,
	                  .token = *s->token ? s->token : NULL,
	                  .interval_ms = (long)interval_ms};
	s->h = scrape_new(l->loop, l->http, &so, &l->ssink);
	if (!s->h) {
		snprintf(err, errlen, "out of memory");
		release(s);
		return -1;
	}
	l->n++;
	scrape_start(s->h);
	return 0;
}

int live_add_prometheus(live *l, const char *name, const char *url, const char *token,
                        const promsrc_query *q, size_t nq, int64_t interval_ms, char *err,
                        size_t errlen)
{
	live_src *s = claim(l, LIVE_PROM, name, token, err, errlen);
	if (!s)
		return -1;
	promsrc_opts po = {.name = s->name,
	                   .url = url,
	                   .token = *s->token ? s->token : NULL,
	                   .queries = q,
	                   .nqueries = nq,
	                   .interval_ms = (long)interval_ms};
	s->h = promsrc_new(l->loop, l->http, &po, &l->psink);
	if (!s->h) {
		snprintf(err, errlen, "out of memory");
		release(s);
		return -1;
	}
	l->n++;
	promsrc_start(s->h);
	return 0;
}

int live_add_config(live *l, const tt_config *cfg, int64_t state_ms, char *err, size_t errlen)
{
	char token[4096], why[1024];
	int rc = 0;
	for (size_t i = 0; !rc && i < cfg->ngateways; i++) {
		const gateway_spec *g = &cfg->gateways[i];
		if (config_token(g->token_env, g->token_file, token, sizeof token, why,
		                 sizeof why)) {
			snprintf(err, errlen, "[gateway %s]: %s", g->name, why);
			rc = -1;
			break;
		}
		live_events_opts o = {.name = g->name,
		                      .url = g->url,
		                      .token = token,
		                      .litellm = g->dialect == GATEWAY_LITELLM,
		                      .poll_ms = g->poll_ms,
		                      .state_ms = state_ms ? state_ms : g->state_ms,
		                      .page_limit = (int)g->page_limit,
		                      .production = g->production,
		                      .reread_ms = g->reread_ms};
		if (g->since[0])
			time_parse_since(g->since, time_now_ms(), &o.since_ms);
		if (live_add_events(l, &o, why, sizeof why)) {
			snprintf(err, errlen, "[gateway %s]: %s", g->name, why);
			rc = -1;
		}
	}
	for (size_t i = 0; !rc && i < cfg->nscrapes; i++) {
		const scrape_spec *sc = &cfg->scrapes[i];
		if (config_token(sc->token_env, sc->token_file, token, sizeof token, why,
		                 sizeof why) ||
		    live_add_scrape(l, sc->name, sc->url, (prom_kind)sc->kind, token,
		                    sc->interval_ms, why, sizeof why)) {
			snprintf(err, errlen, "[scrape %s]: %s", sc->name, why);
			rc = -1;
		}
	}
	for (size_t i = 0; !rc && i < cfg->nprometheus; i++) {
		const prometheus_spec *ps = &cfg->prometheus[i];
		/* the queries are the section's own strings: they live as long as cfg */
		static const char *const series[] = {"spend_rate", "request_rate", "latency_p95"};
		promsrc_query *q = calloc(3, sizeof *q);
		if (!q) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		const char *promql[] = {ps->spend_rate, ps->request_rate, ps->latency_p95};
		for (int k = 0; k < 3; k++)
			q[k] = (promsrc_query){series[k], promql[k]};
		if (config_token(ps->token_env, ps->token_file, token, sizeof token, why,
		                 sizeof why) ||
		    live_add_prometheus(l, ps->name, ps->url, token, q, 3, ps->interval_ms, why,
		                        sizeof why)) {
			snprintf(err, errlen, "[prometheus %s]: %s", ps->name, why);
			rc = -1;
		}
		/* promsrc copies what it keeps; the array itself is not needed after */
		free(q);
	}
	memset(token, 0, sizeof token);
	return rc;
}

size_t live_count(const live *l)
{
	return l->n;
}

bool live_caught_up(const live *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const live_src *s = &l->src[i];
		switch (s->type) {
		case LIVE_EVENTS:
			if (!s->kind->caught_up(s->h))
				return false;
			break;
		case LIVE_SCRAPE:
			if (!scrape_count(s->h))
				return false;
			break;
		case LIVE_PROM:
			if (!promsrc_rounds(s->h))
				return false;
			break;
		}
	}
	return true;
}

bool live_store_failed(const live *l)
{
	return l->store_failed;
}

void live_print_totals(const live *l, FILE *out, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++) {
		const live_src *s = &l->src[i];
		if (s->type != LIVE_EVENTS)
			continue;
		fprintf(out, "%s%s: %llu new events stored (%llu rows read), cursor %s\n", prefix,
		        s->name, (unsigned long long)s->stored, (unsigned long long)s->read,
		        s->kind->cursor(s->h));
		char heading[256];
		snprintf(heading, sizeof heading, "%s%s: rows rejected", prefix, s->name);
		tally_write(s->rejects, out, heading);
		snprintf(heading, sizeof heading, "%s%s: rows kept with odd values", prefix,
		         s->name);
		tally_write(s->notes, out, heading);
	}
}

size_t live_health(void *ctx, view_source_health *out, size_t cap)
{
	const live *l = ctx;
	for (size_t i = 0; i < l->n && i < cap; i++)
		out[i] = (view_source_health){
		    .name = l->src[i].name,
		    .state = l->src[i].state,
		    .last_ok_ms = l->src[i].last_ok_ms,
		    .production = l->src[i].production,
		    .catching_up =
		        l->src[i].type == LIVE_EVENTS && !l->src[i].kind->caught_up(l->src[i].h),
		    .rejected = l->src[i].rejects ? tally_total(l->src[i].rejects) : 0,
		    .odd = l->src[i].notes ? tally_total(l->src[i].notes) : 0};
	return l->n;
}

void live_stop(live *l)
{
	for (size_t i = 0; i < l->n; i++) {
		live_src *s = &l->src[i];
		if (s->type == LIVE_EVENTS)
			s->kind->stop(s->h);
		else if (s->type == LIVE_SCRAPE)
			scrape_stop(s->h);
		else
			promsrc_stop(s->h);
	}
}

void live_free(live *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		live_src *s = &l->src[i];
		if (s->type == LIVE_EVENTS)
			s->kind->free(s->h);
		else if (s->type == LIVE_SCRAPE)
			scrape_free(s->h);
		else
			promsrc_free(s->h);
		release(s);
	}
	if (l->http)
		http_client_free(l->http);
	if (l->in)
		ingest_free(l->in);
	free(l);
}
