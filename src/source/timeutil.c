/* Time stamps: strict ISO 8601 parsing and formatting in UTC, durations, civil-date math. */
#include "tokentop/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_DAY 86400000LL

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (mm <= 2);
	*m = mm;
	*d = dd;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*i]; -1 when any is missing. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0;
	for (int k = 0; k < n; k++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	return v;
}

/* Parses a zone designator at s[i..len): "Z", "+HH:MM", "-HH:MM", "+HHMM" or "+HH". Stores the
 * offset east of UTC in minutes. */
static int parse_zone(const char *s, size_t len, size_t i, int *off_min)
{
	if (i == len) {
		*off_min = 0;
		return 0;
	}
	if (s[i] == 'Z' || s[i] == 'z') {
		*off_min = 0;
		return i + 1 == len ? 0 : -1;
	}
	if (s[i] != '+' && s[i] != '-')
		return -1;
	int sign = s[i] == '-' ? -1 : 1;
	i++;
	int hh = digits(s, len, &i, 2);
	int mm = 0;
	if (hh < 0 || hh > 23)
		return -1;
	if (i < len) {
		if (s[i] == ':')
			i++;
		mm = digits(s, len, &i, 2);
		if (mm < 0 || mm > 59 || i != len)
			return -1;
	}
	*off_min = sign * (hh * 60 + mm);
	return 0;
}

int time_parse_iso(const char *s, size_t len, int64_t *ms_out)
{
	if (!s || !ms_out)
		return -1;
	size_t i = 0;
	int y = digits(s, len, &i, 4);
	if (y < 0 || i >= len || s[i++] != '-')
		return -1;
	int mo = digits(s, len, &i, 2);
	if (mo < 1 || mo > 12 || i >= len || s[i++] != '-')
		return -1;
	int d = digits(s, len, &i, 2);
	if (d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
		return -1;
	int64_t days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
	if (i == len) {
		*ms_out = days * MS_PER_DAY;
		return 0;
	}
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return -1;
	i++;
	int hh = digits(s, len, &i, 2);
	if (hh < 0 || hh > 23 || i >= len || s[i++] != ':')
		return -1;
	int mi = digits(s, len, &i, 2);
	if (mi < 0 || mi > 59)
		return -1;
	int ss = 0, frac_ms = 0;
	if (i < len && s[i] == ':') {
		i++;
		ss = digits(s, len, &i, 2);
		if (ss < 0 || ss > 59)
			return -1;
		if (i < len && s[i] == '.') {
			i++;
			size_t start = i;
			int scale = 100;
			while (i < len && s[i] >= '0' && s[i] <= '9') {
				frac_ms += (s[i] - '0') * scale;
				scale /= 10;
				i++;
			}
			if (i == start)
				return -1;
		}
	}
	int off_min;
	if (parse_zone(s, len, i, &off_min) < 0)
		return -1;
	*ms_out = days * MS_PER_DAY + (int64_t)hh * 3600000 + (int64_t)mi * 60000 +
	          (int64_t)ss * 1000 + frac_ms - (int64_t)off_min * 60000;
	return 0;
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

void time_format_iso(int64_t ms, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return;
	int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	int64_t y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	unsigned sec = (unsigned)(rem / 1000), milli = (unsigned)(rem % 1000);
	char tmp[48];
	if (y >= 0 && y <= 9999) {
		char *p = tmp;
		p = put2(p, (unsigned)(y / 100));
		p = put2(p, (unsigned)(y % 100));
		*p++ = '-';
		p = put2(p, m);
		*p++ = '-';
		p = put2(p, d);
		*p++ = 'T';
		p = put2(p, sec / 3600);
		*p++ = ':';
		p = put2(p, sec / 60 % 60);
		*p++ = ':';
		p = put2(p, sec % 60);
		*p++ = '.';
		*p++ = (char)('0' + milli / 100);
		p = put2(p, milli % 100);
		*p++ = 'Z';
		*p = 0;
	} else {
		snprintf(tmp, sizeof tmp, "%+lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m,
		         d, sec / 3600, sec / 60 % 60, sec % 60, milli);
	}
	size_t n = strlen(tmp);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, tmp, n);
	buf[n] = 0;
}

int time_parse_duration(const char *s, int64_t *ms_out)
{
	if (!s || !ms_out || *s < '0' || *s > '9')
		return -1;
	int64_t n = 0;
	while (*s >= '0' && *s <= '9') {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s++ - '0');
	}
	int64_t unit;
	switch (*s++) {
	case 's':
		unit = 1000;
		break;
	case 'm':
		unit = 60000;
		break;
	case 'h':
		unit = 3600000;
		break;
	case 'd':
		unit = MS_PER_DAY;
		break;
	case 'w':
		unit = 7 * MS_PER_DAY;
		break;
	default:
		return -1;
	}
	if (*s || n <= 0 || n > INT64_MAX / unit)
		return -1;
	*ms_out = n * unit;
	return 0;
}

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int time_parse_since(const char *s, int64_t now_ms, int64_t *ms_out)
{
	int64_t d;
	if (!s || !ms_out)
		return -1;
	if (time_parse_duration(s, &d) == 0) {
		if (d > now_ms)
			return -1;
		*ms_out = now_ms - d;
		return 0;
	}
	return time_parse_iso(s, strlen(s), ms_out);
}

int64_t time_month_start(int64_t ms)
{
	int64_t days = ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY), y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	return time_days_from_civil(y, m, 1) * MS_PER_DAY;
}
