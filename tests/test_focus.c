/* FOCUS export: the exact cost split, rows that reconcile with the events, the CSV's columns. */
#include "testutil.h"

#include <math.h>

#include "tokentop/focus.h"
#include "tokentop/ingest.h"
#include "tokentop/money.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"
#include "tokentop/workload.h"

#define DAY_MS 86400000LL
#define NEV    20000

static tt_event evs[NEV];

static int64_t iso(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse_iso(s, strlen(s), &t), 0);
	return t;
}

static ratecard *load_card(void)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/fixtures/ratecard.json", tu_srcdir());
	ratecard *rc = ratecard_load(path, err, sizeof err);
	if (!rc)
		fail_msg("rate card: %s", err);
	return rc;
}

static void split(int64_t cost, uint64_t a, uint64_t b, uint64_t c, int64_t out[3])
{
	unsigned __int128 w[3] = {a, b, c};
	focus_split(cost, w, out);
}

static void split_is(int64_t cost, uint64_t a, uint64_t b, uint64_t c, int64_t x, int64_t y,
                     int64_t z)
{
	int64_t o[3];
	split(cost, a, b, c, o);
	assert_int_equal(o[0], x);
	assert_int_equal(o[1], y);
	assert_int_equal(o[2], z);
}

static void test_split_rule(void **state)
{
	(void)state;
	split_is(100, 1, 1, 2, 25, 25, 50); /* exact */
	split_is(10, 1, 1, 1, 4, 3, 3);     /* a tie: the lower type takes the micro-dollar */
	split_is(2, 1, 1, 1, 1, 1, 0);
	split_is(10, 1, 2, 0, 3, 7, 0); /* 3.33 and 6.67: the larger remainder wins */
	split_is(7, 0, 0, 0, 7, 0, 0);  /* no weight at all: everything on input */
	split_is(0, 5, 5, 5, 0, 0, 0);
	split_is(-10, 1, 1, 1, -4, -3, -3); /* a refund splits like a charge */
	split_is(1, 0, 0, 9, 0, 0, 1);      /* never to a type without weight */
}

static void test_split_exact(void **state)
{
	(void)state;
	uint64_t seed = 7;
	for (int i = 0; i < 100000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t cost = (int64_t)(seed >> 40) - (1 << 20);
		uint64_t w[3] = {(seed >> 3) % 1000003, (seed >> 17) % 999983, (seed >> 29) % 7};
		if (i % 5 == 0)
			w[i % 3] = 0;
		int64_t o[3];
		split(cost, w[0], w[1], w[2], o);
		assert_int_equal(o[0] + o[1] + o[2], cost);
		uint64_t sum = w[0] + w[1] + w[2];
		for (int t = 0; t < 3; t++) {
			if (!sum)
				break;
			/* each part is the exact share rounded down or up */
			long double exact =
			    (long double)cost * (long double)w[t] / (long double)sum;
			assert_true(fabsl((long double)o[t] - exact) < 1.0L + 1e-9L);
			if (!w[t])
				assert_int_equal(o[t], 0);
		}
	}
	/* weights far beyond 64 bits and the largest costs still add up */
	unsigned __int128 big[3] = {(unsigned __int128)1 << 100, ((unsigned __int128)1 << 99) + 3,
	                            1};
	int64_t o[3];
	focus_split(INT64_MAX, big, o);
	assert_int_equal(o[0] + o[1] + o[2], INT64_MAX);
	focus_split(INT64_MIN + 1, big, o);
	assert_int_equal(o[0] + o[1] + o[2], INT64_MIN + 1);
}

static store *generated_store(int64_t start)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/focus.db", tu_tmpdir());
	store_opts so = {.merge = rollup_sketch_blob_merge};
	store *st = store_open(path, &so, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	ratecard *rc = load_card();
	workload_opts wo = {.seed = 11, .start_ms = start, .span_ms = 3 * DAY_MS, .events = NEV};
	workload *w = workload_new(&wo);
	ingest_opts o = {.card = rc};
	ingest *in = ingest_new(st, &o);
	for (int i = 0; i < NEV; i++) {
		assert_int_equal(workload_next(w, &evs[i]), 1);
		assert_int_equal(ingest_event(in, &evs[i]), 0);
	}
	assert_int_equal(ingest_commit(in, NULL, NULL), 0);
	ingest_free(in);
	workload_free(w);
	ratecard_free(rc);
	return st;
}

