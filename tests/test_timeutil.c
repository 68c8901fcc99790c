/* Tests for time stamps: strict ISO 8601 parsing, formatting, durations and civil dates. */
#include "testutil.h"

#include "tokentop/timeutil.h"

static void expect_iso(const char *s, int64_t want)
{
	int64_t v = 42;
	if (time_parse_iso(s, strlen(s), &v) != 0)
		fail_msg("\"%s\" did not parse", s);
	if (v != want)
		fail_msg("\"%s\": got %lld, want %lld", s, (long long)v, (long long)want);
}

static void expect_bad_iso(const char *s)
{
	int64_t v = 42;
	if (time_parse_iso(s, strlen(s), &v) != -1)
		fail_msg("\"%s\" parsed as %lld", s, (long long)v);
	assert_int_equal(v, 42);
}

/* 2026-11-29T09:00:00Z */
#define T0 1795942800000LL

static void test_parse_forms(void **state)
{
	expect_iso("1970-01-01", 0);
	expect_iso("1970-01-01T00:00:00Z", 0);
	expect_iso("2026-11-29", T0 - 9 * 3600000LL);
	expect_iso("2026-11-29T09:00:00Z", T0);
	expect_iso("2026-11-29T09:00:00.123Z", T0 + 123);
	expect_iso("2026-11-29T09:00:00.1Z", T0 + 100);
	expect_iso("2026-11-29T09:00:00.12Z", T0 + 120);
	expect_iso("2026-11-29T09:00:00.123456789Z", T0 + 123);
	expect_iso("2026-11-29T09:00:00.9999999999999999999999Z", T0 + 999);
	expect_iso("2026-11-29T09:00:00", T0);
	expect_iso("2026-11-29T09:00", T0);
	expect_iso("2026-11-29T09:00Z", T0);
	expect_iso("2026-11-29 09:00:00", T0);
	expect_iso("2026-11-29 09:00:00.5", T0 + 500);
	expect_iso("2026-11-29t09:00:00z", T0);
	expect_iso("2026-11-29T10:30:00+01:30", T0);
	expect_iso("2026-11-29T10:30:00+0130", T0);
	expect_iso("2026-11-29T07:00:00-02:00", T0);
	expect_iso("2026-11-29T07:00:00-0200", T0);
	expect_iso("2026-11-29T11:00:00+02", T0);
	expect_iso("2026-11-29T09:00:00+00:00", T0);
	expect_iso("2026-11-29T09:00:00-00:00", T0);
	expect_iso("2026-11-29 09:00:00.123456+00:00", T0 + 123);
	expect_iso("1969-12-31T23:59:59.999Z", -1);
	expect_iso("0000-01-01T00:00:00Z", -62167219200000LL);
	expect_iso("9999-12-31T23:59:59.999Z", 253402300799999LL);
}

static void test_parse_calendar(void **state)
{
	expect_iso("2024-02-29", 1709164800000LL);
	expect_iso("2000-02-29", 951782400000LL);
	expect_bad_iso("2023-02-29");
	expect_bad_iso("1900-02-29");
	expect_bad_iso("2026-02-30T00:00:00Z");
	expect_bad_iso("2026-04-31");
	expect_bad_iso("2026-00-10");
	expect_bad_iso("2026-13-10");
	expect_bad_iso("2026-01-00");
	expect_bad_iso("2026-01-32");
	expect_iso("2026-12-31T23:59:59Z", 1798761599000LL);
}

static void test_parse_rejects(void **state)
{
	expect_bad_iso("");
	expect_bad_iso("2026");
	expect_bad_iso("2026-11");
	expect_bad_iso("26-11-29");
	expect_bad_iso("2026-1-29");
	expect_bad_iso("2026/11/29");
	expect_bad_iso("20261129");
	expect_bad_iso("2026-11-29T");
	expect_bad_iso("2026-11-29T9:00:00Z");
	expect_bad_iso("2026-11-29T24:00:00Z");
	expect_bad_iso("2026-11-29T23:60:00Z");
	expect_bad_iso("2026-11-29T23:59:60Z");
	expect_bad_iso("2026-11-29T09");
	expect_bad_iso("2026-11-29T09:00:00.Z");
	expect_bad_iso("2026-11-29T09:00:00,5Z");
	expect_bad_iso("2026-11-29T09:00:00ZZ");
	expect_bad_iso("2026-11-29T09:00:00Z ");
	expect_bad_iso(" 2026-11-29T09:00:00Z");
	expect_bad_iso("2026-11-29T09:00:00+24:00");
	expect_bad_iso("2026-11-29T09:00:00+01:60");
	expect_bad_iso("2026-11-29T09:00:00+1:00");
	expect_bad_iso("2026-11-29T09:00:00+01:0");
	expect_bad_iso("2026-11-29T09:00:00+01:00:00");
	expect_bad_iso("2026-11-29T09:00:00 +01:00");
	expect_bad_iso("2026-11-29T09:00:00UTC");
	expect_bad_iso("2026-11-29T09:00:00-");
	expect_bad_iso("2026-11-29  09:00:00");
	expect_bad_iso("+2026-11-29");
	expect_bad_iso("yesterday");
	/* the length bounds the input: no reading past it */
	int64_t v;
	assert_int_equal(time_parse_iso("2026-11-29T09:00:00Z", 10, &v), 0);
	assert_int_equal(v, T0 - 9 * 3600000LL);
	assert_int_equal(time_parse_iso("2026-11-29T09:00:00Z", 12, &v), -1);
	assert_int_equal(time_parse_iso(NULL, 0, &v), -1);
}

