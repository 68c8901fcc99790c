/* Tests for histogram_quantile: cases worked out by hand from PromQL's rules. */
#include "testutil.h"

#include <math.h>

#include "tokentop/histq.h"

#define N(a)       (sizeof(a) / sizeof((a)[0]))
#define EPS        1e-12
#define INF        INFINITY
#define near(a, b) assert_true(fabs((a) - (b)) < EPS)

/* 10 observations up to 0.1, 20 more up to 0.5, 30 more up to 1, 40 above: 100 in all. */
static const prom_bucket basic[] = {{0.1, 10}, {0.5, 30}, {1, 60}, {INF, 100}};

static void test_interpolation(void **state)
{
	/* rank 50 lies in (0.5, 1]: 0.5 + 0.5 * (50 - 30) / (60 - 30) */
	near(histq_quantile(0.5, basic, N(basic), NULL), 0.5 + 0.5 * 20.0 / 30.0);
	/* rank 5 in the lowest bucket, whose lower bound is 0: 0.1 * 5 / 10 */
	near(histq_quantile(0.05, basic, N(basic), NULL), 0.05);
	/* rank 60 is exactly the count at le 1: the bucket's upper bound */
	near(histq_quantile(0.6, basic, N(basic), NULL), 1.0);
	/* rank 30 ends the (0.1, 0.5] bucket */
	near(histq_quantile(0.3, basic, N(basic), NULL), 0.5);
	/* rank 10.5 just inside (0.1, 0.5]: 0.1 + 0.4 * 0.5 / 20 */
	near(histq_quantile(0.105, basic, N(basic), NULL), 0.11);
	/* q = 1: rank 100 is found only in +Inf: the second-highest bound */
	near(histq_quantile(1, basic, N(basic), NULL), 1.0);
	/* q = 0: rank 0, the lowest bucket, 0 + 0.1 * 0 / 10 */
	near(histq_quantile(0, basic, N(basic), NULL), 0.0);
}

static void test_inf_bucket(void **state)
{
	/* ranks 61..100 land in +Inf: the upper bound of the bucket below it */
	near(histq_quantile(0.99, basic, N(basic), NULL), 1.0);
	near(histq_quantile(0.61, basic, N(basic), NULL), 1.0);
	/* two buckets, everything above 1 */
	const prom_bucket two[] = {{1, 0}, {INF, 10}};
	near(histq_quantile(0.5, two, N(two), NULL), 1.0);
}

static void test_special_cases(void **state)
{
	assert_true(isinf(histq_quantile(-0.1, basic, N(basic), NULL)));
	assert_true(histq_quantile(-0.1, basic, N(basic), NULL) < 0);
	assert_true(isinf(histq_quantile(1.01, basic, N(basic), NULL)));
	assert_true(histq_quantile(1.01, basic, N(basic), NULL) > 0);
	assert_true(isnan(histq_quantile(NAN, basic, N(basic), NULL)));
	/* q out of range wins even over no buckets at all, as in PromQL */
	assert_true(histq_quantile(-1, NULL, 0, NULL) < 0);
	assert_true(isnan(histq_quantile(0.5, NULL, 0, NULL)));

	/* fewer than 2 buckets */
	const prom_bucket one[] = {{INF, 10}};
	assert_true(isnan(histq_quantile(0.5, one, 1, NULL)));
	/* no +Inf bucket */
	const prom_bucket noinf[] = {{0.1, 10}, {0.5, 30}, {1, 60}};
	assert_true(isnan(histq_quantile(0.5, noinf, N(noinf), NULL)));
	/* -Inf as the highest is not +Inf */
	const prom_bucket neginf[] = {{-INF, 1}, {-INF, 2}};
	assert_true(isnan(histq_quantile(0.5, neginf, N(neginf), NULL)));
	/* no observations */
	const prom_bucket empty[] = {{0.1, 0}, {1, 0}, {INF, 0}};
	assert_true(isnan(histq_quantile(0.5, empty, N(empty), NULL)));
	/* q = 0 with an empty lowest bucket: 0 + 1 * (0 / 0), NaN in PromQL too */
	const prom_bucket low0[] = {{1, 0}, {2, 5}, {INF, 5}};
	assert_true(isnan(histq_quantile(0, low0, N(low0), NULL)));
	near(histq_quantile(0.5, low0, N(low0), NULL), 1.5);
	/* a NaN bound is left out: the rest is still a histogram */
	const prom_bucket nanle[] = {{0.1, 10}, {NAN, 99}, {0.5, 30}, {1, 60}, {INF, 100}};
	near(histq_quantile(0.5, nanle, N(nanle), NULL), 0.5 + 0.5 * 20.0 / 30.0);
}

