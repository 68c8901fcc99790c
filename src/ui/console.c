/* The console: one libuv loop for keys, signals and data refresh; only the loop draws. */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <curses.h>
#include <uv.h>

#include "tokentop/money.h"
#include "tokentop/inference.h"
#include "tokentop/overview.h"
#include "tokentop/theme.h"
#include "tokentop/timeutil.h"
#include "tokentop/ui.h"
#include "tokentop/view.h"

#define MIN_COLS 80
#define MIN_ROWS 24

/* What a handler asks the loop to do next. */
enum { DRAW_NONE = 0, DRAW_SCREEN = 1, DRAW_DATA = 2 };

/* Action flags (the runbook actions will add DANGEROUS, CONFIRM, AUDITED). */
enum { ACT_GLOBAL = 1 << 0 };

typedef struct console console;

typedef struct action {
	const char *name;
	int key;
	const char *keyname;
	const char *help;
	unsigned flags;
	int (*run)(console *c, int key);
} action;

typedef struct screen {
	const char *name;
	int key;
	void (*draw)(console *c, int top, int rows);
} screen;

static const int64_t ranges_ms[] = {15 * 60000LL, 3600000LL,      6 * 3600000LL,
                                    86400000LL,   7 * 86400000LL, 30 * 86400000LL};
static const char *const range_names[] = {"15m", "1h", "6h", "24h", "7d", "30d"};
#define NRANGES (sizeof ranges_ms / sizeof ranges_ms[0])

struct console {
	const ui_opts *o;
	uv_loop_t *loop;
	uv_poll_t input;
	uv_signal_t sigwinch, sigint, sigterm;
	uv_timer_t refresh;
	theme_resolved look;
	bool utf8, quit, help;
	int screen;
	size_t range;
	int64_t now_ms;
	view_overview ov;
	bool have_ov;
	view_prompts prompts;
	bool have_prompts;
	view_routing routing;
	bool have_routing;
	view_slo slo;
	bool have_slo;
	view_alerts alerts;
	bool have_alerts;
	view_inference inference;
	bool have_inference;
	char err[256];
};

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

static unsigned long attr_of(console *c, theme_role r)
{
	return theme_curses_attr(&c->look, r);
}

