/* The cells and JSON fields every report renderer formats alike. */
#ifndef TOKENTOP_REPORT_CELL_H
#define TOKENTOP_REPORT_CELL_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "table.h"
#include "tokentop/anomaly.h"
#include "tokentop/report.h"

/* A formatted value, returned by value so that calls nest in one printf. */
typedef struct cell {
	char s[64];
} cell;

cell cell_int(int64_t v);
cell cell_grouped(int64_t v);                    /* 1,234,567 */
cell cell_usd(int64_t nanos);                    /* for people: $1.23, $0.0123 */
cell cell_usd_exact(int64_t nanos);              /* exact: 0.00098, 12.00 */
cell cell_micros(int64_t nanos);                 /* rounded to micro-dollars, as an integer */
cell cell_iso(int64_t ms);                       /* 2026-11-29T16:02:06.198Z */
cell cell_real(double v, const char *fmt);       /* "-" when not finite */
cell cell_ms(double v);                          /* "850 ms", "1.25 s"; "-" when NAN */
cell cell_duration(int64_t ms);                  /* "2h 05m", "3d 4h", "45m", "12s"; "-" when < 0 */
cell cell_alert_value(anomaly_kind k, double v); /* in the kind's unit (docs/report-json.md) */

table_style cell_style(report_format f);
void cell_heading(FILE *out, report_format f, const char *title);

/* "PREFIX_micros" (an integer, rounded to the micro-dollar, for existing readers) and
 * "PREFIX_usd" (the exact amount as decimal text) in o; _null sets both to null. */
void cell_jmoney(json_t *o, const char *prefix, int64_t nanos);
void cell_jmoney_null(json_t *o, const char *prefix);
/* Writes doc, indented, with a newline, and frees it. */
int cell_jdump(FILE *out, json_t *doc);

#endif
