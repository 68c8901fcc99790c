/* The console: the ncurses screens an on-call engineer keeps open, on the libuv loop. */
#ifndef TOKENTOP_UI_H
#define TOKENTOP_UI_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "tokentop/budget.h"
#include "tokentop/overview.h"
#include "tokentop/slo.h"
#include "tokentop/store.h"

/* The live sources' health as the caller keeps it; called on the loop thread. Fills up to
 * cap entries (names must stay valid until the next call) and returns how many there are. */
typedef size_t (*ui_sources_fn)(void *ctx, view_source_health *out, size_t cap);

typedef struct ui_opts {
	store *st;            /* the caller's handle (read on the loop thread only for checks) */
	const char *db_path;  /* the screens read through their own handle on a worker thread */
	const char *db_label; /* shown in the header */
	const char *theme;    /* a theme name or path; NULL: dark */
	const slo_spec *slos;
	size_t nslos;
	const budget_spec *budgets;
	size_t nbudgets;
	long refresh_ms; /* how often to look for new data; 0: 1000 */
	bool present;    /* presentation mode: tenants and ids behind stable aliases */
	/* The loop to run on (the caller's sources share it); NULL: a loop of the console's own. */
	uv_loop_t *loop;
	ui_sources_fn sources;
	void *sources_ctx;
	const char *banner; /* a word for the header, e.g. "demo"; NULL: none */
} ui_opts;

/* Runs the console until the user quits (or SIGINT/SIGTERM). The terminal is restored on
 * every way out, a crash included. 0, or -1 with err (e.g. not a terminal). */
int ui_run(const ui_opts *o, char *err, size_t errlen);

#endif
