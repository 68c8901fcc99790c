/* Renders the views (summary, prompts, routing, SLOs, budgets, alerts) as text, md, JSON or CSV. */
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

static const char *const format_names[REPORT_FORMAT_COUNT] = {"text", "md", "json", "csv"};

int report_format_parse(const char *name, report_format *out)
{
	for (int i = 0; i < REPORT_FORMAT_COUNT; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (report_format)i;
			return 0;
		}
	return -1;
}

/* ---- number formatting ---- */

typedef cell numbuf;

static numbuf pct(int64_t a, int64_t b)
{
	numbuf r;
	if (b == 0)
		snprintf(r.s, sizeof r.s, "-");
	else
		snprintf(r.s, sizeof r.s, "%.1f%%", 100.0 * (double)a / (double)b);
	return r;
}

static numbuf tokens(int64_t v)
{
	numbuf b;
	if (v >= 1000000000LL)
		snprintf(b.s, sizeof b.s, "%.1fB", (double)v / 1e9);
	else if (v >= 1000000)
		snprintf(b.s, sizeof b.s, "%.1fM", (double)v / 1e6);
	else
		b = cell_grouped(v);
	return b;
}

static numbuf date(int64_t day)
{
	numbuf b;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(day, &y, &m, &d);
	snprintf(b.s, sizeof b.s, "%04" PRId64 "-%02u-%02u", y, m, d);
	return b;
}

/* ---- JSON helpers ---- */

static json_t *jnum_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(round(v * 10) / 10);
}

static json_t *jrange(int64_t since, int64_t until)
{
	return json_pack("{s:s, s:s}", "since", cell_iso(since).s, "until", cell_iso(until).s);
}

static json_t *jrow(const view_rows *r, size_t i, int64_t total_cost)
{
	const view_row *row = &r->rows[i];
	json_t *o = json_object();
	for (size_t k = 0; k < r->nby; k++)
		json_object_set_new(o, store_dim_name(r->by[k]), json_string(row->key[k]));
	cell_jmoney(o, "cost", row->m[TT_M_COST_NANOS]);
	json_object_set_new(o, "requests", json_integer(row->m[TT_M_REQUESTS]));
	json_object_set_new(o, "input_tokens", json_integer(row->m[TT_M_INPUT_TOKENS]));
	json_object_set_new(o, "output_tokens", json_integer(row->m[TT_M_OUTPUT_TOKENS]));
	json_object_set_new(o, "cached_tokens", json_integer(row->m[TT_M_CACHED_TOKENS]));
	json_object_set_new(
	    o, "share",
	    json_real(total_cost ? (double)row->m[TT_M_COST_NANOS] / (double)total_cost : 0.0));
	return o;
}

static json_t *jrows(const view_rows *r, int64_t total_cost)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(a, jrow(r, i, total_cost));
	return a;
}

/* ---- summary ---- */

static const char *const status_json[TT_STATUS_COUNT] = {
    "ok",           "timeout", "rate_limited", "server_error", "safety_refusal",
    "client_error", "killed",  "throttled",    "other",
};

