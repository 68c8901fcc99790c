/* The simulator's engine: backfilled history, live traffic in real time, the event log, stats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"
#include "tokentop/money.h"
#include "tokentop/timeutil.h"

#define DEFAULT_MAX_EVENTS (16ULL << 20)
#define MAX_RATE           10000.0
#define MAX_HISTORY_MS     (400LL * 86400000LL)
#define MAX_GAP_MS         3600000.0

static int64_t wall_clock(void *ctx)
{
	(void)ctx;
	return time_now_ms();
}

int64_t sim_now(sim *s)
{
	return s->o.clock(s->o.clock_ctx);
}

static uint64_t fnv1a(const char *str)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 0x100000001b3ULL;
	return h;
}

/* Every name gets a small id; the table never shrinks, so ids and strings stay valid. When it
 * is full a new name becomes "" (it takes thousands of distinct reroute targets to get there). */
uint16_t sim_intern(sim *s, const char *str)
{
	if (!*str)
		return 0;
	for (uint32_t i = (uint32_t)fnv1a(str) & (SIM_NAMES_INDEX - 1);;
	     i = (i + 1) & (SIM_NAMES_INDEX - 1)) {
		uint16_t e = s->name_index[i];
		if (e && strcmp(s->names[e - 1], str) == 0)
			return (uint16_t)(e - 1);
		if (e)
			continue;
		if (s->n_names >= SIM_NAMES_MAX)
			return 0;
		char *copy = strdup(str);
		if (!copy)
			return 0;
		uint16_t id = (uint16_t)s->n_names++;
		s->names[id] = copy;
		s->name_index[i] = (uint16_t)(id + 1);
		return id;
	}
}

const char *sim_name(const sim *s, uint16_t id)
{
	return id < s->n_names ? s->names[id] : "";
}

const sim_rec *sim_rec_at(const sim *s, uint64_t seq)
{
	uint64_t i = seq - 1;
	return &s->chunks[i >> REC_CHUNK_BITS][i & (REC_CHUNK - 1)];
}

