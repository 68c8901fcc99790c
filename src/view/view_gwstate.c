/* The gateways view: per live source, health, routes with targets and weights, controls, ages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/gwstate.h"
#include "tokentop/money.h"
#include "tokentop/timeutil.h"

typedef struct builder {
	view_gwstate *v;
	bool oom;
} builder;

static char *dup_str(builder *b, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		b->oom = true;
	return d;
}

static char *dup_key(builder *b, const json_t *o, const char *key)
{
	return dup_str(b, json_string_value(json_object_get(o, key)));
}

static char *dup_json(builder *b, const json_t *o)
{
	char *d = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!d)
		b->oom = true;
	return d;
}

static int64_t time_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	int64_t ms;
	return s && time_parse_iso(s, strlen(s), &ms) == 0 ? ms : 0;
}

/* The gateway of a source, added in name order (the store hands them over sorted). */
static view_gateway *gateway_of(builder *b, const char *source)
{
	view_gwstate *v = b->v;
	if (v->n && strcmp(v->gateways[v->n - 1].source, source) == 0)
		return &v->gateways[v->n - 1];
	view_gateway *g = realloc(v->gateways, (v->n + 1) * sizeof *g);
	if (!g) {
		b->oom = true;
		return NULL;
	}
	v->gateways = g;
	g = &g[v->n++];
	memset(g, 0, sizeof *g);
	g->max_budget_nanos = -1;
	g->source = dup_str(b, source);
	return g;
}

static void add_target(builder *b, view_gw_route *r, const char *provider, const char *model,
                       const char *tier, double weight, bool elevated)
{
	view_gw_target *t = realloc(r->targets, (r->ntargets + 1) * sizeof *t);
	if (!t) {
		b->oom = true;
		return;
	}
	r->targets = t;
	t = &t[r->ntargets++];
	t->provider = dup_str(b, provider);
	t->model = dup_str(b, model);
	t->tier = dup_str(b, tier);
	t->weight = weight;
	t->elevated = elevated;
}

static view_gw_route *add_route(builder *b, view_gateway *g, const char *name)
{
	view_gw_route *r = realloc(g->routes, (g->nroutes + 1) * sizeof *r);
	if (!r) {
		b->oom = true;
		return NULL;
	}
	g->routes = r;
	r = &r[g->nroutes++];
	memset(r, 0, sizeof *r);
	r->name = dup_str(b, name);
	return r;
}

static void free_routes(view_gateway *g)
{
	for (size_t i = 0; i < g->nroutes; i++) {
		view_gw_route *r = &g->routes[i];
		for (size_t k = 0; k < r->ntargets; k++) {
			free(r->targets[k].provider);
			free(r->targets[k].model);
			free(r->targets[k].tier);
		}
		for (size_t k = 0; k < r->ncontrols; k++)
			free(r->controls[k]);
		free(r->name);
		free(r->targets);
		free(r->controls);
	}
	free(g->routes);
	g->routes = NULL;
	g->nroutes = 0;
}

/* ---- one reader per kind of stored answer ---- */

static int read_health(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s)
{
	g->health_ms = s->fetched_ms;
	if (json_is_object(doc) && json_is_string(json_object_get(doc, "gateway"))) {
		g->dialect = VIEW_GW_TOKENTOP;
		g->gateway = dup_key(b, doc, "gateway");
		g->version = dup_key(b, doc, "version");
		int64_t t = time_of(doc, "time");
		g->has_skew = t != 0;
		g->skew_ms = t ? t - s->fetched_ms : 0;
		return 0;
	}
	/* LiteLLM's liveliness: a string, or an object with a status */
	g->dialect = VIEW_GW_LITELLM;
	const json_t *st = json_is_object(doc) ? json_object_get(doc, "status") : doc;
	g->status = json_is_string(st) ? dup_str(b, json_string_value(st)) : dup_json(b, doc);
	return 0;
}

