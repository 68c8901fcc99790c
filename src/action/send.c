/* Sending an action: state before, pending record, the request, the completion record. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "action_internal.h"
#include "tokentop/timeutil.h"

#define DEFAULT_TIMEOUT_MS 10000
#define SEND_ATTEMPTS      3     /* v1 only: a lost answer is retried with the same key */
#define RECONCILE_SLACK_MS 60000 /* the gateway's clock may be behind ours */
#define MAX_HEADERS        8

static int64_t env_now(const action_env *env)
{
	return env->clock ? env->clock(env->clock_ctx) : time_now_ms();
}

static long timeout_of(const action_gateway *gw)
{
	return gw->timeout_ms > 0 ? gw->timeout_ms : DEFAULT_TIMEOUT_MS;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* A random version-4 UUID: the Idempotency-Key. */
static int new_idem_key(char *buf, size_t cap)
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
	return 0;
}

/* "Authorization: Bearer ..." (malloc'd, wiped by wipe_free) or NULL without a token. */
static char *bearer_header(const char *token)
{
	if (!token || !*token)
		return NULL;
	size_t n = strlen(token) + 32;
	char *h = malloc(n);
	if (h)
		snprintf(h, n, "Authorization: Bearer %s", token);
	return h;
}

static void wipe_free(char *secret)
{
	if (!secret)
		return;
	memset(secret, 0, strlen(secret)); /* the token does not outlive the request */
	free(secret);
}

/* A GET against a gateway; the answer goes to done. */
static int gateway_get(const action_env *env, const action_gateway *gw, const char *path,
                       http_done_fn done, void *ctx)
{
	char url[2048];
	snprintf(url, sizeof url, "%s%s", gw->url, path);
	char *auth = bearer_header(gw->token);
	const char *headers[3] = {"Accept: application/json", auth, NULL};
	http_request req = {.url = url,
	                    .headers = headers,
	                    .timeout_ms = timeout_of(gw),
	                    .insecure = gw->insecure,
	                    .userpwd = gw->userpwd};
	int rc = http_client_send(env->http, &req, done, ctx);
	wipe_free(auth);
	return rc;
}

/* Whether an answer is a JSON text: bodies are recorded as JSON where the log wants JSON. */
static char *as_json_or_string(const char *body, size_t len)
{
	json_t *v = json_loadb(body ? body : "", len, JSON_DECODE_ANY, NULL);
	if (!v)
		v = json_stringn(body ? body : "", len);
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	return s ? s : strdup("null");
}

/* ---- the audit log's view of earlier actions ---- */

typedef struct find_applied {
	const char *gateway, *control_id;
	int64_t seq;
	char *state_before;
} find_applied;

/* The latest record that applied control_id on gateway (an action or a reconcile). */
static int on_find_applied(void *ctx, const audit_record *r)
{
	find_applied *f = ctx;
	if (strcmp(r->gateway, f->gateway) || strcmp(r->control_id, f->control_id) ||
	    strcmp(r->status, "applied") || strcmp(r->action, "lift") == 0)
		return 0;
	f->seq = r->seq;
	free(f->state_before);
	f->state_before = strdup(r->state_before);
	return 0;
}

static int64_t applied_record(audit *log, const char *gateway, const char *control_id,
                              char **state_before)
{
	find_applied f = {gateway, control_id, 0, NULL};
	if (log)
		audit_each(log, 0, on_find_applied, &f);
	if (state_before)
		*state_before = f.state_before;
	else
		free(f.state_before);
	return f.seq;
}

/* ---- planning ---- */

typedef struct plan_job {
	action_plan *p;
	action_plan_fn done;
	void *ctx;
} plan_job;

static void plan_fail(plan_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void plan_fail(plan_job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->p->error, sizeof j->p->error, fmt, ap);
	va_end(ap);
}

