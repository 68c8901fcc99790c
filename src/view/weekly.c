/* The weekly cost review: two day cubes (this week, the same span a week earlier) folded into
 * breakdowns, the elevated requests' cost from the events, budgets, the week's alerts, and
 * its incidents and actions from the audit log. */
#include "tokentop/weekly.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/audit.h"
#include "tokentop/evsum.h"
#include "tokentop/timeutil.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL
#define WEEK_MS (7 * DAY_MS)

/* The alerts view replays its detectors over the 6 hours before its "now" (docs/alerts.md);
 * the week is covered by one replay per 6 hours, and an alert open at the end of one replay
 * that fires again within ALERT_JOIN of the next one's start is the same alert. */
#define ALERT_REPLAY_MS (6 * HOUR_MS)
#define ALERT_STEP_MS   (5 * MIN_MS)
#define ALERT_JOIN_MS   (4 * ALERT_STEP_MS)

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ISO 8601 weeks: Monday first; week 1 holds the year's first Thursday. */
static int64_t monday_of(int64_t day)
{
	return day - ((day + 3) % 7 + 7) % 7; /* day 0, 1970-01-01, was a Thursday */
}

static int64_t week1_monday(int64_t year)
{
	return monday_of(time_days_from_civil(year, 1, 4));
}

void view_week_name(int64_t start_ms, char *buf, size_t cap)
{
	int64_t thursday = monday_of(floor_div(start_ms, DAY_MS)) + 3, y;
	unsigned m, d;
	time_civil_from_days(thursday, &y, &m, &d);
	snprintf(buf, cap, "%04" PRId64 "-W%02" PRId64, y,
	         (thursday - 3 - week1_monday(y)) / 7 + 1);
}

int view_week_parse(const char *s, int64_t now_ms, int64_t *start_ms)
{
	int64_t this_week = monday_of(floor_div(now_ms, DAY_MS));
	if (!strcmp(s, "this")) {
		*start_ms = this_week * DAY_MS;
		return 0;
	}
	if (!strcmp(s, "last")) {
		*start_ms = (this_week - 7) * DAY_MS;
		return 0;
	}
	int year, week, n = 0;
	if (sscanf(s, "%4d-W%2d%n", &year, &week, &n) != 2 || n != 8 || s[n] || week < 1)
		return -1;
	int64_t monday = week1_monday(year) + (int64_t)(week - 1) * 7, y;
	unsigned m, d;
	time_civil_from_days(monday + 3, &y, &m, &d);
	if (y != year) /* a week 53 the year does not have */
		return -1;
	*start_ms = monday * DAY_MS;
	return 0;
}

/* ---- breakdowns: this week against last ---- */

static int cmp_keys(const view_week_line *a, const view_week_line *b)
{
	for (int i = 0; i < 2; i++) {
		if (!a->key[i] || !b->key[i])
			break;
		int c = strcmp(a->key[i], b->key[i]);
		if (c)
			return c;
	}
	return 0;
}

static int cmp_by_key(const void *pa, const void *pb)
{
	return cmp_keys(pa, pb);
}

static int cmp_by_cost(const void *pa, const void *pb)
{
	const view_week_line *a = pa, *b = pb;
	if (a->cost_nanos != b->cost_nanos)
		return a->cost_nanos > b->cost_nanos ? -1 : 1;
	if (a->prev_cost_nanos != b->prev_cost_nanos)
		return a->prev_cost_nanos > b->prev_cost_nanos ? -1 : 1;
	return cmp_keys(a, b);
}

static int cmp_by_growth(const void *pa, const void *pb)
{
	const view_week_line *a = pa, *b = pb;
	int64_t ga = a->cost_nanos - a->prev_cost_nanos, gb = b->cost_nanos - b->prev_cost_nanos;
	if (ga != gb)
		return ga > gb ? -1 : 1;
	return cmp_by_cost(pa, pb);
}

