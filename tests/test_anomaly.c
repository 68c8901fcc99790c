/* Tests for anomaly detection: robust statistics, each kind's rule, deduplication, resolving. */
#include "testutil.h"

#include <math.h>

#include "tokentop/anomaly.h"

static void test_median_mad(void **state)
{
	double v[] = {5, 1, 4, 2, 3}, w[] = {10, 1, 2, 3}, scratch[5];
	assert_true(anomaly_median(v, 5) == 3);
	assert_true(anomaly_mad(v, 5, 3, scratch) == 1);
	assert_true(anomaly_median(w, 4) == 2.5);
	/* one wild value barely moves either */
	double x[] = {1, 1, 1, 1, 1000};
	assert_true(anomaly_median(x, 5) == 1);
	assert_true(anomaly_mad(x, 5, 1, scratch) == 0);
	assert_true(isnan(anomaly_median(v, 0)));
	assert_string_equal(anomaly_kind_name(ANOM_429_STORM), "429_storm");
	assert_string_equal(anomaly_kind_name(ANOM_COST_RUNAWAY), "cost_runaway");
	assert_null(anomaly_kind_name(ANOM_KIND_COUNT));
	assert_null(anomaly_severity_name(ANOM_NONE));
	assert_string_equal(anomaly_severity_name(ANOM_CRITICAL), "critical");
}

/* A history of n windows around `level`, spread by +-jitter. */
static void hist(double *h, size_t n, double level, double jitter)
{
	for (size_t i = 0; i < n; i++)
		h[i] = level + jitter * (double)((int)(i % 5) - 2) / 2;
}

static anomaly_verdict check(anomaly_kind k, double value, int64_t count, double level,
                             double jitter, size_t n)
{
	double h[64];
	hist(h, n, level, jitter);
	anomaly_obs o = {.value = value, .count = count, .history = h, .nhistory = n, .ref = NAN};
	anomaly_verdict v;
	anomaly_check(k, &o, &v);
	return v;
}

static void test_rules(void **state)
{
	static const struct {
		anomaly_kind kind;
		double level, jitter, quiet, loud;
		int64_t count;
	} cases[] = {
	    /* tokens per request: 3200 -> 19000 */
	    {ANOM_TOKEN_SPIKE, 3200, 100, 3400, 19000, 300},
	    /* miss rate: 0.85 -> 0.99 (the hit rate falls from 15% to 1%) */
	    {ANOM_CACHE_MISS_SURGE, 0.85, 0.01, 0.87, 0.99, 1000},
	    /* refusal rate: 0.3% -> 5% */
	    {ANOM_REFUSAL_RISE, 0.003, 0.001, 0.004, 0.05, 1000},
	    /* 429 share: 3% -> 35%; a burst to 8% is not a storm */
	    {ANOM_429_STORM, 0.03, 0.005, 0.08, 0.35, 1000},
	    /* timeouts and 5xx: 0.8% -> 60% */
	    {ANOM_ERROR_SPIKE, 0.008, 0.002, 0.012, 0.6, 1000},
	    /* p95 latency: 2.4 s -> 30 s; 3 s is not a regression */
	    {ANOM_LATENCY_REGRESSION, 2400, 100, 3000, 30000, 1000},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		anomaly_verdict v = check(cases[i].kind, cases[i].loud, cases[i].count,
		                          cases[i].level, cases[i].jitter, 48);
		if (!v.judged || v.severity != ANOM_CRITICAL)
			fail_msg("%s: loud value not critical", anomaly_kind_name(cases[i].kind));
		assert_true(fabs(v.baseline - cases[i].level) < cases[i].jitter);
		v = check(cases[i].kind, cases[i].quiet, cases[i].count, cases[i].level,
		          cases[i].jitter, 48);
		if (!v.judged || v.severity != ANOM_NONE)
			fail_msg("%s: quiet value fired", anomaly_kind_name(cases[i].kind));
		/* too little history or too few requests: not judged at all */
		v = check(cases[i].kind, cases[i].loud, cases[i].count, cases[i].level,
		          cases[i].jitter, 3);
		assert_false(v.judged);
		v = check(cases[i].kind, cases[i].loud, 5, cases[i].level, cases[i].jitter, 48);
		assert_false(v.judged);
	}
}

/* A rate from a handful of requests is not evidence: 3 errors in 60 is 5%, but could be luck
 * at a 0.8% baseline; 30 in 600 cannot. */
static void test_small_counts(void **state)
{
	anomaly_verdict v = check(ANOM_ERROR_SPIKE, 4.0 / 60, 60, 0.008, 0.0005, 48);
	assert_true(v.judged);
	assert_int_equal(v.severity, ANOM_NONE);
	v = check(ANOM_ERROR_SPIKE, 60.0 / 600, 600, 0.008, 0.0005, 48);
	assert_int_not_equal(v.severity, ANOM_NONE);
}

