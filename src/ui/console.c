/* The console: one libuv loop for keys, mouse, signals and data; only the loop draws. */
#include <langinfo.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "tokentop/money.h"
#include "tokentop/present.h"
#include "tokentop/timeutil.h"
#include "ui_internal.h"

#define MIN_COLS 80
#define MIN_ROWS 24
#define KEY_ESC  27
#ifndef CTRL
#define CTRL(x) ((x)&0x1f)
#endif

/* Action flags. TABLE: acts on the current table; NOKEY entries exist for the palette. */
enum { ACT_GLOBAL = 1 << 0, ACT_TABLE = 1 << 1, ACT_ARG = 1 << 2 };

typedef struct action {
	const char *name; /* the palette command */
	int key, key2;    /* 0: none */
	const char *keyname;
	const char *args; /* what the palette takes after the name, for help; NULL: nothing */
	const char *help;
	unsigned flags;
	int (*run)(console *c, int key, const char *arg);
} action;

static bool curses_on;

static void restore_terminal(void)
{
	if (curses_on) {
		curses_on = false;
		endwin();
	}
}

/* A crash still hands the terminal back, then dies of the same signal. */
static void on_crash(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- drawing helpers ---- */

unsigned long ui_attr(console *c, theme_role r)
{
	return theme_curses_attr(&c->look, r);
}

/* Writes text in exactly w cells at (y, x), cut or padded by display width. */
static void put_cell(int y, int x, int w, const char *text, bool right)
{
	if (w <= 0 || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	wchar_t wbuf[256];
	size_t n = mbstowcs(wbuf, text, 255);
	if (n == (size_t)-1) { /* not valid in this locale: show bytes as they are */
		mvprintw(y, x, right ? "%*.*s" : "%-*.*s", w, w, text);
		return;
	}
	wbuf[n] = 0;
	int width = 0;
	size_t keep = 0;
	for (; keep < n; keep++) {
		int cw = wcwidth(wbuf[keep]);
		if (cw < 0)
			cw = 1;
		if (width + cw > w)
			break;
		width += cw;
	}
	bool cut = keep < n;
	if (cut && keep > 0) { /* mark the cut with its last cell */
		width -= wcwidth(wbuf[keep - 1]) > 0 ? wcwidth(wbuf[keep - 1]) : 1;
		keep--;
	}
	int pad = w - width - (cut ? 1 : 0);
	move(y, x);
	if (right)
		for (int i = 0; i < pad; i++)
			addch(' ');
	addnwstr(wbuf, (int)keep);
	if (cut)
		addch('~');
	if (!right)
		for (int i = 0; i < pad; i++)
			addch(' ');
}

void ui_put(console *c, int y, int x, theme_role r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (y < 0 || y >= LINES || x >= COLS)
		return;
	attrset(ui_attr(c, r));
	wchar_t wbuf[1024];
	size_t n = mbstowcs(wbuf, buf, 1023);
	if (n == (size_t)-1)
		mvaddnstr(y, x, buf, COLS - x);
	else {
		int w = 0;
		size_t k = 0;
		for (; k < n; k++) {
			int cw = wcwidth(wbuf[k]);
			if (w + (cw < 0 ? 1 : cw) > COLS - x)
				break;
			w += cw < 0 ? 1 : cw;
		}
		mvaddnwstr(y, x, wbuf, (int)k);
	}
	attrset(A_NORMAL);
}

void ui_message(console *c, theme_role r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
	c->msg_role = r;
}

const char *ui_usd(int64_t nanos, char *buf, size_t cap)
{
	money_format_human(nanos, buf, cap);
	return buf;
}

static const char *const spark_blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
static const char spark_ascii[] = "_.-=+*#@";

static int64_t spark_max(const int64_t *v, int n)
{
	int64_t max = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	return max;
}

static int spark_level(int64_t v, int64_t max)
{
	return max && v > 0 ? (int)((__int128)v * 7 / max) : 0;
}

void ui_sparkline(console *c, int y, int x, const int64_t *v, int n)
{
	/* narrower than the series: the newest values, which are what an incident is about, and
	 * the scale of what is shown */
	if (n > COLS - x) {
		int skip = n - (COLS - x > 0 ? COLS - x : 0);
		v += skip;
		n -= skip;
	}
	int64_t max = spark_max(v, n);
	attrset(ui_attr(c, THEME_SPARK));
	for (int i = 0; i < n; i++) {
		int lvl = spark_level(v[i], max);
		if (c->utf8)
			mvaddstr(y, x + i, spark_blocks[lvl]);
		else
			mvaddch(y, x + i, (chtype)spark_ascii[lvl]);
	}
	attrset(A_NORMAL);
}

void ui_spark_text(console *c, const int64_t *v, int n, char *buf, size_t cap)
{
	int64_t max = spark_max(v, n);
	size_t len = 0;
	if (cap)
		buf[0] = 0;
	for (int i = 0; i < n; i++) {
		int lvl = spark_level(v[i], max);
		const char *g = c->utf8 ? spark_blocks[lvl] : (const char[]){spark_ascii[lvl], 0};
		size_t gl = strlen(g);
		if (len + gl + 1 > cap)
			break;
		memcpy(buf + len, g, gl + 1);
		len += gl;
	}
}

void ui_chart(console *c, int y, int x, int w, int h, const double *v, size_t n,
              const chart_opts *o)
{
	if (w > COLS - x)
		w = COLS - x;
	if (w < 1 || h < 1)
		return;
	static chart ch; /* the loop thread only */
	chart_plot(v, n, w, h, o, &ch);
	char row[3 * CHART_MAX_W + 1];
	attrset(ui_attr(c, THEME_SPARK));
	for (int r = 0; r < ch.h && y + r < LINES; r++) {
		chart_row(&ch, r, c->utf8, row, sizeof row);
		mvaddstr(y + r, x, row);
	}
	attrset(A_NORMAL);
}

void ui_bar(console *c, double frac, int width, char *buf, size_t cap)
{
	static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	int units = (int)(frac * width * 8 + 0.5);
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < width; i++) {
		const char *cell;
		int left = units - i * 8;
		if (c->utf8)
			cell = left >= 8 ? "█" : left > 0 ? eighths[left] : " ";
		else
			cell = left >= 4 ? "#" : " ";
		if (c->utf8 && left > 0 && left < 8 && !*cell)
			cell = " ";
		size_t l = strlen(cell);
		if (n + l + 1 > cap)
			break;
		memcpy(buf + n, cell, l + 1);
		n += l;
	}
}

const char *ui_scope(console *c, const char *scope, char *buf, size_t cap)
{
	char tmp[1024];
	if (c->present) {
		present_scope(scope, tmp, sizeof tmp);
		snprintf(buf, cap, "%s", tmp);
	} else if (buf != scope)
		snprintf(buf, cap, "%s", scope ? scope : "");
	return buf;
}

/* Text of the runbook panel as shown: in presentation mode the hidden values its scope names
 * behind their aliases, and the Idempotency-Key (a request id) hidden. */
static const char *rb_shown(console *c, const char *text, char *buf, size_t cap)
{
	if (!c->present) {
		snprintf(buf, cap, "%s", text);
		return buf;
	}
	present_text_scoped(text, c->rb_args, buf, cap);
	if (!strncmp(buf, "Idempotency-Key: ", 17))
		snprintf(buf + 17, cap > 17 ? cap - 17 : 0, "(hidden)");
	return buf;
}

const char *ui_name(console *c, const char *kind, const char *name, char *buf, size_t cap)
{
	if (c->present && kind && name && *name && strcmp(name, "(none)"))
		present_alias(kind, name, buf, cap);
	else
		snprintf(buf, cap, "%s", name ? name : "");
	return buf;
}

/* ---- the table of the current screen ---- */

static grid *cur_grid(console *c)
{
	return ui_screens[c->screen].cols ? &c->grids[c->screen] : NULL;
}

static void fill_grid(console *c, int i)
{
	const screen *s = &ui_screens[i];
	if (!s->cols)
		return;
	grid *g = &c->grids[i];
	int n = s->ncols;
	const grid_col *cols = s->columns ? s->columns(c, &n) : s->cols;
	grid_reset(g, cols, n);
	if (s->fill)
		s->fill(c, g);
	grid_finish(g);
}

static size_t page_rows(console *c)
{
	return c->table_rows > 1 ? (size_t)(c->table_rows - 1) : 1;
}

static void draw_grid(console *c, grid *g, int top, int rows)
{
	c->table_top = top;
	c->table_rows = rows;
	if (rows < 2)
		return;
	int width = COLS - 2;
	grid_layout(g, width, c->colshown);
	int used = 0, last = -1;
	for (int k = 0; k < g->ncols; k++)
		if (c->colshown[k]) {
			used += g->cols[k].width + (last >= 0 ? 1 : 0);
			last = k;
		}
	int extra = width - used > 0 ? width - used : 0;
	/* the first column takes the spare room: names are what gets cut */
	int x = 1;
	attrset(ui_attr(c, THEME_TITLE));
	mvhline(top, 0, ' ', COLS);
	for (int k = 0; k < g->ncols; k++) {
		c->colx[k] = -1;
		if (!c->colshown[k])
			continue;
		int w = g->cols[k].width + (k == 0 ? extra : 0);
		char title[64];
		const char *mark = g->sort_col == k ? (g->sort_desc ? (c->utf8 ? "▼" : "v")
		                                                    : (c->utf8 ? "▲" : "^"))
		                                    : "";
		snprintf(title, sizeof title, "%s%s", g->cols[k].title, mark);
		c->colx[k] = x;
		put_cell(top, x, w, title, g->cols[k].right);
		x += w + 1;
	}
	c->colx[g->ncols] = x;
	attrset(A_NORMAL);
	size_t page = page_rows(c);
	if (g->sel >= g->top + page || g->sel < g->top)
		grid_select(g, g->sel, page);
	for (size_t i = 0; i < page && g->top + i < g->nshown; i++) {
		size_t pos = g->top + i;
		const grid_row *r = grid_shown(g, pos);
		bool sel = pos == g->sel;
		theme_role role = sel ? THEME_SELECTION : (theme_role)r->role;
		attrset(ui_attr(c, role));
		int y = top + 1 + (int)i;
		mvhline(y, 0, ' ', COLS);
		for (int k = 0; k < g->ncols; k++)
			if (c->colshown[k])
				put_cell(y, c->colx[k], g->cols[k].width + (k == 0 ? extra : 0),
				         r->cell[k], g->cols[k].right);
		/* state is never colour alone: a mark leads the row (the words are in its cells) */
		if (sel)
			mvaddstr(y, 0, c->utf8 ? "▶" : ">");
		else if (r->role == THEME_STALE)
			mvaddch(y, 0, '~');
		else if (*theme_role_glyph((theme_role)r->role) && r->role != THEME_OK)
			mvaddch(y, 0, '!');
		attrset(A_NORMAL);
	}
	if (!g->nshown && g->n)
		ui_put(c, top + 1, 2, THEME_DIM, "no row matches the filter '%s' (Esc clears it)",
		       g->filter);
}

/* ---- actions: one table binds the keys, fills the palette and writes the help ---- */

int ui_goto(console *c, const char *cmd)
{
	for (int i = 0; i < ui_nscreens; i++)
		if (!strcmp(ui_screens[i].cmd, cmd)) {
			c->screen = i;
			return 0;
		}
	return -1;
}

static int act_quit(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	c->quit = true;
	return DRAW_NONE;
}

static int act_help(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	c->help = !c->help;
	return DRAW_SCREEN;
}

static int act_next_screen(console *c, int key, const char *arg)
{
	(void)arg;
	int step = key == KEY_BTAB ? ui_nscreens - 1 : 1;
	c->screen = (c->screen + step) % ui_nscreens;
	return DRAW_SCREEN;
}

static int act_screen(console *c, int key, const char *arg)
{
	(void)arg;
	for (int i = 0; i < ui_nscreens; i++)
		if (ui_screens[i].key == key)
			c->screen = i;
	return DRAW_SCREEN;
}

static int act_range(console *c, int key, const char *arg)
{
	(void)key;
	if (arg && *arg) {
		for (size_t i = 0; i < UI_NRANGES; i++)
			if (!strcmp(arg, ui_range_names[i])) {
				c->range = i;
				return DRAW_DATA;
			}
		ui_message(c, THEME_WARN, "range: '%s' is not one of 15m 1h 6h 24h 7d 30d", arg);
		return DRAW_SCREEN;
	}
	c->range = (c->range + 1) % UI_NRANGES;
	return DRAW_DATA;
}

static int act_refresh(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	clearok(curscr, TRUE);
	c->force_load = true;
	return DRAW_DATA;
}

static int act_down(console *c, int key, const char *arg)
{
	(void)arg;
	grid *g = cur_grid(c);
	if (!g)
		return DRAW_NONE;
	size_t page = page_rows(c);
	switch (key) {
	case KEY_NPAGE:
	case ' ':
	case CTRL('f'):
		grid_move(g, (long)page, page);
		break;
	case 'G':
	case KEY_END:
		grid_end(g, page);
		break;
	default:
		grid_move(g, 1, page);
	}
	return DRAW_SCREEN;
}

static int act_up(console *c, int key, const char *arg)
{
	(void)arg;
	grid *g = cur_grid(c);
	if (!g)
		return DRAW_NONE;
	size_t page = page_rows(c);
	switch (key) {
	case KEY_PPAGE:
	case CTRL('b'):
		grid_move(g, -(long)page, page);
		break;
	case 'g':
	case KEY_HOME:
		grid_home(g, page);
		break;
	default:
		grid_move(g, -1, page);
	}
	return DRAW_SCREEN;
}

static int act_sort(console *c, int key, const char *arg)
{
	grid *g = cur_grid(c);
	if (!g)
		return DRAW_NONE;
	if (arg && *arg) {
		for (int k = 0; k < g->ncols; k++)
			if (!strcasecmp(g->cols[k].title, arg)) {
				grid_sort_by(g, k);
				return DRAW_SCREEN;
			}
		ui_message(c, THEME_WARN, "sort: no column '%s' here", arg);
		return DRAW_SCREEN;
	}
	if (key == 'S') { /* reverse */
		if (g->sort_col < 0)
			g->sort_col = 0;
		else
			g->sort_desc = !g->sort_desc;
		grid_finish(g);
		return DRAW_SCREEN;
	}
	int next = g->sort_col + 1 >= g->ncols ? 0 : g->sort_col + 1;
	grid_sort_by(g, next);
	return DRAW_SCREEN;
}

static int act_enter(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	grid *g = cur_grid(c);
	const screen *s = &ui_screens[c->screen];
	const grid_row *r = g ? grid_selected(g) : NULL;
	/* a screen without a table (the Overview) takes Enter itself, with no row */
	if (!s->enter || (g && !r))
		return DRAW_NONE;
	return s->enter(c, r) | DRAW_SCREEN;
}

static int act_back(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	if (c->help) {
		c->help = false;
		return DRAW_SCREEN;
	}
	grid *g = cur_grid(c);
	if (g && g->filter[0]) {
		grid_set_filter(g, "");
		return DRAW_SCREEN;
	}
	const screen *s = &ui_screens[c->screen];
	return s->back ? s->back(c) | DRAW_SCREEN : DRAW_NONE;
}

static int act_breakdown(console *c, int key, const char *arg)
{
	(void)key;
	if (!strcmp(ui_screens[c->screen].cmd, "review") && !(arg && *arg)) {
		c->review_section = (c->review_section + 1) % ui_review_sections();
		return DRAW_FILL;
	}
	if (strcmp(ui_screens[c->screen].cmd, "spend"))
		ui_goto(c, "spend");
	if (arg && *arg) {
		for (int i = 0; i < ui_spend_paths(); i++)
			if (!strcasecmp(arg, ui_spend_label(i)) ||
			    (!strcasecmp(arg, "use_case") && i == 0)) {
				c->spend_dim = i;
				c->spend_level = 0;
				return DRAW_FILL;
			}
		ui_message(c, THEME_WARN, "by: one of use_case team tenant provider model");
		return DRAW_SCREEN;
	}
	c->spend_dim = (c->spend_dim + 1) % ui_spend_paths();
	c->spend_level = 0;
	return DRAW_FILL;
}

static void start_edit(console *c, edit_mode m, const char *initial)
{
	c->edit = m;
	snprintf(c->line, sizeof c->line, "%s", initial ? initial : "");
	c->linelen = strlen(c->line);
	c->history_pos = c->nhistory;
	c->completions[0] = 0;
	grid *g = cur_grid(c);
	if (m == EDIT_FILTER && g)
		snprintf(c->filter_before, sizeof c->filter_before, "%s", g->filter);
	curs_set(1);
}

static int act_palette(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	start_edit(c, EDIT_PALETTE, "");
	return DRAW_SCREEN;
}

static int act_filter(console *c, int key, const char *arg)
{
	(void)key;
	grid *g = cur_grid(c);
	if (!g) {
		ui_message(c, THEME_DIM, "this screen has no table to filter");
		return DRAW_SCREEN;
	}
	if (arg) { /* from the palette: ":filter TEXT" */
		grid_set_filter(g, arg);
		return DRAW_SCREEN;
	}
	start_edit(c, EDIT_FILTER, g->filter);
	return DRAW_SCREEN;
}

static int setup_look(console *c, const char *name, char *err, size_t errlen);

static int act_theme(console *c, int key, const char *arg)
{
	(void)key;
	if (!arg || !*arg) {
		ui_message(c, THEME_TEXT,
		           "theme: %s (:theme dark|light|high-contrast|colorblind|mono)",
		           c->theme_name);
		return DRAW_SCREEN;
	}
	char err[512];
	if (setup_look(c, arg, err, sizeof err))
		ui_message(c, THEME_WARN, "%s", err);
	else
		ui_message(c, THEME_OK, "theme %s", arg);
	clearok(curscr, TRUE);
	return DRAW_SCREEN;
}

static int act_present(console *c, int key, const char *arg)
{
	(void)key;
	(void)arg;
	c->present = !c->present;
	ui_message(c, THEME_TEXT, "presentation mode %s", c->present ? "on" : "off");
	return DRAW_FILL;
}

static int act_screen_cmd(console *c, int key, const char *arg);

static int act_checklist(console *c, int key, const char *arg)
{
	(void)key;
	if (!c->o->checklist) {
		ui_message(c, THEME_WARN,
		           "no checklist file (fixtures/checklists/launch-readiness.ini "
		           "or ~/.config/tokentop/checklists/)");
		return DRAW_SCREEN;
	}
	ui_goto(c, "checklist");
	if (arg && *arg)
		snprintf(c->check_uc, sizeof c->check_uc, "%s", arg);
	return DRAW_SCREEN;
}

static bool can_record(console *c)
{
	if (c->o->runbook && c->o->runbook->incident)
		return true;
	ui_message(c, THEME_WARN, "incidents are unavailable: the audit log is not open%s",
	           c->o->notice ? " (see the start-up message)" : " (read-only)");
	return false;
}

static int record_incident(console *c, const char *verb, const char *line)
{
	const ui_runbook_ops *ops = c->o->runbook;
	char err[512], kind[32] = "";
	const char *text = line;
	int64_t id = c->snap ? c->snap->incident : 0, out = 0;
	if (!strcmp(verb, "open")) {
		size_t n = strcspn(line, " ");
		snprintf(kind, sizeof kind, "%.*s", (int)(n < 31 ? n : 31), line);
		text = line + n;
		while (*text == ' ')
			text++;
	} else if (!id) {
		ui_message(c, THEME_WARN, "no incident is open (I opens one)");
		return DRAW_SCREEN;
	}
	if (ops->incident(ops->ctx, verb, id, kind, text, &out, err, sizeof err))
		ui_message(c, THEME_CRIT, "%s", err);
	else if (!strcmp(verb, "open"))
		ui_message(c, THEME_OK,
		           "incident %lld opened: notes (N) and actions are on its "
		           "timeline; tokentop incident export %lld",
		           (long long)out, (long long)out);
	else
		ui_message(c, THEME_OK, "incident %lld: %s recorded", (long long)id, verb);
	c->force_load = true;
	return DRAW_SCREEN | DRAW_DATA;
}

static int act_incident(console *c, int key, const char *arg)
{
	(void)key;
	if (!can_record(c))
		return DRAW_SCREEN;
	if (arg && *arg) { /* ":incident cost TITLE" or ":incident close [REASON]" */
		if (!strncmp(arg, "close", 5) && (arg[5] == 0 || arg[5] == ' ')) {
			const char *why = arg + 5;
			while (*why == ' ')
				why++;
			return record_incident(c, "close", why);
		}
		return record_incident(c, "open", arg);
	}
	if (c->snap && c->snap->incident) {
		ui_message(c, THEME_WARN,
		           "incident %lld is open: N adds a note, :incident close "
		           "closes it",
		           (long long)c->snap->incident);
		return DRAW_SCREEN;
	}
	c->incident_verb = "open";
	start_edit(c, EDIT_INCIDENT, "");
	ui_message(c, THEME_TEXT, "incident: KIND TITLE (kind: cost, latency, outage, safety)");
	return DRAW_SCREEN;
}

static int act_note(console *c, int key, const char *arg)
{
	(void)key;
	if (!can_record(c))
		return DRAW_SCREEN;
	if (arg && *arg)
		return record_incident(c, "note", arg);
	if (!c->snap || !c->snap->incident) {
		ui_message(c, THEME_WARN, "no incident is open (I opens one)");
		return DRAW_SCREEN;
	}
	c->incident_verb = "note";
	start_edit(c, EDIT_INCIDENT, "");
	ui_message(c, THEME_TEXT, "note on incident %lld:", (long long)c->snap->incident);
	return DRAW_SCREEN;
}

static const action actions[] = {
    {"quit", 'q', 0, "q", NULL, "quit", ACT_GLOBAL, act_quit},
    {"help", '?', KEY_F(1), "?", NULL, "show or hide this help", ACT_GLOBAL, act_help},
    {"next", '\t', KEY_BTAB, "Tab", NULL, "next screen (Shift-Tab: previous)", ACT_GLOBAL,
     act_next_screen},
    {"overview", '1', 0, "1", NULL, "the Overview screen", ACT_GLOBAL, act_screen},
    {"spend", '2', 0, "2", NULL, "the Spend screen: breakdowns, drill down", ACT_GLOBAL,
     act_screen},
    {"prompts", '3', 0, "3", NULL, "the Prompts screen", ACT_GLOBAL, act_screen},
    {"routing", '4', 0, "4", NULL, "the Routing screen", ACT_GLOBAL, act_screen},
    {"providers", '5', 0, "5", NULL, "the Providers screen: errors, latency", ACT_GLOBAL,
     act_screen},
    {"inference", '6', 0, "6", NULL, "the Inference screen: self-hosted models", ACT_GLOBAL,
     act_screen},
    {"slos", '7', 0, "7", NULL, "the SLOs screen: burn rates, budget left", ACT_GLOBAL, act_screen},
    {"budgets", '8', 0, "8", NULL, "the Budgets screen", ACT_GLOBAL, act_screen},
    {"alerts", '9', 0, "9", NULL, "the Alerts screen: open and resolved", ACT_GLOBAL, act_screen},
    {"review", 'w', 0, "w", NULL, "the weekly Review screen: this week against the last",
     ACT_GLOBAL, act_screen},
    {"checklist", 'v', 0, "v", "USE_CASE", "the launch-readiness Checklist of a use case",
     ACT_GLOBAL | ACT_ARG, act_checklist},
    {"controls", 'c', 0, "c", NULL, "the Controls screen: what the gateways enforce now",
     ACT_GLOBAL, act_screen},
    {"audit", '0', 0, "0", NULL, "the Audit screen: what was done, by whom", ACT_GLOBAL,
     act_screen},
    {"range", 't', 0, "t", "15m|1h|6h|24h|7d|30d", "cycle (or set) the time range",
     ACT_GLOBAL | ACT_ARG, act_range},
    {"down", 'j', KEY_DOWN, "j Down", NULL, "next row", ACT_TABLE, act_down},
    {"up", 'k', KEY_UP, "k Up", NULL, "previous row", ACT_TABLE, act_up},
    {"page-down", KEY_NPAGE, ' ', "PgDn Space", NULL, "next page", ACT_TABLE, act_down},
    {"page-up", KEY_PPAGE, 0, "PgUp", NULL, "previous page", ACT_TABLE, act_up},
    {"top", 'g', KEY_HOME, "g Home", NULL, "first row", ACT_TABLE, act_up},
    {"bottom", 'G', KEY_END, "G End", NULL, "last row", ACT_TABLE, act_down},
    {"sort", 's', 0, "s", "COLUMN", "sort by the next column (or the one named)",
     ACT_TABLE | ACT_ARG, act_sort},
    {"reverse", 'S', 0, "S", NULL, "reverse the sort", ACT_TABLE, act_sort},
    {"filter", '/', 0, "/", "TEXT", "filter the rows (Esc clears)", ACT_TABLE | ACT_ARG,
     act_filter},
    {"open", '\r', KEY_ENTER, "Enter", NULL,
     "drill down, or go to an alert's scope (on the Overview: the top alert's)", ACT_TABLE,
     act_enter},
    {"back", KEY_ESC, KEY_BACKSPACE, "Esc", NULL, "back up, clear the filter, close help",
     ACT_GLOBAL, act_back},
    {"by", 'd', 0, "d", "use_case|team|tenant|provider|model",
     "Spend: next breakdown; Review: next section", ACT_GLOBAL | ACT_ARG, act_breakdown},
    {"palette", ':', 0, ":", NULL, "the command palette (Tab completes, Up recalls)", ACT_GLOBAL,
     act_palette},
    {"theme", 0, 0, "", "NAME", "switch the theme", ACT_GLOBAL | ACT_ARG, act_theme},
    {"present", 'p', 0, "p", NULL, "presentation mode: tenants behind aliases", ACT_GLOBAL,
     act_present},
    {"incident", 'I', 0, "I", "KIND TITLE|close", "open an incident (audited); :incident close",
     ACT_GLOBAL | ACT_ARG, act_incident},
    {"note", 'N', 0, "N", "TEXT", "a note on the open incident's timeline (audited)",
     ACT_GLOBAL | ACT_ARG, act_note},
    {"refresh", 'r', CTRL('l'), "r ^L", NULL, "read the cache again and redraw", ACT_GLOBAL,
     act_refresh},
    {"screen", 0, 0, "", "NAME", "go to a screen by name", ACT_GLOBAL | ACT_ARG, act_screen_cmd},
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static int act_screen_cmd(console *c, int key, const char *arg)
{
	(void)key;
	if (!arg || ui_goto(c, arg))
		ui_message(c, THEME_WARN, "screen: no screen '%s'", arg ? arg : "");
	return DRAW_SCREEN;
}

static const action *action_named(const char *name, size_t len)
{
	for (size_t i = 0; i < NACTIONS; i++)
		if (strlen(actions[i].name) == len && !strncmp(actions[i].name, name, len))
			return &actions[i];
	return NULL;
}

/* ---- the runbook: key or palette, reason, the plan with its blast radius, confirm, send ---- */

static void rb_close(console *c)
{
	if (c->rb_handle && c->o->runbook)
		c->o->runbook->drop(c->o->runbook->ctx, c->rb_handle);
	c->rb_handle = NULL;
	c->rb = RB_NONE;
	c->rb_action = NULL;
	if (c->edit == EDIT_RUNBOOK) {
		c->edit = EDIT_NONE;
		curs_set(0);
	}
}

static void dispatch(console *c, int flags);

static void on_rb_planned(void *uictx, void *handle, const ui_plan *p)
{
	console *c = uictx;
	if (c->rb != RB_PLANNING) { /* cancelled while the gateway was asked */
		c->o->runbook->drop(c->o->runbook->ctx, handle);
		return;
	}
	c->rb_handle = handle;
	if (p->error[0]) {
		ui_message(c, THEME_CRIT, "%s: %s", c->rb_action->name, p->error);
		rb_close(c);
	} else {
		c->rb_plan = *p;
		c->rb = RB_CONFIRM;
		c->edit = EDIT_RUNBOOK;
		c->line[0] = 0;
		c->linelen = 0;
		curs_set(1);
	}
	dispatch(c, DRAW_SCREEN);
}

static void on_rb_sent(void *uictx, bool applied, const char *message)
{
	console *c = uictx;
	ui_message(c, applied ? THEME_OK : THEME_CRIT, "%s %s: %s",
	           c->rb_action ? c->rb_action->name : "action", applied ? "applied" : "FAILED",
	           message ? message : "");
	c->rb_handle = NULL; /* the send owned the plan */
	rb_close(c);
	c->force_load = true; /* the Controls and Audit screens show it at once */
	dispatch(c, DRAW_SCREEN | DRAW_DATA);
}

/* Whether args already give one of the parameters rb takes ("rps=N tpm=N"). */
static bool has_param(const ui_runbook *rb, const char *args)
{
	for (const char *p = rb->params; p && *p;) {
		size_t n = strcspn(p, "=");
		char key[40];
		snprintf(key, sizeof key, "%.*s=", (int)(n < 30 ? n : 30), p);
		if (strstr(args, key))
			return true;
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return false;
}

/* Opens the panel for rb on args, or on the selected row's scope when args is NULL. */
static int rb_start(console *c, const ui_runbook *rb, const char *args)
{
	if (rb->unavailable) {
		ui_message(c, THEME_WARN, "%s is unavailable: %s", rb->name, rb->unavailable);
		return DRAW_SCREEN;
	}
	char scope[512] = "";
	if (args && *args) {
		snprintf(scope, sizeof scope, "%s", args);
	} else {
		const screen *s = &ui_screens[c->screen];
		grid *g = cur_grid(c);
		const grid_row *r = g ? grid_selected(g) : NULL;
		if (!r || !s->scope || s->scope(c, r, scope, sizeof scope)) {
			ui_message(c, THEME_WARN,
			           rb->lift
			               ? "lift: select a control on the Controls screen (c)"
			               : "%s: select a row that names a use case, team, tenant, "
			                 "provider or model, or :%s KEY=VALUE",
			           rb->name, rb->name);
			return DRAW_SCREEN;
		}
	}
	if (rb->lift && !strstr(scope, "id=")) {
		ui_message(c, THEME_WARN, "lift: select a control on the Controls screen (c)");
		return DRAW_SCREEN;
	}
	if (!rb->lift && strstr(scope, "id=")) {
		ui_message(c, THEME_WARN, "%s acts on a scope; on a control, L lifts it", rb->name);
		return DRAW_SCREEN;
	}
	c->rb_action = rb;
	snprintf(c->rb_args, sizeof c->rb_args, "%s", scope);
	c->rb_reason[0] = 0;
	c->rb = rb->params && !has_param(rb, scope) ? RB_PARAMS : RB_REASON;
	c->help = false;
	start_edit(c, EDIT_RUNBOOK, "");
	return DRAW_SCREEN;
}

/* Enter in the panel: the next step, or the send. */
static int rb_enter(console *c)
{
	const ui_runbook_ops *ops = c->o->runbook;
	char err[1024];
	switch (c->rb) {
	case RB_PARAMS:
		if (!strchr(c->line, '=')) {
			ui_message(c, THEME_WARN, "%s takes %s", c->rb_action->name,
			           c->rb_action->params);
			return DRAW_SCREEN;
		}
		snprintf(c->rb_args + strlen(c->rb_args), sizeof c->rb_args - strlen(c->rb_args),
		         " %s", c->line);
		c->rb = RB_REASON;
		start_edit(c, EDIT_RUNBOOK, "");
		return DRAW_SCREEN;
	case RB_REASON:
		if (!c->line[0]) {
			ui_message(c, THEME_WARN, "a reason is required: it goes in the audit log");
			return DRAW_SCREEN;
		}
		snprintf(c->rb_reason, sizeof c->rb_reason, "%s", c->line);
		c->edit = EDIT_NONE;
		curs_set(0);
		c->rb = RB_PLANNING;
		if (ops->plan(ops->ctx, c->rb_action->name, c->rb_args, c->rb_reason, on_rb_planned,
		              c, err, sizeof err)) {
			ui_message(c, THEME_CRIT, "%s: %s", c->rb_action->name, err);
			rb_close(c);
		}
		return DRAW_SCREEN;
	case RB_CONFIRM: {
		/* in presentation mode the word shown, and so typed, is the alias */
		char word[320];
		rb_shown(c, c->rb_plan.confirm_word, word, sizeof word);
		bool ok = c->rb_plan.typed_confirm
		              ? !strcmp(c->line, word)
		              : (!strcmp(c->line, "y") || !strcmp(c->line, "yes"));
		if (!ok) { /* the default is Cancel */
			ui_message(c, THEME_TEXT, "%s cancelled: nothing was sent",
			           c->rb_action->name);
			rb_close(c);
			return DRAW_SCREEN;
		}
		c->edit = EDIT_NONE;
		curs_set(0);
		c->rb = RB_SENDING;
		void *h = c->rb_handle;
		c->rb_handle = NULL; /* the send takes the plan */
		if (ops->send(ops->ctx, h, on_rb_sent, c, err, sizeof err)) {
			ui_message(c, THEME_CRIT, "%s not sent: %s", c->rb_action->name, err);
			rb_close(c);
		}
		return DRAW_SCREEN;
	}
	default:
		return DRAW_NONE;
	}
}

static void draw_runbook(console *c)
{
	if (c->rb == RB_NONE)
		return;
	int w = COLS - 6 < 110 ? COLS - 6 : 110;
	int h = c->rb == RB_CONFIRM ? c->rb_plan.nlines + 7 : 6;
	int y0 = (LINES - h) / 2 - 1, x0 = (COLS - w) / 2;
	theme_role frame = c->rb_action->dangerous ? THEME_CRIT : THEME_PALETTE;
	attrset(ui_attr(c, THEME_PALETTE));
	for (int y = 0; y < h; y++)
		mvhline(y0 + y, x0, ' ', w);
	attrset(ui_attr(c, frame));
	mvhline(y0, x0, ' ', w);
	char line[1200];
	ui_put(c, y0, x0 + 2, frame, "%s%s  %s", c->rb_action->dangerous ? "DANGER  " : "",
	       c->rb_action->name, rb_shown(c, c->rb_args, line, sizeof line));
	attrset(A_NORMAL);
	int y = y0 + 2;
	char word[320];
	switch (c->rb) {
	case RB_PARAMS:
		ui_put(c, y, x0 + 2, THEME_PALETTE, "parameters: %s (type them below)",
		       c->rb_action->params);
		break;
	case RB_REASON:
		ui_put(c, y, x0 + 2, THEME_PALETTE,
		       "reason (required; recorded in the audit log with your name):");
		break;
	case RB_PLANNING:
		ui_put(c, y, x0 + 2, THEME_PALETTE,
		       "reading the gateway's controls and the blast radius... (Esc cancels)");
		break;
	case RB_SENDING:
		ui_put(c, y, x0 + 2, THEME_PALETTE, "sending (audited, pending until answered)...");
		break;
	case RB_CONFIRM:
		put_cell(y++, x0 + 2, w - 4, rb_shown(c, c->rb_plan.title, line, sizeof line),
		         false);
		for (int i = 0; i < c->rb_plan.nlines; i++)
			put_cell(y++, x0 + 2, w - 4,
			         rb_shown(c, c->rb_plan.lines[i], line, sizeof line), false);
		y++;
		if (c->rb_plan.typed_confirm)
			snprintf(line, sizeof line,
			         "type %.300s and Enter to send; anything else cancels",
			         rb_shown(c, c->rb_plan.confirm_word, word, sizeof word));
		else
			snprintf(line, sizeof line, "y and Enter sends; Enter alone cancels");
		ui_put(c, y, x0 + 2, frame, "%s", line);
		break;
	default:
		break;
	}
}

/* ---- the palette and the filter line ---- */

/* Runs ":NAME [ARG]"; screens answer to their names too ("slo" finds "slos"). */
static int run_command(console *c, const char *line)
{
	while (*line == ' ')
		line++;
	size_t len = strcspn(line, " ");
	if (!len)
		return DRAW_SCREEN;
	const char *arg = line + len;
	while (*arg == ' ')
		arg++;
	const action *a = action_named(line, len);
	if (!a) { /* a unique prefix of an action or screen */
		const action *hit = NULL;
		int hits = 0;
		for (size_t i = 0; i < NACTIONS; i++)
			if (!strncmp(actions[i].name, line, len)) {
				hit = &actions[i];
				hits++;
			}
		if (hits == 1)
			a = hit;
	}
	if (!a && c->o->runbook) { /* a runbook verb, or a unique prefix of one (:kill) */
		const ui_runbook *hit = NULL;
		int hits = 0;
		for (size_t i = 0; i < c->o->runbook->n; i++) {
			const ui_runbook *rb = &c->o->runbook->actions[i];
			if (strlen(rb->name) == len && !strncmp(rb->name, line, len)) {
				hit = rb;
				hits = 1;
				break;
			}
			if (!strncmp(rb->name, line, len)) {
				hit = rb;
				hits++;
			}
		}
		if (hits == 1)
			return rb_start(c, hit, *arg ? arg : NULL);
	}
	if (!a) {
		ui_message(c, THEME_WARN, "no command '%.*s' (? lists them)", (int)len, line);
		return DRAW_SCREEN;
	}
	if (a->run == act_screen) {
		ui_goto(c, a->name);
		return DRAW_SCREEN;
	}
	return a->run(c, a->key, (a->flags & ACT_ARG) ? arg : NULL);
}

static void add_history(console *c, const char *line)
{
	if (!*line || (c->nhistory && !strcmp(c->history[c->nhistory - 1], line)))
		return;
	if (c->nhistory == HISTORY_MAX) {
		memmove(c->history[0], c->history[1], sizeof c->history[0] * (HISTORY_MAX - 1));
		c->nhistory--;
	}
	snprintf(c->history[c->nhistory++], LINE_CAP, "%s", line);
}

/* Completes the word being typed: action names, then the argument values they take. */
static void complete(console *c)
{
	static const char *const themes[] = {"dark", "light", "high-contrast", "colorblind",
	                                     "mono"};
	const char *sp = strchr(c->line, ' ');
	const char *cands[64];
	int n = 0;
	const char *word = c->line;
	if (!sp) {
		for (size_t i = 0; i < NACTIONS && n < 64; i++)
			if (!strncmp(actions[i].name, c->line, c->linelen))
				cands[n++] = actions[i].name;
		for (size_t i = 0; c->o->runbook && i < c->o->runbook->n && n < 64; i++)
			if (!strncmp(c->o->runbook->actions[i].name, c->line, c->linelen))
				cands[n++] = c->o->runbook->actions[i].name;
	} else {
		word = sp + 1;
		size_t cmdlen = (size_t)(sp - c->line);
		const action *a = action_named(c->line, cmdlen);
		if (a && a->run == act_theme)
			for (int i = 0; i < 5; i++)
				cands[n++] = themes[i];
		else if (a && a->run == act_range)
			for (int i = 0; i < UI_NRANGES; i++)
				cands[n++] = ui_range_names[i];
		else if (a && a->run == act_screen_cmd)
			for (int i = 0; i < ui_nscreens; i++)
				cands[n++] = ui_screens[i].cmd;
		else if (a && a->run == act_breakdown) {
			static const char *const by[] = {"use_case", "team", "tenant", "provider",
			                                 "model"};
			for (int i = 0; i < 5; i++)
				cands[n++] = by[i];
		} else if (a && a->run == act_sort && cur_grid(c)) {
			grid *g = cur_grid(c);
			for (int k = 0; k < g->ncols && n < 64; k++)
				cands[n++] = g->cols[k].title;
		}
		int m = 0;
		for (int i = 0; i < n; i++)
			if (!strncasecmp(cands[i], word, strlen(word)))
				cands[m++] = cands[i];
		n = m;
	}
	c->completions[0] = 0;
	if (n == 1) {
		size_t off = (size_t)(word - c->line);
		const action *named = action_named(cands[0], strlen(cands[0]));
		snprintf(c->line + off, sizeof c->line - off, "%s%s", cands[0],
		         word == c->line && (!named || (named->flags & ACT_ARG)) ? " " : "");
		c->linelen = strlen(c->line);
		return;
	}
	size_t k = 0;
	for (int i = 0; i < n && k + 2 < sizeof c->completions; i++)
		k += (size_t)snprintf(c->completions + k, sizeof c->completions - k, "%s ",
		                      cands[i]);
}

static int edit_key(console *c, int key)
{
	grid *g = cur_grid(c);
	switch (key) {
	case KEY_ESC:
		if (c->edit == EDIT_RUNBOOK) {
			ui_message(c, THEME_TEXT, "%s cancelled: nothing was sent",
			           c->rb_action->name);
			rb_close(c);
			return DRAW_SCREEN;
		}
		if (c->edit == EDIT_FILTER && g)
			grid_set_filter(g, c->filter_before);
		c->edit = EDIT_NONE;
		curs_set(0);
		return DRAW_SCREEN;
	case '\r':
	case '\n':
	case KEY_ENTER: {
		if (c->edit == EDIT_RUNBOOK)
			return rb_enter(c);
		if (c->edit == EDIT_INCIDENT) {
			c->edit = EDIT_NONE;
			curs_set(0);
			if (!c->line[0]) {
				ui_message(c, THEME_TEXT, "nothing recorded");
				return DRAW_SCREEN;
			}
			return record_incident(c, c->incident_verb, c->line);
		}
		edit_mode m = c->edit;
		c->edit = EDIT_NONE;
		curs_set(0);
		if (m == EDIT_PALETTE) {
			add_history(c, c->line);
			return run_command(c, c->line) | DRAW_SCREEN;
		}
		return DRAW_SCREEN;
	}
	case KEY_BACKSPACE:
	case 127:
	case CTRL('h'):
		if (c->linelen)
			c->line[--c->linelen] = 0;
		break;
	case CTRL('u'):
		c->linelen = 0;
		c->line[0] = 0;
		break;
	case '\t':
		if (c->edit == EDIT_PALETTE)
			complete(c);
		return DRAW_SCREEN;
	case KEY_UP:
	case KEY_DOWN:
		if (c->edit == EDIT_PALETTE && c->nhistory) {
			c->history_pos += key == KEY_UP ? -1 : 1;
			if (c->history_pos < 0)
				c->history_pos = 0;
			if (c->history_pos >= c->nhistory) {
				c->history_pos = c->nhistory;
				c->line[0] = 0;
			} else
				snprintf(c->line, sizeof c->line, "%s", c->history[c->history_pos]);
			c->linelen = strlen(c->line);
		}
		return DRAW_SCREEN;
	default:
		if (key >= 32 && key < 256 && key != 127 && c->linelen + 1 < sizeof c->line) {
			c->line[c->linelen++] = (char)key;
			c->line[c->linelen] = 0;
		} else
			return DRAW_NONE;
	}
	if (c->edit == EDIT_FILTER && g)
		grid_set_filter(g, c->line); /* the table narrows as you type */
	return DRAW_SCREEN;
}

/* ---- drawing: only the loop calls this ---- */

static void draw_help(console *c)
{
	size_t nrb = c->o->runbook ? c->o->runbook->n : 0;
	size_t total = NACTIONS + nrb;
	int h = (int)total + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	int w = COLS - 8 < 110 ? COLS - 8 : 110;
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
	attrset(ui_attr(c, THEME_PALETTE));
	for (int y = 0; y < h; y++)
		mvhline(y0 + y, x0, ' ', w);
	ui_put(c, y0, x0 + 2, THEME_PALETTE, "Keys (also as :commands; Esc closes)");
	/* two columns when the list does not fit one */
	int per = h - 2, col = 0, row = 0;
	int colw = (int)total > per ? w / 2 : w;
	for (size_t i = 0; i < total; i++) {
		const char *keyname, *name, *help;
		char why[300];
		theme_role role = THEME_PALETTE;
		if (i < NACTIONS) {
			keyname = actions[i].keyname;
			name = actions[i].name;
			help = actions[i].help;
		} else {
			const ui_runbook *rb = &c->o->runbook->actions[i - NACTIONS];
			keyname = rb->keyname;
			name = rb->name;
			help = rb->help;
			if (rb->unavailable) {
				snprintf(why, sizeof why, "unavailable: %s", rb->unavailable);
				help = why;
				role = THEME_DIM;
			} else if (rb->dangerous)
				role = THEME_WARN;
		}
		int x = x0 + 2 + col * colw, y = y0 + 1 + row;
		attrset(ui_attr(c, THEME_HELP_KEY));
		put_cell(y, x, 10, *keyname ? keyname : ":", false);
		attrset(ui_attr(c, role));
		char line[400];
		snprintf(line, sizeof line, "%-14.14s %s", name, help);
		put_cell(y, x + 11, colw - 14, line, false);
		if (++row >= per) {
			row = 0;
			col++;
		}
	}
	attrset(A_NORMAL);
}

/* From the live sources, not the snapshot: the header says PRODUCTION from the first frame,
 * before any data is read, and on the too-small message. */
static bool any_production(console *c)
{
	if (!c->o->sources)
		return false;
	view_source_health h[UI_SOURCES_MAX];
	size_t n = c->o->sources(c->o->sources_ctx, h, UI_SOURCES_MAX);
	for (size_t i = 0; i < n && i < UI_SOURCES_MAX; i++)
		if (h[i].production)
			return true;
	return false;
}

/* The sources as they are now (the live health, as PRODUCTION): the first frame, drawn
 * before any read, already says starting rather than cache only. */
static const char *source_summary(console *c, theme_role *role, char *buf, size_t cap)
{
	view_source_health h[UI_SOURCES_MAX];
	size_t n = c->o->sources ? c->o->sources(c->o->sources_ctx, h, UI_SOURCES_MAX) : 0;
	view_sources_level l =
	    view_sources_summary(h, n < UI_SOURCES_MAX ? n : UI_SOURCES_MAX, buf, cap);
	*role = l == VIEW_SOURCES_ALL_DOWN    ? THEME_CRIT
	        : l == VIEW_SOURCES_SOME_DOWN ? THEME_STALE
	                                      : THEME_HEADER;
	return buf;
}

static void draw(console *c)
{
	erase();
	bool prod = any_production(c);
	if (COLS < MIN_COLS || LINES < MIN_ROWS) {
		int y = 0;
		if (prod)
			ui_put(c, y++, 0, THEME_HEADER_PRODUCTION, " PRODUCTION ");
		ui_put(c, y++, 0, THEME_WARN, "tokentop needs at least %dx%d (this is %dx%d)",
		       MIN_COLS, MIN_ROWS, COLS, LINES);
		ui_put(c, y, 0, THEME_DIM, "enlarge the window, or q to quit");
		refresh();
		return;
	}
	int64_t now = c->snap ? c->snap->now_ms : time_now_ms();
	c->drawn_minute = now / 60000;
	char ts[32];
	time_format_iso(now, ts, sizeof ts);
	ts[16] = 0;
	ts[10] = ' ';
	theme_role hdr = prod ? THEME_HEADER_PRODUCTION : THEME_HEADER;
	attrset(ui_attr(c, hdr));
	mvhline(0, 0, ' ', COLS);
	theme_role srole;
	char sumbuf[96];
	const char *sum = source_summary(c, &srole, sumbuf, sizeof sumbuf);
	/* the newest data's age on every screen once it is stale (as on the Overview) */
	char stale[48] = "";
	if (c->snap && c->snap->have_ov && c->snap->ov.newest_minute_ms >= 0 &&
	    c->snap->ov.data_age_ms > STALE_MS) {
		int64_t m = c->snap->ov.data_age_ms / 60000;
		if (m < 120)
			snprintf(stale, sizeof stale, "data %lldm old", (long long)m);
		else if (m < 48 * 60)
			snprintf(stale, sizeof stale, "data %lldh old", (long long)(m / 60));
		else
			snprintf(stale, sizeof stale, "data %lldd old", (long long)(m / 1440));
	}
	ui_put(c, 0, 1, hdr, "tokentop%s%s%s  %s UTC  range %s  ", c->o->banner ? " [" : "",
	       c->o->banner ? c->o->banner : "", c->o->banner ? "]" : "", ts,
	       ui_range_names[c->range]);
	if (*stale) {
		ui_put(c, 0, getcurx(stdscr), THEME_STALE, "%s %s", theme_role_glyph(THEME_STALE),
		       stale);
		ui_put(c, 0, getcurx(stdscr), hdr, "  ");
	}
	int right = COLS - (int)strlen(sum) - 2;
	/* the cache's name in what the right side leaves */
	int room = right - (prod ? 13 : 0) - (c->present ? 10 : 0) -
	           (c->snap && c->snap->incident ? 17 : 0) - 1 - getcurx(stdscr);
	if (room > 0)
		ui_put(c, 0, getcurx(stdscr), hdr, "%.*s", room,
		       c->o->db_label ? c->o->db_label : "");
	if (prod) {
		ui_put(c, 0, right - 13, THEME_HEADER_PRODUCTION, " PRODUCTION ");
	}
	ui_put(c, 0, right, srole == THEME_HEADER ? hdr : srole, " %s", sum);
	if (c->present)
		ui_put(c, 0, right - (prod ? 23 : 10), hdr, " PRESENT ");
	if (c->snap && c->snap->incident)
		ui_put(c, 0, right - (prod ? 13 : 0) - (c->present ? 10 : 0) - 17, THEME_CRIT,
		       " INCIDENT %-6lld", (long long)c->snap->incident);
	/* every tab named when they fit; else only the shown one, the others by their key */
	int full = 1;
	for (int i = 0; i < ui_nscreens; i++)
		full += (int)strlen(ui_screens[i].name) + 4;
	int x = 1;
	for (int i = 0; i < ui_nscreens; i++) {
		c->tabx[i] = x;
		bool named = full <= COLS || i == c->screen;
		ui_put(c, 1, x, i == c->screen ? THEME_TAB_ACTIVE : THEME_TAB,
		       named ? " %c %s " : " %c ", ui_screens[i].key, ui_screens[i].name);
		x += named ? (int)strlen(ui_screens[i].name) + 4 : 3;
	}
	c->tabx[ui_nscreens] = x;
	const screen *s = &ui_screens[c->screen];
	int top = 3, rows = LINES - 5;
	if (s->draw) {
		int used = s->draw(c, top, rows);
		top += used;
		rows -= used;
	}
	grid *g = cur_grid(c);
	if (g && rows > 1)
		draw_grid(c, g, top, rows);
	else
		c->table_rows = 0;
	/* the status line: an edit in progress, else feedback, else the keys */
	int y = LINES - 1;
	if (c->edit != EDIT_NONE) {
		if (c->completions[0])
			ui_put(c, y - 1, 1, THEME_DIM, "%s", c->completions);
		attrset(ui_attr(c, THEME_PALETTE));
		mvhline(y, 0, ' ', COLS);
		ui_put(c, y, 1, THEME_PALETTE, "%s%s",
		       c->edit == EDIT_PALETTE  ? ":"
		       : c->edit == EDIT_FILTER ? "/"
		                                : ">",
		       c->line);
		if (c->edit == EDIT_INCIDENT && c->msg[0])
			ui_put(c, y - 1, 1, THEME_DIM, "%s", c->msg);
		move(y, 2 + (int)c->linelen);
	} else {
		if (g) {
			char pos[96];
			snprintf(pos, sizeof pos, "%zu/%zu%s%s%s", g->nshown ? g->sel + 1 : 0,
			         g->nshown, g->filter[0] ? "  filter: " : "", g->filter,
			         g->n != g->nshown ? "" : "");
			ui_put(c, y, COLS - (int)strlen(pos) - 2, THEME_DIM, "%s", pos);
		}
		if (c->msg[0])
			ui_put(c, y, 1, c->msg_role, "%s", c->msg);
		else
			ui_put(
			    c, y, 1, THEME_DIM,
			    "q quit  ? help  : commands  / filter  s sort  Tab screens  t range");
	}
	if (c->help)
		draw_help(c);
	draw_runbook(c);
	if (c->edit != EDIT_NONE)
		move(LINES - 1, 2 + (int)c->linelen);
	refresh();
}

/* ---- data: read on the worker, swapped in on the loop ---- */

static void on_loaded(uv_work_t *w, int status);

#define SLOW_EVERY_MS 10000

/* For make bench: the wall clock (ns) when the first frame with data is on the terminal. */
static void mark_first_frame(void)
{
	const char *path = getenv("TOKENTOP_FIRST_FRAME");
	if (!path || !*path)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "%lld%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
		fclose(f);
	}
}

static void load_work(uv_work_t *w)
{
	console *c = w->data;
	snapshot *n = c->next;
	int64_t now = time_now_ms();
	/* c->snap stays as it is until on_loaded, on the loop thread, swaps it */
	snapshot_load(c->rd, c->o, c->next_range, c->next_src, c->next_nsrc, now, c->depth, c->snap,
	              n);
	if (c->weekly_load)
		snapshot_load_weekly(c->rd, c->o, now, n);
	if (c->next_check_uc[0] && c->o->checklist) {
		char err[256] = "";
		snprintf(n->check_uc, sizeof n->check_uc, "%s", c->next_check_uc);
		n->nchecks = c->o->checklist(c->o->checklist_ctx, c->rd, c->next_check_uc,
		                             n->checks, 64, err, sizeof err);
		if (n->nchecks < 0 && !n->err[0])
			snprintf(n->err, sizeof n->err, "the checklist: %.200s", err);
	}
}

/* Reads again when something changed: new data, the minute turned, the range moved, or the
 * user asked. Data that did not change costs one PRAGMA, not a redraw. */
static void request_load(console *c, bool force)
{
	if (force)
		c->force_load = true;
	if (c->loading) {
		c->want_load = true;
		return;
	}
	int64_t now = time_now_ms();
	if (!c->force_load && c->snap && c->snap->range == c->range &&
	    c->snap->now_ms / 60000 == now / 60000 &&
	    store_data_version(c->rd) == c->snap->data_version) {
		bool same_src = true;
		view_source_health h[UI_SOURCES_MAX];
		size_t n = c->o->sources ? c->o->sources(c->o->sources_ctx, h, UI_SOURCES_MAX) : 0;
		if (n != c->snap->nsrc)
			same_src = false;
		for (size_t i = 0; same_src && i < n && i < UI_SOURCES_MAX; i++)
			same_src =
			    h[i].state == c->snap->src[i].state &&
			    (h[i].last_ok_ms / 10000) == (c->snap->src[i].last_ok_ms / 10000);
		if (same_src)
			return;
	}
	bool forced = c->force_load;
	c->force_load = false;
	c->want_load = false;
	c->next = calloc(1, sizeof *c->next);
	if (!c->next)
		return;
	c->next_range = c->range;
	c->next_nsrc = 0;
	if (c->o->sources) {
		view_source_health h[UI_SOURCES_MAX];
		size_t n = c->o->sources(c->o->sources_ctx, h, UI_SOURCES_MAX);
		for (size_t i = 0; i < n && i < UI_SOURCES_MAX; i++) {
			c->next_src[i] = h[i];
			snprintf(c->next_srcname[i], UI_NAME_CAP, "%s", h[i].name ? h[i].name : "");
			c->next_src[i].name = c->next_srcname[i];
		}
		c->next_nsrc = n < UI_SOURCES_MAX ? n : UI_SOURCES_MAX;
	}
	/* the first frame comes from a quick read. New data arrives with every poll of a live
	 * source: the SLO, budget and alert views, which read weeks of rollups when the data
	 * changed, are read again at most every SLOW_EVERY_MS; an unchanged store brings them up
	 * to date for little (the minutes that moved) */
	if (!c->snap)
		c->depth = SNAP_QUICK;
	else if (forced || c->snap->partial || !c->snap->have_slo ||
	         store_data_version(c->rd) == c->snap->data_version ||
	         now - c->snap->slow_ms >= SLOW_EVERY_MS)
		c->depth = SNAP_FULL;
	else
		c->depth = SNAP_CHEAP;
	c->next_check_uc[0] = 0;
	if (c->snap && !strcmp(ui_screens[c->screen].cmd, "checklist")) {
		if (!c->check_uc[0] && c->snap->have_cube) { /* the costliest use case */
			tt_dim by = TT_D_USE_CASE;
			view_rows r = {0};
			if (!view_group(&c->snap->cube, &by, 1, NULL, NULL, &r) && r.n)
				snprintf(c->check_uc, sizeof c->check_uc, "%s", r.rows[0].key[0]);
			view_rows_free(&r);
		}
		snprintf(c->next_check_uc, sizeof c->next_check_uc, "%s", c->check_uc);
	}
	/* the week's review is slow (it replays a week of detectors): only for its screen, at
	 * most every five minutes unless asked */
	c->weekly_load =
	    c->depth != SNAP_QUICK && !strcmp(ui_screens[c->screen].cmd, "review") &&
	    (!c->snap->weekly || forced || time_now_ms() - c->snap->weekly_ms > 300000);
	c->loading = true;
	c->work.data = c;
	uv_queue_work(c->loop, &c->work, load_work, on_loaded);
}

static void dispatch(console *c, int flags);

static void on_loaded(uv_work_t *w, int status)
{
	console *c = w->data;
	c->loading = false;
	if (status == UV_ECANCELED || c->quit) {
		snapshot_free(c->next);
		free(c->next);
		c->next = NULL;
		return;
	}
	if (c->snap) {
		if (!c->next->weekly) { /* keep the week's review until it is read again */
			c->next->weekly = c->snap->weekly;
			c->next->weekly_ms = c->snap->weekly_ms;
			c->snap->weekly = NULL;
		}
		snapshot_free(c->snap);
		free(c->snap);
	}
	c->snap = c->next;
	c->next = NULL;
	for (int i = 0; i < ui_nscreens; i++)
		fill_grid(c, i);
	int flags = DRAW_SCREEN;
	if (c->want_load)
		flags |= DRAW_DATA; /* asked for while reading: read again if anything changed */
	if (c->snap->partial) {
		flags |= DRAW_DATA;
		c->force_load = true; /* the rest of the first frame */
	}
	dispatch(c, flags);
	if (!c->first_frame_done) {
		c->first_frame_done = true;
		mark_first_frame();
	}
}

static void dispatch(console *c, int flags)
{
	if (c->quit) {
		uv_stop(c->loop);
		return;
	}
	if (flags & DRAW_DATA)
		request_load(c, false);
	else if (c->snap && !c->snap->partial && !c->snap->weekly &&
	         !strcmp(ui_screens[c->screen].cmd, "review"))
		request_load(c, true); /* the Review screen shown for the first time */
	else if (c->snap && !c->snap->partial && !strcmp(ui_screens[c->screen].cmd, "checklist") &&
	         (!c->snap->check_uc[0] || strcmp(c->snap->check_uc, c->check_uc)))
		request_load(c, true); /* the Checklist screen, or another use case */
	if (flags & DRAW_FILL)
		fill_grid(c, c->screen);
	if (flags & (DRAW_SCREEN | DRAW_FILL))
		draw(c);
}

/* ---- input ---- */

static int mouse_event(console *c)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return DRAW_NONE;
	grid *g = cur_grid(c);
	if (ev.bstate & (BUTTON4_PRESSED)) {
		if (g)
			grid_move(g, -3, page_rows(c));
		return DRAW_SCREEN;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		if (g)
			grid_move(g, 3, page_rows(c));
		return DRAW_SCREEN;
	}
#endif
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED)))
		return DRAW_NONE;
	if (ev.y == 1) {
		for (int i = 0; i < ui_nscreens; i++)
			if (ev.x >= c->tabx[i] && ev.x < c->tabx[i + 1]) {
				c->screen = i;
				return DRAW_SCREEN;
			}
		return DRAW_NONE;
	}
	if (!g || !c->table_rows)
		return DRAW_NONE;
	if (ev.y == c->table_top) {
		for (int k = g->ncols - 1; k >= 0; k--)
			if (c->colx[k] >= 0 && ev.x >= c->colx[k]) {
				grid_sort_by(g, k);
				return DRAW_SCREEN;
			}
		return DRAW_NONE;
	}
	int row = ev.y - c->table_top - 1;
	if (row >= 0 && row < c->table_rows - 1 && g->top + (size_t)row < g->nshown) {
		grid_select(g, g->top + (size_t)row, page_rows(c));
		if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
			return act_enter(c, '\r', NULL);
		return DRAW_SCREEN;
	}
	return DRAW_NONE;
}