static void test_unsorted(void **state)
{
	const prom_bucket shuffled[] = {{1, 60}, {INF, 100}, {0.1, 10}, {0.5, 30}};
	near(histq_quantile(0.5, shuffled, N(shuffled), NULL), 0.5 + 0.5 * 20.0 / 30.0);
	/* the input is not touched */
	assert_true(shuffled[0].le == 1 && shuffled[1].count == 100);
}

static void test_non_positive_lowest(void **state)
{
	/* lowest bound -1: a rank there returns -1 itself, no interpolation from 0 */
	const prom_bucket b[] = {{-1, 10}, {0, 20}, {INF, 40}};
	near(histq_quantile(0.1, b, N(b), NULL), -1.0);
	/* rank 16 in (-1, 0]: -1 + 1 * (16 - 10) / 10 */
	near(histq_quantile(0.4, b, N(b), NULL), -0.4);
	/* lowest bound exactly 0 */
	const prom_bucket z[] = {{0, 4}, {1, 8}, {INF, 8}};
	near(histq_quantile(0.25, z, N(z), NULL), 0.0);
	near(histq_quantile(0.75, z, N(z), NULL), 0.5);
}

static void test_monotonic(void **state)
{
	/* 8 at le 2 is below the 10 at le 1: raised to 10 (ensureMonotonic) */
	const prom_bucket b[] = {{1, 10}, {2, 8}, {3, 15}, {INF, 15}};
	unsigned flags = 99;
	/* rank 10.5: counts seen as 10, 10, 15: (2, 3], 2 + 1 * 0.5 / 5 */
	near(histq_quantile(0.7, b, N(b), &flags), 2.1);
	assert_int_equal(flags, HISTQ_FORCED_MONOTONIC);
	/* rank 7.5 in the lowest: 7.5 / 10 */
	near(histq_quantile(0.5, b, N(b), &flags), 0.75);

	/* a later drop is measured against the last real increase, not the raised value */
	const prom_bucket d[] = {{1, 10}, {2, 5}, {3, 7}, {4, 12}, {INF, 12}};
	/* seen as 10, 10, 10, 12, 12; rank 11 lies in (3, 4]: 3 + 1 * 1 / 2 */
	near(histq_quantile(11.0 / 12, d, N(d), &flags), 3.5);
	assert_int_equal(flags, HISTQ_FORCED_MONOTONIC);

	/* a dip below an earlier step is measured against that step: 15 after 20 becomes 20 */
	const prom_bucket e[] = {{1, 10}, {2, 20}, {3, 15}, {4, 25}, {INF, 30}};
	/* seen as 10, 20, 20, 25, 30; rank 22 in (3, 4]: 3 + 1 * 2 / 5 */
	near(histq_quantile(22.0 / 30, e, N(e), &flags), 3.4);

	/* clean input: no flags */
	histq_quantile(0.5, basic, N(basic), &flags);
	assert_int_equal(flags, 0);
}

static void test_small_deltas(void **state)
{
	/* 1e-13 relative apart, either way: the same count (fixed precision), not a decrease */
	const prom_bucket b[] = {{1, 100}, {2, 100 - 1e-11}, {3, 100 + 1e-11}, {INF, 200}};
	unsigned flags = 0;
	/* rank 150 in (3, +Inf]: the second-highest bound */
	near(histq_quantile(0.75, b, N(b), &flags), 3.0);
	assert_int_equal(flags, HISTQ_FIXED_PRECISION);
	/* rank 100 is met by le 1 already: 0 + 1 * 100 / 100 */
	near(histq_quantile(0.5, b, N(b), &flags), 1.0);
	/* a real step of 2^-10 (5e-7 relative) is kept: rank 1024 + 2^-11 is half-way into (1, 2]
	 */
	const prom_bucket c[] = {{1, 1024}, {2, 1024 + 0x1p-10}, {INF, 2048}};
	near(histq_quantile(0.5 + 0x1p-22, c, N(c), &flags), 1.5);
	assert_int_equal(flags, 0);
}

