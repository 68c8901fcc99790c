/* Internals shared by the simulator's files: engine state, records, routing, controls. */
#ifndef TOKENTOP_SIM_INTERNAL_H
#define TOKENTOP_SIM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>

#include <jansson.h>

#include "tokentop/sim.h"

#define SIM_NAMES_MAX     4096 /* distinct strings over all event fields; id 0 is "" */
#define SIM_NAMES_INDEX   8192 /* hash slots, a power of two */
#define REC_CHUNK_BITS    16
#define REC_CHUNK         (1u << REC_CHUNK_BITS)
#define REC_CHUNKS_MAX    4096 /* 268M events */
#define SIM_CONTROLS_MAX  4096
#define SIM_IDEM_MAX      1024
#define SIM_VLLM_MAX      16
#define SIM_TARGETS_MAX   8
#define SIM_TEXT_CAP      512
#define SIM_ROUTES_MAX    32
#define SIM_ROUTE_TARGETS 16

enum {
	DIM_GATEWAY,
	DIM_TENANT,
	DIM_TEAM,
	DIM_USE_CASE,
	DIM_PROMPT_ID,
	DIM_PROMPT_VERSION,
	DIM_PROVIDER,
	DIM_MODEL,
	DIM_TIER,
	DIM_COUNT
};

enum { REC_ELEVATED = 1, REC_HAS_COST = 2 };

/* One emitted event, compact (the simulator keeps every one it served). */
typedef struct sim_rec {
	char request_id[32];
	int64_t ts_ms;
	int64_t cost_nanos; /* final: the gateway's when given, else the card's */
	uint32_t input_tokens, output_tokens, cached_tokens;
	int32_t latency_ms, ttft_ms, retrieval_ms, queue_ms;
	uint16_t dim[DIM_COUNT];
	int16_t quality_milli;
	uint8_t status, cache, outcome, flags, cost_source;
} sim_rec;

/* A growing string for answers. */
typedef struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
} sbuf;

