/* The weekly cost review as one self-contained XHTML page: inline CSS and SVG charts, no
 * scripts and nothing fetched, sized to be read on a shared screen. */
#include "tokentop/report.h"
#include "weekly_fmt.h"

#define OTHER_COLOUR "#9A9A9A"

/* Okabe-Ito, then Tol's muted scheme: told apart with the common colour-vision deficiencies;
 * grey for "other". */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                                      "#D55E00", "#332288", "#117733", "#882255", "#44AA99",
                                      "#999933", "#AA4499", "#F0E442", "#000000"};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* Labels on a bar: dark on the light colours, white on the rest. */
static const char *label_colour(const char *fill)
{
	static const char *const light[] = {"#E69F00", "#56B4E9", "#F0E442",
	                                    "#999933", "#44AA99", OTHER_COLOUR};
	for (size_t i = 0; i < sizeof light / sizeof *light; i++)
		if (!strcmp(fill, light[i]))
			return "#111";
	return "#fff";
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:18px;"
    "line-height:1.4;color:#1a1a1a;background:#fff;margin:0 auto;max-width:1180px;"
    "padding:24px 32px 48px}"
    "h1{font-size:34px;margin:0 0 4px}h1 span{color:#0072B2}"
    "h2{font-size:24px;margin:36px 0 10px;border-bottom:2px solid #e3e3e3;padding-bottom:4px}"
    ".sub{color:#555;margin:0 0 20px}.note{color:#555;font-size:15px;margin:4px 0 10px}"
    ".kpis{display:flex;flex-wrap:wrap;gap:16px}"
    ".kpi{flex:1 1 200px;border:1px solid #ddd;border-radius:10px;padding:14px 18px}"
    ".kpi .label{color:#555;font-size:15px}.kpi .value{font-size:30px;font-weight:600}"
    ".up{color:#B3261E}.down{color:#1B7F3B}.flat{color:#555}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;"
    "font-size:16px}th,td{padding:6px 10px;text-align:left;border-bottom:1px solid #e6e6e6}"
    "th{background:#f3f5f7;font-weight:600}td.n,th.n{text-align:right}"
    "tr:nth-child(even) td{background:#fafbfc}"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:24px}"
    "@media (max-width:900px){.two{grid-template-columns:1fr}}"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:15px;margin:6px 0}"
    ".sw{display:inline-block;width:14px;height:14px;border-radius:3px;margin-right:6px;"
    "vertical-align:-2px}"
    "svg{display:block;max-width:100%;height:auto}"
    "svg text{font-family:system-ui,sans-serif;font-size:14px;fill:#333}"
    "footer{margin-top:40px;color:#666;font-size:14px}";

static void esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* Change against last week: red when spend rose, green when it fell. */
static const char *trend_class(int64_t cur, int64_t prev)
{
	return cur > prev ? "up" : cur < prev ? "down" : "flat";
}

static void kpi(FILE *out, const char *label, int64_t cur, int64_t prev, bool have)
{
	fputs("<div class=\"kpi\"><div class=\"label\">", out);
	esc(out, label);
	fputs("</div><div class=\"value\">", out);
	esc(out, have && cur >= 0 ? wk_usd(cur).s : "-");
	fputs("</div>", out);
	if (have && cur >= 0 && prev >= 0) {
		fprintf(out, "<div class=\"%s\">%s (%s) vs %s</div>", trend_class(cur, prev),
		        wk_change(cur, prev).s, wk_delta(cur, prev).s, wk_usd(prev).s);
	} else {
		fputs("<div class=\"flat\">no comparison</div>", out);
	}
	fputs("</div>\n", out);
}

/* The smallest 1, 2 or 5 times a power of ten at or above v (v > 0). */
static int64_t nice_step(int64_t v)
{
	int64_t p = 1;
	while (p <= INT64_MAX / 10 && p * 10 <= v)
		p *= 10;
	if (p >= v)
		return p;
	if (2 * p >= v)
		return 2 * p;
	if (5 * p >= v)
		return 5 * p;
	return 10 * p;
}

/* A y axis from 0 with about four steps over max; returns the axis top. */
static int64_t axis_top(int64_t max, int64_t *step)
{
	*step = nice_step(max > 4 ? (max + 3) / 4 : 1);
	return ((max + *step - 1) / *step) * *step;
}

