/* The request event: defaults, enum names, and the native JSONL writer. */
#include "tokentop/event.h"

#include <string.h>

#include "tokentop/money.h"
#include "tokentop/timeutil.h"

/* Upper bound of one written line: every string field escaped at 6 bytes a byte, plus keys and
 * numbers; checked by a static assertion below. */
#define EVENT_JSON_MAX 16384

static const char *const status_names[TT_STATUS_COUNT] = {
    "ok",           "timeout", "rate_limited", "server_error", "safety_refusal",
    "client_error", "killed",  "throttled",    "other",
};
static const char *const cache_names[TT_CACHE_COUNT] = {"none", "miss", "hit", "other"};
static const char *const outcome_names[TT_OUTCOME_COUNT] = {"none", "success", "failure",
                                                            "abandoned", "other"};
static const char *const cost_source_names[TT_COST_COUNT] = {"gateway", "card", "unpriced"};

_Static_assert((TT_ID_CAP + 6 * TT_NAME_CAP + TT_VERSION_CAP + TT_MODEL_CAP + TT_TIER_CAP) * 6 +
                       1024 <
                   EVENT_JSON_MAX,
               "EVENT_JSON_MAX too small");

void event_init(tt_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->latency_ms = -1;
	ev->ttft_ms = -1;
	ev->retrieval_ms = -1;
	ev->queue_ms = -1;
	ev->status = TT_STATUS_OK;
	ev->cache = TT_CACHE_NONE;
	ev->outcome = TT_OUTCOME_NONE;
	ev->quality_milli = -1;
	ev->cost_source = TT_COST_UNPRICED;
}

const char *event_status_name(tt_status s)
{
	return (unsigned)s < TT_STATUS_COUNT ? status_names[s] : NULL;
}

const char *event_cache_name(tt_cache c)
{
	return (unsigned)c < TT_CACHE_COUNT ? cache_names[c] : NULL;
}

const char *event_outcome_name(tt_outcome o)
{
	return (unsigned)o < TT_OUTCOME_COUNT ? outcome_names[o] : NULL;
}

const char *event_cost_source_name(tt_cost_source c)
{
	return (unsigned)c < TT_COST_COUNT ? cost_source_names[c] : NULL;
}

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int event_status_parse(const char *s, size_t len, tt_status *out)
{
	int i = lookup(status_names, TT_STATUS_COUNT, s, len);
	if (i < 0)
		return -1;
	*out = (tt_status)i;
	return 0;
}

int event_cache_parse(const char *s, size_t len, tt_cache *out)
{
	int i = lookup(cache_names, TT_CACHE_COUNT, s, len);
	if (i < 0)
		return -1;
	*out = (tt_cache)i;
	return 0;
}

/* "none" is not a value on the wire: an absent outcome is written by leaving the key out. */
int event_outcome_parse(const char *s, size_t len, tt_outcome *out)
{
	int i = lookup(outcome_names, TT_OUTCOME_COUNT, s, len);
	if (i <= 0)
		return -1;
	*out = (tt_outcome)i;
	return 0;
}

bool event_status_is_error(tt_status s)
{
	return s == TT_STATUS_TIMEOUT || s == TT_STATUS_RATE_LIMITED || s == TT_STATUS_SERVER_ERROR;
}

int event_set_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (!dst || cap == 0 || len >= cap || (len && (!src || memchr(src, 0, len))))
		return -1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = 0;
	return 0;
}

