/* The console's runbook: the action table, policy and sending handed to the screens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/action.h"
#include "tokentop/app.h"
#include "tokentop/audit.h"
#include "tokentop/money.h"
#include "tokentop/policy.h"
#include "tokentop/runbook.h"
#include "tokentop/timeutil.h"

#define RB_GATEWAYS_MAX 32

struct runbook {
	uv_loop_t *loop;
	http_client *http;
	audit *log;
	app_identity who;
	action_env env;
	action_gateway gw[RB_GATEWAYS_MAX];
	char *tokens[RB_GATEWAYS_MAX];
	char url[RB_GATEWAYS_MAX][CONFIG_URL_CAP], userpwd[RB_GATEWAYS_MAX][CONFIG_URL_CAP];
	size_t ngw;
	ui_runbook *list;
	char (*params)[160];
	char (*why)[256];
	ui_runbook_ops ops;
};

/* One plan or send in flight, with where its answer goes. */
typedef struct rb_call {
	runbook *rb;
	ui_planned_fn planned;
	ui_sent_fn sent;
	void *uictx;
} rb_call;

static void on_plan(void *ctx, action_plan *p)
{
	rb_call *call = ctx;
	ui_plan v = {0};
	if (p->error[0]) {
		snprintf(v.error, sizeof v.error, "%s", p->error);
	} else {
		snprintf(v.title, sizeof v.title, "%s on %s at %s%s", p->req.def->name,
		         p->scope[0] ? p->scope : p->req.id, p->gw.name,
		         p->gw.production ? " (PRODUCTION)" : "");
		const action_blast *b = &p->blast;
		char a[48], t[48];
		if (b->known)
			snprintf(v.lines[v.nlines++], sizeof v.lines[0],
			         "in scope now: %s/min, %.2f req/s, %.1f%% of requests (last 15 "
			         "min)%s%s",
			         (money_format_human(b->cost_per_min_nanos, a, sizeof a), a),
			         b->requests_per_s, 100.0 * b->share, b->note[0] ? "; " : "",
			         b->note);
		else
			snprintf(v.lines[v.nlines++], sizeof v.lines[0], "blast radius unknown: %s",
			         b->note);
		money_format_human(b->total_cost_nanos, t, sizeof t);
		snprintf(v.lines[v.nlines++], sizeof v.lines[0],
		         "controls in force: %zu before, %zu after",
		         action_state_count(p->state_before), action_state_count(p->state_after));
		char *desc = action_plan_describe(p);
		if (desc) {
			/* the request line and the body: the last line of the description */
			char *nl = strchr(desc, '\n');
			snprintf(v.lines[v.nlines++], sizeof v.lines[0], "request: %.*s",
			         nl ? (int)(nl - desc) : (int)strlen(desc), desc);
			const char *body = strrchr(desc, '\n');
			while (body && body > desc && body[1] == 0) { /* trailing newlines */
				const char *q = body - 1;
				while (q > desc && *q != '\n')
					q--;
				body = q;
			}
			if (body && body != nl && body[1] == '{')
				snprintf(v.lines[v.nlines++], sizeof v.lines[0], "body: %s",
				         body + 1);
			free(desc);
		}
		snprintf(v.lines[v.nlines++], sizeof v.lines[0], "Idempotency-Key: %s%s%s",
		         p->idem_key, p->etag[0] ? "   If-Match: " : "", p->etag);
		v.typed_confirm = p->typed_confirm;
		snprintf(v.confirm_word, sizeof v.confirm_word, "%s", p->confirm_word);
		v.production = p->gw.production;
	}
	call->planned(call->uictx, p, &v);
	free(call);
}

static const action_gateway *find_gw(runbook *rb, const char *name)
{
	if (!name)
		return rb->ngw ? &rb->gw[0] : NULL;
	for (size_t i = 0; i < rb->ngw; i++)
		if (!strcmp(rb->gw[i].name, name))
			return &rb->gw[i];
	return NULL;
}

/* The HTTP client, made when first needed: libcurl's start-up loads TLS, which a console
 * that never acts need not carry. */
static int rb_http(runbook *rb, char *err, size_t errlen)
{
	if (!rb->http && !(rb->env.http = rb->http = http_client_new(rb->loop))) {
		snprintf(err, errlen, "cannot start the HTTP client");
		return -1;
	}
	return 0;
}

