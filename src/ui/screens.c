/* The console's screens: each turns a view model of the snapshot into a table (or a panel). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "tokentop/money.h"
#include "tokentop/present.h"
#include "tokentop/timeutil.h"
#include "ui_internal.h"

#define N(x) ((int)(sizeof(x) / sizeof((x)[0])))

static void fmt_int(int64_t v, char *buf, size_t cap)
{
	snprintf(buf, cap, "%lld", (long long)v);
}

static void fmt_pct(double frac, char *buf, size_t cap)
{
	if (isnan(frac))
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.1f%%", 100.0 * frac);
}

static double ratio(int64_t a, int64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* A screen without its data says why, in the place of its table. */
static int no_data(console *c, int top, bool have)
{
	if (have)
		return 0;
	if (!c->snap || c->snap->partial) {
		ui_put(c, top, 2, THEME_DIM, "reading the cache...");
		return 1;
	}
	ui_put(c, top, 2, THEME_CRIT, "cannot read the cache: %s",
	       c->snap ? c->snap->err : "still reading");
	return 1;
}

/* ---- Overview ---- */

/* The top alert as a banner: severity word and colour, what and where, how fast and since
 * when, and what Enter does. Returns the rows used. */
static int draw_alert_banner(console *c, int y, const view_overview_alert *al, size_t n)
{
	char why[320], more[48] = "";
	const char *word, *what, *where;
	theme_role role;
	if (al->level == VIEW_OVERVIEW_ANOMALY) {
		bool crit = al->anomaly.severity == ANOM_CRITICAL;
		word = crit ? "CRITICAL" : "WARNING";
		role = crit ? THEME_ALERT_PAGE : THEME_ALERT_TICKET;
		what = anomaly_kind_name(al->anomaly.kind);
		where = al->anomaly.scope;
		view_alert_reason(&al->anomaly, why, sizeof why);
	} else {
		word = al->level == VIEW_OVERVIEW_PAGE ? "PAGE" : "TICKET";
		role = al->level == VIEW_OVERVIEW_PAGE ? THEME_ALERT_PAGE : THEME_ALERT_TICKET;
		what = "slo_burn";
		where = al->slo->name;
		snprintf(why, sizeof why,
		         "%s burning its error budget %.1fx (1h), %.0f%% of it left", al->slo->name,
		         al->status.burn[SLO_W1H], 100.0 * al->status.budget_remaining);
	}
	if (n > 1)
		snprintf(more, sizeof more, "  (+%zu more below)", n - 1);
	/* the glyph is the word in some themes: say it once */
	const char *g = theme_role_glyph(role);
	if (strcasecmp(g, word) == 0)
		ui_put(c, y, 0, role, "%-8s %s", word, why);
	else
		ui_put(c, y, 0, role, "%s %-8s %s", g, word, why);
	ui_put(c, y + 1, 2, THEME_DIM, "%s on %s - Enter: go there, then K kill, T throttle%s",
	       what, where, more);
	return 2;
}

/* Opens the screen that breaks a scope down ("use_case=X", "provider=Y", "prompt=ID@V",
 * "slo=NAME", "budget=NAME"), filtered to it: the runbook keys then act on it. */
static int goto_scope(console *c, const char *scope)
{
	const char *eq = strchr(scope, '=');
	if (!eq)
		return DRAW_NONE;
	size_t klen = (size_t)(eq - scope);
	const char *val = eq + 1;
	static const struct {
		const char *key, *screen;
	} filtered[] = {{"slo", "slos"}, {"budget", "budgets"}, {"provider", "providers"}};
	for (int i = 0; i < N(filtered); i++)
		if (strlen(filtered[i].key) == klen && !strncmp(scope, filtered[i].key, klen)) {
			ui_goto(c, filtered[i].screen);
			grid_set_filter(&c->grids[c->screen], val);
			return DRAW_SCREEN;
		}
	if (klen == 6 && !strncmp(scope, "prompt", 6)) {
		char id[256];
		snprintf(id, sizeof id, "%s", val);
		char *at = strchr(id, '@');
		if (at)
			*at = 0;
		ui_goto(c, "prompts");
		grid_set_filter(&c->grids[c->screen], id);
		return DRAW_SCREEN;
	}
	static const struct {
		const char *key;
		int dim;
	} jumps[] = {{"use_case", 0}, {"team", 1}, {"tenant", 2}, {"model", 4}};
	for (int i = 0; i < N(jumps); i++)
		if (strlen(jumps[i].key) == klen && !strncmp(scope, jumps[i].key, klen)) {
			ui_goto(c, "spend");
			c->spend_dim = jumps[i].dim;
			c->spend_level = 1;
			snprintf(c->spend_key[0], sizeof c->spend_key[0], "%s", val);
			return DRAW_FILL;
		}
	return DRAW_NONE;
}

/* Enter on the Overview: the top alert's scope. */
static int enter_overview(console *c, const grid_row *r)
{
	(void)r;
	const snapshot *s = c->snap;
	if (!s || !s->have_ov || !s->ov.nalerts)
		return DRAW_NONE;
	const view_overview_alert *al = &s->ov.alerts[0];
	char scope[ANOM_SCOPE_CAP + 8];
	if (al->level == VIEW_OVERVIEW_ANOMALY)
		snprintf(scope, sizeof scope, "%s", al->anomaly.scope);
	else
		snprintf(scope, sizeof scope, "slo=%s", al->slo->name);
	return goto_scope(c, scope);
}

static int draw_overview(console *c, int top, int rows)
{
	snapshot *s = c->snap;
	if (!s)
		return 0;
	if (no_data(c, top, s->have_ov))
		return rows;
	char a[48], b[48], d[48];
	const view_overview *v = &s->ov;
	int y = top;
	if (!s->partial && v->nalerts) /* the most urgent alert first, above everything */
		y += draw_alert_banner(c, y, &v->alerts[0], v->nalerts);
	ui_put(c, y, 2, THEME_TITLE, "Spend now");
	ui_put(c, y, 20, THEME_MONEY, "%s/min", ui_usd(v->last_minute_nanos, a, sizeof a));
	int x = 20 + (int)strlen(a) + 6;
	ui_put(c, y, x, THEME_DIM, "last minute");
	x = x + 13 > 45 ? x + 13 : 45;
	/* the trend: the 5-minute mean against the rest of the hour before it */
	char trend[64] = "";
	if (v->before_per_min_nanos > 0)
		snprintf(trend, sizeof trend, ", %.1fx prior hour",
		         (double)v->spend_per_min_nanos / (double)v->before_per_min_nanos);
	ui_put(c, y++, x, THEME_TEXT, "5m mean %s/min%s",
	       ui_usd(v->spend_per_min_nanos, b, sizeof b), trend);
	/* with room, the last hour is a braille chart below the sources, else a sparkline here */
	int chart_h = COLS >= 100 && rows >= 30 ? 5 : 0;
	if (!chart_h) {
		ui_put(c, y, 2, THEME_TITLE, "Last hour");
		ui_sparkline(c, y++, 20, v->spark_nanos, VIEW_OVERVIEW_SPARK);
	}
	ui_put(c, y, 2, THEME_TITLE, "Today");
	ui_put(c, y, 20, THEME_MONEY, "%s", ui_usd(v->today_nanos, a, sizeof a));
	ui_put(c, y, 38, THEME_TITLE, "Month to date");
	ui_put(c, y++, 56, THEME_MONEY, "%s", ui_usd(v->month_nanos, b, sizeof b));
	bool reading = false; /* a source is still reading its history: totals are not all in */
	for (size_t i = 0; i < v->nsources; i++)
		reading |= v->sources[i].catching_up;
	if (reading)
		ui_put(c, y - 1, 70, THEME_STALE, "reading history");
	if (v->has_budget) {
		const view_budget_row *r = &v->budget;
		budget_state worst = view_budget_state_worst(r);
		theme_role role = worst == BUDGET_OK     ? THEME_OK
		                  : worst == BUDGET_SOFT ? THEME_WARN
		                                         : THEME_CRIT;
		char label[48];
		ui_put(c, y, 2, THEME_TITLE, "Budget");
		ui_put(c, y++, 20, role, "%s %s of %s, forecast %s (%s)%s", theme_role_glyph(role),
		       ui_usd(r->spent_nanos, a, sizeof a),
		       ui_usd(r->spec->amount_nanos, b, sizeof b),
		       ui_usd(r->fc.point_nanos, d, sizeof d),
		       view_budget_state_label(r, label, sizeof label),
		       reading ? ", so far: history still being read" : "");
	}
	ui_put(c, y, 2, THEME_TITLE, "Traffic");
	ui_put(c, y++, 20, THEME_TEXT, "%.1f req/s   %.0f tokens/s", v->requests_per_s,
	       v->tokens_per_s);
	ui_put(c, y, 2, THEME_TITLE, "Data");
	if (v->newest_minute_ms < 0)
		ui_put(c, y++, 20, THEME_STALE, "%s the cache is empty",
		       theme_role_glyph(THEME_STALE));
	else {
		char ts[32];
		time_format_iso(v->newest_minute_ms, ts, sizeof ts);
		ts[16] = 0;
		ui_put(c, y++, 20, v->data_age_ms > STALE_MS ? THEME_STALE : THEME_TEXT,
		       "newest minute %s UTC (%lld s old)", ts + 11,
		       (long long)(v->data_age_ms / 1000));
	}
	for (size_t i = 0; i < v->nsources && y < top + rows - 2; i++, y++) {
		const view_overview_source *src = &v->sources[i];
		theme_role role = src->state == SRC_OK         ? THEME_OK
		                  : src->state == SRC_STARTING ? THEME_DIM
		                  : src->state == SRC_DOWN     ? THEME_CRIT
		                                               : THEME_STALE;
		char age[32] = "never";
		if (src->age_s >= 0)
			snprintf(age, sizeof age, "%llds ago", (long long)src->age_s);
		ui_put(c, y, 2, i ? THEME_TEXT : THEME_TITLE, "%s", i ? "" : "Sources");
		char st[32];
		snprintf(st, sizeof st, "%s%s", source_state_name(src->state),
		         src->catching_up && src->state == SRC_OK ? " catching up" : "");
		char line[160];
		snprintf(line, sizeof line, "%s %-16.16s %-14s last data %s%s",
		         theme_role_glyph(role), src->name, st, age,
		         src->production ? "  PRODUCTION" : "");
		ui_put(c, y, 20, role, "%s", line);
		/* rows the source could not use, or kept with odd values: said, never silent */
		if (src->rejected || src->odd) {
			int w = 0;
			for (const char *p = line; *p; p++)
				w += ((unsigned char)*p & 0xc0) !=
				     0x80; /* columns, not UTF-8 bytes */
			ui_put(c, y, 20 + w + 2, THEME_WARN, "%llu rows refused, %llu kept odd",
			       (unsigned long long)src->rejected, (unsigned long long)src->odd);
		}
	}
	y++;
	if (chart_h && top + rows - y >= chart_h + 4) {
		int64_t max = 0;
		for (int i = 0; i < VIEW_OVERVIEW_SPARK; i++)
			max = v->spark_nanos[i] > max ? v->spark_nanos[i] : max;
		ui_put(c, y, 2, THEME_TITLE, "Spend $/min");
		ui_put(c, y + 1, 2, THEME_DIM, "the last hour");
		ui_put(c, y + 2, 2, THEME_DIM, "max %s", ui_usd(max, a, sizeof a));
		ui_put(c, y + chart_h - 1, 2, THEME_DIM, "%s", ui_usd(0, a, sizeof a));
		double pts[VIEW_OVERVIEW_SPARK];
		for (int i = 0; i < VIEW_OVERVIEW_SPARK; i++)
			pts[i] = (double)v->spark_nanos[i];
		chart_opts o = {0, NAN, CHART_AREA};
		ui_chart(c, y, 20, COLS - 22, chart_h, pts, VIEW_OVERVIEW_SPARK, &o);
		y += chart_h + 1;
	}
	if (s->partial) { /* the quick first read has no SLOs or detectors yet: say so, not "none"
		           */
		ui_put(c, y++, 2, THEME_TITLE, "Alerts");
		ui_put(c, y, 4, THEME_DIM, "reading SLO burn and the detectors...");
		return rows;
	}
	ui_put(c, y++, 2, THEME_TITLE, "Alerts (%zu)", v->nalerts);
	for (size_t i = 0; i < v->nalerts && y < top + rows; i++, y++) {
		const view_overview_alert *al = &v->alerts[i];
		theme_role role = al->level == VIEW_OVERVIEW_PAGE     ? THEME_ALERT_PAGE
		                  : al->level == VIEW_OVERVIEW_TICKET ? THEME_ALERT_TICKET
		                                                      : THEME_WARN;
		if (al->level == VIEW_OVERVIEW_ANOMALY)
			ui_put(c, y, 4, role, "%s %-8s %-20s %s", theme_role_glyph(role),
			       view_overview_level_name(al->level),
			       anomaly_kind_name(al->anomaly.kind), al->anomaly.scope);
		else
			ui_put(c, y, 4, role, "%s %-8s %-20s burn 1h %.1fx, budget left %.0f%%",
			       theme_role_glyph(role), view_overview_level_name(al->level),
			       al->slo->name, al->status.burn[SLO_W1H],
			       100.0 * al->status.budget_remaining);
	}
	if (!v->nalerts)
		ui_put(c, y, 4, THEME_OK, "%s none", theme_role_glyph(THEME_OK));
	return rows;
}

