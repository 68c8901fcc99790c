/* Tests for budgets and forecasts: periods, states, profile forecasts, backtests, what-ifs. */
#include "testutil.h"

#include <math.h>

#include "tokentop/budget.h"
#include "tokentop/timeutil.h"

#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL
#define WEEK_MS (7 * DAY_MS)
#define USD     1000000LL

static int64_t at(int y, unsigned m, unsigned d, int h)
{
	return time_days_from_civil(y, m, d) * DAY_MS + h * HOUR_MS;
}

static void test_periods(void **state)
{
	int64_t s, e;
	/* Wednesday 2026-01-07 15:00 */
	budget_period_bounds(BUDGET_DAY, at(2026, 1, 7, 15), &s, &e);
	assert_int_equal(s, at(2026, 1, 7, 0));
	assert_int_equal(e, at(2026, 1, 8, 0));
	budget_period_bounds(BUDGET_WEEK, at(2026, 1, 7, 15), &s, &e);
	assert_int_equal(s, at(2026, 1, 5, 0)); /* Monday */
	assert_int_equal(e, at(2026, 1, 12, 0));
	budget_period_bounds(BUDGET_WEEK, at(2026, 1, 5, 0), &s, &e);
	assert_int_equal(s, at(2026, 1, 5, 0));
	budget_period_bounds(BUDGET_WEEK, at(2026, 1, 4, 23), &s, &e); /* a Sunday */
	assert_int_equal(s, at(2025, 12, 29, 0));
	budget_period_bounds(BUDGET_MONTH, at(2025, 12, 31, 23), &s, &e);
	assert_int_equal(s, at(2025, 12, 1, 0));
	assert_int_equal(e, at(2026, 1, 1, 0));
	budget_period_bounds(BUDGET_MONTH, at(2028, 2, 29, 0), &s, &e);
	assert_int_equal(e - s, 29 * DAY_MS);
	budget_period p;
	assert_int_equal(budget_period_parse("week", &p), 0);
	assert_int_equal(p, BUDGET_WEEK);
	assert_int_equal(budget_period_parse("quarter", &p), -1);
	assert_string_equal(budget_period_name(BUDGET_MONTH), "month");
}

static void test_scope_and_state(void **state)
{
	budget_scope sc;
	char buf[128];
	assert_int_equal(budget_scope_parse("*", &sc), 0);
	assert_true(sc.all);
	assert_int_equal(budget_scope_parse("team=support", &sc), 0);
	assert_false(sc.all);
	assert_int_equal(sc.dim, TT_D_TEAM);
	assert_string_equal(sc.value, "support");
	budget_scope_format(&sc, buf, sizeof buf);
	assert_string_equal(buf, "team=support");
	assert_int_equal(budget_scope_parse("use_case=support-bot", &sc), 0);
	assert_int_equal(sc.dim, TT_D_USE_CASE);
	assert_int_equal(budget_scope_parse("status=ok", &sc), -1);
	assert_int_equal(budget_scope_parse("team=", &sc), -1);
	assert_int_equal(budget_scope_parse("team", &sc), -1);
	assert_int_equal(budget_scope_parse("", &sc), -1);

	budget_spec b = {.amount_nanos = 1000 * USD, .soft_pct = 80, .hard_pct = 100};
	assert_int_equal(budget_state_of(&b, 0), BUDGET_OK);
	assert_int_equal(budget_state_of(&b, 800 * USD - 1), BUDGET_OK);
	assert_int_equal(budget_state_of(&b, 800 * USD), BUDGET_SOFT);
	assert_int_equal(budget_state_of(&b, 1000 * USD - 1), BUDGET_SOFT);
	assert_int_equal(budget_state_of(&b, 1000 * USD), BUDGET_HARD);
	assert_string_equal(budget_state_name(BUDGET_SOFT), "soft");
}

/* A synthetic history: hourly spend from hour0 for n hours, by a function of the hour. */
typedef int64_t (*shape_fn)(int64_t hour_ms);

static int64_t *history(int64_t hour0, size_t n, shape_fn f)
{
	int64_t *h = malloc(n * sizeof *h);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		h[i] = f(hour0 + (int64_t)i * HOUR_MS);
	return h;
}

