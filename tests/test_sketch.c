/* Tests for the DDSketch: accuracy on skewed data, exact merges, encoding and bad blobs. */
#include "testutil.h"

#include <math.h>

#include "tokentop/sketch.h"

#define N_VALUES 100000

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double rng_unit(void)
{
	return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_lognormal(double mu, double sigma)
{
	double u1 = rng_unit(), u2 = rng_unit();
	double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	return exp(mu + sigma * z);
}

static double rng_pareto(double xm, double shape)
{
	return xm / pow(rng_unit(), 1.0 / shape);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double exact_quantile(const double *sorted, size_t n, double q)
{
	return sorted[(size_t)floor(q * (double)(n - 1))];
}

static void check_accuracy(double *vals, size_t n, const char *what)
{
	sketch s;
	sketch_init(&s);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sketch_add(&s, vals[i], 1), 0);
	assert_int_equal(s.count, n);
	qsort(vals, n, sizeof *vals, cmp_double);
	const double qs[] = {0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		double want = exact_quantile(vals, n, qs[k]);
		double got = sketch_quantile(&s, qs[k]);
		double err = fabs(got - want) / want;
		if (err > SKETCH_ALPHA + 1e-12)
			fail_msg("%s q=%g: got %g, exact %g, error %g", what, qs[k], got, want,
			         err);
	}
	sketch_free(&s);
}

static void test_accuracy_lognormal(void **state)
{
	double *v = malloc(N_VALUES * sizeof *v);
	rng_state = 1;
	for (size_t i = 0; i < N_VALUES; i++)
		v[i] = rng_lognormal(5.0, 1.2); /* latencies around 150 ms with a long tail */
	check_accuracy(v, N_VALUES, "lognormal");
	free(v);
}

static void test_accuracy_pareto(void **state)
{
	double *v = malloc(N_VALUES * sizeof *v);
	rng_state = 2;
	for (size_t i = 0; i < N_VALUES; i++)
		v[i] = rng_pareto(10.0, 1.1);
	check_accuracy(v, N_VALUES, "pareto");
	free(v);
}

static void test_huge_values(void **state)
{
	double *v = malloc(N_VALUES * sizeof *v);
	rng_state = 3;
	for (size_t i = 0; i < N_VALUES; i++)
		v[i] = 1e9 * (1.0 + 9.0 * rng_unit()); /* 1e9 .. 1e10 */
	check_accuracy(v, N_VALUES, "huge");
	free(v);

	sketch s;
	sketch_init(&s);
	sketch_add(&s, 1e9, 1);
	assert_true(fabs(sketch_quantile(&s, 0.5) - 1e9) <= 1e9 * SKETCH_ALPHA);
	sketch_add(&s, 1e300, 1); /* beyond the top bucket: still counted, still huge */
	assert_int_equal(s.count, 2);
	assert_true(sketch_quantile(&s, 1.0) > 1e290);
	sketch_free(&s);
}

static size_t encode(const sketch *s, uint8_t *buf, size_t cap)
{
	size_t n = sketch_encode(s, NULL, 0);
	assert_true(n <= cap);
	assert_int_equal(sketch_encode(s, buf, cap), n);
	return n;
}

static void assert_same_encoding(const sketch *a, const sketch *b)
{
	static uint8_t ba[65536], bb[65536];
	size_t na = encode(a, ba, sizeof ba), nb = encode(b, bb, sizeof bb);
	assert_int_equal(na, nb);
	assert_memory_equal(ba, bb, na);
}

static void test_merge_equals_union(void **state)
{
	sketch parts[3], all, merged, via_blob;
	for (int k = 0; k < 3; k++)
		sketch_init(&parts[k]);
	sketch_init(&all);
	sketch_init(&merged);
	sketch_init(&via_blob);
	rng_state = 4;
	for (int i = 0; i < 20000; i++) {
		double v = (i % 97 == 0) ? 0.0 : rng_lognormal(3.0, 2.0);
		int k = (int)(rng_next() % 3);
		sketch_add(&parts[k], v, 1);
		sketch_add(&all, v, 1);
	}
	/* merge in a different order than the data arrived in */
	assert_int_equal(sketch_merge(&merged, &parts[2]), 0);
	assert_int_equal(sketch_merge(&merged, &parts[0]), 0);
	assert_int_equal(sketch_merge(&merged, &parts[1]), 0);
	assert_same_encoding(&merged, &all);

	static uint8_t buf[65536];
	for (int k = 0; k < 3; k++) {
		size_t n = encode(&parts[k], buf, sizeof buf);
		assert_int_equal(sketch_merge_blob(&via_blob, buf, n), 0);
	}
	assert_same_encoding(&via_blob, &all);
	assert_int_equal(via_blob.count, 20000);
	assert_true(sketch_quantile(&via_blob, 0.99) == sketch_quantile(&all, 0.99));

	/* merging into itself doubles every bucket */
	sketch twice;
	sketch_init(&twice);
	sketch_merge(&twice, &all);
	sketch_merge(&twice, &all);
	assert_int_equal(sketch_merge(&all, &all), 0);
	assert_same_encoding(&twice, &all);

	for (int k = 0; k < 3; k++)
		sketch_free(&parts[k]);
	sketch_free(&all);
	sketch_free(&merged);
	sketch_free(&via_blob);
	sketch_free(&twice);
}

static void round_trip(const sketch *s)
{
	static uint8_t a[65536], b[65536];
	size_t na = encode(s, a, sizeof a);
	sketch back;
	sketch_init(&back);
	assert_int_equal(sketch_merge_blob(&back, a, na), 0);
	size_t nb = encode(&back, b, sizeof b);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_int_equal(back.count, s->count);
	assert_int_equal(back.zero, s->zero);
	for (double q = 0; q <= 1.0; q += 0.125)
		assert_true(sketch_quantile(&back, q) == sketch_quantile(s, q) ||
		            (isnan(sketch_quantile(&back, q)) && isnan(sketch_quantile(s, q))));
	sketch_free(&back);
}

static void test_round_trip(void **state)
{
	sketch s;
	sketch_init(&s);
	round_trip(&s); /* empty */

	sketch_add(&s, 0.0, 3);
	round_trip(&s); /* zeros only */

	/* a per-minute bucket: a few latencies, sparse wins */
	const double few[] = {0.120, 0.250, 0.310, 0.900, 1.7, 2.2, 9.5, 30.0};
	for (size_t i = 0; i < sizeof few / sizeof few[0]; i++)
		sketch_add(&s, few[i], 1);
	uint8_t buf[256];
	size_t n = encode(&s, buf, sizeof buf);
	assert_int_equal(buf[0], 0x11);
	assert_true(n < 40);
	round_trip(&s);

	/* a busy series: every bucket in a range is used, dense wins */
	for (double v = 1.0; v < 1000.0; v *= 1.005)
		sketch_add(&s, v, 1000);
	static uint8_t big[65536];
	encode(&s, big, sizeof big);
	assert_int_equal(big[0], 0x10);
	round_trip(&s);

	/* counts that need the full ten-byte varint */
	sketch_clear(&s);
	sketch_add(&s, 5.0, UINT64_MAX - 10);
	sketch_add(&s, 0.0, 10);
	round_trip(&s);

	/* too small a buffer: nothing written, size reported */
	memset(buf, 0xAA, sizeof buf);
	size_t need = sketch_encode(&s, buf, 3);
	assert_true(need > 3);
	assert_int_equal(buf[0], 0xAA);
	sketch_free(&s);
}

static void test_empty(void **state)
{
	sketch s;
	sketch_init(&s);
	assert_true(isnan(sketch_quantile(&s, 0.5)));
	assert_true(isnan(sketch_quantile(&s, 0.0)));
	assert_int_equal(sketch_count_below(&s, 100.0), 0);
	sketch_add(&s, 1.0, 1);
	assert_true(isnan(sketch_quantile(&s, -0.1)));
	assert_true(isnan(sketch_quantile(&s, 1.1)));
	assert_true(isnan(sketch_quantile(&s, NAN)));
	sketch_clear(&s);
	assert_int_equal(s.count, 0);
	assert_true(isnan(sketch_quantile(&s, 0.5)));
	sketch_free(&s);
	sketch_free(&s); /* freeing twice is harmless */
}

static void test_zeros_and_ignored(void **state)
{
	sketch s;
	sketch_init(&s);
	assert_int_equal(sketch_add(&s, -1.0, 5), 0);
	assert_int_equal(sketch_add(&s, NAN, 5), 0);
	assert_int_equal(sketch_add(&s, INFINITY, 5), 0);
	assert_int_equal(sketch_add(&s, 2.0, 0), 0);
	assert_int_equal(s.count, 0);

	sketch_add(&s, 0.0, 6);
	sketch_add(&s, SKETCH_MIN_VALUE / 2, 2);
	sketch_add(&s, 100.0, 2);
	assert_int_equal(s.count, 10);
	assert_int_equal(s.zero, 8);
	assert_true(sketch_quantile(&s, 0.0) == 0.0);
	/* rank floor(0.7 * 9) = 6: still a zero; rank floor(0.9 * 9) = 8: the first 100 */
	assert_true(sketch_quantile(&s, 0.7) == 0.0);
	assert_true(fabs(sketch_quantile(&s, 0.9) - 100.0) <= 100.0 * SKETCH_ALPHA);
	assert_true(fabs(sketch_quantile(&s, 1.0) - 100.0) <= 100.0 * SKETCH_ALPHA);
	sketch_free(&s);
}

static void test_rank_convention(void **state)
{
	sketch s;
	sketch_init(&s);
	for (int v = 1; v <= 4; v++)
		sketch_add(&s, v, 1);
	assert_true(fabs(sketch_quantile(&s, 0.5) - 2.0) <= 2.0 * SKETCH_ALPHA);
	assert_true(fabs(sketch_quantile(&s, 0.67) - 3.0) <= 3.0 * SKETCH_ALPHA);
	assert_true(fabs(sketch_quantile(&s, 0.66) - 2.0) <= 2.0 * SKETCH_ALPHA);
	assert_true(fabs(sketch_quantile(&s, 1.0) - 4.0) <= 4.0 * SKETCH_ALPHA);
	sketch_free(&s);
}

static void test_count_below(void **state)
{
	sketch s;
	sketch_init(&s);
	sketch_add(&s, 0.0, 7);
	for (int v = 1; v <= 1000; v++)
		sketch_add(&s, v, 1);
	const double gamma = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
	const double ts[] = {1.0, 2.5, 100.0, 333.3, 500.0, 999.0, 1000.0, 5000.0};
	for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
		double t = ts[k];
		uint64_t got = sketch_count_below(&s, t);
		uint64_t lower = 7, upper = 7; /* values <= t/gamma and values < t */
		for (int v = 1; v <= 1000; v++) {
			lower += v <= t / gamma;
			upper += v < t;
		}
		if (got < lower || got > upper)
			fail_msg("t=%g: %llu not in [%llu, %llu]", t, (unsigned long long)got,
			         (unsigned long long)lower, (unsigned long long)upper);
	}
	assert_int_equal(sketch_count_below(&s, 5000.0), 1007);
	assert_int_equal(sketch_count_below(&s, INFINITY), 1007);
	assert_int_equal(sketch_count_below(&s, SKETCH_MIN_VALUE), 7);
	assert_int_equal(sketch_count_below(&s, SKETCH_MIN_VALUE / 2), 0);
	assert_int_equal(sketch_count_below(&s, 0.0), 0);
	assert_int_equal(sketch_count_below(&s, -1.0), 0);
	assert_int_equal(sketch_count_below(&s, NAN), 0);
	/* the bucket holding 1000 is not below 1000 */
	assert_int_equal(sketch_count_below(&s, 1000.0) < 1007, 1);
	sketch_free(&s);
}