static int rb_plan(void *ctx, const char *action, const char *args, const char *reason,
                   ui_planned_fn done, void *uictx, char *err, size_t errlen)
{
	runbook *rb = ctx;
	const action_def *def = action_find(action);
	if (!def) {
		snprintf(err, errlen, "no action '%s'", action);
		return -1;
	}
	action_req req;
	action_req_init(&req, def);
	char buf[1024], gwname[128] = "";
	snprintf(buf, sizeof buf, "%s", args ? args : "");
	for (char *save = NULL, *tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s': give KEY=VALUE (a scope key or a parameter)",
			         tok);
			return -1;
		}
		*eq = 0;
		int p = action_param_find(tok);
		if (!strcmp(tok, "gateway")) {
			snprintf(gwname, sizeof gwname, "%s", eq + 1);
		} else if (!strcmp(tok, "expires")) {
			if (action_parse_expires(eq + 1, time_now_ms(), &req.expires_ms, err,
			                         errlen))
				return -1;
		} else if (p >= 0) {
			if (action_param_set(&req, (action_param)p, eq + 1, err, errlen))
				return -1;
		} else {
			*eq = '=';
			if (action_scope_parse(&req, tok, err, errlen))
				return -1;
		}
	}
	const action_gateway *gw = find_gw(rb, gwname[0] ? gwname : NULL);
	if (!gw) {
		snprintf(err, errlen,
		         gwname[0] ? "no [gateway %s] configured"
		                   : "no [gateway] configured to act on",
		         gwname);
		return -1;
	}
	snprintf(req.reason, sizeof req.reason, "%s", reason ? reason : "");
	snprintf(req.actor, sizeof req.actor, "%s", rb->who.actor);
	rb_call *call = calloc(1, sizeof *call);
	if (!call) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*call = (rb_call){.rb = rb, .planned = done, .uictx = uictx};
	if (rb_http(rb, err, errlen) ||
	    action_plan_start(&rb->env, gw, &req, on_plan, call, err, errlen)) {
		free(call);
		return -1;
	}
	return 0;
}

static void on_sent(void *ctx, const action_result *r)
{
	rb_call *call = ctx;
	call->sent(call->uictx, r->applied, r->message);
	free(call);
}

static int rb_send(void *ctx, void *handle, ui_sent_fn done, void *uictx, char *err, size_t errlen)
{
	runbook *rb = ctx;
	rb_call *call = calloc(1, sizeof *call);
	if (!call) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*call = (rb_call){.rb = rb, .sent = done, .uictx = uictx};
	if (action_send(handle, on_sent, call, err, errlen)) {
		free(call);
		action_plan_free(handle);
		return -1;
	}
	return 0;
}

static void rb_drop(void *ctx, void *handle)
{
	(void)ctx;
	action_plan_free(handle);
}

static const char *const incident_kinds[] = {"cost", "latency", "outage", "safety"};

static int rb_incident(void *ctx, const char *verb, int64_t id, const char *kind, const char *text,
                       int64_t *out_id, char *err, size_t errlen)
{
	runbook *rb = ctx;
	if (!rb->log) {
		snprintf(err, errlen, "the audit log is not open (read-only)");
		return -1;
	}
	json_t *p = NULL;
	audit_record r = {.actor = rb->who.actor,
	                  .role = rb->who.role,
	                  .host = rb->who.host,
	                  .status = "recorded",
	                  .params = "{}"};
	if (!strcmp(verb, "open")) {
		bool known = false;
		for (size_t i = 0; i < sizeof incident_kinds / sizeof incident_kinds[0]; i++)
			known |= kind && !strcmp(kind, incident_kinds[i]);
		if (!known || !text || !*text) {
			snprintf(err, errlen,
			         "incident: give a kind (cost, latency, outage, safety) "
			         "and a title");
			return -1;
		}
		p = json_pack("{s:s,s:s}", "kind", kind, "title", text);
		r.kind = "incident";
		r.action = "open";
	} else if (!strcmp(verb, "note")) {
		if (!text || !*text) {
			snprintf(err, errlen, "note: the text is empty");
			return -1;
		}
		p = json_pack("{s:s}", "text", text);
		r.kind = "note";
		r.action = "note";
		r.ref_seq = id;
	} else {
		r.kind = "incident";
		r.action = "close";
		r.reason = text;
		r.ref_seq = id;
	}
	char *params = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(p);
	if (p && !params) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (params)
		r.params = params;
	int rc = audit_append(rb->log, &r, err, errlen);
	free(params);
	if (!rc && out_id)
		*out_id = r.seq;
	return rc;
}

static void on_reconciled(void *ctx, int applied, int failed, const char *error)
{
	(void)ctx;
	(void)applied;
	(void)failed;
	(void)error; /* the outcome is in the audit log, on the Audit screen */
}

