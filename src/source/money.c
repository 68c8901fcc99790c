/* Money as integers: exact decimal parsing and printing of nano-dollar amounts. */
#include "tokentop/money.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#define MONEY_MAX_SCALE 18
/* Exponents beyond this are clamped; any nonzero mantissa then overflows or rounds to 0. */
#define MONEY_EXP_CLAMP 1000000000LL

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int money_parse_scaled(const char *s, size_t len, int scale, int64_t *out)
{
	if (!s || scale < 0 || scale > MONEY_MAX_SCALE)
		return -1;
	size_t i = 0;
	bool neg = false;
	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}

	size_t mant_start = i, int_digits = 0, frac_digits = 0;
	while (i < len && is_digit(s[i])) {
		i++;
		int_digits++;
	}
	size_t point = len; /* position of '.', or len when absent */
	if (i < len && s[i] == '.') {
		point = i++;
		while (i < len && is_digit(s[i])) {
			i++;
			frac_digits++;
		}
	}
	size_t mant_end = i;
	if (int_digits + frac_digits == 0)
		return -1;

	int64_t exp = 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= len || !is_digit(s[i]))
			return -1;
		while (i < len && is_digit(s[i])) {
			if (exp < MONEY_EXP_CLAMP)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != len)
		return -1;

	/* value = digits * 10^shift, where digits are all mantissa digits with the point removed */
	int64_t ndig = (int64_t)(int_digits + frac_digits);
	int64_t shift = exp - (int64_t)frac_digits + scale;
	/* keep the first ndig + shift digits; the first dropped one decides the rounding */
	int64_t keep = shift >= 0 ? ndig : ndig + shift;

	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t mag = 0;
	int64_t k = 0;
	int round_digit = 0;
	for (size_t j = mant_start; j < mant_end; j++) {
		if (j == point)
			continue;
		int d = s[j] - '0';
		if (k < keep) {
			if (mag > (limit - (uint64_t)d) / 10)
				return -1;
			mag = mag * 10 + (uint64_t)d;
		} else {
			if (k == keep)
				round_digit = d;
			break;
		}
		k++;
	}
	if (round_digit >= 5) {
		if (mag == limit)
			return -1;
		mag++;
	}
	if (shift > 0 && mag != 0) {
		for (int64_t e = 0; e < shift; e++) {
			if (mag > limit / 10)
				return -1;
			mag *= 10;
		}
	}
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 0;
}

int money_parse_usd(const char *s, size_t len, int64_t *nanos_out)
{
	return money_parse_scaled(s, len, 9, nanos_out);
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

void money_format(int64_t nanos, char *buf, size_t cap)
{
	uint64_t m = magnitude(nanos);
	char frac[16];
	snprintf(frac, sizeof frac, "%09" PRIu64, m % 1000000000);
	int n = 9;
	while (n > 2 && frac[n - 1] == '0')
		n--;
	snprintf(buf, cap, "%s%" PRIu64 ".%.*s", nanos < 0 ? "-" : "", m / 1000000000, n, frac);
}

int64_t money_micros_of(int64_t nanos)
{
	uint64_t m = magnitude(nanos), r = m / 1000 + (m % 1000 >= 500);
	return nanos < 0 ? -(int64_t)r : (int64_t)r;
}

/* Whole dollars with a comma every three digits. */
static void format_grouped(uint64_t v, char *out, size_t cap)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
	char tmp[48];
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			tmp[o++] = ',';
		tmp[o++] = digits[i];
	}
	tmp[o] = 0;
	snprintf(out, cap, "%s", tmp);
}

void money_format_human(int64_t nanos, char *buf, size_t cap)
{
	uint64_t m = magnitude(nanos);
	const char *sign = nanos < 0 ? "-" : "";
	if (m == 0) {
		snprintf(buf, cap, "$0.00");
	} else if (m < 1000000) {
		/* below $0.001 four decimals would print zero or one digit: two significant digits,
		 * half away from zero ($0.00048, $0.000000001) */
		uint64_t unit = 1;
		while (m / unit >= 100)
			unit *= 10;
		uint64_t q = (m + unit / 2) / unit;
		char exact[40];
		money_format((int64_t)(q * unit), exact, sizeof exact);
		snprintf(buf, cap, "%s$%s", sign, exact);
	} else if (m < 999950000) {
		/* under a dollar (once rounded): four decimals, so per-request costs stay readable
		 */
		uint64_t t = (m + 50000) / 100000;
		snprintf(buf, cap, "%s$0.%04" PRIu64, sign, t);
	} else {
		uint64_t cents = m / 10000000 + (m % 10000000 >= 5000000);
		char whole[48];
		format_grouped(cents / 100, whole, sizeof whole);
		snprintf(buf, cap, "%s$%s.%02" PRIu64, sign, whole, cents % 100);
	}
}

int money_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out)
{
	if (d == 0)
		return -1;
	__int128 p = (__int128)a * b;
	bool neg = (p < 0) != (d < 0);
	unsigned __int128 up =
	    p < 0 ? (unsigned __int128)0 - (unsigned __int128)p : (unsigned __int128)p;
	unsigned __int128 ud = magnitude(d);
	unsigned __int128 q = up / ud, r = up % ud;
	if (r >= ud - r)
		q++;
	unsigned __int128 limit = neg ? (unsigned __int128)INT64_MAX + 1 : INT64_MAX;
	if (q > limit)
		return -1;
	if (neg)
		*out = q == (unsigned __int128)INT64_MAX + 1 ? INT64_MIN : -(int64_t)q;
	else
		*out = (int64_t)q;
	return 0;
}