/* ---- Spend: by a dimension, drilled down with Enter ---- */

typedef struct spend_path {
	const char *label;
	tt_dim dim[SPEND_LEVELS];
} spend_path;

/* Each breakdown and what Enter opens under it. */
static const spend_path spend_paths[] = {
    {"use case", {TT_D_USE_CASE, TT_D_PROMPT_ID, TT_D_PROMPT_VERSION}},
    {"team", {TT_D_TEAM, TT_D_USE_CASE, TT_D_PROMPT_ID}},
    {"tenant", {TT_D_TENANT, TT_D_USE_CASE, TT_D_PROMPT_ID}},
    {"provider", {TT_D_PROVIDER, TT_D_MODEL, TT_D_USE_CASE}},
    {"model", {TT_D_MODEL, TT_D_USE_CASE, TT_D_PROMPT_ID}},
};

static const grid_col spend_cols[] = {
    {"name", 24, 0, false, false, false},     {"cost", 11, 0, true, true, true},
    {"share", 7, 1, true, true, true},        {"requests", 9, 2, true, true, true},
    {"cost/req", 10, 3, true, true, true},    {"in tok/req", 10, 5, true, true, true},
    {"out tok/req", 11, 5, true, true, true}, {"cost/success", 12, 4, true, true, true},
    {"failed", 7, 4, true, true, true},
};

static const char *dim_label(tt_dim d)
{
	static const char *const labels[TT_D_COUNT] = {[TT_D_USE_CASE] = "use cases",
	                                               [TT_D_TEAM] = "teams",
	                                               [TT_D_TENANT] = "tenants",
	                                               [TT_D_PROMPT_ID] = "prompts",
	                                               [TT_D_PROMPT_VERSION] = "versions",
	                                               [TT_D_PROVIDER] = "providers",
	                                               [TT_D_MODEL] = "models",
	                                               [TT_D_TIER] = "tiers",
	                                               [TT_D_STATUS] = "statuses",
	                                               [TT_D_CACHE] = "cache"};
	return labels[d] ? labels[d] : store_dim_name(d);
}

static bool spend_keep(const view_cube *cube, size_t id, void *ctx)
{
	console *c = ctx;
	const spend_path *p = &spend_paths[c->spend_dim];
	for (int l = 0; l < c->spend_level; l++) {
		const char *v = cube->dims[id][p->dim[l]];
		if (!v || strcmp(v, c->spend_key[l]))
			return false;
	}
	return true;
}

static void fill_spend(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_cube)
		return;
	const spend_path *p = &spend_paths[c->spend_dim];
	tt_dim by = p->dim[c->spend_level];
	view_rows rows = {0};
	if (view_group(&s->cube, &by, 1, spend_keep, c, &rows))
		return;
	int64_t total = 0;
	for (size_t i = 0; i < rows.n; i++)
		total += rows.rows[i].m[TT_M_COST_NANOS];
	for (size_t i = 0; i < rows.n; i++) {
		const view_row *r = &rows.rows[i];
		const int64_t *m = r->m;
		int64_t n = m[TT_M_REQUESTS], cost = m[TT_M_COST_NANOS];
		char name[128], cst[32], share[16], req[24], cpr[32], in[24], out[24], cps[32],
		    failed[16];
		const char *key = r->key[0] && *r->key[0] ? r->key[0] : "(none)";
		ui_name(c, by == TT_D_TENANT ? "tenant" : NULL, key, name, sizeof name);
		ui_usd(cost, cst, sizeof cst);
		fmt_pct(ratio(cost, total), share, sizeof share);
		fmt_int(n, req, sizeof req);
		ui_usd(view_ratio_round(cost, n), cpr, sizeof cpr);
		fmt_int(view_ratio_round(m[TT_M_INPUT_TOKENS], n), in, sizeof in);
		fmt_int(view_ratio_round(m[TT_M_OUTPUT_TOKENS], n), out, sizeof out);
		if (m[TT_M_SUCCESS])
			ui_usd(view_ratio_round(cost, m[TT_M_SUCCESS]), cps, sizeof cps);
		else
			snprintf(cps, sizeof cps, "-");
		fmt_pct(ratio(m[TT_M_FAILURE], n), failed, sizeof failed);
		const char *cells[] = {name, cst, share, req, cpr, in, out, cps, failed};
		double nums[] = {0,
		                 (double)cost,
		                 ratio(cost, total),
		                 (double)n,
		                 (double)view_ratio_round(cost, n),
		                 ratio(m[TT_M_INPUT_TOKENS], n),
		                 ratio(m[TT_M_OUTPUT_TOKENS], n),
		                 m[TT_M_SUCCESS] ? ratio(cost, m[TT_M_SUCCESS]) : 0,
		                 ratio(m[TT_M_FAILURE], n)};
		grid_row *gr = grid_add(g, THEME_TEXT, cells, nums);
		if (gr)
			grid_set_ref(gr, r->key[0] ? r->key[0] : "");
	}
	view_rows_free(&rows);
}

static int draw_spend(console *c, int top, int rows)
{
	(void)rows;
	const spend_path *p = &spend_paths[c->spend_dim];
	char crumbs[512];
	int n = snprintf(crumbs, sizeof crumbs, "by %s", p->label);
	for (int l = 0; l < c->spend_level && n < (int)sizeof crumbs; l++) {
		char alias[128];
		ui_name(c, p->dim[l] == TT_D_TENANT ? "tenant" : NULL, c->spend_key[l], alias,
		        sizeof alias);
		n += snprintf(crumbs + n, sizeof crumbs - (size_t)n, " > %s > %s", alias,
		              dim_label(p->dim[l + 1]));
	}
	ui_put(c, top, 2, THEME_TITLE, "%s", crumbs);
	static const char hint[] = "d: breakdown  Enter: drill down  Esc: back";
	int hx = COLS - (int)sizeof hint - 1;
	if (hx > n + 4)
		ui_put(c, top, hx, THEME_DIM, "%s", hint);
	return no_data(c, top + 1, c->snap && c->snap->have_cube) + 1;
}

