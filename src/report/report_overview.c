/* Renders the Overview view: spend now and its last hour, totals, org budget, rates, alerts. */
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

/* forecast / amount, percent; NAN without an amount. */
static double forecast_pct(const view_overview *v)
{
	int64_t amount = v->budget.spec->amount_nanos;
	return amount > 0 ? 100.0 * (double)v->budget.fc.point_nanos / (double)amount : NAN;
}

/* The alert's name (SLO or anomaly kind), its scope and a line of detail. */
static void alert_cells(const view_overview_alert *a, char *name, size_t ncap, char *scope,
                        size_t scap, char *detail, size_t dcap)
{
	if (a->level == VIEW_OVERVIEW_ANOMALY) {
		const anomaly_alert *an = &a->anomaly;
		snprintf(name, ncap, "%s", anomaly_kind_name(an->kind));
		snprintf(scope, scap, "%.200s", an->scope);
		snprintf(detail, dcap, "%s, value %s, baseline %s, since %s",
		         anomaly_severity_name(an->severity),
		         cell_alert_value(an->kind, an->value).s,
		         cell_alert_value(an->kind, an->baseline).s, cell_iso(an->since_ms).s);
		return;
	}
	snprintf(name, ncap, "%.120s", a->slo->name);
	snprintf(scope, scap, "use_case=%.120s", a->slo->use_case);
	snprintf(detail, dcap, "burn 1h %s, budget left %s, exhausted in %s",
	         cell_real(a->status.burn[SLO_W1H], "%.2f").s,
	         cell_real(100 * a->status.budget_remaining, "%.1f%%").s,
	         cell_duration(a->status.exhausted_in_ms).s);
}

/* ---- JSON ---- */

static json_t *ov_jround(double v, double scale)
{
	return isfinite(v) ? json_real(round(v * scale) / scale) : json_null();
}

static json_t *budget_json(const view_overview *v)
{
	if (!v->has_budget)
		return json_null();
	const view_budget_row *r = &v->budget;
	const budget_spec *b = r->spec;
	bool amount = b->amount_nanos > 0;
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(b->name));
	json_object_set_new(o, "period", json_string(budget_period_name(b->period)));
	json_object_set_new(o, "period_range",
	                    json_pack("{s:s, s:s}", "since", cell_iso(r->period_start_ms).s,
	                              "until", cell_iso(r->period_end_ms).s));
	if (amount)
		cell_jmoney(o, "amount", b->amount_nanos);
	else {
		json_object_set_new(o, "amount_micros", json_null());
		json_object_set_new(o, "amount_usd", json_null());
	}
	cell_jmoney(o, "spent", r->spent_nanos);
	json_object_set_new(o, "used_pct", ov_jround(r->used_pct, 100));
	cell_jmoney(o, "forecast", r->fc.point_nanos);
	cell_jmoney(o, "forecast_low", r->fc.low_nanos);
	cell_jmoney(o, "forecast_high", r->fc.high_nanos);
	json_object_set_new(o, "forecast_pct", ov_jround(forecast_pct(v), 100));
	json_object_set_new(o, "state",
	                    amount ? json_string(budget_state_name(r->state)) : json_null());
	json_object_set_new(o, "forecast_state",
	                    amount ? json_string(budget_state_name(r->forecast_state))
	                           : json_null());
	return o;
}