/* A row's group: day, provider, model, team, use case, tenant. */
static bool same_key(const tt_event *e, const focus_row *r)
{
	return e->ts_ms / DAY_MS == r->day && !strcmp(e->provider, r->provider) &&
	       !strcmp(e->model, r->model) && !strcmp(e->team, r->team) &&
	       !strcmp(e->use_case, r->use_case) && !strcmp(e->tenant, r->tenant);
}

static void check_rows(const view_focus *v, int64_t since, int64_t until, bool with_card)
{
	int64_t total = 0, direct_total = 0;
	for (int i = 0; i < NEV; i++)
		if (evs[i].ts_ms >= since && evs[i].ts_ms < until)
			direct_total += evs[i].cost_nanos;
	for (size_t i = 0; i < v->n; i++)
		total += v->rows[i].cost_nanos;
	assert_int_equal(total, direct_total);
	assert_int_equal(v->total_cost_nanos, direct_total);
	/* each group's rows hold its events' tokens and cost exactly */
	for (size_t i = 0; i < v->n;) {
		size_t j = i;
		int64_t cost = 0, tok[FOCUS_TOKEN_COUNT] = {0};
		while (j < v->n && v->rows[j].day == v->rows[i].day &&
		       !strcmp(v->rows[j].provider, v->rows[i].provider) &&
		       !strcmp(v->rows[j].model, v->rows[i].model) &&
		       !strcmp(v->rows[j].team, v->rows[i].team) &&
		       !strcmp(v->rows[j].use_case, v->rows[i].use_case) &&
		       !strcmp(v->rows[j].tenant, v->rows[i].tenant)) {
			cost += v->rows[j].cost_nanos;
			tok[v->rows[j].token] += v->rows[j].tokens;
			if (with_card && v->rows[j].price_per_mtok >= 0)
				assert_int_equal(v->rows[j].basis, FOCUS_BASIS_CARD);
			if (!with_card)
				assert_int_equal(v->rows[j].basis, FOCUS_BASIS_TOKENS);
			assert_true(v->rows[j].start_ms >= v->rows[j].day * DAY_MS);
			assert_true(v->rows[j].end_ms <= (v->rows[j].day + 1) * DAY_MS);
			j++;
		}
		int64_t dcost = 0, dtok[FOCUS_TOKEN_COUNT] = {0};
		for (int e = 0; e < NEV; e++) {
			if (evs[e].ts_ms < since || evs[e].ts_ms >= until ||
			    !same_key(&evs[e], &v->rows[i]))
				continue;
			dcost += evs[e].cost_nanos;
			dtok[FOCUS_INPUT] += evs[e].input_tokens - evs[e].cached_tokens;
			dtok[FOCUS_OUTPUT] += evs[e].output_tokens;
			dtok[FOCUS_CACHED_INPUT] += evs[e].cached_tokens;
		}
		assert_int_equal(cost, dcost);
		for (int t = 0; t < FOCUS_TOKEN_COUNT; t++)
			assert_int_equal(tok[t], dtok[t]);
		i = j;
	}
}

static void test_rows_reconcile(void **state)
{
	(void)state;
	int64_t start = iso("2026-11-27T06:00:00Z");
	store *st = generated_store(start);
	ratecard *rc = load_card();
	/* a range that cuts days, on whole minutes as the rollups are */
	int64_t since = iso("2026-11-27T10:17:00Z"), until = iso("2026-11-29T20:03:00Z");
	view_focus v;
	char err[256];
	assert_int_equal(view_focus_build(st, since, until, rc, &v, err, sizeof err), 0);
	assert_true(v.n > 100);
	check_rows(&v, since, until, true);
	assert_int_equal(v.rows[0].start_ms, since);
	assert_int_equal(v.rows[v.n - 1].end_ms, until);
	view_summary s;
	assert_int_equal(view_summary_build(st, since, until, rc, &s, err, sizeof err), 0);
	assert_int_equal(s.m[TT_M_COST_NANOS], v.total_cost_nanos);
	view_summary_free(&s);
	view_focus_free(&v);

	/* without a card every split is by tokens, and still exact */
	assert_int_equal(view_focus_build(st, start, start + 3 * DAY_MS, NULL, &v, err, sizeof err),
	                 0);
	check_rows(&v, start, start + 3 * DAY_MS, false);
	view_focus_free(&v);
	ratecard_free(rc);
	store_close(st);
}

