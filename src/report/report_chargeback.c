/* Renders the chargeback view, with the rate card it was computed from printed beside it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cell.h"
#include "table.h"
#include "tokentop/money.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"

typedef cell cbuf;

/* Basis points as a percent with its decimals: 800 -> "8%", 1250 -> "12.5%". */
static cbuf bp_pct(int64_t bp)
{
	cbuf b;
	if (bp % 100 == 0)
		snprintf(b.s, sizeof b.s, "%" PRId64 "%%", bp / 100);
	else if (bp % 10 == 0)
		snprintf(b.s, sizeof b.s, "%" PRId64 ".%" PRId64 "%%", bp / 100, bp % 100 / 10);
	else
		snprintf(b.s, sizeof b.s, "%" PRId64 ".%02" PRId64 "%%", bp / 100, bp % 100);
	return b;
}

/* Per-million prices are micro-USD: as USD with the decimals that matter ("0.15", "3"). */
static cbuf price(int64_t micros)
{
	cbuf b;
	money_format(micros * TT_NANOS_PER_MICRO, b.s, sizeof b.s);
	char *e = b.s + strlen(b.s) - 1;
	while (*e == '0')
		*e-- = 0;
	if (*e == '.')
		*e = 0;
	return b;
}

static cbuf day_of(int64_t ms)
{
	cbuf b;
	char iso[32];
	time_format_iso(ms, iso, sizeof iso);
	/* prices start at midnight unless the card said otherwise */
	if (!strcmp(iso + 10, "T00:00:00.000Z"))
		iso[10] = 0;
	snprintf(b.s, sizeof b.s, "%s", iso);
	return b;
}

static const char *name_or_none(const char *s)
{
	return *s ? s : "(none)";
}

static void jcharge(json_t *o, const view_charge *c, int64_t total)
{
	json_object_set_new(o, "requests", json_integer(c->requests));
	cell_jmoney(o, "cost", c->cost_nanos);
	cell_jmoney(o, "overhead", c->overhead_nanos);
	cell_jmoney(o, "markup", c->markup_nanos);
	cell_jmoney(o, "chargeback", c->chargeback_nanos);
	json_object_set_new(o, "share",
	                    json_real(total ? (double)c->chargeback_nanos / (double)total : 0.0));
}

static json_t *jcard(const ratecard *card)
{
	json_t *o = json_object(), *tiers = json_array(), *models = json_array();
	json_object_set_new(o, "overhead_bp", json_integer(ratecard_overhead_bp(card)));
	for (size_t i = 0; i < ratecard_tier_count(card); i++) {
		int64_t bp;
		const char *name = ratecard_tier_at(card, i, &bp);
		json_array_append_new(
		    tiers, json_pack("{s:s, s:I}", "tier", name, "markup_bp", (json_int_t)bp));
	}
	json_object_set_new(o, "tiers", tiers);
	for (size_t i = 0; i < ratecard_model_count(card); i++) {
		ratecard_entry e;
		ratecard_model_at(card, i, &e);
		char model[TT_MODEL_CAP + 1];
		snprintf(model, sizeof model, "%s%s", e.model, e.prefix ? "*" : "");
		json_t *prices = json_array();
		for (size_t k = 0; k < e.nprices; k++) {
			const tt_price *p = &e.prices[k];
			char from[32];
			time_format_iso(p->effective_from_ms, from, sizeof from);
			json_t *po = json_pack("{s:s}", "effective_from", from);
			cell_jmoney(po, "input_per_mtok", p->input_per_mtok * TT_NANOS_PER_MICRO);
			cell_jmoney(po, "output_per_mtok", p->output_per_mtok * TT_NANOS_PER_MICRO);
			cell_jmoney(po, "cached_input_per_mtok",
			            p->cached_input_per_mtok * TT_NANOS_PER_MICRO);
			json_array_append_new(prices, po);
		}
		json_array_append_new(models,
		                      json_pack("{s:s, s:s, s:s, s:o}", "provider", e.provider,
		                                "model", model, "tier", e.tier, "prices", prices));
	}
	json_object_set_new(o, "models", models);
	return o;
}