static json_t *alert_json(const view_overview_alert *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "level", json_string(view_overview_level_name(a->level)));
	if (a->level == VIEW_OVERVIEW_ANOMALY) {
		const anomaly_alert *an = &a->anomaly;
		json_object_set_new(o, "kind", json_string(anomaly_kind_name(an->kind)));
		json_object_set_new(o, "severity",
		                    json_string(anomaly_severity_name(an->severity)));
		json_object_set_new(o, "scope", json_string(an->scope));
		json_object_set_new(o, "value", ov_jround(an->value, 1e6));
		json_object_set_new(o, "baseline", ov_jround(an->baseline, 1e6));
		json_object_set_new(o, "since", json_string(cell_iso(an->since_ms).s));
		json_object_set_new(o, "last", json_string(cell_iso(an->last_ms).s));
		return o;
	}
	const slo_status *s = &a->status;
	json_object_set_new(o, "slo", json_string(a->slo->name));
	json_object_set_new(o, "use_case", json_string(a->slo->use_case));
	json_object_set_new(o, "sli", json_string(slo_sli_name(a->slo->sli)));
	json_t *burn = json_object();
	for (int w = 0; w < SLO_WINDOW_COUNT; w++)
		json_object_set_new(burn, slo_window_name((slo_window)w),
		                    ov_jround(s->burn[w], 1e4));
	json_object_set_new(o, "burn_rates", burn);
	json_object_set_new(o, "budget_remaining", ov_jround(s->budget_remaining, 1e6));
	json_object_set_new(o, "exhausted_in_s",
	                    s->exhausted_in_ms >= 0 ? json_integer(s->exhausted_in_ms / 1000)
	                                            : json_null());
	return o;
}

static int overview_json(FILE *out, const view_overview *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "view", json_string("overview"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "now", json_string(cell_iso(v->now_ms).s));
	cell_jmoney(o, "spend_per_min", v->spend_per_min_nanos);
	json_object_set_new(o, "spark_since", json_string(cell_iso(v->spark_start_ms).s));
	json_t *spark = json_array();
	for (size_t i = 0; i < VIEW_OVERVIEW_SPARK; i++)
		json_array_append_new(spark, json_integer(money_micros_of(v->spark_nanos[i])));
	json_object_set_new(o, "spark_micros", spark);
	cell_jmoney(o, "today", v->today_nanos);
	cell_jmoney(o, "month", v->month_nanos);
	json_object_set_new(o, "budget", budget_json(v));
	json_object_set_new(o, "requests_per_s", ov_jround(v->requests_per_s, 1e3));
	json_object_set_new(o, "tokens_per_s", ov_jround(v->tokens_per_s, 1e3));
	json_object_set_new(o, "alert_counts",
	                    json_pack("{s:I, s:I, s:I}", "page", (json_int_t)v->npages, "ticket",
	                              (json_int_t)v->ntickets, "anomaly",
	                              (json_int_t)v->nanomalies));
	json_t *alerts = json_array();
	for (size_t i = 0; i < v->nalerts; i++)
		json_array_append_new(alerts, alert_json(&v->alerts[i]));
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "newest_minute",
	                    v->newest_minute_ms >= 0 ? json_string(cell_iso(v->newest_minute_ms).s)
	                                             : json_null());
	json_object_set_new(o, "data_age_s",
	                    v->data_age_ms >= 0 ? json_integer(v->data_age_ms / 1000)
	                                        : json_null());
	json_t *src = json_array();
	for (size_t i = 0; i < v->nsources; i++) {
		const view_overview_source *s = &v->sources[i];
		json_array_append_new(
		    src, json_pack("{s:s, s:s, s:o, s:b, s:b, s:I, s:I}", "name",
		                   s->name ? s->name : "", "state", source_state_name(s->state),
		                   "age_s", s->age_s >= 0 ? json_integer(s->age_s) : json_null(),
		                   "production", (int)s->production, "catching_up",
		                   (int)s->catching_up, "rows_refused", (json_int_t)s->rejected,
		                   "rows_odd", (json_int_t)s->odd));
	}
	json_object_set_new(o, "sources", src);
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(o);
	return rc;
}

/* ---- CSV: section, name, value, detail ---- */

static void csv_row(table *t, const char *section, const char *name, const char *value,
                    const char *detail)
{
	const char *cells[] = {section, name, value, detail};
	table_add(t, cells);
}