static int summary_json(FILE *out, const view_summary *v)
{
	const int64_t *m = v->m;
	json_t *o = json_object();
	json_object_set_new(o, "view", json_string("summary"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "range", jrange(v->since_ms, v->until_ms));
	cell_jmoney(o, "total_cost", m[TT_M_COST_NANOS]);
	json_object_set_new(o, "requests", json_integer(m[TT_M_REQUESTS]));
	json_object_set_new(o, "input_tokens", json_integer(m[TT_M_INPUT_TOKENS]));
	json_object_set_new(o, "output_tokens", json_integer(m[TT_M_OUTPUT_TOKENS]));
	json_object_set_new(o, "cached_tokens", json_integer(m[TT_M_CACHED_TOKENS]));
	cell_jmoney(o, "cost_per_request", v->cost_per_request_nanos);
	if (v->cost_per_success_nanos >= 0) {
		cell_jmoney(o, "cost_per_success", v->cost_per_success_nanos);
	} else {
		json_object_set_new(o, "cost_per_success_micros", json_null());
		json_object_set_new(o, "cost_per_success_usd", json_null());
	}
	json_object_set_new(o, "outcomes",
	                    json_pack("{s:I, s:I, s:I}", "success", (json_int_t)m[TT_M_SUCCESS],
	                              "failure", (json_int_t)m[TT_M_FAILURE], "abandoned",
	                              (json_int_t)m[TT_M_ABANDONED]));
	json_t *cache = json_object();
	json_object_set_new(cache, "hits", json_integer(v->by_cache[TT_CACHE_HIT]));
	json_object_set_new(cache, "misses", json_integer(v->by_cache[TT_CACHE_MISS]));
	json_object_set_new(cache, "not_looked_up", json_integer(v->by_cache[TT_CACHE_NONE]));
	int64_t looked = v->by_cache[TT_CACHE_HIT] + v->by_cache[TT_CACHE_MISS];
	json_object_set_new(cache, "hit_rate",
	                    looked ? json_real((double)v->by_cache[TT_CACHE_HIT] / (double)looked)
	                           : json_null());
	cell_jmoney(cache, "saved", m[TT_M_SAVED_NANOS]);
	json_object_set_new(o, "cache", cache);
	json_t *errs = json_object();
	json_object_set_new(errs, "total", json_integer(v->errors));
	for (int s = 0; s < TT_STATUS_COUNT; s++)
		json_object_set_new(errs, status_json[s], json_integer(v->by_status[s]));
	json_object_set_new(o, "by_status", errs);
	json_object_set_new(o, "latency_ms",
	                    json_pack("{s:o, s:o, s:o}", "p50", jnum_or_null(v->latency_ms[0]),
	                              "p95", jnum_or_null(v->latency_ms[1]), "p99",
	                              jnum_or_null(v->latency_ms[2])));
	json_object_set_new(o, "ttft_ms",
	                    json_pack("{s:o, s:o, s:o}", "p50", jnum_or_null(v->ttft_ms[0]), "p95",
	                              jnum_or_null(v->ttft_ms[1]), "p99",
	                              jnum_or_null(v->ttft_ms[2])));
	json_t *pricing = json_object();
	json_object_set_new(pricing, "gateway_priced", json_integer(m[TT_M_GATEWAY_PRICED]));
	json_object_set_new(pricing, "card_priced", json_integer(m[TT_M_CARD_PRICED]));
	json_object_set_new(pricing, "unpriced", json_integer(m[TT_M_UNPRICED]));
	json_t *um = json_array();
	for (size_t i = 0; i < v->unpriced.n; i++) {
		const view_row *r = &v->unpriced.rows[i];
		json_array_append_new(um, json_pack("{s:s, s:s, s:I}", "provider", r->key[0],
		                                    "model", r->key[1], "requests",
		                                    (json_int_t)r->m[TT_M_UNPRICED]));
	}
	json_object_set_new(pricing, "unpriced_models", um);
	json_object_set_new(o, "pricing", pricing);
	if (v->chargeback_nanos >= 0) {
		cell_jmoney(o, "chargeback", v->chargeback_nanos);
	} else {
		json_object_set_new(o, "chargeback_micros", json_null());
		json_object_set_new(o, "chargeback_usd", json_null());
	}
	json_t *days = json_array();
	for (size_t d = 0; d < v->ndays; d++) {
		json_t *day = json_object();
		json_object_set_new(day, "date", json_string(date(v->day0 + (int64_t)d).s));
		cell_jmoney(day, "cost", v->by_day[d][TT_M_COST_NANOS]);
		json_object_set_new(day, "requests", json_integer(v->by_day[d][TT_M_REQUESTS]));
		json_array_append_new(days, day);
	}
	json_object_set_new(o, "by_day", days);
	int64_t total = m[TT_M_COST_NANOS];
	json_object_set_new(o, "by_use_case", jrows(&v->by_use_case, total));
	json_object_set_new(o, "by_team", jrows(&v->by_team, total));
	json_object_set_new(o, "by_tenant", jrows(&v->by_tenant, total));
	json_object_set_new(o, "by_provider", jrows(&v->by_provider, total));
	json_object_set_new(o, "by_model", jrows(&v->by_model, total));
	return cell_jdump(out, o);
}

static void breakdown(FILE *out, report_format f, const char *title, const char *keyname,
                      const view_rows *r, int64_t total_cost)
{
	cell_heading(out, f, title);
	const char *head[] = {keyname, "requests", "cost", "share", "in tokens", "out tokens"};
	const bool right[] = {false, true, true, true, true, true};
	table t;
	table_init(&t, 6, head, right);
	for (size_t i = 0; i < r->n; i++) {
		const view_row *row = &r->rows[i];
		char key[256] = "";
		for (size_t k = 0; k < r->nby; k++) {
			size_t n = strlen(key);
			snprintf(key + n, sizeof key - n, "%s%s", k ? "/" : "",
			         *row->key[k] ? row->key[k] : "(none)");
		}
		numbuf a = cell_grouped(row->m[TT_M_REQUESTS]),
		       b = cell_usd(row->m[TT_M_COST_NANOS]),
		       c = pct(row->m[TT_M_COST_NANOS], total_cost),
		       d = tokens(row->m[TT_M_INPUT_TOKENS]),
		       e = tokens(row->m[TT_M_OUTPUT_TOKENS]);
		const char *cells[] = {key, a.s, b.s, c.s, d.s, e.s};
		table_add(&t, cells);
	}
	table_print(&t, out, cell_style(f), "  ");
	table_free(&t);
}

/* CSV is one long table: section, name, and the counters, so a spreadsheet can pivot it. */
static void csv_rows(table *t, const char *section, const view_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const view_row *row = &r->rows[i];
		char key[256] = "";
		for (size_t k = 0; k < r->nby; k++) {
			size_t n = strlen(key);
			snprintf(key + n, sizeof key - n, "%s%s", k ? "/" : "", row->key[k]);
		}
		numbuf a = cell_int(row->m[TT_M_REQUESTS]), b = cell_int(row->m[TT_M_INPUT_TOKENS]),
		       c = cell_int(row->m[TT_M_OUTPUT_TOKENS]),
		       d = cell_int(row->m[TT_M_CACHED_TOKENS]),
		       e = cell_micros(row->m[TT_M_COST_NANOS]),
		       g = cell_usd_exact(row->m[TT_M_COST_NANOS]);
		const char *cells[] = {section, key, a.s, b.s, c.s, d.s, e.s, g.s};
		table_add(t, cells);
	}
}

static int summary_csv(FILE *out, const view_summary *v)
{
	const char *head[] = {"section",       "name",          "requests",    "input_tokens",
	                      "output_tokens", "cached_tokens", "cost_micros", "cost_usd"};
	table t;
	table_init(&t, 8, head, NULL);
	view_row total = {{0}};
	memcpy(total.m, v->m, sizeof total.m);
	view_rows totals = {.rows = &total, .n = 1, .nby = 0};
	csv_rows(&t, "total", &totals);
	view_row *days = calloc(v->ndays ? v->ndays : 1, sizeof *days);
	numbuf *names = calloc(v->ndays ? v->ndays : 1, sizeof *names);
	if (days && names) {
		for (size_t d = 0; d < v->ndays; d++) {
			names[d] = date(v->day0 + (int64_t)d);
			days[d].key[0] = names[d].s;
			memcpy(days[d].m, v->by_day[d], sizeof days[d].m);
		}
		view_rows dr = {.rows = days, .n = v->ndays, .nby = 1};
		csv_rows(&t, "day", &dr);
	}
	csv_rows(&t, "use_case", &v->by_use_case);
	csv_rows(&t, "team", &v->by_team);
	csv_rows(&t, "tenant", &v->by_tenant);
	csv_rows(&t, "provider", &v->by_provider);
	csv_rows(&t, "model", &v->by_model);
	table_print(&t, out, TABLE_CSV, NULL);
	table_free(&t);
	free(days);
	free(names);
	return 0;
}