#define CW 720 /* chart width and height, in SVG user units */
#define CH 300
#define ML 80 /* margins: left for the axis labels, bottom for the days */
#define MR 16
#define MT 14
#define MB 44

static int ypos(int64_t v, int64_t top)
{
	return MT + (int)((double)(CH - MT - MB) * (1.0 - (double)v / (double)top) + 0.5);
}

static void y_axis(FILE *out, int64_t top, int64_t step)
{
	for (int64_t t = 0; t <= top; t += step) {
		int y = ypos(t, top);
		fprintf(out,
		        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e3e3e3\"/>"
		        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
		        ML, y, CW - MR, y, ML - 8, y + 5, wk_usd(t).s);
	}
}

static int xslot(int d, int *w)
{
	int slot = (CW - ML - MR) / 7;
	*w = slot;
	return ML + d * slot;
}

static void x_days(FILE *out, const view_weekly *v)
{
	for (int d = 0; d < 7; d++) {
		int w, x = xslot(d, &w);
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		        x + w / 2, CH - MB + 22, wk_day_label(v->days[d].day).s);
	}
}

static const char *series_colour(const view_weekly *v, size_t s)
{
	if (s + 1 == v->nseries && !strcmp(v->series[s], "other") &&
	    v->nseries > WEEKLY_CHART_SERIES)
		return OTHER_COLOUR;
	return palette[s % NPALETTE];
}

static void legend_item(FILE *out, const char *colour, const char *label)
{
	fprintf(out, "<span><span class=\"sw\" style=\"background:%s\"></span>", colour);
	esc(out, label);
	fputs("</span>", out);
}

static void chart_daily(FILE *out, const view_weekly *v)
{
	int64_t max = 0;
	for (int d = 0; d < 7; d++) {
		int64_t sum = 0;
		for (size_t s = 0; s < v->nseries; s++)
			sum += v->series_cost[s][d] > 0 ? v->series_cost[s][d] : 0;
		if (sum > max)
			max = sum;
	}
	int64_t step, top = axis_top(max, &step);
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"Daily spend by use case\">\n",
	        CW, CH, CW, CH);
	y_axis(out, top, step);
	for (int d = 0; d < 7; d++) {
		int w, x = xslot(d, &w);
		int64_t base = 0;
		for (size_t s = 0; s < v->nseries; s++) {
			int64_t c = v->series_cost[s][d];
			if (c <= 0)
				continue;
			int y1 = ypos(base + c, top), y0 = ypos(base, top);
			fprintf(out,
			        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
			        "<title>",
			        x + w / 5, y1, w * 3 / 5, y0 - y1 > 0 ? y0 - y1 : 1,
			        series_colour(v, s));
			esc(out, v->series[s]);
			fprintf(out, ": %s</title></rect>\n", wk_usd(c).s);
			base += c;
		}
		if (base > 0)
			fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			        x + w / 2, ypos(base, top) - 6, wk_usd(base).s);
	}
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", ML,
	        ypos(0, top), CW - MR, ypos(0, top));
	x_days(out, v);
	fputs("</svg>\n<div class=\"legend\">", out);
	for (size_t s = 0; s < v->nseries; s++)
		legend_item(out, series_colour(v, s), v->series[s]);
	fputs("</div>\n", out);
}

static void polyline(FILE *out, const view_weekly *v, bool prev, int64_t top, const char *colour)
{
	/* a line through the days with a success; days without one break it */
	bool open = false;
	for (int d = 0; d < 7; d++) {
		const view_week_day *w = &v->days[d];
		int64_t c = prev ? w->prev_cost_per_success_nanos : w->cost_per_success_nanos;
		if (c < 0 || (!prev && !w->reached)) {
			if (open)
				fputs("\"/>\n", out);
			open = false;
			continue;
		}
		int sw, x = xslot(d, &sw) + sw / 2;
		if (!open)
			fprintf(
			    out,
			    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\"%s points=\"",
			    colour, prev ? " stroke-dasharray=\"8 6\"" : "");
		fprintf(out, "%s%d,%d", open ? " " : "", x, ypos(c, top));
		open = true;
	}
	if (open)
		fputs("\"/>\n", out);
	for (int d = 0; d < 7; d++) {
		const view_week_day *w = &v->days[d];
		int64_t c = prev ? w->prev_cost_per_success_nanos : w->cost_per_success_nanos;
		if (c < 0 || (!prev && !w->reached))
			continue;
		int sw, x = xslot(d, &sw) + sw / 2, y = ypos(c, top);
		fprintf(
		    out,
		    "<circle cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"%s\"><title>%s</title></circle>\n",
		    x, y, prev ? 3 : 5, colour, wk_usd(c).s);
		if (!prev)
			fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			        x, y - 10, wk_usd(c).s);
	}
}

