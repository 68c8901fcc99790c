/* The routes view: observed shares beside configured weights, the controls and recent changes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/audit.h"
#include "tokentop/gwstate.h"

/* The first tokentop-dialect route of that name over the gateways (in source order). */
static const view_gw_route *configured(const view_gwstate *gw, const char *name,
                                       const char **source)
{
	for (size_t i = 0; gw && i < gw->n; i++) {
		const view_gateway *g = &gw->gateways[i];
		if (g->dialect != VIEW_GW_TOKENTOP)
			continue;
		for (size_t k = 0; k < g->nroutes; k++)
			if (g->routes[k].name && strcmp(g->routes[k].name, name) == 0) {
				*source = g->source;
				return &g->routes[k];
			}
	}
	return NULL;
}

static bool target_matches(const view_gw_target *t, const char *provider, const char *model,
                           const char *tier)
{
	return strcmp(t->provider, provider) == 0 && strcmp(t->model, model) == 0 &&
	       (!*t->tier || strcmp(t->tier, tier) == 0);
}

/* A target's configured share: its weight over the route's (even when none is given). */
static double config_share(const view_gw_route *r, size_t k)
{
	double sum = 0;
	bool given = true;
	for (size_t i = 0; i < r->ntargets; i++) {
		if (isnan(r->targets[i].weight))
			given = false;
		else
			sum += r->targets[i].weight;
	}
	if (!given || sum <= 0)
		return r->ntargets ? 1.0 / (double)r->ntargets : NAN;
	return r->targets[k].weight / sum;
}

static void route_add(view_routes *v, const char *name, const char *source,
                      const view_gw_route *cfg, const view_routing *obs, const view_route *seen)
{
	view_rroute *rr = &v->routes[v->nroutes++];
	memset(rr, 0, sizeof *rr);
	rr->name = name;
	rr->source = cfg ? source : NULL;
	rr->first = v->ntargets;
	bool used[256] = {false}; /* configured targets matched by an observed one */
	if (seen) {
		rr->requests = seen->requests;
		rr->elevated = seen->elevated;
		rr->cost_nanos = seen->cost_nanos;
		for (size_t k = seen->first; k < seen->first + seen->n; k++) {
			const view_row *t = &obs->targets.rows[k];
			view_rtarget *o = &v->targets[v->ntargets++];
			*o = (view_rtarget){.provider = t->key[1],
			                    .model = t->key[2],
			                    .tier = t->key[3],
			                    .requests = t->m[TT_M_REQUESTS],
			                    .elevated = t->m[TT_M_ELEVATED],
			                    .cost_nanos = t->m[TT_M_COST_NANOS],
			                    .share = seen->requests ? (double)t->m[TT_M_REQUESTS] /
			                                                  (double)seen->requests
			                                            : 0.0,
			                    .config = cfg ? 0.0 : NAN};
			for (size_t i = 0; cfg && i < cfg->ntargets; i++)
				if (target_matches(&cfg->targets[i], o->provider, o->model,
				                   o->tier)) {
					o->config = config_share(cfg, i);
					if (i < 256)
						used[i] = true;
					break;
				}
		}
	}
	for (size_t i = 0; cfg && i < cfg->ntargets; i++) {
		if (i < 256 && used[i])
			continue;
		const view_gw_target *t = &cfg->targets[i];
		v->targets[v->ntargets++] = (view_rtarget){.provider = t->provider,
		                                           .model = t->model,
		                                           .tier = t->tier,
		                                           .config = config_share(cfg, i)};
	}
	rr->n = v->ntargets - rr->first;
	rr->divergence = NAN;
	if (!cfg || rr->requests < VIEW_ROUTE_MIN_REQUESTS)
		return;
	rr->divergence = 0;
	for (size_t k = rr->first; k < rr->first + rr->n; k++) {
		view_rtarget *t = &v->targets[k];
		if (isnan(t->config))
			continue;
		double d = fabs(t->share - t->config);
		t->off = d > VIEW_ROUTE_DIVERGE;
		if (d > rr->divergence)
			rr->divergence = d;
	}
	rr->diverges = rr->divergence > VIEW_ROUTE_DIVERGE;
	v->ndiverging += rr->diverges;
}

static bool route_listed(const view_routes *v, const char *name)
{
	for (size_t i = 0; i < v->nroutes; i++)
		if (strcmp(v->routes[i].name, name) == 0)
			return true;
	return false;
}

/* The route a control shapes: the route listing its id, else its scope's use case. */
static const char *control_route(const view_gateway *g, const view_gw_control *c)
{
	for (size_t i = 0; i < g->nroutes; i++)
		for (size_t k = 0; k < g->routes[i].ncontrols; k++)
			if (strcmp(g->routes[i].controls[k], c->id) == 0)
				return g->routes[i].name;
	const char *found = NULL;
	json_t *scope = c->scope ? json_loads(c->scope, 0, NULL) : NULL;
	const char *uc = json_string_value(json_object_get(scope, "use_case"));
	for (size_t i = 0; uc && i < g->nroutes; i++)
		if (strcmp(g->routes[i].name, uc) == 0)
			found = g->routes[i].name;
	json_decref(scope);
	return found;
}

