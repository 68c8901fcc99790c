/* Renders the inference view: per self-hosted server, load, KV cache and time to first token. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "table.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void cell(char *buf, size_t cap, const char *fmt, double v)
{
	if (isnan(v))
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, fmt, v);
}

int report_inference(FILE *out, const view_inference *v, report_format f)
{
	if (f == REPORT_JSON) {
		json_t *o = json_object(), *a = json_array();
		json_object_set_new(o, "view", json_string("inference"));
		json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
		for (size_t i = 0; i < v->n; i++) {
			const view_server *s = &v->servers[i];
			char ts[32];
			time_format_iso(s->last_scrape_ms, ts, sizeof ts);
			json_t *e = json_object();
			json_object_set_new(e, "source", json_string(s->source));
			json_object_set_new(e, "model_name", json_string(s->model_name));
			json_object_set_new(e, "requests_running", num(s->requests_running));
			json_object_set_new(e, "requests_waiting", num(s->requests_waiting));
			json_object_set_new(e, "kv_cache_usage", num(s->kv_cache_usage));
			json_object_set_new(e, "prompt_tokens_total", num(s->prompt_tokens_total));
			json_object_set_new(e, "generation_tokens_total",
			                    num(s->generation_tokens_total));
			json_object_set_new(e, "ttft_p50_s", num(s->ttft_p50_s));
			json_object_set_new(e, "ttft_p95_s", num(s->ttft_p95_s));
			json_object_set_new(e, "last_scrape", json_string(ts));
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "servers", a);
		int rc = json_dumpf(o, out,
		                    JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', out);
		json_decref(o);
		return rc;
	}
	const char *head[] = {"source",        "model",     "running",  "waiting",  "kv cache",
	                      "prompt tokens", "generated", "ttft p50", "ttft p95", "last scrape"};
	const bool right[] = {false, false, true, true, true, true, true, true, true, false};
	table t;
	table_init(&t, 10, head, right);
	for (size_t i = 0; i < v->n; i++) {
		const view_server *s = &v->servers[i];
		char a[32], b[32], c[32], d[32], e[32], g[32], h[32], ts[32];
		cell(a, sizeof a, "%.0f", s->requests_running);
		cell(b, sizeof b, "%.0f", s->requests_waiting);
		cell(c, sizeof c, "%.1f%%", s->kv_cache_usage * 100);
		cell(d, sizeof d, "%.0f", s->prompt_tokens_total);
		cell(e, sizeof e, "%.0f", s->generation_tokens_total);
		cell(g, sizeof g, "%.3f s", s->ttft_p50_s);
		cell(h, sizeof h, "%.3f s", s->ttft_p95_s);
		time_format_iso(s->last_scrape_ms, ts, sizeof ts);
		const char *cells[] = {s->source, s->model_name, a, b, c, d, e, g, h, ts};
		table_add(&t, cells);
	}
	if (f == REPORT_TEXT)
		fprintf(out, "tokentop inference servers\n\n");
	else if (f == REPORT_MD)
		fprintf(out, "## Inference servers\n\n");
	table_print(&t, out,
	            f == REPORT_MD    ? TABLE_MD
	            : f == REPORT_CSV ? TABLE_CSV
	                              : TABLE_TEXT,
	            f == REPORT_TEXT ? "  " : NULL);
	table_free(&t);
	return ferror(out) ? -1 : 0;
}
