/* The chargeback view: the cube grouped by team and tier, each pair charged back once. */
#include "tokentop/chargeback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/money.h"

static bool tier_markup(const ratecard *card, const char *tier, int64_t *bp)
{
	*bp = 0;
	size_t n = ratecard_tier_count(card);
	for (size_t i = 0; i < n; i++) {
		int64_t m;
		const char *name = ratecard_tier_at(card, i, &m);
		if (!strcmp(name, tier)) {
			*bp = m;
			return true;
		}
	}
	return false;
}

void view_charge_parts(const ratecard *card, const char *tier, int64_t cost_micros,
                       view_charge *out)
{
	out->cost_micros = cost_micros;
	out->chargeback_micros = ratecard_chargeback(card, tier, cost_micros);
	if (money_muldiv(cost_micros, ratecard_overhead_bp(card), 10000, &out->overhead_micros))
		out->overhead_micros = 0;
	/* With no markup this leaves exactly 0: the chargeback of an integer cost rounds as its
	 * overhead does. */
	out->markup_micros = out->chargeback_micros - cost_micros - out->overhead_micros;
}

static void charge_add(view_charge *a, const view_charge *b)
{
	a->requests += b->requests;
	a->cost_micros += b->cost_micros;
	a->overhead_micros += b->overhead_micros;
	a->markup_micros += b->markup_micros;
	a->chargeback_micros += b->chargeback_micros;
}

static int cmp_tiers(const void *pa, const void *pb)
{
	const view_row *a = pa, *b = pb;
	int c = strcmp(a->key[0], b->key[0]);
	if (c)
		return c;
	if (a->m[TT_M_COST_MICROS] != b->m[TT_M_COST_MICROS])
		return a->m[TT_M_COST_MICROS] > b->m[TT_M_COST_MICROS] ? -1 : 1;
	return strcmp(a->key[1], b->key[1]);
}

static int cmp_teams(const void *pa, const void *pb)
{
	const view_charge_team *a = pa, *b = pb;
	if (a->c.chargeback_micros != b->c.chargeback_micros)
		return a->c.chargeback_micros > b->c.chargeback_micros ? -1 : 1;
	return strcmp(a->team, b->team);
}

int view_chargeback_build(store *st, int64_t since_ms, int64_t until_ms, const ratecard *card,
                          view_chargeback *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->since_ms = since_ms;
	v->until_ms = until_ms;
	v->card = card;
	if (!card) {
		snprintf(err, errlen, "chargeback needs a rate card (--ratecard FILE)");
		return -1;
	}
	v->overhead_bp = ratecard_overhead_bp(card);
	if (view_cube_build(st, since_ms, until_ms, false, &v->cube, err, errlen))
		return -1;
	static const tt_dim by[] = {TT_D_TEAM, TT_D_TIER};
	view_rows rows;
	if (view_group(&v->cube, by, 2, NULL, NULL, &rows))
		goto oom;
	qsort(rows.rows, rows.n, sizeof *rows.rows, cmp_tiers);
	v->tiers = calloc(rows.n ? rows.n : 1, sizeof *v->tiers);
	v->teams = calloc(rows.n ? rows.n : 1, sizeof *v->teams);
	if (!v->tiers || !v->teams) {
		view_rows_free(&rows);
		goto oom;
	}
	for (size_t i = 0; i < rows.n; i++) {
		const view_row *r = &rows.rows[i];
		view_charge_tier *t = &v->tiers[v->ntiers++];
		t->tier = r->key[1];
		t->known = tier_markup(card, r->key[1], &t->markup_bp);
		view_charge_parts(card, r->key[1], r->m[TT_M_COST_MICROS], &t->c);
		t->c.requests = r->m[TT_M_REQUESTS];
		view_charge_team *tm = v->nteams ? &v->teams[v->nteams - 1] : NULL;
		if (!tm || strcmp(tm->team, r->key[0])) {
			tm = &v->teams[v->nteams++];
			tm->team = r->key[0];
			tm->first = i;
		}
		tm->n++;
		charge_add(&tm->c, &t->c);
		charge_add(&v->total, &t->c);
	}
	view_rows_free(&rows);
	qsort(v->teams, v->nteams, sizeof *v->teams, cmp_teams);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	view_chargeback_free(v);
	return -1;
}

void view_chargeback_free(view_chargeback *v)
{
	free(v->teams);
	free(v->tiers);
	v->teams = NULL;
	v->tiers = NULL;
	v->nteams = v->ntiers = 0;
	view_cube_free(&v->cube);
}
