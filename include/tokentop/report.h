/* Headless rendering of the views as text, Markdown, JSON (docs/report-json.md) or CSV. */
#ifndef TOKENTOP_REPORT_H
#define TOKENTOP_REPORT_H

#include <stdio.h>

#include "tokentop/chargeback.h"
#include "tokentop/focus.h"
#include "tokentop/gwstate.h"
#include "tokentop/inference.h"
#include "tokentop/metrics.h"
#include "tokentop/overview.h"
#include "tokentop/providers.h"
#include "tokentop/view.h"
#include "tokentop/weekly.h"

typedef enum { REPORT_TEXT, REPORT_MD, REPORT_JSON, REPORT_CSV, REPORT_FORMAT_COUNT } report_format;

/* "text", "md", "json", "csv"; 0 or -1. */
int report_format_parse(const char *name, report_format *out);

/* Version of the JSON documents; bumped only on incompatible change. */
#define REPORT_JSON_SCHEMA 1

int report_summary(FILE *out, const view_summary *v, report_format f);
int report_prompts(FILE *out, const view_prompts *v, report_format f);
int report_routing(FILE *out, const view_routing *v, report_format f);
/* The same with the gateways' configured weights beside the observed shares (cfg built from
 * v by view_routes_build; NULL: as report_routing). */
int report_routing_config(FILE *out, const view_routing *v, const view_routes *cfg,
                          report_format f);
int report_providers(FILE *out, const view_providers *v, report_format f);
int report_inference(FILE *out, const view_inference *v, report_format f);
int report_slo(FILE *out, const view_slo *v, report_format f);
int report_budgets(FILE *out, const view_budgets *v, report_format f);
int report_alerts(FILE *out, const view_alerts *v, report_format f);
/* One alert as docs/report-json.md's alerts have it (a jansson object, the caller's). */
struct json_t *report_alert_json(const anomaly_alert *a);
/* The Overview screen's figures, alerts and sources (report_overview.c). */
int report_overview(FILE *out, const view_overview *v, report_format f);
int report_gateways(FILE *out, const view_gwstate *v, report_format f);
int report_metrics(FILE *out, const view_metrics *v, report_format f);
int report_focus(FILE *out, const view_focus *v); /* FOCUS 1.2 CSV (docs/focus.md) */
int report_chargeback(FILE *out, const view_chargeback *v, report_format f);
int report_weekly(FILE *out, const view_weekly *v, report_format f); /* text, md, json */
int report_weekly_html(FILE *out, const view_weekly *v);             /* one self-contained page */

#endif