int report_summary(FILE *out, const view_summary *v, report_format f)
{
	if (f == REPORT_JSON)
		return summary_json(out, v);
	if (f == REPORT_CSV)
		return summary_csv(out, v);
	const int64_t *m = v->m;
	if (f == REPORT_MD)
		fprintf(out, "## Spend summary, %s to %s\n\n", cell_iso(v->since_ms).s,
		        cell_iso(v->until_ms).s);
	else
		fprintf(out, "tokentop summary  %s .. %s\n\n", cell_iso(v->since_ms).s,
		        cell_iso(v->until_ms).s);
	const char *head[] = {"", ""};
	table t;
	table_init(&t, 2, head, NULL);
	char line[512];
#define ROW(k, ...)                                                                                \
	do {                                                                                       \
		snprintf(line, sizeof line, __VA_ARGS__);                                          \
		const char *cells[] = {k, line};                                                   \
		table_add(&t, cells);                                                              \
	} while (0)
	ROW("spend", "%s", cell_usd(m[TT_M_COST_NANOS]).s);
	if (v->chargeback_nanos >= 0)
		ROW("chargeback", "%s (with platform overhead and tier markup)",
		    cell_usd(v->chargeback_nanos).s);
	ROW("requests", "%s  (errors %s, %s)", cell_grouped(m[TT_M_REQUESTS]).s,
	    cell_grouped(v->errors).s, pct(v->errors, m[TT_M_REQUESTS]).s);
	ROW("tokens", "in %s  out %s  cached %s", tokens(m[TT_M_INPUT_TOKENS]).s,
	    tokens(m[TT_M_OUTPUT_TOKENS]).s, tokens(m[TT_M_CACHED_TOKENS]).s);
	ROW("cost per request", "%s", cell_usd(v->cost_per_request_nanos).s);
	ROW("cost per success", "%s  (%s successful outcomes)",
	    v->cost_per_success_nanos >= 0 ? cell_usd(v->cost_per_success_nanos).s : "-",
	    cell_grouped(m[TT_M_SUCCESS]).s);
	ROW("cache", "hit rate %s  saved %s",
	    pct(v->by_cache[TT_CACHE_HIT], v->by_cache[TT_CACHE_HIT] + v->by_cache[TT_CACHE_MISS])
	        .s,
	    cell_usd(m[TT_M_SAVED_NANOS]).s);
	ROW("latency", "p50 %s  p95 %s  p99 %s", cell_ms(v->latency_ms[0]).s,
	    cell_ms(v->latency_ms[1]).s, cell_ms(v->latency_ms[2]).s);
	ROW("time to first token", "p50 %s  p95 %s  p99 %s", cell_ms(v->ttft_ms[0]).s,
	    cell_ms(v->ttft_ms[1]).s, cell_ms(v->ttft_ms[2]).s);
	ROW("priced", "%s by rate card, %s by gateway, %s unpriced",
	    cell_grouped(m[TT_M_CARD_PRICED]).s, cell_grouped(m[TT_M_GATEWAY_PRICED]).s,
	    cell_grouped(m[TT_M_UNPRICED]).s);
	for (size_t i = 0; i < v->unpriced.n; i++) {
		const view_row *r = &v->unpriced.rows[i];
		ROW(i ? "" : "no price for", "%s/%s: %s requests counted at $0", r->key[0],
		    r->key[1], cell_grouped(r->m[TT_M_UNPRICED]).s);
	}
	line[0] = 0;
	for (int s = 0; s < TT_STATUS_COUNT; s++) {
		if (!event_status_is_error((tt_status)s))
			continue;
		size_t n = strlen(line);
		snprintf(line + n, sizeof line - n, "%s%s %s", n ? "  " : "", status_json[s],
		         cell_grouped(v->by_status[s]).s);
	}
	{
		const char *cells[] = {"errors by class", line};
		table_add(&t, cells);
	}
#undef ROW
	if (f == REPORT_MD) {
		fputs("| | |\n| --- | --- |\n", out);
		for (int r = 0; r < t.nrows; r++)
			fprintf(out, "| %s | %s |\n", t.cells[r * 2], t.cells[r * 2 + 1]);
	} else {
		for (int r = 0; r < t.nrows; r++)
			fprintf(out, "  %-20s %s\n", t.cells[r * 2], t.cells[r * 2 + 1]);
	}
	table_free(&t);

	cell_heading(out, f, "Spend per day");
	const char *dh[] = {"date", "requests", "cost"};
	const bool dr[] = {false, true, true};
	table_init(&t, 3, dh, dr);
	for (size_t d = 0; d < v->ndays; d++) {
		numbuf a = date(v->day0 + (int64_t)d),
		       b = cell_grouped(v->by_day[d][TT_M_REQUESTS]),
		       c = cell_usd(v->by_day[d][TT_M_COST_NANOS]);
		const char *cells[] = {a.s, b.s, c.s};
		table_add(&t, cells);
	}
	table_print(&t, out, cell_style(f), "  ");
	table_free(&t);
	int64_t total = m[TT_M_COST_NANOS];
	breakdown(out, f, "By use case", "use case", &v->by_use_case, total);
	breakdown(out, f, "By team", "team", &v->by_team, total);
	breakdown(out, f, "By tenant", "tenant", &v->by_tenant, total);
	breakdown(out, f, "By provider", "provider", &v->by_provider, total);
	breakdown(out, f, "By model", "provider/model", &v->by_model, total);
	return ferror(out) ? -1 : 0;
}

/* ---- prompts ---- */

