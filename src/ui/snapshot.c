/* The console's data: every screen's view model read in one go, on a worker thread. */
#include <stdio.h>
#include <string.h>

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
	s->have_ov = s->have_cube = s->have_prompts = s->have_routing = false;
	s->have_slo = s->have_budgets = s->have_alerts = s->have_inference = false;
}

int snapshot_load(store *st, const ui_opts *o, size_t range, const view_source_health *src,
                  size_t nsrc, int64_t now_ms, snapshot *s)
{
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
	TRY(have_slo, view_slo_build(st, o->slos, o->nslos, now_ms, &s->slo, err, sizeof err));
	TRY(have_budgets, view_budgets_build(st, o->budgets, o->nbudgets, now_ms, NULL, 0, NULL,
	                                     &s->budgets, err, sizeof err));
	TRY(have_alerts, view_alerts_build(st, now_ms, &s->alerts, err, sizeof err));
	/* the overview shows parts of those three: it takes them rather than reading them again */
	if (s->have_slo && s->have_budgets && s->have_alerts)
		TRY(have_ov, view_overview_assemble(st, &s->slo, &s->budgets, &s->alerts, s->src,
		                                    s->nsrc, now_ms, &s->ov, err, sizeof err));
	else
		s->have_ov = false;
	TRY(have_cube, view_cube_build(st, since, now_ms, false, &s->cube, err, sizeof err));
	TRY(have_prompts, view_prompts_build(st, since, now_ms, 0, &s->prompts, err, sizeof err));
	TRY(have_routing, view_routing_build(st, since, now_ms, &s->routing, err, sizeof err));
	TRY(have_inference, view_inference_build(st, &s->inference, err, sizeof err));
#undef TRY
	return bad ? -1 : 0;
}