/* Cost: against the trailing hour and a week earlier (ref), and only when material. */
static void test_cost(void **state)
{
	double h[48];
	hist(h, 48, 0.05, 0.01);
	anomaly_obs o = {.value = 1.0, .count = 500, .history = h, .nhistory = 48, .ref = 0.06};
	anomaly_verdict v;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_CRITICAL);
	assert_true(v.baseline == 0.06);
	/* the same hour last week was as expensive: the usual Monday rush, not a runaway */
	hist(h, 48, 0.05, 0.01);
	o.ref = 0.5;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_NONE);
	/* five times a tiny amount, less than the material floor */
	hist(h, 48, 0.05, 0.01);
	o.ref = 0.06;
	o.min_delta = 2.0;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_NONE);
	/* at night: the day's median (0.05) is above the trailing hour (0.01); six times the
	 * hour is a runaway although it is under twice the day's median */
	hist(h, 48, 0.05, 0.01);
	o = (anomaly_obs){.value = 0.09, .count = 100, .history = h, .nhistory = 48, .ref = 0.01};
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_WARNING);
	assert_true(v.baseline == 0.01);
	/* and the spread scales with the level: 1.4x the hour is noise */
	hist(h, 48, 0.05, 0.01);
	o.value = 0.014;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_NONE);
	/* too few requests to tell */
	hist(h, 48, 0.05, 0.01);
	o.value = 0.09;
	o.count = 5;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_false(v.judged);
}

/* A share's rise is judged on its lower bound: 26 of 210 (12.4%) against 2% is six times as
 * read, but may be a tripling by chance (a burst); 74 of 210 is a storm however read. */
static void test_share_bound(void **state)
{
	anomaly_verdict v = check(ANOM_429_STORM, 26.0 / 210, 210, 0.02, 0.002, 48);
	assert_true(v.judged);
	assert_int_not_equal(v.severity, ANOM_CRITICAL);
	v = check(ANOM_429_STORM, 74.0 / 210, 210, 0.02, 0.002, 48);
	assert_int_equal(v.severity, ANOM_CRITICAL);
}

/* The hour's level raises a share's baseline (a busy hour's mix), never lowers it; latency is
 * judged on its lower bound when one is given. */
static void test_ref_and_low(void **state)
{
	double h[48];
	hist(h, 48, 0.01, 0.001);
	anomaly_obs o = {.value = 0.2,
	                 .count = 1000,
	                 .history = h,
	                 .nhistory = 48,
	                 .ref = 0.05,
	                 .ref_raises = true};
	anomaly_verdict v;
	anomaly_check(ANOM_429_STORM, &o, &v);
	assert_true(v.baseline == 0.05);
	assert_int_equal(v.severity, ANOM_WARNING); /* 4x the hour, not 20x the day */
	hist(h, 48, 0.01, 0.001);
	o.ref = 0.005; /* a quiet hour does not lower the bar */
	anomaly_check(ANOM_429_STORM, &o, &v);
	assert_true(fabs(v.baseline - 0.01) < 0.001);
	assert_int_equal(v.severity, ANOM_CRITICAL);
	/* p95 of 6 s against 2.4 s fires; when its lower bound is 3 s, not */
	hist(h, 48, 2400, 100);
	o = (anomaly_obs){.value = 6000, .count = 120, .history = h, .nhistory = 48, .ref = NAN};
	anomaly_check(ANOM_LATENCY_REGRESSION, &o, &v);
	assert_int_equal(v.severity, ANOM_WARNING);
	hist(h, 48, 2400, 100);
	o.low = 3000;
	anomaly_check(ANOM_LATENCY_REGRESSION, &o, &v);
	assert_true(v.judged);
	assert_int_equal(v.severity, ANOM_NONE);
}

/* A cost runaway needs the price per request up too, beyond chance (three standard errors):
 * ten times the traffic at the usual price is load (budget burn's to judge), not a runaway;
 * nor is a price 30% up that a few dear requests explain. */
static void test_cost_mix(void **state)
{
	double h[48];
	hist(h, 48, 0.05, 0.01);
	anomaly_obs o = {.value = 1.0,
	                 .count = 500,
	                 .history = h,
	                 .nhistory = 48,
	                 .ref = 0.06,
	                 .mix = 0.01,
	                 .mix_ref = 0.01,
	                 .mix_se = 0.001};
	anomaly_verdict v;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_true(v.judged);
	assert_int_equal(v.severity, ANOM_NONE);
	hist(h, 48, 0.05, 0.01);
	o.mix = 0.013;
	o.mix_se = 0.002;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_NONE);
	hist(h, 48, 0.05, 0.01);
	o.mix = 0.03;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_CRITICAL);
	/* an open one holds while the price per request is above the reference */
	hist(h, 48, 0.05, 0.01);
	o.mix = 0.0105;
	o.open = true;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_CRITICAL);
}

