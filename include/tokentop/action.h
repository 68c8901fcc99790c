/* The incident runbook: one table of actions, their requests in both dialects, and sending. */
#ifndef TOKENTOP_ACTION_H
#define TOKENTOP_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/audit.h"
#include "tokentop/http.h"
#include "tokentop/policy.h"
#include "tokentop/store.h"

/* The two admin APIs tokentop can act through. */
typedef enum { ACTION_DIALECT_TOKENTOP, ACTION_DIALECT_LITELLM } action_dialect;

/* ---- the table: plain data, so the console (a layer before this one) can be handed it ---- */

/* Flags of an action. */
enum {
	ACTION_DANGEROUS = 1u << 0, /* stops or moves traffic: shown in the danger colour */
	ACTION_CONFIRM = 1u << 1,   /* the scope name must be typed to confirm (always on prod) */
	ACTION_AUDITED = 1u << 2,   /* written to the audit log, pending before it is sent */
	ACTION_EXPIRES = 1u << 3,   /* may carry an expiry (--expires) */
};

/* What a scope may name. The first seven are the v1 API's; key is a LiteLLM virtual key. */
typedef enum {
	ACTION_SCOPE_GATEWAY,
	ACTION_SCOPE_TENANT,
	ACTION_SCOPE_TEAM,
	ACTION_SCOPE_USE_CASE,
	ACTION_SCOPE_PROVIDER,
	ACTION_SCOPE_MODEL,
	ACTION_SCOPE_TOOL,
	ACTION_SCOPE_KEY,
	ACTION_SCOPE_COUNT
} action_scope_key;

/* The parameters an action may take; each is the CLI option --NAME. */
typedef enum {
	ACTION_P_RPS,     /* requests a second, a number above 0 */
	ACTION_P_TPM,     /* tokens a minute, a whole number above 0 */
	ACTION_P_TTL,     /* cache TTL: seconds, or a duration such as 1h */
	ACTION_P_TARGETS, /* provider/model[:tier]=weight,... */
	ACTION_P_TIER,    /* tiny, good, better or best */
	ACTION_P_TOOL,    /* a tool name */
	ACTION_P_ID,      /* a control id (lift) */
	ACTION_P_WEIGHT,  /* a LiteLLM deployment's routing weight */
	ACTION_P_COUNT
} action_param;

#define ACTION_BIT(x) (1u << (x))

typedef struct action_param_def {
	const char *name;    /* "rps": the option --rps and the palette's rps= */
	const char *metavar; /* "N" */
	const char *help;
} action_param_def;

typedef struct action_def {
	const char *name;     /* "kill-switch": the CLI word, the palette verb, the audit action */
	const char *kind;     /* "kill_switch": the control kind sent; NULL for lift */
	int key;              /* the console key */
	const char *keyname;  /* how help shows the key */
	const char *help;     /* one line */
	unsigned flags;       /* ACTION_* */
	policy_role min_role; /* the least role that may run it */
	unsigned scope_keys;  /* ACTION_BIT(action_scope_key) the scope may name (v1 dialect) */
	bool route_scoped;    /* the scope must be exactly use_case (a route) */
	unsigned params;      /* ACTION_BIT(action_param) it takes */
	unsigned required;    /* of those, every one is needed */
	unsigned one_of;      /* of those, at least one is needed */
} action_def;

extern const action_def action_table[];
extern const size_t action_count;
extern const action_param_def action_params[ACTION_P_COUNT];

const char *action_scope_key_name(action_scope_key k); /* "use_case" */
/* By name ("kill-switch") or control kind ("kill_switch"); NULL when none. */
const action_def *action_find(const char *name);
/* -1 when name is no parameter. */
int action_param_find(const char *name);

/* ---- one request: what the operator asked for, validated ---- */

#define ACTION_VALUE_CAP   128
#define ACTION_TARGETS_MAX 8
#define ACTION_REASON_CAP  512
#define ACTION_ACTOR_CAP   128

typedef struct action_target {
	char provider[64];
	char model[96];
	char tier[16]; /* "" when not given */
	int64_t weight;
} action_target;

typedef struct action_req {
	const action_def *def;
	char scope[ACTION_SCOPE_COUNT][ACTION_VALUE_CAP]; /* "" where the scope names nothing */
	unsigned given;                                   /* ACTION_BIT(action_param) set */
	double rps;
	int64_t tpm;
	int64_t ttl_s;
	action_target targets[ACTION_TARGETS_MAX];
	size_t ntargets;
	char tier[16];
	char tool[ACTION_VALUE_CAP];
	char id[ACTION_VALUE_CAP];
	int64_t weight;
	char reason[ACTION_REASON_CAP];
	char actor[ACTION_ACTOR_CAP]; /* sent as the control's actor and LiteLLM-Changed-By */
	int64_t expires_ms;           /* 0: no expiry */
} action_req;

