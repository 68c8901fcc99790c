/* Shared internals of the console: its state, the data snapshot, the screens and actions. */
#ifndef TOKENTOP_UI_INTERNAL_H
#define TOKENTOP_UI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

/* SIGINT, SIGTERM, SIGHUP (the SSH session is gone), SIGQUIT, SIGUSR1, SIGUSR2: each ends the
 * console cleanly, the terminal handed back (console.c, stop_signals). */
#define UI_STOP_SIGNALS 6

#include "tokentop/chart.h"
#include "tokentop/grid.h"
#include "tokentop/gwstate.h"
#include "tokentop/inference.h"
#include "tokentop/overview.h"
#include "tokentop/providers.h"
#include "tokentop/theme.h"
#include "tokentop/ui.h"
#include "tokentop/view.h"
#include "tokentop/weekly.h"

/* What a handler asks the loop to do next; only the loop draws. */
enum { DRAW_NONE = 0, DRAW_SCREEN = 1 << 0, DRAW_DATA = 1 << 1, DRAW_FILL = 1 << 2 };

#define UI_SOURCES_MAX 64
#define STALE_MS       300000 /* data older than this is marked stale, with its age */
#define UI_NAME_CAP    64

/* One audit record as the Audit screen shows it. */
typedef struct ui_audit_row {
	int64_t seq, ts_ms, ref_seq;
	char actor[64], role[16], kind[16], action[32], gateway[64], scope[160], status[16],
	    reason[200], params[200];
} ui_audit_row;

#define UI_AUDIT_MAX 2000 /* the newest records shown */

/* Everything the screens show, read off the loop thread in one go. */
typedef struct snapshot {
	int64_t now_ms;
	size_t range;
	int64_t data_version;
	char err[256];
	bool partial; /* the first, quick read: SLOs, budgets and alerts are still coming */
	int64_t
	    slow_ms; /* when the SLO, budget and alert views were read (or brought up to date) */
	view_source_health src[UI_SOURCES_MAX];
	char srcname[UI_SOURCES_MAX][UI_NAME_CAP];
	size_t nsrc;
	view_overview ov;
	bool have_ov;
	view_cube cube; /* the range, no sketches: the Spend screen */
	bool have_cube;
	view_prompts prompts;
	bool have_prompts;
	view_routing routing;
	bool have_routing;
	view_routes routes; /* routing beside the gateways' weights, controls, changes */
	bool have_routes;
	view_slo slo;
	bool have_slo;
	view_budgets budgets;
	bool have_budgets;
	view_alerts alerts;
	bool have_alerts;
	view_inference inference;
	bool have_inference;
	int64_t inference_window_ms; /* the servers' history */
	view_providers providers;
	bool have_providers;
	view_gwstate gw; /* what the gateways said: controls in force, routes */
	bool have_gw;
	ui_audit_row *audit; /* oldest first, the newest UI_AUDIT_MAX */
	size_t naudit;
	int64_t audit_seq; /* the newest record read; the next read starts after it */
	bool have_audit;
	ui_check_row checks[64]; /* the Checklist screen's items for check_uc */
	int nchecks;             /* -1: could not be evaluated (err says why) */
	char check_uc[128];
	view_weekly *weekly; /* the week's review: read only for the Review screen (it is slow) */
	int64_t weekly_ms;   /* when it was read */
	int64_t incident;    /* the newest incident still open; 0: none */
	char incident_title[200]; /* its params, as recorded */
} snapshot;

/* How much of a snapshot to read. */
typedef enum {
	SNAP_QUICK, /* the first frame: no SLOs, budgets or alerts (they read weeks of rollups) */
	SNAP_FULL,  /* every view; those an unchanged store lets prev's bring up to date cheaply */
	SNAP_CHEAP, /* every view, but the SLOs, budgets and alerts are prev's as they are */
} snap_depth;

/* Loads a snapshot with st; range is an index into ui_ranges. prev (NULL: none) is the
 * snapshot read before with st: what can be kept of it is. 0 or -1 (err in the snapshot, the
 * parts that could be read are kept). */
int snapshot_load(store *st, const ui_opts *o, size_t range, const view_source_health *src,
                  size_t nsrc, int64_t now_ms, snap_depth depth, const snapshot *prev, snapshot *s);
/* Reads the week's review into s (the ISO week holding now_ms). 0 or -1 (err in s). */
int snapshot_load_weekly(store *st, const ui_opts *o, int64_t now_ms, snapshot *s);
void snapshot_free(snapshot *s);

extern const int64_t ui_ranges_ms[];
extern const char *const ui_range_names[];
#define UI_NRANGES 6
/* The Prompts screen's trend: about this many buckets over the range (view_trend_step). */
#define UI_TREND_BUCKETS 12

typedef struct console console;

typedef struct screen {
	const char *name; /* the tab's title */
	const char *cmd;  /* the palette command and action name */
	int key;
	const char *help;
	const grid_col *cols; /* NULL: no table (the Overview) */
	int ncols;
	/* Puts the snapshot's rows in g; NULL when the screen has no table. */
	void (*fill)(console *c, grid *g);
	/* Draws what goes above the table (or the whole screen without one); returns the rows
	 * used. NULL: nothing. */
	int (*draw)(console *c, int top, int rows);
	/* Enter on a row (drill down, jump); Esc (back up). NULL: nothing to do. */
	int (*enter)(console *c, const grid_row *r);
	int (*back)(console *c);
	/* What a runbook action on row r acts on: "use_case=x" (or "id=ctl-1 gateway=g" for a
	 * control). 0, or -1 when the row names nothing an action can take. NULL: nothing. */
	int (*scope)(console *c, const grid_row *r, char *buf, size_t cap);
	/* Columns that depend on what the screen shows (the Review's sections); NULL: cols. */
	const grid_col *(*columns)(console *c, int *n);
} screen;