/* The spread of a sum of request costs: a five-fold window that a few dear requests explain
 * (noise) is not a runaway. */
static void test_cost_noise(void **state)
{
	double h[48];
	hist(h, 48, 0.05, 0.01);
	anomaly_obs o = {.value = 0.3, .count = 60, .history = h, .nhistory = 48, .ref = 0.05};
	anomaly_verdict v;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_int_equal(v.severity, ANOM_WARNING);
	hist(h, 48, 0.05, 0.01);
	o.noise = 0.1;
	anomaly_check(ANOM_COST_RUNAWAY, &o, &v);
	assert_true(v.judged);
	assert_int_equal(v.severity, ANOM_NONE);
}

/* Once open, an alert holds until the value is half-way back (no flapping at the edge). */
static void test_hysteresis(void **state)
{
	double h[48];
	hist(h, 48, 0.03, 0.005);
	anomaly_obs o = {.value = 0.12, .count = 2000, .history = h, .nhistory = 48, .ref = NAN};
	anomaly_verdict v;
	anomaly_check(ANOM_429_STORM, &o, &v); /* 4x, +9 points: under the 10-point bar */
	assert_int_equal(v.severity, ANOM_NONE);
	hist(h, 48, 0.03, 0.005);
	o.open = true;
	anomaly_check(ANOM_429_STORM, &o, &v);
	assert_int_equal(v.severity, ANOM_WARNING);
}

static void feed(anomaly_tracker *t, const char *scope, int64_t ts, anomaly_severity s, bool judged)
{
	anomaly_verdict v = {.judged = judged, .severity = s, .baseline = 1};
	assert_int_equal(anomaly_track(t, ANOM_TOKEN_SPIKE, scope, ts, &v, 10), 0);
}

static void test_tracker(void **state)
{
	anomaly_tracker t;
	anomaly_tracker_init(&t, 3);
	/* one alert for a run of firing evaluations */
	feed(&t, "a", 100, ANOM_WARNING, true);
	feed(&t, "a", 200, ANOM_CRITICAL, true);
	feed(&t, "b", 200, ANOM_NONE, true);
	feed(&t, "a", 300, ANOM_WARNING, true);
	assert_int_equal(t.n, 1);
	const anomaly_alert *a = anomaly_tracker_open(&t, ANOM_TOKEN_SPIKE, "a");
	assert_non_null(a);
	assert_int_equal(a->since_ms, 100);
	assert_int_equal(a->last_ms, 300);
	assert_int_equal(a->severity, ANOM_WARNING);
	assert_int_equal(a->peak, ANOM_CRITICAL);
	assert_null(anomaly_tracker_open(&t, ANOM_TOKEN_SPIKE, "b"));
	assert_null(anomaly_tracker_open(&t, ANOM_429_STORM, "a"));
	/* two clear evaluations and a gap in the data do not resolve it; a third does, from the
	 * first clear one */
	feed(&t, "a", 400, ANOM_NONE, true);
	feed(&t, "a", 500, ANOM_NONE, true);
	feed(&t, "a", 600, ANOM_CRITICAL, false);
	assert_non_null(anomaly_tracker_open(&t, ANOM_TOKEN_SPIKE, "a"));
	feed(&t, "a", 700, ANOM_NONE, true);
	assert_null(anomaly_tracker_open(&t, ANOM_TOKEN_SPIKE, "a"));
	assert_int_equal(t.alerts[0].resolved_ms, 400);
	/* firing again later is a new alert */
	feed(&t, "a", 800, ANOM_WARNING, true);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.alerts[1].since_ms, 800);
	assert_int_equal(t.alerts[1].resolved_ms, -1);
	/* a clear evaluation between firing ones restarts the count */
	feed(&t, "a", 900, ANOM_NONE, true);
	feed(&t, "a", 1000, ANOM_WARNING, true);
	feed(&t, "a", 1100, ANOM_NONE, true);
	feed(&t, "a", 1200, ANOM_NONE, true);
	assert_non_null(anomaly_tracker_open(&t, ANOM_TOKEN_SPIKE, "a"));
	assert_int_equal(t.n, 2);
	anomaly_tracker_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_median_mad),   cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_small_counts), cmocka_unit_test(test_cost),
	    cmocka_unit_test(test_hysteresis),   cmocka_unit_test(test_share_bound),
	    cmocka_unit_test(test_ref_and_low),  cmocka_unit_test(test_cost_mix),
	    cmocka_unit_test(test_cost_noise),   cmocka_unit_test(test_tracker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
