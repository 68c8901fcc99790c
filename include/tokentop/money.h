/* Money as integers: exact decimal parsing and printing of nano-dollar amounts. */
#ifndef TOKENTOP_MONEY_H
#define TOKENTOP_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define TT_NANOS_PER_USD   1000000000LL
#define TT_NANOS_PER_MICRO 1000LL

/* Parses a decimal USD amount ("0.000123", "12", "1.5e-3", "-3.25") exactly into
 * nano-dollars, rounding half away from zero past the ninth decimal.
 * 0 on success; -1 on syntax error or when it does not fit in int64. */
int money_parse_usd(const char *s, size_t len, int64_t *nanos_out);

/* Parses a decimal with up to `scale` fractional digits into an integer scaled by 10^scale,
 * rounding half away from zero; same rules as money_parse_usd. 0 or -1. */
int money_parse_scaled(const char *s, size_t len, int scale, int64_t *out);

/* Writes nanos as an exact plain decimal USD string, trailing zeros trimmed to two decimals:
 * "12.00", "0.00098", "-0.000000001". */
void money_format(int64_t nanos, char *buf, size_t cap);

/* nanos rounded half away from zero to micro-dollars, for the integer `_micros` fields. */
int64_t money_micros_of(int64_t nanos);

/* Writes nanos for people: "$12.35", "$1,234.57", "-$3.10"; under a dollar four decimals
 * ("$0.0384", "$0.0012"), and under $0.001 two significant digits ("$0.00048",
 * "$0.000000001"), so no spend shows as $0.00. Rounds half away from zero. */
void money_format_human(int64_t nanos, char *buf, size_t cap);

/* a*b/d rounded half away from zero, computed without overflow for 64-bit inputs;
 * -1 with *out untouched when the result does not fit. */
int money_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out);

#endif