static int key_event(console *c, int key)
{
	if (c->edit != EDIT_NONE)
		return edit_key(c, key);
	if (key == KEY_MOUSE)
		return mouse_event(c);
	if (key == KEY_RESIZE)
		return DRAW_SCREEN;
	if (key == '\n')
		key = '\r';
	c->msg[0] = 0;
	if (c->help && key != '?' && key != KEY_ESC && key != 'q' && key != KEY_F(1)) {
		c->help = false; /* any other key closes the help, as in less */
		return DRAW_SCREEN;
	}
	if (c->rb == RB_PLANNING && key == KEY_ESC) {
		ui_message(c, THEME_TEXT, "%s cancelled: nothing was sent", c->rb_action->name);
		c->rb = RB_NONE; /* the plan is dropped when it arrives */
		c->rb_action = NULL;
		return DRAW_SCREEN;
	}
	if (c->rb != RB_NONE)
		return DRAW_NONE; /* planning or sending: the panel has the keys */
	for (size_t i = 0; c->o->runbook && i < c->o->runbook->n; i++)
		if (c->o->runbook->actions[i].key == key && key)
			return rb_start(c, &c->o->runbook->actions[i], NULL);
	bool table = cur_grid(c) != NULL;
	for (size_t i = 0; i < NACTIONS; i++) {
		const action *a = &actions[i];
		if ((a->key == key || (a->key2 && a->key2 == key)) && key &&
		    ((a->flags & ACT_GLOBAL) || table))
			return a->run(c, key, NULL);
	}
	return DRAW_NONE;
}

