/* Renders the Providers view: error classes, error rate, latency and TTFT, cost and state. */
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

/* The statuses shown as columns (ok is requests less these), with their headings. */
static const struct {
	tt_status status;
	const char *head;
} classes[] = {
    {TT_STATUS_TIMEOUT, "timeout"},     {TT_STATUS_RATE_LIMITED, "429"},
    {TT_STATUS_SERVER_ERROR, "5xx"},    {TT_STATUS_SAFETY_REFUSAL, "refusal"},
    {TT_STATUS_CLIENT_ERROR, "client"}, {TT_STATUS_KILLED, "killed"},
    {TT_STATUS_THROTTLED, "throttled"}, {TT_STATUS_OTHER, "other"},
};
#define NCLASSES (sizeof classes / sizeof *classes)

typedef cell cellbuf;

static cellbuf real(double v, const char *fmt)
{
	cellbuf b;
	if (isnan(v))
		b.s[0] = 0;
	else
		snprintf(b.s, sizeof b.s, fmt, v);
	return b;
}

static cellbuf rate(const view_provider_row *r)
{
	cellbuf b;
	if (!r->calls)
		snprintf(b.s, sizeof b.s, "-");
	else
		snprintf(b.s, sizeof b.s, "%.1f%%", 100.0 * r->error_rate);
	return b;
}

/* ---- JSON ---- */

static json_t *jms(double v)
{
	return isnan(v) ? json_null() : json_real(round(v * 10) / 10);
}

static json_t *jrow(const view_provider_row *r, bool model)
{
	json_t *o = json_object();
	json_object_set_new(o, "provider", json_string(r->provider));
	if (model)
		json_object_set_new(o, "model", json_string(r->model));
	json_object_set_new(o, "state", json_string(view_providers_state_name(r->state)));
	json_object_set_new(o, "requests", json_integer(r->requests));
	json_object_set_new(o, "calls", json_integer(r->calls));
	json_object_set_new(o, "errors", json_integer(r->errors));
	json_object_set_new(o, "error_rate", json_real(r->error_rate));
	json_t *st = json_object();
	for (int s = 0; s < TT_STATUS_COUNT; s++)
		json_object_set_new(st, event_status_name((tt_status)s),
		                    json_integer(r->by_status[s]));
	json_object_set_new(o, "by_status", st);
	json_object_set_new(o, "latency_ms",
	                    json_pack("{s:o, s:o, s:o}", "p50", jms(r->p50_ms), "p95",
	                              jms(r->p95_ms), "p99", jms(r->p99_ms)));
	json_object_set_new(
	    o, "ttft_ms",
	    json_pack("{s:o, s:o}", "p50", jms(r->ttft_p50_ms), "p95", jms(r->ttft_p95_ms)));
	json_object_set_new(o, "cost_micros", json_integer(money_micros_of(r->cost_nanos)));
	json_object_set_new(o, "cost_usd", json_string(cell_usd_exact(r->cost_nanos).s));
	return o;
}