int report_prompts(FILE *out, const view_prompts *v, report_format f)
{
	if (f == REPORT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "view", json_string("prompts"));
		json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
		json_object_set_new(o, "range", jrange(v->since_ms, v->until_ms));
		cell_jmoney(o, "total_cost", v->total_cost_nanos);
		if (v->trend_n) {
			int64_t lo, hi;
			view_trend_span(v, 0, &lo, &hi);
			json_object_set_new(o, "trend_start", json_string(cell_iso(lo).s));
			json_object_set_new(o, "trend_step_seconds",
			                    json_integer(v->trend_step_ms / 1000));
		}
		json_t *a = json_array();
		for (size_t i = 0; i < v->top; i++) {
			const view_row *r = &v->rows.rows[i];
			int64_t n = r->m[TT_M_REQUESTS];
			json_t *p = json_object();
			json_object_set_new(p, "prompt_id", json_string(r->key[0]));
			json_object_set_new(p, "prompt_version", json_string(r->key[1]));
			cell_jmoney(p, "cost", r->m[TT_M_COST_NANOS]);
			json_object_set_new(p, "requests", json_integer(n));
			json_object_set_new(p, "input_tokens",
			                    json_integer(r->m[TT_M_INPUT_TOKENS]));
			json_object_set_new(p, "output_tokens",
			                    json_integer(r->m[TT_M_OUTPUT_TOKENS]));
			json_object_set_new(p, "cached_tokens",
			                    json_integer(r->m[TT_M_CACHED_TOKENS]));
			json_object_set_new(
			    p, "input_tokens_per_request",
			    json_real(n ? (double)r->m[TT_M_INPUT_TOKENS] / (double)n : 0.0));
			json_object_set_new(
			    p, "output_tokens_per_request",
			    json_real(n ? (double)r->m[TT_M_OUTPUT_TOKENS] / (double)n : 0.0));
			cell_jmoney(p, "cost_per_request",
			            view_ratio_round(r->m[TT_M_COST_NANOS], n));
			json_object_set_new(p, "share",
			                    json_real(v->total_cost_nanos
			                                  ? (double)r->m[TT_M_COST_NANOS] /
			                                        (double)v->total_cost_nanos
			                                  : 0.0));
			if (v->trend_n && v->trend) {
				json_t *t = json_array();
				for (size_t k = 0; k < v->trend_n; k++)
					json_array_append_new(
					    t, json_integer(
					           money_micros_of(v->trend[i * v->trend_n + k])));
				json_object_set_new(p, "trend", t);
				int64_t c = v->change_pct[i];
				json_object_set_new(p, "trend_change",
				                    c == VIEW_TREND_NEW    ? json_string("new")
				                    : c == VIEW_TREND_NONE ? json_null()
				                                           : json_integer(c));
			}
			json_array_append_new(a, p);
		}
		json_object_set_new(o, "prompts", a);
		return cell_jdump(out, o);
	}
	if (f == REPORT_MD)
		fprintf(out, "## Top prompts by spend, %s to %s\n\n", cell_iso(v->since_ms).s,
		        cell_iso(v->until_ms).s);
	else if (f == REPORT_TEXT)
		fprintf(out, "tokentop prompts  %s .. %s  (total %s)\n\n", cell_iso(v->since_ms).s,
		        cell_iso(v->until_ms).s, cell_usd(v->total_cost_nanos).s);
	const char *head[] = {"prompt", "version", "requests", "cost",
	                      "share",  "in/req",  "out/req",  "cost/req"};
	const bool right[] = {false, false, true, true, true, true, true, true};
	const char *csvhead[] = {
	    "prompt_id", "prompt_version", "requests",      "cost_micros",
	    "cost_usd",  "input_tokens",   "output_tokens", "cost_per_request_micros"};
	table t;
	table_init(&t, 8, f == REPORT_CSV ? csvhead : head, right);
	for (size_t i = 0; i < v->top; i++) {
		const view_row *r = &v->rows.rows[i];
		int64_t n = r->m[TT_M_REQUESTS];
		numbuf a = cell_grouped(n), b = cell_usd(r->m[TT_M_COST_NANOS]),
		       c = pct(r->m[TT_M_COST_NANOS], v->total_cost_nanos),
		       d = cell_grouped(view_ratio_round(r->m[TT_M_INPUT_TOKENS], n)),
		       e = cell_grouped(view_ratio_round(r->m[TT_M_OUTPUT_TOKENS], n)),
		       g = cell_usd(view_ratio_round(r->m[TT_M_COST_NANOS], n));
		if (f == REPORT_CSV) {
			a = cell_int(n);
			b = cell_micros(r->m[TT_M_COST_NANOS]);
			c = cell_usd_exact(r->m[TT_M_COST_NANOS]);
			d = cell_int(r->m[TT_M_INPUT_TOKENS]);
			e = cell_int(r->m[TT_M_OUTPUT_TOKENS]);
			g = cell_micros(view_ratio_round(r->m[TT_M_COST_NANOS], n));
		}
		const char *cells[] = {
		    *r->key[0] ? r->key[0] : "(none)", r->key[1], a.s, b.s, c.s, d.s, e.s, g.s};
		table_add(&t, cells);
	}
	table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	if (f == REPORT_TEXT && v->top < v->rows.n)
		fprintf(out, "  ... %zu more (--top N)\n", v->rows.n - v->top);
	return ferror(out) ? -1 : 0;
}

/* ---- routing ---- */

int report_routing(FILE *out, const view_routing *v, report_format f)
{
	return report_routing_config(out, v, NULL, f);
}