static int enter_spend(console *c, const grid_row *r)
{
	if (c->spend_level + 1 >= SPEND_LEVELS)
		return DRAW_NONE;
	snprintf(c->spend_key[c->spend_level], sizeof c->spend_key[0], "%s", grid_row_ref(r));
	c->spend_level++;
	return DRAW_FILL;
}

static int back_spend(console *c)
{
	if (!c->spend_level)
		return DRAW_NONE;
	c->spend_level--;
	return DRAW_FILL;
}

/* The dimensions an action's scope can name. */
static bool scopeable(tt_dim d)
{
	return d == TT_D_USE_CASE || d == TT_D_TEAM || d == TT_D_TENANT || d == TT_D_PROVIDER ||
	       d == TT_D_MODEL;
}

static int scope_spend(console *c, const grid_row *r, char *buf, size_t cap)
{
	const spend_path *p = &spend_paths[c->spend_dim];
	tt_dim d = p->dim[c->spend_level];
	if (scopeable(d) && *grid_row_ref(r)) {
		snprintf(buf, cap, "%s=%s", store_dim_name(d), grid_row_ref(r));
		return 0;
	}
	/* a prompt or a version: act on what it was drilled down from */
	for (int l = c->spend_level - 1; l >= 0; l--)
		if (scopeable(p->dim[l])) {
			snprintf(buf, cap, "%s=%s", store_dim_name(p->dim[l]), c->spend_key[l]);
			return 0;
		}
	return -1;
}

/* ---- Prompts ---- */

static const grid_col prompt_cols[] = {
    {"prompt", 21, 0, false, false, false},    {"version", 8, 1, false, false, false},
    {"cost", 11, 0, true, true, true},         {"share", 7, 5, true, true, true},
    {"requests", 9, 2, true, true, true},      {"in tok/req", 10, 4, true, true, true},
    {"out tok/req", 11, 4, true, true, true},  {"cost/req", 10, 1, true, true, true},
    {"cost/outcome", 12, 2, true, true, true}, {"trend", 18, 4, false, true, true},
};

/* A prompt row's trend cell: the spend per unit of time of the last TREND_CELLS buckets as a
 * sparkline, then the change figure (over the whole range). A partial bucket at an edge is drawn at
 * its rate, not low; one shorter than half a step joins its neighbour (a few minutes' spend would
 * be drawn too loud). */
static double trend_cell(console *c, const view_prompts *v, size_t i, char *buf, size_t cap)
{
	if (!v->trend_n || !v->trend) {
		snprintf(buf, cap, "-");
		return -1e18;
	}
	enum { MAXB = 32, TREND_CELLS = 12 };
	int64_t cost[MAXB], dur[MAXB], rate[MAXB];
	size_t skip = v->trend_n > MAXB ? v->trend_n - MAXB : 0;
	int n = 0;
	for (size_t k = skip; k < v->trend_n; k++, n++) {
		int64_t lo, hi;
		view_trend_span(v, k, &lo, &hi);
		cost[n] = v->trend[i * v->trend_n + k];
		dur[n] = hi - lo;
	}
	if (n > 2 && dur[0] * 2 < v->trend_step_ms) {
		cost[1] += cost[0];
		dur[1] += dur[0];
		memmove(cost, cost + 1, (size_t)(n - 1) * sizeof *cost);
		memmove(dur, dur + 1, (size_t)(n - 1) * sizeof *dur);
		n--;
	}
	if (n > 2 && dur[n - 1] * 2 < v->trend_step_ms) {
		cost[n - 2] += cost[n - 1];
		dur[n - 2] += dur[n - 1];
		n--;
	}
	for (int k = 0; k < n; k++)
		rate[k] = dur[k] > 0 ? (int64_t)((__int128)cost[k] * v->trend_step_ms / dur[k]) : 0;
	int from = n > TREND_CELLS ? n - TREND_CELLS : 0;
	char spark[MAXB * 3 + 1], chg[24];
	ui_spark_text(c, rate + from, n - from, spark, sizeof spark);
	int64_t p = v->change_pct[i];
	double num;
	if (p == VIEW_TREND_NEW) {
		snprintf(chg, sizeof chg, "new");
		num = 1e18;
	} else if (p == VIEW_TREND_NONE) {
		snprintf(chg, sizeof chg, "-");
		num = -1e18;
	} else {
		if (p > 999) /* ten times and more: as a multiple */
			snprintf(chg, sizeof chg, "x%lld", (long long)((p + 100) / 100));
		else
			snprintf(chg, sizeof chg, "%+lld%%", (long long)p);
		num = (double)p;
	}
	snprintf(buf, cap, "%s %s", spark, chg);
	return num;
}

static void fill_prompts(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_prompts)
		return;
	int64_t total = s->prompts.total_cost_nanos;
	for (size_t i = 0; i < s->prompts.rows.n; i++) {
		const view_row *r = &s->prompts.rows.rows[i];
		const int64_t *m = r->m;
		int64_t n = m[TT_M_REQUESTS], cost = m[TT_M_COST_NANOS];
		char cst[32], share[16], req[24], in[24], out[24], cpr[32], cpo[32], ref[300],
		    trend[32 * 3 + 32];
		double tnum = trend_cell(c, &s->prompts, i, trend, sizeof trend);
		ui_usd(cost, cst, sizeof cst);
		fmt_pct(ratio(cost, total), share, sizeof share);
		fmt_int(n, req, sizeof req);
		fmt_int(view_ratio_round(m[TT_M_INPUT_TOKENS], n), in, sizeof in);
		fmt_int(view_ratio_round(m[TT_M_OUTPUT_TOKENS], n), out, sizeof out);
		ui_usd(view_ratio_round(cost, n), cpr, sizeof cpr);
		if (m[TT_M_SUCCESS])
			ui_usd(view_ratio_round(cost, m[TT_M_SUCCESS]), cpo, sizeof cpo);
		else
			snprintf(cpo, sizeof cpo, "-");
		const char *cells[] = {*r->key[0] ? r->key[0] : "(none)",
		                       r->key[1],
		                       cst,
		                       share,
		                       req,
		                       in,
		                       out,
		                       cpr,
		                       cpo,
		                       trend};
		double nums[] = {0,
		                 0,
		                 (double)cost,
		                 ratio(cost, total),
		                 (double)n,
		                 ratio(m[TT_M_INPUT_TOKENS], n),
		                 ratio(m[TT_M_OUTPUT_TOKENS], n),
		                 ratio(cost, n),
		                 m[TT_M_SUCCESS] ? ratio(cost, m[TT_M_SUCCESS]) : 0,
		                 tnum};
		grid_row *gr = grid_add(g, THEME_TEXT, cells, nums);
		snprintf(ref, sizeof ref, "%s@%s", r->key[0], r->key[1]);
		if (gr)
			grid_set_ref(gr, ref);
	}
}

/* ---- Routing ---- */

static const grid_col routing_cols[] = {
    {"route", 16, 0, false, false, false},       {"provider", 10, 2, false, false, false},
    {"model", 20, 0, false, false, false},       {"tier", 6, 3, false, false, false},
    {"traffic share", 18, 1, false, true, true}, {"config", 10, 1, true, true, true},
    {"requests", 9, 2, true, true, true},        {"elevated", 8, 3, true, true, true},
    {"cost", 11, 4, true, true, true},
};

static void fill_routing(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_routes)
		return;
	const view_routes *v = &s->routes;
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_rroute *rt = &v->routes[i];
		for (size_t k = rt->first; k < rt->first + rt->n; k++) {
			const view_rtarget *t = &v->targets[k];
			char bar[96], pct[16], cell[128], cfg[32], req[24], el[16], cst[32];
			ui_bar(c, t->share, 10, bar, sizeof bar);
			fmt_pct(t->share, pct, sizeof pct);
			snprintf(cell, sizeof cell, "%s %6s", bar, pct);
			/* the configured share; "off" marks a target its traffic strays from */
			fmt_pct(t->config, cfg, sizeof cfg);
			if (t->off)
				snprintf(cfg + strlen(cfg), sizeof cfg - strlen(cfg), " off");
			fmt_int(t->requests, req, sizeof req);
			fmt_pct(ratio(t->elevated, t->requests), el, sizeof el);
			ui_usd(t->cost_nanos, cst, sizeof cst);
			const char *cells[] = {rt->name, t->provider, t->model, t->tier, cell,
			                       cfg,      req,         el,       cst};
			double nums[] = {0,
			                 0,
			                 0,
			                 0,
			                 t->share,
			                 isnan(t->config) ? -1 : t->config,
			                 (double)t->requests,
			                 ratio(t->elevated, t->requests),
			                 (double)t->cost_nanos};
			grid_row *gr = grid_add(g, t->elevated || t->off ? THEME_WARN : THEME_TEXT,
			                        cells, nums);
			char ref[300];
			snprintf(ref, sizeof ref, "%s/%s/%s/%s", rt->name, t->provider, t->model,
			         t->tier);
			if (gr)
				grid_set_ref(gr, ref);
		}
	}
}

/* ---- Providers ---- */

static const grid_col provider_cols[] = {
    {"provider / model", 26, 0, false, false, false},
    {"state", 8, 0, false, false, false},
    {"calls", 8, 2, true, true, true},
    {"errors", 7, 0, true, true, true},
    {"timeout", 7, 3, true, true, true},
    {"429", 6, 1, true, true, true},
    {"5xx", 6, 1, true, true, true},
    {"refused", 7, 4, true, true, true},
    {"p50", 7, 3, true, true, true},
    {"p95", 7, 0, true, true, true},
    {"p99", 7, 2, true, true, true},
    {"ttft p95", 8, 4, true, true, true},
};