static void chart_outcome(FILE *out, const view_weekly *v)
{
	int64_t max = 0;
	for (int d = 0; d < 7; d++) {
		const view_week_day *w = &v->days[d];
		if (w->reached && w->cost_per_success_nanos > max)
			max = w->cost_per_success_nanos;
		if (w->prev_cost_per_success_nanos > max)
			max = w->prev_cost_per_success_nanos;
	}
	int64_t step, top = axis_top(max, &step);
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"Cost per successful outcome per day\">\n",
	        CW, CH, CW, CH);
	y_axis(out, top, step);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", ML,
	        ypos(0, top), CW - MR, ypos(0, top));
	polyline(out, v, true, top, OTHER_COLOUR);
	polyline(out, v, false, top, palette[0]);
	x_days(out, v);
	fputs("</svg>\n<div class=\"legend\">", out);
	legend_item(out, palette[0], "this week");
	legend_item(out, OTHER_COLOUR, "last week, same weekday (dashed)");
	fputs("</div>\n", out);
}

/* Colours of provider/model targets, the same in every use case's bar. */
typedef struct target_colours {
	const char *key[2][64];
	size_t n;
} target_colours;

static const char *target_colour(target_colours *tc, const char *provider, const char *model)
{
	for (size_t i = 0; i < tc->n; i++)
		if (!strcmp(tc->key[0][i], provider) && !strcmp(tc->key[1][i], model))
			return i < NPALETTE ? palette[i] : OTHER_COLOUR;
	if (tc->n < 64) {
		tc->key[0][tc->n] = provider;
		tc->key[1][tc->n] = model;
		tc->n++;
		return tc->n - 1 < NPALETTE ? palette[tc->n - 1] : OTHER_COLOUR;
	}
	return OTHER_COLOUR;
}

static void chart_routing(FILE *out, const view_weekly *v)
{
	const int bar = 34, gap = 18, label = 170, width = CW;
	int height = (int)v->nroutes * (bar + gap) + gap;
	target_colours tc = {{{0}}, 0};
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"Routing share per use case\">\n",
	        width, height, width, height);
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_week_route *r = &v->routes[i];
		int y = gap / 2 + (int)i * (bar + gap);
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label - 10,
		        y + bar / 2 + 5);
		esc(out, *r->use_case ? r->use_case : "(none)");
		fputs("</text>\n", out);
		int64_t acc = 0;
		int span = width - label - MR;
		for (size_t k = r->first; k < r->first + r->n; k++) {
			const view_row *t = &v->targets.rows[k];
			int x0 =
			    label + (int)((double)span * (double)acc / (double)r->requests + 0.5);
			acc += t->m[TT_M_REQUESTS];
			int x1 =
			    label + (int)((double)span * (double)acc / (double)r->requests + 0.5);
			if (x1 <= x0)
				continue;
			int tenths = (int)(1000 * t->m[TT_M_REQUESTS] / r->requests);
			const char *fill = target_colour(&tc, t->key[1], t->key[2]);
			fprintf(out,
			        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
			        "stroke=\"#fff\"><title>",
			        x0, y, x1 - x0, bar, fill);
			esc(out, t->key[1]);
			fputc('/', out);
			esc(out, t->key[2]);
			fprintf(out, ": %d.%d%% of requests</title></rect>\n", tenths / 10,
			        tenths % 10);
			if (x1 - x0 >= 48)
				fprintf(out,
				        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
				        "style=\"fill:%s;font-weight:600\">%d%%</text>\n",
				        (x0 + x1) / 2, y + bar / 2 + 5, label_colour(fill),
				        (tenths + 5) / 10);
		}
	}
	fputs("</svg>\n<div class=\"legend\">", out);
	for (size_t i = 0; i < tc.n; i++) {
		char name[256];
		snprintf(name, sizeof name, "%s/%s", tc.key[0][i], tc.key[1][i]);
		legend_item(out, i < NPALETTE ? palette[i] : OTHER_COLOUR, name);
	}
	fputs("</div>\n", out);
}