/* v1: the control with id in a controls answer, or NULL. */
static json_t *control_by_id(json_t *controls, const char *id)
{
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c)
	{
		json_t *cid = json_object_get(c, "id");
		if (json_is_string(cid) && strcmp(json_string_value(cid), id) == 0)
			return c;
	}
	return NULL;
}

/* The predicted controls after the request (v1): the new one added, or the lifted one gone. */
static char *predict_v1(const action_plan *p, json_t *controls)
{
	json_t *after = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c)
	{
		json_t *cid = json_object_get(c, "id");
		if (!p->req.def->kind && json_is_string(cid) &&
		    strcmp(json_string_value(cid), p->req.id) == 0)
			continue;
		json_array_append(after, c);
	}
	if (p->req.def->kind && p->http.body) {
		json_t *mine = json_loads(p->http.body, 0, NULL);
		if (mine) {
			json_object_set_new(mine, "id", json_string("(new)"));
			json_object_set_new(mine, "state", json_string("active"));
			json_array_append_new(after, mine);
		}
	}
	json_t *o = json_pack("{s:o}", "controls", after);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Fills the scope of a lift from the control it names, for the blast radius and the log. */
static void scope_from_control(action_req *r, json_t *control)
{
	json_t *scope = json_object_get(control, "scope");
	const char *key;
	json_t *v;
	char err[64];
	json_object_foreach(scope, key, v)
	{
		if (!json_is_string(v))
			continue;
		char kv[256];
		snprintf(kv, sizeof kv, "%s=%s", key, json_string_value(v));
		action_scope_parse(r, kv, err, sizeof err);
	}
}

static void plan_blast(action_plan *p, const action_req *scope_req)
{
	const action_env *env = p->env;
	char err[256];
	if (!env->st) {
		snprintf(p->blast.note, sizeof p->blast.note, "no local cache to measure it with");
		return;
	}
	if (p->gw.dialect == ACTION_DIALECT_LITELLM) {
		snprintf(
		    p->blast.note, sizeof p->blast.note,
		    "LiteLLM scopes (keys, team ids, deployment ids) are not dimensions of the "
		    "cache; the blast radius is unknown");
		return;
	}
	if (action_blast_radius(env->st, scope_req, env_now(env), &p->blast, err, sizeof err)) {
		memset(&p->blast, 0, sizeof p->blast);
		snprintf(p->blast.note, sizeof p->blast.note, "%s", err);
	}
}

static void plan_v1(plan_job *j, const http_response *r)
{
	action_plan *p = j->p;
	char err[512];
	json_t *doc = json_loadb(r->body, r->len, 0, NULL);
	json_t *controls = json_object_get(doc, "controls");
	if (!json_is_array(controls)) {
		plan_fail(j, "%s/v1/controls: not a controls answer: %.300s", p->gw.url, r->body);
		json_decref(doc);
		return;
	}
	snprintf(p->etag, sizeof p->etag, "%s", r->etag ? r->etag : "");
	json_t *et = json_object_get(doc, "etag");
	if (!p->etag[0] && json_is_string(et))
		snprintf(p->etag, sizeof p->etag, "%s", json_string_value(et));
	action_req scope_req = p->req;
	bool in_force = true;
	if (!p->req.def->kind) {
		json_t *c = control_by_id(controls, p->req.id);
		if (c) {
			scope_from_control(&scope_req, c);
			action_scope_format(&scope_req, p->scope, sizeof p->scope);
		}
		in_force = c != NULL;
		p->ref_seq = applied_record(p->env->log, p->gw.name, p->req.id, NULL);
	}
	if (action_build_tokentop(&p->req, &p->http, err, sizeof err)) {
		plan_fail(j, "%s", err);
		json_decref(doc);
		return;
	}
	p->state_after = predict_v1(p, controls);
	json_decref(doc);
	if (in_force)
		plan_blast(p, &scope_req);
	else
		snprintf(p->blast.note, sizeof p->blast.note,
		         "%s is not among the controls in force; the gateway will say why",
		         p->req.id);
}