/* A configured share as a JSON number, or null when no gateway says. */
static json_t *jshare(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static numbuf share_pct(double v, bool off)
{
	numbuf b;
	if (isnan(v))
		snprintf(b.s, sizeof b.s, "-");
	else
		snprintf(b.s, sizeof b.s, "%.1f%%%s", 100.0 * v, off ? " off" : "");
	return b;
}

int report_routing_config(FILE *out, const view_routing *v, const view_routes *cfg, report_format f)
{
	/* cfg lists v's routes first, in order, each with v's targets first, in order */
	if (cfg && cfg->nroutes < v->nroutes)
		cfg = NULL;
	if (f == REPORT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "view", json_string("routing"));
		json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
		json_object_set_new(o, "range", jrange(v->since_ms, v->until_ms));
		json_t *routes = json_array();
		for (size_t i = 0; i < v->nroutes; i++) {
			const view_route *r = &v->routes[i];
			const view_rroute *cr = cfg ? &cfg->routes[i] : NULL;
			json_t *ro = json_object();
			json_object_set_new(ro, "use_case", json_string(r->use_case));
			json_object_set_new(ro, "requests", json_integer(r->requests));
			json_object_set_new(ro, "elevated", json_integer(r->elevated));
			json_object_set_new(
			    ro, "elevation_rate",
			    json_real(r->requests ? (double)r->elevated / (double)r->requests
			                          : 0.0));
			cell_jmoney(ro, "cost", r->cost_nanos);
			if (cr) {
				json_object_set_new(ro, "configured_by",
				                    cr->source ? json_string(cr->source)
				                               : json_null());
				json_object_set_new(ro, "divergence", jshare(cr->divergence));
				json_object_set_new(ro, "diverges", json_boolean(cr->diverges));
			}
			json_t *ts = json_array();
			for (size_t k = r->first; k < r->first + r->n; k++) {
				const view_row *t = &v->targets.rows[k];
				json_t *to = json_object();
				json_object_set_new(to, "provider", json_string(t->key[1]));
				json_object_set_new(to, "model", json_string(t->key[2]));
				json_object_set_new(to, "tier", json_string(t->key[3]));
				json_object_set_new(to, "requests",
				                    json_integer(t->m[TT_M_REQUESTS]));
				json_object_set_new(
				    to, "share",
				    json_real((double)t->m[TT_M_REQUESTS] / (double)r->requests));
				json_object_set_new(to, "elevated",
				                    json_integer(t->m[TT_M_ELEVATED]));
				cell_jmoney(to, "cost", t->m[TT_M_COST_NANOS]);
				if (cr) {
					const view_rtarget *ct =
					    &cfg->targets[cr->first + (k - r->first)];
					json_object_set_new(to, "config", jshare(ct->config));
					json_object_set_new(to, "off", json_boolean(ct->off));
				}
				json_array_append_new(ts, to);
			}
			/* configured targets that served nothing in the range */
			for (size_t k = cr ? cr->first + r->n : 0; cr && k < cr->first + cr->n;
			     k++) {
				const view_rtarget *ct = &cfg->targets[k];
				json_t *to = json_object();
				json_object_set_new(to, "provider", json_string(ct->provider));
				json_object_set_new(to, "model", json_string(ct->model));
				json_object_set_new(to, "tier", json_string(ct->tier));
				json_object_set_new(to, "requests", json_integer(0));
				json_object_set_new(to, "share", json_real(0));
				json_object_set_new(to, "elevated", json_integer(0));
				cell_jmoney(to, "cost", 0);
				json_object_set_new(to, "config", jshare(ct->config));
				json_object_set_new(to, "off", json_boolean(ct->off));
				json_array_append_new(ts, to);
			}
			json_object_set_new(ro, "targets", ts);
			json_array_append_new(routes, ro);
		}
		json_object_set_new(o, "routes", routes);
		return cell_jdump(out, o);
	}
	if (f == REPORT_MD)
		fprintf(out, "## Routing, %s to %s\n\n", cell_iso(v->since_ms).s,
		        cell_iso(v->until_ms).s);
	else if (f == REPORT_TEXT)
		fprintf(out, "tokentop routing  %s .. %s\n\n", cell_iso(v->since_ms).s,
		        cell_iso(v->until_ms).s);
	const char *head[] = {"use case", "provider", "model",    "tier", "requests",
	                      "share",    "config",   "elevated", "cost"};
	const bool right[] = {false, false, false, false, true, true, true, true, true};
	/* without the gateways' routes, no config column */
	static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7, 8}, nocfg[] = {0, 1, 2, 3, 4, 5, 7, 8};
	const int *cols = cfg ? all : nocfg;
	int ncols = cfg ? 9 : 8;
	const char *h[9];
	bool rt[9];
	for (int i = 0; i < ncols; i++) {
		h[i] = head[cols[i]];
		rt[i] = right[cols[i]];
	}
	table t;
	table_init(&t, (size_t)ncols, h, rt);
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_route *r = &v->routes[i];
		const view_rroute *cr = cfg ? &cfg->routes[i] : NULL;
		for (size_t k = r->first; k < r->first + r->n; k++) {
			const view_row *row = &v->targets.rows[k];
			const view_rtarget *ct =
			    cr ? &cfg->targets[cr->first + (k - r->first)] : NULL;
			numbuf a = f == REPORT_CSV ? cell_int(row->m[TT_M_REQUESTS])
			                           : cell_grouped(row->m[TT_M_REQUESTS]),
			       b = pct(row->m[TT_M_REQUESTS], r->requests),
			       g = share_pct(ct ? ct->config : NAN, ct && ct->off),
			       c = f == REPORT_CSV ? cell_int(row->m[TT_M_ELEVATED])
			                           : cell_grouped(row->m[TT_M_ELEVATED]),
			       d = f == REPORT_CSV ? cell_usd_exact(row->m[TT_M_COST_NANOS])
			                           : cell_usd(row->m[TT_M_COST_NANOS]);
			const char *all_cells[] = {(k == r->first || f == REPORT_CSV) ? r->use_case
			                                                              : "",
			                           row->key[1],
			                           row->key[2],
			                           row->key[3],
			                           a.s,
			                           b.s,
			                           g.s,
			                           c.s,
			                           d.s};
			const char *cells[9];
			for (int j = 0; j < ncols; j++)
				cells[j] = all_cells[cols[j]];
			table_add(&t, cells);
		}
		for (size_t k = cr ? cr->first + r->n : 0; cr && k < cr->first + cr->n; k++) {
			const view_rtarget *ct = &cfg->targets[k];
			numbuf g = share_pct(ct->config, ct->off);
			const char *cells[] = {f == REPORT_CSV ? r->use_case : "",
			                       ct->provider,
			                       ct->model,
			                       ct->tier,
			                       "0",
			                       f == REPORT_CSV ? "0.0%" : "-",
			                       g.s,
			                       "0",
			                       f == REPORT_CSV ? "0.000000" : "$0.00"};
			table_add(&t, cells);
		}
	}
	table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	if (f != REPORT_CSV) {
		cell_heading(out, f, "Elevation rate per use case");
		const char *eh[] = {"use case", "requests", "elevated", "rate"};
		const bool er[] = {false, true, true, true};
		table_init(&t, 4, eh, er);
		for (size_t i = 0; i < v->nroutes; i++) {
			const view_route *r = &v->routes[i];
			numbuf a = cell_grouped(r->requests), b = cell_grouped(r->elevated),
			       c = pct(r->elevated, r->requests);
			const char *cells[] = {r->use_case, a.s, b.s, c.s};
			table_add(&t, cells);
		}
		table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
		table_free(&t);
	}
	return ferror(out) ? -1 : 0;
}

/* ---- SLOs ---- */

/* The objective as configured: a percent with up to four decimals, trailing zeros dropped. */
static numbuf objective(int64_t ppm)
{
	numbuf b;
	snprintf(b.s, sizeof b.s, "%" PRId64 ".%04" PRId64, ppm / 10000, ppm % 10000);
	char *e = b.s + strlen(b.s) - 1;
	while (*e == '0')
		*e-- = 0;
	if (*e == '.')
		*e = 0;
	return b;
}

static json_t *jround(double v, double scale)
{
	return isfinite(v) ? json_real(round(v * scale) / scale) : json_null();
}

static json_t *jcounts(slo_counts c)
{
	return json_pack("{s:I, s:I}", "bad", (json_int_t)c.bad, "total", (json_int_t)c.total);
}

static json_t *jstatuses(uint32_t mask)
{
	json_t *a = json_array();
	for (int s = 0; s < TT_STATUS_COUNT; s++)
		if ((mask >> s) & 1u)
			json_array_append_new(a, json_string(status_json[s]));
	return a;
}

