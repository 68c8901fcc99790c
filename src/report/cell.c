/* The cells and JSON fields every report renderer formats alike. */
#include "cell.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "tokentop/money.h"
#include "tokentop/timeutil.h"

cell cell_int(int64_t v)
{
	cell b;
	snprintf(b.s, sizeof b.s, "%" PRId64, v);
	return b;
}

cell cell_grouped(int64_t v)
{
	cell b;
	char raw[32];
	snprintf(raw, sizeof raw, "%" PRIu64, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	size_t n = strlen(raw), o = 0;
	if (v < 0)
		b.s[o++] = '-';
	for (size_t i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			b.s[o++] = ',';
		b.s[o++] = raw[i];
	}
	b.s[o] = 0;
	return b;
}

cell cell_usd(int64_t nanos)
{
	cell b;
	money_format_human(nanos, b.s, sizeof b.s);
	return b;
}

cell cell_usd_exact(int64_t nanos)
{
	cell b;
	money_format(nanos, b.s, sizeof b.s);
	return b;
}

cell cell_micros(int64_t nanos)
{
	return cell_int(money_micros_of(nanos));
}

cell cell_iso(int64_t ms)
{
	cell b;
	time_format_iso(ms, b.s, sizeof b.s);
	return b;
}

cell cell_real(double v, const char *fmt)
{
	cell b;
	if (!isfinite(v))
		snprintf(b.s, sizeof b.s, "-");
	else
		snprintf(b.s, sizeof b.s, fmt, v);
	return b;
}

cell cell_ms(double v)
{
	cell b;
	if (isnan(v))
		snprintf(b.s, sizeof b.s, "-");
	else if (v >= 1000)
		snprintf(b.s, sizeof b.s, "%.2f s", v / 1000);
	else
		snprintf(b.s, sizeof b.s, "%.0f ms", v);
	return b;
}

cell cell_duration(int64_t ms)
{
	cell b;
	int64_t s = ms / 1000;
	if (ms < 0)
		snprintf(b.s, sizeof b.s, "-");
	else if (s >= 86400)
		snprintf(b.s, sizeof b.s, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(b.s, sizeof b.s, "%" PRId64 "h %02" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(b.s, sizeof b.s, "%" PRId64 "m", s / 60);
	else
		snprintf(b.s, sizeof b.s, "%" PRId64 "s", s);
	return b;
}

cell cell_alert_value(anomaly_kind k, double v)
{
	cell b;
	view_alert_value(k, v, b.s, sizeof b.s);
	return b;
}

table_style cell_style(report_format f)
{
	return f == REPORT_MD ? TABLE_MD : f == REPORT_CSV ? TABLE_CSV : TABLE_TEXT;
}

void cell_heading(FILE *out, report_format f, const char *title)
{
	if (f == REPORT_MD)
		fprintf(out, "\n### %s\n\n", title);
	else
		fprintf(out, "\n%s\n", title);
}

void cell_jmoney(json_t *o, const char *prefix, int64_t nanos)
{
	char key[96];
	snprintf(key, sizeof key, "%s_micros", prefix);
	json_object_set_new(o, key, json_integer(money_micros_of(nanos)));
	snprintf(key, sizeof key, "%s_usd", prefix);
	json_object_set_new(o, key, json_string(cell_usd_exact(nanos).s));
}

void cell_jmoney_null(json_t *o, const char *prefix)
{
	char key[96];
	snprintf(key, sizeof key, "%s_micros", prefix);
	json_object_set_new(o, key, json_null());
	snprintf(key, sizeof key, "%s_usd", prefix);
	json_object_set_new(o, key, json_null());
}

int cell_jdump(FILE *out, json_t *doc)
{
	int rc =
	    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(doc);
	return rc;
}
