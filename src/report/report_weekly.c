/* Renders the weekly cost review as text, Markdown or JSON (docs/report-json.md). */
#include <jansson.h>

#include "table.h"
#include "tokentop/report.h"
#include "weekly_fmt.h"

/* ---- JSON ---- */

static void jmoney_or_null(json_t *o, const char *prefix, int64_t nanos)
{
	if (nanos >= 0)
		cell_jmoney(o, prefix, nanos);
	else
		cell_jmoney_null(o, prefix);
}

static json_t *jpct(double p)
{
	return isnan(p) ? json_null() : json_real(round(p * 10) / 10);
}

static json_t *jratio(int64_t a, int64_t b)
{
	return b ? json_real(round((double)a / (double)b * 10000) / 10000) : json_null();
}

/* cost, prev_cost, delta and change_pct of a pair of amounts. */
static void jcompare(json_t *o, const char *what, int64_t cur, int64_t prev)
{
	char key[64];
	cell_jmoney(o, what, cur);
	snprintf(key, sizeof key, "prev_%s", what);
	cell_jmoney(o, key, prev);
	cell_jmoney(o, "delta", cur - prev);
	json_object_set_new(o, "change_pct", jpct(wk_change_pct(cur, prev)));
}

static const char *jname(const view_weekly *v, tt_dim dim, const char *name, wbuf *b)
{
	if (v->present && dim == TT_D_TENANT && *name) {
		present_alias("tenant", name, b->s, sizeof b->s);
		return b->s;
	}
	return name;
}