static void fmt_ms(double ms, char *buf, size_t cap)
{
	if (isnan(ms))
		snprintf(buf, cap, "-");
	else if (ms >= 10000)
		snprintf(buf, cap, "%.0fs", ms / 1000);
	else if (ms >= 1000)
		snprintf(buf, cap, "%.1fs", ms / 1000);
	else
		snprintf(buf, cap, "%.0fms", ms);
}

static void provider_row(console *c, grid *g, const view_provider_row *r, bool model)
{
	(void)c;
	char name[300], calls[24], errs[24], to[24], rl[24], se[24], rf[24], p50[16], p95[16],
	    p99[16], tt[16];
	snprintf(name, sizeof name, model ? "  %s" : "%s", model ? r->model : r->provider);
	fmt_int(r->calls, calls, sizeof calls);
	fmt_pct(r->error_rate, errs, sizeof errs);
	const int64_t *b = r->by_status;
	fmt_int(b[TT_STATUS_TIMEOUT], to, sizeof to);
	fmt_int(b[TT_STATUS_RATE_LIMITED], rl, sizeof rl);
	fmt_int(b[TT_STATUS_SERVER_ERROR], se, sizeof se);
	fmt_int(b[TT_STATUS_SAFETY_REFUSAL], rf, sizeof rf);
	fmt_ms(r->p50_ms, p50, sizeof p50);
	fmt_ms(r->p95_ms, p95, sizeof p95);
	fmt_ms(r->p99_ms, p99, sizeof p99);
	fmt_ms(r->ttft_p95_ms, tt, sizeof tt);
	const char *cells[] = {
	    name, view_providers_state_name(r->state), calls, errs, to, rl, se, rf, p50, p95, p99,
	    tt};
	double nums[] = {0,
	                 r->state,
	                 (double)r->calls,
	                 r->error_rate,
	                 (double)b[TT_STATUS_TIMEOUT],
	                 (double)b[TT_STATUS_RATE_LIMITED],
	                 (double)b[TT_STATUS_SERVER_ERROR],
	                 (double)b[TT_STATUS_SAFETY_REFUSAL],
	                 r->p50_ms,
	                 r->p95_ms,
	                 r->p99_ms,
	                 r->ttft_p95_ms};
	theme_role role = r->state == VIEW_PROVIDER_FAILING    ? THEME_CRIT
	                  : r->state == VIEW_PROVIDER_DEGRADED ? THEME_WARN
	                  : model                              ? THEME_DIM
	                                                       : THEME_TEXT;
	if (model && r->state == VIEW_PROVIDER_OK)
		role = THEME_TEXT;
	grid_row *gr = grid_add(g, role, cells, nums);
	char ref[600];
	snprintf(ref, sizeof ref, "%s%s%s", r->provider, model ? "/" : "", model ? r->model : "");
	if (gr)
		grid_set_ref(gr, ref);
}

static void fill_providers(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_providers)
		return;
	for (size_t i = 0; i < s->providers.nproviders; i++) {
		const view_provider_row *p = &s->providers.providers[i];
		provider_row(c, g, p, false);
		for (size_t k = p->first; k < p->first + p->n; k++)
			provider_row(c, g, &s->providers.models[k], true);
	}
}

static int draw_providers(console *c, int top, int rows)
{
	(void)rows;
	if (no_data(c, top, c->snap && c->snap->have_providers))
		return 1;
	ui_put(c, top, 2, THEME_DIM,
	       "errors over calls (killed, throttled and cache hits never reach the provider); "
	       "degraded from 10%%, failing from 25%%");
	return 1;
}

static int scope_routing(console *c, const grid_row *r, char *buf, size_t cap)
{
	(void)c;
	snprintf(buf, cap, "use_case=%s", r->cell[0]);
	return 0;
}

static int scope_provider(console *c, const grid_row *r, char *buf, size_t cap)
{
	(void)c;
	const char *ref = grid_row_ref(r), *slash = strchr(ref, '/');
	if (slash)
		snprintf(buf, cap, "model=%s", slash + 1);
	else
		snprintf(buf, cap, "provider=%s", ref);
	return 0;
}

/* ---- SLOs ---- */

static const grid_col slo_cols[] = {
    {"SLO", 22, 0, false, false, false},
    {"5m", 6, 3, true, true, true},
    {"30m", 6, 3, true, true, true},
    {"1h", 6, 0, true, true, true},
    {"2h", 6, 4, true, true, true},
    {"6h", 6, 2, true, true, true},
    {"1d", 6, 2, true, true, true},
    {"3d", 6, 4, true, true, true},
    {"budget left", 11, 0, true, true, false},
    {"exhausted in", 12, 1, true, true, false},
    {"state", 8, 0, false, false, false},
};

static void fill_slos(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_slo)
		return;
	for (size_t i = 0; i < s->slo.n; i++) {
		const view_slo_row *r = &s->slo.rows[i];
		char burn[SLO_WINDOW_COUNT][16], left[16], ex[32];
		const char *cells[GRID_MAX_COLS] = {r->spec->name};
		double nums[GRID_MAX_COLS] = {0};
		for (int w = 0; w < SLO_WINDOW_COUNT && w < 7; w++) {
			snprintf(burn[w], sizeof burn[w], "%.2f", r->status.burn[w]);
			cells[1 + w] = burn[w];
			nums[1 + w] = r->status.burn[w];
		}
		snprintf(left, sizeof left, "%.1f%%", 100.0 * r->status.budget_remaining);
		if (r->status.exhausted_in_ms < 0)
			snprintf(ex, sizeof ex, "-");
		else
			snprintf(ex, sizeof ex, "%.1fh",
			         (double)r->status.exhausted_in_ms / 3600000.0);
		const char *alert = slo_alert_name(r->status.alert);
		cells[8] = left;
		nums[8] = r->status.budget_remaining;
		cells[9] = ex;
		nums[9] = r->status.exhausted_in_ms < 0 ? 1e18 : (double)r->status.exhausted_in_ms;
		cells[10] = alert ? alert : "ok";
		theme_role role = !alert                   ? THEME_TEXT
		                  : !strcmp(alert, "page") ? THEME_ALERT_PAGE
		                                           : THEME_ALERT_TICKET;
		grid_add(g, role, cells, nums);
	}
}

static int draw_slos(console *c, int top, int rows)
{
	(void)rows;
	if (no_data(c, top, c->snap && c->snap->have_slo))
		return 1;
	if (c->snap && !c->snap->slo.n) {
		ui_put(c, top, 2, THEME_DIM,
		       "no SLOs configured ([slo NAME] sections, docs/config.md)");
		return 1;
	}
	ui_put(c, top, 2, THEME_DIM,
	       "burn rate per window (1 spends the budget exactly "
	       "over the period)");
	return 1;
}

/* ---- Budgets ---- */

static const grid_col budget_cols[] = {
    {"budget", 18, 0, false, false, false}, {"scope", 20, 2, false, false, false},
    {"period", 6, 4, false, false, false},  {"spent", 11, 0, true, true, true},
    {"amount", 11, 1, true, true, true},    {"used", 18, 0, false, true, true},
    {"state", 6, 0, false, false, false},   {"forecast (range)", 30, 1, true, true, true},
};

static void fill_budgets(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_budgets)
		return;
	for (size_t i = 0; i < s->budgets.n; i++) {
		const view_budget_row *r = &s->budgets.rows[i];
		char scope[300], spent[32], amount[32], used[96], bar[64], fc[96], a[32], b[32],
		    d[32];
		budget_scope_format(&r->spec->scope, scope, sizeof scope);
		ui_scope(c, scope, scope, sizeof scope);
		ui_usd(r->spent_nanos, spent, sizeof spent);
		ui_usd(r->spec->amount_nanos, amount, sizeof amount);
		double frac = isnan(r->used_pct) ? 0 : r->used_pct / 100.0;
		ui_bar(c, frac > 1 ? 1 : frac, 10, bar, sizeof bar);
		snprintf(used, sizeof used, "%s %5.1f%%", bar,
		         isnan(r->used_pct) ? 0 : r->used_pct);
		snprintf(fc, sizeof fc, "%s (%s-%s)", ui_usd(r->fc.point_nanos, a, sizeof a),
		         ui_usd(r->fc.low_nanos, b, sizeof b),
		         ui_usd(r->fc.high_nanos, d, sizeof d));
		char label[48];
		const char *cells[] = {r->spec->name,
		                       scope,
		                       budget_period_name(r->spec->period),
		                       spent,
		                       amount,
		                       used,
		                       view_budget_state_label(r, label, sizeof label),
		                       fc};
		double nums[] = {0,
		                 0,
		                 0,
		                 (double)r->spent_nanos,
		                 (double)r->spec->amount_nanos,
		                 frac,
		                 0,
		                 (double)r->fc.point_nanos};
		budget_state worst = view_budget_state_worst(r);
		theme_role role = worst == BUDGET_OK     ? THEME_TEXT
		                  : worst == BUDGET_SOFT ? THEME_WARN
		                                         : THEME_CRIT;
		grid_add(g, role, cells, nums);
	}
}

static int draw_budgets(console *c, int top, int rows)
{
	(void)rows;
	if (no_data(c, top, c->snap && c->snap->have_budgets))
		return 1;
	if (c->snap && !c->snap->budgets.n) {
		ui_put(c, top, 2, THEME_DIM,
		       "no budgets configured ([budget NAME] sections, docs/config.md)");
		return 1;
	}
	return 0;
}

/* ---- Alerts ---- */

