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
	expect_usd("12", 12000000);
	expect_usd("0.000123", 123);
	expect_usd("-3.25", -3250000);
	expect_usd("12.345678", 12345678);
	expect_usd("-0", 0);
	expect_usd("0.1", 100000);
	expect_usd("1.", 1000000);
	expect_usd(".5", 500000);
	expect_usd("000012.5", 12500000);
}

static void test_parse_exponent(void **state)
{
	expect_usd("1.5e-3", 1500);
	expect_usd("1.5E-3", 1500);
	expect_usd("2e3", 2000000000);
	expect_usd("2E+3", 2000000000);
	expect_usd("12345e-10", 1); /* 0.0000012345 */
	expect_usd("5e-7", 1);
	expect_usd("4.9e-7", 0);
	expect_usd("5e-8", 0);
	expect_usd("-5e-7", -1);
	expect_usd("0e999999999999", 0);
	expect_usd("1e-999999999999", 0);
	expect_usd("0.000001e6", 1000000);
}

static void test_parse_rounding(void **state)
{
	expect_usd("0.0000005", 1);
	expect_usd("0.0000004999999", 0);
	expect_usd("-0.0000005", -1);
	expect_usd("-0.00000049", 0);
	expect_usd("1.2345675", 1234568);
	expect_usd("1.2345665", 1234567);
	expect_usd("2.9999995", 3000000);
	/* only the first dropped digit matters for half-away-from-zero */
	expect_usd("0.00000050000000000000000001", 1);
	expect_usd("0.00000049999999999999999999", 0);
}

static void test_parse_overflow(void **state)
{
	/* INT64_MAX micros = 9223372036854.775807 USD */
	expect_usd("9223372036854.775807", INT64_MAX);
	expect_usd("-9223372036854.775808", INT64_MIN);
	expect_bad("9223372036854.775808");
	expect_bad("9223372036854.7758075"); /* rounds up past the limit */
	expect_bad("-9223372036854.775809");
	expect_bad("1e13");
	expect_bad("1e999999999999");
	expect_bad("99999999999999999999999999");
	expect_usd("9223372036854.7758074", INT64_MAX);
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
	assert_int_equal(v, 1250000);
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

static void expect_fmt(int64_t micros, const char *want)
{
	char buf[64];
	money_format(micros, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	expect_fmt(12345678, "12.345678");
	expect_fmt(-1, "-0.000001");
	expect_fmt(0, "0.000000");
	expect_fmt(1000000, "1.000000");
	expect_fmt(-12345678, "-12.345678");
	expect_fmt(INT64_MAX, "9223372036854.775807");
	expect_fmt(INT64_MIN, "-9223372036854.775808");

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
	money_format(12345678, small, sizeof small);
	assert_string_equal(small, "12.3");
}

static void expect_human(int64_t micros, const char *want)
{
	char buf[64];
	money_format_human(micros, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%lld: got \"%s\", want \"%s\"", (long long)micros, buf, want);
}

static void test_format_human(void **state)
{
	expect_human(12345678, "$12.35");
	expect_human(1234567890, "$1,234.57");
	expect_human(1200, "$0.0012");
	expect_human(0, "$0.00");
	expect_human(-12345678, "-$12.35");
	expect_human(-1200, "-$0.0012");
	/* under a dollar: four decimals */
	expect_human(38430, "$0.0384");
	expect_human(10000, "$0.0100");
	expect_human(150, "$0.0002");
	expect_human(100, "$0.0001");
	expect_human(999949, "$0.9999");
	expect_human(999950, "$1.00");
	expect_human(1000000, "$1.00");
	expect_human(-38450, "-$0.0385");
	/* under $0.0001: the exact micros */
	expect_human(99, "$0.000099");
	expect_human(1, "$0.000001");
	expect_human(-1, "-$0.000001");
	/* cents, half away from zero, with thousands separators */
	expect_human(1005000, "$1.01");
	expect_human(1004999, "$1.00");
	expect_human(-1005000, "-$1.01");
	expect_human(999995000, "$1,000.00");
	expect_human(1000000000000LL, "$1,000,000.00");
	expect_human(123456789012345LL, "$123,456,789.01");
	expect_human(INT64_MAX, "$9,223,372,036,854.78");
	expect_human(INT64_MIN, "-$9,223,372,036,854.78");

	char small[4];
	money_format_human(1234567890, small, sizeof small);
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
	    cmocka_unit_test(test_muldiv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