/* Starts a request for def (everything else empty). */
void action_req_init(action_req *r, const action_def *def);

/* "use_case=support-bot" or several "k=v" separated by commas. Keys and values are checked
 * (known key, 1..63 bytes (model 95), no control characters, not given twice). 0 or -1. */
int action_scope_parse(action_req *r, const char *kv, char *err, size_t errlen);

/* One parameter from its text ("--rps 5" is action_param_set(r, ACTION_P_RPS, "5")). */
int action_param_set(action_req *r, action_param p, const char *value, char *err, size_t errlen);

/* "30m", "2h", "1d" from now, or an ISO 8601 time after now. 0 or -1 with err. */
int action_parse_expires(const char *s, int64_t now_ms, int64_t *out_ms, char *err, size_t errlen);

/* Everything the table says about r (scope keys, parameters, reason, actor, expiry), and for
 * LiteLLM what its admin API can express. 0, or -1 with err saying what is wrong and what to
 * give instead. */
int action_validate(const action_req *r, action_dialect d, char *err, size_t errlen);

/* "use_case=support-bot,tenant=acme" in the order of action_scope_key ("" when empty). */
void action_scope_format(const action_req *r, char *buf, size_t cap);

/* The word the operator types to confirm: the scope's values joined with ',', the control
 * id for a lift, or gateway_name when the scope is empty. */
void action_confirm_word(const action_req *r, const char *gateway_name, char *buf, size_t cap);

/* Whether a typed confirmation is needed: the action says so, or the gateway is production. */
bool action_needs_typed_confirm(const action_def *a, bool production);

/* The params object as the audit log records it (and the v1 API takes it); malloc'd JSON. */
char *action_params_json(const action_req *r);

/* ---- the wire: a request for one dialect ---- */

typedef struct action_http {
	char method[8];
	char path[512]; /* appended to the gateway URL */
	char *body;     /* malloc'd JSON, or NULL */
	/* LiteLLM: the name tokentop gives what it applied ("kill_switch:team=t1"), which a lift
	 * takes as --id; "" for the v1 dialect (the gateway names its controls). */
	char control_id[256];
} action_http;

void action_http_free(action_http *h);

/* v1: POST /v1/controls {kind, scope, params, reason, actor, expires_at}, or for a lift
 * DELETE /v1/controls/{id}. r must have passed action_validate. */
int action_build_tokentop(const action_req *r, action_http *out, char *err, size_t errlen);

/* LiteLLM (docs/actions.md): kill switch -> /key/block, /team/block, /model/block;
 * throttle -> /key/update, /team/update (tpm_limit, rpm_limit); reroute -> PATCH
 * /model/{id}/update (litellm_params.weight); cache-ttl -> POST /cache/settings (the current
 * settings with a new ttl); lift -> the inverse call. state_now is the answer of the GET
 * action_litellm_state_path names (cache settings need it); for a lift, state_orig is the
 * state recorded before the action being lifted (NULL when unknown: the limits, weight or
 * TTL to restore are then unknown and the lift is refused; unblocking needs none). Kinds
 * without an equivalent are refused with a message saying so. */
int action_build_litellm(const action_req *r, const char *state_now, const char *state_orig,
                         action_http *out, char *err, size_t errlen);

/* The LiteLLM GET that reads the state an action (or the control a lift names) changes:
 * /key/info?key=..., /team/info?team_id=..., /v1/model/info?litellm_model_id=...,
 * /cache/settings. 0 or -1. */
int action_litellm_state_path(const action_req *r, char *buf, size_t cap, char *err, size_t errlen);

/* ---- blast radius: what the scope carries now, from the local cache ---- */

#define ACTION_BLAST_WINDOW_MS (15 * 60000LL)

typedef struct action_blast {
	bool known;     /* the cache can tell (every scope key is one it keeps) */
	char note[256]; /* why not, or what the figures leave out */
	int64_t since_ms, until_ms;
	int64_t requests, total_requests;
	int64_t cost_nanos, total_cost_nanos;
	int64_t cost_per_min_nanos; /* in scope, averaged over the window */
	double requests_per_s;      /* in scope */
	double share;               /* requests in scope / all requests, 0..1 (0 with none) */
} action_blast;

/* Over the ACTION_BLAST_WINDOW_MS before now_ms, through the view cube. 0 or -1 with err. */
int action_blast_radius(store *st, const action_req *r, int64_t now_ms, action_blast *b, char *err,
                        size_t errlen);

/* ---- sending, on a libuv loop (the console's, or the CLI's run until done) ---- */

typedef struct action_gateway {
	const char *name;    /* the configured name, recorded in the audit log */
	const char *url;     /* without a trailing slash, nor credentials (http_url_split) */
	const char *userpwd; /* the credentials the configured URL carried, or NULL */
	action_dialect dialect;
	const char *token; /* bearer token, or NULL */
	bool production;
	bool insecure;
	long timeout_ms; /* each request; 0: 10000 */
} action_gateway;