/* ---- tables ---- */

static void th(FILE *out, const char *const *head, const bool *num, int n)
{
	fputs("<table><thead><tr>", out);
	for (int i = 0; i < n; i++) {
		fputs(num[i] ? "<th class=\"n\">" : "<th>", out);
		esc(out, head[i]);
		fputs("</th>", out);
	}
	fputs("</tr></thead><tbody>\n", out);
}

static void tr(FILE *out, const char *const *cells, const bool *num, int n)
{
	fputs("<tr>", out);
	for (int i = 0; i < n; i++) {
		fputs(num[i] ? "<td class=\"n\">" : "<td>", out);
		esc(out, cells[i]);
		fputs("</td>", out);
	}
	fputs("</tr>\n", out);
}

static void compare_table(FILE *out, const view_weekly *v, const char *keyname, tt_dim dim,
                          const view_week_lines *l, bool prompts)
{
	if (!l->n) {
		fputs("<p class=\"note\">nothing to show</p>\n", out);
		return;
	}
	const char *head[] = {keyname, "version", "this week", "last week", "change", "%"};
	const bool num[] = {false, false, true, true, true, true};
	int skip = prompts ? 0 : 1;
	const char *h2[6];
	bool n2[6];
	int nc = 0;
	for (int i = 0; i < 6; i++)
		if (!(skip && i == 1)) {
			h2[nc] = head[i];
			n2[nc++] = num[i];
		}
	th(out, h2, n2, nc);
	for (size_t i = 0; i < l->n; i++) {
		const view_week_line *r = &l->rows[i];
		wbuf k = wk_name(v, dim, r->key[0]), a = wk_usd(r->cost_nanos),
		     b = wk_usd(r->prev_cost_nanos),
		     d = wk_delta(r->cost_nanos, r->prev_cost_nanos),
		     p = wk_change(r->cost_nanos, r->prev_cost_nanos);
		const char *cells[] = {k.s, prompts ? r->key[1] : "", a.s, b.s, d.s, p.s};
		const char *c2[6];
		nc = 0;
		for (int j = 0; j < 6; j++)
			if (!(skip && j == 1))
				c2[nc++] = cells[j];
		tr(out, c2, n2, nc);
	}
	fputs("</tbody></table>\n", out);
}

static void cache_table(FILE *out, const view_weekly *v)
{
	if (!v->ncache) {
		fputs(
		    "<p class=\"note\">No request looked the response cache up either week.</p>\n",
		    out);
		return;
	}
	const char *head[] = {"use case",
	                      "hit rate",
	                      "misses",
	                      "miss cost",
	                      "last week",
	                      "saved by hits",
	                      "saved by prompt cache"};
	const bool num[] = {false, true, true, true, true, true, true};
	th(out, head, num, 7);
	for (size_t i = 0; i <= v->ncache; i++) {
		const view_week_cache *k = i < v->ncache ? &v->cache[i] : &v->cache_total;
		wbuf h = wk_share(k->hits, k->hits + k->misses), n = wk_count(k->misses),
		     a = wk_usd(k->miss_cost_nanos), b = wk_usd(k->prev_miss_cost_nanos),
		     s = wk_usd(k->hit_saved_nanos), p = wk_usd(k->prompt_saved_nanos);
		const char *cells[] = {
		    i < v->ncache ? (*k->use_case ? k->use_case : "(none)") : "total",
		    h.s,
		    n.s,
		    a.s,
		    b.s,
		    s.s,
		    p.s};
		tr(out, cells, num, 7);
	}
	fputs("</tbody></table>\n", out);
}

static void elevation_table(FILE *out, const view_weekly *v)
{
	const char *head[] = {"use case",      "requests",      "elevated", "rate",
	                      "elevated cost", "of route cost", "last week"};
	const bool num[] = {false, true, true, true, true, true, true};
	th(out, head, num, 7);
	for (size_t i = 0; i < v->nroutes; i++) {
		const view_week_route *r = &v->routes[i];
		wbuf a = wk_count(r->requests), b = wk_count(r->elevated),
		     d = wk_share(r->elevated, r->requests), e = wk_usd(r->elevated_cost_nanos),
		     f = wk_share(r->elevated_cost_nanos, r->cost_nanos),
		     g = wk_usd(r->prev_elevated_cost_nanos);
		const char *cells[] = {
		    *r->use_case ? r->use_case : "(none)", a.s, b.s, d.s, e.s, f.s, g.s};
		tr(out, cells, num, 7);
	}
	fputs("</tbody></table>\n", out);
}

