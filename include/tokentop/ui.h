/* The console: the ncurses screens an on-call engineer keeps open, on the libuv loop. */
#ifndef TOKENTOP_UI_H
#define TOKENTOP_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/budget.h"
#include "tokentop/overview.h"
#include "tokentop/slo.h"
#include "tokentop/store.h"

/* The live sources' health as the caller keeps it; called on the loop thread. Fills up to
 * cap entries (names must stay valid until the next call) and returns how many there are. */
typedef size_t (*ui_sources_fn)(void *ctx, view_source_health *out, size_t cap);

/* A runbook action the console binds, from the action table the app hands in (the action
 * layer comes after this one, so the console sees plain data and callbacks). */
typedef struct ui_runbook {
	const char *name; /* "kill-switch": also the palette verb */
	int key;
	const char *keyname;
	const char *help;
	bool dangerous;
	bool lift;               /* acts on a control (the Controls screen), not a scope */
	const char *params;      /* what it takes, e.g. "rps=N tpm=N"; NULL: nothing */
	const char *unavailable; /* NULL: allowed; else why not (read-only, role) */
} ui_runbook;

/* What the confirmation panel shows, filled by the app from its plan. */
typedef struct ui_plan {
	char error[1024]; /* planning failed: this, and nothing else is set */
	char title[1024];
	char lines[8][1024]; /* blast radius, state before and after, the request line */
	int nlines;
	bool typed_confirm; /* the scope name must be typed; else "y" */
	char confirm_word[256];
	bool production;
} ui_plan;

typedef void (*ui_planned_fn)(void *uictx, void *handle, const ui_plan *p);
typedef void (*ui_sent_fn)(void *uictx, bool applied, const char *message);

typedef struct ui_runbook_ops {
	const ui_runbook *actions;
	size_t n;
	/* Plans action with args ("use_case=support-bot rps=5 gateway=NAME", scope keys and
	 * parameters) and reason; nothing is sent. done is called on the loop with a handle the
	 * console gives back to send or drop. 0, or -1 with err (done is not called). */
	int (*plan)(void *ctx, const char *action, const char *args, const char *reason,
	            ui_planned_fn done, void *uictx, char *err, size_t errlen);
	/* Sends a planned action (audited); done gets the outcome. 0 or -1 with err. */
	int (*send)(void *ctx, void *handle, ui_sent_fn done, void *uictx, char *err,
	            size_t errlen);
	void (*drop)(void *ctx, void *handle);
	/* Incidents, written to the audit log at once (a local append): verb "open" (kind, text
	 * the title; *out_id the new incident), "note" (text) or "close" (text the reason) on
	 * incident id. NULL when the audit log is not open (read-only). 0 or -1 with err. */
	int (*incident)(void *ctx, const char *verb, int64_t id, const char *kind, const char *text,
	                int64_t *out_id, char *err, size_t errlen);
	void *ctx;
} ui_runbook_ops;

/* One item of the launch-readiness checklist as the Checklist screen shows it. */
typedef struct ui_check_row {
	char id[64];
	char title[256];
	char state[16]; /* pass | fail | signed | pending */
	char evidence[512];
} ui_check_row;

/* Evaluates the checklist for use_case with st (the screens' own handle, on their worker
 * thread): fills up to cap rows and returns how many, or -1 with err. */
typedef int (*ui_checklist_fn)(void *ctx, store *st, const char *use_case, ui_check_row *rows,
                               size_t cap, char *err, size_t errlen);

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
	const ui_runbook_ops *runbook; /* NULL: no actions (a read-only console) */
	const char *notice;            /* shown in the status line at start; NULL: none */
	ui_checklist_fn checklist;     /* NULL: no checklist file found */
	void *checklist_ctx;
	const char *checklist_file;
} ui_opts;

/* Runs the console until the user quits (or SIGINT/SIGTERM). The terminal is restored on
 * every way out, a crash included. 0, or -1 with err (e.g. not a terminal). */
int ui_run(const ui_opts *o, char *err, size_t errlen);

#endif
