/* Headless rendering of the views as text, Markdown, JSON (docs/report-json.md) or CSV. */
#ifndef TOKENTOP_REPORT_H
#define TOKENTOP_REPORT_H

#include <stdio.h>

#include "tokentop/inference.h"
#include "tokentop/providers.h"
#include "tokentop/view.h"

typedef enum { REPORT_TEXT, REPORT_MD, REPORT_JSON, REPORT_CSV, REPORT_FORMAT_COUNT } report_format;

/* "text", "md", "json", "csv"; 0 or -1. */
int report_format_parse(const char *name, report_format *out);

/* Version of the JSON documents; bumped only on incompatible change. */
#define REPORT_JSON_SCHEMA 1

int report_summary(FILE *out, const view_summary *v, report_format f);
int report_prompts(FILE *out, const view_prompts *v, report_format f);
int report_routing(FILE *out, const view_routing *v, report_format f);
int report_providers(FILE *out, const view_providers *v, report_format f);
int report_inference(FILE *out, const view_inference *v, report_format f);
int report_slo(FILE *out, const view_slo *v, report_format f);
int report_budgets(FILE *out, const view_budgets *v, report_format f);
int report_alerts(FILE *out, const view_alerts *v, report_format f);

#endif