/* The Review screen's sections, cycled with d (screens.c). */
int ui_review_sections(void);

extern const screen ui_screens[];
extern const int ui_nscreens;

/* The Spend screen's breakdowns and its drill-down path (use case -> prompt -> versions). */
#define SPEND_LEVELS 3

typedef enum { EDIT_NONE, EDIT_PALETTE, EDIT_FILTER, EDIT_RUNBOOK, EDIT_INCIDENT } edit_mode;

/* Where a runbook action is between its key and the gateway's answer. */
typedef enum { RB_NONE, RB_PARAMS, RB_REASON, RB_PLANNING, RB_CONFIRM, RB_SENDING } rb_step;

#define LINE_CAP    128
#define HISTORY_MAX 32

struct console {
	const ui_opts *o;
	uv_loop_t *loop;
	uv_loop_t own_loop;
	uv_poll_t input;
	uv_signal_t sigwinch, sigtstp;
	uv_signal_t stops[UI_STOP_SIGNALS]; /* one handle per signal that ends the console */
	uv_timer_t tick;
	uv_work_t work;
	bool loading;            /* a snapshot is being read on the worker */
	bool want_load;          /* read again once it is done */
	bool force_load;         /* read even when nothing changed */
	snap_depth depth;        /* of the read in flight */
	bool weekly_load;        /* the read in flight includes the week's review */
	int review_section;      /* what the Review screen's table shows */
	char check_uc[128];      /* the use case the Checklist screen walks */
	char next_check_uc[128]; /* the one the read in flight evaluates; "" none */
	store *rd;               /* the worker's own read-only handle */
	snapshot *snap;          /* the latest snapshot; NULL before the first */
	snapshot *next;          /* being loaded */
	size_t next_range;
	view_source_health next_src[UI_SOURCES_MAX];
	char next_srcname[UI_SOURCES_MAX][UI_NAME_CAP];
	size_t next_nsrc;
	theme_resolved look;
	char theme_name[THEME_PATH_CAP];
	bool utf8, quit, help, present;
	int screen;
	size_t range;
	grid grids[16];
	/* Spend: the dimension of the top level and the path drilled into. */
	int spend_dim;
	int spend_level;
	char spend_key[SPEND_LEVELS][256];
	/* the line editor for the palette and the filter */
	edit_mode edit;
	char line[LINE_CAP];
	size_t linelen;
	char filter_before[GRID_FILTER_CAP];
	char history[HISTORY_MAX][LINE_CAP];
	int nhistory, history_pos;
	char completions[256];
	/* one line of feedback at the bottom */
	char msg[256];
	theme_role msg_role;
	/* where the table was drawn, for the mouse */
	int table_top, table_rows;
	int colx[GRID_MAX_COLS + 1];
	bool colshown[GRID_MAX_COLS];
	int tabx[17];
	int64_t drawn_minute;
	/* the runbook action being confirmed */
	rb_step rb;
	const ui_runbook *rb_action;
	char rb_args[512];
	char rb_reason[512];
	void *rb_handle;
	ui_plan rb_plan;
	const char *incident_verb; /* EDIT_INCIDENT: "open" or "note" */
	int open_handles;
	bool first_frame_done;
};

/* Drawing helpers shared by the screens (console.c). */
unsigned long ui_attr(console *c, theme_role r);
void ui_put(console *c, int y, int x, theme_role r, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
const char *ui_usd(int64_t nanos, char *buf, size_t cap);
void ui_sparkline(console *c, int y, int x, const int64_t *v, int n);
/* The same sparkline as text for a table cell (UTF-8 blocks, or ASCII outside a UTF-8
 * locale); cut to what fits cap. */
void ui_spark_text(console *c, const int64_t *v, int n, char *buf, size_t cap);
/* A chart of n samples in w x h cells at (y, x): braille in UTF-8, ASCII otherwise. */
void ui_chart(console *c, int y, int x, int w, int h, const double *v, size_t n,
              const chart_opts *o);
/* A bar of frac (0..1) in width cells: eighth blocks in UTF-8, '#' otherwise. */
void ui_bar(console *c, double frac, int width, char *buf, size_t cap);
/* The tenant (or other name) as shown: aliased in presentation mode. */
const char *ui_name(console *c, const char *kind, const char *name, char *buf, size_t cap);
/* A scope ("tenant=acme use_case=x") as shown: in presentation mode tenants, key ids and
 * request ids behind their aliases. buf may be scope itself. */
const char *ui_scope(console *c, const char *scope, char *buf, size_t cap);
/* Switches to the screen whose cmd is name; -1 when there is none. */
int ui_goto(console *c, const char *cmd);
/* The Spend screen's breakdowns (screens.c). */
int ui_spend_paths(void);
const char *ui_spend_label(int i);
void ui_message(console *c, theme_role r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