static void plan_litellm(plan_job *j)
{
	action_plan *p = j->p;
	char err[512], *orig = NULL;
	if (!p->req.def->kind) {
		action_req target;
		if (action_litellm_parse_id(p->req.id, &target, err, sizeof err) == 0)
			action_scope_format(&target, p->scope, sizeof p->scope);
		p->ref_seq = applied_record(p->env->log, p->gw.name, p->req.id, &orig);
	}
	if (action_build_litellm(&p->req, p->state_before, orig, &p->http, err, sizeof err)) {
		plan_fail(j, "%s", err);
		free(orig);
		return;
	}
	free(orig);
	if (!p->req.def->kind)
		snprintf(p->http.control_id, sizeof p->http.control_id, "%s", p->req.id);
	json_t *body = json_loads(p->http.body, 0, NULL);
	char call[600];
	snprintf(call, sizeof call, "%s %s", p->http.method, p->http.path);
	json_t *o = json_pack("{s:s, s:o}", "call", call, "body", body ? body : json_null());
	p->state_after = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	plan_blast(p, &p->req);
}

static void on_plan_state(void *ctx, const http_response *r)
{
	plan_job *j = ctx;
	action_plan *p = j->p;
	if (r->error)
		plan_fail(j, "reading the state before from %s: %s", p->gw.url, r->error);
	else if (r->status != 200)
		plan_fail(j, "reading the state before from %s: HTTP %ld: %.600s", p->gw.url,
		          r->status, r->body);
	if (!p->error[0]) {
		p->state_before = as_json_or_string(r->body, r->len);
		if (p->gw.dialect == ACTION_DIALECT_LITELLM)
			plan_litellm(j);
		else
			plan_v1(j, r);
	}
	if (!p->error[0])
		snprintf(p->url, sizeof p->url, "%s%s", p->gw.url, p->http.path);
	j->done(j->ctx, p);
	free(j);
}

int action_plan_start(const action_env *env, const action_gateway *gw, const action_req *r,
                      action_plan_fn done, void *ctx, char *err, size_t errlen)
{
	if (!r->def) {
		snprintf(err, errlen, "no action");
		return -1;
	}
	if (env->role < r->def->min_role) {
		/* the role check without the read-only latch: a plan sends nothing */
		snprintf(err, errlen,
		         "%s needs the role %s; %s is %s (the [access] section of the config maps "
		         "users to roles)",
		         r->def->name, policy_role_name(r->def->min_role),
		         env->user && *env->user ? env->user : "this user",
		         policy_role_name(env->role));
		return -1;
	}
	if (action_validate(r, gw->dialect, err, errlen))
		return -1;
	char path[1024];
	if (gw->dialect == ACTION_DIALECT_LITELLM) {
		if (action_litellm_state_path(r, path, sizeof path, err, errlen))
			return -1;
	} else {
		snprintf(path, sizeof path, "/v1/controls");
	}
	action_plan *p = calloc(1, sizeof *p);
	plan_job *j = calloc(1, sizeof *j);
	if (!p || !j || new_idem_key(p->idem_key, sizeof p->idem_key)) {
		free(p);
		free(j);
		snprintf(err, errlen, "out of memory (or no randomness for the Idempotency-Key)");
		return -1;
	}
	p->env = env;
	p->gw = *gw;
	p->req = *r;
	action_scope_format(r, p->scope, sizeof p->scope);
	action_confirm_word(r, gw->name, p->confirm_word, sizeof p->confirm_word);
	p->typed_confirm = action_needs_typed_confirm(r->def, gw->production);
	*j = (plan_job){p, done, ctx};
	if (gateway_get(env, gw, path, on_plan_state, j)) {
		free(p);
		free(j);
		snprintf(err, errlen, "%s: could not start a request", gw->url);
		return -1;
	}
	return 0;
}

void action_plan_free(action_plan *p)
{
	if (!p)
		return;
	free(p->state_before);
	free(p->state_after);
	action_http_free(&p->http);
	free(p);
}

