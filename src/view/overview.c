/* The Overview view: spend now and over the last hour, totals, rates, alerts, source health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "tokentop/overview.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL

static const char *const level_names[VIEW_OVERVIEW_LEVEL_COUNT] = {"page", "ticket", "anomaly"};

const char *view_overview_level_name(view_overview_level l)
{
	return l < VIEW_OVERVIEW_LEVEL_COUNT ? level_names[l] : "?";
}

view_sources_level view_sources_summary(const view_source_health *src, size_t n, char *buf,
                                        size_t cap)
{
	if (!n) {
		snprintf(buf, cap, "cache only");
		return VIEW_SOURCES_CACHE_ONLY;
	}
	size_t up = 0, starting = 0, behind = 0, first = 0;
	for (size_t i = 0; i < n; i++) {
		up += src[i].state == SRC_OK;
		starting += src[i].state == SRC_STARTING;
		if (src[i].catching_up && !behind++)
			first = i;
	}
	if (!up && !starting) {
		snprintf(buf, cap, "ALL SOURCES DOWN: showing the cache");
		return VIEW_SOURCES_ALL_DOWN;
	}
	if (up + starting < n) {
		snprintf(buf, cap, "some sources down");
		return VIEW_SOURCES_SOME_DOWN;
	}
	if (starting) {
		snprintf(buf, cap, "starting");
		return VIEW_SOURCES_STARTING;
	}
	if (behind == 1)
		snprintf(buf, cap, "catching up: %.40s", src[first].name ? src[first].name : "?");
	else if (behind)
		snprintf(buf, cap, "catching up: %zu of %zu sources", behind, n);
	else
		snprintf(buf, cap, "live");
	return behind ? VIEW_SOURCES_CATCHING_UP : VIEW_SOURCES_LIVE;
}

static int64_t floor_to(int64_t t, int64_t step)
{
	return t - ((t % step) + step) % step;
}

/* Per-minute totals of a run of minutes from t0. */
typedef struct minutes {
	int64_t t0;
	size_t n;
	int64_t (*m)[TT_M_COUNT];
} minutes;

static int add_minute(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	minutes *s = ctx;
	int64_t i = (row->bucket * 1000 - s->t0) / MIN_MS;
	if (i < 0 || (size_t)i >= s->n)
		return 0;
	for (int k = 0; k < TT_M_COUNT; k++)
		s->m[i][k] += row->m[k];
	return 0;
}

static int add_cost(void *ctx, int64_t bucket, int64_t dims_id, int64_t cost_nanos)
{
	(void)bucket;
	(void)dims_id;
	*(int64_t *)ctx += cost_nanos;
	return 0;
}

static int add_row_cost(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	*(int64_t *)ctx += row->m[TT_M_COST_NANOS];
	return 0;
}

static int scan_minutes(store *st, minutes *s)
{
	return vscan_steps(st, s->t0, s->t0 + (int64_t)s->n * MIN_MS, MIN_MS, false, add_minute, s);
}

