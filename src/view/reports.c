/* The headless report views: summary, prompts and routing, built from one cube each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/view.h"

static bool status_is(const view_cube *c, size_t id, const char *name)
{
	return strcmp(c->dims[id][TT_D_STATUS], name) == 0;
}

static bool keep_unpriced(const view_cube *c, size_t id, void *ctx)
{
	(void)ctx;
	return c->m[id][TT_M_UNPRICED] > 0;
}

int view_summary_build(store *st, int64_t since_ms, int64_t until_ms, const ratecard *card,
                       view_summary *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->since_ms = since_ms;
	v->until_ms = until_ms;
	view_cube *c = &v->cube;
	if (view_cube_build(st, since_ms, until_ms, true, c, err, errlen))
		return -1;
	memcpy(v->m, c->total, sizeof v->m);
	v->chargeback_nanos = card ? 0 : -1;
	for (size_t id = 1; id < c->ndims; id++) {
		if (!c->dims[id][0] || !c->m[id][TT_M_REQUESTS])
			continue;
		int64_t n = c->m[id][TT_M_REQUESTS];
		for (int s = 0; s < TT_STATUS_COUNT; s++)
			if (status_is(c, id, event_status_name((tt_status)s))) {
				v->by_status[s] += n;
				if (event_status_is_error((tt_status)s))
					v->errors += n;
			}
		for (int k = 0; k < TT_CACHE_COUNT; k++)
			if (strcmp(c->dims[id][TT_D_CACHE], event_cache_name((tt_cache)k)) == 0)
				v->by_cache[k] += n;
	}
	static const tt_dim tier[] = {TT_D_TIER};
	view_rows tiers;
	if (card && view_group(c, tier, 1, NULL, NULL, &tiers) == 0) {
		for (size_t i = 0; i < tiers.n; i++)
			v->chargeback_nanos += ratecard_chargeback(
			    card, tiers.rows[i].key[0], tiers.rows[i].m[TT_M_COST_NANOS]);
		view_rows_free(&tiers);
	}
	v->cost_per_request_nanos = view_ratio_round(v->m[TT_M_COST_NANOS], v->m[TT_M_REQUESTS]);
	v->cost_per_success_nanos =
	    v->m[TT_M_SUCCESS] ? view_ratio_round(v->m[TT_M_COST_NANOS], v->m[TT_M_SUCCESS]) : -1;
	static const double qs[3] = {0.50, 0.95, 0.99};
	for (int i = 0; i < 3; i++) {
		v->latency_ms[i] = sketch_quantile(&c->latency, qs[i]);
		v->ttft_ms[i] = sketch_quantile(&c->ttft, qs[i]);
	}
	v->day0 = c->day0;
	v->ndays = c->ndays;
	v->by_day = c->by_day;
	static const tt_dim uc[] = {TT_D_USE_CASE}, team[] = {TT_D_TEAM}, ten[] = {TT_D_TENANT},
	                    prov[] = {TT_D_PROVIDER}, model[] = {TT_D_PROVIDER, TT_D_MODEL};
	if (view_group(c, uc, 1, NULL, NULL, &v->by_use_case) ||
	    view_group(c, team, 1, NULL, NULL, &v->by_team) ||
	    view_group(c, ten, 1, NULL, NULL, &v->by_tenant) ||
	    view_group(c, prov, 1, NULL, NULL, &v->by_provider) ||
	    view_group(c, model, 2, NULL, NULL, &v->by_model) ||
	    view_group(c, model, 2, keep_unpriced, NULL, &v->unpriced)) {
		snprintf(err, errlen, "out of memory");
		view_summary_free(v);
		return -1;
	}
	return 0;
}

void view_summary_free(view_summary *v)
{
	view_rows_free(&v->by_use_case);
	view_rows_free(&v->by_team);
	view_rows_free(&v->by_tenant);
	view_rows_free(&v->by_provider);
	view_rows_free(&v->by_model);
	view_rows_free(&v->unpriced);
	view_cube_free(&v->cube);
	v->by_day = NULL;
}

static int prompts_group(const view_cube *cube, size_t top, view_prompts *v, char *err,
                         size_t errlen)
{
	v->since_ms = cube->since_ms;
	v->until_ms = cube->until_ms;
	v->total_cost_nanos = cube->total[TT_M_COST_NANOS];
	static const tt_dim by[] = {TT_D_PROMPT_ID, TT_D_PROMPT_VERSION};
	if (view_group(cube, by, 2, NULL, NULL, &v->rows)) {
		snprintf(err, errlen, "out of memory");
		view_prompts_free(v);
		return -1;
	}
	v->top = top && top < v->rows.n ? top : v->rows.n;
	return 0;
}

int view_prompts_build(store *st, int64_t since_ms, int64_t until_ms, size_t top, view_prompts *v,
                       char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	if (view_cube_build(st, since_ms, until_ms, false, &v->cube, err, errlen))
		return -1;
	return prompts_group(&v->cube, top, v, err, errlen);
}

int view_prompts_of(const view_cube *cube, size_t top, view_prompts *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->of = cube;
	return prompts_group(cube, top, v, err, errlen);
}

void view_prompts_free(view_prompts *v)
{
	view_rows_free(&v->rows);
	view_cube_free(&v->cube);
	free(v->trend);
	free(v->change_pct);
	v->trend = v->change_pct = NULL;
	v->trend_n = 0;
}

static int cmp_targets(const void *pa, const void *pb)
{
	const view_row *a = pa, *b = pb;
	int c = strcmp(a->key[0], b->key[0]);
	if (c)
		return c;
	if (a->m[TT_M_REQUESTS] != b->m[TT_M_REQUESTS])
		return a->m[TT_M_REQUESTS] > b->m[TT_M_REQUESTS] ? -1 : 1;
	for (int i = 1; i < 4; i++)
		if ((c = strcmp(a->key[i], b->key[i])))
			return c;
	return 0;
}

static int routing_group(const view_cube *cube, view_routing *v, char *err, size_t errlen)
{
	v->since_ms = cube->since_ms;
	v->until_ms = cube->until_ms;
	static const tt_dim by[] = {TT_D_USE_CASE, TT_D_PROVIDER, TT_D_MODEL, TT_D_TIER};
	if (view_group(cube, by, 4, NULL, NULL, &v->targets))
		goto oom;
	/* Routes in name order, targets most-used first within each. */
	qsort(v->targets.rows, v->targets.n, sizeof *v->targets.rows, cmp_targets);
	v->routes = calloc(v->targets.n ? v->targets.n : 1, sizeof *v->routes);
	if (!v->routes)
		goto oom;
	for (size_t i = 0; i < v->targets.n; i++) {
		const view_row *t = &v->targets.rows[i];
		view_route *r = v->nroutes ? &v->routes[v->nroutes - 1] : NULL;
		if (!r || strcmp(r->use_case, t->key[0])) {
			r = &v->routes[v->nroutes++];
			r->use_case = t->key[0];
			r->first = i;
		}
		r->n++;
		r->requests += t->m[TT_M_REQUESTS];
		r->elevated += t->m[TT_M_ELEVATED];
		r->cost_nanos += t->m[TT_M_COST_NANOS];
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	view_routing_free(v);
	return -1;
}

int view_routing_build(store *st, int64_t since_ms, int64_t until_ms, view_routing *v, char *err,
                       size_t errlen)
{
	memset(v, 0, sizeof *v);
	if (view_cube_build(st, since_ms, until_ms, false, &v->cube, err, errlen))
		return -1;
	return routing_group(&v->cube, v, err, errlen);
}

int view_routing_of(const view_cube *cube, view_routing *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	return routing_group(cube, v, err, errlen);
}

void view_routing_free(view_routing *v)
{
	free(v->routes);
	v->routes = NULL;
	view_rows_free(&v->targets);
	view_cube_free(&v->cube);
}
