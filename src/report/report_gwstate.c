/* Renders the gateways view (health, routes, controls) and the metrics view, with data ages. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cell.h"
#include "table.h"
#include "tokentop/money.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"

typedef struct cellbuf {
	char s[64];
} cellbuf;

static table_style style_of(report_format f)
{
	return f == REPORT_MD ? TABLE_MD : f == REPORT_CSV ? TABLE_CSV : TABLE_TEXT;
}

static int64_t age_s(int64_t now_ms, int64_t at_ms)
{
	return at_ms >= now_ms ? 0 : (now_ms - at_ms) / 1000;
}

/* "42s", "3m05s", "2h10m", "4d02h": how old a reading is, at a glance. */
static cellbuf age_text(int64_t now_ms, int64_t at_ms)
{
	cellbuf b;
	int64_t s = age_s(now_ms, at_ms);
	if (s < 60)
		snprintf(b.s, sizeof b.s, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(b.s, sizeof b.s, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(b.s, sizeof b.s, "%" PRId64 "h%02" PRId64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(b.s, sizeof b.s, "%" PRId64 "d%02" PRId64 "h", s / 86400, s / 3600 % 24);
	return b;
}

static cellbuf iso(int64_t ms)
{
	cellbuf b;
	time_format_iso(ms, b.s, sizeof b.s);
	return b;
}

static const char *dialect_name(view_gw_dialect d)
{
	return d == VIEW_GW_LITELLM ? "litellm" : "tokentop";
}

/* tokentop weights are per mille of the route; LiteLLM's are relative numbers. */
static cellbuf weight_text(view_gw_dialect d, double w)
{
	cellbuf b;
	if (isnan(w))
		snprintf(b.s, sizeof b.s, "-");
	else if (d == VIEW_GW_TOKENTOP)
		snprintf(b.s, sizeof b.s, "%.1f%%", w / 10);
	else
		snprintf(b.s, sizeof b.s, "%g", w);
	return b;
}

static json_t *jnumber(double v)
{
	if (isnan(v) || isinf(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *jparsed(const char *text)
{
	json_t *o = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	return o ? o : json_object();
}

/* {"use_case":"a","tenant":"b"} -> use_case=a,tenant=b (values that are not strings as JSON) */
static void pairs_text(const char *json, char *out, size_t cap)
{
	json_t *o = jparsed(json);
	size_t len = 0;
	const char *key;
	json_t *v;
	out[0] = 0;
	json_object_foreach(o, key, v)
	{
		char *dumped =
		    json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		int n = snprintf(out + len, cap - len, "%s%s=%s", len ? "," : "", key,
		                 dumped ? dumped : json_string_value(v));
		free(dumped);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	json_decref(o);
}

static json_t *jage(int64_t now_ms, int64_t at_ms, json_t *o)
{
	json_object_set_new(o, "fetched", json_string(iso(at_ms).s));
	json_object_set_new(o, "age_s", json_integer(age_s(now_ms, at_ms)));
	return o;
}

static json_t *jmoney(json_t *o, const char *prefix, int64_t nanos)
{
	if (nanos < 0)
		cell_jmoney_null(o, prefix);
	else
		cell_jmoney(o, prefix, nanos);
	return o;
}

static json_t *gateway_json(const view_gateway *g, int64_t now)
{
	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(g->source));
	json_object_set_new(o, "dialect", json_string(dialect_name(g->dialect)));
	json_t *h = json_null();
	if (g->health_ms) {
		h = json_object();
		if (g->dialect == VIEW_GW_TOKENTOP) {
			json_object_set_new(h, "gateway",
			                    json_string(g->gateway ? g->gateway : ""));
			json_object_set_new(h, "version",
			                    json_string(g->version ? g->version : ""));
			json_object_set_new(h, "clock_skew_ms",
			                    g->has_skew ? json_integer(g->skew_ms) : json_null());
		} else {
			json_object_set_new(h, "status", json_string(g->status ? g->status : ""));
		}
		jage(now, g->health_ms, h);
	}
	json_object_set_new(o, "health", h);
	json_t *ro = json_null();
	if (g->routing_ms || g->strategy_ms) {
		ro = json_object();
		json_object_set_new(ro, "strategy",
		                    g->strategy ? json_string(g->strategy) : json_null());
		json_t *routes = json_array();
		for (size_t i = 0; i < g->nroutes; i++) {
			const view_gw_route *r = &g->routes[i];
			json_t *jr = json_object(), *ts = json_array(), *ids = json_array();
			json_object_set_new(jr, "route", json_string(r->name));
			for (size_t k = 0; k < r->ntargets; k++) {
				const view_gw_target *t = &r->targets[k];
				json_array_append_new(
				    ts,
				    json_pack("{s:s, s:s, s:s, s:o, s:b}", "provider", t->provider,
				              "model", t->model, "tier", t->tier, "weight",
				              jnumber(t->weight), "elevated", t->elevated));
			}
			for (size_t k = 0; k < r->ncontrols; k++)
				json_array_append_new(ids, json_string(r->controls[k]));
			json_object_set_new(jr, "targets", ts);
			json_object_set_new(jr, "controls", ids);
			json_array_append_new(routes, jr);
		}
		json_object_set_new(ro, "routes", routes);
		jage(now, g->routing_ms ? g->routing_ms : g->strategy_ms, ro);
	}
	json_object_set_new(o, "routing", ro);
	json_t *co = json_null();
	if (g->controls_ms) {
		co = json_object();
		json_object_set_new(co, "etag",
		                    g->controls_etag ? json_string(g->controls_etag) : json_null());
		json_t *active = json_array();
		for (size_t i = 0; i < g->ncontrols; i++) {
			const view_gw_control *c = &g->controls[i];
			json_t *jc = json_object();
			json_object_set_new(jc, "id", json_string(c->id));
			json_object_set_new(jc, "kind", json_string(c->kind));
			json_object_set_new(jc, "scope", jparsed(c->scope));
			json_object_set_new(jc, "params", jparsed(c->params));
			json_object_set_new(jc, "reason", json_string(c->reason));
			json_object_set_new(jc, "actor", json_string(c->actor));
			json_object_set_new(jc, "created_at",
			                    c->created_ms ? json_string(iso(c->created_ms).s)
			                                  : json_null());
			json_object_set_new(jc, "expires_at",
			                    c->expires_ms ? json_string(iso(c->expires_ms).s)
			                                  : json_null());
			json_array_append_new(active, jc);
		}
		json_object_set_new(co, "active", active);
		jage(now, g->controls_ms, co);
	}
	json_object_set_new(o, "controls", co);
	json_t *so = json_null();
	if (g->spend_ms) {
		so = json_object();
		jmoney(so, "spend", g->spend_nanos);
		jmoney(so, "max_budget", g->max_budget_nanos);
		jage(now, g->spend_ms, so);
	}
	json_object_set_new(o, "spend", so);
	return o;
}

static int jdump(FILE *out, json_t *doc)
{
	int rc =
	    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(doc);
	return rc || ferror(out) ? -1 : 0;
}

/* ---- gateways ---- */

/* One row per target, route and control: the CSV of the whole view. */
static void gateways_csv(FILE *out, const view_gwstate *v)
{
	const char *head[] = {"gateway", "section", "name",  "provider", "model",      "tier",
	                      "weight",  "kind",    "scope", "params",   "expires_at", "age_s"};
	table t;
	table_init(&t, 12, head, NULL);
	for (size_t i = 0; i < v->n; i++) {
		const view_gateway *g = &v->gateways[i];
		char age[32], name[256], scope[512], params[1024];
		if (g->health_ms) {
			snprintf(age, sizeof age, "%" PRId64, age_s(v->now_ms, g->health_ms));
			if (g->dialect == VIEW_GW_TOKENTOP)
				snprintf(name, sizeof name, "%s %s", g->gateway, g->version);
			else
				snprintf(name, sizeof name, "%s", g->status);
			const char *c[] = {g->source, "health", name, "", "", "",
			                   "",        "",       "",   "", "", age};
			table_add(&t, c);
		}
		if (g->spend_ms) {
			char spend[48], max[48];
			money_format(g->spend_nanos, spend, sizeof spend);
			money_format(g->max_budget_nanos, max, sizeof max);
			snprintf(name, sizeof name, "spend %s of %s", spend,
			         g->max_budget_nanos < 0 ? "no budget" : max);
			snprintf(age, sizeof age, "%" PRId64, age_s(v->now_ms, g->spend_ms));
			const char *c[] = {g->source, "spend", name, "", "", "",
			                   "",        "",      "",   "", "", age};
			table_add(&t, c);
		}
		snprintf(age, sizeof age, "%" PRId64, age_s(v->now_ms, g->routing_ms));
		for (size_t r = 0; r < g->nroutes; r++) {
			const view_gw_route *ro = &g->routes[r];
			for (size_t k = 0; k < ro->ntargets; k++) {
				const view_gw_target *tg = &ro->targets[k];
				char w[32] = "";
				if (!isnan(tg->weight))
					snprintf(w, sizeof w, "%g", tg->weight);
				const char *c[] = {g->source, "route",  ro->name, tg->provider,
				                   tg->model, tg->tier, w,        "",
				                   "",        "",       "",       age};
				table_add(&t, c);
			}
		}
		snprintf(age, sizeof age, "%" PRId64, age_s(v->now_ms, g->controls_ms));
		for (size_t k = 0; k < g->ncontrols; k++) {
			const view_gw_control *c = &g->controls[k];
			pairs_text(c->scope, scope, sizeof scope);
			pairs_text(c->params, params, sizeof params);
			cellbuf exp = iso(c->expires_ms);
			const char *cells[] = {g->source,
			                       "control",
			                       c->id,
			                       "",
			                       "",
			                       "",
			                       "",
			                       c->kind,
			                       scope,
			                       params,
			                       c->expires_ms ? exp.s : "",
			                       age};
			table_add(&t, cells);
		}
	}
	table_print(&t, out, TABLE_CSV, NULL);
	table_free(&t);
}

static void gateway_text(FILE *out, const view_gateway *g, int64_t now, report_format f)
{
	const char *indent = f == REPORT_TEXT ? "  " : NULL;
	char line[512];
	int n = snprintf(line, sizeof line, "%s (%s)", g->source, dialect_name(g->dialect));
	if (g->health_ms && g->dialect == VIEW_GW_TOKENTOP)
		n += snprintf(line + n, sizeof line - (size_t)n, ": %s %s, health read %s ago",
		              g->gateway, g->version, age_text(now, g->health_ms).s);
	else if (g->health_ms)
		n += snprintf(line + n, sizeof line - (size_t)n, ": \"%s\", liveliness read %s ago",
		              g->status, age_text(now, g->health_ms).s);
	else
		n += snprintf(line + n, sizeof line - (size_t)n, ": no health read yet");
	if (g->has_skew && (g->skew_ms > 2000 || g->skew_ms < -2000))
		snprintf(line + n, sizeof line - (size_t)n, "; its clock is %+.1f s off ours",
		         (double)g->skew_ms / 1000);
	if (f == REPORT_MD)
		fprintf(out, "\n### %s\n\n", line);
	else
		fprintf(out, "\n%s\n", line);
	if (g->spend_ms) {
		char spend[48], max[48];
		money_format_human(g->spend_nanos, spend, sizeof spend);
		money_format_human(g->max_budget_nanos, max, sizeof max);
		fprintf(out, "%sspend %s of %s (read %s ago)\n", indent ? indent : "", spend,
		        g->max_budget_nanos < 0 ? "no budget" : max, age_text(now, g->spend_ms).s);
	}
	if (g->routing_ms || g->strategy_ms) {
		fprintf(out, "%s%sroutes, read %s ago%s%s%s\n", f == REPORT_MD ? "\n" : "",
		        indent ? indent : "",
		        age_text(now, g->routing_ms ? g->routing_ms : g->strategy_ms).s,
		        g->strategy ? " (strategy " : "", g->strategy ? g->strategy : "",
		        g->strategy ? ")" : "");
		const char *head[] = {"route",  "provider", "model",   "tier",
		                      "weight", "elevated", "controls"};
		const bool right[] = {false, false, false, false, true, false, false};
		table t;
		table_init(&t, 7, head, right);
		for (size_t r = 0; r < g->nroutes; r++) {
			const view_gw_route *ro = &g->routes[r];
			char ids[256] = "";
			for (size_t k = 0, len = 0; k < ro->ncontrols && len < sizeof ids; k++)
				len += (size_t)snprintf(ids + len, sizeof ids - len, "%s%s",
				                        k ? " " : "", ro->controls[k]);
			for (size_t k = 0; k < ro->ntargets; k++) {
				const view_gw_target *tg = &ro->targets[k];
				cellbuf w = weight_text(g->dialect, tg->weight);
				const char *c[] = {
				    k ? "" : ro->name, tg->provider, tg->model,
				    tg->tier,          w.s,          tg->elevated ? "yes" : "",
				    k ? "" : ids};
				table_add(&t, c);
			}
			if (!ro->ntargets) {
				const char *c[] = {ro->name, "-", "-", "", "", "", ids};
				table_add(&t, c);
			}
		}
		if (f == REPORT_MD)
			fputc('\n', out);
		table_print(&t, out, style_of(f), indent ? "    " : NULL);
		table_free(&t);
	}
	if (g->controls_ms) {
		fprintf(out, "%s%scontrols in force: %zu, read %s ago%s%s\n",
		        f == REPORT_MD ? "\n" : "", indent ? indent : "", g->ncontrols,
		        age_text(now, g->controls_ms).s, g->controls_etag ? ", ETag " : "",
		        g->controls_etag ? g->controls_etag : "");
		if (g->ncontrols) {
			const char *head[] = {"id",      "kind",  "scope", "params",
			                      "expires", "actor", "reason"};
			table t;
			table_init(&t, 7, head, NULL);
			for (size_t k = 0; k < g->ncontrols; k++) {
				const view_gw_control *c = &g->controls[k];
				char scope[512], params[1024];
				pairs_text(c->scope, scope, sizeof scope);
				pairs_text(c->params, params, sizeof params);
				cellbuf exp = iso(c->expires_ms);
				const char *cells[] = {c->id,
				                       c->kind,
				                       scope,
				                       params,
				                       c->expires_ms ? exp.s : "never",
				                       c->actor,
				                       c->reason};
				table_add(&t, cells);
			}
			if (f == REPORT_MD)
				fputc('\n', out);
			table_print(&t, out, style_of(f), indent ? "    " : NULL);
			table_free(&t);
		}
	}
}

int report_gateways(FILE *out, const view_gwstate *v, report_format f)
{
	if (f == REPORT_JSON) {
		json_t *o = json_object(), *a = json_array();
		json_object_set_new(o, "view", json_string("gateways"));
		json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
		json_object_set_new(o, "now", json_string(iso(v->now_ms).s));
		for (size_t i = 0; i < v->n; i++)
			json_array_append_new(a, gateway_json(&v->gateways[i], v->now_ms));
		json_object_set_new(o, "gateways", a);
		return jdump(out, o);
	}
	if (f == REPORT_CSV) {
		gateways_csv(out, v);
		return ferror(out) ? -1 : 0;
	}
	if (f == REPORT_MD)
		fprintf(out, "## Gateways at %s\n", iso(v->now_ms).s);
	else
		fprintf(out, "tokentop gateways  at %s\n", iso(v->now_ms).s);
	for (size_t i = 0; i < v->n; i++)
		gateway_text(out, &v->gateways[i], v->now_ms, f);
	return ferror(out) ? -1 : 0;
}

/* ---- metrics ---- */

int report_metrics(FILE *out, const view_metrics *v, report_format f)
{
	if (f == REPORT_JSON) {
		json_t *o = json_object(), *a = json_array();
		json_object_set_new(o, "view", json_string("metrics"));
		json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
		json_object_set_new(o, "now", json_string(iso(v->now_ms).s));
		for (size_t i = 0; i < v->n; i++) {
			const view_metric *m = &v->rows[i];
			json_t *e = json_object();
			json_object_set_new(e, "source", json_string(m->source));
			json_object_set_new(e, "series", json_string(m->series));
			json_object_set_new(e, "labels", jparsed(m->labels));
			json_object_set_new(
			    e, "value",
			    isnan(m->value) || isinf(m->value) ? json_null() : json_real(m->value));
			json_object_set_new(e, "time", json_string(iso(m->ts_ms).s));
			json_object_set_new(e, "age_s", json_integer(age_s(v->now_ms, m->ts_ms)));
			json_object_set_new(e, "points", json_integer(m->points));
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "series", a);
		return jdump(out, o);
	}
	const char *head[] = {"source", "series", "labels",
	                      "value",  "time",   f == REPORT_CSV ? "age_s" : "age",
	                      "points"};
	const bool right[] = {false, false, false, true, false, true, true};
	table t;
	table_init(&t, 7, head, right);
	for (size_t i = 0; i < v->n; i++) {
		const view_metric *m = &v->rows[i];
		char value[48], points[32], age[64];
		if (isnan(m->value))
			snprintf(value, sizeof value, "NaN");
		else
			snprintf(value, sizeof value, "%.6g", m->value);
		snprintf(points, sizeof points, "%" PRId64, m->points);
		if (f == REPORT_CSV)
			snprintf(age, sizeof age, "%" PRId64, age_s(v->now_ms, m->ts_ms));
		else
			snprintf(age, sizeof age, "%s", age_text(v->now_ms, m->ts_ms).s);
		cellbuf ts = iso(m->ts_ms);
		const char *c[] = {
		    m->source, m->series, f == REPORT_CSV ? m->labels : m->labels_text, value, ts.s,
		    age,       points};
		table_add(&t, c);
	}
	if (f == REPORT_TEXT)
		fprintf(out, "tokentop metrics  at %s\n\n", iso(v->now_ms).s);
	else if (f == REPORT_MD)
		fprintf(out, "## Metrics at %s\n\n", iso(v->now_ms).s);
	table_print(&t, out, style_of(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	return ferror(out) ? -1 : 0;
}