static int slo_json(FILE *out, const view_slo *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "view", json_string("slo"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "now", json_string(cell_iso(v->now_ms).s));
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++) {
		const view_slo_row *r = &v->rows[i];
		const slo_spec *s = r->spec;
		json_t *so = json_object();
		json_object_set_new(so, "name", json_string(s->name));
		json_object_set_new(so, "use_case", json_string(s->use_case));
		json_object_set_new(so, "sli", json_string(slo_sli_name(s->sli)));
		json_object_set_new(so, "objective", json_real((double)s->objective_ppm / 10000));
		json_object_set_new(so, "period_s", json_integer(s->period_ms / 1000));
		json_object_set_new(so, "threshold_ms",
		                    s->sli == SLO_LATENCY ? json_integer(s->threshold_ms)
		                                          : json_null());
		json_object_set_new(so, "bad_statuses",
		                    s->sli == SLO_AVAILABILITY ? jstatuses(s->bad_statuses)
		                                               : json_null());
		json_t *burn = json_object(), *counts = json_object();
		for (int w = 0; w < SLO_WINDOW_COUNT; w++) {
			json_object_set_new(burn, slo_window_name((slo_window)w),
			                    jround(r->status.burn[w], 1e4));
			json_object_set_new(counts, slo_window_name((slo_window)w),
			                    jcounts(r->win[w]));
		}
		json_object_set_new(counts, "period", jcounts(r->status.period));
		json_object_set_new(so, "burn_rates", burn);
		json_object_set_new(so, "budget_remaining",
		                    jround(r->status.budget_remaining, 1e6));
		const char *alert = slo_alert_name(r->status.alert);
		json_object_set_new(so, "alert", alert ? json_string(alert) : json_null());
		json_object_set_new(so, "exhausted_in_s",
		                    r->status.exhausted_in_ms >= 0
		                        ? json_integer(r->status.exhausted_in_ms / 1000)
		                        : json_null());
		json_object_set_new(so, "counts", counts);
		json_array_append_new(a, so);
	}
	json_object_set_new(o, "slos", a);
	return cell_jdump(out, o);
}

int report_slo(FILE *out, const view_slo *v, report_format f)
{
	if (f == REPORT_JSON)
		return slo_json(out, v);
	table t;
	if (f == REPORT_CSV) {
		const char *head[] = {
		    "name",  "use_case",  "sli",   "objective",        "window",        "bad",
		    "total", "burn_rate", "alert", "budget_remaining", "exhausted_in_s"};
		table_init(&t, 11, head, NULL);
		for (size_t i = 0; i < v->n; i++) {
			const view_slo_row *r = &v->rows[i];
			const slo_spec *s = r->spec;
			const char *alert = slo_alert_name(r->status.alert);
			numbuf obj = objective(s->objective_ppm),
			       rem = cell_real(r->status.budget_remaining, "%.6f"),
			       ex = r->status.exhausted_in_ms >= 0
			                ? cell_int(r->status.exhausted_in_ms / 1000)
			                : (numbuf){""};
			for (int w = 0; w <= SLO_WINDOW_COUNT; w++) {
				slo_counts c = w < SLO_WINDOW_COUNT ? r->win[w] : r->status.period;
				numbuf bad = cell_int(c.bad), tot = cell_int(c.total),
				       burn = cell_real(w < SLO_WINDOW_COUNT
				                            ? r->status.burn[w]
				                            : 1 - r->status.budget_remaining,
				                        "%.4f");
				const char *cells[] = {s->name,
				                       s->use_case,
				                       slo_sli_name(s->sli),
				                       obj.s,
				                       w < SLO_WINDOW_COUNT
				                           ? slo_window_name((slo_window)w)
				                           : "period",
				                       bad.s,
				                       tot.s,
				                       burn.s,
				                       alert ? alert : "",
				                       rem.s,
				                       ex.s};
				table_add(&t, cells);
			}
		}
		table_print(&t, out, TABLE_CSV, NULL);
		table_free(&t);
		return ferror(out) ? -1 : 0;
	}
	if (f == REPORT_MD)
		fprintf(out, "## SLOs at %s\n\n", cell_iso(v->now_ms).s);
	else
		fprintf(out, "tokentop slo  %s\n\n", cell_iso(v->now_ms).s);
	if (!v->n) {
		fprintf(out,
		        "%sno SLOs configured: add [slo NAME] sections to the config file "
		        "(docs/config.md)\n",
		        f == REPORT_TEXT ? "  " : "");
		return ferror(out) ? -1 : 0;
	}
	const char *head[] = {"slo",         "use case",     "sli",  "objective",
	                      "budget left", "exhausted in", "alert"};
	const bool right[] = {false, false, false, true, true, true, false};
	table_init(&t, 7, head, right);
	for (size_t i = 0; i < v->n; i++) {
		const view_slo_row *r = &v->rows[i];
		const slo_spec *s = r->spec;
		char sli[64];
		if (s->sli == SLO_LATENCY)
			snprintf(sli, sizeof sli, "latency < %" PRId64 " ms", s->threshold_ms);
		else
			snprintf(sli, sizeof sli, "availability");
		numbuf obj = objective(s->objective_ppm), rem,
		       ex = cell_duration(r->status.exhausted_in_ms);
		snprintf(rem.s, sizeof rem.s, "%.1f%%", 100 * r->status.budget_remaining);
		strcat(obj.s, "%");
		const char *alert = slo_alert_name(r->status.alert);
		const char *cells[] = {s->name, s->use_case,        sli, obj.s, rem.s,
		                       ex.s,    alert ? alert : "-"};
		table_add(&t, cells);
	}
	table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	cell_heading(
	    out, f,
	    "Burn rates (for a 30-day period, page: 1h and 5m >= 14.4, or 6h and 30m >= 6; "
	    "ticket: 1d and 2h >= 3, or 3d and 6h >= 1; other periods scale them)");
	const char *bh[] = {"slo", "5m", "30m", "1h", "2h", "6h", "1d", "3d"};
	const bool br[] = {false, true, true, true, true, true, true, true};
	table_init(&t, 8, bh, br);
	for (size_t i = 0; i < v->n; i++) {
		const view_slo_row *r = &v->rows[i];
		numbuf b[SLO_WINDOW_COUNT];
		for (int w = 0; w < SLO_WINDOW_COUNT; w++)
			b[w] =
			    r->win[w].total ? cell_real(r->status.burn[w], "%.2f") : (numbuf){"-"};
		const char *cells[] = {r->spec->name, b[0].s, b[1].s, b[2].s,
		                       b[3].s,        b[4].s, b[5].s, b[6].s};
		table_add(&t, cells);
	}
	table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	return ferror(out) ? -1 : 0;
}

/* ---- budgets ---- */

static void jset_money_or_null(json_t *o, const char *prefix, int64_t nanos, bool have)
{
	if (have) {
		cell_jmoney(o, prefix, nanos);
		return;
	}
	cell_jmoney_null(o, prefix);
}