static void expect_format(int64_t ms, const char *want)
{
	char buf[64];
	time_format_iso(ms, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	expect_format(0, "1970-01-01T00:00:00.000Z");
	expect_format(T0 + 123, "2026-11-29T09:00:00.123Z");
	expect_format(-1, "1969-12-31T23:59:59.999Z");
	expect_format(951782400000LL, "2000-02-29T00:00:00.000Z");
	expect_format(253402300799999LL, "9999-12-31T23:59:59.999Z");
	expect_format(-62167219200000LL, "0000-01-01T00:00:00.000Z");
	char small[11];
	time_format_iso(T0, small, sizeof small);
	assert_string_equal(small, "2026-11-29");
	char one[1] = {'x'};
	time_format_iso(T0, one, sizeof one);
	assert_int_equal(one[0], 0);
	/* extreme values stay within the buffer */
	char buf[25];
	time_format_iso(INT64_MIN, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	time_format_iso(INT64_MAX, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
}

static void test_format_parse_round_trip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t ms = (int64_t)(x % 253402300800000ULL);
		char buf[32];
		int64_t back;
		time_format_iso(ms, buf, sizeof buf);
		assert_int_equal(strlen(buf), 24);
		assert_int_equal(time_parse_iso(buf, strlen(buf), &back), 0);
		assert_int_equal(back, ms);
	}
}

static void test_civil(void **state)
{
	assert_int_equal(time_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(time_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(time_days_from_civil(2000, 3, 1), 11017);
	int64_t prev = time_days_from_civil(-400, 1, 1) - 1;
	for (int64_t y = -400; y <= 2400; y++) {
		for (unsigned m = 1; m <= 12; m++) {
			int64_t d0 = time_days_from_civil(y, m, 1);
			assert_int_equal(d0, prev + 1);
			int64_t yy;
			unsigned mm, dd;
			time_civil_from_days(d0, &yy, &mm, &dd);
			assert_int_equal(yy, y);
			assert_int_equal(mm, m);
			assert_int_equal(dd, 1);
			/* walk to the last day of the month */
			int64_t next = m == 12 ? time_days_from_civil(y + 1, 1, 1)
			                       : time_days_from_civil(y, m + 1, 1);
			time_civil_from_days(next - 1, &yy, &mm, &dd);
			assert_int_equal(mm, m);
			assert_true(dd >= 28 && dd <= 31);
			prev = next - 1;
		}
	}
}

static void expect_dur(const char *s, int64_t want)
{
	int64_t v = 42;
	if (time_parse_duration(s, &v) != 0)
		fail_msg("\"%s\" did not parse", s);
	assert_int_equal(v, want);
}

static void test_duration(void **state)
{
	expect_dur("15m", 900000);
	expect_dur("7d", 604800000);
	expect_dur("1s", 1000);
	expect_dur("2h", 7200000);
	expect_dur("1w", 604800000);
	expect_dur("90s", 90000);
	const char *bad[] = {"",
	                     "m",
	                     "15",
	                     "0m",
	                     "-1m",
	                     "+1m",
	                     "1.5h",
	                     "15 m",
	                     "15M",
	                     "15mm",
	                     "1y",
	                     "15m ",
	                     " 15m",
	                     "99999999999999999999s",
	                     "9223372036854775807w"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t v = 42;
		if (time_parse_duration(bad[i], &v) != -1)
			fail_msg("\"%s\" parsed as %lld", bad[i], (long long)v);
		assert_int_equal(v, 42);
	}
	int64_t v;
	assert_int_equal(time_parse_duration(NULL, &v), -1);
}

static void test_now(void **state)
{
	int64_t a = time_now_ms();
	int64_t b = time_now_ms();
	assert_true(a > 1600000000000LL);
	assert_true(b >= a);
}

/* --since: a duration before now or a date; month starts from a civil calendar, in UTC. */
static void test_since_and_month(void **state)
{
	(void)state;
	int64_t now = 1796601600000LL + 3 * 3600000LL, v; /* 2026-12-07T03:00:00Z */
	assert_int_equal(time_parse_since("7d", now, &v), 0);
	assert_true(v == now - 7 * 86400000LL);
	assert_int_equal(time_parse_since("2026-11-30", now, &v), 0);
	assert_true(v == 1796601600000LL - 7 * 86400000LL);
	assert_int_equal(time_parse_since("2026-12-01T00:00:00Z", now, &v), 0);
	assert_true(v == 1796083200000LL);
	assert_int_equal(time_parse_since("soon", now, &v), -1);
	assert_int_equal(time_parse_since("", now, &v), -1);
	assert_int_equal(time_parse_since("99999w", 1000, &v), -1); /* before 1970 */
	assert_true(time_month_start(now) == 1796083200000LL);       /* 2026-12-01 */
	assert_true(time_month_start(1796083200000LL) == 1796083200000LL);
	assert_true(time_month_start(1796083200000LL - 1) == 1793491200000LL); /* 2026-11-01 */
	assert_true(time_month_start(951782400000LL) == 949363200000LL); /* 2000-02-29 -> 02-01 */
	assert_true(time_month_start(-1) == -2678400000LL);               /* 1969-12-01 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test(test_parse_calendar),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_parse_round_trip),
	    cmocka_unit_test(test_civil),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_since_and_month),
	    cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