static void budget_table(FILE *out, const view_weekly *v)
{
	if (!v->budgets.n) {
		fputs("<p class=\"note\">No budgets configured ([budget NAME] in the config file, "
		      "docs/config.md).</p>\n",
		      out);
		return;
	}
	const char *head[] = {"budget", "scope", "period",   "amount",
	                      "spent",  "used",  "forecast", "state"};
	const bool num[] = {false, false, false, true, true, true, true, false};
	th(out, head, num, 8);
	for (size_t i = 0; i < v->budgets.n; i++) {
		wk_row row;
		wk_budget_row(&v->budgets.rows[i], &row);
		tr(out, row.cells, num, 8);
	}
	fputs("</tbody></table>\n", out);
}

static void anomaly_table(FILE *out, const view_weekly *v)
{
	if (!v->nalerts) {
		fputs("<p class=\"note\">No anomaly fired this week.</p>\n", out);
		return;
	}
	const char *head[] = {"since", "kind",     "scope",    "peak",
	                      "value", "baseline", "resolved", "reason"};
	const bool num[] = {false, false, false, false, true, true, false, false};
	th(out, head, num, 8);
	for (size_t i = 0; i < v->nalerts; i++) {
		wk_row row;
		wk_anomaly_row(&v->alerts[i], &row);
		tr(out, row.cells, num, 8);
	}
	fputs("</tbody></table>\n", out);
}

static void incident_table(FILE *out, const view_weekly *v)
{
	fprintf(out,
	        "<p class=\"note\">%" PRId64 " opened, %" PRId64
	        " closed this week; every incident open at some time in it.</p>\n",
	        v->incidents_opened, v->incidents_closed);
	if (!v->nincidents) {
		fputs("<p class=\"note\">No incident this week.</p>\n", out);
		return;
	}
	const char *head[] = {"id", "kind", "title", "opened", "closed", "notes"};
	const bool num[] = {true, false, false, false, false, true};
	th(out, head, num, 6);
	for (size_t i = 0; i < v->nincidents; i++) {
		const view_week_incident *x = &v->incidents[i];
		char id[32], notes[32], closed[256];
		snprintf(id, sizeof id, "%" PRId64, x->id);
		snprintf(notes, sizeof notes, "%" PRId64, x->notes);
		wbuf op = wk_minute(x->opened_ms), cl = wk_minute(x->closed_ms);
		wtext why = wk_text(x->close_reason);
		if (!x->closed_ms)
			snprintf(closed, sizeof closed, "still open");
		else if (*why.s)
			snprintf(closed, sizeof closed, "%s (%.100s)", cl.s, why.s);
		else
			snprintf(closed, sizeof closed, "%s", cl.s);
		wtext title = wk_text(x->title);
		const char *cells[] = {id, x->kind, title.s, op.s, closed, notes};
		tr(out, cells, num, 6);
	}
	fputs("</tbody></table>\n", out);
}

static void action_table(FILE *out, const view_weekly *v)
{
	fprintf(out,
	        "<p class=\"note\">%" PRId64 " applied (%" PRId64 " of them lifts), %" PRId64
	        " failed, as the audit log records them.</p>\n",
	        v->actions_applied, v->lifts, v->actions_failed);
	if (!v->nactions) {
		fputs("<p class=\"note\">No action was taken this week.</p>\n", out);
		return;
	}
	const char *head[] = {"time", "action", "scope", "actor", "status", "reason"};
	const bool num[] = {false, false, false, false, false, false};
	th(out, head, num, 6);
	for (size_t i = 0; i < v->nactions; i++) {
		wk_row row;
		wk_action_row(v, &v->actions[i], &row);
		tr(out, row.cells, num, 6);
	}
	fputs("</tbody></table>\n", out);
}