static int read_routing(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s)
{
	json_t *routes = json_object_get(doc, "routes");
	if (!json_is_array(routes))
		return -1;
	free_routes(g);
	g->dialect = VIEW_GW_TOKENTOP;
	g->routing_ms = s->fetched_ms;
	size_t i, k;
	json_t *ro, *t, *c;
	json_array_foreach(routes, i, ro)
	{
		view_gw_route *r =
		    add_route(b, g, json_string_value(json_object_get(ro, "use_case")));
		if (!r)
			return 0;
		json_array_foreach(json_object_get(ro, "targets"), k, t)
		{
			json_t *w = json_object_get(t, "weight");
			add_target(b, r, json_string_value(json_object_get(t, "provider")),
			           json_string_value(json_object_get(t, "model")),
			           json_string_value(json_object_get(t, "tier")),
			           json_is_number(w) ? json_number_value(w) : NAN,
			           json_is_true(json_object_get(t, "elevated")));
		}
		json_t *ids = json_object_get(ro, "controls");
		r->controls = calloc(json_array_size(ids) + 1, sizeof *r->controls);
		if (!r->controls) {
			b->oom = true;
			return 0;
		}
		json_array_foreach(ids, k, c)
		{
			if (json_is_string(c))
				r->controls[r->ncontrols++] = dup_str(b, json_string_value(c));
		}
	}
	return 0;
}

static int read_controls(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s)
{
	json_t *controls = json_object_get(doc, "controls");
	if (!json_is_array(controls))
		return -1;
	g->dialect = VIEW_GW_TOKENTOP;
	g->controls_ms = s->fetched_ms;
	g->controls_etag = s->etag ? dup_str(b, s->etag) : NULL;
	g->controls = calloc(json_array_size(controls) + 1, sizeof *g->controls);
	if (!g->controls) {
		b->oom = true;
		return 0;
	}
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c)
	{
		/* only those in force: ?state=all answers would carry the ended ones too */
		const char *state = json_string_value(json_object_get(c, "state"));
		if (state && strcmp(state, "active") != 0)
			continue;
		view_gw_control *x = &g->controls[g->ncontrols++];
		json_t *params = json_object_get(c, "params");
		x->id = dup_key(b, c, "id");
		x->kind = dup_key(b, c, "kind");
		x->scope = dup_json(b, json_object_get(c, "scope"));
		x->params = json_is_object(params) ? dup_json(b, params) : dup_str(b, "{}");
		x->reason = dup_key(b, c, "reason");
		x->actor = dup_key(b, c, "actor");
		x->created_ms = time_of(c, "created_at");
		x->expires_ms = time_of(c, "expires_at");
	}
	return 0;
}

static int nanos_of(const json_t *n, int64_t *out)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.17g", json_number_value(n));
	return money_parse_usd(buf, strlen(buf), out);
}

/* LiteLLM's /global/spend. A fresh proxy answers {"spend": null, "max_budget": 0.0}: a null
 * spend is no spend yet, and a max_budget of 0 or null is LiteLLM's "no budget". */
static int read_global_spend(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s)
{
	(void)b;
	json_t *spend = json_object_get(doc, "spend"), *max = json_object_get(doc, "max_budget");
	if (json_is_null(spend))
		g->spend_nanos = 0;
	else if (!json_is_number(spend) || nanos_of(spend, &g->spend_nanos))
		return -1;
	g->dialect = VIEW_GW_LITELLM;
	g->spend_ms = s->fetched_ms;
	if (!json_is_number(max) || nanos_of(max, &g->max_budget_nanos) || g->max_budget_nanos <= 0)
		g->max_budget_nanos = -1;
	return 0;
}

/* A deployment's provider: LiteLLM's custom_llm_provider, else the "provider/" of its model. */
static void split_model(const json_t *params, char *provider, size_t pcap, const char **model)
{
	const char *m = json_string_value(json_object_get(params, "model"));
	const char *p = json_string_value(json_object_get(params, "custom_llm_provider"));
	const char *slash = m ? strchr(m, '/') : NULL;
	*model = slash ? slash + 1 : m ? m : "";
	if (p)
		snprintf(provider, pcap, "%s", p);
	else if (slash)
		snprintf(provider, pcap, "%.*s", (int)(slash - m), m);
	else
		provider[0] = 0;
}