static int chargeback_json(FILE *out, const view_chargeback *v)
{
	json_t *o = json_object();
	char a[32], b[32];
	time_format_iso(v->since_ms, a, sizeof a);
	time_format_iso(v->until_ms, b, sizeof b);
	json_object_set_new(o, "view", json_string("chargeback"));
	json_object_set_new(o, "schema", json_integer(REPORT_JSON_SCHEMA));
	json_object_set_new(o, "range", json_pack("{s:s, s:s}", "since", a, "until", b));
	json_t *total = json_object();
	jcharge(total, &v->total, v->total.chargeback_nanos);
	json_object_del(total, "share");
	json_object_set_new(o, "total", total);
	json_t *teams = json_array();
	for (size_t i = 0; i < v->nteams; i++) {
		const view_charge_team *t = &v->teams[i];
		json_t *to = json_pack("{s:s}", "team", t->team);
		jcharge(to, &t->c, v->total.chargeback_nanos);
		json_t *tiers = json_array();
		for (size_t k = t->first; k < t->first + t->n; k++) {
			const view_charge_tier *ti = &v->tiers[k];
			json_t *tio = json_pack("{s:s, s:b, s:I}", "tier", ti->tier, "known_tier",
			                        ti->known, "markup_bp", (json_int_t)ti->markup_bp);
			jcharge(tio, &ti->c, v->total.chargeback_nanos);
			json_object_del(tio, "share");
			json_array_append_new(tiers, tio);
		}
		json_object_set_new(to, "tiers", tiers);
		json_array_append_new(teams, to);
	}
	json_object_set_new(o, "teams", teams);
	json_object_set_new(o, "rate_card", jcard(v->card));
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(o);
	return rc;
}

static int chargeback_csv(FILE *out, const view_chargeback *v)
{
	const char *head[] = {"team",          "tier",
	                      "markup_bp",     "requests",
	                      "cost_micros",   "overhead_micros",
	                      "markup_micros", "chargeback_micros",
	                      "chargeback_usd"};
	table t;
	table_init(&t, 9, head, NULL);
	for (size_t i = 0; i < v->nteams; i++) {
		const view_charge_team *tm = &v->teams[i];
		for (size_t k = tm->first; k < tm->first + tm->n; k++) {
			const view_charge_tier *ti = &v->tiers[k];
			cbuf a = cell_int(ti->markup_bp), b = cell_int(ti->c.requests),
			     c = cell_micros(ti->c.cost_nanos),
			     d = cell_micros(ti->c.overhead_nanos),
			     e = cell_micros(ti->c.markup_nanos),
			     f = cell_micros(ti->c.chargeback_nanos),
			     g = cell_usd_exact(ti->c.chargeback_nanos);
			const char *cells[] = {tm->team, ti->tier, a.s, b.s, c.s,
			                       d.s,      e.s,      f.s, g.s};
			table_add(&t, cells);
		}
	}
	table_print(&t, out, TABLE_CSV, NULL);
	table_free(&t);
	return ferror(out) ? -1 : 0;
}

static void print_card(FILE *out, const ratecard *card, table_style style, const char *indent)
{
	table t;
	const char *th[] = {"tier", "markup", "chargeback of $1.00"};
	const bool tr[] = {false, true, true};
	table_init(&t, 3, th, tr);
	for (size_t i = 0; i < ratecard_tier_count(card); i++) {
		int64_t bp;
		const char *name = ratecard_tier_at(card, i, &bp);
		cbuf a = bp_pct(bp),
		     b = cell_usd(ratecard_chargeback(card, name, TT_NANOS_PER_USD));
		const char *cells[] = {name, a.s, b.s};
		table_add(&t, cells);
	}
	cbuf none = cell_usd(ratecard_chargeback(card, NULL, TT_NANOS_PER_USD));
	const char *other[] = {"other / none", "0%", none.s};
	table_add(&t, other);
	table_print(&t, out, style, indent);
	table_free(&t);
	fputc('\n', out);
	const char *mh[] = {"provider", "model", "tier", "from", "input", "output", "cached input"};
	const bool mr[] = {false, false, false, false, true, true, true};
	table_init(&t, 7, mh, mr);
	for (size_t i = 0; i < ratecard_model_count(card); i++) {
		ratecard_entry e;
		ratecard_model_at(card, i, &e);
		char model[TT_MODEL_CAP + 1];
		snprintf(model, sizeof model, "%s%s", e.model, e.prefix ? "*" : "");
		for (size_t k = 0; k < e.nprices; k++) {
			const tt_price *p = &e.prices[k];
			cbuf f = day_of(p->effective_from_ms), a = price(p->input_per_mtok),
			     b = price(p->output_per_mtok), c = price(p->cached_input_per_mtok);
			const char *cells[] = {k ? "" : e.provider,
			                       k ? "" : model,
			                       k ? "" : e.tier,
			                       f.s,
			                       a.s,
			                       b.s,
			                       c.s};
			table_add(&t, cells);
		}
	}
	table_print(&t, out, style, indent);
	table_free(&t);
}

