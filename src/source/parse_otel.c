/* OpenTelemetry GenAI spans: OTLP/JSON trace exports, or one span object per line. */
#include "parse_internal.h"

#include <stdio.h>
#include <string.h>

/* Attributes read from spans (and, as defaults, from their resource). */
#define OTEL_ATTRS(X)                                                                              \
	X(A_OPERATION, "gen_ai.operation.name")                                                    \
	X(A_PROVIDER, "gen_ai.provider.name")                                                      \
	X(A_SYSTEM, "gen_ai.system")                                                               \
	X(A_REQ_MODEL, "gen_ai.request.model")                                                     \
	X(A_RESP_MODEL, "gen_ai.response.model")                                                   \
	X(A_RESP_ID, "gen_ai.response.id")                                                         \
	X(A_INPUT, "gen_ai.usage.input_tokens")                                                    \
	X(A_PROMPT, "gen_ai.usage.prompt_tokens")                                                  \
	X(A_OUTPUT, "gen_ai.usage.output_tokens")                                                  \
	X(A_COMPLETION, "gen_ai.usage.completion_tokens")                                          \
	X(A_CACHE_READ, "gen_ai.usage.cache_read.input_tokens")                                    \
	X(A_CACHE_READ_OLD, "gen_ai.usage.cache_read_input_tokens")                                \
	X(A_TTFC, "gen_ai.response.time_to_first_chunk")                                           \
	X(A_ERROR, "error.type")                                                                   \
	X(A_SERVICE, "service.name")                                                               \
	X(A_USE_CASE, "tokentop.use_case")                                                         \
	X(A_TEAM, "tokentop.team")                                                                 \
	X(A_TENANT, "tokentop.tenant")                                                             \
	X(A_PROMPT_ID, "tokentop.prompt.id")                                                       \
	X(A_PROMPT_VERSION, "tokentop.prompt.version")                                             \
	X(A_GATEWAY, "tokentop.gateway")                                                           \
	X(A_TIER, "tokentop.tier")                                                                 \
	X(A_ELEVATED, "tokentop.elevated")                                                         \
	X(A_CACHE, "tokentop.cache")                                                               \
	X(A_OUTCOME, "tokentop.outcome")                                                           \
	X(A_QUALITY, "tokentop.quality")                                                           \
	X(A_COST, "tokentop.cost_usd")

#define AS_ENUM(e, s) e,
#define AS_KEY(e, s)  PJ_KEY(s),
enum { OTEL_ATTRS(AS_ENUM) A_COUNT };
static const pj_key attr_keys[A_COUNT] = {OTEL_ATTRS(AS_KEY)};

enum { S_TRACE, S_SPAN, S_START, S_END, S_ATTRS, S_STATUS, S_COUNT };
static const pj_key span_keys[S_COUNT] = {
    PJ_KEY("traceId"),         PJ_KEY("spanId"),     PJ_KEY("startTimeUnixNano"),
    PJ_KEY("endTimeUnixNano"), PJ_KEY("attributes"), PJ_KEY("status"),
};

/* An attribute: the document and the token of its "value" object. */
typedef struct attr {
	const pj_doc *d;
	int v;
} attr;

typedef struct span_ctx {
	pj_ctx *c;
	const pj_doc *d;
	attr res[A_COUNT];  /* resource attributes */
	attr span[A_COUNT]; /* span attributes */
} span_ctx;

