/* Small pure pieces of the simulator: fault specs, cursors, listen addresses, tokens, buffers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "tokentop/money.h"
#include "tokentop/timeutil.h"

void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sb_puts(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_put(b, big, (size_t)n);
	free(big);
}

static const char *const tiers[] = {"tiny", "good", "better", "best"};

int tier_rank(const char *tier)
{
	for (int i = 0; i < (int)(sizeof tiers / sizeof tiers[0]); i++)
		if (strcmp(tier, tiers[i]) == 0)
			return i;
	return -1;
}

const char *tier_name(int rank)
{
	return rank >= 0 && rank < (int)(sizeof tiers / sizeof tiers[0]) ? tiers[rank] : NULL;
}

static const struct {
	const char *name;
	sim_fault fault;
} fault_names[] = {
    {"5xx", SIM_FAULT_5XX},           {"slow", SIM_FAULT_SLOW}, {"truncate", SIM_FAULT_TRUNCATE},
    {"oversize", SIM_FAULT_OVERSIZE}, {"drop", SIM_FAULT_DROP},
};

int sim_faults_parse(const char *spec, sim_faults *out, char *err, size_t errlen)
{
	sim_faults f = {{0}};
	bool seen[SIM_FAULT_COUNT] = {false};
	int64_t sum = 0;
	const char *p = spec;
	if (!p || !*p) {
		snprintf(err, errlen, "faults: empty");
		return -1;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (!eq) {
			snprintf(err, errlen, "faults: '%.*s' is not NAME=CHANCE", (int)n, p);
			return -1;
		}
		size_t klen = (size_t)(eq - p);
		int k = -1;
		for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
			if (strlen(fault_names[i].name) == klen &&
			    memcmp(fault_names[i].name, p, klen) == 0)
				k = (int)fault_names[i].fault;
		if (k < 0) {
			snprintf(
			    err, errlen,
			    "faults: unknown fault '%.*s' (5xx, slow, truncate, oversize, drop)",
			    (int)klen, p);
			return -1;
		}
		if (seen[k]) {
			snprintf(err, errlen, "faults: '%.*s' given twice", (int)klen, p);
			return -1;
		}
		seen[k] = true;
		int64_t ppm;
		size_t vlen = n - klen - 1;
		if (money_parse_scaled(eq + 1, vlen, 6, &ppm) || ppm < 0 || ppm > 1000000) {
			snprintf(err, errlen, "faults: '%.*s' needs a chance from 0 to 1", (int)n,
			         p);
			return -1;
		}
		f.ppm[k] = (int32_t)ppm;
		sum += ppm;
		if (!end)
			break;
		p = end + 1;
	}
	if (sum > 1000000) {
		snprintf(err, errlen, "faults: the chances add up to more than 1");
		return -1;
	}
	*out = f;
	return 0;
}

sim_fault sim_faults_pick(const sim_faults *f, uint32_t u)
{
	int64_t acc = 0;
	for (int k = SIM_FAULT_NONE + 1; k < SIM_FAULT_COUNT; k++) {
		acc += f->ppm[k];
		if ((int64_t)u < acc)
			return (sim_fault)k;
	}
	return SIM_FAULT_NONE;
}

int sim_scenario_split(const char *spec, char *name, size_t cap, int64_t *at_ms)
{
	const char *at = strchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);
	if (n == 0 || n >= cap)
		return -1;
	memcpy(name, spec, n);
	name[n] = 0;
	*at_ms = 0;
	if (!at)
		return 0;
	char sign = at[1];
	int64_t d;
	if ((sign != '+' && sign != '-') || time_parse_duration(at + 2, &d))
		return -1;
	*at_ms = sign == '-' ? -d : d;
	return 0;
}

int sim_listen_parse(const char *spec, char *host, size_t cap, uint16_t *port, bool *v6)
{
	const char *colon;
	const char *h = spec;
	size_t hlen;
	*v6 = false;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			return -1;
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		*v6 = true;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - spec);
	}
	if (hlen == 0 || hlen >= cap)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = 0;
	if (!*v6 && strcmp(host, "localhost") == 0)
		snprintf(host, cap, "127.0.0.1");
	unsigned char addr[16];
	if (inet_pton(*v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return -1;
	const char *p = colon + 1;
	if (!*p || strlen(p) > 5)
		return -1;
	long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static uint64_t cursor_check(uint64_t instance, uint64_t seq)
{
	uint64_t st = instance ^ (seq * 0xd1b54a32d192ed03ULL);
	return sim_rand(&st) & 0xffffffffu;
}

void sim_cursor_format(uint64_t instance, uint64_t seq, char *buf, size_t cap)
{
	snprintf(buf, cap, "c%016llx%016llx%08llx", (unsigned long long)instance,
	         (unsigned long long)seq, (unsigned long long)cursor_check(instance, seq));
}

static int hex_field(const char *s, int digits, uint64_t *out)
{
	uint64_t v = 0;
	for (int i = 0; i < digits; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int sim_cursor_parse(const char *s, uint64_t instance, uint64_t *seq)
{
	uint64_t inst, n, check;
	if (!s || strlen(s) != 41 || s[0] != 'c' || hex_field(s + 1, 16, &inst) ||
	    hex_field(s + 17, 16, &n) || hex_field(s + 33, 8, &check))
		return -1;
	if (inst != instance || check != cursor_check(inst, n))
		return -1;
	*seq = n;
	return 0;
}

bool sim_token_equal(const char *given, size_t glen, const char *want, size_t wlen)
{
	unsigned char d = glen != wlen;
	for (size_t i = 0; i < wlen; i++)
		d |= (unsigned char)(want[i] ^ (i < glen ? given[i] : 0));
	return d == 0;
}