int report_chargeback(FILE *out, const view_chargeback *v, report_format f)
{
	if (f == REPORT_JSON)
		return chargeback_json(out, v);
	if (f == REPORT_CSV)
		return chargeback_csv(out, v);
	char a[32], b[32];
	time_format_iso(v->since_ms, a, sizeof a);
	time_format_iso(v->until_ms, b, sizeof b);
	bool md = f == REPORT_MD;
	table_style style = md ? TABLE_MD : TABLE_TEXT;
	const char *indent = md ? NULL : "  ";
	cbuf oh = bp_pct(v->overhead_bp);
	if (md)
		fprintf(out, "## Chargeback, %s to %s\n\n", a, b);
	else
		fprintf(out, "tokentop chargeback  %s .. %s\n\n", a, b);
	fprintf(out,
	        "%sChargeback = provider cost x (1 + platform overhead %s + tier markup), "
	        "once per tier,\n%sthen shared among the tier's teams by cost.\n\n",
	        indent ? indent : "", oh.s, indent ? indent : "");
	char ohead[64];
	snprintf(ohead, sizeof ohead, "overhead %.50s", oh.s);
	const char *head[] = {"team",        "requests",   "provider cost", ohead,
	                      "tier markup", "chargeback", "share"};
	const bool right[] = {false, true, true, true, true, true, true};
	table t;
	table_init(&t, 7, head, right);
	for (size_t i = 0; i <= v->nteams; i++) {
		const view_charge *c = i < v->nteams ? &v->teams[i].c : &v->total;
		const char *name = i < v->nteams ? name_or_none(v->teams[i].team) : "total";
		char share[16];
		if (v->total.chargeback_nanos)
			snprintf(share, sizeof share, "%.1f%%",
			         100.0 * (double)c->chargeback_nanos /
			             (double)v->total.chargeback_nanos);
		else
			snprintf(share, sizeof share, "-");
		char req[32];
		snprintf(req, sizeof req, "%" PRId64, c->requests);
		cbuf p = cell_usd(c->cost_nanos), o = cell_usd(c->overhead_nanos),
		     m = cell_usd(c->markup_nanos), cb = cell_usd(c->chargeback_nanos);
		const char *cells[] = {name, req, p.s, o.s, m.s, cb.s, share};
		table_add(&t, cells);
	}
	table_print(&t, out, style, indent);
	table_free(&t);

	fprintf(out, md ? "\n### By team and tier\n\n" : "\nBy team and tier\n");
	const char *th[] = {"team", "tier", "markup", "provider cost", "chargeback"};
	const bool tr[] = {false, false, true, true, true};
	table_init(&t, 5, th, tr);
	for (size_t i = 0; i < v->nteams; i++) {
		const view_charge_team *tm = &v->teams[i];
		for (size_t k = tm->first; k < tm->first + tm->n; k++) {
			const view_charge_tier *ti = &v->tiers[k];
			cbuf mk = ti->known ? bp_pct(ti->markup_bp) : (cbuf){"not in card"},
			     p = cell_usd(ti->c.cost_nanos), cb = cell_usd(ti->c.chargeback_nanos);
			const char *cells[] = {k == tm->first ? name_or_none(tm->team) : "",
			                       name_or_none(ti->tier), mk.s, p.s, cb.s};
			table_add(&t, cells);
		}
	}
	table_print(&t, out, style, indent);
	table_free(&t);

	fprintf(out, md ? "\n### Rate card\n\n" : "\nRate card\n");
	fprintf(out, "%splatform overhead %s on every tier; prices in USD per million tokens\n\n",
	        indent ? indent : "", oh.s);
	print_card(out, v->card, style, indent);
	return ferror(out) ? -1 : 0;
}