/* Finds our attributes in an OTLP attribute list ([{key, value}, ...]). */
static int attrs_collect(pj_ctx *c, const pj_doc *d, int arr, attr *out, const char *where)
{
	char ex[48];
	for (int k = 0; k < A_COUNT; k++)
		out[k] = (attr){d, -1};
	if (arr < 0 || pj_is_null(d, arr))
		return 0;
	if (d->t[arr].type != JSMN_ARRAY) {
		pj_excerpt(d, arr, ex, sizeof ex);
		return pj_fail(c, "%s: not an array (%s)", where, ex);
	}
	int n = d->t[arr].size, i = arr + 1;
	for (int m = 0; m < n && i < d->n; m++, i = pj_skip(d, i)) {
		if (d->t[i].type != JSMN_OBJECT)
			return pj_fail(c, "%s[%d]: not an object", where, m);
		int key = pj_find(d, i, "key");
		if (key < 0 || !pj_is_string(d, key))
			return pj_fail(c, "%s[%d]: no string key", where, m);
		size_t len = pj_tok_len(d, key);
		const char *s = pj_tok_ptr(d, key);
		for (int a = 0; a < A_COUNT; a++) {
			if (attr_keys[a].len != len || memcmp(attr_keys[a].name, s, len) != 0)
				continue;
			if (out[a].v >= 0)
				return pj_fail(c, "%s: duplicate attribute %s", where,
				               attr_keys[a].name);
			int v = pj_find(d, i, "value");
			if (v >= 0 && !pj_is_null(d, v) && d->t[v].type != JSMN_OBJECT)
				return pj_fail(c, "%s: value not an object", attr_keys[a].name);
			out[a].v = v >= 0 && !pj_is_null(d, v) ? v : -1;
			break;
		}
	}
	return 0;
}

/* The span's value of an attribute, else the resource's; NULL when neither has it. */
static const attr *attr_get(const span_ctx *s, int a)
{
	if (s->span[a].v >= 0)
		return &s->span[a];
	if (s->res[a].v >= 0)
		return &s->res[a];
	return NULL;
}

/* The typed member of an AnyValue ("stringValue", ...); -1 when the value has another type. */
static int any_member(const attr *at, const char *member)
{
	int i = pj_find(at->d, at->v, member);
	return i >= 0 && !pj_is_null(at->d, i) ? i : -1;
}

static bool attr_empty(const attr *at)
{
	return at->d->t[at->v].size == 0;
}

static int attr_str(span_ctx *s, int a, char *dst, size_t cap)
{
	const attr *at = attr_get(s, a);
	if (!at || attr_empty(at))
		return 1;
	int i = any_member(at, "stringValue");
	if (i < 0)
		return pj_fail(s->c, "%s: expected stringValue", attr_keys[a].name);
	return pj_get_name(s->c, at->d, i, attr_keys[a].name, dst, cap);
}

static int attr_count(span_ctx *s, int a, int64_t *out)
{
	const attr *at = attr_get(s, a);
	if (!at || attr_empty(at))
		return 1;
	int i = any_member(at, "intValue");
	if (i < 0)
		return pj_fail(s->c, "%s: expected intValue", attr_keys[a].name);
	return pj_get_count(s->c, at->d, i, attr_keys[a].name, true, out);
}

/* A doubleValue (or intValue) scaled by 10^scale. */
static int attr_scaled(span_ctx *s, int a, int scale, int64_t *out)
{
	const attr *at = attr_get(s, a);
	if (!at || attr_empty(at))
		return 1;
	int i = any_member(at, "doubleValue");
	if (i < 0)
		i = any_member(at, "intValue");
	if (i < 0)
		return pj_fail(s->c, "%s: expected doubleValue", attr_keys[a].name);
	return pj_get_scaled(s->c, at->d, i, attr_keys[a].name, true, scale, out);
}

static int attr_bool(span_ctx *s, int a, bool *out)
{
	const attr *at = attr_get(s, a);
	if (!at || attr_empty(at))
		return 1;
	int i = any_member(at, "boolValue");
	if (i < 0)
		return pj_fail(s->c, "%s: expected boolValue", attr_keys[a].name);
	return pj_get_bool(s->c, at->d, i, attr_keys[a].name, out);
}

/* Makes a decoded value safe to quote in a one-line reason. */
static const char *printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return s;
}

/* Lowercase ASCII substring test over raw text. */
static bool contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;
		for (; k < n; k++) {
			char ch = s[i + k];
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != needle[k])
				break;
		}
		if (k == n)
			return true;
	}
	return false;
}