static void put(console *c, int y, int x, theme_role r, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void put(console *c, int y, int x, theme_role r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	attrset(attr_of(c, r));
	mvaddnstr(y, x, buf, COLS - x > 0 ? COLS - x : 0);
	attrset(A_NORMAL);
}

static const char *usd(int64_t micros, char *buf, size_t cap)
{
	money_format_human(micros, buf, cap);
	return buf;
}

/* ---- data ---- */

static void free_data(console *c)
{
	if (c->have_ov)
		view_overview_free(&c->ov);
	if (c->have_prompts)
		view_prompts_free(&c->prompts);
	if (c->have_routing)
		view_routing_free(&c->routing);
	if (c->have_slo)
		view_slo_free(&c->slo);
	if (c->have_alerts)
		view_alerts_free(&c->alerts);
	if (c->have_inference)
		view_inference_free(&c->inference);
	c->have_ov = c->have_prompts = c->have_routing = false;
	c->have_slo = c->have_alerts = c->have_inference = false;
}

static void load_data(console *c)
{
	free_data(c);
	c->now_ms = time_now_ms();
	const ui_opts *o = c->o;
	c->err[0] = 0;
	c->have_ov = view_overview_build(o->st, o->slos, o->nslos, o->budgets, o->nbudgets, NULL, 0,
	                                 c->now_ms, &c->ov, c->err, sizeof c->err) == 0;
	int64_t since = c->now_ms - ranges_ms[c->range];
	c->have_prompts =
	    view_prompts_build(o->st, since, c->now_ms, 0, &c->prompts, c->err, sizeof c->err) == 0;
	c->have_routing =
	    view_routing_build(o->st, since, c->now_ms, &c->routing, c->err, sizeof c->err) == 0;
	c->have_slo = view_slo_build(o->st, o->slos, o->nslos, c->now_ms, &c->slo, c->err,
	                             sizeof c->err) == 0;
	c->have_alerts =
	    view_alerts_build(o->st, c->now_ms, &c->alerts, c->err, sizeof c->err) == 0;
	c->have_inference = view_inference_build(o->st, &c->inference, c->err, sizeof c->err) == 0;
}

/* ---- screens ---- */

static void sparkline(console *c, int y, int x, const int64_t *v, int n)
{
	static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii[] = " .:-=+*#";
	int64_t max = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	attrset(attr_of(c, THEME_SPARK));
	for (int i = 0; i < n && x + i < COLS; i++) {
		int lvl = max ? (int)(v[i] * 7 / max) : 0;
		if (c->utf8)
			mvaddstr(y, x + i, blocks[lvl]);
		else
			mvaddch(y, x + i, (chtype)ascii[lvl]);
	}
	attrset(A_NORMAL);
}

static void draw_overview(console *c, int top, int rows)
{
	char a[48], b[48], d[48];
	if (!c->have_ov) {
		put(c, top, 2, THEME_CRIT, "cannot read the cache: %s", c->err);
		return;
	}
	const view_overview *v = &c->ov;
	int y = top;
	put(c, y, 2, THEME_TITLE, "Spend now");
	put(c, y, 20, THEME_MONEY, "%s/min", usd(v->spend_per_min_micros, a, sizeof a));
	sparkline(c, y++, 38, v->spark_micros, VIEW_OVERVIEW_SPARK);
	put(c, y, 2, THEME_TITLE, "Today");
	put(c, y, 20, THEME_MONEY, "%s", usd(v->today_micros, a, sizeof a));
	put(c, y, 38, THEME_TITLE, "Month to date");
	put(c, y++, 56, THEME_MONEY, "%s", usd(v->month_micros, b, sizeof b));
	if (v->has_budget) {
		const view_budget_row *r = &v->budget;
		put(c, y, 2, THEME_TITLE, "Budget");
		put(c, y++, 20, r->state == BUDGET_OK ? THEME_OK : THEME_WARN,
		    "%s of %s, forecast %s", usd(r->spent_micros, a, sizeof a),
		    usd(r->spec->amount_micros, b, sizeof b), usd(r->fc.point_micros, d, sizeof d));
	}
	put(c, y, 2, THEME_TITLE, "Traffic");
	put(c, y++, 20, THEME_TEXT, "%.1f req/s   %.0f tokens/s", v->requests_per_s,
	    v->tokens_per_s);
	put(c, y, 2, THEME_TITLE, "Data");
	if (v->newest_minute_ms < 0)
		put(c, y++, 20, THEME_STALE, "%s the cache is empty",
		    theme_role_glyph(THEME_STALE));
	else {
		char ts[32];
		time_format_iso(v->newest_minute_ms, ts, sizeof ts);
		ts[16] = 0;
		put(c, y++, 20, v->data_age_ms > 300000 ? THEME_STALE : THEME_TEXT,
		    "newest minute %s UTC (%lld s old)", ts + 11,
		    (long long)(v->data_age_ms / 1000));
	}
	y++;
	put(c, y++, 2, THEME_TITLE, "Alerts (%zu)", v->nalerts);
	for (size_t i = 0; i < v->nalerts && y < top + rows; i++, y++) {
		const view_overview_alert *al = &v->alerts[i];
		theme_role role = al->level == VIEW_OVERVIEW_PAGE     ? THEME_ALERT_PAGE
		                  : al->level == VIEW_OVERVIEW_TICKET ? THEME_ALERT_TICKET
		                                                      : THEME_WARN;
		const char *what = al->level == VIEW_OVERVIEW_ANOMALY
		                       ? anomaly_kind_name(al->anomaly.kind)
		                       : al->slo->name;
		put(c, y, 4, role, "%-8s %s", view_overview_level_name(al->level), what);
	}
	if (!v->nalerts)
		put(c, y, 4, THEME_OK, "%s none", theme_role_glyph(THEME_OK));
}

static void draw_prompts(console *c, int top, int rows)
{
	if (!c->have_prompts) {
		put(c, top, 2, THEME_CRIT, "cannot read the cache: %s", c->err);
		return;
	}
	char a[48], b[48];
	put(c, top, 2, THEME_TITLE, "%-28s %-8s %10s %12s %12s", "prompt", "version", "requests",
	    "cost", "cost/req");
	for (size_t i = 0; i < c->prompts.rows.n && (int)i < rows - 1; i++) {
		const view_row *r = &c->prompts.rows.rows[i];
		int64_t n = r->m[TT_M_REQUESTS];
		put(c, top + 1 + (int)i, 2, THEME_TEXT, "%-28.28s %-8.8s %10lld %12s %12s",
		    *r->key[0] ? r->key[0] : "(none)", r->key[1], (long long)n,
		    usd(r->m[TT_M_COST_MICROS], a, sizeof a),
		    usd(view_ratio_round(r->m[TT_M_COST_MICROS], n), b, sizeof b));
	}
}

static void draw_routing(console *c, int top, int rows)
{
	if (!c->have_routing) {
		put(c, top, 2, THEME_CRIT, "cannot read the cache: %s", c->err);
		return;
	}
	put(c, top, 2, THEME_TITLE, "%-22s %-10s %-26s %8s %6s", "use case", "provider", "model",
	    "requests", "share");
	int y = top + 1;
	for (size_t i = 0; i < c->routing.nroutes && y < top + rows; i++) {
		const view_route *r = &c->routing.routes[i];
		for (size_t k = r->first; k < r->first + r->n && y < top + rows; k++, y++) {
			const view_row *t = &c->routing.targets.rows[k];
			put(c, y, 2, THEME_TEXT, "%-22.22s %-10.10s %-26.26s %8lld %5.1f%%",
			    k == r->first ? r->use_case : "", t->key[1], t->key[2],
			    (long long)t->m[TT_M_REQUESTS],
			    r->requests ? 100.0 * (double)t->m[TT_M_REQUESTS] / (double)r->requests
			                : 0.0);
		}
	}
}

static void draw_slos(console *c, int top, int rows)
{
	if (!c->have_slo) {
		put(c, top, 2, THEME_CRIT, "cannot read the cache: %s", c->err);
		return;
	}
	if (!c->slo.n) {
		put(c, top, 2, THEME_DIM,
		    "no SLOs configured ([slo NAME] sections, docs/config.md)");
		return;
	}
	char head[160] = "";
	int n = snprintf(head, sizeof head, "%-24s", "SLO");
	for (int w = 0; w < SLO_WINDOW_COUNT; w++)
		n += snprintf(head + n, sizeof head - (size_t)n, "%7s",
		              slo_window_name((slo_window)w));
	snprintf(head + n, sizeof head - (size_t)n, "  %8s  %s", "budget", "state");
	put(c, top, 2, THEME_TITLE, "%s", head);
	for (size_t i = 0; i < c->slo.n && (int)i < rows - 1; i++) {
		const view_slo_row *r = &c->slo.rows[i];
		char line[200];
		int k = snprintf(line, sizeof line, "%-24.24s", r->spec->name);
		for (int w = 0; w < SLO_WINDOW_COUNT; w++)
			k +=
			    snprintf(line + k, sizeof line - (size_t)k, "%7.2f", r->status.burn[w]);
		const char *alert = slo_alert_name(r->status.alert);
		snprintf(line + k, sizeof line - (size_t)k, "  %7.1f%%  %s",
		         100.0 * r->status.budget_remaining, alert ? alert : "ok");
		put(c, top + 1 + (int)i, 2,
		    !alert                   ? THEME_TEXT
		    : !strcmp(alert, "page") ? THEME_ALERT_PAGE
		                             : THEME_ALERT_TICKET,
		    "%s", line);
	}
}

static void draw_alerts(console *c, int top, int rows)
{
	if (!c->have_alerts) {
		put(c, top, 2, THEME_CRIT, "cannot read the cache: %s", c->err);
		return;
	}
	put(c, top, 2, THEME_TITLE, "%-10s %-20s %-28s %12s %12s  %s", "state", "kind", "scope",
	    "value", "baseline", "since");
	if (!c->alerts.n)
		put(c, top + 1, 2, THEME_OK, "%s no alerts in the last hours",
		    theme_role_glyph(THEME_OK));
	for (size_t i = 0; i < c->alerts.n && (int)i < rows - 1; i++) {
		const anomaly_alert *a = &c->alerts.alerts[i];
		bool firing = a->resolved_ms < 0;
		char ts[32];
		time_format_iso(a->since_ms, ts, sizeof ts);
		ts[16] = 0;
		const char *sev = anomaly_severity_name(a->severity);
		put(c, top + 1 + (int)i, 2,
		    !firing                             ? THEME_DIM
		    : (sev && !strcmp(sev, "critical")) ? THEME_CRIT
		                                        : THEME_WARN,
		    "%-10s %-20.20s %-28.28s %12.4g %12.4g  %s",
		    firing ? (sev ? sev : "open") : "resolved", anomaly_kind_name(a->kind),
		    a->scope, a->value, a->baseline, ts);
	}
}

static void draw_inference(console *c, int top, int rows)
{
	if (!c->have_inference) {
		put(c, top, 2, THEME_CRIT, "cannot read the cache: %s", c->err);
		return;
	}
	if (!c->inference.n) {
		put(c, top, 2, THEME_DIM,
		    "no inference servers scraped (tokentop sync --scrape NAME=URL,vllm)");
		return;
	}
	put(c, top, 2, THEME_TITLE, "%-12s %-26s %8s %8s %9s %10s %10s", "source", "model",
	    "running", "waiting", "kv cache", "ttft p50", "ttft p95");
	for (size_t i = 0; i < c->inference.n && (int)i < rows - 1; i++) {
		const view_server *s = &c->inference.servers[i];
		put(c, top + 1 + (int)i, 2, s->kv_cache_usage > 0.9 ? THEME_WARN : THEME_TEXT,
		    "%-12.12s %-26.26s %8.0f %8.0f %8.1f%% %9.3fs %9.3fs", s->source, s->model_name,
		    s->requests_running, s->requests_waiting, 100.0 * s->kv_cache_usage,
		    s->ttft_p50_s, s->ttft_p95_s);
	}
}

static const screen screens[] = {
    {"Overview", '1', draw_overview}, {"Prompts", '2', draw_prompts},
    {"Routing", '3', draw_routing},   {"SLOs", '4', draw_slos},
    {"Alerts", '5', draw_alerts},     {"Inference", '6', draw_inference},
};
#define NSCREENS ((int)(sizeof screens / sizeof screens[0]))

/* ---- actions: one table binds the keys and writes the help ---- */

static int act_quit(console *c, int key)
{
	(void)key;
	c->quit = true;
	return DRAW_NONE;
}

static int act_help(console *c, int key)
{
	(void)key;
	c->help = !c->help;
	return DRAW_SCREEN;
}

static int act_next_screen(console *c, int key)
{
	(void)key;
	c->screen = (c->screen + 1) % NSCREENS;
	return DRAW_SCREEN;
}

static int act_screen(console *c, int key)
{
	for (int i = 0; i < NSCREENS; i++)
		if (screens[i].key == key)
			c->screen = i;
	return DRAW_SCREEN;
}

static int act_range(console *c, int key)
{
	(void)key;
	c->range = (c->range + 1) % NRANGES;
	return DRAW_DATA;
}

static int act_refresh(console *c, int key)
{
	(void)c;
	(void)key;
	clearok(curscr, TRUE);
	return DRAW_DATA;
}

static const action actions[] = {
    {"quit", 'q', "q", "quit", ACT_GLOBAL, act_quit},
    {"help", '?', "?", "show or hide this help", ACT_GLOBAL, act_help},
    {"next-screen", '\t', "Tab", "next screen", ACT_GLOBAL, act_next_screen},
    {"overview", '1', "1", "the Overview screen", ACT_GLOBAL, act_screen},
    {"prompts", '2', "2", "the Prompts screen", ACT_GLOBAL, act_screen},
    {"routing", '3', "3", "the Routing screen", ACT_GLOBAL, act_screen},
    {"slos", '4', "4", "the SLOs screen: burn rates, budget left", ACT_GLOBAL, act_screen},
    {"alerts", '5', "5", "the Alerts screen: open and resolved", ACT_GLOBAL, act_screen},
    {"inference", '6', "6", "the Inference screen: self-hosted models", ACT_GLOBAL, act_screen},
    {"range", 't', "t", "cycle the time range (15m 1h 6h 24h 7d 30d)", ACT_GLOBAL, act_range},
    {"refresh", 'r', "r", "read the cache again and redraw", ACT_GLOBAL, act_refresh},
};
#define NACTIONS (sizeof actions / sizeof actions[0])

/* ---- drawing: only the loop calls this ---- */

static void draw(console *c)
{
	erase();
	if (COLS < MIN_COLS || LINES < MIN_ROWS) {
		put(c, 0, 0, THEME_WARN, "tokentop needs at least %dx%d (this is %dx%d)", MIN_COLS,
		    MIN_ROWS, COLS, LINES);
		refresh();
		return;
	}
	char ts[32];
	time_format_iso(c->now_ms, ts, sizeof ts);
	ts[19] = 0;
	attrset(attr_of(c, THEME_HEADER));
	mvhline(0, 0, ' ', COLS);
	put(c, 0, 1, THEME_HEADER, "tokentop  %s  %s UTC  range %s  (cache only)",
	    c->o->db_label ? c->o->db_label : "", ts, range_names[c->range]);
	int x = 1;
	for (int i = 0; i < NSCREENS; i++) {
		put(c, 1, x, i == c->screen ? THEME_TAB_ACTIVE : THEME_TAB, " %c %s ",
		    screens[i].key, screens[i].name);
		x += (int)strlen(screens[i].name) + 5;
	}
	screens[c->screen].draw(c, 3, LINES - 4);
	put(c, LINES - 1, 1, THEME_DIM, "q quit  ? help  Tab screens  t range  r refresh");
	if (c->help) {
		int h = (int)NACTIONS + 4, w = COLS - 8 < 88 ? COLS - 8 : 88;
		int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
		attrset(attr_of(c, THEME_PALETTE));
		for (int y = 0; y < h; y++)
			mvhline(y0 + y, x0, ' ', w);
		put(c, y0 + 1, x0 + 2, THEME_PALETTE, "Help: keys");
		for (size_t i = 0; i < NACTIONS; i++) {
			put(c, y0 + 2 + (int)i, x0 + 2, THEME_HELP_KEY, "%-5s", actions[i].keyname);
			put(c, y0 + 2 + (int)i, x0 + 9, THEME_PALETTE, "%-12s %s", actions[i].name,
			    actions[i].help);
		}
	}
	refresh();
}

/* ---- the loop ---- */

static void dispatch(console *c, int flags)
{
	if (c->quit) {
		uv_stop(c->loop);
		return;
	}
	if (flags & DRAW_DATA)
		load_data(c);
	if (flags)
		draw(c);
}

static void on_input(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	console *c = h->data;
	int flags = 0, key;
	while ((key = getch()) != ERR) {
		for (size_t i = 0; i < NACTIONS; i++)
			if (actions[i].key == key)
				flags |= actions[i].run(c, key);
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

static void on_refresh(uv_timer_t *t)
{
	dispatch(t->data, DRAW_DATA);
}

static int setup_look(console *c, char *err, size_t errlen)
{
	theme t;
	theme_defaults(&t);
	const char *name = c->o->theme ? c->o->theme : "dark";
	char dirs[THEME_DIRS_MAX][THEME_PATH_CAP], path[THEME_PATH_CAP];
	int nd = theme_default_dirs(dirs, THEME_DIRS_MAX);
	const char *dp[THEME_DIRS_MAX];
	for (int i = 0; i < nd; i++)
		dp[i] = dirs[i];
	if (theme_find(name, dp, nd, path, sizeof path, err, errlen) == 0) {
		if (theme_load(path, &t, err, errlen))
			return -1;
	} else if (c->o->theme) {
		return -1; /* asked for by name and not found: err says where it looked */
	}
	theme_resolve(&t, has_colors() ? COLORS : 0, theme_no_color_env(), &c->look);
	theme_apply(&c->look);
	return 0;
}

int ui_run(const ui_opts *o, char *err, size_t errlen)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen,
		         "the console needs a terminal (try tokentop report for text)");
		return -1;
	}
	setlocale(LC_ALL, "");
	console c = {.o = o, .range = 1};
	c.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
		signal(crashes[i], on_crash);
	atexit(restore_terminal);
	if (!initscr()) {
		snprintf(err, errlen, "cannot start the terminal (is TERM set?)");
		return -1;
	}
	curses_on = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	if (setup_look(&c, err, errlen)) {
		restore_terminal();
		return -1;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	c.loop = &loop;
	uv_poll_init(&loop, &c.input, STDIN_FILENO);
	c.input.data = &c;
	uv_poll_start(&c.input, UV_READABLE, on_input);
	uv_signal_init(&loop, &c.sigwinch);
	uv_signal_init(&loop, &c.sigint);
	uv_signal_init(&loop, &c.sigterm);
	c.sigwinch.data = c.sigint.data = c.sigterm.data = &c;
	uv_signal_start(&c.sigwinch, on_resize, SIGWINCH);
	uv_signal_start(&c.sigint, on_stop, SIGINT);
	uv_signal_start(&c.sigterm, on_stop, SIGTERM);
	uv_timer_init(&loop, &c.refresh);
	c.refresh.data = &c;
	long every = o->refresh_ms > 0 ? o->refresh_ms : 1000;
	uv_timer_start(&c.refresh, on_refresh, (uint64_t)every, (uint64_t)every);
	dispatch(&c, DRAW_DATA);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&c.input, NULL);
	uv_close((uv_handle_t *)&c.sigwinch, NULL);
	uv_close((uv_handle_t *)&c.sigint, NULL);
	uv_close((uv_handle_t *)&c.sigterm, NULL);
	uv_close((uv_handle_t *)&c.refresh, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	restore_terminal();
	free_data(&c);
	return 0;
}
