/* The console's data: every screen's view model read in one go, on a worker thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/audit.h"
#include "ui_internal.h"

const int64_t ui_ranges_ms[UI_NRANGES] = {15 * 60000LL, 3600000LL,      6 * 3600000LL,
                                          86400000LL,   7 * 86400000LL, 30 * 86400000LL};
const char *const ui_range_names[UI_NRANGES] = {"15m", "1h", "6h", "24h", "7d", "30d"};

void snapshot_free(snapshot *s)
{
	if (s->have_ov)
		view_overview_free(&s->ov);
	if (s->have_cube)
		view_cube_free(&s->cube);
	if (s->have_prompts)
		view_prompts_free(&s->prompts);
	if (s->have_routes)
		view_routes_free(&s->routes);
	s->have_routes = false;
	if (s->have_routing)
		view_routing_free(&s->routing);
	if (s->have_slo)
		view_slo_free(&s->slo);
	if (s->have_budgets)
		view_budgets_free(&s->budgets);
	if (s->have_alerts)
		view_alerts_free(&s->alerts);
	if (s->have_inference)
		view_inference_free(&s->inference);
	if (s->have_providers)
		view_providers_free(&s->providers);
	s->have_ov = s->have_cube = s->have_prompts = s->have_routing = false;
	s->have_slo = s->have_budgets = s->have_alerts = s->have_inference = false;
	s->have_providers = false;
	if (s->have_gw)
		view_gwstate_free(&s->gw);
	s->have_gw = false;
	if (s->weekly) {
		view_weekly_free(s->weekly);
		free(s->weekly);
		s->weekly = NULL;
	}
	free(s->audit);
	s->audit = NULL;
	s->naudit = 0;
	s->have_audit = false;
}

typedef struct audit_ctx {
	ui_audit_row *rows; /* a ring of UI_AUDIT_MAX */
	size_t n;           /* records seen */
} audit_ctx;

static int keep_record(void *ctx, const audit_record *r)
{
	audit_ctx *a = ctx;
	ui_audit_row *o = &a->rows[a->n++ % UI_AUDIT_MAX];
	o->seq = r->seq;
	o->ts_ms = r->ts_ms;
	o->ref_seq = r->ref_seq;
	snprintf(o->actor, sizeof o->actor, "%s%s%s", r->actor, *r->as_name ? " as " : "",
	         r->as_name);
	snprintf(o->role, sizeof o->role, "%s", r->role);
	snprintf(o->kind, sizeof o->kind, "%s", r->kind);
	snprintf(o->action, sizeof o->action, "%s", r->action);
	snprintf(o->gateway, sizeof o->gateway, "%s", r->gateway);
	snprintf(o->scope, sizeof o->scope, "%s", r->scope);
	snprintf(o->status, sizeof o->status, "%s", r->status);
	snprintf(o->reason, sizeof o->reason, "%s", r->reason);
	snprintf(o->params, sizeof o->params, "%s", r->params);
	return 0;
}

/* The audit log needs no key to be read; verifying is tokentop audit verify's job. Only the
 * records after prev's newest are read: the log is append-only. */