static void on_input(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	console *c = h->data;
	int flags = 0, key;
	while ((key = getch()) != ERR) {
		flags |= key_event(c, key);
		if (c->quit)
			break;
	}
	dispatch(c, flags);
}

static void on_resize(uv_signal_t *h, int sig)
{
	(void)sig;
	console *c = h->data;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	dispatch(c, DRAW_SCREEN);
}

static void on_stop(uv_signal_t *h, int sig)
{
	(void)sig;
	console *c = h->data;
	c->quit = true;
	uv_stop(c->loop);
}

/* The signals whose default would kill the console with the terminal left raw. */
static const int stop_signals[UI_STOP_SIGNALS] = {SIGINT,  SIGTERM, SIGHUP,
                                                  SIGQUIT, SIGUSR1, SIGUSR2};

/* Ctrl-Z: the terminal is handed back before the stop and taken again on SIGCONT. */
static void on_suspend(uv_signal_t *h, int sig)
{
	(void)sig;
	console *c = h->data;
	def_prog_mode();
	endwin();
	fflush(stdout);
	kill(getpid(), SIGSTOP);
	reset_prog_mode();
	clearok(curscr, TRUE);
	dispatch(c, DRAW_SCREEN);
}

static void on_tick(uv_timer_t *t)
{
	console *c = t->data;
	request_load(c, false);
	/* expiry countdowns tick on the Controls screen */
	if (!c->loading && !strcmp(ui_screens[c->screen].cmd, "controls") && c->snap &&
	    c->grids[c->screen].n)
		dispatch(c, DRAW_FILL);
	/* the clock in the header is minutes: redraw when it turns, not every second */
	if (!c->loading && time_now_ms() / 60000 != c->drawn_minute)
		dispatch(c, DRAW_SCREEN);
}