static int providers_json(FILE *out, const view_providers *v)
{
	char a[32], b[32];
	time_format_iso(v->since_ms, a, sizeof a);
	time_format_iso(v->until_ms, b, sizeof b);
	json_t *o = json_object();
	json_object_set_new(o, "view", json_string("providers"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "range", json_pack("{s:s, s:s}", "since", a, "until", b));
	json_object_set_new(o, "thresholds",
	                    json_pack("{s:f, s:f}", "degraded_error_rate",
	                              VIEW_PROVIDERS_DEGRADED_PPM / 1e6, "failing_error_rate",
	                              VIEW_PROVIDERS_FAILING_PPM / 1e6));
	json_t *total = jrow(&v->total, false);
	json_object_del(total, "provider");
	json_object_set_new(o, "total", total);
	json_t *ps = json_array();
	for (size_t i = 0; i < v->nproviders; i++) {
		const view_provider_row *p = &v->providers[i];
		json_t *po = jrow(p, false), *ms_ = json_array();
		for (size_t k = p->first; k < p->first + p->n; k++)
			json_array_append_new(ms_, jrow(&v->models[k], true));
		json_object_set_new(po, "models", ms_);
		json_array_append_new(ps, po);
	}
	json_object_set_new(o, "providers", ps);
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(o);
	return rc;
}

/* ---- CSV: one row per provider and per model, every figure unformatted ---- */

/* level, provider, model, requests, calls, each status, errors, error rate, five latencies,
 * cost in nanos and dollars, state */
#define CSV_COLS (15 + TT_STATUS_COUNT)

static void csv_row(table *t, const char *level, const view_provider_row *r)
{
	cellbuf c[CSV_COLS];
	const char *cells[CSV_COLS] = {level, r->provider, r->model};
	int n = 3;
	c[n] = cell_int(r->requests), cells[n] = c[n].s, n++;
	c[n] = cell_int(r->calls), cells[n] = c[n].s, n++;
	for (int s = 0; s < TT_STATUS_COUNT; s++)
		c[n] = cell_int(r->by_status[s]), cells[n] = c[n].s, n++;
	c[n] = cell_int(r->errors), cells[n] = c[n].s, n++;
	c[n] = real(r->error_rate, "%.6f"), cells[n] = c[n].s, n++;
	const double q[] = {r->p50_ms, r->p95_ms, r->p99_ms, r->ttft_p50_ms, r->ttft_p95_ms};
	for (size_t i = 0; i < sizeof q / sizeof *q; i++)
		c[n] = real(q[i], "%.1f"), cells[n] = c[n].s, n++;
	c[n] = cell_micros(r->cost_nanos), cells[n] = c[n].s, n++;
	c[n] = cell_usd_exact(r->cost_nanos), cells[n] = c[n].s, n++;
	cells[n++] = view_providers_state_name(r->state);
	table_add(t, cells);
}

static int providers_csv(FILE *out, const view_providers *v)
{
	const char *head[CSV_COLS] = {"level", "provider", "model", "requests", "calls"};
	int n = 5;
	for (int s = 0; s < TT_STATUS_COUNT; s++)
		head[n++] = event_status_name((tt_status)s);
	const char *tail[] = {"errors",      "error_rate",  "p50_ms",      "p95_ms",   "p99_ms",
	                      "ttft_p50_ms", "ttft_p95_ms", "cost_micros", "cost_usd", "state"};
	for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
		head[n++] = tail[i];
	table t;
	table_init(&t, n, head, NULL);
	for (size_t i = 0; i < v->nproviders; i++) {
		const view_provider_row *p = &v->providers[i];
		csv_row(&t, "provider", p);
		for (size_t k = p->first; k < p->first + p->n; k++)
			csv_row(&t, "model", &v->models[k]);
	}
	table_print(&t, out, TABLE_CSV, NULL);
	table_free(&t);
	return ferror(out) ? -1 : 0;
}

/* ---- text and Markdown: providers, each followed by its models ---- */

#define NTEXT (2 + 2 + NCLASSES + 8)

static void text_row(table *t, const view_provider_row *r, const char *provider, const char *model)
{
	cellbuf c[NTEXT];
	const char *cells[NTEXT] = {provider, model};
	int n = 2;
	c[n] = cell_grouped(r->requests), cells[n] = c[n].s, n++;
	c[n] = cell_grouped(r->calls), cells[n] = c[n].s, n++;
	for (size_t i = 0; i < NCLASSES; i++)
		c[n] = cell_grouped(r->by_status[classes[i].status]), cells[n] = c[n].s, n++;
	c[n] = rate(r), cells[n] = c[n].s, n++;
	const double q[] = {r->p50_ms, r->p95_ms, r->p99_ms, r->ttft_p50_ms, r->ttft_p95_ms};
	for (size_t i = 0; i < sizeof q / sizeof *q; i++)
		c[n] = cell_ms(q[i]), cells[n] = c[n].s, n++;
	c[n] = cell_usd(r->cost_nanos), cells[n] = c[n].s, n++;
	cells[n++] = view_providers_state_name(r->state);
	table_add(t, cells);
}

int report_providers(FILE *out, const view_providers *v, report_format f)
{
	if (f == REPORT_JSON)
		return providers_json(out, v);
	if (f == REPORT_CSV)
		return providers_csv(out, v);
	char a[32], b[32];
	time_format_iso(v->since_ms, a, sizeof a);
	time_format_iso(v->until_ms, b, sizeof b);
	if (f == REPORT_MD)
		fprintf(out, "## Providers, %s to %s\n\n", a, b);
	else
		fprintf(out, "tokentop providers  %s .. %s\n\n", a, b);
	const char *head[NTEXT] = {"provider", "model", "requests", "calls"};
	bool right[NTEXT] = {false, false, true, true};
	int n = 4;
	for (size_t i = 0; i < NCLASSES; i++)
		right[n] = true, head[n++] = classes[i].head;
	const char *tail[] = {"err rate", "p50", "p95", "p99", "ttft p50", "ttft p95", "cost"};
	for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
		right[n] = true, head[n++] = tail[i];
	head[n++] = "state";
	table t;
	table_init(&t, n, head, right);
	for (size_t i = 0; i < v->nproviders; i++) {
		const view_provider_row *p = &v->providers[i];
		text_row(&t, p, p->provider, "all");
		for (size_t k = p->first; k < p->first + p->n; k++)
			text_row(&t, &v->models[k], "", v->models[k].model);
	}
	if (v->nproviders)
		text_row(&t, &v->total, "total", "");
	table_print(&t, out, f == REPORT_MD ? TABLE_MD : TABLE_TEXT,
	            f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	fprintf(out,
	        "%sState from errors (timeout, 429, 5xx) per call: degraded at %.0f%%, failing at "
	        "%.0f%%. Calls leave out killed, throttled and cache hits.\n",
	        f == REPORT_MD ? "\n" : "\n  ", VIEW_PROVIDERS_DEGRADED_PPM / 1e4,
	        VIEW_PROVIDERS_FAILING_PPM / 1e4);
	return ferror(out) ? -1 : 0;
}