static int cmp_route(const void *a, const void *b)
{
	return strcmp(((const view_gw_route *)a)->name, ((const view_gw_route *)b)->name);
}

static int read_model_info(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s)
{
	json_t *data = json_object_get(doc, "data");
	if (!json_is_array(data))
		return -1;
	free_routes(g);
	g->dialect = VIEW_GW_LITELLM;
	g->routing_ms = s->fetched_ms;
	size_t i;
	json_t *m;
	json_array_foreach(data, i, m)
	{
		const char *group = json_string_value(json_object_get(m, "model_name"));
		if (!group)
			continue;
		view_gw_route *r = NULL;
		for (size_t k = 0; k < g->nroutes && !r; k++)
			if (strcmp(g->routes[k].name, group) == 0)
				r = &g->routes[k];
		if (!r && !(r = add_route(b, g, group)))
			return 0;
		json_t *params = json_object_get(m, "litellm_params");
		json_t *w = json_object_get(params, "weight");
		char provider[128];
		const char *model;
		split_model(params, provider, sizeof provider, &model);
		add_target(b, r, provider, model, "",
		           json_is_number(w) ? json_number_value(w) : NAN, false);
	}
	if (g->nroutes > 1)
		qsort(g->routes, g->nroutes, sizeof *g->routes, cmp_route);
	return 0;
}

static int read_router_settings(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s)
{
	const char *strategy = json_string_value(
	    json_object_get(json_object_get(doc, "current_values"), "routing_strategy"));
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(doc, "fields"), i, f)
	{
		const char *name = json_string_value(json_object_get(f, "field_name"));
		if (!strategy && name && strcmp(name, "routing_strategy") == 0)
			strategy = json_string_value(json_object_get(f, "field_value"));
	}
	g->dialect = VIEW_GW_LITELLM;
	g->strategy_ms = s->fetched_ms;
	free(g->strategy);
	g->strategy = strategy ? dup_str(b, strategy) : NULL;
	return 0;
}

static const struct {
	const char *kind;
	int (*read)(builder *b, view_gateway *g, const json_t *doc, const tt_gwstate *s);
} readers[] = {
    {"health", read_health},         {"routing", read_routing},
    {"controls", read_controls},     {"global_spend", read_global_spend},
    {"model_info", read_model_info}, {"router_settings", read_router_settings},
};

static int add_answer(void *ctx, const tt_gwstate *s)
{
	builder *b = ctx;
	size_t r = 0;
	while (r < sizeof readers / sizeof readers[0] && strcmp(readers[r].kind, s->kind) != 0)
		r++;
	if (r == sizeof readers / sizeof readers[0])
		return 0; /* a kind a newer tokentop stored: not this view's */
	view_gateway *g = gateway_of(b, s->source);
	if (!g)
		return -1;
	json_t *doc = json_loadb(s->body, s->len, JSON_DECODE_ANY, NULL);
	if (!doc || readers[r].read(b, g, doc, s))
		b->v->unreadable++;
	json_decref(doc);
	return b->oom ? -1 : 0;
}

int view_gwstate_build(store *st, int64_t now_ms, view_gwstate *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	builder b = {v, false};
	if (store_gwstate_each(st, add_answer, &b)) {
		if (b.oom)
			snprintf(err, errlen, "out of memory reading the gateway state");
		else
			snprintf(err, errlen, "reading the gateway state: %s", store_errmsg(st));
		view_gwstate_free(v);
		return -1;
	}
	return 0;
}

void view_gwstate_free(view_gwstate *v)
{
	for (size_t i = 0; i < v->n; i++) {
		view_gateway *g = &v->gateways[i];
		free_routes(g);
		for (size_t k = 0; k < g->ncontrols; k++) {
			view_gw_control *c = &g->controls[k];
			free(c->id);
			free(c->kind);
			free(c->scope);
			free(c->params);
			free(c->reason);
			free(c->actor);
		}
		free(g->controls);
		free(g->controls_etag);
		free(g->source);
		free(g->gateway);
		free(g->version);
		free(g->status);
		free(g->strategy);
	}
	free(v->gateways);
	memset(v, 0, sizeof *v);
}
