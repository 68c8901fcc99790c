/* Formatting shared by the weekly review's renderers (text, Markdown, JSON and HTML). */
#ifndef TOKENTOP_REPORT_WEEKLY_FMT_H
#define TOKENTOP_REPORT_WEEKLY_FMT_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cell.h"
#include "tokentop/money.h"
#include "tokentop/present.h"
#include "tokentop/timeutil.h"
#include "tokentop/weekly.h"

typedef struct wbuf {
	char s[96];
} wbuf;

static inline wbuf wk_of(cell c)
{
	wbuf b;
	snprintf(b.s, sizeof b.s, "%s", c.s);
	return b;
}

static inline wbuf wk_usd(int64_t nanos)
{
	return wk_of(cell_usd(nanos));
}

static inline wbuf wk_usd_exact(int64_t nanos)
{
	return wk_of(cell_usd_exact(nanos));
}

/* "+$1.20", "-$0.40", "$0". */
static inline wbuf wk_delta(int64_t cur, int64_t prev)
{
	wbuf b;
	int64_t d = cur - prev;
	char m[64];
	money_format_human(d < 0 ? -d : d, m, sizeof m);
	snprintf(b.s, sizeof b.s, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", m);
	return b;
}

/* The change in percent of prev; NAN when there was nothing to compare with. */
static inline double wk_change_pct(int64_t cur, int64_t prev)
{
	return prev ? 100.0 * (double)(cur - prev) / (double)(prev < 0 ? -prev : prev) : NAN;
}

/* "+12.2%", "-100.0%", "new" (nothing the week before), "-" (nothing either week). */
static inline wbuf wk_change(int64_t cur, int64_t prev)
{
	wbuf b;
	double p = wk_change_pct(cur, prev);
	if (isnan(p))
		snprintf(b.s, sizeof b.s, "%s", cur ? "new" : "-");
	else
		snprintf(b.s, sizeof b.s, "%+.1f%%", p);
	return b;
}

static inline wbuf wk_share(int64_t part, int64_t whole)
{
	wbuf b;
	if (whole)
		snprintf(b.s, sizeof b.s, "%.1f%%", 100.0 * (double)part / (double)whole);
	else
		snprintf(b.s, sizeof b.s, "-");
	return b;
}

static inline wbuf wk_count(int64_t v)
{
	return wk_of(cell_grouped(v));
}

static inline wbuf wk_date(int64_t day)
{
	wbuf b;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(day, &y, &m, &d);
	snprintf(b.s, sizeof b.s, "%04" PRId64 "-%02u-%02u", y, m, d);
	return b;
}

/* "Mon 23 Nov". */
static inline wbuf wk_day_label(int64_t day)
{
	static const char *const wd[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char *const mo[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	wbuf b;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(day, &y, &m, &d);
	snprintf(b.s, sizeof b.s, "%s %u %s", wd[((day + 3) % 7 + 7) % 7], d, mo[m - 1]);
	return b;
}

static inline wbuf wk_iso(int64_t ms)
{
	wbuf b;
	time_format_iso(ms, b.s, sizeof b.s);
	return b;
}

/* A name as shown: tenants aliased in presentation mode, "(none)" for what events lacked. */
static inline wbuf wk_name(const view_weekly *v, tt_dim dim, const char *name)
{
	wbuf b;
	if (!name || !*name)
		snprintf(b.s, sizeof b.s, "(none)");
	else if (v->present && dim == TT_D_TENANT)
		present_alias("tenant", name, b.s, sizeof b.s);
	else
		snprintf(b.s, sizeof b.s, "%s", name);
	return b;
}

/* Free text from the audit log as shown: control characters (which a terminal would take as
 * escape sequences) become '?'; cut at the buffer's size. */
typedef struct wtext {
	char s[512];
} wtext;

static inline wtext wk_text(const char *s)
{
	wtext b;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n + 1 < sizeof b.s;
	     p++)
		b.s[n++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
	b.s[n] = 0;
	return b;
}

/* An action's scope ("use_case=x,tenant=y") as shown: tenants aliased in presentation mode. */
static inline wtext wk_scope(const view_weekly *v, const char *scope)
{
	if (!v->present || !strstr(scope, "tenant="))
		return wk_text(scope);
	char out[512] = "";
	size_t n = 0;
	const char *p = scope;
	while (*p && n + 1 < sizeof out) {
		size_t len = strcspn(p, ",");
		char part[256];
		snprintf(part, sizeof part, "%.*s", (int)len, p);
		if (!strncmp(part, "tenant=", 7)) {
			char alias[96];
			present_alias("tenant", part + 7, alias, sizeof alias);
			snprintf(part, sizeof part, "tenant=%s", alias);
		}
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? "," : "", part);
		if (n >= sizeof out)
			break;
		p += len;
		if (*p == ',')
			p++;
	}
	return wk_text(out);
}

/* "2026-11-25 10:04" (UTC, to the minute). */
static inline wbuf wk_minute(int64_t ms)
{
	wbuf b = wk_iso(ms);
	if (strlen(b.s) >= 16) {
		b.s[10] = ' ';
		b.s[16] = 0;
	}
	return b;
}

/* The cells of one row of the week's budgets, anomalies or actions: the text and HTML
 * renderers show the same, each in its own markup. */
typedef struct wk_row {
	const char *cells[8];
	char s[3][256];
	wbuf w[3];
	char state[48];
	wtext t[4];
} wk_row;

static inline void wk_budget_row(const view_budget_row *r, wk_row *o)
{
	const budget_spec *b = r->spec;
	budget_scope_format(&b->scope, o->s[0], sizeof o->s[0]);
	if (isnan(r->used_pct))
		snprintf(o->s[1], sizeof o->s[1], "-");
	else
		snprintf(o->s[1], sizeof o->s[1], "%.1f%%", r->used_pct);
	o->w[0] = b->amount_nanos > 0 ? wk_usd(b->amount_nanos) : (wbuf){"-"};
	o->w[1] = wk_usd(r->spent_nanos);
	o->w[2] = wk_usd(r->fc.point_nanos);
	const char *cells[] = {
	    b->name,
	    o->s[0],
	    budget_period_name(b->period),
	    o->w[0].s,
	    o->w[1].s,
	    o->s[1],
	    o->w[2].s,
	    b->amount_nanos > 0 ? view_budget_state_label(r, o->state, sizeof o->state) : "-"};
	memcpy(o->cells, cells, sizeof cells);
}

static inline void wk_anomaly_row(const anomaly_alert *a, wk_row *o)
{
	/* in the kind's unit ($/min, %, ms), as the alerts report has them */
	view_alert_value(a->kind, a->value, o->s[0], sizeof o->s[0]);
	view_alert_value(a->kind, a->baseline, o->s[1], sizeof o->s[1]);
	view_alert_reason(a, o->t[0].s, sizeof o->t[0].s);
	o->w[0] = wk_iso(a->since_ms);
	o->w[1] = a->resolved_ms >= 0 ? wk_iso(a->resolved_ms) : (wbuf){"still firing"};
	const char *cells[] = {o->w[0].s, anomaly_kind_name(a->kind),
	                       a->scope,  anomaly_severity_name(a->peak),
	                       o->s[0],   o->s[1],
	                       o->w[1].s, o->t[0].s};
	memcpy(o->cells, cells, sizeof cells);
}

static inline void wk_action_row(const view_weekly *v, const view_week_action *a, wk_row *o)
{
	o->w[0] = wk_minute(a->ts_ms);
	o->t[0] = wk_scope(v, *a->scope ? a->scope : a->control_id);
	o->t[1] = wk_text(a->actor);
	o->t[2] = wk_text(a->reason);
	o->t[3] = wk_text(a->action);
	snprintf(o->s[0], sizeof o->s[0], "%s%s", a->status, a->reconciled ? " (reconciled)" : "");
	const char *cells[] = {o->w[0].s, o->t[3].s, o->t[0].s,
	                       o->t[1].s, o->s[0],   *o->t[2].s ? o->t[2].s : "-"};
	memcpy(o->cells, cells, sizeof cells);
}

#endif