/* The headers of the request; auth is the bearer header or NULL (kept apart to wipe it). */
static size_t plan_headers(const action_plan *p, const char *auth, char hbuf[][300],
                           const char **out)
{
	size_t n = 0, k = 0;
	out[n++] = "Accept: application/json";
	if (p->http.body)
		out[n++] = "Content-Type: application/json";
	if (auth)
		out[n++] = auth;
	if (p->gw.dialect == ACTION_DIALECT_TOKENTOP) {
		snprintf(hbuf[k], sizeof hbuf[k], "Idempotency-Key: %s", p->idem_key);
		out[n++] = hbuf[k++];
		if (p->etag[0]) {
			snprintf(hbuf[k], sizeof hbuf[k], "If-Match: %s", p->etag);
			out[n++] = hbuf[k++];
		}
	} else {
		snprintf(hbuf[k], sizeof hbuf[k], "LiteLLM-Changed-By: %s", p->req.actor);
		out[n++] = hbuf[k++];
	}
	out[n] = NULL;
	return n;
}

char *action_plan_describe(const action_plan *p)
{
	char hbuf[3][300];
	const char *h[MAX_HEADERS];
	size_t n = plan_headers(
	    p, p->gw.token && *p->gw.token ? "Authorization: Bearer <redacted>" : NULL, hbuf, h);
	size_t cap = 2048 + (p->http.body ? strlen(p->http.body) : 0);
	char *s = malloc(cap);
	if (!s)
		return NULL;
	int len = snprintf(s, cap, "%s %s\n", p->http.method, p->url);
	for (size_t i = 0; i < n && len >= 0 && (size_t)len < cap; i++)
		len += snprintf(s + len, cap - (size_t)len, "%s\n", h[i]);
	if (p->http.body && len >= 0 && (size_t)len < cap)
		snprintf(s + len, cap - (size_t)len, "\n%s\n", p->http.body);
	return s;
}

/* ---- sending ---- */

typedef struct send_job {
	action_plan *p;
	action_done_fn done;
	void *ctx;
	int64_t pending_seq;
	int attempts;
	char *params;
} send_job;

static void record_fill(const action_plan *p, const char *params, audit_record *rec)
{
	const action_env *env = p->env;
	memset(rec, 0, sizeof *rec);
	rec->actor = env->user;
	rec->as_name = env->as_name;
	rec->role = policy_role_name(env->role);
	rec->host = env->host;
	rec->kind = "action";
	rec->action = p->req.def->name;
	rec->gateway = p->gw.name;
	rec->scope = p->scope;
	rec->params = params;
	rec->reason = p->req.reason;
	rec->state_before = p->state_before;
	rec->idem_key = p->idem_key;
	rec->control_id = p->req.def->kind ? p->http.control_id : p->req.id;
}

/* The one place a control request leaves the process: the read-only latch is checked here,
 * whatever the caller checked before. */
static int send_write(const action_plan *p, http_done_fn done, void *ctx)
{
	if (policy_readonly())
		return -1;
	char hbuf[3][300];
	const char *h[MAX_HEADERS];
	char *auth = bearer_header(p->gw.token);
	plan_headers(p, auth, hbuf, h);
	http_request req = {.method = p->http.method,
	                    .url = p->url,
	                    .body = p->http.body,
	                    .body_len = p->http.body ? strlen(p->http.body) : 0,
	                    .headers = h,
	                    .timeout_ms = timeout_of(&p->gw),
	                    .insecure = p->gw.insecure,
	                    .userpwd = p->gw.userpwd};
	int rc = http_client_send(p->env->http, &req, done, (void *)ctx);
	wipe_free(auth);
	return rc;
}