static void on_closed(uv_handle_t *h)
{
	console *c = h->data;
	c->open_handles--;
}

static int setup_look(console *c, const char *name, char *err, size_t errlen)
{
	theme t;
	theme_defaults(&t);
	char dirs[THEME_DIRS_MAX][THEME_PATH_CAP], path[THEME_PATH_CAP];
	int nd = theme_default_dirs(dirs, THEME_DIRS_MAX);
	const char *dp[THEME_DIRS_MAX];
	for (int i = 0; i < nd; i++)
		dp[i] = dirs[i];
	bool asked = name != NULL;
	if (!name)
		name = "dark";
	if (theme_find(name, dp, nd, path, sizeof path, err, errlen) == 0) {
		if (theme_load(path, &t, err, errlen))
			return -1;
	} else if (asked) {
		return -1; /* asked for by name and not found: err says where it looked */
	}
	theme_resolve(&t, has_colors() ? COLORS : 0, theme_no_color_env(), &c->look);
	theme_apply(&c->look);
	snprintf(c->theme_name, sizeof c->theme_name, "%s", name);
	return 0;
}

int ui_run(const ui_opts *o, char *err, size_t errlen)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen,
		         "the console needs a terminal (try tokentop report for text)");
		return -1;
	}
#ifdef __GLIBC__
	/* glibc gives each thread that allocates an arena of its own, and the reads land on
	 * whichever pool thread is free: each arena kept a read's peak, and the console grew by a
	 * read's worth per thread. Two threads allocate here; one arena serves them. */
	mallopt(M_ARENA_MAX, 1);
