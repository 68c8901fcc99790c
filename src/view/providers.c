/* The Providers view: error classes, latency and TTFT quantiles and state per provider and model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/providers.h"
#include "tokentop/strmap.h"

static const char *const state_names[VIEW_PROVIDER_STATE_COUNT] = {"ok", "degraded", "failing"};

/* Most severe first: the first threshold reached names the state. */
static const struct {
	view_provider_state state;
	int64_t ppm;
} thresholds[] = {
    {VIEW_PROVIDER_FAILING, VIEW_PROVIDERS_FAILING_PPM},
    {VIEW_PROVIDER_DEGRADED, VIEW_PROVIDERS_DEGRADED_PPM},
};

const char *view_providers_state_name(view_provider_state s)
{
	return s < VIEW_PROVIDER_STATE_COUNT ? state_names[s] : "?";
}

view_provider_state view_providers_state_of(int64_t errors, int64_t calls)
{
	if (calls <= 0)
		return VIEW_PROVIDER_OK;
	/* in integers, so that a rate exactly at a threshold is never lost to rounding */
	for (size_t i = 0; i < sizeof thresholds / sizeof *thresholds; i++)
		if ((__int128)errors * 1000000 >= (__int128)thresholds[i].ppm * calls)
			return thresholds[i].state;
	return VIEW_PROVIDER_OK;
}

/* What a dims id adds to, found the first time a rollup row carries it. */
typedef struct idinfo {
	int32_t prov, model; /* row indices; prov -1: not looked up yet */
	bool call, error;
} idinfo;

typedef struct rows {
	view_provider_row *v;
	size_t n, cap;
	strmap *index;
} rows;

typedef struct pctx {
	vdims dims;
	idinfo *of;
	rows prov, model;
	view_provider_row total;
	sketch tmp;
	const char *failed; /* why the scan stopped */
} pctx;

static void row_init(view_provider_row *r, const char *provider, const char *model)
{
	memset(r, 0, sizeof *r);
	snprintf(r->provider, sizeof r->provider, "%s", provider);
	snprintf(r->model, sizeof r->model, "%s", model);
	sketch_init(&r->latency);
	sketch_init(&r->ttft);
}

/* The index of the row keyed key, adding it when new; -1 out of memory. */
static int32_t row_find(rows *rs, const char *key, size_t klen, const char *provider,
                        const char *model)
{
	int64_t i = strmap_get(rs->index, key, klen);
	if (i >= 0)
		return (int32_t)i;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		view_provider_row *nv = realloc(rs->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		rs->v = nv;
		rs->cap = cap;
	}
	if (strmap_put(rs->index, key, klen, (int64_t)rs->n))
		return -1;
	row_init(&rs->v[rs->n], provider, model);
	return (int32_t)rs->n++;
}

/* NULL, or why the row cannot be counted. */
static const char *look_up(pctx *c, int64_t id)
{
	idinfo *x = &c->of[id];
	char *const *d = c->dims.v[id];
	const char *p = d[TT_D_PROVIDER], *m = d[TT_D_MODEL];
	tt_status s = c->dims.status[id];
	/* the statuses our own controls give and cache hits never reached the provider */
	x->call = s != TT_STATUS_KILLED && s != TT_STATUS_THROTTLED && s != TT_STATUS_COUNT &&
	          strcmp(d[TT_D_CACHE], event_cache_name(TT_CACHE_HIT)) != 0;
	x->error = x->call && event_status_is_error(s);
	char key[TT_NAME_CAP + TT_MODEL_CAP + 1];
	size_t pl = strlen(p), ml = strlen(m);
	if (pl >= TT_NAME_CAP || ml >= TT_MODEL_CAP)
		return "a provider or model name longer than an event holds in the database";
	memcpy(key, p, pl);
	key[pl] = 0x1f;
	memcpy(key + pl + 1, m, ml);
	x->prov = row_find(&c->prov, p, pl, p, "");
	x->model = row_find(&c->model, key, pl + 1 + ml, p, m);
	return x->prov < 0 || x->model < 0 ? "out of memory" : NULL;
}

static void add_counts(view_provider_row *r, const idinfo *x, tt_status s, const int64_t *m)
{
	int64_t n = m[TT_M_REQUESTS];
	r->requests += n;
	if (s < TT_STATUS_COUNT)
		r->by_status[s] += n;
	if (x->call)
		r->calls += n;
	if (x->error)
		r->errors += n;
	r->cost_nanos += m[TT_M_COST_NANOS];
}

static int add_row(void *ctx, tt_res res, const tt_rollup *row)
{
	(void)res;
	pctx *c = ctx;
	if (!vdims_has(&c->dims, row->dims_id))
		return 0; /* a dims row added after they were loaded: the next build shows it */
	idinfo *x = &c->of[row->dims_id];
	if (x->prov < 0 && (c->failed = look_up(c, row->dims_id)))
		return 1;
	view_provider_row *r[3] = {&c->prov.v[x->prov], &c->model.v[x->model], &c->total};
	tt_status s = c->dims.status[row->dims_id];
	for (int i = 0; i < 3; i++)
		add_counts(r[i], x, s, row->m);
	if (!x->call)
		return 0;
	/* decoded once, merged three times */
	for (int k = 0; k < TT_SK_COUNT; k++) {
		if (!row->sk[k])
			continue;
		sketch_clear(&c->tmp);
		if (sketch_merge_blob(&c->tmp, row->sk[k], row->sklen[k])) {
			c->failed = "malformed latency sketch in the database";
			return 1;
		}
		for (int i = 0; i < 3; i++)
			if (sketch_merge(k == TT_SK_LATENCY ? &r[i]->latency : &r[i]->ttft,
			                 &c->tmp)) {
				c->failed = "out of memory";
				return 1;
			}
	}
	return 0;
}