static int64_t flat(int64_t t)
{
	(void)t;
	return USD;
}

/* Weekdays busier than weekends, afternoons than nights: $0.5 to $24 an hour. */
static int64_t weekly(int64_t t)
{
	int64_t day = t / DAY_MS, hour = t % DAY_MS / HOUR_MS;
	int weekend = ((day + 3) % 7) >= 5;
	return (hour + 1) * USD / (weekend ? 2 : 1);
}

static int64_t sum(shape_fn f, int64_t from, int64_t to)
{
	int64_t s = 0;
	for (int64_t t = from; t < to; t += HOUR_MS)
		s += f(t);
	return s;
}

/* With a steady weekly pattern the forecast is exact: spend so far plus the same hours of the
 * weeks before, for a week and for a month alike. */
static void test_forecast_known_answer(void **state)
{
	static const shape_fn shapes[] = {flat, weekly};
	int64_t hour0 = at(2025, 11, 3, 0); /* a Monday */
	size_t n = 70 * 24;
	for (size_t k = 0; k < 2; k++) {
		int64_t *h = history(hour0, n, shapes[k]);
		budget_series s = {h, n, hour0, hour0};
		int64_t start, end, now = at(2026, 1, 7, 12); /* Wednesday noon */
		forecast f;
		budget_period_bounds(BUDGET_WEEK, now, &start, &end);
		budget_forecast(&s, start, end, now, &f);
		assert_int_equal(f.basis, FORECAST_WEEKLY);
		assert_int_equal(f.weeks, 4);
		assert_int_equal(f.spent_nanos, sum(shapes[k], start, now));
		assert_int_equal(f.point_nanos, sum(shapes[k], start, end));
		/* every week alike: the range is the least band, 10% of the projected rest */
		int64_t rest = f.point_nanos - f.spent_nanos;
		assert_int_equal(f.low_nanos, f.point_nanos - rest / 10);
		assert_int_equal(f.high_nanos, f.point_nanos + rest / 10);
		budget_period_bounds(BUDGET_MONTH, now, &start, &end);
		budget_forecast(&s, start, end, now, &f);
		assert_int_equal(f.point_nanos, sum(shapes[k], start, end));
		/* a cut a quarter into an hour, with that hour's spend so far: the rest of the
		 * hour is projected pro rata */
		size_t i_now = (size_t)((now - hour0) / HOUR_MS);
		int64_t whole = h[i_now];
		h[i_now] = whole / 4;
		budget_forecast(&s, start, end, now + HOUR_MS / 4, &f);
		assert_int_equal(f.spent_nanos, sum(shapes[k], start, now) + whole / 4);
		assert_int_equal(f.point_nanos, sum(shapes[k], start, end));
		h[i_now] = whole;
		/* steady history forecasts its past periods exactly */
		int nb;
		double mape = budget_backtest(&s, BUDGET_WEEK, now, &nb);
		assert_true(mape == 0);
		assert_int_equal(nb, 4 * 3);
		mape = budget_backtest(&s, BUDGET_DAY, now, &nb);
		assert_true(mape == 0);
		assert_int_equal(nb, 7 * 3);
		free(h);
	}
}

/* Growth: each week twice the one before. The profile's shape comes from four weeks, its level
 * from the latest one. */
static int64_t growing(int64_t t)
{
	int64_t week = (t - at(2025, 12, 8, 0)) / WEEK_MS; /* 0..3 before the forecast week */
	return weekly(t) << week;
}

/* Weeks of two shapes in turn: busy weekdays, then busy weekends. */
static int64_t alternating(int64_t t)
{
	int64_t week = (t - at(2025, 12, 8, 0)) / WEEK_MS;
	int weekend = ((t / DAY_MS + 3) % 7) >= 5;
	return week % 2 ? weekly(t) : (weekend ? 20 : 1) * USD;
}