static const grid_col alert_cols[] = {
    {"state", 9, 0, false, false, false},    {"kind", 20, 0, false, false, false},
    {"scope", 28, 0, false, false, false},   {"value", 10, 2, true, true, true},
    {"baseline", 10, 2, true, true, true},   {"since", 16, 1, false, false, true},
    {"resolved", 16, 3, false, false, true},
};

static void fill_alerts(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_alerts)
		return;
	/* SLOs burning their budget first, pages before tickets, as the Overview lists them */
	for (int level = SLO_ALERT_PAGE; s->have_slo && level > SLO_ALERT_NONE; level--)
		for (size_t i = 0; i < s->slo.n; i++) {
			const view_slo_row *r = &s->slo.rows[i];
			if ((int)r->status.alert != level)
				continue;
			char scope[160], burn[32], left[32];
			snprintf(scope, sizeof scope, "slo=%s", r->spec->name);
			snprintf(burn, sizeof burn, "%.1fx", r->status.burn[SLO_W1H]);
			snprintf(left, sizeof left, "%.0f%%", 100.0 * r->status.budget_remaining);
			const char *cells[] = {slo_alert_name(r->status.alert),
			                       "slo burn 1h",
			                       scope,
			                       burn,
			                       left,
			                       "now",
			                       ""};
			double nums[] = {
			    0, 0, 0, r->status.burn[SLO_W1H], r->status.budget_remaining, 0, 0};
			grid_row *gr = grid_add(
			    g, level == SLO_ALERT_PAGE ? THEME_ALERT_PAGE : THEME_ALERT_TICKET,
			    cells, nums);
			if (gr)
				grid_set_ref(gr, scope);
		}
	for (size_t i = 0; i < s->alerts.n; i++) {
		const anomaly_alert *a = &s->alerts.alerts[i];
		bool firing = a->resolved_ms < 0;
		char since[32], res[32] = "", val[32], base[32];
		time_format_iso(a->since_ms, since, sizeof since);
		since[16] = 0;
		since[10] = ' ';
		if (!firing) {
			time_format_iso(a->resolved_ms, res, sizeof res);
			res[16] = 0;
			res[10] = ' ';
		}
		view_alert_value(a->kind, a->value, val, sizeof val); /* in the kind's unit */
		view_alert_value(a->kind, a->baseline, base, sizeof base);
		const char *sev = anomaly_severity_name(a->severity);
		const char *cells[] = {firing ? (sev ? sev : "open") : "resolved",
		                       anomaly_kind_name(a->kind),
		                       a->scope,
		                       val,
		                       base,
		                       since,
		                       res};
		double nums[] = {0, 0, 0, a->value, a->baseline, 0, 0};
		theme_role role = !firing                             ? THEME_DIM
		                  : (sev && !strcmp(sev, "critical")) ? THEME_CRIT
		                                                      : THEME_WARN;
		grid_row *gr = grid_add(g, role, cells, nums);
		if (gr)
			grid_set_ref(gr, a->scope);
	}
}

static int draw_alerts(console *c, int top, int rows)
{
	(void)rows;
	if (no_data(c, top, c->snap && c->snap->have_alerts))
		return 1;
	if (c->snap && !c->grids[c->screen].n)
		ui_put(c, top, 2, THEME_OK, "%s no alerts in the last hours",
		       theme_role_glyph(THEME_OK));
	else
		ui_put(c, top, 2, THEME_DIM, "Enter: go to the alert's scope");
	return 1;
}

/* Enter on an alert: the screen that breaks its scope down. */
static int enter_alert(console *c, const grid_row *r)
{
	return goto_scope(c, grid_row_ref(r));
}

/* ---- Review: this week against the last, for the weekly cost review ---- */

static const grid_col week_line_cols[] = {
    {"name", 26, 0, false, false, false},   {"this week", 11, 0, true, true, true},
    {"last week", 11, 0, true, true, true}, {"change", 11, 1, true, true, true},
    {"%", 8, 0, true, true, true},          {"requests", 9, 2, true, true, true},
    {"last week", 9, 3, true, true, true},
};
static const grid_col week_day_cols[] = {
    {"day", 12, 0, false, false, false},       {"spend", 11, 0, true, true, true},
    {"requests", 9, 2, true, true, true},      {"successes", 9, 3, true, true, true},
    {"cost/success", 12, 0, true, true, true}, {"a week before", 13, 1, true, true, true},
};
static const grid_col week_cache_cols[] = {
    {"use case", 24, 0, false, false, false},
    {"hits", 9, 2, true, true, true},
    {"misses", 9, 0, true, true, true},
    {"miss cost", 11, 0, true, true, true},
    {"saved", 11, 1, true, true, true},
    {"misses before", 13, 3, true, true, true},
    {"miss cost before", 16, 2, true, true, true},
};
static const grid_col week_route_cols[] = {
    {"route", 24, 0, false, false, false}, {"requests", 9, 2, true, true, true},
    {"elevated", 9, 0, true, true, true},  {"elevated cost", 13, 0, true, true, true},
    {"last week", 9, 3, true, true, true}, {"cost last week", 14, 1, true, true, true},
};

typedef enum {
	RV_USE_CASE,
	RV_TEAM,
	RV_TENANT,
	RV_PROMPTS,
	RV_GROWTH,
	RV_DAYS,
	RV_CACHE,
	RV_ELEVATIONS,
	RV_COUNT
} review_section;
static const char *const review_names[RV_COUNT] = {
    "spend by use case", "spend by team",           "spend by tenant", "top prompts by spend",
    "prompts by growth", "cost per success by day", "cache misses",    "routing elevations"};

int ui_review_sections(void)
{
	return RV_COUNT;
}

static const grid_col *review_columns(console *c, int *n)
{
	switch (c->review_section) {
	case RV_DAYS:
		*n = N(week_day_cols);
		return week_day_cols;
	case RV_CACHE:
		*n = N(week_cache_cols);
		return week_cache_cols;
	case RV_ELEVATIONS:
		*n = N(week_route_cols);
		return week_route_cols;
	default:
		*n = N(week_line_cols);
		return week_line_cols;
	}
}

static void change_cells(int64_t now, int64_t before, char *delta, char *pct, size_t cap,
                         double *dnum, double *pnum)
{
	char a[40];
	int64_t d = now - before;
	ui_usd(d < 0 ? -d : d, a, sizeof a);
	snprintf(delta, cap, "%s%.40s", d < 0 ? "-" : d > 0 ? "+" : "", a);
	*dnum = (double)d;
	if (before > 0) {
		*pnum = 100.0 * (double)d / (double)before;
		snprintf(pct, cap, "%+.1f%%", *pnum);
	} else {
		*pnum = now ? 1e9 : 0;
		snprintf(pct, cap, now ? "new" : "-");
	}
}

static void fill_week_lines(console *c, grid *g, const view_week_lines *l, bool prompts,
                            bool tenants)
{
	for (size_t i = 0; i < l->n; i++) {
		const view_week_line *w = &l->rows[i];
		char name[300], cur[48], prev[48], delta[48], pct[48], req[24], preq[24],
		    alias[200];
		if (prompts)
			snprintf(name, sizeof name, "%s %s", w->key[0], w->key[1] ? w->key[1] : "");
		else
			snprintf(
			    name, sizeof name, "%s",
			    ui_name(c, tenants ? "tenant" : NULL, w->key[0], alias, sizeof alias));
		ui_usd(w->cost_nanos, cur, sizeof cur);
		ui_usd(w->prev_cost_nanos, prev, sizeof prev);
		double dn, pn;
		change_cells(w->cost_nanos, w->prev_cost_nanos, delta, pct, sizeof delta, &dn, &pn);
		fmt_int(w->requests, req, sizeof req);
		fmt_int(w->prev_requests, preq, sizeof preq);
		const char *cells[] = {name, cur, prev, delta, pct, req, preq};
		double nums[] = {0,  (double)w->cost_nanos, (double)w->prev_cost_nanos, dn,
		                 pn, (double)w->requests,   (double)w->prev_requests};
		grid_add(g, dn > 0 && pn > 25 ? THEME_WARN : THEME_TEXT, cells, nums);
	}
}