static int spend_figures(store *st, view_overview *v)
{
	int64_t m[VIEW_OVERVIEW_SPARK][TT_M_COUNT];
	memset(m, 0, sizeof m);
	minutes s = {v->spark_start_ms, VIEW_OVERVIEW_SPARK, m};
	if (scan_minutes(st, &s))
		return -1;
	int64_t recent[TT_M_COUNT] = {0};
	for (size_t i = 0; i < VIEW_OVERVIEW_SPARK; i++) {
		v->spark_nanos[i] = m[i][TT_M_COST_NANOS];
		if (i >= VIEW_OVERVIEW_SPARK - VIEW_OVERVIEW_RECENT)
			for (int k = 0; k < TT_M_COUNT; k++)
				recent[k] += m[i][k];
	}
	v->spend_per_min_nanos = view_ratio_round(recent[TT_M_COST_NANOS], VIEW_OVERVIEW_RECENT);
	v->last_minute_nanos = v->spark_nanos[VIEW_OVERVIEW_SPARK - 1];
	int64_t before = 0;
	for (size_t i = 0; i < VIEW_OVERVIEW_SPARK - VIEW_OVERVIEW_RECENT; i++)
		if (__builtin_add_overflow(before, v->spark_nanos[i], &before))
			return -1;
	v->before_per_min_nanos =
	    view_ratio_round(before, VIEW_OVERVIEW_SPARK - VIEW_OVERVIEW_RECENT);
	double secs = VIEW_OVERVIEW_RECENT * 60.0;
	v->requests_per_s = (double)recent[TT_M_REQUESTS] / secs;
	v->tokens_per_s = (double)(recent[TT_M_INPUT_TOKENS] + recent[TT_M_OUTPUT_TOKENS]) / secs;

	/* only spend: whole days and hours from their cost columns (hours from a narrow index),
	 * the hour holding now from its minutes; the month is its whole days and today */
	int64_t day0, month0, end, hour0 = floor_to(v->now_ms, HOUR_MS);
	budget_period_bounds(BUDGET_DAY, v->now_ms, &day0, &end);
	budget_period_bounds(BUDGET_MONTH, v->now_ms, &month0, &end);
	if (store_rollup_costs(st, TT_RES_HOUR, day0, hour0, add_cost, &v->today_nanos) ||
	    store_rollup_scan(st, hour0, v->now_ms, false, add_row_cost, &v->today_nanos) ||
	    store_rollup_costs(st, TT_RES_DAY, month0, day0, add_cost, &v->month_nanos))
		return -1;
	v->month_nanos += v->today_nanos;
	return 0;
}

/* The newest minute with data: the store knows the newest hour; its minutes tell the rest. */
static int newest_minute(store *st, view_overview *v)
{
	int64_t first, last;
	v->newest_minute_ms = -1;
	v->data_age_ms = -1;
	if (store_time_bounds(st, &first, &last))
		return -1;
	if (!first && !last)
		return 0;
	int64_t m[60][TT_M_COUNT];
	memset(m, 0, sizeof m);
	minutes s = {last - HOUR_MS, 60, m};
	if (scan_minutes(st, &s))
		return -1;
	for (size_t i = 60; i-- > 0;)
		if (m[i][TT_M_REQUESTS] > 0) {
			v->newest_minute_ms = s.t0 + (int64_t)i * MIN_MS;
			break;
		}
	if (v->newest_minute_ms < 0)
		return 0;
	int64_t age = v->now_ms - (v->newest_minute_ms + MIN_MS);
	v->data_age_ms = age > 0 ? age : 0;
	return 0;
}

/* The first budget over everything ("*"), as the budgets view has it. */
static void org_budget(const view_budgets *vb, view_overview *v)
{
	for (size_t i = 0; i < vb->n; i++)
		if (vb->rows[i].spec->scope.all) {
			v->budget = vb->rows[i];
			v->has_budget = true;
			return;
		}
}

static int collect_alerts(const view_slo *vs, const view_alerts *va, view_overview *v, char *err,
                          size_t errlen)
{
	size_t cap = vs->n + va->nfiring;
	v->alerts = calloc(cap ? cap : 1, sizeof *v->alerts);
	if (!v->alerts) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* most urgent first: SLO pages, critical detectors (a budget burning fast among them),
	 * SLO tickets, warnings; view_alerts_build puts firing alerts first, most severe then
	 * newest */
	for (int rank = 0; rank < 4; rank++) {
		if (rank == 0 || rank == 2)
			for (size_t i = 0; i < vs->n; i++) {
				if (vs->rows[i].status.alert !=
				    (rank == 0 ? SLO_ALERT_PAGE : SLO_ALERT_TICKET))
					continue;
				view_overview_alert *a = &v->alerts[v->nalerts++];
				a->level = rank == 0 ? VIEW_OVERVIEW_PAGE : VIEW_OVERVIEW_TICKET;
				a->slo = vs->rows[i].spec;
				a->status = vs->rows[i].status;
				if (rank == 0)
					v->npages++;
				else
					v->ntickets++;
			}
		else
			for (size_t i = 0; i < va->nfiring; i++) {
				if ((va->alerts[i].severity == ANOM_CRITICAL) != (rank == 1))
					continue;
				view_overview_alert *a = &v->alerts[v->nalerts++];
				a->level = VIEW_OVERVIEW_ANOMALY;
				a->anomaly = va->alerts[i];
				v->nanomalies++;
			}
	}
	return 0;
}

