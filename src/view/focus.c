/* FOCUS rows: the day cube grouped per day, provider, model, team, use case and tenant, and each
 * group's cost split over its token types with integer arithmetic (docs/focus.md). */
#include "tokentop/focus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static const char *const token_names[FOCUS_TOKEN_COUNT] = {"input", "output", "cached_input"};
static const char *const basis_names[FOCUS_BASIS_COUNT] = {"card", "tokens"};

/* The dimensions a row is keyed by, after its day. */
static const tt_dim row_dims[] = {TT_D_PROVIDER, TT_D_MODEL, TT_D_TEAM, TT_D_USE_CASE, TT_D_TENANT};
#define NROW_DIMS (sizeof row_dims / sizeof row_dims[0])

const char *focus_token_name(focus_token t)
{
	return t < FOCUS_TOKEN_COUNT ? token_names[t] : NULL;
}

const char *focus_basis_name(focus_basis b)
{
	return b < FOCUS_BASIS_COUNT ? basis_names[b] : NULL;
}

void focus_split(int64_t cost, const unsigned __int128 w[FOCUS_TOKEN_COUNT],
                 int64_t out[FOCUS_TOKEN_COUNT])
{
	unsigned __int128 wt[FOCUS_TOKEN_COUNT], sum = 0;
	for (int t = 0; t < FOCUS_TOKEN_COUNT; t++) {
		wt[t] = w[t];
		sum += wt[t];
		out[t] = 0;
	}
	if (cost == 0)
		return;
	if (sum == 0) {
		out[FOCUS_INPUT] = cost;
		return;
	}
	/* |cost| < 2^63 and every weight < 2^63 keep cost * weight inside 128 bits; halving every
	 * weight alike changes the proportions by far less than a nano-dollar. */
	while (sum >> 63) {
		sum = 0;
		for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
			sum += (wt[t] >>= 1);
	}
	if (sum == 0) {
		out[FOCUS_INPUT] = cost;
		return;
	}
	unsigned __int128 mag =
	    cost < 0 ? (unsigned __int128)(-(cost + 1)) + 1 : (unsigned __int128)cost;
	unsigned __int128 rem[FOCUS_TOKEN_COUNT], given = 0;
	uint64_t part[FOCUS_TOKEN_COUNT];
	for (int t = 0; t < FOCUS_TOKEN_COUNT; t++) {
		unsigned __int128 x = mag * wt[t];
		part[t] = (uint64_t)(x / sum);
		rem[t] = x % sum;
		given += part[t];
	}
	/* The floors leave fewer nano-dollars than there are types: one each to the largest
	 * remainders, the lower type first on a tie, so the same inputs always split alike. */
	for (unsigned __int128 left = mag - given; left > 0; left--) {
		int best = -1;
		for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
			if (wt[t] && (best < 0 || rem[t] > rem[best]))
				best = t;
		part[best]++;
		rem[best] = 0;
		wt[best] = 0; /* at most one extra each */
	}
	for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
		out[t] = cost < 0 ? -(int64_t)part[t] : (int64_t)part[t];
}

typedef struct gcell {
	int64_t day;
	size_t id;
	const int64_t *m;
} gcell;

static int cmp_gcell(const void *pa, const void *pb, void *ctx)
{
	const gcell *a = pa, *b = pb;
	char *(*sort_dims)[TT_D_COUNT] = ctx;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	for (size_t i = 0; i < NROW_DIMS; i++) {
		int c = strcmp(sort_dims[a->id][row_dims[i]], sort_dims[b->id][row_dims[i]]);
		if (c)
			return c;
	}
	return a->id < b->id ? -1 : a->id > b->id;
}

static bool same_group(const view_daycube *dc, const gcell *a, const gcell *b)
{
	if (a->day != b->day)
		return false;
	for (size_t i = 0; i < NROW_DIMS; i++)
		if (strcmp(dc->dims[a->id][row_dims[i]], dc->dims[b->id][row_dims[i]]))
			return false;
	return true;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static int64_t floor_to(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && a < 0)
		q--;
	return q * b;
}