static void fill_review(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->weekly)
		return;
	const view_weekly *w = s->weekly;
	switch (c->review_section) {
	case RV_USE_CASE:
		fill_week_lines(c, g, &w->by_use_case, false, false);
		break;
	case RV_TEAM:
		fill_week_lines(c, g, &w->by_team, false, false);
		break;
	case RV_TENANT:
		fill_week_lines(c, g, &w->by_tenant, false, true);
		break;
	case RV_PROMPTS:
		fill_week_lines(c, g, &w->top_prompts, true, false);
		break;
	case RV_GROWTH:
		fill_week_lines(c, g, &w->prompt_growth, true, false);
		break;
	case RV_DAYS:
		for (int i = 0; i < 7; i++) {
			const view_week_day *d = &w->days[i];
			char day[32], cost[48], req[24], ok[24], cps[48], prev[48];
			time_format_iso(d->day * 86400000LL, day, sizeof day);
			day[10] = 0;
			if (!d->reached)
				continue;
			ui_usd(d->cost_nanos, cost, sizeof cost);
			fmt_int(d->requests, req, sizeof req);
			fmt_int(d->success, ok, sizeof ok);
			if (d->cost_per_success_nanos >= 0)
				ui_usd(d->cost_per_success_nanos, cps, sizeof cps);
			else
				snprintf(cps, sizeof cps, "-");
			if (d->prev_cost_per_success_nanos >= 0)
				ui_usd(d->prev_cost_per_success_nanos, prev, sizeof prev);
			else
				snprintf(prev, sizeof prev, "-");
			const char *cells[] = {day, cost, req, ok, cps, prev};
			double nums[] = {(double)d->day,
			                 (double)d->cost_nanos,
			                 (double)d->requests,
			                 (double)d->success,
			                 (double)d->cost_per_success_nanos,
			                 (double)d->prev_cost_per_success_nanos};
			grid_add(g, THEME_TEXT, cells, nums);
		}
		break;
	case RV_CACHE:
		for (size_t i = 0; i < w->ncache; i++) {
			const view_week_cache *k = &w->cache[i];
			char hits[24], miss[24], mc[48], saved[48], pm[24], pmc[48];
			fmt_int(k->hits, hits, sizeof hits);
			fmt_int(k->misses, miss, sizeof miss);
			ui_usd(k->miss_cost_nanos, mc, sizeof mc);
			ui_usd(k->hit_saved_nanos, saved, sizeof saved);
			fmt_int(k->prev_misses, pm, sizeof pm);
			ui_usd(k->prev_miss_cost_nanos, pmc, sizeof pmc);
			const char *cells[] = {k->use_case, hits, miss, mc, saved, pm, pmc};
			double nums[] = {0,
			                 (double)k->hits,
			                 (double)k->misses,
			                 (double)k->miss_cost_nanos,
			                 (double)k->hit_saved_nanos,
			                 (double)k->prev_misses,
			                 (double)k->prev_miss_cost_nanos};
			grid_add(g, THEME_TEXT, cells, nums);
		}
		break;
	case RV_ELEVATIONS:
		for (size_t i = 0; i < w->nroutes; i++) {
			const view_week_route *r = &w->routes[i];
			char req[24], el[24], ec[48], pe[24], pec[48];
			fmt_int(r->requests, req, sizeof req);
			fmt_int(r->elevated, el, sizeof el);
			ui_usd(r->elevated_cost_nanos, ec, sizeof ec);
			fmt_int(r->prev_elevated, pe, sizeof pe);
			ui_usd(r->prev_elevated_cost_nanos, pec, sizeof pec);
			const char *cells[] = {r->use_case, req, el, ec, pe, pec};
			double nums[] = {0,
			                 (double)r->requests,
			                 (double)r->elevated,
			                 (double)r->elevated_cost_nanos,
			                 (double)r->prev_elevated,
			                 (double)r->prev_elevated_cost_nanos};
			grid_add(g, r->elevated ? THEME_WARN : THEME_TEXT, cells, nums);
		}
		break;
	default:
		break;
	}
}

static int draw_review(console *c, int top, int rows)
{
	(void)rows;
	snapshot *s = c->snap;
	if (!s || !s->weekly) {
		ui_put(c, top, 2, THEME_DIM,
		       "reading the week (this replays a week of alerts; a few seconds)...");
		return 1;
	}
	const view_weekly *w = s->weekly;
	char wk[32], cur[48], prev[48], delta[48], pct[48], cps[48], pcps[48];
	double dn, pn;
	view_week_name(w->start_ms, wk, sizeof wk);
	ui_usd(w->m[TT_M_COST_NANOS], cur, sizeof cur);
	ui_usd(w->prev_m[TT_M_COST_NANOS], prev, sizeof prev);
	change_cells(w->m[TT_M_COST_NANOS], w->prev_m[TT_M_COST_NANOS], delta, pct, sizeof delta,
	             &dn, &pn);
	if (w->cost_per_success_nanos >= 0)
		ui_usd(w->cost_per_success_nanos, cps, sizeof cps);
	else
		snprintf(cps, sizeof cps, "-");
	if (w->prev_cost_per_success_nanos >= 0)
		ui_usd(w->prev_cost_per_success_nanos, pcps, sizeof pcps);
	else
		snprintf(pcps, sizeof pcps, "-");
	ui_put(c, top, 2, THEME_TITLE, "Week %s%s", wk, w->until_ms < w->end_ms ? " (so far)" : "");
	ui_put(c, top, 26, THEME_MONEY, "%s", cur);
	ui_put(c, top, 40, dn > 0 ? THEME_WARN : THEME_OK, "%s %s", delta, pct);
	ui_put(c, top, 62, THEME_TEXT, "vs %s the same span last week", prev);
	ui_put(c, top + 1, 2, THEME_TITLE, "Cost per success");
	ui_put(c, top + 1, 26, THEME_MONEY, "%s", cps);
	ui_put(c, top + 1, 40, THEME_TEXT, "vs %s;  %zu anomalies this week", pcps, w->nalerts);
	ui_put(c, top + 2, 2, THEME_TITLE, "%s", review_names[c->review_section]);
	ui_put(c, top + 2, 36, THEME_DIM, "d: next section (%d of %d)  read %llds ago",
	       c->review_section + 1, RV_COUNT, (long long)((time_now_ms() - s->weekly_ms) / 1000));
	return 3;
}

/* ---- Checklist: launch readiness of one use case ---- */

static const grid_col check_cols[] = {
    {"item", 22, 1, false, false, false},
    {"state", 8, 0, false, false, false},
    {"what", 36, 0, false, false, false},
    {"evidence", 50, 0, false, false, false},
};

static void fill_checklist(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || s->nchecks <= 0)
		return;
	for (int i = 0; i < s->nchecks; i++) {
		const ui_check_row *r = &s->checks[i];
		const char *cells[] = {r->id, r->state, r->title, r->evidence};
		theme_role role = !strcmp(r->state, "pass") || !strcmp(r->state, "signed")
		                      ? THEME_OK
		                  : !strcmp(r->state, "fail") ? THEME_CRIT
		                                              : THEME_WARN;
		grid_add(g, role, cells, NULL);
	}
}

static int draw_checklist(console *c, int top, int rows)
{
	(void)rows;
	snapshot *s = c->snap;
	if (!c->o->checklist) {
		ui_put(c, top, 2, THEME_DIM, "no checklist file found (docs/checklist.md)");
		return 1;
	}
	if (!c->check_uc[0] && s && !s->partial) {
		ui_put(c, top, 2, THEME_DIM,
		       "no traffic in the range to pick a use case from: :checklist USE_CASE");
		return 1;
	}
	if (!s || !s->check_uc[0] || strcmp(s->check_uc, c->check_uc)) {
		ui_put(c, top, 2, THEME_DIM, "evaluating the checklist...");
		return 1;
	}
	if (s->nchecks < 0) {
		ui_put(c, top, 2, THEME_CRIT, "%s", s->err);
		return 1;
	}
	int ok = 0;
	for (int i = 0; i < s->nchecks; i++)
		ok += !strcmp(s->checks[i].state, "pass") || !strcmp(s->checks[i].state, "signed");
	ui_put(c, top, 2, THEME_TITLE, "Launch readiness of %s", s->check_uc);
	ui_put(c, top, 40, ok == s->nchecks ? THEME_OK : THEME_WARN,
	       "%d of %d items pass or are "
	       "signed",
	       ok, s->nchecks);
	ui_put(c, top + 1, 2, THEME_DIM,
	       ":checklist USE_CASE walks another; sign with tokentop checklist %s --use-case %s "
	       "--sign ITEM",
	       c->o->checklist_file, s->check_uc);
	return 2;
}

/* ---- Controls: what the gateways have in force ---- */

static const grid_col control_cols[] = {
    {"gateway", 10, 3, false, false, false}, {"id", 10, 0, false, false, false},
    {"kind", 12, 0, false, false, false},    {"scope", 26, 0, false, false, false},
    {"params", 18, 2, false, false, false},  {"expires in", 10, 0, true, true, false},
    {"by", 12, 4, false, false, false},      {"reason", 24, 1, false, false, false},
};

/* {"use_case":"x"} shown as use_case=x */
static void flat_json(const char *js, char *buf, size_t cap)
{
	size_t n = 0;
	for (const char *p = js; *p && n + 1 < cap; p++) {
		if (*p == '{' || *p == '}' || *p == '"')
			continue;
		buf[n++] = *p == ':' ? '=' : *p;
	}
	buf[n] = 0;
}