/* v1: the id of the control and the controls in force, from a POST or DELETE answer. */
static void v1_outcome(const http_response *r, char *control_id, size_t cap, char **state_after)
{
	json_t *doc = json_loadb(r->body, r->len, 0, NULL);
	json_t *id = json_object_get(json_object_get(doc, "control"), "id");
	if (json_is_string(id))
		snprintf(control_id, cap, "%s", json_string_value(id));
	json_t *after = json_pack("{s:O?, s:O?}", "controls", json_object_get(doc, "controls"),
	                          "etag", json_object_get(doc, "etag"));
	*state_after = after ? json_dumps(after, JSON_COMPACT) : NULL;
	json_decref(after);
	json_decref(doc);
}

static void send_finish(send_job *j, const action_result *res)
{
	j->done(j->ctx, res);
	free(j->params);
	action_plan_free(j->p);
	free(j);
}

static void on_sent(void *ctx, const http_response *r)
{
	send_job *j = ctx;
	action_plan *p = j->p;
	bool v1 = p->gw.dialect == ACTION_DIALECT_TOKENTOP;
	char msg[1400], control_id[256];
	action_result res = {.pending_seq = j->pending_seq, .response = ""};
	if (r->error) {
		if (v1 && ++j->attempts < SEND_ATTEMPTS && send_write(p, on_sent, j) == 0)
			return; /* the same Idempotency-Key: a lost answer is replayed, never
			           doubled */
		snprintf(
		    msg, sizeof msg,
		    "no answer from %s (%s): the record stays pending and is reconciled on the "
		    "next run; tokentop action list shows what is in force",
		    p->gw.url, r->error);
		res.message = msg;
		res.control_id = "";
		send_finish(j, &res);
		return;
	}
	bool ok = r->status >= 200 && r->status < 300;
	char *state_after = NULL;
	snprintf(control_id, sizeof control_id, "%s",
	         p->req.def->kind ? p->http.control_id : p->req.id);
	if (v1 && ok)
		v1_outcome(r, control_id, sizeof control_id, &state_after);
	else if (ok)
		state_after = as_json_or_string(r->body, r->len);
	if (ok)
		snprintf(msg, sizeof msg, "%s %s: HTTP %ld, %s%s", p->req.def->name,
		         *control_id ? control_id : p->scope, r->status,
		         p->req.def->kind ? "applied" : "lifted",
		         v1 ? "" : " (LiteLLM-Changed-By sent)");
	else if (r->status == 412)
		snprintf(msg, sizeof msg,
		         "controls changed since you looked (HTTP 412: the ETag %s is stale); "
		         "nothing was applied: refresh and retry",
		         p->etag);
	else
		snprintf(msg, sizeof msg, "the gateway refused it (HTTP %ld); nothing was %s",
		         r->status, p->req.def->kind ? "applied" : "lifted");
	audit_record rec;
	record_fill(p, j->params, &rec);
	rec.status = ok ? "applied" : "failed";
	rec.ref_seq = j->pending_seq;
	rec.control_id = control_id;
	rec.response = r->body;
	rec.state_after = state_after ? state_after : "";
	char aerr[256];
	if (audit_append(p->env->log, &rec, aerr, sizeof aerr)) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof msg - n,
		         "; but the audit record could not be written (%s): the pending record is "
		         "reconciled on the next run",
		         aerr);
	}
	res.applied = ok;
	res.http_status = r->status;
	res.message = msg;
	res.response = r->body;
	res.control_id = control_id;
	res.done_seq = rec.seq;
	send_finish(j, &res);
	free(state_after);
}