/* Appends the rows of one group: its token sums m over the day. */
static int emit_group(view_focus *v, size_t *cap, const ratecard *card, const view_daycube *dc,
                      const gcell *g, const int64_t m[TT_M_COUNT])
{
	char *const *d = dc->dims[g->id];
	int64_t in = m[TT_M_INPUT_TOKENS], cached = m[TT_M_CACHED_TOKENS];
	int64_t tok[FOCUS_TOKEN_COUNT] = {in > cached ? in - cached : 0, m[TT_M_OUTPUT_TOKENS],
	                                  cached < in ? cached : in};
	for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
		if (tok[t] < 0)
			tok[t] = 0;
	/* The scan reads whole minutes: the charge period is the day within those. */
	int64_t start = g->day * DAY_MS, end = start + DAY_MS;
	int64_t a = floor_to(v->since_ms, 60000), b = ceil_div(v->until_ms, 60000) * 60000;
	if (a > start)
		start = a;
	if (b < end)
		end = b;
	const tt_price *p =
	    card ? ratecard_lookup(card, d[TT_D_PROVIDER], d[TT_D_MODEL], start) : NULL;
	int64_t price[FOCUS_TOKEN_COUNT] = {-1, -1, -1};
	unsigned __int128 w[FOCUS_TOKEN_COUNT], sum = 0;
	if (p) {
		price[FOCUS_INPUT] = p->input_per_mtok;
		price[FOCUS_OUTPUT] = p->output_per_mtok;
		price[FOCUS_CACHED_INPUT] = p->cached_input_per_mtok;
		for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
			sum += (w[t] = (unsigned __int128)tok[t] * (uint64_t)price[t]);
	}
	focus_basis basis = FOCUS_BASIS_CARD;
	if (sum == 0) {
		basis = FOCUS_BASIS_TOKENS;
		for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
			w[t] = (unsigned __int128)tok[t];
	}
	int64_t part[FOCUS_TOKEN_COUNT];
	focus_split(m[TT_M_COST_NANOS], w, part);
	for (int t = 0; t < FOCUS_TOKEN_COUNT; t++) {
		if (!tok[t] && !part[t])
			continue;
		if (v->n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			focus_row *nr = realloc(v->rows, ncap * sizeof *nr);
			if (!nr)
				return -1;
			v->rows = nr;
			*cap = ncap;
		}
		v->rows[v->n++] = (focus_row){
		    .day = g->day,
		    .start_ms = start,
		    .end_ms = end,
		    .provider = d[TT_D_PROVIDER],
		    .model = d[TT_D_MODEL],
		    .team = d[TT_D_TEAM],
		    .use_case = d[TT_D_USE_CASE],
		    .tenant = d[TT_D_TENANT],
		    .token = (focus_token)t,
		    .tokens = tok[t],
		    .cost_nanos = part[t],
		    .price_per_mtok = price[t],
		    .basis = basis,
		};
	}
	return 0;
}

int view_focus_build(store *st, int64_t since_ms, int64_t until_ms, const ratecard *card,
                     view_focus *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->since_ms = since_ms;
	v->until_ms = until_ms;
	if (view_daycube_build(st, since_ms, until_ms, &v->dc, err, errlen))
		return -1;
	const view_daycube *dc = &v->dc;
	v->total_cost_nanos = dc->total[TT_M_COST_NANOS];
	gcell *g = calloc(dc->n ? dc->n : 1, sizeof *g);
	if (!g)
		goto oom;
	for (size_t i = 0; i < dc->n; i++)
		g[i] = (gcell){dc->cells[i].day, dc->cells[i].id, dc->cells[i].m};
	qsort_r(g, dc->n, sizeof *g, cmp_gcell, dc->dims);
	size_t cap = 0;
	for (size_t i = 0; i < dc->n;) {
		int64_t m[TT_M_COUNT] = {0};
		size_t j = i;
		for (; j < dc->n && same_group(dc, &g[i], &g[j]); j++)
			for (int k = 0; k < TT_M_COUNT; k++)
				m[k] += g[j].m[k];
		if (emit_group(v, &cap, card, dc, &g[i], m))
			goto oom;
		i = j;
	}
	free(g);
	int64_t sum = 0;
	for (size_t i = 0; i < v->n; i++)
		sum += v->rows[i].cost_nanos;
	if (sum != v->total_cost_nanos) {
		/* Cannot happen with exact splits; refuse to write figures that do not reconcile.
		 */
		snprintf(err, errlen, "FOCUS rows add up to %lld nano-USD, the range to %lld",
		         (long long)sum, (long long)v->total_cost_nanos);
		view_focus_free(v);
		return -1;
	}
	return 0;
oom:
	free(g);
	snprintf(err, errlen, "out of memory");
	view_focus_free(v);
	return -1;
}

void view_focus_free(view_focus *v)
{
	free(v->rows);
	v->rows = NULL;
	v->n = 0;
	view_daycube_free(&v->dc);
}
