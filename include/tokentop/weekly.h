/* The weekly cost review: one ISO week against the one before, by use case, team and tenant;
 * cost per successful outcome per day; the top prompts; cache misses; routing elevations;
 * budgets; the week's anomalies, incidents and the actions taken (from the audit log). */
#ifndef TOKENTOP_WEEKLY_H
#define TOKENTOP_WEEKLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/anomaly.h"
#include "tokentop/budget.h"
#include "tokentop/daycube.h"
#include "tokentop/store.h"
#include "tokentop/view.h"

#define WEEKLY_TOP          10 /* prompts listed by spend and by growth */
#define WEEKLY_CHART_SERIES 6  /* use cases drawn apart in the daily chart; the rest as one */

/* The ISO week named by s ("2026-W48", "this" or "last", against now): its Monday 00:00 UTC.
 * 0, or -1 when s is none of those or names a week that does not exist (2026-W54). */
int view_week_parse(const char *s, int64_t now_ms, int64_t *start_ms);
/* "2026-W48" for the week starting at start_ms. */
void view_week_name(int64_t start_ms, char *buf, size_t cap);

/* One line of a breakdown: this week against the same span of the week before. */
typedef struct view_week_line {
	const char *key[2]; /* the name; for prompts the id and the version */
	int64_t cost_nanos, prev_cost_nanos;
	int64_t requests, prev_requests;
} view_week_line;

typedef struct view_week_lines {
	view_week_line *rows;
	size_t n;
} view_week_lines;

typedef struct view_week_day {
	int64_t day;  /* Unix days (UTC) */
	bool reached; /* false for the days of a week in progress still to come */
	int64_t cost_nanos, requests, success;
	int64_t cost_per_success_nanos; /* -1 without a successful outcome */
	int64_t prev_cost_nanos, prev_success, prev_cost_per_success_nanos; /* a week earlier */
} view_week_day;

/* The gateway's response cache for one use case (or all of them). */
typedef struct view_week_cache {
	const char *use_case;
	int64_t hits, misses;
	int64_t miss_cost_nanos;    /* the cost of the requests that missed */
	int64_t hit_saved_nanos;    /* what the hits saved: the card price of the calls not made */
	int64_t prompt_saved_nanos; /* the provider's prompt caching on the other requests */
	int64_t prev_misses, prev_miss_cost_nanos;
} view_week_cache;

typedef struct view_week_route {
	const char *use_case;
	int64_t requests, cost_nanos;
	int64_t elevated, elevated_cost_nanos; /* requests escalated to a larger model */
	int64_t prev_elevated, prev_elevated_cost_nanos;
	size_t first, n; /* its targets in view_weekly.targets, most requests first */
} view_week_route;

/* An action's outcome recorded in the week: the record that completed it (applied or failed),
 * or that reconciled it after a crash. Strings owned by the view. */
typedef struct view_week_action {
	int64_t seq, ts_ms;
	int64_t ref_seq; /* the pending record it completes */
	char *action;    /* kill-switch, throttle, ..., lift */
	char *gateway, *scope, *reason, *control_id;
	char *actor;     /* "alice" or "alice (as bob)" */
	char *status;    /* applied | failed */
	bool lift;       /* a control lifted (rolled back) */
	bool reconciled; /* completed by reconciliation rather than the gateway's answer */
} view_week_action;

/* An incident open at some time during the week (opened in it, closed in it, or open
 * across it), as the audit log stood at the end of what was read. */
typedef struct view_week_incident {
	int64_t id, opened_ms;
	int64_t closed_ms; /* 0 while open (at the end of what was read) */
	char *kind, *title, *opened_by, *closed_by, *close_reason;
	int64_t notes, notes_in_week;
	bool opened_in_week, closed_in_week;
} view_week_incident;

typedef struct view_weekly {
	int64_t start_ms, end_ms;             /* the ISO week: Monday 00:00 UTC to the next */
	int64_t until_ms;                     /* what was read: end_ms, or now during the week */
	int64_t prev_start_ms, prev_until_ms; /* the same span one week earlier */
	/* the data there is (store_time_bounds; 0 when none) and the part of each span it
	 * covers, 0..1: under 1, the week's figures or its comparisons are of partial data */
	int64_t data_first_ms, data_last_ms;
	double coverage, prev_coverage;
	bool partial, prev_partial; /* over an hour of the span has no data */
	bool present;               /* the renderers alias tenant names */
	int64_t m[TT_M_COUNT], prev_m[TT_M_COUNT];
	int64_t cost_per_success_nanos, prev_cost_per_success_nanos; /* -1 without success */
	view_week_lines by_use_case, by_team, by_tenant; /* this week's costliest first */
	view_week_lines top_prompts;                     /* the WEEKLY_TOP costliest this week */
	view_week_lines prompt_growth; /* the WEEKLY_TOP largest increases in spend */
	view_week_day days[7];
	view_week_cache cache_total;
	view_week_cache *cache; /* use cases that looked the cache up, most missed cost first */
	size_t ncache;
	view_week_route *routes; /* in name order */
	size_t nroutes;
	view_rows targets; /* this week by use case, provider, model, tier */
	/* Daily spend by use case for the chart: the costliest WEEKLY_CHART_SERIES, then
	 * "other" for the rest when there are more. */
	const char *series[WEEKLY_CHART_SERIES + 1];
	size_t nseries;
	int64_t series_cost[WEEKLY_CHART_SERIES + 1][7];
	view_budgets budgets;  /* evaluated at until_ms; n is 0 without budgets configured */
	anomaly_alert *alerts; /* that fired during the week, oldest first */
	size_t nalerts;
	view_week_incident *incidents; /* oldest first */
	size_t nincidents;
	int64_t incidents_opened, incidents_closed; /* in the week */
	view_week_action *actions; /* applied or failed in the week, oldest first */
	size_t nactions;
	/* outcomes in the week; lifts are the applied lifts, also counted in actions_applied */
	int64_t actions_applied, actions_failed, lifts;
	view_daycube cur, prev; /* own the strings the lines point to */
	view_cube cur_cube, prev_cube;
} view_weekly;

/* The week from start_ms (a Monday 00:00 UTC), read up to now_ms when it is still going on.
 * budgets (may be NULL) are evaluated at the end of what was read. */
int view_weekly_build(store *st, int64_t start_ms, int64_t now_ms, const budget_spec *budgets,
                      size_t nbudgets, view_weekly *v, char *err, size_t errlen);
void view_weekly_free(view_weekly *v);
/* One sentence on partial data ("Partial data: ..."), or 0 when both spans are covered. Plain
 * text of dates and percentages only, safe in every format. */
int view_weekly_coverage_note(const view_weekly *v, char *buf, size_t cap);

#endif