int action_send(action_plan *p, action_done_fn done, void *ctx, char *err, size_t errlen)
{
	const action_env *env = p->env;
	if (p->error[0]) {
		snprintf(err, errlen, "%s", p->error);
		return -1;
	}
	if (policy_check(p->req.def, env->role, env->user, err, errlen))
		return -1;
	if (!env->log) {
		snprintf(err, errlen, "no audit log: an action is never sent unrecorded");
		return -1;
	}
	send_job *j = calloc(1, sizeof *j);
	char *params = action_params_json(&p->req);
	if (!j || !params) {
		free(j);
		free(params);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*j = (send_job){.p = p, .done = done, .ctx = ctx, .params = params};
	audit_record rec;
	record_fill(p, j->params, &rec);
	rec.status = "pending";
	rec.ref_seq = p->req.def->kind ? 0 : p->ref_seq; /* a lift points at what it undoes */
	char aerr[256];
	if (audit_append(env->log, &rec, aerr, sizeof aerr)) {
		snprintf(err, errlen,
		         "the audit log refused the pending record (%s); nothing was sent", aerr);
		free(j->params);
		free(j);
		return -1;
	}
	j->pending_seq = rec.seq;
	if (send_write(p, on_sent, j)) {
		/* the pending record stays: reconciliation finds nothing and marks it failed */
		snprintf(err, errlen, "%s: the request could not be started%s", p->gw.url,
		         policy_readonly() ? " (read-only)" : "");
		free(j->params);
		free(j);
		return -1;
	}
	return 0;
}

/* ---- reconciliation ---- */

typedef struct pending_rec {
	int64_t seq, ts_ms;
	char *action, *scope, *params, *reason, *actor, *as_name, *role, *host, *control_id,
	    *idem_key, *state_before;
} pending_rec;

typedef struct recon_job {
	const action_env *env;
	const action_gateway *gw;
	action_reconcile_fn done;
	void *ctx;
	pending_rec *recs;
	size_t n, cap;
} recon_job;

static void pending_free(pending_rec *p)
{
	free(p->action), free(p->scope), free(p->params), free(p->reason), free(p->actor);
	free(p->as_name), free(p->role), free(p->host), free(p->control_id), free(p->idem_key);
	free(p->state_before);
}

static int on_open_pending(void *ctx, const audit_record *r)
{
	recon_job *j = ctx;
	if (strcmp(r->gateway, j->gw->name) != 0 || strcmp(r->kind, "action") != 0)
		return 0;
	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 8;
		pending_rec *g = realloc(j->recs, cap * sizeof *g);
		if (!g)
			return -1;
		j->recs = g;
		j->cap = cap;
	}
	pending_rec *p = &j->recs[j->n++];
	p->seq = r->seq;
	p->ts_ms = r->ts_ms;
	p->action = dup_or_empty(r->action);
	p->scope = dup_or_empty(r->scope);
	p->params = dup_or_empty(r->params);
	p->reason = dup_or_empty(r->reason);
	p->actor = dup_or_empty(r->actor);
	p->as_name = dup_or_empty(r->as_name);
	p->role = dup_or_empty(r->role);
	p->host = dup_or_empty(r->host);
	p->control_id = dup_or_empty(r->control_id);
	p->idem_key = dup_or_empty(r->idem_key);
	p->state_before = dup_or_empty(r->state_before);
	return 0;
}

/* The scope object of a control in the log's "k=v,k=v" form (keys in the table's order). */
static void control_scope(json_t *c, char *buf, size_t cap)
{
	action_req tmp;
	action_req_init(&tmp, NULL);
	scope_from_control(&tmp, c);
	action_scope_format(&tmp, buf, cap);
}