/* Every key of either week with both weeks' figures, costliest this week first. */
static int week_lines(const view_cube *cur, const view_cube *prev, const tt_dim *by, size_t nby,
                      view_week_lines *out)
{
	memset(out, 0, sizeof *out);
	view_rows a, b;
	if (view_group(cur, by, nby, NULL, NULL, &a))
		return -1;
	if (view_group(prev, by, nby, NULL, NULL, &b)) {
		view_rows_free(&a);
		return -1;
	}
	out->rows = calloc(a.n + b.n + 1, sizeof *out->rows);
	if (!out->rows) {
		view_rows_free(&a);
		view_rows_free(&b);
		return -1;
	}
	for (size_t i = 0; i < a.n; i++) {
		view_week_line *l = &out->rows[out->n++];
		for (size_t k = 0; k < nby; k++)
			l->key[k] = a.rows[i].key[k];
		l->cost_nanos = a.rows[i].m[TT_M_COST_NANOS];
		l->requests = a.rows[i].m[TT_M_REQUESTS];
	}
	qsort(out->rows, out->n, sizeof *out->rows, cmp_by_key);
	size_t ncur = out->n;
	for (size_t i = 0; i < b.n; i++) {
		view_week_line probe = {{0}};
		for (size_t k = 0; k < nby; k++)
			probe.key[k] = b.rows[i].key[k];
		view_week_line *l = bsearch(&probe, out->rows, ncur, sizeof *out->rows, cmp_by_key);
		if (!l) {
			l = &out->rows[out->n++];
			*l = probe;
		}
		l->prev_cost_nanos = b.rows[i].m[TT_M_COST_NANOS];
		l->prev_requests = b.rows[i].m[TT_M_REQUESTS];
	}
	view_rows_free(&a);
	view_rows_free(&b);
	qsort(out->rows, out->n, sizeof *out->rows, cmp_by_cost);
	return 0;
}

static void lines_free(view_week_lines *l)
{
	free(l->rows);
	memset(l, 0, sizeof *l);
}

/* The top prompts by spend and by growth, from every prompt of either week. */
static int prompt_lines(view_weekly *v)
{
	static const tt_dim by[] = {TT_D_PROMPT_ID, TT_D_PROMPT_VERSION};
	view_week_lines all;
	if (week_lines(&v->cur_cube, &v->prev_cube, by, 2, &all))
		return -1;
	size_t top = all.n < WEEKLY_TOP ? all.n : WEEKLY_TOP;
	v->top_prompts.rows = calloc(WEEKLY_TOP, sizeof *v->top_prompts.rows);
	v->prompt_growth.rows = calloc(WEEKLY_TOP, sizeof *v->prompt_growth.rows);
	if (!v->top_prompts.rows || !v->prompt_growth.rows) {
		lines_free(&all);
		return -1;
	}
	for (size_t i = 0; i < top && all.rows[i].cost_nanos > 0; i++)
		v->top_prompts.rows[v->top_prompts.n++] = all.rows[i];
	qsort(all.rows, all.n, sizeof *all.rows, cmp_by_growth);
	for (size_t i = 0; i < all.n && v->prompt_growth.n < WEEKLY_TOP; i++)
		if (all.rows[i].cost_nanos > all.rows[i].prev_cost_nanos)
			v->prompt_growth.rows[v->prompt_growth.n++] = all.rows[i];
	lines_free(&all);
	return 0;
}

/* ---- days, cache, routing ---- */

static int64_t per_success(int64_t cost, int64_t success)
{
	return success ? view_ratio_round(cost, success) : -1;
}

static void fill_days(view_weekly *v)
{
	int64_t day0 = floor_div(v->start_ms, DAY_MS);
	for (int d = 0; d < 7; d++) {
		view_week_day *w = &v->days[d];
		const int64_t *c = v->cur_cube.by_day[d], *p = v->prev_cube.by_day[d];
		w->day = day0 + d;
		w->reached = w->day * DAY_MS < v->until_ms;
		w->cost_nanos = c[TT_M_COST_NANOS];
		w->requests = c[TT_M_REQUESTS];
		w->success = c[TT_M_SUCCESS];
		w->cost_per_success_nanos = per_success(w->cost_nanos, w->success);
		w->prev_cost_nanos = p[TT_M_COST_NANOS];
		w->prev_success = p[TT_M_SUCCESS];
		w->prev_cost_per_success_nanos = per_success(w->prev_cost_nanos, w->prev_success);
	}
}