/* error.type values: semconv leaves them open (exception class, HTTP code, "_OTHER"). */
static tt_status error_type_status(const char *s, size_t len)
{
	if (contains(s, len, "content_filter") || contains(s, len, "contentfilter") ||
	    contains(s, len, "content_policy") || contains(s, len, "contentpolicy") ||
	    contains(s, len, "safety"))
		return TT_STATUS_SAFETY_REFUSAL;
	if (contains(s, len, "timeout") || contains(s, len, "timed_out") ||
	    contains(s, len, "deadline"))
		return TT_STATUS_TIMEOUT;
	if (contains(s, len, "rate_limit") || contains(s, len, "ratelimit") ||
	    contains(s, len, "too_many_requests") || (len == 3 && memcmp(s, "429", 3) == 0))
		return TT_STATUS_RATE_LIMITED;
	if ((len == 3 && s[0] == '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') ||
	    contains(s, len, "server") || contains(s, len, "unavailable") ||
	    contains(s, len, "overloaded") || contains(s, len, "connection"))
		return TT_STATUS_SERVER_ERROR;
	return TT_STATUS_CLIENT_ERROR;
}

/* Operations that wrap or precede model calls; their usage would count twice. */
static bool operation_is_inference(const attr *op)
{
	static const char *const skip[] = {"execute_tool", "invoke_agent", "create_agent",
	                                   "invoke_workflow", "retrieval"};
	if (!op)
		return true;
	int i = any_member(op, "stringValue");
	if (i < 0)
		return true;
	for (size_t k = 0; k < sizeof skip / sizeof skip[0]; k++)
		if (pj_tok_eq(op->d, i, skip[k], strlen(skip[k])))
			return false;
	return true;
}

static int span_status_error(span_ctx *s, int st)
{
	const pj_doc *d = s->d;
	if (st < 0 || d->t[st].type != JSMN_OBJECT)
		return 0;
	int code = pj_find(d, st, "code");
	if (code < 0)
		return 0;
	return pj_tok_eq(d, code, "2", 1) || pj_tok_eq(d, code, "STATUS_CODE_ERROR", 17);
}

/* One span into ev. 1 when it is a GenAI inference span, 0 when it is skipped,
 * -1 on error. */