runbook *runbook_new(uv_loop_t *loop, store *st, const tt_config *cfg, const char *audit_key,
                     char *err, size_t errlen)
{
	runbook *rb = calloc(1, sizeof *rb);
	if (!rb) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rb->loop = loop;
	const policy_access *access = cfg->naccess ? cfg->access : NULL;
	app_whoami(&rb->who, access);
	if (access && access->readonly)
		policy_set_readonly();
	policy_role role = policy_role_of(access, rb->who.actor); /* incidents record it too */
	rb->list = calloc(action_count, sizeof *rb->list);
	rb->params = calloc(action_count, sizeof *rb->params);
	rb->why = calloc(action_count, sizeof *rb->why);
	if (!rb->list || !rb->params || !rb->why) {
		snprintf(err, errlen, "out of memory");
		runbook_free(rb);
		return NULL;
	}
	/* a read-only console needs no key: nothing will be written */
	if (!policy_readonly() && !(rb->log = app_open_audit(st, audit_key))) {
		snprintf(err, errlen, "the audit log cannot be opened (above); actions need it");
		runbook_free(rb);
		return NULL;
	}
	for (size_t i = 0; i < cfg->ngateways && rb->ngw < RB_GATEWAYS_MAX; i++) {
		const gateway_spec *g = &cfg->gateways[i];
		char token[4096], why[1024];
		if (config_token(g->token_env, g->token_file, token, sizeof token, why,
		                 sizeof why)) {
			snprintf(err, errlen, "[gateway %s]: %s", g->name, why);
			runbook_free(rb);
			return NULL;
		}
		size_t k = rb->ngw++;
		rb->tokens[k] = strdup(token);
		memset(token, 0, sizeof token);
		int has_userpwd = http_url_split(g->url, rb->url[k], sizeof rb->url[k],
		                                 rb->userpwd[k], sizeof rb->userpwd[k]);
		rb->gw[k] = (action_gateway){
		    .name = g->name,
		    .url = rb->url[k],
		    .userpwd = has_userpwd > 0 ? rb->userpwd[k] : NULL,
		    .dialect = g->dialect == GATEWAY_LITELLM ? ACTION_DIALECT_LITELLM
		                                             : ACTION_DIALECT_TOKENTOP,
		    .token = rb->tokens[k] && *rb->tokens[k] ? rb->tokens[k] : NULL,
		    .production = g->production,
		    .insecure = g->insecure};
	}
	rb->env = (action_env){.http = rb->http,
	                       .log = rb->log,
	                       .st = st,
	                       .user = rb->who.actor,
	                       .host = rb->who.host,
	                       .role = role};
	for (size_t i = 0; i < action_count; i++) {
		const action_def *d = &action_table[i];
		ui_runbook *u = &rb->list[i];
		size_t n = 0;
		for (int p = 0; p < ACTION_P_COUNT; p++)
			if ((d->params & ACTION_BIT(p)) && n < sizeof rb->params[i])
				n += (size_t)snprintf(
				    rb->params[i] + n, sizeof rb->params[i] - n, "%s%s=%s",
				    n ? " " : "", action_params[p].name, action_params[p].metavar);
		*u = (ui_runbook){.name = d->name,
		                  .key = d->key,
		                  .keyname = d->keyname,
		                  .help = d->help,
		                  .dangerous = (d->flags & ACTION_DANGEROUS) != 0,
		                  .lift = d->kind == NULL,
		                  .params = n ? rb->params[i] : NULL};
		if (policy_check(d, role, rb->who.actor, rb->why[i], sizeof rb->why[i]))
			u->unavailable = rb->why[i];
	}
	rb->ops = (ui_runbook_ops){.actions = rb->list,
	                           .n = action_count,
	                           .plan = rb_plan,
	                           .send = rb_send,
	                           .drop = rb_drop,
	                           .incident = rb_incident,
	                           .ctx = rb};
	char e[512];
	if (rb->log && rb->ngw && rb_http(rb, e, sizeof e)) {
		snprintf(err, errlen, "%s", e);
		runbook_free(rb);
		return NULL;
	}
	if (rb->log)
		for (size_t i = 0; i < rb->ngw; i++)
			action_reconcile_start(&rb->env, &rb->gw[i], on_reconciled, rb, e,
			                       sizeof e);
	return rb;
}

const ui_runbook_ops *runbook_ops(runbook *r)
{
	return &r->ops;
}

void runbook_free(runbook *rb)
{
	if (!rb)
		return;
	if (rb->http)
		http_client_free(rb->http);
	memset(rb->userpwd, 0, sizeof rb->userpwd);
	for (size_t i = 0; i < rb->ngw; i++)
		if (rb->tokens[i]) {
			memset(rb->tokens[i], 0, strlen(rb->tokens[i])); /* tokens do not linger */
			free(rb->tokens[i]);
		}
	audit_close(rb->log);
	free(rb->list);
	free(rb->params);
	free(rb->why);
	free(rb);
}
