/* The routing catalogue: which targets each use case's requests go to, and how controls move them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define DAY_MS         86400000LL
#define CATALOGUE_DRAW 40000

static route *route_get(routing *rt, const char *use_case)
{
	for (int i = 0; i < rt->n; i++)
		if (strcmp(rt->r[i].use_case, use_case) == 0)
			return &rt->r[i];
	if (rt->n == SIM_ROUTES_MAX)
		return NULL;
	route *r = &rt->r[rt->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->use_case, sizeof r->use_case, "%s", use_case);
	return r;
}

static void route_count(route *r, const tt_event *ev)
{
	r->total++;
	for (int i = 0; i < r->n; i++) {
		route_target *t = &r->t[i];
		if (t->elevated == ev->elevated && strcmp(t->provider, ev->provider) == 0 &&
		    strcmp(t->model, ev->model) == 0) {
			t->count++;
			return;
		}
	}
	if (r->n == SIM_ROUTE_TARGETS)
		return;
	route_target *t = &r->t[r->n++];
	memcpy(t->provider, ev->provider, sizeof t->provider);
	memcpy(t->model, ev->model, sizeof t->model);
	memcpy(t->tier, ev->tier, sizeof t->tier);
	t->elevated = ev->elevated;
	t->count = 1;
}

static int by_count(const void *a, const void *b)
{
	const route_target *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->model, y->model);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const route *)a)->use_case, ((const route *)b)->use_case);
}

/* The workload's catalogue is not exposed, so it is measured: a week of draws from a private
 * workload (steady traffic, no scenario) counted per use case and target. */
void routing_build(routing *rt, uint64_t seed)
{
	memset(rt, 0, sizeof *rt);
	workload_opts o = {.seed = seed ^ 0x5eed0f0a7a1065ULL,
	                   .start_ms = 4 * DAY_MS, /* a Monday */
	                   .span_ms = 7 * DAY_MS};
	workload *w = workload_new(&o);
	if (!w)
		return;
	tt_event ev;
	for (int i = 0; i < CATALOGUE_DRAW; i++) {
		workload_event_at(w, o.start_ms + o.span_ms / CATALOGUE_DRAW * i, &ev);
		route *r = route_get(rt, ev.use_case);
		if (r)
			route_count(r, &ev);
	}
	workload_free(w);
	for (int i = 0; i < rt->n; i++)
		qsort(rt->r[i].t, (size_t)rt->r[i].n, sizeof rt->r[i].t[0], by_count);
	qsort(rt->r, (size_t)rt->n, sizeof rt->r[0], by_name);
}

const route *routing_find(const routing *rt, const char *use_case)
{
	for (int i = 0; i < rt->n; i++)
		if (strcmp(rt->r[i].use_case, use_case) == 0)
			return &rt->r[i];
	return NULL;
}

/* The most used target of exactly that tier in the route, else the largest smaller tier in the
 * route, else the most used target of that tier anywhere. */
const route_target *routing_degrade_target(const routing *rt, const char *use_case, int rank)
{
	const route *r = routing_find(rt, use_case);
	const route_target *best = NULL;
	int best_rank = -1;
	for (int i = 0; r && i < r->n; i++) {
		int k = tier_rank(r->t[i].tier);
		if (k < 0 || k > rank)
			continue;
		if (k > best_rank || (k == best_rank && r->t[i].count > best->count)) {
			best = &r->t[i];
			best_rank = k;
		}
	}
	if (best)
		return best;
	for (int j = 0; j < rt->n; j++)
		for (int i = 0; i < rt->r[j].n; i++) {
			const route_target *t = &rt->r[j].t[i];
			if (tier_rank(t->tier) == rank && (!best || t->count > best->count))
				best = t;
		}
	return best;
}

typedef struct view_target {
	const char *provider, *model, *tier;
	bool elevated;
	int64_t weight;
} view_target;

static void view_add(view_target *v, int *n, const char *provider, const char *model,
                     const char *tier, bool elevated, int64_t weight)
{
	for (int i = 0; i < *n; i++)
		if (v[i].elevated == elevated && strcmp(v[i].provider, provider) == 0 &&
		    strcmp(v[i].model, model) == 0) {
			v[i].weight += weight;
			return;
		}
	if (*n == SIM_ROUTE_TARGETS)
		return;
	v[(*n)++] = (view_target){provider, model, tier, elevated, weight};
}

static bool route_control(const sim_control *c, const route *r, int64_t now)
{
	return (c->kind == CK_REROUTE || c->kind == CK_DEGRADE) && control_active_at(c, now) &&
	       strcmp(c->scope[SCOPE_USE_CASE], r->use_case) == 0;
}

static json_t *route_json(const routing *rt, const route *r, sim_control *const *ctl, size_t n,
                          int64_t now)
{
	view_target v[SIM_ROUTE_TARGETS], next[SIM_ROUTE_TARGETS];
	int nv = 0;
	json_t *ids = json_array();
	const sim_control *reroute = NULL;
	for (size_t i = 0; i < n; i++)
		if (route_control(ctl[i], r, now) && ctl[i]->kind == CK_REROUTE)
			reroute = ctl[i];
	if (reroute) {
		for (int i = 0; i < reroute->n_targets; i++) {
			const sim_target *t = &reroute->targets[i];
			view_add(v, &nv, t->provider, t->model, t->tier, false, t->weight);
		}
	} else {
		for (int i = 0; i < r->n; i++)
			view_add(v, &nv, r->t[i].provider, r->t[i].model, r->t[i].tier,
			         r->t[i].elevated, r->t[i].count);
	}
	for (size_t i = 0; i < n; i++) {
		const sim_control *c = ctl[i];
		if (!route_control(c, r, now))
			continue;
		json_array_append_new(ids, json_string(c->id));
		if (c->kind != CK_DEGRADE)
			continue;
		int nn = 0;
		for (int j = 0; j < nv; j++) {
			int k = tier_rank(v[j].tier);
			int want = c->tier[0] ? tier_rank(c->tier) : k - 1;
			const route_target *to =
			    k > want ? routing_degrade_target(rt, r->use_case, want) : NULL;
			if (to)
				view_add(next, &nn, to->provider, to->model, to->tier, false,
				         v[j].weight);
			else
				view_add(next, &nn, v[j].provider, v[j].model, v[j].tier,
				         v[j].elevated, v[j].weight);
		}
		memcpy(v, next, sizeof v[0] * (size_t)nn);
		nv = nn;
	}
	int64_t total = 0;
	for (int i = 0; i < nv; i++)
		total += v[i].weight;
	json_t *targets = json_array();
	for (int i = 0; i < nv; i++) {
		int64_t permille = total ? (v[i].weight * 1000 + total / 2) / total : 0;
		json_array_append_new(targets, json_pack("{s:s, s:s, s:s, s:I, s:b}", "provider",
		                                         v[i].provider, "model", v[i].model, "tier",
		                                         v[i].tier, "weight", (json_int_t)permille,
		                                         "elevated", v[i].elevated));
	}
	return json_pack("{s:s, s:o, s:o}", "use_case", r->use_case, "targets", targets, "controls",
	                 ids);
}

json_t *routing_json(const routing *rt, sim_control *const *ctl, size_t n, int64_t now_ms)
{
	json_t *routes = json_array();
	for (int i = 0; i < rt->n; i++)
		json_array_append_new(routes, route_json(rt, &rt->r[i], ctl, n, now_ms));
	return json_pack("{s:o}", "routes", routes);
}
