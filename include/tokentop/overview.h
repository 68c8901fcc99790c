/* The Overview screen's model: spend now and its last hour, totals, rates, alerts, sources. */
#ifndef TOKENTOP_OVERVIEW_H
#define TOKENTOP_OVERVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/budget.h"
#include "tokentop/slo.h"
#include "tokentop/source.h"
#include "tokentop/store.h"
#include "tokentop/view.h"

#define VIEW_OVERVIEW_SPARK  60 /* minutes in the spend sparkline */
#define VIEW_OVERVIEW_RECENT 5  /* minutes that "now" (spend/min, rates) is measured over */

/* One source as the caller knows it (the source layer's health, not the store's). */
typedef struct view_source_health {
	const char *name;
	source_state state;
	int64_t last_ok_ms; /* the last successful poll, Unix ms; 0 or less: never */
	bool production;    /* the gateway is marked production */
	bool catching_up;   /* an event source still reading its backlog (history) */
	uint64_t rejected;  /* an event source's rows refused (live tallies), since it started */
	uint64_t odd;       /* rows it kept with odd values */
} view_source_health;

/* What the header says of the sources as a whole, most urgent first. */
typedef enum {
	VIEW_SOURCES_ALL_DOWN, /* none is ok: the screens show the cache */
	VIEW_SOURCES_SOME_DOWN,
	VIEW_SOURCES_STARTING,    /* none down, some not answered yet */
	VIEW_SOURCES_CATCHING_UP, /* all ok, some still reading their backlog */
	VIEW_SOURCES_LIVE,
	VIEW_SOURCES_CACHE_ONLY /* no sources */
} view_sources_level;

/* The header's words for n sources ("live", "catching up: demo", "catching up: 2 of 3
 * sources", "starting", "some sources down", ...) into buf; returns the level. */
view_sources_level view_sources_summary(const view_source_health *src, size_t n, char *buf,
                                        size_t cap);

/* One row of the source health table. */
typedef struct view_overview_source {
	const char *name; /* points into the caller's view_source_health array */
	source_state state;
	int64_t age_s; /* seconds since the last success (0 when in the future); -1: never */
	bool production;
	bool catching_up;       /* still reading its backlog */
	uint64_t rejected, odd; /* rows refused, rows kept with odd values (view_source_health) */
} view_overview_source;

/* Alert levels, most urgent first: the order of view_overview.alerts. */
typedef enum {
	VIEW_OVERVIEW_PAGE,    /* an SLO burning fast enough to page */
	VIEW_OVERVIEW_TICKET,  /* an SLO burning fast enough for a ticket */
	VIEW_OVERVIEW_ANOMALY, /* a firing anomaly detector */
	VIEW_OVERVIEW_LEVEL_COUNT
} view_overview_level;

const char *view_overview_level_name(view_overview_level l); /* "page", "ticket", "anomaly" */

/* One active alert. */
typedef struct view_overview_alert {
	view_overview_level level;
	const slo_spec *slo;   /* page and ticket: the SLO (points into the caller's specs) */
	slo_status status;     /* page and ticket: its evaluation at now */
	anomaly_alert anomaly; /* anomaly: the firing alert as view_alerts_build found it */
} view_overview_alert;

typedef struct view_overview {
	int64_t now_ms;
	/* The start of the minute holding now: minutes before it are complete. */
	int64_t minute_ms;

	/* Spend now: of the last complete minute; the trend: per minute over the last
	 * VIEW_OVERVIEW_RECENT complete minutes, and over the rest of the hour before them
	 * (rounded). */
	int64_t last_minute_nanos;
	int64_t spend_per_min_nanos;
	int64_t before_per_min_nanos;
	/* Spend of each of the VIEW_OVERVIEW_SPARK complete minutes before minute_ms, oldest
	 * first: spark[VIEW_OVERVIEW_SPARK - 1] is the minute ending at minute_ms. */
	int64_t spark_nanos[VIEW_OVERVIEW_SPARK];
	int64_t spark_start_ms; /* the start of spark_nanos[0] */

	/* Spend from the start of the UTC day (month) through the minute holding now. */
	int64_t today_nanos;
	int64_t month_nanos;

	/* The first budget of the specs whose scope is everything ("*"), through the budget
	 * view: its spend this period, state and forecast. has_budget false: none given. */
	bool has_budget;
	view_budget_row budget; /* budget.spec points into the caller's specs */

	/* Over the last VIEW_OVERVIEW_RECENT complete minutes. */
	double requests_per_s;
	double tokens_per_s; /* input + output tokens */

	/* Active alerts, most urgent first: SLO pages, critical detectors, SLO tickets, warnings
	 * (SLOs in the order given, detectors newest first). */
	view_overview_alert *alerts;
	size_t nalerts;
	size_t npages, ntickets, nanomalies;

	/* Sources in the order given. */
	view_overview_source *sources;
	size_t nsources;
	bool production; /* some source is a production gateway */

	/* The newest minute with data (its start, Unix ms); -1 when the store is empty. */
	int64_t newest_minute_ms;
	/* Milliseconds from the end of that minute to now (0 when it holds now); -1 empty. */
	int64_t data_age_ms;
} view_overview;

/*
 * Builds the overview at now_ms. slos and budgets may be empty (NULL with n 0), and so may
 * sources. Pointers in the result refer to the caller's arrays, which must outlive it.
 * 0, or -1 with err set (out is then empty).
 */
int view_overview_build(store *st, const slo_spec *slos, size_t nslos, const budget_spec *budgets,
                        size_t nbudgets, const view_source_health *sources, size_t nsources,
                        int64_t now_ms, view_overview *out, char *err, size_t errlen);

/*
 * The same from views already built at now_ms or before (never after), for a caller that
 * reads them anyway (the console, which reads them less often than the rest): the SLO view of the
 * SLOs, the budgets view of the budgets (the overview takes the row of the first "*" budget, which
 * does not depend on the other budgets) and the alerts view. Pointers in the result refer into the
 * specs those views point at.
 */
int view_overview_assemble(store *st, const view_slo *slo, const view_budgets *budgets,
                           const view_alerts *alerts, const view_source_health *sources,
                           size_t nsources, int64_t now_ms, view_overview *out, char *err,
                           size_t errlen);
void view_overview_free(view_overview *v);

#endif