static void test_collapse(void **state)
{
	sketch up, down, a, b, merged;
	sketch_init(&up);
	sketch_init(&down);
	sketch_init(&a);
	sketch_init(&b);
	sketch_init(&merged);
	/* 1e-2 .. 1e250 spans ~29000 buckets, far past the 4096 kept */
	double vals[2000];
	rng_state = 5;
	for (int i = 0; i < 2000; i++)
		vals[i] = i < 20 ? 1e-2 * (1 + i) : 1e240 * pow(10.0, 10.0 * rng_unit());
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(sketch_add(&up, vals[i], 1), 0);
		sketch_add(i % 2 ? &a : &b, vals[i], 1);
	}
	for (int i = 1999; i >= 0; i--)
		sketch_add(&down, vals[i], 1);
	assert_true(up.nbins <= 4096);
	assert_int_equal(up.count, 2000);
	/* the folded state does not depend on order, adds or merges */
	assert_same_encoding(&up, &down);
	sketch_merge(&merged, &a);
	sketch_merge(&merged, &b);
	assert_same_encoding(&up, &merged);
	round_trip(&up);

	/* the small values now read as the lowest kept bucket: overestimated */
	assert_true(sketch_quantile(&up, 0.0) > 1.0);
	/* upper quantiles keep the bound */
	qsort(vals, 2000, sizeof *vals, cmp_double);
	const double qs[] = {0.5, 0.9, 0.99, 1.0};
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		double want = exact_quantile(vals, 2000, qs[k]);
		assert_true(fabs(sketch_quantile(&up, qs[k]) - want) <=
		            want * (SKETCH_ALPHA + 1e-12));
	}
	sketch_free(&up);
	sketch_free(&down);
	sketch_free(&a);
	sketch_free(&b);
	sketch_free(&merged);
}

