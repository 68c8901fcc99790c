/* Tests for integer money: exact parsing, rounding, formatting and overflow-safe muldiv. */
#include "testutil.h"

#include "tokentop/money.h"

static int parse(const char *s, int64_t *out)
{
	return money_parse_usd(s, strlen(s), out);
}

static void expect_usd(const char *s, int64_t want)
{
	int64_t v = 12345;
	if (parse(s, &v) != 0)
		fail_msg("\"%s\" did not parse", s);
	if (v != want)
		fail_msg("\"%s\": got %lld, want %lld", s, (long long)v, (long long)want);
}

static void expect_bad(const char *s)
{
	int64_t v = 777;
	if (parse(s, &v) != -1)
		fail_msg("\"%s\" parsed as %lld", s, (long long)v);
	assert_int_equal(v, 777);
}

static void test_parse_plain(void **state)
{
	expect_usd("0", 0);
	expect_usd("12", 12000000000);
	expect_usd("0.000123", 123000);
	expect_usd("-3.25", -3250000000);
	expect_usd("12.345678", 12345678000);
	expect_usd("12.345678912", 12345678912);
	expect_usd("-0", 0);
	expect_usd("0.1", 100000000);
	expect_usd("1.", 1000000000);
	expect_usd(".5", 500000000);
	expect_usd("000012.5", 12500000000);
	/* LiteLLM's embedding prices: below a micro-dollar, exact */
	expect_usd("5e-07", 500);
	expect_usd("4.8e-07", 480);
	expect_usd("0.00000048", 480);
}

static void test_parse_exponent(void **state)
{
	expect_usd("1.5e-3", 1500000);
	expect_usd("1.5E-3", 1500000);
	expect_usd("2e3", 2000000000000);
	expect_usd("2E+3", 2000000000000);
	expect_usd("12345e-13", 1); /* 0.0000000012345 */
	expect_usd("5e-10", 1);
	expect_usd("4.9e-10", 0);
	expect_usd("5e-11", 0);
	expect_usd("-5e-10", -1);
	expect_usd("0e999999999999", 0);
	expect_usd("1e-999999999999", 0);
	expect_usd("0.000001e6", 1000000000);
}

static void test_parse_rounding(void **state)
{
	expect_usd("0.0000000005", 1);
	expect_usd("0.0000000004999999", 0);
	expect_usd("-0.0000000005", -1);
	expect_usd("-0.00000000049", 0);
	expect_usd("1.2345678905", 1234567891);
	expect_usd("1.2345678895", 1234567890);
	expect_usd("2.9999999995", 3000000000);
	/* only the first dropped digit matters for half-away-from-zero */
	expect_usd("0.00000000050000000000000000001", 1);
	expect_usd("0.00000000049999999999999999999", 0);
}

static void test_parse_overflow(void **state)
{
	/* INT64_MAX nanos = 9223372036.854775807 USD */
	expect_usd("9223372036.854775807", INT64_MAX);
	expect_usd("-9223372036.854775808", INT64_MIN);
	expect_bad("9223372036.854775808");
	expect_bad("9223372036.8547758075"); /* rounds up past the limit */
	expect_bad("-9223372036.854775809");
	expect_bad("1e10");
	expect_bad("1e999999999999");
	expect_bad("99999999999999999999999999");
	expect_usd("9223372036.8547758074", INT64_MAX);
}

static void test_parse_syntax(void **state)
{
	expect_bad("");
	expect_bad("-");
	expect_bad(".");
	expect_bad("1e");
	expect_bad("1e+");
	expect_bad("e5");
	expect_bad(" 1");
	expect_bad("1 ");
	expect_bad("1..2");
	expect_bad("1.2.3");
	expect_bad("+1");
	expect_bad("--1");
	expect_bad("0x10");
	expect_bad("1,5");
	expect_bad("nan");
	expect_bad("inf");
	/* the length bounds the text: no NUL needed, trailing bytes ignored */
	int64_t v;
	assert_int_equal(money_parse_usd("1.25xyz", 4, &v), 0);
	assert_int_equal(v, 1250000000);
}