#endif
	console *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->o = o;
	c->range = 1;
	c->present = o->present;
	for (int i = 0; i < 16; i++)
		c->grids[i].sort_col = -1;
	/* the screens read rollups, small and hot: a big page cache would only be resident */
	store_opts so = {.readonly = true, .cache_kib = 256};
	c->rd = store_open(o->db_path, &so, err, errlen);
	if (!c->rd) {
		free(c);
		return -1;
	}
	setlocale(LC_ALL, "");
	c->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
		signal(crashes[i], on_crash);
	atexit(restore_terminal);
	if (!initscr()) {
		snprintf(err, errlen, "cannot start the terminal (is TERM set?)");
		store_close(c->rd);
		free(c);
		return -1;
	}
	curses_on = true;
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	              | BUTTON5_PRESSED
#endif
	          ,
	          NULL);
	mouseinterval(200);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	if (setup_look(c, o->theme, err, errlen)) {
		restore_terminal();
		store_close(c->rd);
		free(c);
		return -1;
	}
	if (o->loop)
		c->loop = o->loop;
	else {
		uv_loop_init(&c->own_loop);
		c->loop = &c->own_loop;
	}
	uv_poll_init(c->loop, &c->input, STDIN_FILENO);
	c->input.data = c;
	uv_poll_start(&c->input, UV_READABLE, on_input);
	uv_signal_init(c->loop, &c->sigwinch);
	c->sigwinch.data = c;
	uv_signal_start(&c->sigwinch, on_resize, SIGWINCH);
	uv_signal_init(c->loop, &c->sigtstp);
	c->sigtstp.data = c;
	uv_signal_start(&c->sigtstp, on_suspend, SIGTSTP);
	for (int i = 0; i < UI_STOP_SIGNALS; i++) {
		uv_signal_init(c->loop, &c->stops[i]);
		c->stops[i].data = c;
		uv_signal_start(&c->stops[i], on_stop, stop_signals[i]);
	}
	uv_timer_init(c->loop, &c->tick);
	c->tick.data = c;
	long every = o->refresh_ms > 0 ? o->refresh_ms : 1000;
	uv_timer_start(&c->tick, on_tick, (uint64_t)every, (uint64_t)every);
	if (o->notice)
		ui_message(c, THEME_WARN, "%s", o->notice);
	draw(c); /* the frame at once; the data follows from the worker */
	request_load(c, true);
	uv_run(c->loop, UV_RUN_DEFAULT);
	c->quit = true;
	uv_handle_t *mine[4 + UI_STOP_SIGNALS] = {
	    (uv_handle_t *)&c->input, (uv_handle_t *)&c->sigwinch, (uv_handle_t *)&c->sigtstp,
	    (uv_handle_t *)&c->tick};
	for (int i = 0; i < UI_STOP_SIGNALS; i++)
		mine[4 + i] = (uv_handle_t *)&c->stops[i];
	c->open_handles = (int)(sizeof mine / sizeof mine[0]);
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
		mine[i]->data = c;
		uv_close(mine[i], on_closed);
	}
	restore_terminal();
	/* let a read in flight finish (it cannot be interrupted) and the handles close; the
	 * caller's own handles on a shared loop are the caller's to close */
	while (c->loading || c->open_handles > 0)
		uv_run(c->loop, UV_RUN_ONCE);
	if (!o->loop)
		uv_loop_close(&c->own_loop);
	if (c->snap) {
		snapshot_free(c->snap);
		free(c->snap);
	}
	for (int i = 0; i < 16; i++)
		grid_free(&c->grids[i]);
	store_close(c->rd);
	free(c);
	return 0;
}