static json_t *jlines(const view_weekly *v, const view_week_lines *l, const tt_dim *dims,
                      size_t ndims)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const view_week_line *r = &l->rows[i];
		json_t *o = json_object();
		for (size_t k = 0; k < ndims; k++) {
			wbuf b;
			json_object_set_new(o, store_dim_name(dims[k]),
			                    json_string(jname(v, dims[k], r->key[k], &b)));
		}
		jcompare(o, "cost", r->cost_nanos, r->prev_cost_nanos);
		json_object_set_new(o, "requests", json_integer(r->requests));
		json_object_set_new(o, "prev_requests", json_integer(r->prev_requests));
		json_object_set_new(o, "share", jratio(r->cost_nanos, v->m[TT_M_COST_NANOS]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *jcache(const view_week_cache *c, bool with_name)
{
	json_t *o = json_object();
	if (with_name)
		json_object_set_new(o, "use_case", json_string(c->use_case));
	json_object_set_new(o, "hits", json_integer(c->hits));
	json_object_set_new(o, "misses", json_integer(c->misses));
	json_object_set_new(o, "hit_rate", jratio(c->hits, c->hits + c->misses));
	cell_jmoney(o, "miss_cost", c->miss_cost_nanos);
	json_object_set_new(o, "prev_misses", json_integer(c->prev_misses));
	cell_jmoney(o, "prev_miss_cost", c->prev_miss_cost_nanos);
	cell_jmoney(o, "hit_saved", c->hit_saved_nanos);
	cell_jmoney(o, "prompt_cache_saved", c->prompt_saved_nanos);
	return o;
}

static json_t *jrange(int64_t a, int64_t b)
{
	return json_pack("{s:s, s:s}", "since", wk_iso(a).s, "until", wk_iso(b).s);
}

static int weekly_json(FILE *out, const view_weekly *v)
{
	char name[16], prev[16];
	view_week_name(v->start_ms, name, sizeof name);
	view_week_name(v->prev_start_ms, prev, sizeof prev);
	json_t *o = json_object();
	json_object_set_new(o, "view", json_string("weekly"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "week", json_string(name));
	json_object_set_new(o, "range", jrange(v->start_ms, v->until_ms));
	json_object_set_new(o, "complete", json_boolean(v->until_ms == v->end_ms));
	json_object_set_new(
	    o, "coverage",
	    json_pack("{s:o, s:o, s:f, s:f, s:b, s:b}", "data_from",
	              v->data_first_ms ? json_string(cell_iso(v->data_first_ms).s) : json_null(),
	              "data_until",
	              v->data_last_ms ? json_string(cell_iso(v->data_last_ms).s) : json_null(),
	              "week", round(v->coverage * 1e4) / 1e4, "previous",
	              round(v->prev_coverage * 1e4) / 1e4, "partial", v->partial,
	              "previous_partial", v->prev_partial));
	json_object_set_new(o, "previous",
	                    json_pack("{s:s, s:o}", "week", prev, "range",
	                              jrange(v->prev_start_ms, v->prev_until_ms)));

	json_t *t = json_object();
	jcompare(t, "cost", v->m[TT_M_COST_NANOS], v->prev_m[TT_M_COST_NANOS]);
	json_object_set_new(t, "requests", json_integer(v->m[TT_M_REQUESTS]));
	json_object_set_new(t, "prev_requests", json_integer(v->prev_m[TT_M_REQUESTS]));
	json_object_set_new(t, "success", json_integer(v->m[TT_M_SUCCESS]));
	json_object_set_new(t, "prev_success", json_integer(v->prev_m[TT_M_SUCCESS]));
	jmoney_or_null(t, "cost_per_success", v->cost_per_success_nanos);
	jmoney_or_null(t, "prev_cost_per_success", v->prev_cost_per_success_nanos);
	json_object_set_new(o, "totals", t);

	static const tt_dim uc[] = {TT_D_USE_CASE}, team[] = {TT_D_TEAM}, ten[] = {TT_D_TENANT},
	                    pr[] = {TT_D_PROMPT_ID, TT_D_PROMPT_VERSION};
	json_object_set_new(o, "by_use_case", jlines(v, &v->by_use_case, uc, 1));
	json_object_set_new(o, "by_team", jlines(v, &v->by_team, team, 1));
	json_object_set_new(o, "by_tenant", jlines(v, &v->by_tenant, ten, 1));

	json_t *days = json_array();
	for (int d = 0; d < 7; d++) {
		const view_week_day *w = &v->days[d];
		json_t *x = json_object();
		json_object_set_new(x, "date", json_string(wk_date(w->day).s));
		json_object_set_new(x, "reached", json_boolean(w->reached));
		cell_jmoney(x, "cost", w->cost_nanos);
		json_object_set_new(x, "requests", json_integer(w->requests));
		json_object_set_new(x, "success", json_integer(w->success));
		jmoney_or_null(x, "cost_per_success", w->cost_per_success_nanos);
		cell_jmoney(x, "prev_cost", w->prev_cost_nanos);
		json_object_set_new(x, "prev_success", json_integer(w->prev_success));
		jmoney_or_null(x, "prev_cost_per_success", w->prev_cost_per_success_nanos);
		json_array_append_new(days, x);
	}
	json_object_set_new(o, "days", days);
	json_object_set_new(o, "top_prompts", jlines(v, &v->top_prompts, pr, 2));
	json_object_set_new(o, "prompt_growth", jlines(v, &v->prompt_growth, pr, 2));

	json_t *cache = json_object(), *cuc = json_array();
	json_object_set_new(cache, "total", jcache(&v->cache_total, false));
	for (size_t i = 0; i < v->ncache; i++)
		json_array_append_new(cuc, jcache(&v->cache[i], true));
	json_object_set_new(cache, "by_use_case", cuc);
	json_object_set_new(o, "cache", cache);

	json_t *routes = json_array();
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_week_route *r = &v->routes[i];
		json_t *ro = json_object();
		json_object_set_new(ro, "use_case", json_string(r->use_case));
		json_object_set_new(ro, "requests", json_integer(r->requests));
		cell_jmoney(ro, "cost", r->cost_nanos);
		json_object_set_new(ro, "elevated", json_integer(r->elevated));
		json_object_set_new(ro, "elevation_rate", jratio(r->elevated, r->requests));
		cell_jmoney(ro, "elevated_cost", r->elevated_cost_nanos);
		json_object_set_new(ro, "prev_elevated", json_integer(r->prev_elevated));
		cell_jmoney(ro, "prev_elevated_cost", r->prev_elevated_cost_nanos);
		json_t *ts = json_array();
		for (size_t k = r->first; k < r->first + r->n; k++) {
			const view_row *x = &v->targets.rows[k];
			json_t *to = json_pack("{s:s, s:s, s:s}", "provider", x->key[1], "model",
			                       x->key[2], "tier", x->key[3]);
			json_object_set_new(to, "requests", json_integer(x->m[TT_M_REQUESTS]));
			json_object_set_new(to, "share", jratio(x->m[TT_M_REQUESTS], r->requests));
			json_object_set_new(to, "elevated", json_integer(x->m[TT_M_ELEVATED]));
			cell_jmoney(to, "cost", x->m[TT_M_COST_NANOS]);
			json_array_append_new(ts, to);
		}
		json_object_set_new(ro, "targets", ts);
		json_array_append_new(routes, ro);
	}
	json_object_set_new(o, "routing", routes);

	json_t *budgets = json_array();
	for (size_t i = 0; i < v->budgets.n; i++) {
		const view_budget_row *r = &v->budgets.rows[i];
		const budget_spec *b = r->spec;
		char scope[256];
		budget_scope_format(&b->scope, scope, sizeof scope);
		json_t *bo = json_pack("{s:s, s:s, s:s}", "name", b->name, "scope", scope, "period",
		                       budget_period_name(b->period));
		json_object_set_new(bo, "period_range",
		                    jrange(r->period_start_ms, r->period_end_ms));
		jmoney_or_null(bo, "amount", b->amount_nanos > 0 ? b->amount_nanos : -1);
		cell_jmoney(bo, "spent", r->spent_nanos);
		json_object_set_new(bo, "used_pct",
		                    isnan(r->used_pct) ? json_null()
		                                       : json_real(round(r->used_pct * 100) / 100));
		json_object_set_new(bo, "state",
		                    b->amount_nanos > 0 ? json_string(budget_state_name(r->state))
		                                        : json_null());
		json_object_set_new(bo, "forecast_state",
		                    b->amount_nanos > 0
		                        ? json_string(budget_state_name(r->forecast_state))
		                        : json_null());
		cell_jmoney(bo, "forecast", r->fc.point_nanos);
		cell_jmoney(bo, "forecast_low", r->fc.low_nanos);
		cell_jmoney(bo, "forecast_high", r->fc.high_nanos);
		json_object_set_new(bo, "forecast_basis",
		                    json_string(forecast_basis_name(r->fc.basis)));
		json_array_append_new(budgets, bo);
	}
	json_object_set_new(o, "budgets", budgets);
	json_object_set_new(o, "budgets_at", json_string(wk_iso(v->until_ms).s));

	json_t *alerts = json_array();
	for (size_t i = 0; i < v->nalerts; i++) {
		/* the alerts report's keys (unit, window, reason too); resolved null: firing */
		json_t *ao = report_alert_json(&v->alerts[i]);
		if (!json_object_get(ao, "resolved"))
			json_object_set_new(ao, "resolved", json_null());
		json_array_append_new(alerts, ao);
	}
	json_object_set_new(o, "anomalies", alerts);

	json_t *inc = json_object(), *items = json_array();
	json_object_set_new(inc, "opened", json_integer(v->incidents_opened));
	json_object_set_new(inc, "closed", json_integer(v->incidents_closed));
	for (size_t i = 0; i < v->nincidents; i++) {
		const view_week_incident *x = &v->incidents[i];
		bool closed = x->closed_ms != 0;
		json_t *io = json_object();
		json_object_set_new(io, "id", json_integer(x->id));
		json_object_set_new(io, "kind", json_string(x->kind));
		json_object_set_new(io, "title", json_string(x->title));
		json_object_set_new(io, "state", json_string(closed ? "closed" : "open"));
		json_object_set_new(io, "opened", json_string(wk_iso(x->opened_ms).s));
		json_object_set_new(io, "opened_by", json_string(x->opened_by));
		json_object_set_new(io, "opened_in_week", json_boolean(x->opened_in_week));
		json_object_set_new(io, "closed",
		                    closed ? json_string(wk_iso(x->closed_ms).s) : json_null());
		json_object_set_new(io, "closed_by",
		                    closed ? json_string(x->closed_by) : json_null());
		json_object_set_new(io, "close_reason",
		                    closed ? json_string(x->close_reason) : json_null());
		json_object_set_new(io, "closed_in_week", json_boolean(x->closed_in_week));
		json_object_set_new(io, "notes", json_integer(x->notes));
		json_object_set_new(io, "notes_in_week", json_integer(x->notes_in_week));
		json_array_append_new(items, io);
	}
	json_object_set_new(inc, "items", items);
	json_object_set_new(o, "incidents", inc);

	json_t *act = json_object();
	items = json_array();
	json_object_set_new(act, "applied", json_integer(v->actions_applied));
	json_object_set_new(act, "failed", json_integer(v->actions_failed));
	json_object_set_new(act, "lifts", json_integer(v->lifts));
	for (size_t i = 0; i < v->nactions; i++) {
		const view_week_action *a = &v->actions[i];
		json_t *ao = json_object();
		json_object_set_new(ao, "seq", json_integer(a->seq));
		json_object_set_new(ao, "time", json_string(wk_iso(a->ts_ms).s));
		json_object_set_new(ao, "action", json_string(a->action));
		json_object_set_new(ao, "gateway", json_string(a->gateway));
		json_object_set_new(ao, "scope", json_string(wk_scope(v, a->scope).s));
		json_object_set_new(ao, "actor", json_string(a->actor));
		json_object_set_new(ao, "reason", json_string(a->reason));
		json_object_set_new(ao, "status", json_string(a->status));
		json_object_set_new(ao, "lift", json_boolean(a->lift));
		json_object_set_new(ao, "reconciled", json_boolean(a->reconciled));
		json_object_set_new(ao, "control_id", json_string(a->control_id));
		json_object_set_new(ao, "pending_seq", json_integer(a->ref_seq));
		json_array_append_new(items, ao);
	}
	json_object_set_new(act, "items", items);
	json_object_set_new(o, "actions", act);
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(o);
	return rc;
}

/* ---- text and Markdown ---- */

typedef struct wctx {
	FILE *out;
	bool md;
	table_style style;
	const char *indent;
} wctx;

static void section(const wctx *c, const char *title, const char *note)
{
	if (c->md)
		fprintf(c->out, "\n### %s\n\n", title);
	else
		fprintf(c->out, "\n%s\n", title);
	if (note)
		fprintf(c->out, c->md ? "%s\n\n" : "  %s\n", note);
}

static void print_table(const wctx *c, table *t)
{
	table_print(t, c->out, c->style, c->indent);
	table_free(t);
}

static void compare_lines(const wctx *c, const view_weekly *v, const char *title,
                          const char *keyname, tt_dim dim, const view_week_lines *l)
{
	section(c, title, NULL);
	if (!l->n) {
		fprintf(c->out, "%snothing either week\n", c->indent ? c->indent : "");
		return;
	}
	const char *head[] = {keyname, "this week", "last week", "change", "%", "share"};
	const bool right[] = {false, true, true, true, true, true};
	table t;
	table_init(&t, 6, head, right);
	for (size_t i = 0; i < l->n; i++) {
		const view_week_line *r = &l->rows[i];
		wbuf k = wk_name(v, dim, r->key[0]), a = wk_usd(r->cost_nanos),
		     b = wk_usd(r->prev_cost_nanos),
		     d = wk_delta(r->cost_nanos, r->prev_cost_nanos),
		     p = wk_change(r->cost_nanos, r->prev_cost_nanos),
		     s = wk_share(r->cost_nanos, v->m[TT_M_COST_NANOS]);
		const char *cells[] = {k.s, a.s, b.s, d.s, p.s, s.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
}

static void prompt_lines(const wctx *c, const char *title, const view_week_lines *l,
                         const char *empty)
{
	section(c, title, NULL);
	if (!l->n) {
		fprintf(c->out, "%s%s\n", c->indent ? c->indent : "", empty);
		return;
	}
	const char *head[] = {"prompt", "version", "this week", "last week", "change", "%"};
	const bool right[] = {false, false, true, true, true, true};
	table t;
	table_init(&t, 6, head, right);
	for (size_t i = 0; i < l->n; i++) {
		const view_week_line *r = &l->rows[i];
		wbuf a = wk_usd(r->cost_nanos), b = wk_usd(r->prev_cost_nanos),
		     d = wk_delta(r->cost_nanos, r->prev_cost_nanos),
		     p = wk_change(r->cost_nanos, r->prev_cost_nanos);
		const char *cells[] = {
		    *r->key[0] ? r->key[0] : "(none)", r->key[1], a.s, b.s, d.s, p.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
}

static void summary(const wctx *c, const view_weekly *v)
{
	const int64_t *m = v->m, *p = v->prev_m;
	const char *head[] = {"", "this week", "last week", "change", "%"};
	const bool right[] = {false, true, true, true, true};
	table t;
	table_init(&t, 5, head, right);
	{
		wbuf a = wk_usd(m[TT_M_COST_NANOS]), b = wk_usd(p[TT_M_COST_NANOS]),
		     d = wk_delta(m[TT_M_COST_NANOS], p[TT_M_COST_NANOS]),
		     e = wk_change(m[TT_M_COST_NANOS], p[TT_M_COST_NANOS]);
		const char *cells[] = {"spend", a.s, b.s, d.s, e.s};
		table_add(&t, cells);
	}
	{
		wbuf a = wk_count(m[TT_M_REQUESTS]), b = wk_count(p[TT_M_REQUESTS]),
		     e = wk_change(m[TT_M_REQUESTS], p[TT_M_REQUESTS]);
		const char *cells[] = {"requests", a.s, b.s, "", e.s};
		table_add(&t, cells);
	}
	{
		wbuf a = wk_count(m[TT_M_SUCCESS]), b = wk_count(p[TT_M_SUCCESS]),
		     e = wk_change(m[TT_M_SUCCESS], p[TT_M_SUCCESS]);
		const char *cells[] = {"successful outcomes", a.s, b.s, "", e.s};
		table_add(&t, cells);
	}
	{
		int64_t x = v->cost_per_success_nanos, y = v->prev_cost_per_success_nanos;
		wbuf a = x >= 0 ? wk_usd(x) : (wbuf){"-"}, b = y >= 0 ? wk_usd(y) : (wbuf){"-"},
		     d = x >= 0 && y >= 0 ? wk_delta(x, y) : (wbuf){""},
		     e = x >= 0 && y >= 0 ? wk_change(x, y) : (wbuf){"-"};
		const char *cells[] = {"cost per success", a.s, b.s, d.s, e.s};
		table_add(&t, cells);
	}
	{
		const view_week_cache *k = &v->cache_total;
		wbuf a = wk_usd(k->miss_cost_nanos), b = wk_usd(k->prev_miss_cost_nanos),
		     d = wk_delta(k->miss_cost_nanos, k->prev_miss_cost_nanos),
		     e = wk_change(k->miss_cost_nanos, k->prev_miss_cost_nanos);
		const char *cells[] = {"spent on cache misses", a.s, b.s, d.s, e.s};
		table_add(&t, cells);
	}
	{
		int64_t x = 0, y = 0;
		for (size_t i = 0; i < v->nroutes; i++) {
			x += v->routes[i].elevated_cost_nanos;
			y += v->routes[i].prev_elevated_cost_nanos;
		}
		wbuf a = wk_usd(x), b = wk_usd(y), d = wk_delta(x, y), e = wk_change(x, y);
		const char *cells[] = {"elevated requests cost", a.s, b.s, d.s, e.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
}

static void days(const wctx *c, const view_weekly *v)
{
	section(c, "Cost per successful outcome, per day",
	        "spend / requests with outcome success; last week: the same weekday");
	const char *head[] = {"day", "spend", "successes", "cost/success", "last week", "%"};
	const bool right[] = {false, true, true, true, true, true};
	table t;
	table_init(&t, 6, head, right);
	for (int d = 0; d < 7; d++) {
		const view_week_day *w = &v->days[d];
		wbuf day = wk_day_label(w->day);
		if (!w->reached) {
			wbuf b = w->prev_cost_per_success_nanos >= 0
			             ? wk_usd(w->prev_cost_per_success_nanos)
			             : (wbuf){"-"};
			const char *cells[] = {day.s, "", "", "(to come)", b.s, ""};
			table_add(&t, cells);
			continue;
		}
		int64_t x = w->cost_per_success_nanos, y = w->prev_cost_per_success_nanos;
		wbuf s = wk_usd(w->cost_nanos), n = wk_count(w->success),
		     a = x >= 0 ? wk_usd(x) : (wbuf){"-"}, b = y >= 0 ? wk_usd(y) : (wbuf){"-"},
		     e = x >= 0 && y >= 0 ? wk_change(x, y) : (wbuf){"-"};
		const char *cells[] = {day.s, s.s, n.s, a.s, b.s, e.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
}

static void cache(const wctx *c, const view_weekly *v)
{
	section(c, "Cache misses and what they cost",
	        "miss cost: the requests that missed the gateway's response cache; saved: the card "
	        "price of calls hits avoided, and the provider's prompt caching");
	if (!v->ncache) {
		fprintf(c->out, "%sno request looked the response cache up either week\n",
		        c->indent ? c->indent : "");
		return;
	}
	const char *head[] = {"use case",
	                      "hit rate",
	                      "misses",
	                      "miss cost",
	                      "last week",
	                      "saved by hits",
	                      "saved by prompt cache"};
	const bool right[] = {false, true, true, true, true, true, true};
	table t;
	table_init(&t, 7, head, right);
	for (size_t i = 0; i <= v->ncache; i++) {
		const view_week_cache *k = i < v->ncache ? &v->cache[i] : &v->cache_total;
		wbuf h = wk_share(k->hits, k->hits + k->misses), n = wk_count(k->misses),
		     a = wk_usd(k->miss_cost_nanos), b = wk_usd(k->prev_miss_cost_nanos),
		     s = wk_usd(k->hit_saved_nanos), p = wk_usd(k->prompt_saved_nanos);
		const char *cells[] = {
		    i < v->ncache ? (*k->use_case ? k->use_case : "(none)") : "total",
		    h.s,
		    n.s,
		    a.s,
		    b.s,
		    s.s,
		    p.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
}

static void routing(const wctx *c, const view_weekly *v)
{
	section(
	    c, "Routing elevations and their cost",
	    "elevated: requests escalated to a larger model; their cost from the stored events");
	const char *head[] = {"use case",      "requests", "elevated", "rate",
	                      "elevated cost", "of route", "last week"};
	const bool right[] = {false, true, true, true, true, true, true};
	table t;
	table_init(&t, 7, head, right);
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_week_route *r = &v->routes[i];
		wbuf a = wk_count(r->requests), b = wk_count(r->elevated),
		     d = wk_share(r->elevated, r->requests), e = wk_usd(r->elevated_cost_nanos),
		     f = wk_share(r->elevated_cost_nanos, r->cost_nanos),
		     g = wk_usd(r->prev_elevated_cost_nanos);
		const char *cells[] = {
		    *r->use_case ? r->use_case : "(none)", a.s, b.s, d.s, e.s, f.s, g.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
	section(c, "Routing share", "of each use case's requests this week");
	const char *th[] = {"use case", "provider/model", "tier", "requests", "share", "cost"};
	const bool tr[] = {false, false, false, true, true, true};
	table_init(&t, 6, th, tr);
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_week_route *r = &v->routes[i];
		for (size_t k = r->first; k < r->first + r->n; k++) {
			const view_row *x = &v->targets.rows[k];
			char pm[256];
			snprintf(pm, sizeof pm, "%s/%s", x->key[1], x->key[2]);
			wbuf a = wk_count(x->m[TT_M_REQUESTS]),
			     b = wk_share(x->m[TT_M_REQUESTS], r->requests),
			     d = wk_usd(x->m[TT_M_COST_NANOS]);
			const char *cells[] = {
			    k == r->first ? (*r->use_case ? r->use_case : "(none)") : "",
			    pm,
			    x->key[3],
			    a.s,
			    b.s,
			    d.s};
			table_add(&t, cells);
		}
	}
	print_table(c, &t);
}

static void budgets(const wctx *c, const view_weekly *v)
{
	char note[128];
	snprintf(note, sizeof note, "as of %s", wk_iso(v->until_ms).s);
	section(c, "Forecast against budget", note);
	if (!v->budgets.n) {
		fprintf(c->out,
		        "%sno budgets configured ([budget NAME] in the config file, "
		        "docs/config.md; --config FILE)\n",
		        c->indent ? c->indent : "");
		return;
	}
	const char *head[] = {"budget", "scope", "period",   "amount",
	                      "spent",  "used",  "forecast", "state"};
	const bool right[] = {false, false, false, true, true, true, true, false};
	table t;
	table_init(&t, 8, head, right);
	for (size_t i = 0; i < v->budgets.n; i++) {
		wk_row row;
		wk_budget_row(&v->budgets.rows[i], &row);
		table_add(&t, row.cells);
	}
	print_table(c, &t);
}

static void anomalies(const wctx *c, const view_weekly *v)
{
	section(c, "Anomalies this week",
	        "the alert detectors replayed over the week in 6-hour steps (docs/alerts.md)");
	if (!v->nalerts) {
		fprintf(c->out, "%snone\n", c->indent ? c->indent : "");
		return;
	}
	const char *head[] = {"since", "kind",     "scope",    "peak",
	                      "value", "baseline", "resolved", "reason"};
	table t;
	table_init(&t, 8, head, NULL);
	for (size_t i = 0; i < v->nalerts; i++) {
		wk_row row;
		wk_anomaly_row(&v->alerts[i], &row);
		table_add(&t, row.cells);
	}
	print_table(c, &t);
}

static void incidents(const wctx *c, const view_weekly *v)
{
	char note[160];
	snprintf(note, sizeof note,
	         "%" PRId64 " opened, %" PRId64
	         " closed this week; the incidents open at any time in it (docs/audit.md)",
	         v->incidents_opened, v->incidents_closed);
	section(c, "Incidents this week", note);
	if (!v->nincidents) {
		fprintf(c->out, "%snone\n", c->indent ? c->indent : "");
		return;
	}
	const char *head[] = {"id", "kind", "opened", "closed", "notes", "title"};
	const bool right[] = {true, false, false, false, true, false};
	table t;
	table_init(&t, 6, head, right);
	for (size_t i = 0; i < v->nincidents; i++) {
		const view_week_incident *x = &v->incidents[i];
		char id[32], notes[32];
		snprintf(id, sizeof id, "%" PRId64, x->id);
		snprintf(notes, sizeof notes, "%" PRId64, x->notes);
		wbuf op = wk_minute(x->opened_ms),
		     cl = x->closed_ms ? wk_minute(x->closed_ms) : (wbuf){"open"};
		wtext title = wk_text(x->title);
		const char *cells[] = {id, x->kind, op.s, cl.s, notes, title.s};
		table_add(&t, cells);
	}
	print_table(c, &t);
}

static void actions(const wctx *c, const view_weekly *v)
{
	char note[160];
	snprintf(note, sizeof note,
	         "%" PRId64 " applied (%" PRId64 " of them lifts), %" PRId64
	         " failed; from the audit log (docs/actions.md)",
	         v->actions_applied, v->lifts, v->actions_failed);
	section(c, "Actions taken", note);
	if (!v->nactions) {
		fprintf(c->out, "%snone\n", c->indent ? c->indent : "");
		return;
	}
	const char *head[] = {"time", "action", "scope", "actor", "status", "reason"};
	table t;
	table_init(&t, 6, head, NULL);
	for (size_t i = 0; i < v->nactions; i++) {
		wk_row row;
		wk_action_row(v, &v->actions[i], &row);
		table_add(&t, row.cells);
	}
	print_table(c, &t);
}

int report_weekly(FILE *out, const view_weekly *v, report_format f)
{
	if (f == REPORT_JSON)
		return weekly_json(out, v);
	if (f == REPORT_CSV)
		return -1;
	wctx c = {out, f == REPORT_MD, f == REPORT_MD ? TABLE_MD : TABLE_TEXT,
	          f == REPORT_MD ? NULL : "  "};
	char name[16], prev[16];
	view_week_name(v->start_ms, name, sizeof name);
	view_week_name(v->prev_start_ms, prev, sizeof prev);
	wbuf a = wk_date(v->start_ms / 86400000), b = wk_date(v->end_ms / 86400000 - 1);
	if (c.md)
		fprintf(out, "## Weekly cost review %s (%s to %s) against %s\n\n", name, a.s, b.s,
		        prev);
	else
		fprintf(out, "tokentop weekly review  %s  (%s .. %s)  against %s\n\n", name, a.s,
		        b.s, prev);
	if (v->until_ms < v->end_ms)
		fprintf(out, "%sWeek in progress: up to %s, against the same span of %s.\n\n",
		        c.indent ? c.indent : "", wk_iso(v->until_ms).s, prev);
	char cov[400];
	if (view_weekly_coverage_note(v, cov, sizeof cov))
		fprintf(out, "%s%s\n\n", c.indent ? c.indent : "", cov);
	summary(&c, v);
	compare_lines(&c, v, "Spend by use case", "use case", TT_D_USE_CASE, &v->by_use_case);
	compare_lines(&c, v, "Spend by team", "team", TT_D_TEAM, &v->by_team);
	compare_lines(&c, v, "Spend by tenant", "tenant", TT_D_TENANT, &v->by_tenant);
	days(&c, v);
	prompt_lines(&c, "Top prompts by spend", &v->top_prompts, "no prompt spent anything");
	prompt_lines(&c, "Top prompts by growth", &v->prompt_growth, "no prompt spent more");
	cache(&c, v);
	routing(&c, v);
	budgets(&c, v);
	anomalies(&c, v);
	incidents(&c, v);
	actions(&c, v);
	return ferror(out) ? -1 : 0;
}
