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

void view_charge_parts(const ratecard *card, const char *tier, int64_t cost_nanos, view_charge *out)
{
	out->cost_nanos = cost_nanos;
	out->chargeback_nanos = ratecard_chargeback(card, tier, cost_nanos);
	if (money_muldiv(cost_nanos, ratecard_overhead_bp(card), 10000, &out->overhead_nanos))
		out->overhead_nanos = 0;
	/* With no markup this leaves exactly 0: the chargeback of an integer cost rounds as its
	 * overhead does. */
	out->markup_nanos = out->chargeback_nanos - cost_nanos - out->overhead_nanos;
}

static void charge_add(view_charge *a, const view_charge *b)
{
	a->requests += b->requests;
	a->cost_nanos += b->cost_nanos;
	a->overhead_nanos += b->overhead_nanos;
	a->markup_nanos += b->markup_nanos;
	a->chargeback_nanos += b->chargeback_nanos;
}

/* Splits total over the weights (all >= 0, some > 0) in proportion: floors, then one unit
 * each to the largest remainders, the earlier index first on a tie. The parts add up to total
 * exactly and each is its exact share rounded down or up. */
static void apportion(int64_t total, const int64_t *w, size_t n, int64_t *out, __int128 *rem)
{
	__int128 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += w[i];
	__int128 given = 0;
	for (size_t i = 0; i < n; i++) {
		__int128 x = (__int128)total * w[i], q = x / sum, r = x % sum;
		if (r < 0) { /* floor, for a negative total */
			q--;
			r += sum;
		}
		out[i] = (int64_t)q;
		rem[i] = r;
		given += q;
	}
	for (__int128 left = total - given; left > 0; left--) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (w[i] && rem[i] >= 0 && (best == n || rem[i] > rem[best]))
				best = i;
		if (best == n)
			break;
		out[best]++;
		rem[best] = -1;
	}
}

static int cmp_tier_team(const void *pa, const void *pb)
{
	const view_row *a = pa, *b = pb;
	int c = strcmp(a->key[1], b->key[1]);
	return c ? c : strcmp(a->key[0], b->key[0]);
}

static int cmp_team_cost(const void *pa, const void *pb)
{
	const view_charge_tier *a = pa, *b = pb;
	int c = strcmp(a->team, b->team);
	if (c)
		return c;
	if (a->c.cost_nanos != b->c.cost_nanos)
		return a->c.cost_nanos > b->c.cost_nanos ? -1 : 1;
	return strcmp(a->tier, b->tier);
}

static int cmp_teams(const void *pa, const void *pb)
{
	const view_charge_team *a = pa, *b = pb;
	if (a->c.chargeback_nanos != b->c.chargeback_nanos)
		return a->c.chargeback_nanos > b->c.chargeback_nanos ? -1 : 1;
	return strcmp(a->team, b->team);
}

/* One tier's teams (rows [i, j)): the tier is charged back once on its whole cost, as the
 * summary does, and that amount and its overhead are apportioned over the teams by cost, so
 * the teams add up to the summary's chargeback to the nano-dollar. */
static int charge_tier(view_chargeback *v, const view_row *rows, size_t i, size_t j)
{
	size_t n = j - i;
	int64_t *w = calloc(n, sizeof *w), *cb = calloc(n, sizeof *cb), *oh = calloc(n, sizeof *oh);
	__int128 *rem = calloc(n, sizeof *rem);
	if (!w || !cb || !oh || !rem) {
		free(w);
		free(cb);
		free(oh);
		free(rem);
		return -1;
	}
	const char *tier = rows[i].key[1];
	int64_t cost = 0;
	bool negative = false;
	for (size_t k = 0; k < n; k++) {
		w[k] = rows[i + k].m[TT_M_COST_NANOS];
		cost += w[k];
		negative |= w[k] < 0;
	}
	view_charge whole;
	view_charge_parts(v->card, tier, cost, &whole);
	if (!negative && cost > 0) {
		apportion(whole.chargeback_nanos, w, n, cb, rem);
		apportion(whole.overhead_nanos, w, n, oh, rem);
	}
	for (size_t k = 0; k < n; k++) {
		view_charge_tier *t = &v->tiers[v->ntiers++];
		t->team = rows[i + k].key[0];
		t->tier = tier;
		t->known = tier_markup(v->card, tier, &t->markup_bp);
		if (negative || cost <= 0) { /* refunds: each pair on its own */
			view_charge_parts(v->card, tier, w[k], &t->c);
		} else {
			t->c.cost_nanos = w[k];
			t->c.chargeback_nanos = cb[k];
			t->c.overhead_nanos = oh[k];
			t->c.markup_nanos = cb[k] - w[k] - oh[k];
		}
		t->c.requests = rows[i + k].m[TT_M_REQUESTS];
	}
	free(w);
	free(cb);
	free(oh);
	free(rem);
	return 0;
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
	qsort(rows.rows, rows.n, sizeof *rows.rows, cmp_tier_team);
	v->tiers = calloc(rows.n ? rows.n : 1, sizeof *v->tiers);
	v->teams = calloc(rows.n ? rows.n : 1, sizeof *v->teams);
	if (!v->tiers || !v->teams) {
		view_rows_free(&rows);
		goto oom;
	}
	for (size_t i = 0, j; i < rows.n; i = j) {
		for (j = i + 1; j < rows.n && !strcmp(rows.rows[j].key[1], rows.rows[i].key[1]);
		     j++)
			;
		if (charge_tier(v, rows.rows, i, j)) {
			view_rows_free(&rows);
			goto oom;
		}
	}
	view_rows_free(&rows);
	qsort(v->tiers, v->ntiers, sizeof *v->tiers, cmp_team_cost);
	for (size_t i = 0; i < v->ntiers; i++) {
		const view_charge_tier *t = &v->tiers[i];
		view_charge_team *tm = v->nteams ? &v->teams[v->nteams - 1] : NULL;
		if (!tm || strcmp(tm->team, t->team)) {
			tm = &v->teams[v->nteams++];
			tm->team = t->team;
			tm->first = i;
		}
		tm->n++;
		charge_add(&tm->c, &t->c);
		charge_add(&v->total, &t->c);
	}
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