static int add_controls(view_routes *v, const view_gwstate *gw)
{
	size_t cap = 0;
	for (size_t i = 0; gw && i < gw->n; i++)
		cap += gw->gateways[i].ncontrols;
	v->controls = calloc(cap ? cap : 1, sizeof *v->controls);
	if (!v->controls)
		return -1;
	for (size_t i = 0; gw && i < gw->n; i++) {
		const view_gateway *g = &gw->gateways[i];
		for (size_t k = 0; k < g->ncontrols; k++) {
			const view_gw_control *c = &g->controls[k];
			if (!c->kind || (strcmp(c->kind, "reroute") && strcmp(c->kind, "degrade")))
				continue;
			const char *route = control_route(g, c);
			if (!route)
				continue;
			v->controls[v->ncontrols++] = (view_rcontrol){.route = route,
			                                              .source = g->source,
			                                              .id = c->id,
			                                              .kind = c->kind,
			                                              .reason = c->reason,
			                                              .actor = c->actor,
			                                              .created_ms = c->created_ms,
			                                              .expires_ms = c->expires_ms};
		}
	}
	return 0;
}

/* ---- the audit log's route actions ---- */

typedef struct applied_ctl {
	char *gateway, *id, *route;
} applied_ctl;

typedef struct changes_ctx {
	int64_t since_ms;
	applied_ctl *ctl; /* reroutes and degrades applied, to name the route of a lift */
	size_t nctl, capctl;
	audit *log;
	view_rchange *ring; /* the newest VIEW_ROUTE_CHANGES_MAX */
	size_t n;
	bool oom;
} changes_ctx;