static void test_forecast_level_and_range(void **state)
{
	int64_t hour0 = at(2025, 12, 8, 0), now = at(2026, 1, 5, 0); /* Monday */
	size_t n = (size_t)((now - hour0) / HOUR_MS);
	int64_t *h = history(hour0, n, growing);
	budget_series s = {h, n, hour0, hour0};
	int64_t start, end;
	forecast f;
	budget_period_bounds(BUDGET_WEEK, now, &start, &end);
	budget_forecast(&s, start, end, now, &f);
	assert_int_equal(f.basis, FORECAST_WEEKLY);
	assert_int_equal(f.spent_nanos, 0);
	/* mean week 15/4 of the first, level last / mean: the latest week's 8 */
	assert_int_equal(f.point_nanos, 8 * sum(weekly, start, end));
	/* every week has the same shape: the range is the least band, 10% of the rest */
	assert_int_equal(f.low_nanos, f.point_nanos - f.point_nanos / 10);
	assert_int_equal(f.high_nanos, f.point_nanos + f.point_nanos / 10);
	free(h);

	/* the shapes differ in how much of a week falls on a Monday: a wider range */
	h = history(hour0, n, alternating);
	s.hourly = h;
	budget_period_bounds(BUDGET_DAY, now, &start, &end);
	budget_forecast(&s, start, end, now, &f);
	int64_t rest = f.point_nanos - f.spent_nanos;
	assert_true(f.low_nanos < f.point_nanos - rest / 10);
	assert_true(f.high_nanos > f.point_nanos + rest / 10);
	free(h);
}

/* Less than a week: an hour-of-day profile, then a flat rate, then nothing. */
static void test_forecast_fallbacks(void **state)
{
	int64_t now = at(2026, 1, 8, 12), start, end; /* Thursday noon, after three weekdays */
	budget_period_bounds(BUDGET_DAY, now, &start, &end);
	int64_t hour0 = now - 3 * DAY_MS;
	size_t n = 3 * 24;
	int64_t *h = history(hour0, n, weekly);
	budget_series s = {h, n, hour0, hour0};
	forecast f;
	budget_forecast(&s, start, end, now, &f);
	assert_int_equal(f.basis, FORECAST_DAILY);
	/* the mean of the three days before is the weekday profile */
	assert_int_equal(f.point_nanos, sum(weekly, start, end));
	assert_true(f.low_nanos < f.point_nanos && f.high_nanos > f.point_nanos);
	assert_true(f.low_nanos >= f.spent_nanos);

	s.data_start_ms = now - 5 * HOUR_MS;
	budget_forecast(&s, start, end, now, &f);
	assert_int_equal(f.basis, FORECAST_RATE);
	/* hours 7..11 ($8..$12, mean $10) carry on for the 12 hours left */
	assert_int_equal(f.point_nanos, f.spent_nanos + 12 * 10 * USD);

	s.data_start_ms = now;
	budget_forecast(&s, start, end, now, &f);
	assert_int_equal(f.basis, FORECAST_NONE);
	assert_int_equal(f.point_nanos, f.spent_nanos);
	double mape = budget_backtest(&s, BUDGET_DAY, now, NULL);
	assert_true(isnan(mape));
	free(h);
}

/* A backtest on history that changes week to week has an error, and it is the mean of the
 * replayed forecasts' errors. */
static void test_backtest_error(void **state)
{
	int64_t hour0 = at(2025, 11, 3, 0), now = at(2026, 1, 7, 12);
	size_t n = (size_t)((now - hour0) / HOUR_MS);
	int64_t *h = history(hour0, n, weekly);
	for (size_t i = 0; i < n; i++)
		if ((i / 168) % 2) /* every other week twice as much */
			h[i] *= 2;
	budget_series s = {h, n, hour0, hour0};
	int nb;
	double mape = budget_backtest(&s, BUDGET_WEEK, now, &nb);
	assert_int_equal(nb, 12);
	assert_true(mape > 0.05 && mape < 1);
	forecast f;
	int64_t start, end;
	budget_period_bounds(BUDGET_WEEK, now, &start, &end);
	budget_forecast(&s, start, end, now, &f);
	forecast g = f;
	budget_forecast_widen(&g, mape);
	assert_true(g.low_nanos <= f.low_nanos && g.high_nanos >= f.high_nanos);
	assert_true(g.high_nanos >= g.point_nanos + (int64_t)(mape * (double)g.point_nanos) - 1);
	assert_true(g.low_nanos >= g.spent_nanos);
	free(h);
}