static void test_parse_scaled(void **state)
{
	int64_t v;
	assert_int_equal(money_parse_scaled("0.92", 4, 3, &v), 0);
	assert_int_equal(v, 920);
	assert_int_equal(money_parse_scaled("0.9995", 6, 3, &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(money_parse_scaled("42", 2, 0, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(money_parse_scaled("42.5", 4, 0, &v), 0);
	assert_int_equal(v, 43);
	assert_int_equal(money_parse_scaled("-42.5", 5, 0, &v), 0);
	assert_int_equal(v, -43);
	assert_int_equal(money_parse_scaled("1", 1, 18, &v), 0);
	assert_int_equal(v, 1000000000000000000LL);
	assert_int_equal(money_parse_scaled("10", 2, 18, &v), -1);
	assert_int_equal(money_parse_scaled("1", 1, 19, &v), -1);
	assert_int_equal(money_parse_scaled("1", 1, -1, &v), -1);
}

static void expect_fmt(int64_t nanos, const char *want)
{
	char buf[64];
	money_format(nanos, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	expect_fmt(12345678000, "12.345678");
	expect_fmt(12345678912, "12.345678912");
	expect_fmt(-1, "-0.000000001");
	expect_fmt(0, "0.00");
	expect_fmt(1000000000, "1.00");
	expect_fmt(980000, "0.00098");
	expect_fmt(100000000, "0.10");
	expect_fmt(-12345678000, "-12.345678");
	expect_fmt(INT64_MAX, "9223372036.854775807");
	expect_fmt(INT64_MIN, "-9223372036.854775808");

	/* round trip through the parser */
	const int64_t vals[] = {0, 1, -1, 999999, 1000001, 123456789012, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		char buf[64];
		int64_t back;
		money_format(vals[i], buf, sizeof buf);
		assert_int_equal(parse(buf, &back), 0);
		assert_int_equal(back, vals[i]);
	}

	/* truncation is safe */
	char small[5];
	money_format(12345678000, small, sizeof small);
	assert_string_equal(small, "12.3");
}

/* The workload: 2,000 embedding calls, half at 5e-07 USD and half at 4.8e-07, cost
 * exactly $0.00098; the 24-token calls alone $0.00048 (both were $0.001000 and $0). */
static void test_sub_micro_sums(void **state)
{
	int64_t sum = 0, small = 0, v;
	for (int i = 0; i < 2000; i++) {
		const char *price = i % 2 ? "4.8e-07" : "5e-07";
		assert_int_equal(parse(price, &v), 0);
		assert_false(__builtin_add_overflow(sum, v, &sum));
		if (i % 2)
			small += v;
	}
	char buf[64];
	money_format(sum, buf, sizeof buf);
	assert_string_equal(buf, "0.00098");
	money_format(small, buf, sizeof buf);
	assert_string_equal(buf, "0.00048");
	money_format_human(small, buf, sizeof buf);
	assert_string_equal(buf, "$0.00048");
	assert_int_equal(money_micros_of(sum), 980);
}

static void test_micros_of(void **state)
{
	assert_int_equal(money_micros_of(0), 0);
	assert_int_equal(money_micros_of(499), 0);
	assert_int_equal(money_micros_of(500), 1);
	assert_int_equal(money_micros_of(-500), -1);
	assert_int_equal(money_micros_of(-499), 0);
	assert_int_equal(money_micros_of(38430000), 38430);
	assert_int_equal(money_micros_of(INT64_MAX), INT64_MAX / 1000 + 1);
	assert_int_equal(money_micros_of(INT64_MIN), -(INT64_MAX / 1000 + 1));
}

static void expect_human(int64_t nanos, const char *want)
{
	char buf[64];
	money_format_human(nanos, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%lld: got \"%s\", want \"%s\"", (long long)nanos, buf, want);
}

static void test_format_human(void **state)
{
	expect_human(12345678000, "$12.35");
	expect_human(1234567890000, "$1,234.57");
	expect_human(1200000, "$0.0012");
	expect_human(0, "$0.00");
	expect_human(-12345678000, "-$12.35");
	expect_human(-1200000, "-$0.0012");
	/* under a dollar: four decimals */
	expect_human(38430000, "$0.0384");
	expect_human(10000000, "$0.0100");
	expect_human(1500000, "$0.0015");
	expect_human(150000, "$0.00015");
	expect_human(999949999, "$0.9999");
	expect_human(999950000, "$1.00");
	expect_human(1000000000, "$1.00");
	expect_human(-38450000, "-$0.0385");
	/* under $0.001: two significant digits, never $0.00 */
	expect_human(999999, "$0.001");
	expect_human(123456, "$0.00012");
	expect_human(99999, "$0.0001");
	expect_human(99000, "$0.000099");
	expect_human(1000, "$0.000001");
	expect_human(480, "$0.00000048");
	expect_human(485, "$0.00000049");
	expect_human(1, "$0.000000001");
	expect_human(-1, "-$0.000000001");
	/* cents, half away from zero, with thousands separators */
	expect_human(1005000000, "$1.01");
	expect_human(1004999999, "$1.00");
	expect_human(-1005000000, "-$1.01");
	expect_human(999995000000, "$1,000.00");
	expect_human(1000000000000000LL, "$1,000,000.00");
	expect_human(123456789012345000LL, "$123,456,789.01");
	expect_human(INT64_MAX, "$9,223,372,036.85");
	expect_human(INT64_MIN, "-$9,223,372,036.85");

	char small[4];
	money_format_human(1234567890000, small, sizeof small);
	assert_string_equal(small, "$1,");
}

static void test_muldiv(void **state)
{
	int64_t v = 0;
	assert_int_equal(money_muldiv(10, 3, 4, &v), 0);
	assert_int_equal(v, 8); /* 7.5 -> 8 */
	assert_int_equal(money_muldiv(-10, 3, 4, &v), 0);
	assert_int_equal(v, -8);
	assert_int_equal(money_muldiv(10, 3, -4, &v), 0);
	assert_int_equal(v, -8);
	assert_int_equal(money_muldiv(-10, -3, -4, &v), 0);
	assert_int_equal(v, -8);
	assert_int_equal(money_muldiv(7, 1, 3, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(money_muldiv(8, 1, 3, &v), 0);
	assert_int_equal(v, 3);
	/* the product overflows int64, the quotient does not */
	assert_int_equal(money_muldiv(INT64_MAX, 1000000, 1000000, &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(money_muldiv(INT64_MIN, INT64_MIN, INT64_MIN, &v), 0);
	assert_int_equal(v, INT64_MIN);
	assert_int_equal(money_muldiv(4000000000000LL, 3000000000000LL, 1000000000000LL, &v), 0);
	assert_int_equal(v, 12000000000000LL);

	v = 42;
	assert_int_equal(money_muldiv(INT64_MAX, 2, 1, &v), -1);
	assert_int_equal(money_muldiv(INT64_MIN, -1, 1, &v), -1);
	assert_int_equal(money_muldiv(1, 1, 0, &v), -1);
	assert_int_equal(v, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_plain),    cmocka_unit_test(test_parse_exponent),
	    cmocka_unit_test(test_parse_rounding), cmocka_unit_test(test_parse_overflow),
	    cmocka_unit_test(test_parse_syntax),   cmocka_unit_test(test_parse_scaled),
	    cmocka_unit_test(test_format),         cmocka_unit_test(test_format_human),
	    cmocka_unit_test(test_muldiv),         cmocka_unit_test(test_sub_micro_sums),
	    cmocka_unit_test(test_micros_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