static void jforecast(json_t *o, const char *prefix, const forecast *fc)
{
	char key[64];
	cell_jmoney(o, prefix, fc->point_nanos);
	snprintf(key, sizeof key, "%s_low", prefix);
	cell_jmoney(o, key, fc->low_nanos);
	snprintf(key, sizeof key, "%s_high", prefix);
	cell_jmoney(o, key, fc->high_nanos);
}

static int budgets_json(FILE *out, const view_budgets *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "view", json_string("budgets"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "now", json_string(cell_iso(v->now_ms).s));
	if (v->nwhatifs) {
		json_t *w = json_array();
		for (size_t i = 0; i < v->nwhatifs; i++) {
			char buf[160];
			whatif_format(&v->whatifs[i], buf, sizeof buf);
			json_array_append_new(w, json_string(buf));
		}
		json_object_set_new(o, "whatifs", w);
	}
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++) {
		const view_budget_row *r = &v->rows[i];
		const budget_spec *b = r->spec;
		char scope[256];
		budget_scope_format(&b->scope, scope, sizeof scope);
		json_t *bo = json_object();
		json_object_set_new(bo, "name", json_string(b->name));
		json_object_set_new(bo, "scope", json_string(scope));
		json_object_set_new(bo, "period", json_string(budget_period_name(b->period)));
		json_object_set_new(bo, "period_range",
		                    jrange(r->period_start_ms, r->period_end_ms));
		jset_money_or_null(bo, "amount", b->amount_nanos, b->amount_nanos > 0);
		cell_jmoney(bo, "spent", r->spent_nanos);
		json_object_set_new(bo, "used_pct", jround(r->used_pct, 100));
		json_object_set_new(bo, "state",
		                    b->amount_nanos > 0 ? json_string(budget_state_name(r->state))
		                                        : json_null());
		json_object_set_new(bo, "forecast_state",
		                    b->amount_nanos > 0
		                        ? json_string(budget_state_name(r->forecast_state))
		                        : json_null());
		json_object_set_new(bo, "soft_pct", json_integer(b->soft_pct));
		json_object_set_new(bo, "hard_pct", json_integer(b->hard_pct));
		jforecast(bo, "forecast", &r->fc);
		json_object_set_new(bo, "forecast_basis",
		                    json_string(forecast_basis_name(r->fc.basis)));
		json_object_set_new(bo, "forecast_mape", jround(r->mape, 1e4));
		json_object_set_new(bo, "backtests", json_integer(r->backtests));
		if (v->nwhatifs) {
			json_t *w = json_object();
			json_object_set_new(w, "factor", jround(r->whatif_factor, 1e6));
			jforecast(w, "forecast", &r->fc_whatif);
			json_object_set_new(bo, "whatif", w);
		}
		json_array_append_new(a, bo);
	}
	json_object_set_new(o, "budgets", a);
	return cell_jdump(out, o);
}

int report_budgets(FILE *out, const view_budgets *v, report_format f)
{
	if (f == REPORT_JSON)
		return budgets_json(out, v);
	table t;
	if (f == REPORT_CSV) {
		const char *head[] = {"name",
		                      "scope",
		                      "period",
		                      "amount_micros",
		                      "spent_micros",
		                      "used_pct",
		                      "state",
		                      "forecast_state",
		                      "forecast_micros",
		                      "forecast_low_micros",
		                      "forecast_high_micros",
		                      "forecast_mape"};
		table_init(&t, 11, head, NULL);
		for (size_t i = 0; i < v->n; i++) {
			const view_budget_row *r = &v->rows[i];
			const forecast *fc = v->nwhatifs ? &r->fc_whatif : &r->fc;
			char scope[256];
			budget_scope_format(&r->spec->scope, scope, sizeof scope);
			numbuf am = cell_micros(r->spec->amount_nanos),
			       sp = cell_micros(r->spent_nanos),
			       up = cell_real(r->used_pct, "%.2f"),
			       fp = cell_micros(fc->point_nanos), fl = cell_micros(fc->low_nanos),
			       fh = cell_micros(fc->high_nanos), mp = cell_real(r->mape, "%.4f");
			const char *cells[] = {
			    r->spec->name,
			    scope,
			    budget_period_name(r->spec->period),
			    am.s,
			    sp.s,
			    up.s,
			    r->spec->amount_nanos > 0 ? budget_state_name(r->state) : "",
			    r->spec->amount_nanos > 0 ? budget_state_name(r->forecast_state) : "",
			    fp.s,
			    fl.s,
			    fh.s,
			    mp.s};
			table_add(&t, cells);
		}
		table_print(&t, out, TABLE_CSV, NULL);
		table_free(&t);
		return ferror(out) ? -1 : 0;
	}
	if (f == REPORT_MD)
		fprintf(out, "## Budgets at %s\n\n", cell_iso(v->now_ms).s);
	else
		fprintf(out, "tokentop budgets  %s\n\n", cell_iso(v->now_ms).s);
	if (!v->n) {
		fprintf(out,
		        "%sno budgets configured: add [budget NAME] sections to the config file "
		        "(docs/config.md)\n",
		        f == REPORT_TEXT ? "  " : "");
		return ferror(out) ? -1 : 0;
	}
	if (v->nwhatifs) {
		fprintf(out, "%swhat if:", f == REPORT_TEXT ? "  " : "");
		for (size_t i = 0; i < v->nwhatifs; i++) {
			char buf[160];
			whatif_format(&v->whatifs[i], buf, sizeof buf);
			fprintf(out, " %s", buf);
		}
		fprintf(out, "\n\n");
	}
	const char *head[] = {"budget", "scope", "period",   "amount", "spent",
	                      "used",   "state", "forecast", "range",  "backtest error"};
	const char *whead[] = {"budget",   "scope", "period",  "amount",        "spent",
	                       "forecast", "range", "what-if", "what-if range", "change"};
	const bool right[] = {false, false, false, true, true, true, false, true, true, true};
	table_init(&t, 10, v->nwhatifs ? whead : head, right);
	for (size_t i = 0; i < v->n; i++) {
		const view_budget_row *r = &v->rows[i];
		const budget_spec *b = r->spec;
		char scope[256], range[128], wrange[128];
		budget_scope_format(&b->scope, scope, sizeof scope);
		numbuf am = b->amount_nanos > 0 ? cell_usd(b->amount_nanos) : (numbuf){"-"},
		       sp = cell_usd(r->spent_nanos), up = cell_real(r->used_pct, "%.1f%%"),
		       fp = cell_usd(r->fc.point_nanos), mp = cell_real(100 * r->mape, "%.1f%%"),
		       wp = cell_usd(r->fc_whatif.point_nanos),
		       ch = cell_real(100 * (r->whatif_factor - 1), "%+.1f%%");
		snprintf(range, sizeof range, "%.60s .. %.60s", cell_usd(r->fc.low_nanos).s,
		         cell_usd(r->fc.high_nanos).s);
		snprintf(wrange, sizeof wrange, "%.60s .. %.60s",
		         cell_usd(r->fc_whatif.low_nanos).s, cell_usd(r->fc_whatif.high_nanos).s);
		char label[48];
		const char *state =
		    b->amount_nanos > 0 ? view_budget_state_label(r, label, sizeof label) : "-";
		if (v->nwhatifs) {
			const char *cells[] = {b->name, scope, budget_period_name(b->period),
			                       am.s,    sp.s,  fp.s,
			                       range,   wp.s,  wrange,
			                       ch.s};
			table_add(&t, cells);
		} else {
			const char *cells[] = {b->name, scope, budget_period_name(b->period),
			                       am.s,    sp.s,  up.s,
			                       state,   fp.s,  range,
			                       mp.s};
			table_add(&t, cells);
		}
	}
	table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	if (f == REPORT_TEXT)
		fprintf(out,
		        "\n  forecast: spend so far, plus the rest of the period as recent weeks "
		        "(or days) spent it\n  backtest error: the same forecast replayed on past "
		        "periods, mean absolute %% error\n");
	return ferror(out) ? -1 : 0;
}