static int copy_sources(const view_source_health *src, size_t n, view_overview *v)
{
	if (!n)
		return 0;
	v->sources = calloc(n, sizeof *v->sources);
	if (!v->sources)
		return -1;
	for (size_t i = 0; i < n; i++) {
		view_overview_source *o = &v->sources[i];
		o->name = src[i].name;
		o->state = src[i].state;
		o->production = src[i].production;
		o->catching_up = src[i].catching_up;
		o->rejected = src[i].rejected;
		o->odd = src[i].odd;
		if (src[i].last_ok_ms <= 0)
			o->age_s = -1;
		else
			o->age_s = v->now_ms > src[i].last_ok_ms
			               ? (v->now_ms - src[i].last_ok_ms) / 1000
			               : 0;
		v->production |= o->production;
	}
	v->nsources = n;
	return 0;
}

int view_overview_assemble(store *st, const view_slo *slo, const view_budgets *budgets,
                           const view_alerts *alerts, const view_source_health *sources,
                           size_t nsources, int64_t now_ms, view_overview *out, char *err,
                           size_t errlen)
{
	view_overview *v = out;
	memset(v, 0, sizeof *v);
	/* earlier views are allowed: a console reads the slow ones less often than the rest */
	if (slo->now_ms > now_ms || budgets->now_ms > now_ms || alerts->now_ms > now_ms) {
		snprintf(err, errlen, "the views were built later than now");
		return -1;
	}
	v->now_ms = now_ms;
	v->minute_ms = floor_to(now_ms, MIN_MS);
	v->spark_start_ms = v->minute_ms - VIEW_OVERVIEW_SPARK * MIN_MS;
	if (spend_figures(st, v) || newest_minute(st, v)) {
		snprintf(err, errlen, "reading rollups: %s", store_errmsg(st));
		goto fail;
	}
	org_budget(budgets, v);
	if (collect_alerts(slo, alerts, v, err, errlen))
		goto fail;
	if (copy_sources(sources, nsources, v)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	view_overview_free(v);
	return -1;
}

int view_overview_build(store *st, const slo_spec *slos, size_t nslos, const budget_spec *budgets,
                        size_t nbudgets, const view_source_health *sources, size_t nsources,
                        int64_t now_ms, view_overview *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	/* of the budgets, only the one the overview shows */
	size_t org = 0;
	while (org < nbudgets && !budgets[org].scope.all)
		org++;
	view_slo vs;
	view_budgets vb;
	view_alerts va;
	if (view_slo_build(st, slos, nslos, now_ms, &vs, err, errlen))
		return -1;
	int rc = -1;
	if (view_budgets_build(st, budgets + org, org < nbudgets, now_ms, NULL, 0, NULL, &vb, err,
	                       errlen))
		goto slo;
	if (view_alerts_build(st, budgets, nbudgets, now_ms, &va, err, errlen))
		goto budgets;
	rc = view_overview_assemble(st, &vs, &vb, &va, sources, nsources, now_ms, out, err, errlen);
	view_alerts_free(&va);
budgets:
	view_budgets_free(&vb);
slo:
	view_slo_free(&vs);
	return rc;
}

void view_overview_free(view_overview *v)
{
	free(v->alerts);
	free(v->sources);
	memset(v, 0, sizeof *v);
}