static void test_coalesce(void **state)
{
	/* le="1" and le="1.0" from two series are one bound: their counts add */
	const prom_bucket b[] = {{1, 3}, {1, 2}, {2, 8}, {INF, 10}};
	/* seen as (1, 5), (2, 8), (+Inf, 10); rank 5 -> le 1: 1 * 5 / 5 */
	near(histq_quantile(0.5, b, N(b), NULL), 1.0);
	/* rank 6 in (1, 2]: 1 + 1 * 1 / 3 */
	near(histq_quantile(0.6, b, N(b), NULL), 1.0 + 1.0 / 3);
	/* two +Inf buckets add too: 20 observations, rank 10 in (1, 2] */
	const prom_bucket i2[] = {{1, 5}, {2, 15}, {INF, 10}, {INF, 10}};
	near(histq_quantile(0.5, i2, N(i2), NULL), 1.5);
}

static void test_many_buckets(void **state)
{
	/* more buckets than fit on the stack: 1000 buckets of 1 observation each up to 1000 */
	size_t n = 1001;
	prom_bucket *b = malloc(n * sizeof *b);
	for (size_t i = 0; i < n - 1; i++)
		b[i] = (prom_bucket){(double)(n - 1 - i), (double)(n - 1 - i)};
	b[n - 1] = (prom_bucket){INF, 1000};
	/* rank 1000 * (0.5 + 2^-11) = 500.48828125 in (500, 501] */
	near(histq_quantile(0.5 + 0x1p-11, b, n, NULL), 500.48828125);
	free(b);
}

static void test_increase(void **state)
{
	/* two scrapes; the increase is the basic histogram */
	const prom_bucket prev[] = {{0.1, 5}, {0.5, 10}, {1, 20}, {INF, 25}};
	const prom_bucket cur[] = {{0.1, 15}, {0.5, 40}, {1, 80}, {INF, 125}};
	prom_bucket d[4];
	assert_int_equal(histq_increase(prev, 4, cur, 4, d), 4);
	assert_true(d[0].count == 10 && d[1].count == 30 && d[2].count == 60 && d[3].count == 100);
	near(histq_quantile_increase(0.5, prev, 4, cur, 4, NULL), 0.5 + 0.5 * 20.0 / 30.0);

	/* a restarted server: every count fell, so the increase is the new count */
	const prom_bucket reset[] = {{0.1, 1}, {0.5, 2}, {1, 4}, {INF, 4}};
	assert_int_equal(histq_increase(cur, 4, reset, 4, d), 4);
	assert_true(d[0].count == 1 && d[2].count == 4 && d[3].count == 4);
	/* rank 2 ends (0.1, 0.5] */
	near(histq_quantile_increase(0.5, cur, 4, reset, 4, NULL), 0.5);

	/* a bucket the first scrape lacked has no rate: left out */
	const prom_bucket newer[] = {{0.1, 15}, {0.25, 30}, {0.5, 40}, {1, 80}, {INF, 125}};
	assert_int_equal(histq_increase(prev, 4, newer, 5, d), 4);
	assert_true(d[1].le == 0.5);
	/* no +Inf in the first scrape: no quantile */
	assert_true(isnan(histq_quantile_increase(0.5, prev, 3, cur, 4, NULL)));
	/* nothing happened between the scrapes: NaN, as rate() of zero observations */
	assert_true(isnan(histq_quantile_increase(0.5, cur, 4, cur, 4, NULL)));

	/* one bucket reset while the others did not: ensureMonotonic fixes the dip */
	const prom_bucket half[] = {{0.1, 15}, {0.5, 3}, {1, 80}, {INF, 125}};
	unsigned flags = 0;
	/* increases 10, 3 (reset), 60, 100 -> 10, 10, 60, 100; rank 50 in (0.5, 1]:
	 * 0.5 + 0.5 * 40 / 50 */
	near(histq_quantile_increase(0.5, prev, 4, half, 4, &flags), 0.9);
	assert_int_equal(flags, HISTQ_FORCED_MONOTONIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_interpolation),       cmocka_unit_test(test_inf_bucket),
	    cmocka_unit_test(test_special_cases),       cmocka_unit_test(test_unsorted),
	    cmocka_unit_test(test_non_positive_lowest), cmocka_unit_test(test_monotonic),
	    cmocka_unit_test(test_small_deltas),        cmocka_unit_test(test_coalesce),
	    cmocka_unit_test(test_many_buckets),        cmocka_unit_test(test_increase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