static int overview_csv(FILE *out, const view_overview *v)
{
	static const char *const head[] = {"section", "name", "value", "detail"};
	table t;
	table_init(&t, 4, head, NULL);
	csv_row(&t, "figure", "now", cell_iso(v->now_ms).s, "");
	csv_row(&t, "figure", "spend_per_min_micros", cell_micros(v->spend_per_min_nanos).s, "");
	csv_row(&t, "figure", "today_micros", cell_micros(v->today_nanos).s, "");
	csv_row(&t, "figure", "month_micros", cell_micros(v->month_nanos).s, "");
	if (v->has_budget) {
		const view_budget_row *r = &v->budget;
		const char *name = r->spec->name;
		csv_row(&t, "figure", "budget_amount_micros",
		        r->spec->amount_nanos > 0 ? cell_micros(r->spec->amount_nanos).s : "",
		        name);
		csv_row(&t, "figure", "budget_spent_micros", cell_micros(r->spent_nanos).s, name);
		csv_row(&t, "figure", "budget_forecast_micros", cell_micros(r->fc.point_nanos).s,
		        name);
		csv_row(&t, "figure", "budget_state",
		        r->spec->amount_nanos > 0 ? budget_state_name(r->state) : "", name);
		csv_row(&t, "figure", "budget_forecast_state",
		        r->spec->amount_nanos > 0 ? budget_state_name(r->forecast_state) : "",
		        name);
	}
	csv_row(&t, "figure", "requests_per_s", cell_real(v->requests_per_s, "%.3f").s, "");
	csv_row(&t, "figure", "tokens_per_s", cell_real(v->tokens_per_s, "%.3f").s, "");
	csv_row(&t, "figure", "newest_minute",
	        v->newest_minute_ms >= 0 ? cell_iso(v->newest_minute_ms).s : "", "");
	csv_row(&t, "figure", "data_age_s",
	        v->data_age_ms >= 0 ? cell_int(v->data_age_ms / 1000).s : "", "");
	for (size_t i = 0; i < VIEW_OVERVIEW_SPARK; i++)
		csv_row(&t, "spark", cell_iso(v->spark_start_ms + (int64_t)i * 60000).s,
		        cell_micros(v->spark_nanos[i]).s, "");
	for (size_t i = 0; i < v->nalerts; i++) {
		char name[128], scope[256], detail[512];
		alert_cells(&v->alerts[i], name, sizeof name, scope, sizeof scope, detail,
		            sizeof detail);
		csv_row(&t, "alert", view_overview_level_name(v->alerts[i].level), name, scope);
	}
	for (size_t i = 0; i < v->nsources; i++) {
		const view_overview_source *s = &v->sources[i];
		csv_row(&t, "source", s->name ? s->name : "", source_state_name(s->state),
		        s->age_s >= 0 ? cell_int(s->age_s).s : "");
	}
	table_print(&t, out, TABLE_CSV, NULL);
	table_free(&t);
	return ferror(out) ? -1 : 0;
}

/* ---- text and Markdown ---- */

/* The last hour as one character per minute, scaled to its busiest minute. */
static void sparkline(const int64_t *v, size_t n, char *buf, size_t cap)
{
	static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int k = max > 0 && v[i] > 0 ? (int)((double)v[i] * 7 / (double)max + 0.5) : 0;
		size_t len = strlen(blocks[k]);
		if (o + len >= cap)
			break;
		memcpy(buf + o, blocks[k], len);
		o += len;
		buf[o] = 0;
	}
}