/* Splits one CSV record (RFC 4180) into cells; returns their count. */
static int csv_split(char *line, char **cells, int max)
{
	int n = 0;
	char *w = line, *p = line;
	while (n < max) {
		cells[n++] = w;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
		} else {
			while (*p && *p != ',' && *p != '\r' && *p != '\n')
				*w++ = *p++;
		}
		if (*p != ',') {
			*w = 0;
			break;
		}
		*w++ = 0;
		p++;
	}
	return n;
}

static const char *const mandatory[] = {
    "BilledCost",        "BillingAccountId",   "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd",  "BillingPeriodStart", "ChargeCategory",     "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd",    "ChargePeriodStart",  "ContractedCost",
    "EffectiveCost",     "InvoiceIssuerName",  "ListCost",           "PricingQuantity",
    "ProviderName",      "PublisherName",      "ServiceCategory",    "ServiceName",
    "PricingUnit",
};
/* The mandatory columns FOCUS lets be null. */
static const char *const nullable[] = {"BillingAccountName", "ChargeClass", "ChargeDescription",
                                       "PricingQuantity", "PricingUnit"};

static void test_csv_columns(void **state)
{
	(void)state;
	int64_t start = iso("2026-11-27T00:00:00Z");
	store *st = generated_store(start);
	ratecard *rc = load_card();
	view_focus v;
	char err[256], path[512];
	assert_int_equal(view_focus_build(st, start, start + 3 * DAY_MS, rc, &v, err, sizeof err),
	                 0);
	snprintf(path, sizeof path, "%s/focus.csv", tu_tmpdir());
	FILE *f = fopen(path, "w+");
	assert_int_equal(report_focus(f, &v), 0);
	rewind(f);
	static char line[8192];
	char *head[64], *cells[64];
	assert_non_null(fgets(line, sizeof line, f));
	static char hline[8192];
	memcpy(hline, line, sizeof hline);
	int nh = csv_split(hline, head, 64);
	assert_true(nh > 21);
	int idx[21];
	for (int m = 0; m < 21; m++) {
		idx[m] = -1;
		for (int c = 0; c < nh; c++)
			if (!strcmp(head[c], mandatory[m]))
				idx[m] = c;
		if (idx[m] < 0)
			fail_msg("mandatory column %s missing", mandatory[m]);
	}
	/* FOCUS columns first, custom ones (x_) after them */
	bool custom = false;
	for (int c = 0; c < nh; c++) {
		if (!strncmp(head[c], "x_", 2))
			custom = true;
		else
			assert_false(custom);
	}
	size_t rows = 0;
	int64_t nanos = 0;
	while (fgets(line, sizeof line, f)) {
		int n = csv_split(line, cells, 64);
		assert_int_equal(n, nh);
		for (int m = 0; m < 21; m++) {
			bool may_be_null = false;
			for (size_t k = 0; k < sizeof nullable / sizeof *nullable; k++)
				may_be_null |= !strcmp(mandatory[m], nullable[k]);
			if (!may_be_null && !*cells[idx[m]])
				fail_msg("row %zu: %s is empty", rows + 1, mandatory[m]);
		}
		assert_string_equal(cells[idx[6]], "Usage");
		assert_string_equal(cells[idx[3]], "USD");
		assert_string_equal(cells[idx[20]], "1000000 Tokens");
		assert_string_equal(cells[idx[18]], "AI and Machine Learning");
		int64_t c;
		assert_int_equal(money_parse_usd(cells[idx[0]], strlen(cells[idx[0]]), &c), 0);
		nanos += c;
		rows++;
	}
	assert_int_equal(rows, v.n);
	assert_int_equal(nanos, v.total_cost_nanos);
	fclose(f);
	view_focus_free(&v);
	ratecard_free(rc);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_rule),
	    cmocka_unit_test(test_split_exact),
	    cmocka_unit_test(test_rows_reconcile),
	    cmocka_unit_test(test_csv_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