/* The control a pending record made, or NULL: same kind, scope, reason, created after. */
static json_t *match_control(json_t *controls, const pending_rec *p, const char **why)
{
	const action_def *a = action_find(p->action);
	if (!a) {
		*why = "unknown action";
		return NULL;
	}
	size_t i;
	json_t *c, *best = NULL;
	int64_t best_ts = 0;
	json_array_foreach(controls, i, c)
	{
		if (!a->kind) {
			json_t *id = json_object_get(c, "id");
			json_t *st = json_object_get(c, "state");
			if (json_is_string(id) &&
			    strcmp(json_string_value(id), p->control_id) == 0 &&
			    json_is_string(st) && strcmp(json_string_value(st), "lifted") == 0)
				return c;
			continue;
		}
		const char *kind = json_string_value(json_object_get(c, "kind"));
		const char *reason = json_string_value(json_object_get(c, "reason"));
		const char *created = json_string_value(json_object_get(c, "created_at"));
		char scope[512];
		int64_t ts;
		control_scope(c, scope, sizeof scope);
		if (!kind || !reason || !created || strcmp(kind, a->kind) ||
		    strcmp(reason, p->reason) || strcmp(scope, p->scope) ||
		    time_parse_iso(created, strlen(created), &ts) ||
		    ts < p->ts_ms - RECONCILE_SLACK_MS)
			continue;
		if (!best || ts < best_ts) {
			best = c;
			best_ts = ts;
		}
	}
	*why = a->kind ? "no control of that kind, scope and reason was created after it"
	               : "the control was not lifted";
	return best;
}

static int reconcile_one(recon_job *j, json_t *controls, const pending_rec *p, bool *applied)
{
	const char *why = "";
	json_t *c = controls ? match_control(controls, p, &why) : NULL;
	char *verdict = NULL, *ans = NULL;
	char control_id[256];
	snprintf(control_id, sizeof control_id, "%s", p->control_id);
	if (c) {
		json_t *id = json_object_get(c, "id");
		if (json_is_string(id))
			snprintf(control_id, sizeof control_id, "%s", json_string_value(id));
		ans = json_dumps(c, JSON_COMPACT);
	} else {
		json_t *o =
		    json_pack("{s:s}", "reconcile",
		              controls ? why
		                       : "a LiteLLM proxy lists no controls: the outcome "
		                         "cannot be confirmed; check the proxy and act again "
		                         "if needed");
		verdict = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	audit_record rec = {.actor = p->actor,
	                    .as_name = p->as_name,
	                    .role = p->role,
	                    .host = p->host,
	                    .kind = "reconcile",
	                    .action = p->action,
	                    .gateway = j->gw->name,
	                    .scope = p->scope,
	                    .params = p->params,
	                    .reason = p->reason,
	                    .state_before = p->state_before,
	                    .state_after = ans ? ans : "",
	                    .status = c ? "applied" : "failed",
	                    .ref_seq = p->seq,
	                    .control_id = control_id,
	                    .response = ans ? ans : verdict,
	                    .idem_key = p->idem_key};
	char err[256];
	int rc = audit_append(j->env->log, &rec, err, sizeof err);
	free(ans);
	free(verdict);
	*applied = c != NULL;
	return rc;
}

static void recon_finish(recon_job *j, json_t *controls, const char *error)
{
	int applied = 0, failed = 0;
	for (size_t i = 0; !error && i < j->n; i++) {
		bool ok;
		if (reconcile_one(j, controls, &j->recs[i], &ok)) {
			error = "the audit log refused a reconcile record";
			break;
		}
		applied += ok;
		failed += !ok;
	}
	j->done(j->ctx, applied, failed, error);
	for (size_t i = 0; i < j->n; i++)
		pending_free(&j->recs[i]);
	free(j->recs);
	free(j);
}

static void on_recon_controls(void *ctx, const http_response *r)
{
	recon_job *j = ctx;
	char msg[700];
	if (r->error || r->status != 200) {
		snprintf(msg, sizeof msg, "reconciling: GET %s/v1/controls?state=all: %s%.400s",
		         j->gw->url, r->error ? r->error : "HTTP error: ", r->error ? "" : r->body);
		recon_finish(j, NULL, msg);
		return;
	}
	json_t *doc = json_loadb(r->body, r->len, 0, NULL);
	json_t *controls = json_object_get(doc, "controls");
	if (!json_is_array(controls)) {
		snprintf(msg, sizeof msg, "reconciling: %s/v1/controls: not a controls answer",
		         j->gw->url);
		recon_finish(j, NULL, msg);
	} else {
		recon_finish(j, controls, NULL);
	}
	json_decref(doc);
}

int action_reconcile_start(const action_env *env, const action_gateway *gw,
                           action_reconcile_fn done, void *ctx, char *err, size_t errlen)
{
	if (!env->log) {
		snprintf(err, errlen, "no audit log to reconcile");
		return -1;
	}
	recon_job *j = calloc(1, sizeof *j);
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->env = env;
	j->gw = gw;
	j->done = done;
	j->ctx = ctx;
	if (audit_each_open_pending(env->log, on_open_pending, j)) {
		snprintf(err, errlen, "reading the audit log's pending records failed");
		for (size_t i = 0; i < j->n; i++)
			pending_free(&j->recs[i]);
		free(j->recs);
		free(j);
		return -1;
	}
	if (j->n == 0) {
		recon_finish(j, NULL, NULL);
		return 0;
	}
	if (gw->dialect == ACTION_DIALECT_LITELLM) {
		recon_finish(j, NULL, NULL);
		return 0;
	}
	if (gateway_get(env, gw, "/v1/controls?state=all", on_recon_controls, j)) {
		snprintf(err, errlen, "%s: could not start a request", gw->url);
		for (size_t i = 0; i < j->n; i++)
			pending_free(&j->recs[i]);
		free(j->recs);
		free(j);
		return -1;
	}
	return 0;
}

/* ---- listing ---- */

typedef struct list_job {
	action_list_fn done;
	void *ctx;
} list_job;

static void on_list(void *ctx, const http_response *r)
{
	list_job *j = ctx;
	j->done(j->ctx, r->status, r->body ? r->body : "", r->error);
	free(j);
}

typedef struct lite_list {
	const char *gateway;
	json_t *active; /* control id -> the record that applied it */
} lite_list;

static int on_lite_record(void *ctx, const audit_record *r)
{
	lite_list *l = ctx;
	if (strcmp(r->gateway, l->gateway) || strcmp(r->status, "applied") || !*r->control_id)
		return 0;
	if (strcmp(r->action, "lift") == 0) {
		json_object_del(l->active, r->control_id);
		return 0;
	}
	char ts[32];
	time_format_iso(r->ts_ms, ts, sizeof ts);
	json_t *params = json_loads(r->params, 0, NULL);
	json_object_set_new(l->active, r->control_id,
	                    json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I}", "id", r->control_id,
	                              "kind", r->action, "scope", r->scope, "params",
	                              params ? params : json_object(), "actor", r->actor,
	                              "created_at", ts, "audit_seq", (json_int_t)r->seq));
	return 0;
}