static uint32_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int32_t clamp_ms(int64_t v)
{
	return v < 0 ? -1 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static void rec_fill(sim *s, sim_rec *r, const tt_event *ev)
{
	/* the workload's ids are 31 bytes; anything longer would not be one of its ids */
	size_t idlen = strnlen(ev->request_id, sizeof r->request_id - 1);
	memcpy(r->request_id, ev->request_id, idlen);
	r->request_id[idlen] = 0;
	r->ts_ms = ev->ts_ms;
	r->cost_nanos = ev->cost_nanos;
	r->input_tokens = clamp_u32(ev->input_tokens);
	r->output_tokens = clamp_u32(ev->output_tokens);
	r->cached_tokens = clamp_u32(ev->cached_tokens);
	r->latency_ms = clamp_ms(ev->latency_ms);
	r->ttft_ms = clamp_ms(ev->ttft_ms);
	r->retrieval_ms = clamp_ms(ev->retrieval_ms);
	r->queue_ms = clamp_ms(ev->queue_ms);
	const char *dims[DIM_COUNT] = {
	    [DIM_GATEWAY] = ev->gateway,     [DIM_TENANT] = ev->tenant,
	    [DIM_TEAM] = ev->team,           [DIM_USE_CASE] = ev->use_case,
	    [DIM_PROMPT_ID] = ev->prompt_id, [DIM_PROMPT_VERSION] = ev->prompt_version,
	    [DIM_PROVIDER] = ev->provider,   [DIM_MODEL] = ev->model,
	    [DIM_TIER] = ev->tier,
	};
	for (int i = 0; i < DIM_COUNT; i++)
		r->dim[i] = sim_intern(s, dims[i]);
	r->quality_milli = (int16_t)ev->quality_milli;
	r->status = (uint8_t)ev->status;
	r->cache = (uint8_t)ev->cache;
	r->outcome = (uint8_t)ev->outcome;
	r->cost_source = (uint8_t)ev->cost_source;
	r->flags = (uint8_t)((ev->elevated ? REC_ELEVATED : 0) | (ev->has_cost ? REC_HAS_COST : 0));
}

void sim_rec_event(const sim *s, const sim_rec *r, tt_event *ev)
{
	event_init(ev);
	memcpy(ev->request_id, r->request_id, sizeof r->request_id);
	ev->ts_ms = r->ts_ms;
	char *dims[DIM_COUNT] = {
	    [DIM_GATEWAY] = ev->gateway,     [DIM_TENANT] = ev->tenant,
	    [DIM_TEAM] = ev->team,           [DIM_USE_CASE] = ev->use_case,
	    [DIM_PROMPT_ID] = ev->prompt_id, [DIM_PROMPT_VERSION] = ev->prompt_version,
	    [DIM_PROVIDER] = ev->provider,   [DIM_MODEL] = ev->model,
	    [DIM_TIER] = ev->tier,
	};
	static const size_t caps[DIM_COUNT] = {
	    TT_NAME_CAP,    TT_NAME_CAP, TT_NAME_CAP,  TT_NAME_CAP, TT_NAME_CAP,
	    TT_VERSION_CAP, TT_NAME_CAP, TT_MODEL_CAP, TT_TIER_CAP,
	};
	for (int i = 0; i < DIM_COUNT; i++)
		snprintf(dims[i], caps[i], "%s", sim_name(s, r->dim[i]));
	ev->elevated = r->flags & REC_ELEVATED;
	ev->input_tokens = r->input_tokens;
	ev->output_tokens = r->output_tokens;
	ev->cached_tokens = r->cached_tokens;
	ev->latency_ms = r->latency_ms;
	ev->ttft_ms = r->ttft_ms;
	ev->retrieval_ms = r->retrieval_ms;
	ev->queue_ms = r->queue_ms;
	ev->status = (tt_status)r->status;
	ev->cache = (tt_cache)r->cache;
	ev->outcome = (tt_outcome)r->outcome;
	ev->quality_milli = r->quality_milli;
	ev->has_cost = r->flags & REC_HAS_COST;
	ev->cost_nanos = r->cost_nanos;
	ev->cost_source = (tt_cost_source)r->cost_source;
}

/* Prices the event, keeps it, counts it; false when the log is full. */
static bool emit(sim *s, tt_event *ev)
{
	uint64_t i = s->n_recs;
	if (i >= s->max_events || (i >> REC_CHUNK_BITS) >= REC_CHUNKS_MAX)
		return false;
	sim_rec **chunk = &s->chunks[i >> REC_CHUNK_BITS];
	if (!*chunk && !(*chunk = malloc(REC_CHUNK * sizeof **chunk)))
		return false;
	ratecard_price(s->o.card, ev);
	sim_rec *r = &(*chunk)[i & (REC_CHUNK - 1)];
	rec_fill(s, r, ev);
	s->n_recs++;
	metrics_count(s, r);
	return true;
}

static double next_gap_ms(sim *s, int64_t at)
{
	double lambda = s->o.rate * workload_intensity(s->w, at) / 1000.0;
	double u = sim_unit(&s->rng);
	double gap = lambda > 0 ? -log1p(-u) / lambda : MAX_GAP_MS;
	return gap < MAX_GAP_MS ? gap : MAX_GAP_MS;
}

void sim_advance(sim *s, int64_t now)
{
	while (s->o.rate > 0 && s->next_ms <= now && s->n_recs < s->max_events) {
		tt_event ev;
		int64_t at = s->next_ms;
		workload_event_at(s->w, at, &ev);
		controls_apply(s->ctl, s->n_ctl, &s->rt, s->o.card, &s->rng, &ev);
		if (!emit(s, &ev))
			break;
		s->next_ms = at + (int64_t)next_gap_ms(s, at);
	}
	for (size_t i = 0; i < s->n_ctl; i++) {
		sim_control *c = s->ctl[i];
		if (c->state == CTL_ACTIVE && c->expires_ms && c->expires_ms <= now) {
			c->state = CTL_EXPIRED;
			c->ended_ms = c->expires_ms;
			s->ctl_version++;
		}
	}
}

static int opts_check(const sim_opts *o, char *err, size_t errlen)
{
	char host[64];
	uint16_t port;
	bool v6;
	if (o->listen && sim_listen_parse(o->listen, host, sizeof host, &port, &v6)) {
		snprintf(err, errlen, "listen: '%s' is not HOST:PORT with a numeric or [IPv6] host",
		         o->listen);
		return -1;
	}
	if (!(o->rate >= 0 && o->rate <= MAX_RATE)) {
		snprintf(err, errlen, "rate: must be from 0 to %.0f requests a second", MAX_RATE);
		return -1;
	}
	if (o->history_ms < 0 || o->history_ms > MAX_HISTORY_MS) {
		snprintf(err, errlen, "history: must be from 0 to 400 days");
		return -1;
	}
	if (o->token && !*o->token) {
		snprintf(err, errlen, "token: empty");
		return -1;
	}
	if (o->has_scenario && (o->scenario < 0 || o->scenario >= WL_SCENARIO_COUNT)) {
		snprintf(err, errlen, "scenario: unknown");
		return -1;
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

sim *sim_new(const sim_opts *o, char *err, size_t errlen)
{
	if (opts_check(o, err, errlen))
		return NULL;
	sim *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	if (!s->o.clock)
		s->o.clock = wall_clock;
	s->listen = strdup(o->listen ? o->listen : "127.0.0.1:0");
	s->token = dup_or_null(o->token);
	s->version = strdup(o->version ? o->version : "dev");
	s->o.listen = s->listen;
	s->o.token = s->token;
	s->o.version = s->version;
	s->max_events = o->max_events ? o->max_events : DEFAULT_MAX_EVENTS;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->stop_cv, NULL);
	s->names[0] = strdup("");
	s->n_names = 1;
	s->start_ms = sim_now(s);
	uint64_t mix = s->start_ms ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s ^ o->seed;
	s->instance = sim_rand(&mix);
	s->rng = o->seed ^ 0x51a7e5eedULL;
	s->fault_rng = o->seed ^ 0xfa017ULL;
	routing_build(&s->rt, o->seed);
	for (int i = 0; i < s->rt.n; i++)
		for (int j = 0; j < s->rt.r[i].n; j++)
			if (strcmp(s->rt.r[i].t[j].provider, "vllm") == 0)
				metrics_add_vllm(s, s->rt.r[i].t[j].model);

	uint64_t events = (uint64_t)llround(o->rate * (double)o->history_ms / 1000.0);
	if (!s->version || !s->listen || !s->names[0] || (o->token && !s->token) || s->rt.n == 0) {
		snprintf(err, errlen, "out of memory");
		sim_free(s);
		return NULL;
	}
	if (events > s->max_events) {
		snprintf(err, errlen, "history: %llu events exceed the limit of %llu",
		         (unsigned long long)events, (unsigned long long)s->max_events);
		sim_free(s);
		return NULL;
	}
	int64_t span = o->history_ms > 0 ? o->history_ms : 60000;
	workload_opts wo = {.seed = o->seed,
	                    .start_ms = s->start_ms - span,
	                    .span_ms = span,
	                    .events = o->history_ms > 0 ? events : 0};
	s->w = workload_new(&wo);
	if (!s->w) {
		snprintf(err, errlen, "history: cannot lay out %lld ms before now",
		         (long long)span);
		sim_free(s);
		return NULL;
	}
	if (o->has_scenario)
		workload_set_scenario(s->w, o->scenario, s->start_ms + o->scenario_at_ms);
	tt_event ev;
	while (workload_next(s->w, &ev))
		if (!emit(s, &ev)) {
			snprintf(err, errlen, "out of memory for the history");
			sim_free(s);
			return NULL;
		}
	s->next_ms = s->start_ms + (int64_t)next_gap_ms(s, s->start_ms);
	return s;
}

void sim_free(sim *s)
{
	if (!s)
		return;
	sim_stop(s);
	workload_free(s->w);
	for (int i = 0; i < REC_CHUNKS_MAX && s->chunks[i]; i++)
		free(s->chunks[i]);
	for (uint32_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	for (size_t i = 0; i < s->n_ctl; i++)
		sim_control_free(s->ctl[i]);
	free(s->ctl);
	for (size_t i = 0; i < SIM_IDEM_MAX; i++)
		free(s->idem[i].body);
	free(s->series);
	pthread_cond_destroy(&s->stop_cv);
	pthread_mutex_destroy(&s->mu);
	free(s->listen);
	free(s->token);
	free(s->version);
	free(s);
}

typedef struct acc {
	int64_t events, cost, input, output, cached;
	int64_t status[TT_STATUS_COUNT], source[TT_COST_COUNT], source_cost[TT_COST_COUNT];
} acc;

static void acc_add(acc *a, const sim_rec *r)
{
	a->events++;
	a->cost += r->cost_nanos;
	a->input += r->input_tokens;
	a->output += r->output_tokens;
	a->cached += r->cached_tokens;
	if (r->status < TT_STATUS_COUNT)
		a->status[r->status]++;
	if (r->cost_source < TT_COST_COUNT) {
		a->source[r->cost_source]++;
		a->source_cost[r->cost_source] += r->cost_nanos;
	}
}

static json_t *acc_json(const acc *a)
{
	char usd[32];
	money_format(a->cost, usd, sizeof usd);
	json_t *st = json_object();
	for (int i = 0; i < TT_STATUS_COUNT; i++)
		json_object_set_new(st, event_status_name((tt_status)i),
		                    json_integer(a->status[i]));
	return json_pack(
	    "{s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "events",
	    (json_int_t)a->events, "cost_nanos", (json_int_t)a->cost, "cost_micros",
	    (json_int_t)money_micros_of(a->cost), "cost_usd", usd, "gateway_cost_micros",
	    (json_int_t)money_micros_of(a->source_cost[TT_COST_GATEWAY]), "card_cost_micros",
	    (json_int_t)money_micros_of(a->source_cost[TT_COST_CARD]), "unpriced_events",
	    (json_int_t)a->source[TT_COST_UNPRICED], "input_tokens", (json_int_t)a->input,
	    "output_tokens", (json_int_t)a->output, "cached_tokens", (json_int_t)a->cached,
	    "by_status", st);
}

static int by_name(const void *a, const void *b, void *ctx)
{
	return strcmp(sim_name(ctx, *(const uint16_t *)a), sim_name(ctx, *(const uint16_t *)b));
}

json_t *sim_stats_json(sim *s, uint64_t upto)
{
	acc total = {0};
	acc *uc = calloc(SIM_NAMES_MAX, sizeof *uc);
	uint16_t *ids = malloc(SIM_NAMES_MAX * sizeof *ids);
	if (!uc || !ids) {
		free(uc);
		free(ids);
		return NULL;
	}
	int64_t first = 0, last = 0;
	for (uint64_t seq = 1; seq <= upto; seq++) {
		const sim_rec *r = sim_rec_at(s, seq);
		acc_add(&total, r);
		acc_add(&uc[r->dim[DIM_USE_CASE]], r);
		if (seq == 1)
			first = r->ts_ms;
		last = r->ts_ms;
	}
	int n = 0;
	for (uint32_t i = 0; i < s->n_names; i++)
		if (uc[i].events)
			ids[n++] = (uint16_t)i;
	qsort_r(ids, (size_t)n, sizeof *ids, by_name, s);
	json_t *by_uc = json_object();
	for (int i = 0; i < n; i++)
		json_object_set_new(by_uc, sim_name(s, ids[i]), acc_json(&uc[ids[i]]));
	free(uc);
	free(ids);

	json_t *o = acc_json(&total);
	char cursor[SIM_CURSOR_CAP], t0[32], t1[32];
	sim_cursor_format(s->instance, upto, cursor, sizeof cursor);
	time_format_iso(first, t0, sizeof t0);
	time_format_iso(last, t1, sizeof t1);
	json_object_set_new(o, "cursor", json_string(cursor));
	json_object_set_new(o, "first_ts", upto ? json_string(t0) : json_null());
	json_object_set_new(o, "last_ts", upto ? json_string(t1) : json_null());
	json_object_set_new(o, "priced", json_boolean(s->o.card != NULL));
	json_object_set_new(o, "by_use_case", by_uc);
	json_object_set_new(o, "control_requests", json_integer((json_int_t)s->control_requests));
	return o;
}
