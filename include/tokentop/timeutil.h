/* Time stamps: strict ISO 8601 parsing and formatting in UTC, durations like 15m or 7d. */
#ifndef TOKENTOP_TIMEUTIL_H
#define TOKENTOP_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z", "+HH:MM" or no zone (UTC),
 * and the space-separated form "YYYY-MM-DD HH:MM:SS" LiteLLM uses. 0 on success, -1 if not. */
int time_parse_iso(const char *s, size_t len, int64_t *ms_out);

/* Formats Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.fffZ" (25 bytes with NUL). */
void time_format_iso(int64_t ms, char *buf, size_t cap);

/* Parses a duration: a positive integer with s, m, h, d or w ("15m", "7d"). 0 or -1. */
int time_parse_duration(const char *s, int64_t *ms_out);

/* A point in time given as an ISO 8601 date or time (time_parse_iso) or as a duration before
 * now ("7d": now_ms less 7 days). 0 or -1. */
int time_parse_since(const char *s, int64_t now_ms, int64_t *ms_out);

/* The first millisecond of ms's calendar month, in UTC. */
int64_t time_month_start(int64_t ms);

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
void time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* The current wall-clock time, Unix milliseconds. */
int64_t time_now_ms(void);

#endif