static void finish(view_provider_row *r)
{
	r->error_rate = r->calls ? (double)r->errors / (double)r->calls : 0.0;
	r->state = view_providers_state_of(r->errors, r->calls);
	r->p50_ms = sketch_quantile(&r->latency, 0.50);
	r->p95_ms = sketch_quantile(&r->latency, 0.95);
	r->p99_ms = sketch_quantile(&r->latency, 0.99);
	r->ttft_p50_ms = sketch_quantile(&r->ttft, 0.50);
	r->ttft_p95_ms = sketch_quantile(&r->ttft, 0.95);
}

static int cmp_cost(const view_provider_row *a, const view_provider_row *b)
{
	if (a->cost_nanos != b->cost_nanos)
		return a->cost_nanos > b->cost_nanos ? -1 : 1;
	if (a->requests != b->requests)
		return a->requests > b->requests ? -1 : 1;
	int c = strcmp(a->provider, b->provider);
	return c ? c : strcmp(a->model, b->model);
}

static int cmp_providers(const void *a, const void *b)
{
	return cmp_cost(a, b);
}

static int cmp_models(const void *pa, const void *pb)
{
	const view_provider_row *a = pa, *b = pb;
	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	return cmp_cost(a, b);
}

static void rows_free(view_provider_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sketch_free(&v[i].latency);
		sketch_free(&v[i].ttft);
	}
	free(v);
}

/* Providers costliest first; each model row then learns its provider's place. */
static int arrange(pctx *c, view_providers *v)
{
	if (!c->prov.n)
		return 0; /* nothing in the range (and qsort must not see a NULL array) */
	qsort(c->prov.v, c->prov.n, sizeof *c->prov.v, cmp_providers);
	for (size_t i = 0; i < c->prov.n; i++) {
		const char *p = c->prov.v[i].provider;
		if (strmap_put(c->prov.index, p, strlen(p), (int64_t)i))
			return -1;
	}
	for (size_t i = 0; i < c->model.n; i++) {
		const char *p = c->model.v[i].provider;
		c->model.v[i].parent = (size_t)strmap_get(c->prov.index, p, strlen(p));
	}
	qsort(c->model.v, c->model.n, sizeof *c->model.v, cmp_models);
	for (size_t i = 0; i < c->model.n; i++) {
		view_provider_row *p = &c->prov.v[c->model.v[i].parent];
		if (!p->n)
			p->first = i;
		p->n++;
	}
	v->providers = c->prov.v;
	v->nproviders = c->prov.n;
	v->models = c->model.v;
	v->nmodels = c->model.n;
	c->prov.v = c->model.v = NULL;
	c->prov.n = c->model.n = 0;
	return 0;
}

static void ctx_free(pctx *c)
{
	rows_free(c->prov.v, c->prov.n);
	rows_free(c->model.v, c->model.n);
	strmap_free(c->prov.index);
	strmap_free(c->model.index);
	sketch_free(&c->tmp);
	free(c->of);
	vdims_free(&c->dims);
}

int view_providers_build(store *st, int64_t since_ms, int64_t until_ms, view_providers *v,
                         char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->since_ms = since_ms;
	v->until_ms = until_ms;
	row_init(&v->total, "", "");
	pctx c = {0};
	sketch_init(&c.tmp);
	c.total = v->total;
	const char *why = NULL;
	if (vdims_load(st, &c.dims)) {
		why = store_errmsg(st);
		goto fail;
	}
	c.prov.index = strmap_new();
	c.model.index = strmap_new();
	c.of = malloc((c.dims.n ? c.dims.n : 1) * sizeof *c.of);
	if (!c.prov.index || !c.model.index || !c.of) {
		why = "out of memory";
		goto fail;
	}
	for (size_t i = 0; i < c.dims.n; i++)
		c.of[i] = (idinfo){.prov = -1, .model = -1};
	if (c.dims.n && store_rollup_scan(st, since_ms, until_ms, true, add_row, &c)) {
		why = c.failed ? c.failed : store_errmsg(st);
		goto fail;
	}
	for (size_t i = 0; i < c.prov.n; i++)
		finish(&c.prov.v[i]);
	for (size_t i = 0; i < c.model.n; i++)
		finish(&c.model.v[i]);
	finish(&c.total);
	if (arrange(&c, v)) {
		why = "out of memory";
		goto fail;
	}
	v->total = c.total;
	c.total = (view_provider_row){0};
	ctx_free(&c);
	return 0;
fail:
	snprintf(err, errlen, "reading rollups: %s", why);
	sketch_free(&c.total.latency);
	sketch_free(&c.total.ttft);
	ctx_free(&c);
	view_providers_free(v);
	return -1;
}

void view_providers_free(view_providers *v)
{
	rows_free(v->providers, v->nproviders);
	rows_free(v->models, v->nmodels);
	sketch_free(&v->total.latency);
	sketch_free(&v->total.ttft);
	memset(v, 0, sizeof *v);
}