static int span_parse(span_ctx *s, int obj, tt_event *ev)
{
	pj_ctx *c = s->c;
	const pj_doc *d = s->d;
	int k[S_COUNT];
	char trace[64], span[32];
	event_init(ev);
	if (d->t[obj].type != JSMN_OBJECT)
		return pj_fail(c, "span: not an object");
	if (pj_collect(c, d, obj, span_keys, S_COUNT, k, "") < 0)
		return -1;
	if (attrs_collect(c, d, k[S_ATTRS], s->span, "attributes") < 0)
		return -1;
	if (s->span[A_OPERATION].v < 0 && s->span[A_PROVIDER].v < 0 && s->span[A_SYSTEM].v < 0)
		return 0;
	if (!operation_is_inference(attr_get(s, A_OPERATION)))
		return 0;

	int r = attr_str(s, A_RESP_ID, ev->request_id, sizeof ev->request_id);
	if (r < 0)
		return -1;
	if (!ev->request_id[0]) {
		trace[0] = span[0] = 0;
		if (k[S_TRACE] >= 0 &&
		    pj_get_str(c, d, k[S_TRACE], "traceId", trace, sizeof trace) < 0)
			return -1;
		if (k[S_SPAN] >= 0 && pj_get_str(c, d, k[S_SPAN], "spanId", span, sizeof span) < 0)
			return -1;
		if (!trace[0] || !span[0])
			return pj_fail(c,
			               "request_id: no gen_ai.response.id and no traceId/spanId");
		snprintf(ev->request_id, sizeof ev->request_id, "%s:%s", trace, span);
	}

	int64_t start = 0, end = 0;
	if (k[S_START] < 0 ||
	    (r = pj_get_int(c, d, k[S_START], "startTimeUnixNano", true, &start)) == 1)
		return pj_fail(c, "startTimeUnixNano: missing");
	if (r < 0)
		return -1;
	if (start <= 0)
		return pj_fail(c, "startTimeUnixNano: out of range (%lld)", (long long)start);
	ev->ts_ms = start / 1000000;
	if (k[S_END] >= 0 && pj_get_int(c, d, k[S_END], "endTimeUnixNano", true, &end) < 0)
		return -1;
	if (end >= start && (end - start) / 1000000 <= TT_COUNT_MAX)
		ev->latency_ms = (end - start) / 1000000;

	if (attr_str(s, A_PROVIDER, ev->provider, sizeof ev->provider) < 0)
		return -1;
	if (!ev->provider[0] && attr_str(s, A_SYSTEM, ev->provider, sizeof ev->provider) < 0)
		return -1;
	if (attr_str(s, A_REQ_MODEL, ev->model, sizeof ev->model) < 0)
		return -1;
	if (!ev->model[0] && attr_str(s, A_RESP_MODEL, ev->model, sizeof ev->model) < 0)
		return -1;

	if ((r = attr_count(s, A_INPUT, &ev->input_tokens)) < 0)
		return -1;
	if (r == 1 && attr_count(s, A_PROMPT, &ev->input_tokens) < 0)
		return -1;
	if ((r = attr_count(s, A_OUTPUT, &ev->output_tokens)) < 0)
		return -1;
	if (r == 1 && attr_count(s, A_COMPLETION, &ev->output_tokens) < 0)
		return -1;
	if ((r = attr_count(s, A_CACHE_READ, &ev->cached_tokens)) < 0)
		return -1;
	if (r == 1 && attr_count(s, A_CACHE_READ_OLD, &ev->cached_tokens) < 0)
		return -1;
	if (ev->cached_tokens > ev->input_tokens)
		return pj_fail(c, "cached_tokens: greater than input_tokens (%lld > %lld)",
		               (long long)ev->cached_tokens, (long long)ev->input_tokens);
	int64_t v;
	if ((r = attr_scaled(s, A_TTFC, 3, &v)) < 0)
		return -1;
	if (r == 0) {
		if (v < 0 || v > TT_COUNT_MAX)
			return pj_fail(c, "gen_ai.response.time_to_first_chunk: out of range");
		ev->ttft_ms = v;
	}

	if (attr_str(s, A_USE_CASE, ev->use_case, sizeof ev->use_case) < 0)
		return -1;
	if (!ev->use_case[0] && attr_str(s, A_SERVICE, ev->use_case, sizeof ev->use_case) < 0)
		return -1;
	if (attr_str(s, A_TEAM, ev->team, sizeof ev->team) < 0 ||
	    attr_str(s, A_TENANT, ev->tenant, sizeof ev->tenant) < 0 ||
	    attr_str(s, A_PROMPT_ID, ev->prompt_id, sizeof ev->prompt_id) < 0 ||
	    attr_str(s, A_PROMPT_VERSION, ev->prompt_version, sizeof ev->prompt_version) < 0 ||
	    attr_str(s, A_GATEWAY, ev->gateway, sizeof ev->gateway) < 0 ||
	    attr_str(s, A_TIER, ev->tier, sizeof ev->tier) < 0 ||
	    attr_bool(s, A_ELEVATED, &ev->elevated) < 0)
		return -1;

	char buf[32];
	buf[0] = 0;
	if (attr_str(s, A_CACHE, buf, sizeof buf) < 0)
		return -1;
	if (buf[0] && event_cache_parse(buf, strlen(buf), &ev->cache) < 0) {
		ev->cache = TT_CACHE_OTHER;
		pj_note(c, "tokentop.cache \"%s\" kept as other", printable(buf));
	}
	buf[0] = 0;
	if (attr_str(s, A_OUTCOME, buf, sizeof buf) < 0)
		return -1;
	if (buf[0] && event_outcome_parse(buf, strlen(buf), &ev->outcome) < 0) {
		ev->outcome = TT_OUTCOME_OTHER;
		pj_note(c, "tokentop.outcome \"%s\" kept as other", printable(buf));
	}
	if ((r = attr_scaled(s, A_QUALITY, 6, &v)) < 0)
		return -1;
	if (r == 0) {
		if (v < 0 || v > 1000000)
			return pj_fail(c, "tokentop.quality: out of range, expected 0..1");
		ev->quality_milli = (int32_t)((v + 500) / 1000);
	}
	if ((r = attr_scaled(s, A_COST, 9, &v)) < 0)
		return -1;
	if (r == 0) {
		if (v < 0)
			return pj_fail(c, "tokentop.cost_usd: negative");
		ev->has_cost = true;
		ev->cost_nanos = v;
		ev->cost_source = TT_COST_GATEWAY;
	}

	const attr *err = attr_get(s, A_ERROR);
	int ei = err ? any_member(err, "stringValue") : -1;
	if (ei >= 0 && pj_tok_len(err->d, ei) > 0)
		ev->status = error_type_status(pj_tok_ptr(err->d, ei), pj_tok_len(err->d, ei));
	else if (span_status_error(s, k[S_STATUS]))
		ev->status = TT_STATUS_SERVER_ERROR;
	return 1;
}

