/* Money as integers: exact decimal parsing and printing of micro-dollar amounts. */
#ifndef TOKENTOP_MONEY_H
#define TOKENTOP_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define TT_MICROS_PER_USD 1000000LL

/* Parses a decimal USD amount ("0.000123", "12", "1.5e-3", "-3.25") exactly into
 * micro-dollars, rounding half away from zero past the sixth decimal.
 * 0 on success; -1 on syntax error or when it does not fit in int64. */
int money_parse_usd(const char *s, size_t len, int64_t *micros_out);

/* Parses a decimal with up to `scale` fractional digits into an integer scaled by 10^scale,
 * rounding half away from zero; same rules as money_parse_usd. 0 or -1. */
int money_parse_scaled(const char *s, size_t len, int scale, int64_t *out);

/* Writes micros as a plain decimal USD string with six decimals: "12.345678", "-0.000001". */
void money_format(int64_t micros, char *buf, size_t cap);

/* Writes micros for people: "$12.35", "$1,234.57", "-$3.10"; under a dollar four decimals
 * ("$0.0384", "$0.0012"), and under $0.0001 the exact micros ("$0.000042"). Rounds half away
 * from zero. */
void money_format_human(int64_t micros, char *buf, size_t cap);

/* a*b/d rounded half away from zero, computed without overflow for 64-bit inputs;
 * -1 with *out untouched when the result does not fit. */
int money_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out);

#endif