static view_week_cache *cache_of(view_weekly *v, const char *use_case)
{
	for (size_t i = 0; i < v->ncache; i++)
		if (!strcmp(v->cache[i].use_case, use_case))
			return &v->cache[i];
	view_week_cache *c = &v->cache[v->ncache++];
	c->use_case = use_case;
	return c;
}

static void cache_add(view_week_cache *c, const char *state, const int64_t *m, bool prev)
{
	bool hit = !strcmp(state, event_cache_name(TT_CACHE_HIT));
	bool miss = !strcmp(state, event_cache_name(TT_CACHE_MISS));
	if (prev) {
		if (miss) {
			c->prev_misses += m[TT_M_REQUESTS];
			c->prev_miss_cost_nanos += m[TT_M_COST_NANOS];
		}
		return;
	}
	if (hit) {
		c->hits += m[TT_M_REQUESTS];
		c->hit_saved_nanos += m[TT_M_SAVED_NANOS];
	} else {
		c->prompt_saved_nanos += m[TT_M_SAVED_NANOS];
	}
	if (miss) {
		c->misses += m[TT_M_REQUESTS];
		c->miss_cost_nanos += m[TT_M_COST_NANOS];
	}
}

static int cmp_cache(const void *pa, const void *pb)
{
	const view_week_cache *a = pa, *b = pb;
	if (a->miss_cost_nanos != b->miss_cost_nanos)
		return a->miss_cost_nanos > b->miss_cost_nanos ? -1 : 1;
	return strcmp(a->use_case, b->use_case);
}