static char *put_raw(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put_raw((p), (lit), sizeof(lit) - 1)

/* Bytes written as an escape (or, for NUL, ending the value). */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

static char *put_escaped(char *p, const char *s, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	*p++ = '"';
	for (size_t i = 0; i < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (__builtin_expect(!needs_escape(c), 1)) {
			*p++ = (char)c;
			continue;
		}
		if (!c)
			break;
		*p++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*p++ = (char)c;
			break;
		case '\n':
			*p++ = 'n';
			break;
		case '\r':
			*p++ = 'r';
			break;
		case '\t':
			*p++ = 't';
			break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p++ = '"';
	return p;
}

/* ,"key":"value" for a non-empty string field. */
static char *put_str_field(char *p, const char *key, size_t klen, const char *val, size_t cap)
{
	if (!val[0])
		return p;
	*p++ = ',';
	p = put_raw(p, key, klen);
	return put_escaped(p, val, cap);
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* An exact decimal of v / 10^scale with trailing fractional zeros dropped: 0.000123, 2, 0.92. */
static char *put_fixed(char *p, int64_t v, int scale, uint64_t unit)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (v < 0)
		*p++ = '-';
	p = put_u64(p, mag / unit);
	uint64_t frac = mag % unit;
	if (!frac)
		return p;
	*p++ = '.';
	char digs[20];
	for (int i = scale - 1; i >= 0; i--) {
		digs[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	int n = scale;
	while (n > 0 && digs[n - 1] == '0')
		n--;
	return put_raw(p, digs, (size_t)n);
}

static char *put_opt_ms(char *p, const char *key, size_t klen, int64_t v)
{
	if (v < 0)
		return p;
	*p++ = ',';
	p = put_raw(p, key, klen);
	return put_i64(p, v);
}

#define STR_FIELD(p, key, ev, f) put_str_field((p), key, sizeof(key) - 1, (ev)->f, sizeof((ev)->f))
#define MS_FIELD(p, key, v)      put_opt_ms((p), key, sizeof(key) - 1, (v))

static const char *name_or(const char *name, const char *dflt)
{
	return name ? name : dflt;
}

static char *write_line(const tt_event *ev, char *p)
{
	char ts[48];
	time_format_iso(ev->ts_ms, ts, sizeof ts);

	p = PUT_LIT(p, "{\"request_id\":");
	p = put_escaped(p, ev->request_id, sizeof ev->request_id);
	p = PUT_LIT(p, ",\"ts\":\"");
	p = put_raw(p, ts, strlen(ts));
	*p++ = '"';
	p = STR_FIELD(p, "\"gateway\":", ev, gateway);
	p = STR_FIELD(p, "\"tenant\":", ev, tenant);
	p = STR_FIELD(p, "\"team\":", ev, team);
	p = STR_FIELD(p, "\"use_case\":", ev, use_case);
	p = STR_FIELD(p, "\"prompt_id\":", ev, prompt_id);
	p = STR_FIELD(p, "\"prompt_version\":", ev, prompt_version);
	p = STR_FIELD(p, "\"provider\":", ev, provider);
	p = STR_FIELD(p, "\"model\":", ev, model);
	p = STR_FIELD(p, "\"tier\":", ev, tier);
	p = ev->elevated ? PUT_LIT(p, ",\"elevated\":true") : PUT_LIT(p, ",\"elevated\":false");
	p = PUT_LIT(p, ",\"input_tokens\":");
	p = put_i64(p, ev->input_tokens);
	p = PUT_LIT(p, ",\"output_tokens\":");
	p = put_i64(p, ev->output_tokens);
	p = PUT_LIT(p, ",\"cached_tokens\":");
	p = put_i64(p, ev->cached_tokens);
	p = MS_FIELD(p, "\"latency_ms\":", ev->latency_ms);
	p = MS_FIELD(p, "\"ttft_ms\":", ev->ttft_ms);
	p = MS_FIELD(p, "\"retrieval_ms\":", ev->retrieval_ms);
	p = MS_FIELD(p, "\"queue_ms\":", ev->queue_ms);
	const char *s = name_or(event_status_name(ev->status), "ok");
	p = PUT_LIT(p, ",\"status\":\"");
	p = put_raw(p, s, strlen(s));
	s = name_or(event_cache_name(ev->cache), "none");
	p = PUT_LIT(p, "\",\"cache\":\"");
	p = put_raw(p, s, strlen(s));
	*p++ = '"';
	if (ev->outcome != TT_OUTCOME_NONE && event_outcome_name(ev->outcome)) {
		s = event_outcome_name(ev->outcome);
		p = PUT_LIT(p, ",\"outcome\":\"");
		p = put_raw(p, s, strlen(s));
		*p++ = '"';
	}
	if (ev->quality_milli >= 0) {
		p = PUT_LIT(p, ",\"quality\":");
		p = put_fixed(p, ev->quality_milli, 3, 1000);
	}
	if (ev->has_cost) {
		p = PUT_LIT(p, ",\"cost_usd\":");
		p = put_fixed(p, ev->cost_nanos, 9, TT_NANOS_PER_USD);
	}
	*p++ = '}';
	*p++ = '\n';
	return p;
}

size_t event_write_json(const tt_event *ev, char *buf, size_t cap)
{
	if (buf && cap > EVENT_JSON_MAX) {
		size_t n = (size_t)(write_line(ev, buf) - buf);
		buf[n] = 0;
		return n;
	}
	char tmp[EVENT_JSON_MAX + 1];
	size_t n = (size_t)(write_line(ev, tmp) - tmp);
	if (buf && cap) {
		size_t k = n < cap ? n : cap - 1;
		memcpy(buf, tmp, k);
		buf[k] = 0;
	}
	return n;
}