static void expect_bad_blob(sketch *s, const uint8_t *blob, size_t len)
{
	static uint8_t before[65536], after[65536];
	size_t nb = encode(s, before, sizeof before);
	uint64_t count = s->count;
	if (sketch_merge_blob(s, blob, len) != -1) {
		char hex[256] = "";
		for (size_t i = 0; i < len && i < 60; i++)
			snprintf(hex + 2 * i, 3, "%02x", blob[i]);
		fail_msg("blob %s accepted", hex);
	}
	assert_int_equal(s->count, count);
	size_t na = encode(s, after, sizeof after);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, na);
}

static void test_malformed_blobs(void **state)
{
	sketch s;
	sketch_init(&s);
	sketch_add(&s, 0.0, 2);
	sketch_add(&s, 3.0, 5);
	sketch_add(&s, 700.0, 1);

#define BAD(...)                                                                                   \
	do {                                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                                \
		expect_bad_blob(&s, b_, sizeof b_);                                                \
	} while (0)

	expect_bad_blob(&s, NULL, 0);
	expect_bad_blob(&s, (const uint8_t *)"", 0);
	BAD(0x00);
	BAD(0x12, 0x00, 0x00);
	BAD(0x20, 0x00, 0x00, 0x00);
	BAD(0x10);                         /* nothing after the kind */
	BAD(0x10, 0x00, 0x00);             /* no nbins */
	BAD(0x10, 0x00, 0x02, 0x00);       /* nbins 0 with lo 1 */
	BAD(0x10, 0x00, 0x00, 0x02, 0x01); /* two bins, one count */
	BAD(0x10, 0x00, 0x00, 0x01, 0x00); /* zero count at the edge */
	BAD(0x10, 0x00, 0x00, 0x00, 0x00); /* trailing byte */
	BAD(0x10, 0x00, 0x00, 0x81, 0x40); /* 8193 bins */
	BAD(0x10, 0x80, 0x00, 0x00, 0x00); /* overlong varint */
	BAD(0x10, 0x80);                   /* truncated varint */
	BAD(0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00,
	    0x00); /* 65 bits */
	BAD(0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00, 0x00, 0x00);
	BAD(0x10, 0x00, 0x9e, 0x93, 0x04, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01); /* 33999..34003 */
	BAD(0x10, 0x00, 0xc1, 0x05, 0x01, 0x01);       /* lo -353, below the smallest bucket */
	BAD(0x10, 0x00, 0xa2, 0xa3, 0x04, 0x01, 0x01); /* lo 35025, above the top bucket */
	BAD(0x11, 0x00);                               /* no pair count */
	BAD(0x11, 0x00, 0x01);                         /* one pair announced, none given */
	BAD(0x11, 0x00, 0x01, 0x02);                   /* index without count */
	BAD(0x11, 0x00, 0x01, 0x02, 0x00);             /* zero count */
	BAD(0x11, 0x00, 0x02, 0x02, 0x01, 0x00, 0x01); /* repeated index (delta 0) */
	BAD(0x11, 0x00, 0x02, 0x02, 0x01, 0x81, 0x40, 0x01); /* span of 8194 buckets */
	BAD(0x11, 0x00, 0x00, 0x00);                         /* trailing byte */
	BAD(0x11, 0x00, 0x81, 0x40);                         /* more pairs than buckets */
	/* counts that overflow: the blob's own total, then the sketch's */
	BAD(0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x02, 0x01);
	BAD(0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00);
#undef BAD

	/* the sanity blob that the cases above were built from is accepted */
	const uint8_t good[] = {0x11, 0x01, 0x01, 0x02, 0x03};
	sketch t;
	sketch_init(&t);
	assert_int_equal(sketch_merge_blob(&t, good, sizeof good), 0);
	assert_int_equal(t.count, 4);
	assert_int_equal(t.zero, 1);

	/* every proper prefix of a valid blob is rejected */
	static uint8_t blob[65536];
	size_t n = encode(&s, blob, sizeof blob);
	for (size_t k = 0; k < n; k++)
		expect_bad_blob(&t, blob, k);

	/* random corruption: accepted or not, a rejected blob changes nothing */
	rng_state = 6;
	uint8_t mut[64];
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(mut, blob, n);
		size_t len = n;
		int edits = 1 + (int)(rng_next() % 3);
		for (int e = 0; e < edits; e++)
			mut[rng_next() % len] = (uint8_t)rng_next();
		if (rng_next() % 4 == 0)
			len = rng_next() % n;
		sketch copy;
		sketch_init(&copy);
		sketch_merge(&copy, &t);
		if (sketch_merge_blob(&copy, mut, len) != 0)
			assert_same_encoding(&copy, &t);
		sketch_free(&copy);
	}
	sketch_free(&t);
	sketch_free(&s);
}

