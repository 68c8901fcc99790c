/* The console: the ncurses screens an on-call engineer keeps open, on the libuv loop. */
#ifndef TOKENTOP_UI_H
#define TOKENTOP_UI_H

#include <stddef.h>

#include "tokentop/budget.h"
#include "tokentop/slo.h"
#include "tokentop/store.h"

typedef struct ui_opts {
	store *st;
	const char *db_label; /* shown in the header */
	const char *theme;    /* a theme name or path; NULL: dark */
	const slo_spec *slos;
	size_t nslos;
	const budget_spec *budgets;
	size_t nbudgets;
	long refresh_ms; /* data refresh; 0: 1000 */
} ui_opts;

/* Runs the console until the user quits (or SIGINT/SIGTERM). The terminal is restored on
 * every way out, a crash included. 0, or -1 with err (e.g. not a terminal). */
int ui_run(const ui_opts *o, char *err, size_t errlen);

#endif