int report_overview(FILE *out, const view_overview *v, report_format f)
{
	if (f == REPORT_JSON)
		return overview_json(out, v);
	if (f == REPORT_CSV)
		return overview_csv(out, v);
	bool md = f == REPORT_MD;
	if (md)
		fprintf(out, "## Overview at %s\n\n| figure | value |\n|---|---|\n",
		        cell_iso(v->now_ms).s);
	else
		fprintf(out, "tokentop overview  %s\n\n", cell_iso(v->now_ms).s);
	const char *fmt = md ? "| %s | %s |\n" : "  %-15s %s\n";
	char line[512], spark[VIEW_OVERVIEW_SPARK * 4 + 1];
	int64_t max = 0;
	for (size_t i = 0; i < VIEW_OVERVIEW_SPARK; i++)
		max = v->spark_nanos[i] > max ? v->spark_nanos[i] : max;
	snprintf(line, sizeof line, "%s/min (the last %d minutes)",
	         cell_usd(v->spend_per_min_nanos).s, VIEW_OVERVIEW_RECENT);
	fprintf(out, fmt, "spend now", line);
	sparkline(v->spark_nanos, VIEW_OVERVIEW_SPARK, spark, sizeof spark);
	snprintf(line, sizeof line, "%s  max %s/min", spark, cell_usd(max).s);
	fprintf(out, fmt, "last hour", line);
	fprintf(out, fmt, "today", cell_usd(v->today_nanos).s);
	fprintf(out, fmt, "month to date", cell_usd(v->month_nanos).s);
	if (v->has_budget) {
		const view_budget_row *r = &v->budget;
		const budget_spec *b = r->spec;
		char label[48];
		if (b->amount_nanos > 0)
			snprintf(line, sizeof line,
			         "%.60s (%s): %s of %s, forecast %s (%s of the amount), %s",
			         b->name, budget_period_name(b->period), cell_usd(r->spent_nanos).s,
			         cell_usd(b->amount_nanos).s, cell_usd(r->fc.point_nanos).s,
			         cell_real(forecast_pct(v), "%.1f%%").s,
			         view_budget_state_label(r, label, sizeof label));
		else
			snprintf(line, sizeof line, "%.60s (%s): %s spent, forecast %s, no amount",
			         b->name, budget_period_name(b->period), cell_usd(r->spent_nanos).s,
			         cell_usd(r->fc.point_nanos).s);
		fprintf(out, fmt, "budget", line);
	}
	snprintf(line, sizeof line, "%.1f req/s   %.0f tokens/s", v->requests_per_s,
	         v->tokens_per_s);
	fprintf(out, fmt, "traffic", line);
	if (v->newest_minute_ms < 0)
		snprintf(line, sizeof line, "the cache is empty");
	else
		snprintf(line, sizeof line, "newest minute %s (%" PRId64 " s old)",
		         cell_iso(v->newest_minute_ms).s, v->data_age_ms / 1000);
	fprintf(out, fmt, "data", line);
	if (!v->nsources)
		fprintf(out, fmt, "sources", "none: the report reads the cache");
	for (size_t i = 0; i < v->nsources; i++) {
		const view_overview_source *s = &v->sources[i];
		cell age = {"never"};
		if (s->age_s >= 0)
			snprintf(age.s, sizeof age.s, "%" PRId64 " s ago", s->age_s);
		snprintf(line, sizeof line, "%.60s %s%s, last data %s%s", s->name ? s->name : "?",
		         source_state_name(s->state), s->catching_up ? " catching up" : "", age.s,
		         s->production ? ", production" : "");
		fprintf(out, fmt, i ? "" : "sources", line);
	}
	snprintf(line, sizeof line, "Alerts: %zu page%s, %zu ticket%s, %zu anomal%s", v->npages,
	         v->npages == 1 ? "" : "s", v->ntickets, v->ntickets == 1 ? "" : "s", v->nanomalies,
	         v->nanomalies == 1 ? "y" : "ies");
	if (md)
		fprintf(out, "\n### %s\n\n", line);
	else
		fprintf(out, "\n%s\n", line);
	if (!v->nalerts) {
		fprintf(out, "%sno alerts\n", md ? "" : "  ");
		return ferror(out) ? -1 : 0;
	}
	static const char *const head[] = {"level", "alert", "scope", "detail"};
	table t;
	table_init(&t, 4, head, NULL);
	for (size_t i = 0; i < v->nalerts; i++) {
		char name[128], scope[256], detail[512];
		alert_cells(&v->alerts[i], name, sizeof name, scope, sizeof scope, detail,
		            sizeof detail);
		const char *cells[] = {view_overview_level_name(v->alerts[i].level), name, scope,
		                       detail};
		table_add(&t, cells);
	}
	table_print(&t, out, md ? TABLE_MD : TABLE_TEXT, md ? NULL : "  ");
	table_free(&t);
	return ferror(out) ? -1 : 0;
}