int action_list_start(const action_env *env, const action_gateway *gw, action_list_fn done,
                      void *ctx, char *err, size_t errlen)
{
	if (gw->dialect == ACTION_DIALECT_LITELLM) {
		if (!env->log) {
			snprintf(err, errlen,
			         "a LiteLLM proxy lists no controls and there is no audit log");
			return -1;
		}
		lite_list l = {gw->name, json_object()};
		audit_each(env->log, 0, on_lite_record, &l);
		json_t *arr = json_array();
		const char *key;
		json_t *v;
		json_object_foreach(l.active, key, v) json_array_append(arr, v);
		json_t *o = json_pack("{s:o, s:s}", "controls", arr, "source",
		                      "the audit log (a LiteLLM proxy lists no controls)");
		char *s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		json_decref(l.active);
		done(ctx, 200, s ? s : "{}", NULL);
		free(s);
		return 0;
	}
	list_job *j = calloc(1, sizeof *j);
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*j = (list_job){done, ctx};
	if (gateway_get(env, gw, "/v1/controls", on_list, j)) {
		free(j);
		snprintf(err, errlen, "%s: could not start a request", gw->url);
		return -1;
	}
	return 0;
}

size_t action_state_count(const char *state)
{
	json_t *doc = state ? json_loads(state, 0, NULL) : NULL;
	size_t n = json_array_size(json_object_get(doc, "controls"));
	json_decref(doc);
	return n;
}