int report_weekly_html(FILE *out, const view_weekly *v)
{
	char name[16], prev[16];
	view_week_name(v->start_ms, name, sizeof name);
	view_week_name(v->prev_start_ms, prev, sizeof prev);
	wbuf first = wk_day_label(v->days[0].day), last = wk_day_label(v->days[6].day);
	int64_t y;
	unsigned mo, d;
	time_civil_from_days(v->days[6].day, &y, &mo, &d);
	fprintf(out,
	        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
	        "<head>\n<meta charset=\"utf-8\"/>\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	        "<title>Weekly cost review %s</title>\n<style>%s</style>\n</head>\n<body>\n",
	        name, css);
	fprintf(out,
	        "<h1>Weekly cost review <span>%s</span></h1>\n"
	        "<p class=\"sub\">%s to %s %" PRId64 ", against %s",
	        name, first.s, last.s, y, prev);
	if (v->until_ms < v->end_ms)
		fprintf(out, " &#8212; week in progress: up to %s, against the same span of %s",
		        wk_iso(v->until_ms).s, prev);
	fputs(v->present ? " &#8212; tenant names aliased</p>\n" : "</p>\n", out);
	char cov[400];
	if (view_weekly_coverage_note(v, cov, sizeof cov))
		fprintf(out, "<p class=\"sub\">%s</p>\n", cov);

	int64_t ex = 0, ey = 0;
	for (size_t i = 0; i < v->nroutes; i++) {
		ex += v->routes[i].elevated_cost_nanos;
		ey += v->routes[i].prev_elevated_cost_nanos;
	}
	fputs("<div class=\"kpis\">\n", out);
	kpi(out, "Spend", v->m[TT_M_COST_NANOS], v->prev_m[TT_M_COST_NANOS], true);
	kpi(out, "Cost per successful outcome", v->cost_per_success_nanos,
	    v->prev_cost_per_success_nanos, v->cost_per_success_nanos >= 0);
	kpi(out, "Cache misses cost", v->cache_total.miss_cost_nanos,
	    v->cache_total.prev_miss_cost_nanos, true);
	kpi(out, "Elevated requests cost", ex, ey, true);
	fputs("</div>\n", out);

	fputs("<h2>Daily spend by use case</h2>\n", out);
	chart_daily(out, v);
	fputs("<h2>Cost per successful outcome</h2>\n"
	      "<p class=\"note\">Spend divided by the requests whose outcome was a success, per "
	      "UTC day.</p>\n",
	      out);
	chart_outcome(out, v);

	fputs("<h2>Spend by use case</h2>\n", out);
	compare_table(out, v, "use case", TT_D_USE_CASE, &v->by_use_case, false);
	fputs("<div class=\"two\"><div><h2>By team</h2>\n", out);
	compare_table(out, v, "team", TT_D_TEAM, &v->by_team, false);
	fputs("</div><div><h2>By tenant</h2>\n", out);
	compare_table(out, v, "tenant", TT_D_TENANT, &v->by_tenant, false);
	fputs("</div></div>\n", out);

	fputs("<h2>Top prompts by spend</h2>\n", out);
	compare_table(out, v, "prompt", TT_D_PROMPT_ID, &v->top_prompts, true);
	fputs("<h2>Top prompts by growth</h2>\n", out);
	compare_table(out, v, "prompt", TT_D_PROMPT_ID, &v->prompt_growth, true);

	fputs("<h2>Cache misses and what they cost</h2>\n"
	      "<p class=\"note\">Miss cost: the requests that missed the gateway's response cache. "
	      "Saved: the card price of the calls that hits avoided, and the provider's prompt "
	      "caching.</p>\n",
	      out);
	cache_table(out, v);

	fputs("<h2>Routing share</h2>\n<p class=\"note\">Each use case's requests by provider and "
	      "model.</p>\n",
	      out);
	chart_routing(out, v);
	fputs("<h2>Routing elevations and their cost</h2>\n", out);
	elevation_table(out, v);

	fprintf(out, "<h2>Forecast against budget</h2>\n<p class=\"note\">As of %s.</p>\n",
	        wk_iso(v->until_ms).s);
	budget_table(out, v);
	fputs("<h2>Anomalies this week</h2>\n", out);
	anomaly_table(out, v);
	fputs("<h2>Incidents this week</h2>\n", out);
	incident_table(out, v);
	fputs("<h2>Actions taken</h2>\n", out);
	action_table(out, v);
	fprintf(out,
	        "<footer>tokentop weekly review %s, read %s to %s (UTC). Amounts in US dollars "
	        "from integer nano-dollars.</footer>\n</body>\n</html>\n",
	        name, wk_iso(v->start_ms).s, wk_iso(v->until_ms).s);
	return ferror(out) ? -1 : 0;
}