static void test_whatif(void **state)
{
	whatif w[3];
	char why[200];
	assert_int_equal(whatif_parse("context=+20%", &w[0], why, sizeof why), 0);
	assert_int_equal(w[0].kind, WHATIF_CONTEXT);
	assert_true(fabs(w[0].factor - 1.2) < 1e-12);
	assert_int_equal(whatif_parse("price=gpt-4o:+15%", &w[1], why, sizeof why), 0);
	assert_int_equal(w[1].kind, WHATIF_PRICE);
	assert_string_equal(w[1].target, "gpt-4o");
	assert_int_equal(whatif_parse("traffic=support-bot:x2", &w[2], why, sizeof why), 0);
	assert_string_equal(w[2].target, "support-bot");
	assert_true(w[2].factor == 2);
	char buf[160];
	whatif_format(&w[1], buf, sizeof buf);
	assert_string_equal(buf, "price=gpt-4o:+15%");
	whatif_format(&w[2], buf, sizeof buf);
	assert_string_equal(buf, "traffic=support-bot:x2");
	whatif x;
	assert_int_equal(whatif_parse("price=+15%", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("context=20%", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("traffic=a:y", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("volume=+1%", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("context=-200%", &x, why, sizeof why), -1);

	/* half the spend is support-bot on gpt-4o (input 60% of it), half code-review on opus */
	whatif_cell cells[] = {{"support-bot", "gpt-4o", 500, 0.6},
	                       {"code-review", "claude-opus-4-1", 500, 0.2}};
	assert_true(fabs(whatif_factor(cells, 2, &w[0], 1) - (1 + 0.2 * 0.4)) < 1e-12);
	assert_true(fabs(whatif_factor(cells, 2, &w[1], 1) - 1.075) < 1e-12);
	assert_true(fabs(whatif_factor(cells, 2, &w[2], 1) - 1.5) < 1e-12);
	/* together: support-bot x2 x1.15 x1.12, code-review x1.04 */
	double all = (500 * 2 * 1.15 * 1.12 + 500 * 1.04) / 1000;
	assert_true(fabs(whatif_factor(cells, 2, w, 3) - all) < 1e-12);
	assert_true(whatif_factor(NULL, 0, w, 3) == 1);

	forecast f = {.spent_nanos = 100, .point_nanos = 300, .low_nanos = 200, .high_nanos = 400};
	assert_int_equal(whatif_apply(&f, 1.5), 0);
	assert_int_equal(f.spent_nanos, 100);
	assert_int_equal(f.point_nanos, 400);
	assert_int_equal(f.low_nanos, 250);
	assert_int_equal(f.high_nanos, 550);

	/* changes beyond x1000 are refused, whatever their spelling; x1000 itself is taken */
	assert_int_equal(whatif_parse("context=+1e308%", &x, why, sizeof why), -1);
	assert_non_null(strstr(why, "at most x1000"));
	assert_int_equal(whatif_parse("traffic=a:x1e308", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("traffic=a:x1001", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("traffic=a:xinf", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("context=+nan%", &x, why, sizeof why), -1);
	assert_int_equal(whatif_parse("traffic=a:x1000", &x, why, sizeof why), 0);
	assert_int_equal(whatif_parse("context=+99900%", &x, why, sizeof why), 0);
	/* a forecast the factor would take past 64-bit nano-dollars is refused, not wrapped */
	forecast big = {.spent_nanos = 0,
	                .point_nanos = 9000000000000000000LL / 500,
	                .low_nanos = 1,
	                .high_nanos = 9000000000000000000LL / 500};
	forecast keep = big;
	assert_int_equal(whatif_apply(&big, 1000.0 * 1000.0), -1);
	assert_memory_equal(&big, &keep, sizeof big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_periods),
	    cmocka_unit_test(test_scope_and_state),
	    cmocka_unit_test(test_forecast_known_answer),
	    cmocka_unit_test(test_forecast_level_and_range),
	    cmocka_unit_test(test_forecast_fallbacks),
	    cmocka_unit_test(test_backtest_error),
	    cmocka_unit_test(test_whatif),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