/* The use case of a recorded scope ("use_case=support-bot tier=..."), into buf; NULL: none. */
static const char *scope_use_case(const char *scope, char *buf, size_t cap)
{
	const char *p = scope ? strstr(scope, "use_case=") : NULL;
	if (!p || (p != scope && p[-1] != ' '))
		return NULL;
	p += strlen("use_case=");
	size_t n = strcspn(p, " ");
	if (!n || n >= cap)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

static char *dup_or_oom(changes_ctx *x, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		x->oom = true;
	return d;
}

static void change_free(view_rchange *c)
{
	free(c->route);
	free(c->action);
	free(c->status);
	free(c->actor);
	free(c->gateway);
	free(c->reason);
	free(c->control_id);
	memset(c, 0, sizeof *c);
}

typedef struct ref_ctx {
	int64_t ref_seq;
	char scope[256];
	bool shaping, found;
} ref_ctx;

static int ref_of(void *ctx, const audit_record *r)
{
	ref_ctx *f = ctx;
	f->found = true;
	f->ref_seq = r->ref_seq;
	f->shaping = !strcmp(r->kind, "action") &&
	             (!strcmp(r->action, "reroute") || !strcmp(r->action, "degrade"));
	snprintf(f->scope, sizeof f->scope, "%s", r->scope ? r->scope : "");
	return 0;
}

/* The route a lift undid, when the control it lifted was applied before the records read:
 * the lift's outcome points at its pending record, which points at the control's record. */
static const char *lifted_route(changes_ctx *x, const audit_record *r, char *buf, size_t cap)
{
	int64_t seq = r->ref_seq;
	for (int hop = 0; hop < 2 && seq > 0; hop++) {
		ref_ctx f = {0};
		if (audit_get(x->log, seq, ref_of, &f) || !f.found)
			return NULL;
		if (f.shaping)
			return scope_use_case(f.scope, buf, cap);
		seq = f.ref_seq;
	}
	return NULL;
}

static int keep_change(void *ctx, const audit_record *r)
{
	changes_ctx *x = ctx;
	if (strcmp(r->kind, "action"))
		return 0;
	bool shaping = !strcmp(r->action, "reroute") || !strcmp(r->action, "degrade");
	bool lift = !strcmp(r->action, "lift");
	if (!shaping && !lift)
		return 0;
	char ucbuf[256];
	const char *route = NULL;
	if (shaping)
		route = scope_use_case(r->scope, ucbuf, sizeof ucbuf);
	else
		for (size_t i = 0; i < x->nctl && r->control_id && *r->control_id; i++)
			if (!strcmp(x->ctl[i].id, r->control_id) &&
			    !strcmp(x->ctl[i].gateway, r->gateway))
				route = x->ctl[i].route;
	char lifted[256];
	if (lift && !route && r->ts_ms >= x->since_ms && strcmp(r->status, "pending"))
		route = lifted_route(x, r, lifted, sizeof lifted);
	if (!route)
		return 0;
	if (shaping && !strcmp(r->status, "applied") && r->control_id && *r->control_id) {
		if (x->nctl == x->capctl) {
			size_t cap = x->capctl ? 2 * x->capctl : 16;
			applied_ctl *p = realloc(x->ctl, cap * sizeof *p);
			if (!p)
				return -1;
			x->ctl = p;
			x->capctl = cap;
		}
		applied_ctl *a = &x->ctl[x->nctl++];
		a->gateway = dup_or_oom(x, r->gateway);
		a->id = dup_or_oom(x, r->control_id);
		a->route = dup_or_oom(x, route);
	}
	/* a pending record is followed by its outcome: only the outcome is a change */
	if (r->ts_ms < x->since_ms || !strcmp(r->status, "pending"))
		return 0;
	view_rchange *c = &x->ring[x->n++ % VIEW_ROUTE_CHANGES_MAX];
	change_free(c);
	c->seq = r->seq;
	c->ts_ms = r->ts_ms;
	c->route = dup_or_oom(x, route);
	c->action = dup_or_oom(x, r->action);
	c->status = dup_or_oom(x, r->status);
	c->actor = dup_or_oom(x, r->actor);
	c->gateway = dup_or_oom(x, r->gateway);
	c->reason = dup_or_oom(x, r->reason);
	c->control_id = dup_or_oom(x, r->control_id);
	return x->oom ? -1 : 0;
}

static int add_changes(view_routes *v, store *st, char *err, size_t errlen)
{
	v->changes = calloc(VIEW_ROUTE_CHANGES_MAX, sizeof *v->changes);
	if (!v->changes)
		return -1;
	if (!st)
		return 0;
	audit *a = audit_open_mode(st, NULL, AUDIT_KEY_NONE, err, errlen);
	if (!a)
		return -1;
	changes_ctx x = {
	    .since_ms = v->now_ms - VIEW_ROUTE_CHANGES_MS, .ring = v->changes, .log = a};
	/* the records of the window only: a long log is not read at every refresh */
	int rc = audit_each(a, x.since_ms, keep_change, &x);
	audit_close(a);
	for (size_t i = 0; i < x.nctl; i++) {
		free(x.ctl[i].gateway);
		free(x.ctl[i].id);
		free(x.ctl[i].route);
	}
	free(x.ctl);
	if (rc || x.oom) {
		snprintf(err, errlen, "reading the audit log: %s",
		         x.oom ? "out of memory" : store_errmsg(st));
		v->nchanges = x.n < VIEW_ROUTE_CHANGES_MAX ? x.n : VIEW_ROUTE_CHANGES_MAX;
		return -1;
	}
	/* the ring, newest first */
	size_t n = x.n < VIEW_ROUTE_CHANGES_MAX ? x.n : VIEW_ROUTE_CHANGES_MAX;
	view_rchange tmp[VIEW_ROUTE_CHANGES_MAX];
	for (size_t i = 0; i < n; i++)
		tmp[i] = v->changes[(x.n - 1 - i) % VIEW_ROUTE_CHANGES_MAX];
	memcpy(v->changes, tmp, n * sizeof *tmp);
	v->nchanges = n;
	return 0;
}

int view_routes_build(store *st, const view_routing *obs, const view_gwstate *gw, int64_t now_ms,
                      view_routes *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	size_t nr = obs ? obs->nroutes : 0, nt = obs ? obs->targets.n : 0;
	for (size_t i = 0; gw && i < gw->n; i++) {
		nr += gw->gateways[i].nroutes;
		for (size_t k = 0; k < gw->gateways[i].nroutes; k++)
			nt += gw->gateways[i].routes[k].ntargets;
	}
	v->routes = calloc(nr ? nr : 1, sizeof *v->routes);
	v->targets = calloc(nt ? nt : 1, sizeof *v->targets);
	if (!v->routes || !v->targets)
		goto oom;
	for (size_t i = 0; obs && i < obs->nroutes; i++) {
		const char *source = NULL;
		const view_gw_route *cfg = configured(gw, obs->routes[i].use_case, &source);
		route_add(v, obs->routes[i].use_case, source, cfg, obs, &obs->routes[i]);
	}
	for (size_t i = 0; gw && i < gw->n; i++) {
		const view_gateway *g = &gw->gateways[i];
		if (g->dialect != VIEW_GW_TOKENTOP)
			continue;
		for (size_t k = 0; k < g->nroutes; k++)
			if (g->routes[k].name && !route_listed(v, g->routes[k].name))
				route_add(v, g->routes[k].name, g->source, &g->routes[k], obs,
				          NULL);
	}
	if (add_controls(v, gw))
		goto oom;
	if (add_changes(v, st, err, errlen)) {
		view_routes_free(v);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	view_routes_free(v);
	return -1;
}

void view_routes_free(view_routes *v)
{
	for (size_t i = 0; i < v->nchanges; i++)
		change_free(&v->changes[i]);
	free(v->changes);
	free(v->controls);
	free(v->targets);
	free(v->routes);
	memset(v, 0, sizeof *v);
}
