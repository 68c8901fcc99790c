/* Tests for SLO burn rates and the multiwindow, multi-burn-rate alert (SRE Workbook, ch. 5). */
#include "testutil.h"

#include <math.h>

#include "tokentop/slo.h"

#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

static slo_spec spec(int64_t objective_ppm)
{
	slo_spec s = {.name = "t",
	              .use_case = "*",
	              .sli = SLO_AVAILABILITY,
	              .objective_ppm = objective_ppm,
	              .period_ms = 30 * DAY_MS};
	s.bad_statuses = 1u << TT_STATUS_TIMEOUT;
	return s;
}

/* Every window at one bad ratio (bad of 10^6). */
static void fill(slo_counts w[SLO_WINDOW_COUNT], int64_t bad_ppm)
{
	for (int i = 0; i < SLO_WINDOW_COUNT; i++)
		w[i] = (slo_counts){bad_ppm, 1000000};
}

static void test_windows(void **state)
{
	static const char *const names[] = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"};
	static const int64_t ms[] = {300000,      1800000, HOUR_MS,   2 * HOUR_MS,
	                             6 * HOUR_MS, DAY_MS,  3 * DAY_MS};
	for (int w = 0; w < SLO_WINDOW_COUNT; w++) {
		assert_string_equal(slo_window_name((slo_window)w), names[w]);
		assert_int_equal(slo_window_ms((slo_window)w), ms[w]);
	}
	slo_sli s;
	assert_int_equal(slo_sli_parse("latency", &s), 0);
	assert_int_equal(s, SLO_LATENCY);
	assert_int_equal(slo_sli_parse("availability", &s), 0);
	assert_int_equal(s, SLO_AVAILABILITY);
	assert_int_equal(slo_sli_parse("Latency", &s), -1);
	assert_null(slo_alert_name(SLO_ALERT_NONE));
	assert_string_equal(slo_alert_name(SLO_ALERT_PAGE), "page");
	assert_string_equal(slo_alert_name(SLO_ALERT_TICKET), "ticket");
}

/* Table 5-8: for a 99.9% SLO over 30 days, spending 2% of the budget in an hour is a burn rate
 * of 14.4 (and 5% in 6 hours 6, 10% in 3 days 1); each pages or tickets as listed. */
static void test_table_5_8(void **state)
{
	static const struct {
		slo_window long_w, short_w;
		double budget_share, rate;
		slo_alert alert;
	} rows[] = {
	    {SLO_W1H, SLO_W5M, 0.02, 14.4, SLO_ALERT_PAGE},
	    {SLO_W6H, SLO_W30M, 0.05, 6, SLO_ALERT_PAGE},
	    {SLO_W3D, SLO_W6H, 0.10, 1, SLO_ALERT_TICKET},
	};
	slo_spec s = spec(999000);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		/* the bad ratio that spends budget_share of a 30-day budget within the long window:
		 * share x (30 days / window) x (1 - SLO) */
		double hours = (double)slo_window_ms(rows[i].long_w) / HOUR_MS;
		int64_t bad = llround(rows[i].budget_share * 720 / hours * 0.001 * 1e7);
		slo_counts long_c = {bad, 10000000};
		double burn = slo_burn_rate(long_c, s.objective_ppm);
		if (burn != rows[i].rate)
			fail_msg("row %zu: burn %.17g, want %g", i, burn, rows[i].rate);
		/* consumed = burn x window / period */
		assert_true(fabs(burn * hours / 720 - rows[i].budget_share) < 1e-12);
		slo_counts w[SLO_WINDOW_COUNT] = {{0}};
		w[rows[i].long_w] = long_c;
		w[rows[i].short_w] = long_c;
		slo_status st;
		slo_evaluate(&s, w, (slo_counts){0, 0}, &st);
		assert_int_equal(st.alert, rows[i].alert);
		/* a hair less in either window and the rule does not fire */
		w[rows[i].short_w].bad = bad - 1;
		slo_evaluate(&s, w, (slo_counts){0, 0}, &st);
		assert_int_equal(st.alert, SLO_ALERT_NONE);
	}
	/* Table 5-4: time to exhaustion of a full budget is period / burn rate */
	slo_counts w[SLO_WINDOW_COUNT];
	fill(w, 10000); /* 1% bad at 99.9%: burn 10 */
	slo_status st;
	slo_evaluate(&s, w, (slo_counts){0, 1000}, &st);
	assert_true(st.burn[SLO_W1H] == 10);
	assert_int_equal(st.exhausted_in_ms, 3 * DAY_MS);
	assert_int_equal(st.alert, SLO_ALERT_PAGE); /* 10 reaches 6 (not 14.4): 6h and 30m page */
}

static void test_ticket_only(void **state)
{
	slo_spec s = spec(995000); /* 99.5%: budget 0.5% */
	slo_counts w[SLO_WINDOW_COUNT];
	fill(w, 0);
	w[SLO_W1D] = (slo_counts){175, 10000}; /* 1.75%: burn 3.5 */
	w[SLO_W2H] = (slo_counts){20, 1000};   /* burn 4 */
	w[SLO_W1H] = (slo_counts){25, 1000};   /* burn 5: not a page without 5m */
	w[SLO_W5M] = (slo_counts){0, 100};
	slo_status st;
	slo_evaluate(&s, w, (slo_counts){175, 10000}, &st);
	assert_int_equal(st.alert, SLO_ALERT_TICKET);
	assert_true(fabs(st.burn[SLO_W1D] - 3.5) < 1e-12);
	assert_true(fabs(st.budget_remaining - (1 - 3.5)) < 1e-12);
	assert_int_equal(st.exhausted_in_ms, 0); /* already spent */

	/* the slow ticket: 3d and 6h at burn 1 exactly */
	fill(w, 0);
	w[SLO_W3D] = (slo_counts){5, 1000};
	w[SLO_W6H] = (slo_counts){50, 10000};
	slo_evaluate(&s, w, (slo_counts){1, 1000}, &st);
	assert_int_equal(st.alert, SLO_ALERT_TICKET);
	assert_true(fabs(st.budget_remaining - 0.8) < 1e-12);
	assert_int_equal(st.exhausted_in_ms, -1); /* 1h burns 0 */
}