/* Removing what was added gives the sketch (and encoding) of what is left. */
static void test_remove(void **state)
{
	(void)state;
	sketch a, b;
	sketch_init(&a);
	sketch_init(&b);
	for (int i = 1; i <= 500; i++) {
		assert_int_equal(sketch_add(&a, (double)(i * 7 % 997), 1), 0);
		if (i % 3)
			assert_int_equal(sketch_add(&b, (double)(i * 7 % 997), 1), 0);
	}
	for (int i = 1; i <= 500; i++)
		if (i % 3 == 0)
			assert_int_equal(sketch_remove(&a, (double)(i * 7 % 997), 1), 0);
	uint8_t ea[8192], eb[8192];
	size_t na = sketch_encode(&a, ea, sizeof ea), nb = sketch_encode(&b, eb, sizeof eb);
	assert_int_equal(na, nb);
	assert_memory_equal(ea, eb, na);
	/* what is not there cannot be taken */
	assert_int_equal(sketch_remove(&a, 1e6, 1), -1);
	assert_int_equal(sketch_remove(&a, 0.0, 1), -1);
	sketch_clear(&b);
	assert_int_equal(sketch_add(&b, 5.0, 2), 0);
	assert_int_equal(sketch_remove(&b, 5.0, 3), -1);
	assert_int_equal(sketch_remove(&b, 5.0, 2), 0);
	assert_int_equal(b.count, 0);
	assert_int_equal(b.nbins, 0);
	sketch_free(&a);
	sketch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accuracy_lognormal), cmocka_unit_test(test_accuracy_pareto),
	    cmocka_unit_test(test_huge_values),        cmocka_unit_test(test_merge_equals_union),
	    cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_zeros_and_ignored),  cmocka_unit_test(test_rank_convention),
	    cmocka_unit_test(test_count_below),        cmocka_unit_test(test_collapse),
	    cmocka_unit_test(test_malformed_blobs),    cmocka_unit_test(test_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