/* Walks resourceSpans[].scopeSpans[].spans[]. With emit false it only checks the envelope (so that
 * a broken envelope rejects the record before any event is sent). */
static int walk(pj_ctx *c, const pj_doc *d, int rs_arr, bool emit)
{
	span_ctx s = {.c = c, .d = d};
	tt_event ev;
	char where[64];
	int item = 0, emitted = 0;
	int nrs = d->t[rs_arr].size, i = rs_arr + 1;
	for (int a = 0; a < nrs && i < d->n; a++, i = pj_skip(d, i)) {
		if (d->t[i].type != JSMN_OBJECT)
			return pj_fail(c, "resourceSpans[%d]: not an object", a);
		int res = pj_find(d, i, "resource"), rattrs = -1;
		if (res >= 0 && !pj_is_null(d, res)) {
			if (d->t[res].type != JSMN_OBJECT)
				return pj_fail(c, "resourceSpans[%d].resource: not an object", a);
			rattrs = pj_find(d, res, "attributes");
		}
		snprintf(where, sizeof where, "resourceSpans[%d].resource.attributes", a);
		if (attrs_collect(c, d, rattrs, s.res, where) < 0)
			return -1;
		int ss = pj_find(d, i, "scopeSpans");
		if (ss < 0)
			ss = pj_find(d, i, "instrumentationLibrarySpans");
		if (ss < 0 || pj_is_null(d, ss))
			continue;
		if (d->t[ss].type != JSMN_ARRAY)
			return pj_fail(c, "resourceSpans[%d].scopeSpans: not an array", a);
		int nss = d->t[ss].size, j = ss + 1;
		for (int b = 0; b < nss && j < d->n; b++, j = pj_skip(d, j)) {
			if (d->t[j].type != JSMN_OBJECT)
				return pj_fail(c, "resourceSpans[%d].scopeSpans[%d]: not an object",
				               a, b);
			int sp = pj_find(d, j, "spans");
			if (sp < 0 || pj_is_null(d, sp))
				continue;
			if (d->t[sp].type != JSMN_ARRAY)
				return pj_fail(
				    c, "resourceSpans[%d].scopeSpans[%d].spans: not an array", a,
				    b);
			int nsp = d->t[sp].size, k = sp + 1;
			for (int m = 0; m < nsp && k < d->n; m++, k = pj_skip(d, k), item++) {
				if (!emit)
					continue;
				int r = span_parse(&s, k, &ev);
				if (r < 0)
					pj_reject(c, item, c->err);
				else if (r > 0) {
					pj_emit(c, &ev);
					emitted++;
				}
			}
		}
	}
	return emitted;
}

int parse_otel_doc(pj_ctx *c, const pj_doc *d)
{
	if (d->t[0].type != JSMN_OBJECT) {
		pj_reject(c, -1, "expected a JSON object");
		return -1;
	}
	int rs = pj_find(d, 0, "resourceSpans");
	if (rs < 0) {
		/* a bare span, as simple exporters write one per line */
		span_ctx s = {.c = c, .d = d};
		tt_event ev;
		for (int a = 0; a < A_COUNT; a++)
			s.res[a] = (attr){d, -1};
		int r = span_parse(&s, 0, &ev);
		if (r < 0) {
			pj_reject(c, -1, c->err);
			return -1;
		}
		if (r > 0)
			pj_emit(c, &ev);
		return r;
	}
	if (pj_is_null(d, rs))
		return 0;
	if (d->t[rs].type != JSMN_ARRAY) {
		pj_reject(c, -1, "resourceSpans: not an array");
		return -1;
	}
	if (walk(c, d, rs, false) < 0) {
		pj_reject(c, -1, c->err);
		return -1;
	}
	return walk(c, d, rs, true);
}