void sb_put(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* splitmix64: the simulator's own draws (never the workload's stream). */
static inline uint64_t sim_rand(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double sim_unit(uint64_t *st)
{
	return (double)(sim_rand(st) >> 11) * (1.0 / 9007199254740992.0);
}

/* Model tiers from small to large; -1 for a name it does not know. */
int tier_rank(const char *tier);
const char *tier_name(int rank);

/* The routing catalogue: per use case the targets the workload sends requests to. */
typedef struct route_target {
	char provider[TT_NAME_CAP];
	char model[TT_MODEL_CAP];
	char tier[TT_TIER_CAP];
	bool elevated;
	int64_t count; /* how often the sample drew it */
} route_target;

typedef struct route {
	char use_case[TT_NAME_CAP];
	route_target t[SIM_ROUTE_TARGETS];
	int n;
	int64_t total;
} route;

typedef struct routing {
	route r[SIM_ROUTES_MAX];
	int n;
} routing;

void routing_build(routing *rt, uint64_t seed);
const route *routing_find(const routing *rt, const char *use_case);
/* Where a degrade to tier rank `rank` sends a request of use_case; NULL: nowhere smaller. */
const route_target *routing_degrade_target(const routing *rt, const char *use_case, int rank);

typedef enum { CTL_ACTIVE, CTL_EXPIRED, CTL_LIFTED, CTL_STATE_COUNT } control_state;

typedef enum {
	CK_KILL_SWITCH,
	CK_THROTTLE,
	CK_CACHE_TTL,
	CK_REROUTE,
	CK_DEGRADE,
	CK_DISABLE_TOOL,
	CK_COUNT
} control_kind;

enum {
	SCOPE_GATEWAY,
	SCOPE_TENANT,
	SCOPE_TEAM,
	SCOPE_USE_CASE,
	SCOPE_PROVIDER,
	SCOPE_MODEL,
	SCOPE_TOOL,
	SCOPE_COUNT
};

typedef struct sim_target {
	char provider[TT_NAME_CAP];
	char model[TT_MODEL_CAP];
	char tier[TT_TIER_CAP];
	int64_t weight;
} sim_target;

struct sim_control {
	char id[32];
	control_kind kind;
	char scope[SCOPE_COUNT][TT_MODEL_CAP]; /* "" matches anything */
	double rps;                            /* throttle; 0: no request limit */
	int64_t tokens_per_minute;             /* throttle; 0: no token limit */
	int64_t ttl_s;                         /* cache_ttl */
	char tier[TT_TIER_CAP];                /* degrade; "": one tier down */
	char tool[TT_NAME_CAP];                /* disable_tool */
	sim_target targets[SIM_TARGETS_MAX];   /* reroute */
	int n_targets;
	char reason[SIM_TEXT_CAP];
	char actor[128];
	int64_t created_ms, expires_ms, ended_ms; /* 0: never expires / has not ended */
	control_state state;
	/* throttle buckets, kept in event time */
	double req_tokens, tok_tokens;
	int64_t bucket_ms;
};

const char *control_kind_name(control_kind k);
const char *control_state_name(control_state s);
bool control_active_at(const sim_control *c, int64_t ts_ms);
json_t *control_json(const sim_control *c);

/* Applies the controls active at ev->ts_ms to a freshly drawn event (route, kill, throttle,
 * cache, in that order). rng drives the simulator's own draws. */
void controls_apply(sim_control *const *ctl, size_t n, const routing *rt, const ratecard *card,
                    uint64_t *rng, tt_event *ev);

/* The routes as the active controls shape them now. */
json_t *routing_json(const routing *rt, sim_control *const *ctl, size_t n, int64_t now_ms);

/* Counters behind /metrics. */
typedef struct series {
	uint16_t gateway, use_case, provider, model;
	uint8_t status, used;
	int64_t requests, input_tokens, output_tokens, cached_tokens, cost_nanos;
} series;

#define VLLM_TTFT_BUCKETS 22
#define VLLM_E2E_BUCKETS  21

typedef struct vllm_server {
	uint16_t model; /* name id */
	int64_t prompt_tokens, generation_tokens, success, failed;
	int64_t ttft[VLLM_TTFT_BUCKETS + 1], ttft_sum_ms;
	int64_t e2e[VLLM_E2E_BUCKETS + 1], e2e_sum_ms;
} vllm_server;

typedef struct idem_entry {
	char key[256];
	uint64_t fingerprint;
	int status;
	char *body;
	size_t len;
	char etag[32];
	char location[64];
} idem_entry;

struct sim {
	sim_opts o;
	char *listen, *token, *version;
	pthread_mutex_t mu;
	uint64_t control_requests; /* POST and DELETE on /v1/controls that reached a handler */
	pthread_cond_t stop_cv;
	bool stopping;

	workload *w;
	uint64_t rng, fault_rng;
	uint64_t instance;
	int64_t start_ms, next_ms;
	uint64_t max_events;

	sim_rec *chunks[REC_CHUNKS_MAX];
	uint64_t n_recs;

	char *names[SIM_NAMES_MAX];
	uint32_t n_names;
	uint16_t name_index[SIM_NAMES_INDEX]; /* id + 1; 0: empty slot */

	sim_control **ctl;
	size_t n_ctl;
	uint64_t ctl_version, ctl_seq;

	idem_entry idem[SIM_IDEM_MAX];
	size_t idem_next;

	routing rt;

	series *series;
	size_t series_cap, n_series;
	vllm_server vllm[SIM_VLLM_MAX];
	int n_vllm;

	struct MHD_Daemon *daemon;
	uint16_t port;
};

/* Everything below is called with s->mu held. */
int64_t sim_now(sim *s);
/* Generates live traffic up to now and expires controls whose time has come. */
void sim_advance(sim *s, int64_t now);
const sim_rec *sim_rec_at(const sim *s, uint64_t seq); /* seq 1 .. n_recs */
void sim_rec_event(const sim *s, const sim_rec *r, tt_event *ev);
uint16_t sim_intern(sim *s, const char *str);
const char *sim_name(const sim *s, uint16_t id);
json_t *sim_stats_json(sim *s, uint64_t upto);
void metrics_count(sim *s, const sim_rec *r);
void metrics_add_vllm(sim *s, const char *model);
void metrics_write(sim *s, int64_t now, sbuf *out);

#endif