static int fill_cache(view_weekly *v)
{
	static const tt_dim by[] = {TT_D_USE_CASE, TT_D_CACHE};
	view_rows a, b;
	if (view_group(&v->cur_cube, by, 2, NULL, NULL, &a))
		return -1;
	if (view_group(&v->prev_cube, by, 2, NULL, NULL, &b)) {
		view_rows_free(&a);
		return -1;
	}
	v->cache = calloc(a.n + b.n + 1, sizeof *v->cache);
	if (!v->cache) {
		view_rows_free(&a);
		view_rows_free(&b);
		return -1;
	}
	v->cache_total.use_case = "";
	for (int w = 0; w < 2; w++) {
		const view_rows *r = w ? &b : &a;
		for (size_t i = 0; i < r->n; i++) {
			cache_add(cache_of(v, r->rows[i].key[0]), r->rows[i].key[1], r->rows[i].m,
			          w);
			cache_add(&v->cache_total, r->rows[i].key[1], r->rows[i].m, w);
		}
	}
	view_rows_free(&a);
	view_rows_free(&b);
	/* only the use cases that looked the cache up, in either week */
	size_t k = 0;
	for (size_t i = 0; i < v->ncache; i++)
		if (v->cache[i].hits || v->cache[i].misses || v->cache[i].prev_misses)
			v->cache[k++] = v->cache[i];
	v->ncache = k;
	qsort(v->cache, v->ncache, sizeof *v->cache, cmp_cache);
	return 0;
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

static view_week_route *route_of(view_weekly *v, const char *use_case)
{
	for (size_t i = 0; i < v->nroutes; i++)
		if (!strcmp(v->routes[i].use_case, use_case))
			return &v->routes[i];
	return NULL;
}

typedef struct elev_ctx {
	view_weekly *v;
	const view_daycube *dc;
	bool prev;
} elev_ctx;

static int add_elevated(void *ctx, int64_t dims_id, int64_t requests, int64_t cost)
{
	elev_ctx *e = ctx;
	if (dims_id <= 0 || (size_t)dims_id >= e->dc->ndims || !e->dc->dims[dims_id][0])
		return 0;
	view_week_route *r = route_of(e->v, e->dc->dims[dims_id][TT_D_USE_CASE]);
	if (!r)
		return 0; /* the use case served nothing this week */
	if (e->prev) {
		r->prev_elevated_cost_nanos += cost;
		(void)requests; /* counted from the rollups, as this week's */
	} else {
		r->elevated_cost_nanos += cost;
	}
	return 0;
}

static int fill_routes(store *st, view_weekly *v)
{
	static const tt_dim by[] = {TT_D_USE_CASE, TT_D_PROVIDER, TT_D_MODEL, TT_D_TIER};
	if (view_group(&v->cur_cube, by, 4, NULL, NULL, &v->targets))
		return -1;
	qsort(v->targets.rows, v->targets.n, sizeof *v->targets.rows, cmp_targets);
	v->routes = calloc(v->targets.n + 1, sizeof *v->routes);
	if (!v->routes)
		return -1;
	for (size_t i = 0; i < v->targets.n; i++) {
		const view_row *t = &v->targets.rows[i];
		view_week_route *r = v->nroutes ? &v->routes[v->nroutes - 1] : NULL;
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
	static const tt_dim uc[] = {TT_D_USE_CASE};
	view_rows p;
	if (view_group(&v->prev_cube, uc, 1, NULL, NULL, &p))
		return -1;
	for (size_t i = 0; i < p.n; i++) {
		view_week_route *r = route_of(v, p.rows[i].key[0]);
		if (r)
			r->prev_elevated = p.rows[i].m[TT_M_ELEVATED];
	}
	view_rows_free(&p);
	elev_ctx a = {v, &v->cur, false}, b = {v, &v->prev, true};
	if (evsum_elevated(st, v->start_ms, v->until_ms, add_elevated, &a) ||
	    evsum_elevated(st, v->prev_start_ms, v->prev_until_ms, add_elevated, &b))
		return -2;
	return 0;
}

/* The chart's series: the costliest use cases this week, and the rest as "other". */
static void fill_series(view_weekly *v)
{
	size_t n = v->by_use_case.n, apart = n > WEEKLY_CHART_SERIES + 1 ? WEEKLY_CHART_SERIES : n;
	for (size_t i = 0; i < apart; i++)
		v->series[i] = v->by_use_case.rows[i].key[0];
	v->nseries = apart + (apart < n);
	if (apart < n)
		v->series[apart] = "other";
	int64_t day0 = floor_div(v->start_ms, DAY_MS);
	for (size_t i = 0; i < v->cur.n; i++) {
		const view_daycell *c = &v->cur.cells[i];
		int64_t d = c->day - day0;
		if (d < 0 || d >= 7)
			continue;
		const char *uc = v->cur.dims[c->id][TT_D_USE_CASE];
		size_t s = 0;
		while (s < apart && strcmp(v->series[s], uc))
			s++;
		v->series_cost[s][d] += c->m[TT_M_COST_NANOS];
	}
}

/* ---- the week's alerts ---- */

static bool same_alert(const anomaly_alert *a, const anomaly_alert *b)
{
	return a->kind == b->kind && !strcmp(a->scope, b->scope);
}

static int week_alerts(store *st, const budget_spec *budgets, size_t nbudgets, view_weekly *v,
                       char *err, size_t errlen)
{
	size_t cap = 0;
	int64_t from = v->start_ms;
	while (from < v->until_ms) {
		int64_t now =
		    from + ALERT_REPLAY_MS < v->until_ms ? from + ALERT_REPLAY_MS : v->until_ms;
		view_alerts a;
		if (view_alerts_build(st, budgets, nbudgets, now, &a, err, errlen))
			return -1;
		size_t before = v->nalerts;
		bool *seen = calloc(before + 1, sizeof *seen);
		if (!seen) {
			view_alerts_free(&a);
			return -2;
		}
		for (size_t i = 0; i < a.n; i++) {
			const anomaly_alert *x = &a.alerts[i];
			if (x->last_ms < from)
				continue; /* replayed before the week */
			anomaly_alert *y = NULL;
			for (size_t k = 0; k < before && !y; k++) {
				const anomaly_alert *o = &v->alerts[k];
				/* the one it continues, or itself seen again where replays overlap
				 */
				if (same_alert(o, x) &&
				    ((o->resolved_ms < 0 && x->since_ms <= from + ALERT_JOIN_MS) ||
				     o->since_ms == x->since_ms))
					y = &v->alerts[k];
			}
			if (y) {
				anomaly_severity peak = y->peak > x->peak ? y->peak : x->peak;
				int64_t since = y->since_ms;
				*y = *x;
				y->since_ms = since;
				y->peak = peak;
				seen[y - v->alerts] = true;
				continue;
			}
			if (v->nalerts == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				anomaly_alert *na = realloc(v->alerts, ncap * sizeof *na);
				if (!na) {
					free(seen);
					view_alerts_free(&a);
					return -2;
				}
				v->alerts = na;
				cap = ncap;
			}
			v->alerts[v->nalerts++] = *x;
		}
		/* open at the end of the last replay and not firing in this one: it cleared */
		for (size_t k = 0; k < before; k++)
			if (v->alerts[k].resolved_ms < 0 && !seen[k])
				v->alerts[k].resolved_ms = v->alerts[k].last_ms + ALERT_STEP_MS;
		free(seen);
		view_alerts_free(&a);
		from = now;
	}
	return 0;
}

static int cmp_alerts(const void *pa, const void *pb)
{
	const anomaly_alert *a = pa, *b = pb;
	if (a->since_ms != b->since_ms)
		return a->since_ms < b->since_ms ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->scope, b->scope);
}

/* ---- incidents and actions, from the audit log ---- */

typedef struct audit_ctx {
	view_weekly *v;
	size_t icap, acap;
	int failed;
} audit_ctx;

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* "alice" or "alice (as bob)". */
static char *who_of(const audit_record *r)
{
	char buf[512];
	snprintf(buf, sizeof buf, *r->as_name ? "%s (as %s)" : "%s", r->actor, r->as_name);
	return strdup(buf);
}

static char *param_of(const char *params, const char *key)
{
	json_t *j = json_loads(params, 0, NULL);
	const char *s = json_string_value(json_object_get(j, key));
	char *out = strdup(s ? s : "");
	json_decref(j);
	return out;
}

static view_week_incident *incident_find(view_weekly *v, int64_t id)
{
	for (size_t i = 0; i < v->nincidents; i++)
		if (v->incidents[i].id == id)
			return &v->incidents[i];
	return NULL;
}

static void incident_free(view_week_incident *x)
{
	free(x->kind);
	free(x->title);
	free(x->opened_by);
	free(x->closed_by);
	free(x->close_reason);
}

static void action_free(view_week_action *x)
{
	free(x->action);
	free(x->gateway);
	free(x->scope);
	free(x->reason);
	free(x->control_id);
	free(x->actor);
	free(x->status);
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? 2 * *cap : 16;
	void *q = realloc(*p, ncap * size);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static int on_record(void *ctx, const audit_record *r)
{
	audit_ctx *c = ctx;
	view_weekly *v = c->v;
	if (r->ts_ms >= v->until_ms)
		return 0; /* after what was read (records go by sequence, not strictly by time) */
	bool in_week = r->ts_ms >= v->start_ms;
	bool is_incident = !strcmp(r->kind, "incident");
	if (is_incident && !strcmp(r->action, "open")) {
		if (grow((void **)&v->incidents, &c->icap, v->nincidents, sizeof *v->incidents))
			return c->failed = -1;
		view_week_incident *x = &v->incidents[v->nincidents++];
		memset(x, 0, sizeof *x);
		x->id = r->seq;
		x->opened_ms = r->ts_ms;
		x->opened_in_week = in_week;
		x->kind = param_of(r->params, "kind");
		x->title = param_of(r->params, "title");
		x->opened_by = who_of(r);
		if (!x->kind || !x->title || !x->opened_by)
			return c->failed = -1;
		return 0;
	}
	view_week_incident *x = r->ref_seq ? incident_find(v, r->ref_seq) : NULL;
	if (x && is_incident && !strcmp(r->action, "close") && !x->closed_ms) {
		x->closed_ms = r->ts_ms;
		x->closed_in_week = in_week;
		x->closed_by = who_of(r);
		x->close_reason = dup_or_empty(r->reason);
		return x->closed_by && x->close_reason ? 0 : (c->failed = -1);
	}
	if (x && !strcmp(r->kind, "note")) {
		x->notes++;
		x->notes_in_week += in_week;
		return 0;
	}
	bool outcome = !strcmp(r->status, "applied") || !strcmp(r->status, "failed");
	if (!in_week || !outcome || (strcmp(r->kind, "action") && strcmp(r->kind, "reconcile")))
		return 0;
	if (grow((void **)&v->actions, &c->acap, v->nactions, sizeof *v->actions))
		return c->failed = -1;
	view_week_action *a = &v->actions[v->nactions++];
	memset(a, 0, sizeof *a);
	a->seq = r->seq;
	a->ts_ms = r->ts_ms;
	a->ref_seq = r->ref_seq;
	a->action = dup_or_empty(r->action);
	a->gateway = dup_or_empty(r->gateway);
	a->scope = dup_or_empty(r->scope);
	a->reason = dup_or_empty(r->reason);
	a->control_id = dup_or_empty(r->control_id);
	a->actor = who_of(r);
	a->status = dup_or_empty(r->status);
	a->lift = !strcmp(r->action, "lift");
	a->reconciled = !strcmp(r->kind, "reconcile");
	if (!a->action || !a->gateway || !a->scope || !a->reason || !a->control_id || !a->actor ||
	    !a->status)
		return c->failed = -1;
	bool applied = !strcmp(r->status, "applied");
	v->actions_applied += applied;
	v->actions_failed += !applied;
	v->lifts += applied && a->lift;
	return 0;
}

/* Keeps the incidents open at some time in the week: not closed before it began. */
static void keep_week_incidents(view_weekly *v)
{
	size_t k = 0;
	for (size_t i = 0; i < v->nincidents; i++) {
		view_week_incident *x = &v->incidents[i];
		if (x->closed_ms && x->closed_ms < v->start_ms) {
			incident_free(x);
			continue;
		}
		v->incidents_opened += x->opened_in_week;
		v->incidents_closed += x->closed_in_week;
		v->incidents[k++] = *x;
	}
	v->nincidents = k;
}

static int week_audit(store *st, view_weekly *v, char *err, size_t errlen)
{
	audit *a = audit_open_mode(st, NULL, AUDIT_KEY_NONE, err, errlen);
	if (!a)
		return -1;
	audit_ctx c = {.v = v};
	int rc = audit_each(a, INT64_MIN, on_record, &c);
	audit_close(a);
	if (c.failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "reading the audit log: %s", store_errmsg(st));
		return -1;
	}
	keep_week_incidents(v);
	return 0;
}

/* ---- the view ---- */

int view_weekly_coverage_note(const view_weekly *v, char *buf, size_t cap)
{
	if (!v->partial && !v->prev_partial)
		return 0;
	char from[32], until[32];
	time_format_iso(v->data_first_ms, from, sizeof from);
	time_format_iso(v->data_last_ms, until, sizeof until);
	if (!v->data_first_ms && !v->data_last_ms)
		snprintf(buf, cap, "Partial data: the database holds no events.");
	else
		snprintf(
		    buf, cap,
		    "Partial data: events from %.16s to %.16s UTC cover %.0f%% of this week and "
		    "%.0f%% of the week before%s.",
		    from, until, 100 * v->coverage, 100 * v->prev_coverage,
		    v->prev_partial ? "; changes compare partial spans, not whole weeks" : "");
	return 1;
}

/* The part of [a, b) that the data [first, last] covers, to the minute the rollups keep. */
static double covered(int64_t first, int64_t last, int64_t a, int64_t b)
{
	if (!first && !last)
		return 0;
	first -= ((first % MIN_MS) + MIN_MS) % MIN_MS;
	last += MIN_MS - ((last % MIN_MS) + MIN_MS) % MIN_MS;
	int64_t lo = first > a ? first : a, hi = last < b ? last : b;
	return hi > lo && b > a ? (double)(hi - lo) / (double)(b - a) : 0;
}

int view_weekly_build(store *st, int64_t start_ms, int64_t now_ms, const budget_spec *budgets,
                      size_t nbudgets, view_weekly *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->start_ms = start_ms;
	v->end_ms = start_ms + WEEK_MS;
	v->until_ms = now_ms < v->end_ms ? now_ms : v->end_ms;
	if (v->until_ms <= start_ms) {
		char name[16];
		view_week_name(start_ms, name, sizeof name);
		snprintf(err, errlen, "%s has not begun yet", name);
		return -1;
	}
	v->prev_start_ms = start_ms - WEEK_MS;
	v->prev_until_ms = v->until_ms - WEEK_MS;
	if (store_time_bounds(st, &v->data_first_ms, &v->data_last_ms) < 0) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		return -1;
	}
	v->coverage = covered(v->data_first_ms, v->data_last_ms, v->start_ms, v->until_ms);
	v->prev_coverage =
	    covered(v->data_first_ms, v->data_last_ms, v->prev_start_ms, v->prev_until_ms);
	double span = (double)(v->until_ms - v->start_ms);
	v->partial = (1 - v->coverage) * span > (double)HOUR_MS;
	v->prev_partial = (1 - v->prev_coverage) * span > (double)HOUR_MS;
	if (view_daycube_build(st, v->start_ms, v->until_ms, &v->cur, err, errlen) ||
	    view_daycube_build(st, v->prev_start_ms, v->prev_until_ms, &v->prev, err, errlen)) {
		view_weekly_free(v);
		return -1;
	}
	int64_t day0 = floor_div(start_ms, DAY_MS);
	if (view_daycube_fold(&v->cur, day0, day0 + 7, &v->cur_cube) ||
	    view_daycube_fold(&v->prev, day0 - 7, day0, &v->prev_cube))
		goto oom;
	memcpy(v->m, v->cur_cube.total, sizeof v->m);
	memcpy(v->prev_m, v->prev_cube.total, sizeof v->prev_m);
	v->cost_per_success_nanos = per_success(v->m[TT_M_COST_NANOS], v->m[TT_M_SUCCESS]);
	v->prev_cost_per_success_nanos =
	    per_success(v->prev_m[TT_M_COST_NANOS], v->prev_m[TT_M_SUCCESS]);
	static const tt_dim uc[] = {TT_D_USE_CASE}, team[] = {TT_D_TEAM}, ten[] = {TT_D_TENANT};
	if (week_lines(&v->cur_cube, &v->prev_cube, uc, 1, &v->by_use_case) ||
	    week_lines(&v->cur_cube, &v->prev_cube, team, 1, &v->by_team) ||
	    week_lines(&v->cur_cube, &v->prev_cube, ten, 1, &v->by_tenant) || prompt_lines(v) ||
	    fill_cache(v))
		goto oom;
	fill_days(v);
	fill_series(v);
	int rc = fill_routes(st, v);
	if (rc == -2) {
		snprintf(err, errlen, "reading events: %s", store_errmsg(st));
		view_weekly_free(v);
		return -1;
	}
	if (rc)
		goto oom;
	/* at the week's last instant, so that a weekly budget is this week's, not the next */
	if (nbudgets && view_budgets_build(st, budgets, nbudgets, v->until_ms - 1, NULL, 0, NULL,
	                                   &v->budgets, err, errlen)) {
		view_weekly_free(v);
		return -1;
	}
	rc = week_alerts(st, budgets, nbudgets, v, err, errlen);
	if (rc == -2)
		goto oom;
	if (rc) {
		view_weekly_free(v);
		return -1;
	}
	if (v->nalerts)
		qsort(v->alerts, v->nalerts, sizeof *v->alerts, cmp_alerts);
	if (week_audit(st, v, err, errlen)) {
		view_weekly_free(v);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	view_weekly_free(v);
	return -1;
}

void view_weekly_free(view_weekly *v)
{
	lines_free(&v->by_use_case);
	lines_free(&v->by_team);
	lines_free(&v->by_tenant);
	lines_free(&v->top_prompts);
	lines_free(&v->prompt_growth);
	free(v->cache);
	free(v->routes);
	view_rows_free(&v->targets);
	view_budgets_free(&v->budgets);
	free(v->alerts);
	for (size_t i = 0; i < v->nincidents; i++)
		incident_free(&v->incidents[i]);
	free(v->incidents);
	for (size_t i = 0; i < v->nactions; i++)
		action_free(&v->actions[i]);
	free(v->actions);
	view_daycube_fold_free(&v->cur_cube);
	view_daycube_fold_free(&v->prev_cube);
	view_daycube_free(&v->cur);
	view_daycube_free(&v->prev);
	memset(v, 0, sizeof *v);
}