static void fmt_left(int64_t ms, char *buf, size_t cap)
{
	if (ms <= 0) {
		snprintf(buf, cap, "expired");
		return;
	}
	int64_t s = ms / 1000;
	if (s >= 3600)
		snprintf(buf, cap, "%lldh %02lldm", (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	else
		snprintf(buf, cap, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
}

static void fill_controls(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_gw)
		return;
	int64_t now = time_now_ms();
	for (size_t i = 0; i < s->gw.n; i++) {
		const view_gateway *gw = &s->gw.gateways[i];
		for (size_t k = 0; k < gw->ncontrols; k++) {
			const view_gw_control *ct = &gw->controls[k];
			char scope[256], params[256], left[32] = "-";
			flat_json(ct->scope, scope, sizeof scope);
			ui_scope(c, scope, scope, sizeof scope);
			flat_json(ct->params, params, sizeof params);
			if (ct->expires_ms)
				fmt_left(ct->expires_ms - now, left, sizeof left);
			const char *cells[] = {gw->source,
			                       ct->id,
			                       ct->kind,
			                       scope,
			                       params,
			                       left,
			                       ct->actor ? ct->actor : "",
			                       ct->reason ? ct->reason : ""};
			double nums[] = {
			    0, 0, 0, 0, 0, ct->expires_ms ? (double)(ct->expires_ms - now) : 1e18,
			    0, 0};
			bool stop = !strcmp(ct->kind, "kill_switch");
			grid_row *gr = grid_add(g, stop ? THEME_CRIT : THEME_WARN, cells, nums);
			char ref[300];
			snprintf(ref, sizeof ref, "%s/%s", gw->source, ct->id);
			if (gr)
				grid_set_ref(gr, ref);
		}
	}
}

static int draw_controls(console *c, int top, int rows)
{
	(void)rows;
	if (no_data(c, top, c->snap && c->snap->have_gw))
		return 1;
	size_t n = 0;
	int64_t age = -1;
	for (size_t i = 0; c->snap && i < c->snap->gw.n; i++) {
		n += c->snap->gw.gateways[i].ncontrols;
		if (c->snap->gw.gateways[i].controls_ms)
			age = (c->snap->now_ms - c->snap->gw.gateways[i].controls_ms) / 1000;
	}
	if (c->snap && !c->snap->gw.n)
		ui_put(c, top, 2, THEME_DIM,
		       "no gateway state read yet (a [gateway] source reads "
		       "/v1/controls every 30 s)");
	else if (!n)
		ui_put(c, top, 2, THEME_OK, "%s no controls in force%s", theme_role_glyph(THEME_OK),
		       age >= 0 ? "" : " (not read yet)");
	else
		ui_put(c, top, 2, THEME_DIM,
		       "controls in force, read %llds ago; L lifts the selected "
		       "one",
		       (long long)(age < 0 ? 0 : age));
	return 1;
}

/* ---- Audit ---- */

static const grid_col audit_cols[] = {
    {"seq", 6, 0, true, true, true},        {"time (UTC)", 16, 1, false, false, true},
    {"actor", 14, 2, false, false, false},  {"kind", 9, 3, false, false, false},
    {"action", 13, 0, false, false, false}, {"gateway", 10, 4, false, false, false},
    {"scope", 22, 0, false, false, false},  {"status", 10, 0, false, false, false},
    {"ref", 5, 5, true, true, false},       {"reason", 24, 2, false, false, false},
};

/* The title or text a note or an incident keeps in its params ({"kind":..,"title":..} or
 * {"text":..}), unescaped enough to read; the params themselves otherwise. */
static const char *params_text(const char *params, char *buf, size_t cap)
{
	static const char *const keys[] = {"\"title\":\"", "\"text\":\""};
	for (size_t k = 0; k < 2; k++) {
		const char *p = strstr(params, keys[k]);
		if (!p)
			continue;
		p += strlen(keys[k]);
		size_t n = 0;
		for (; *p && *p != '"' && n + 1 < cap; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf[n++] = *p;
		}
		buf[n] = 0;
		return buf;
	}
	return strcmp(params, "{}") ? params : "";
}

static void fill_audit(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_audit)
		return;
	for (size_t i = s->naudit; i-- > 0;) { /* newest first */
		const ui_audit_row *r = &s->audit[i];
		char seq[24], ts[32], ref[24] = "";
		fmt_int(r->seq, seq, sizeof seq);
		time_format_iso(r->ts_ms, ts, sizeof ts);
		ts[16] = 0;
		ts[10] = ' ';
		if (r->ref_seq)
			fmt_int(r->ref_seq, ref, sizeof ref);
		/* notes and incidents carry their text in params */
		char text[200];
		const char *why =
		    *r->reason ? r->reason : params_text(r->params, text, sizeof text);
		char scope[sizeof r->scope];
		ui_scope(c, r->scope, scope, sizeof scope);
		const char *cells[] = {seq,        ts,    r->actor,  r->kind, r->action,
		                       r->gateway, scope, r->status, ref,     why};
		double nums[] = {
		    (double)r->seq, (double)r->ts_ms, 0, 0, 0, 0, 0, 0, (double)r->ref_seq, 0};
		theme_role role = !strcmp(r->status, "failed")    ? THEME_CRIT
		                  : !strcmp(r->status, "pending") ? THEME_WARN
		                  : !strcmp(r->status, "applied") ? THEME_OK
		                                                  : THEME_TEXT;
		grid_add(g, role, cells, nums);
	}
}

static int draw_audit(console *c, int top, int rows)
{
	(void)rows;
	if (no_data(c, top, c->snap && c->snap->have_audit))
		return 1;
	if (c->snap && !c->snap->naudit)
		ui_put(c, top, 2, THEME_DIM,
		       "no audit records yet: actions, sign-offs and incident notes land here");
	else
		ui_put(
		    c, top, 2, THEME_DIM,
		    "newest first; tokentop audit verify checks the chain, audit export writes it");
	return 1;
}

static int scope_alert(console *c, const grid_row *r, char *buf, size_t cap)
{
	(void)c;
	const char *ref = grid_row_ref(r);
	static const char *const keys[] = {"use_case=", "team=", "tenant=", "provider=", "model="};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strncmp(ref, keys[i], strlen(keys[i]))) {
			snprintf(buf, cap, "%s", ref);
			return 0;
		}
	return -1;
}

static int scope_control(console *c, const grid_row *r, char *buf, size_t cap)
{
	(void)c;
	const char *ref = grid_row_ref(r), *slash = strchr(ref, '/');
	if (!slash)
		return -1;
	snprintf(buf, cap, "id=%s gateway=%.*s", slash + 1, (int)(slash - ref), ref);
	return 0;
}

/* ---- Inference ---- */

static const grid_col inference_cols[] = {
    {"source", 12, 1, false, false, false}, {"model", 24, 0, false, false, false},
    {"running", 8, 0, true, true, true},    {"waiting", 8, 0, true, true, true},
    {"kv cache", 18, 0, false, true, true}, {"ttft p50", 9, 2, true, true, true},
    {"ttft p95", 9, 1, true, true, true},   {"age", 6, 3, true, true, false},
};

static void fill_inference(console *c, grid *g)
{
	snapshot *s = c->snap;
	if (!s || !s->have_inference)
		return;
	for (size_t i = 0; i < s->inference.n; i++) {
		const view_server *v = &s->inference.servers[i];
		char run[32], wait[32], kv[96], bar[64], p50[32], p95[32], age[32];
		snprintf(run, sizeof run, "%.0f", v->requests_running);
		snprintf(wait, sizeof wait, "%.0f", v->requests_waiting);
		ui_bar(c, v->kv_cache_usage, 10, bar, sizeof bar);
		snprintf(kv, sizeof kv, "%s %5.1f%%", bar, 100.0 * v->kv_cache_usage);
		snprintf(p50, sizeof p50, isnan(v->ttft_p50_s) ? "-" : "%.3fs", v->ttft_p50_s);
		snprintf(p95, sizeof p95, isnan(v->ttft_p95_s) ? "-" : "%.3fs", v->ttft_p95_s);
		int64_t a = (s->now_ms - v->last_scrape_ms) / 1000;
		snprintf(age, sizeof age, "%llds", (long long)(a < 0 ? 0 : a));
		const char *cells[] = {v->source, v->model_name, run, wait, kv, p50, p95, age};
		double nums[] = {0,
		                 0,
		                 v->requests_running,
		                 v->requests_waiting,
		                 v->kv_cache_usage,
		                 v->ttft_p50_s,
		                 v->ttft_p95_s,
		                 (double)a};
		theme_role role = a > 60                    ? THEME_STALE
		                  : v->kv_cache_usage > 0.9 ? THEME_WARN
		                                            : THEME_TEXT;
		grid_row *r = grid_add(g, role, cells, nums);
		char ref[sizeof v->source + sizeof v->model_name + 1];
		snprintf(ref, sizeof ref, "%s\t%s", v->source, v->model_name);
		if (r)
			grid_set_ref(r, ref);
	}
}

static double peak(double a, double b)
{
	return isnan(a) || b > a ? b : a;
}

/* A rate or count in at most five characters: 950, 12.3k, 4.5M. */
static void fmt_short(double v, char *buf, size_t cap)
{
	if (isnan(v))
		snprintf(buf, cap, "-");
	else if (v < 1000)
		snprintf(buf, cap, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, cap, "%.1fk", v / 1e3);
	else
		snprintf(buf, cap, "%.1fM", v / 1e6);
}

/* One server's three charts side by side in w cells from x: KV cache, tokens/s, queue. Its
 * labels on line y, the charts h rows below them. */
static void draw_server_charts(console *c, const view_server *v, int y, int h)
{
	const view_server_history *hs = &v->hist;
	int gap = 3, w = (COLS - 4 - 2 * gap) / 3;
	char now[3][16], max[3][16], run[16], label[96];
	/* the window's most, the current figure included (a rate over the last scrape interval
	 * can top the steps' means) */
	fmt_pct(v->kv_cache_usage, now[0], sizeof now[0]);
	fmt_pct(peak(hs->kv_max, v->kv_cache_usage), max[0], sizeof max[0]);
	fmt_short(v->tokens_per_s, now[1], sizeof now[1]);
	fmt_short(peak(hs->tokens_per_s_max, v->tokens_per_s), max[1], sizeof max[1]);
	fmt_short(v->requests_waiting, now[2], sizeof now[2]);
	fmt_short(peak(hs->waiting_max, v->requests_waiting), max[2], sizeof max[2]);
	fmt_short(v->requests_running, run, sizeof run);
	static const char *const wide[3] = {"KV cache", "tokens/s", "waiting"};
	static const char *const narrow[3] = {"KV", "tok/s", "wait"};
	const char *const *names = w >= 30 ? wide : narrow;
	const double *series[3] = {hs->kv_cache_usage, hs->tokens_per_s, hs->requests_waiting};
	for (int k = 0; k < 3; k++) {
		int x = 2 + k * (w + gap);
		int n = snprintf(label, sizeof label, "%s %s", names[k], now[k]);
		if (k == 2)
			n += snprintf(label + n, sizeof label - (size_t)n,
			              w >= 30 ? " (run %s)" : " run %s", run);
		ui_put(c, y, x, THEME_TITLE, "%.*s", w, label);
		char m[32];
		int ml = snprintf(m, sizeof m, "max %s", max[k]);
		if (n + 1 + ml <= w)
			ui_put(c, y, x + w - ml, THEME_DIM, "%s", m);
		chart_opts o = {0, k == 0 ? 1.0 : NAN, CHART_AREA};
		ui_chart(c, y + 1, x, w, h, series[k], VIEW_INFERENCE_POINTS, &o);
	}
}