/* A burst that is over: the long windows still remember it, the short ones have recovered. */
static void test_recovered(void **state)
{
	slo_spec s = spec(999000);
	slo_counts w[SLO_WINDOW_COUNT];
	fill(w, 0);
	w[SLO_W1H] = (slo_counts){300, 10000}; /* burn 30 */
	w[SLO_W6H] = (slo_counts){100, 10000}; /* burn 10 */
	w[SLO_W1D] = (slo_counts){50, 10000};  /* burn 5 */
	w[SLO_W3D] = (slo_counts){20, 10000};  /* burn 2 */
	w[SLO_W5M] = (slo_counts){0, 500};
	w[SLO_W30M] = (slo_counts){1, 2000};  /* burn 0.5 */
	w[SLO_W2H] = (slo_counts){20, 10000}; /* burn 2: under 3 */
	slo_status st;
	slo_evaluate(&s, w, (slo_counts){20, 10000}, &st);
	assert_true(st.burn[SLO_W1H] > 14.4 && st.burn[SLO_W6H] > 6 && st.burn[SLO_W1D] > 3);
	/* the 6h window (burn 10) is also the short window of the slow ticket (3d at 2): that
	 * one still holds until 6h is under 1 too */
	assert_int_equal(st.alert, SLO_ALERT_TICKET);
	w[SLO_W6H] = (slo_counts){9, 10000}; /* burn 0.9 */
	slo_evaluate(&s, w, (slo_counts){20, 10000}, &st);
	assert_int_equal(st.alert, SLO_ALERT_NONE);
}

static void test_edges(void **state)
{
	slo_spec s = spec(990000);
	assert_true(slo_burn_rate((slo_counts){0, 0}, s.objective_ppm) == 0);
	assert_true(slo_burn_rate((slo_counts){5, 0}, s.objective_ppm) == 0);
	assert_true(slo_burn_rate((slo_counts){1, 100}, s.objective_ppm) == 1);
	slo_counts w[SLO_WINDOW_COUNT];
	fill(w, 0);
	slo_status st;
	slo_evaluate(&s, w, (slo_counts){0, 0}, &st);
	assert_int_equal(st.alert, SLO_ALERT_NONE);
	assert_true(st.budget_remaining == 1);
	assert_int_equal(st.exhausted_in_ms, -1);
	/* half the budget left, burning 2x: a quarter of the period */
	fill(w, 20000);
	slo_evaluate(&s, w, (slo_counts){5, 1000}, &st);
	assert_true(fabs(st.budget_remaining - 0.5) < 1e-12);
	assert_int_equal(st.exhausted_in_ms, s.period_ms / 4);
	assert_true(slo_is_bad_status(&s, TT_STATUS_TIMEOUT));
	assert_false(slo_is_bad_status(&s, TT_STATUS_OK));
}

/* Other periods keep the shares of the budget the rules stand for: a 7-day SLO pages when an
 * hour spends 2% of its budget (burn 3.36), not at the 30-day 14.4; 28 days gives Sloth's. */
static void test_scaled_periods(void **state)
{
	(void)state;
	assert_true(slo_alert_rate(0, 30 * DAY_MS) == 14.4);
	assert_true(slo_alert_rate(1, 30 * DAY_MS) == 6);
	assert_true(slo_alert_rate(2, 30 * DAY_MS) == 3);
	assert_true(slo_alert_rate(3, 30 * DAY_MS) == 1);
	assert_true(slo_alert_rate(0, 7 * DAY_MS) == 3.36);
	assert_true(slo_alert_rate(1, 7 * DAY_MS) == 1.4);
	assert_true(slo_alert_rate(2, 7 * DAY_MS) == 0.7);
	assert_true(slo_alert_rate(0, 28 * DAY_MS) == 13.44);
	assert_true(slo_alert_rate(1, 28 * DAY_MS) == 5.6);
	slo_spec s = spec(999000);
	s.period_ms = 7 * DAY_MS;
	/* 0.336% bad at 99.9%: burn 3.36 in every window */
	slo_counts w[SLO_WINDOW_COUNT];
	fill(w, 3360);
	slo_status st;
	slo_evaluate(&s, w, (slo_counts){0, 1000}, &st);
	assert_true(st.burn[SLO_W1H] == 3.36);
	assert_int_equal(st.alert, SLO_ALERT_PAGE);
	/* a hair under 3.36 in the short windows: only the 6h/30m rule (1.4) can page */
	fill(w, 3359);
	w[SLO_W30M] = (slo_counts){0, 1000000};
	slo_evaluate(&s, w, (slo_counts){0, 1000}, &st);
	assert_int_equal(st.alert, SLO_ALERT_TICKET); /* 1d and 2h reach 0.7 */
	/* the same burn on a 30-day SLO is under every 30-day page rate */
	s.period_ms = 30 * DAY_MS;
	fill(w, 3360);
	slo_evaluate(&s, w, (slo_counts){0, 1000}, &st);
	assert_int_equal(st.alert, SLO_ALERT_TICKET); /* 3.36 reaches 3 (1d and 2h) only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_windows),     cmocka_unit_test(test_table_5_8),
	    cmocka_unit_test(test_ticket_only), cmocka_unit_test(test_recovered),
	    cmocka_unit_test(test_edges),       cmocka_unit_test(test_scaled_periods),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