/* ---- alerts ---- */

json_t *report_alert_json(const anomaly_alert *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(anomaly_kind_name(a->kind)));
	json_object_set_new(o, "severity", json_string(anomaly_severity_name(a->severity)));
	json_object_set_new(o, "scope", json_string(a->scope));
	json_object_set_new(o, "value", jround(a->value, 1e6));
	json_object_set_new(o, "baseline", jround(a->baseline, 1e6));
	json_object_set_new(o, "unit", json_string(view_alert_unit(a->kind)));
	json_object_set_new(o, "window_s", json_integer((json_int_t)(a->window_ms / 1000)));
	char why[320];
	view_alert_reason(a, why, sizeof why);
	json_object_set_new(o, "reason", json_string(why));
	json_object_set_new(o, "since", json_string(cell_iso(a->since_ms).s));
	json_object_set_new(o, "last", json_string(cell_iso(a->last_ms).s));
	json_object_set_new(o, "peak_severity", json_string(anomaly_severity_name(a->peak)));
	if (a->resolved_ms >= 0)
		json_object_set_new(o, "resolved", json_string(cell_iso(a->resolved_ms).s));
	return o;
}

int report_alerts(FILE *out, const view_alerts *v, report_format f)
{
	if (f == REPORT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "view", json_string("alerts"));
		json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
		json_object_set_new(o, "now", json_string(cell_iso(v->now_ms).s));
		json_object_set_new(o, "evaluated",
		                    json_pack("{s:s, s:I, s:I, s:I}", "from",
		                              cell_iso(v->from_ms).s, "step_s",
		                              (json_int_t)(v->step_ms / 1000), "fast_window_s",
		                              (json_int_t)(v->fast_ms / 1000), "window_s",
		                              (json_int_t)(v->window_ms / 1000)));
		json_t *a = json_array(), *r = json_array();
		for (size_t i = 0; i < v->n; i++)
			json_array_append_new(i < v->nfiring ? a : r,
			                      report_alert_json(&v->alerts[i]));
		json_object_set_new(o, "alerts", a);
		json_object_set_new(o, "resolved", r);
		return cell_jdump(out, o);
	}
	table t;
	const char *head[] = {"state",    "kind",   "severity", "scope",    "value",
	                      "baseline", "window", "since",    "resolved", "reason"};
	const bool right[] = {false, false, false, false, true, true, true, false, false, false};
	/* text and md give the reason on a line of its own under the table */
	size_t ncol = f == REPORT_CSV ? 10 : 9;
	if (f != REPORT_CSV) {
		if (f == REPORT_MD)
			fprintf(out, "## Alerts at %s\n\n", cell_iso(v->now_ms).s);
		else
			fprintf(out,
			        "tokentop alerts  %s  (evaluated every %" PRId64
			        " min since %s)\n\n",
			        cell_iso(v->now_ms).s, v->step_ms / 60000, cell_iso(v->from_ms).s);
		if (!v->n) {
			fprintf(out, "%sno alerts\n", f == REPORT_TEXT ? "  " : "");
			return ferror(out) ? -1 : 0;
		}
	}
	table_init(&t, ncol, head, right);
	for (size_t i = 0; i < v->n; i++) {
		const anomaly_alert *a = &v->alerts[i];
		numbuf val, base, win;
		char why[320];
		view_alert_reason(a, why, sizeof why);
		if (f == REPORT_CSV)
			snprintf(win.s, sizeof win.s, "%" PRId64, (int64_t)(a->window_ms / 1000));
		else
			snprintf(win.s, sizeof win.s, "%" PRId64 "m",
			         (int64_t)(a->window_ms / 60000));
		if (f == REPORT_CSV) {
			val = cell_real(a->value, "%.6f");
			base = cell_real(a->baseline, "%.6f");
		} else {
			val = cell_alert_value(a->kind, a->value);
			base = cell_alert_value(a->kind, a->baseline);
		}
		numbuf since = cell_iso(a->since_ms),
		       res = a->resolved_ms >= 0 ? cell_iso(a->resolved_ms) : (numbuf){""};
		const char *cells[] = {i < v->nfiring ? "firing" : "resolved",
		                       anomaly_kind_name(a->kind),
		                       anomaly_severity_name(a->severity),
		                       a->scope,
		                       val.s,
		                       base.s,
		                       win.s,
		                       since.s,
		                       res.s,
		                       why};
		table_add(&t, cells);
	}
	table_print(&t, out, cell_style(f), f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	if (f != REPORT_CSV) {
		fputc('\n', out);
		for (size_t i = 0; i < v->nfiring; i++) {
			char why[320];
			view_alert_reason(&v->alerts[i], why, sizeof why);
			fprintf(out, f == REPORT_MD ? "- %s: %s\n" : "  %s: %s\n",
			        anomaly_kind_name(v->alerts[i].kind), why);
		}
	}
	return ferror(out) ? -1 : 0;
}