/* Below the table, as room allows: the history of the selected server (of every server when
 * they all fit), three charts each, down to one row high; nothing when even that does not. */
static void draw_inference_history(console *c, int top, int rows)
{
	const snapshot *s = c->snap;
	const grid *g = &c->grids[c->screen];
	size_t shown = g->nshown < (size_t)rows ? g->nshown : (size_t)rows;
	int y = top + 1 + (int)shown + 1; /* the table's header, its rows, a blank line */
	int avail = top + rows - y;
	const size_t n = s->inference.n;
	/* a block: a title, the labels, the charts; a blank line between blocks */
	bool all = n > 1 && (avail + 1) / (int)n - 3 >= 2;
	int h = all ? (avail + 1) / (int)n - 3 : avail - 2;
	if (h > 6)
		h = 6;
	if (h < 1)
		return;
	const grid_row *sel = grid_selected(g);
	char win[32];
	int64_t wm = s->inference_window_ms;
	snprintf(win, sizeof win, wm % 3600000 ? "%lldm" : "%lldh",
	         (long long)(wm % 3600000 ? wm / 60000 : wm / 3600000));
	for (size_t i = 0; i < n; i++) {
		const view_server *v = &s->inference.servers[i];
		if (!v->has_history)
			continue;
		char ref[sizeof v->source + sizeof v->model_name + 1];
		snprintf(ref, sizeof ref, "%s\t%s", v->source, v->model_name);
		if (!all && (!sel || strcmp(grid_row_ref(sel), ref)))
			continue;
		ui_put(c, y, 2, THEME_TITLE, "%.40s / %.60s", v->source, v->model_name);
		ui_put(c, y, 2 + (int)strnlen(v->source, 40) + 3 + (int)strnlen(v->model_name, 60),
		       THEME_DIM, ", the last %s", win);
		draw_server_charts(c, v, y + 1, h);
		y += h + 3;
	}
}

static int draw_inference(console *c, int top, int rows)
{
	if (no_data(c, top, c->snap && c->snap->have_inference))
		return 1;
	if (c->snap && !c->snap->inference.n) {
		ui_put(c, top, 2, THEME_DIM,
		       "no inference servers scraped (tokentop sync --scrape NAME=URL,vllm)");
		return 1;
	}
	if (c->snap)
		draw_inference_history(c, top, rows);
	return 0;
}

static int draw_prompts(console *c, int top, int rows)
{
	(void)rows;
	return no_data(c, top, c->snap && c->snap->have_prompts);
}

/* "45s", "12m", "3h05m", "2d04h": a short span for the changes' lines. */
static void fmt_span(int64_t ms, char *buf, size_t cap)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;
	if (s < 60)
		snprintf(buf, cap, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, cap, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, cap, "%lldh%02lldm", (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	else
		snprintf(buf, cap, "%lldd%02lldh", (long long)(s / 86400),
		         (long long)(s % 86400 / 3600));
}

/* Below the table, when there is room: the controls shaping routes and the recent route
 * actions of the audit log, newest first, as many as fit in lines. */
static void draw_route_changes(console *c, int y, int lines)
{
	const view_routes *v = &c->snap->routes;
	int end = y + lines;
	ui_put(c, y++, 2, THEME_TITLE, "Recent changes");
	ui_put(c, y - 1, 17, THEME_DIM,
	       "(reroutes, degrades and their lifts, last 24h; %zu "
	       "control%s in force)",
	       v->ncontrols, v->ncontrols == 1 ? "" : "s");
	if (!v->ncontrols && !v->nchanges && y < end)
		ui_put(c, y++, 4, THEME_DIM, "none: every route runs on its configured weights");
	char a[32], b[48], tbuf[32];
	for (size_t i = 0; i < v->ncontrols && y < end; i++) {
		const view_rcontrol *ct = &v->controls[i];
		fmt_span(v->now_ms - ct->created_ms, a, sizeof a);
		if (ct->expires_ms) {
			fmt_span(ct->expires_ms - v->now_ms, tbuf, sizeof tbuf);
			snprintf(b, sizeof b, "expires in %s", tbuf);
		} else
			snprintf(b, sizeof b, "no expiry");
		ui_put(c, y++, 4, THEME_WARN,
		       "in force     %-16.16s %-8.8s %-10.10s %s%s, %s  by %.20s: %.80s", ct->route,
		       ct->kind, ct->id, ct->created_ms ? "since " : "", ct->created_ms ? a : "", b,
		       ct->actor ? ct->actor : "?", ct->reason ? ct->reason : "");
	}
	for (size_t i = 0; i < v->nchanges && y < end; i++) {
		const view_rchange *ch = &v->changes[i];
		time_format_iso(ch->ts_ms, tbuf, sizeof tbuf);
		tbuf[16] = 0;
		char span[16];
		fmt_span(v->now_ms - ch->ts_ms, span, sizeof span);
		snprintf(a, sizeof a, "%s ago", span);
		bool ok = !strcmp(ch->status, "applied");
		ui_put(c, y++, 4, ok ? THEME_TEXT : THEME_CRIT,
		       "%s %-7.7s %-16.16s %-8.8s %-8.8s %-10.10s by %.20s: %.80s", tbuf + 11, a,
		       ch->route, ch->action, ch->status, ch->control_id, ch->actor, ch->reason);
	}
}

static int draw_routing(console *c, int top, int rows)
{
	snapshot *s = c->snap;
	if (no_data(c, top, s && s->have_routes))
		return 1;
	const view_routes *v = &s->routes;
	if (v->ndiverging) {
		char names[256] = "";
		for (size_t i = 0, n = 0; i < v->nroutes; i++)
			if (v->routes[i].diverges) {
				n += (size_t)snprintf(names + n,
				                      n < sizeof names ? sizeof names - n : 0,
				                      "%s%s", n ? ", " : "", v->routes[i].name);
				if (n >= sizeof names)
					break;
			}
		ui_put(c, top, 2, THEME_WARN,
		       "%s %zu route%s off the configured weights by more than %.0f points: %s",
		       theme_role_glyph(THEME_WARN), v->ndiverging, v->ndiverging == 1 ? "" : "s",
		       100 * VIEW_ROUTE_DIVERGE, names);
	} else {
		bool any = false;
		for (size_t i = 0; i < v->nroutes; i++)
			any |= v->routes[i].source != NULL;
		ui_put(c, top, 2, THEME_DIM, "%s",
		       any ? "observed shares within 10 points of the configured weights (config)"
		           : "no gateway reports its routes: config unknown (-)");
	}
	/* the table first; the changes take what is left below it */
	const grid *g = &c->grids[c->screen];
	int below = rows - 1 - (1 + (int)g->nshown) - 1;
	if (below >= 2)
		draw_route_changes(c, top + 1 + 1 + (int)g->nshown + 1, below);
	return 1;
}

#define COLS_OF(x) x, N(x)

const screen ui_screens[] = {
    {"Overview", "overview", '1', "the top alert, spend now, today, budget, traffic, sources", NULL,
     0, NULL, draw_overview, enter_overview, NULL},
    {"Spend", "spend", '2', "spend by use case, team, tenant, provider, model; drill down",
     COLS_OF(spend_cols), fill_spend, draw_spend, enter_spend, back_spend, scope_spend},
    {"Prompts", "prompts", '3', "the costliest prompt versions, tokens and cost per request",
     COLS_OF(prompt_cols), fill_prompts, draw_prompts, NULL, NULL},
    {"Routing", "routing", '4', "per route, the traffic share of each provider and model",
     COLS_OF(routing_cols), fill_routing, draw_routing, NULL, NULL, scope_routing},
    {"Providers", "providers", '5', "error classes, latency and TTFT per provider and model",
     COLS_OF(provider_cols), fill_providers, draw_providers, NULL, NULL, scope_provider},
    {"Inference", "inference", '6', "self-hosted servers: KV cache, queue, TTFT, their history",
     COLS_OF(inference_cols), fill_inference, draw_inference, NULL, NULL},
    {"SLOs", "slos", '7', "burn rates over the windows, budget left, page or ticket",
     COLS_OF(slo_cols), fill_slos, draw_slos, NULL, NULL},
    {"Budgets", "budgets", '8', "spend against each budget, with the forecast",
     COLS_OF(budget_cols), fill_budgets, draw_budgets, NULL, NULL},
    {"Alerts", "alerts", '9', "open and resolved alerts; Enter goes to the scope",
     COLS_OF(alert_cols), fill_alerts, draw_alerts, enter_alert, NULL, scope_alert},
    {"Review", "review", 'w', "the weekly cost review: this week against the last",
     COLS_OF(week_line_cols), fill_review, draw_review, NULL, NULL, NULL, review_columns},
    {"Checklist", "checklist", 'v', "launch readiness of a use case, item by item",
     COLS_OF(check_cols), fill_checklist, draw_checklist, NULL, NULL, NULL, NULL},
    {"Controls", "controls", 'c', "controls in force at the gateways: kill switches, throttles",
     COLS_OF(control_cols), fill_controls, draw_controls, NULL, NULL, scope_control},
    {"Audit", "audit", '0', "the audit log: actions, sign-offs, incidents (newest first)",
     COLS_OF(audit_cols), fill_audit, draw_audit, NULL, NULL},
};
const int ui_nscreens = N(ui_screens);

/* The number of Spend breakdowns, for the key that cycles them. */
int ui_spend_paths(void)
{
	return N(spend_paths);
}

const char *ui_spend_label(int i)
{
	return spend_paths[i].label;
}