static int load_audit(store *st, const snapshot *prev, snapshot *s, char *err, size_t errlen)
{
	audit *a = audit_open_mode(st, NULL, AUDIT_KEY_NONE, err, errlen);
	if (!a)
		return -1;
	audit_ctx ac = {.rows = malloc(UI_AUDIT_MAX * sizeof *ac.rows)};
	int64_t after = 0;
	if (ac.rows && prev && prev->have_audit) {
		for (size_t i = 0; i < prev->naudit; i++)
			ac.rows[i] = prev->audit[i];
		ac.n = prev->naudit;
		after = prev->audit_seq;
	}
	int rc = ac.rows ? audit_each_after(a, after, keep_record, &ac) : -1;
	audit_close(a);
	if (rc) {
		free(ac.rows);
		snprintf(err, errlen, "reading the audit log: %s", store_errmsg(st));
		return -1;
	}
	/* unroll the ring, oldest first */
	size_t n = ac.n < UI_AUDIT_MAX ? ac.n : UI_AUDIT_MAX;
	s->audit = malloc((n ? n : 1) * sizeof *s->audit);
	if (!s->audit) {
		free(ac.rows);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		s->audit[i] = ac.rows[(ac.n - n + i) % UI_AUDIT_MAX];
	s->naudit = n;
	s->audit_seq = n ? s->audit[n - 1].seq : after;
	/* the incident still open: the newest opened and not closed since (an incident older
	 * than the rows kept is prev's) */
	s->incident = prev && prev->have_audit ? prev->incident : 0;
	snprintf(s->incident_title, sizeof s->incident_title, "%s",
	         prev && prev->have_audit ? prev->incident_title : "");
	int64_t fresh =
	    (int64_t)n - (int64_t)(ac.n - (prev && prev->have_audit ? prev->naudit : 0));
	for (size_t i = fresh > 0 ? (size_t)fresh : 0; i < n; i++) {
		const ui_audit_row *r = &s->audit[i];
		if (!strcmp(r->kind, "incident") && !strcmp(r->action, "open")) {
			s->incident = r->seq;
			snprintf(s->incident_title, sizeof s->incident_title, "%s", r->params);
		} else if (!strcmp(r->kind, "incident") && !strcmp(r->action, "close") &&
		           r->ref_seq == s->incident)
			s->incident = 0;
	}
	free(ac.rows);
	return 0;
}

/* The SLO, budget and alert views: brought up to date from prev's, or prev's as they are. */
static int load_slow(store *st, const ui_opts *o, int64_t now_ms, snap_depth depth,
                     const snapshot *prev, snapshot *s, char *err, size_t errlen)
{
	bool keep = depth == SNAP_CHEAP && prev && prev->have_slo && prev->have_budgets &&
	            prev->have_alerts;
	int bad = 0;
	if (keep) {
		s->have_slo = !view_slo_copy(&prev->slo, &s->slo);
		s->have_budgets = !view_budgets_copy(&prev->budgets, &s->budgets);
		s->have_alerts = !view_alerts_copy(&prev->alerts, &s->alerts);
		s->slow_ms = prev->slow_ms;
		if (!s->have_slo || !s->have_budgets || !s->have_alerts) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	s->slow_ms = now_ms;
	s->have_slo =
	    !view_slo_update(st, o->slos, o->nslos, now_ms,
	                     prev && prev->have_slo ? &prev->slo : NULL, &s->slo, err, errlen);
	bad += !s->have_slo;
	char e2[256] = "";
	s->have_budgets = !view_budgets_update(
	    st, o->budgets, o->nbudgets, now_ms, prev && prev->have_budgets ? &prev->budgets : NULL,
	    &s->budgets, bad ? e2 : err, bad ? sizeof e2 : errlen);
	bad += !s->have_budgets;
	s->have_alerts = !view_alerts_update(st, o->budgets, o->nbudgets, now_ms,
	                                     prev && prev->have_alerts ? &prev->alerts : NULL,
	                                     &s->alerts, bad ? e2 : err, bad ? sizeof e2 : errlen);
	bad += !s->have_alerts;
	return bad ? -1 : 0;
}

int snapshot_load(store *st, const ui_opts *o, size_t range, const view_source_health *src,
                  size_t nsrc, int64_t now_ms, snap_depth depth, const snapshot *prev, snapshot *s)
{
	s->partial = depth == SNAP_QUICK;
	char err[256] = "";
	s->now_ms = now_ms;
	s->range = range;
	s->err[0] = 0;
	s->data_version = store_data_version(st);
	/* the overview points at the source names: keep them with the snapshot */
	s->nsrc = nsrc > UI_SOURCES_MAX ? UI_SOURCES_MAX : nsrc;
	for (size_t i = 0; i < s->nsrc; i++) {
		s->src[i] = src[i];
		snprintf(s->srcname[i], UI_NAME_CAP, "%s", src[i].name ? src[i].name : "");
		s->src[i].name = s->srcname[i];
	}
	int64_t since = now_ms - ui_ranges_ms[range];
	int bad = 0;
#define TRY(flag, call)                                                                            \
	do {                                                                                       \
		s->flag = (call) == 0;                                                             \
		if (!s->flag && !bad++)                                                            \
			snprintf(s->err, sizeof s->err, "%s", err);                                \
	} while (0)
	/* quick: what is cheap on any cache (spend, traffic, the tables) for the first frame; SLO
	 * burn, budget forecasts and the detectors' replay, which read weeks of rollups, follow */
	if (depth == SNAP_QUICK) {
		view_slo vs = {.now_ms = now_ms};
		view_budgets vb = {.now_ms = now_ms};
		view_alerts va = {.now_ms = now_ms};
		TRY(have_ov, view_overview_assemble(st, &vs, &vb, &va, s->src, s->nsrc, now_ms,
		                                    &s->ov, err, sizeof err));
	} else {
		if (load_slow(st, o, now_ms, depth, prev, s, err, sizeof err) && !bad++)
			snprintf(s->err, sizeof s->err, "%s", err);
		/* the overview shows parts of those three: it takes them rather than reading them
		 * again */
		if (s->have_slo && s->have_budgets && s->have_alerts)
			TRY(have_ov,
			    view_overview_assemble(st, &s->slo, &s->budgets, &s->alerts, s->src,
			                           s->nsrc, now_ms, &s->ov, err, sizeof err));
		else
			s->have_ov = false;
	}
	TRY(have_cube, view_cube_build(st, since, now_ms, false, &s->cube, err, sizeof err));
	/* the Prompts and Routing screens group the Spend screen's cube their own way */
	if (s->have_cube) {
		TRY(have_prompts, view_prompts_of(&s->cube, 0, &s->prompts, err, sizeof err));
		/* each prompt version's spend over the range in about UI_TREND_BUCKETS steps; the
		 * table goes on without it when it cannot be read */
		if (s->have_prompts &&
		    view_prompts_trend(st, &s->prompts, UI_TREND_BUCKETS, err, sizeof err) &&
		    !bad++)
			snprintf(s->err, sizeof s->err, "%s", err);
		TRY(have_routing, view_routing_of(&s->cube, &s->routing, err, sizeof err));
	}
	TRY(have_inference, view_inference_build(st, &s->inference, err, sizeof err));
	/* each server's history: the range, at least an hour (a step no shorter than a scrape
	 * interval) and at most six (a cheap read) */
	s->inference_window_ms = ui_ranges_ms[range] < 3600000LL       ? 3600000LL
	                         : ui_ranges_ms[range] > 6 * 3600000LL ? 6 * 3600000LL
	                                                               : ui_ranges_ms[range];
	if (s->have_inference &&
	    view_inference_history(st, &s->inference, now_ms - s->inference_window_ms, now_ms, err,
	                           sizeof err) &&
	    !bad++)
		snprintf(s->err, sizeof s->err, "%s", err);
	TRY(have_providers,
	    view_providers_build(st, since, now_ms, &s->providers, err, sizeof err));
	TRY(have_audit, load_audit(st, prev, s, err, sizeof err));
	TRY(have_gw, view_gwstate_build(st, now_ms, &s->gw, err, sizeof err));
	/* the Routing screen's configured side; without the audit log when it cannot be read */
	if (s->have_routing)
		TRY(have_routes,
		    view_routes_build(st, &s->routing, s->have_gw ? &s->gw : NULL, now_ms,
		                      &s->routes, err, sizeof err) &&
		        view_routes_build(NULL, &s->routing, s->have_gw ? &s->gw : NULL, now_ms,
		                          &s->routes, err, sizeof err));
#undef TRY
	return bad ? -1 : 0;
}

int snapshot_load_weekly(store *st, const ui_opts *o, int64_t now_ms, snapshot *s)
{
	char err[256] = "";
	int64_t start;
	view_weekly *w = calloc(1, sizeof *w);
	if (!w || view_week_parse("this", now_ms, &start) ||
	    view_weekly_build(st, start, now_ms, o->budgets, o->nbudgets, w, err, sizeof err)) {
		if (!s->err[0])
			snprintf(s->err, sizeof s->err, "the week's review: %.200s",
			         w ? err : "no memory");
		free(w);
		return -1;
	}
	s->weekly = w;
	s->weekly_ms = now_ms;
	return 0;
}