/* Who acts, and with what. Borrowed for the life of the plans made with it. */
typedef struct action_env {
	http_client *http;
	audit *log;          /* NULL only for dry runs and listing */
	store *st;           /* for the blast radius; NULL: not measured */
	const char *user;    /* the OS user */
	const char *as_name; /* --as NAME, recorded beside the user; NULL or "" */
	const char *host;
	policy_role role;
	int64_t (*clock)(void *ctx); /* NULL: the wall clock */
	void *clock_ctx;
} action_env;

/* What will happen: made by action_plan_start, shown by the confirmation panel or --dry-run,
 * then sent by action_send (or dropped with action_plan_free). */
typedef struct action_plan {
	const action_env *env;
	action_gateway gw;
	action_req req;
	char error[1024];       /* set when planning failed; nothing else is then valid */
	char scope[512];        /* action_scope_format */
	char confirm_word[256]; /* action_confirm_word */
	bool typed_confirm;     /* action_needs_typed_confirm */
	action_blast blast;     /* blast.known false when it could not be measured */
	char *state_before;     /* the gateway's answer to the state GET, verbatim */
	char *state_after;      /* predicted: the controls with this one applied or lifted */
	char etag[128];         /* v1: the controls ETag the request will carry in If-Match */
	action_http http;       /* the request */
	char url[1024];         /* gw.url + http.path */
	char idem_key[64];      /* the Idempotency-Key the request will carry */
	int64_t ref_seq;        /* lift: the audit record that applied the control; 0 unknown */
} action_plan;

typedef void (*action_plan_fn)(void *ctx, action_plan *p);

/* How many controls a state (a /v1/controls answer, or a plan's state before or after)
 * lists; 0 for none or an unreadable one. */
size_t action_state_count(const char *state);

/* Checks the role and the request, reads the state before from the gateway (v1: GET
 * /v1/controls and its ETag), measures the blast radius and builds the request. Sends
 * nothing, so it works read-only (a dry run). done gets the plan (with error set on failure)
 * and owns it. env and gw's strings are borrowed for the life of the plan. 0, or -1 when
 * nothing was started (err says why; done is not called). */
int action_plan_start(const action_env *env, const action_gateway *gw, const action_req *r,
                      action_plan_fn done, void *ctx, char *err, size_t errlen);

/* The request as it would be sent: method, URL, every header (the token shown as
 * "<redacted>") and the body. malloc'd. */
char *action_plan_describe(const action_plan *p);

/* The outcome of a send. */
typedef struct action_result {
	bool applied;
	long http_status;              /* 0 when no answer came */
	const char *message;           /* one line for people: what happened, or what to do */
	const char *response;          /* the gateway's answer verbatim ("" when none) */
	const char *control_id;        /* the id of the control applied or lifted, or "" */
	int64_t pending_seq, done_seq; /* the audit records written */
} action_result;

typedef void (*action_done_fn)(void *ctx, const action_result *r);

/* Sends a plan: refuses in a read-only process (policy_readonly) and without the role;
 * appends the pending audit record, sends with Idempotency-Key, If-Match and a timeout,
 * then appends the completion record (applied or failed, the answer verbatim, the state
 * after) and calls done. Takes the plan (freed after done returns). 0, or -1 when nothing
 * was sent (err says why; done is not called; the plan is still the caller's). */
int action_send(action_plan *p, action_done_fn done, void *ctx, char *err, size_t errlen);

void action_plan_free(action_plan *p);

/* Reconciliation after a crash: every pending record of gw that no record completes is
 * matched against GET /v1/controls?state=all (a control of the same kind, scope and reason
 * created at or after the pending record, less a minute of clock skew; for a lift: the
 * control, lifted), and a reconcile record pointing at it is appended, status applied or
 * failed. A LiteLLM proxy lists no controls: its pending records become failed ("cannot be
 * confirmed"). done gets the counts; it may be called before this returns. */
typedef void (*action_reconcile_fn)(void *ctx, int applied, int failed, const char *error);
int action_reconcile_start(const action_env *env, const action_gateway *gw,
                           action_reconcile_fn done, void *ctx, char *err, size_t errlen);

/* The controls in force: v1 GET /v1/controls, verbatim; LiteLLM (which lists none) the ones
 * the audit log says tokentop applied and did not lift, as {"controls":[...]} (done is then
 * called before this returns). done gets the status (0 when no answer came), the body, or
 * an error line. */
typedef void (*action_list_fn)(void *ctx, long status, const char *body, const char *error);
int action_list_start(const action_env *env, const action_gateway *gw, action_list_fn done,
                      void *ctx, char *err, size_t errlen);

#endif
