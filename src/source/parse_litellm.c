/* LiteLLM spend logs: LiteLLM_SpendLogs rows alone, in an array, or in a /spend/logs/ui page. */
#include "parse_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	R_REQUEST_ID,
	R_START,
	R_END,
	R_DURATION,
	R_COMPLETION_START,
	R_SPEND,
	R_PROMPT,
	R_COMPLETION,
	R_MODEL,
	R_MODEL_GROUP,
	R_PROVIDER,
	R_CACHE_HIT,
	R_CACHE_KEY,
	R_TAGS,
	R_TEAM_ID,
	R_END_USER,
	R_STATUS,
	R_METADATA,
	R_ID,            /* StandardLoggingPayload: the request's id */
	R_RESPONSE_COST, /* StandardLoggingPayload: the spend */
	R_ERROR_INFO,    /* StandardLoggingPayload: error_information beside, not in, metadata */
	R_COUNT
};
static const pj_key row_keys[R_COUNT] = {
    PJ_KEY("request_id"),
    PJ_KEY("startTime"),
    PJ_KEY("endTime"),
    PJ_KEY("request_duration_ms"),
    PJ_KEY("completionStartTime"),
    PJ_KEY("spend"),
    PJ_KEY("prompt_tokens"),
    PJ_KEY("completion_tokens"),
    PJ_KEY("model"),
    PJ_KEY("model_group"),
    PJ_KEY("custom_llm_provider"),
    PJ_KEY("cache_hit"),
    PJ_KEY("cache_key"),
    PJ_KEY("request_tags"),
    PJ_KEY("team_id"),
    PJ_KEY("end_user"),
    PJ_KEY("status"),
    PJ_KEY("metadata"),
    PJ_KEY("id"),
    PJ_KEY("response_cost"),
    PJ_KEY("error_information"),
};

enum { M_TEAM_ALIAS, M_USAGE, M_ERROR, M_STATUS, M_CUSTOM, M_COUNT };
static const pj_key meta_keys[M_COUNT] = {
    PJ_KEY("user_api_key_team_alias"), PJ_KEY("additional_usage_values"),
    PJ_KEY("error_information"),       PJ_KEY("status"),
    PJ_KEY("spend_logs_metadata"),
};

/* Dimensions a request tag ("key:value") or spend_logs_metadata key can set. */
enum { D_USE_CASE, D_TEAM, D_TENANT, D_PROMPT_ID, D_PROMPT_VERSION, D_PROMPT, D_COUNT };
static const pj_key dim_keys[D_COUNT] = {
    PJ_KEY("use_case"),  PJ_KEY("team"),           PJ_KEY("tenant"),
    PJ_KEY("prompt_id"), PJ_KEY("prompt_version"), PJ_KEY("prompt"),
};

#define TAG_CAP 256

static char *dim_field(tt_event *ev, int dim, size_t *cap)
{
	switch (dim) {
	case D_USE_CASE:
		*cap = sizeof ev->use_case;
		return ev->use_case;
	case D_TEAM:
		*cap = sizeof ev->team;
		return ev->team;
	case D_TENANT:
		*cap = sizeof ev->tenant;
		return ev->tenant;
	case D_PROMPT_ID:
		*cap = sizeof ev->prompt_id;
		return ev->prompt_id;
	default:
		*cap = sizeof ev->prompt_version;
		return ev->prompt_version;
	}
}

/* Sets an empty dimension from s[0..len); a value that does not fit is an error. */
static int dim_set(pj_ctx *c, tt_event *ev, int dim, const char *s, size_t len, int tag)
{
	size_t cap;
	char *dst = dim_field(ev, dim, &cap);
	if (dst[0] || len == 0)
		return 0;
	char where[64];
	snprintf(where, sizeof where, "request_tags[%d]: %s", tag,
	         dim == D_PROMPT_VERSION ? "prompt version" : dim_keys[dim].name);
	pj_set_name(c, dst, cap, s, len, where);
	return 0;
}

/* One request tag. Tag keys other than the known dimensions are ignored. */
static int tag_apply(pj_ctx *c, tt_event *ev, const char *tag, size_t len, int index)
{
	const char *colon = memchr(tag, ':', len);
	if (!colon)
		return 0;
	size_t klen = (size_t)(colon - tag), vlen = len - klen - 1;
	const char *v = colon + 1;
	for (int k = 0; k < D_COUNT; k++) {
		if (dim_keys[k].len != klen || memcmp(dim_keys[k].name, tag, klen) != 0)
			continue;
		if (k != D_PROMPT)
			return dim_set(c, ev, k, v, vlen, index);
		/* prompt:ID@VERSION, split at the last '@' */
		size_t at = vlen;
		while (at > 0 && v[at - 1] != '@')
			at--;
		if (at == 0)
			return dim_set(c, ev, D_PROMPT_ID, v, vlen, index);
		if (ev->prompt_id[0])
			return 0;
		if (dim_set(c, ev, D_PROMPT_ID, v, at - 1, index) < 0)
			return -1;
		return dim_set(c, ev, D_PROMPT_VERSION, v + at, vlen - at, index);
	}
	return 0;
}

static bool tag_is_known(const char *raw, size_t len)
{
	for (int k = 0; k < D_COUNT; k++)
		if (len > dim_keys[k].len && memcmp(raw, dim_keys[k].name, dim_keys[k].len) == 0 &&
		    raw[dim_keys[k].len] == ':')
			return true;
	return false;
}

static int tags_apply(pj_ctx *c, const pj_doc *d, int i, tt_event *ev)
{
	if (i < 0 || pj_is_null(d, i))
		return 0;
	pj_doc inner;
	const pj_doc *td = d;
	char ex[48], where[40], tag[TAG_CAP];
	if (pj_is_string(d, i)) {
		if (pj_tok_len(d, i) == 0)
			return 0;
		if (pj_parse_inner(c, PJ_SLOT_INNER2, d, i, "request_tags", &inner) < 0)
			return -1;
		td = &inner;
		i = 0;
		if (pj_is_null(td, i))
			return 0;
	}
	if (td->t[i].type != JSMN_ARRAY) {
		pj_excerpt(td, i, ex, sizeof ex);
		return pj_fail(c, "request_tags: not an array (%s)", ex);
	}
	int n = td->t[i].size;
	i++;
	for (int k = 0; k < n; k++, i = pj_skip(td, i)) {
		if (!pj_is_string(td, i)) {
			pj_excerpt(td, i, ex, sizeof ex);
			return pj_fail(c, "request_tags[%d]: not a string (%s)", k, ex);
		}
		size_t len;
		int code = pj_decode(td, i, tag, sizeof tag, &len);
		if (code == PJ_STR_LONG && !tag_is_known(pj_tok_ptr(td, i), pj_tok_len(td, i)))
			continue;
		if (code == PJ_STR_LONG)
			pj_note(c, "request_tags[%d]: longer than %zu bytes, kept cut to them", k,
			        sizeof tag - 1);
		else if (code != PJ_STR_OK) {
			snprintf(where, sizeof where, "request_tags[%d]", k);
			return pj_str_fail(c, code, where, sizeof tag);
		}
		if (tag_apply(c, ev, tag, len, k) < 0)
			return -1;
	}
	return 0;
}

/* metadata.spend_logs_metadata: string values under the dimension names. */
static int custom_apply(pj_ctx *c, const pj_doc *d, int i, tt_event *ev)
{
	if (i < 0 || pj_is_null(d, i))
		return 0;
	char ex[48], where[64];
	if (d->t[i].type != JSMN_OBJECT) {
		pj_excerpt(d, i, ex, sizeof ex);
		pj_note(c, "metadata.spend_logs_metadata: not an object, ignored");
		return 0;
	}
	int idx[D_PROMPT];
	if (pj_collect(c, d, i, dim_keys, D_PROMPT, idx, "metadata.spend_logs_metadata.") < 0)
		return -1;
	for (int k = 0; k < D_PROMPT; k++) {
		size_t cap;
		char *dst = dim_field(ev, k, &cap);
		if (idx[k] < 0 || dst[0])
			continue;
		snprintf(where, sizeof where, "metadata.spend_logs_metadata.%s", dim_keys[k].name);
		if (pj_get_name(c, d, idx[k], where, dst, cap) < 0)
			return -1;
	}
	return 0;
}

/* ASCII case-insensitive search for an ASCII lowercase needle. */
static bool has_word(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;
		while (k < n) {
			char ch = s[i + k];
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != needle[k])
				break;
			k++;
		}
		if (k == n)
			return true;
	}
	return false;
}

static bool any_word(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (has_word(s, len, *words))
			return true;
	return false;
}

/* A failed request's status from metadata.error_information. */
static tt_status error_status(const pj_doc *d, int info)
{
	static const char *const safety[] = {"contentpolicy", "content_policy", "content policy",
	                                     "content_filter", NULL};
	static const char *const server[] = {"internalserver", "serviceunavailable",
	                                     "apiconnection", "apierror", NULL};
	static const char *const client[] = {
	    "badrequest",    "authentication", "permissiondenied", "notfound",
	    "unprocessable", "contextwindow",  "budgetexceeded",   NULL};
	const char *cls = "", *msg = "";
	size_t cls_len = 0, msg_len = 0;
	long code = 0;
	if (info >= 0 && d->t[info].type == JSMN_OBJECT) {
		int i = pj_find(d, info, "error_class");
		if (i >= 0 && pj_is_string(d, i)) {
			cls = pj_tok_ptr(d, i);
			cls_len = pj_tok_len(d, i);
		}
		i = pj_find(d, info, "error_message");
		if (i >= 0 && pj_is_string(d, i)) {
			msg = pj_tok_ptr(d, i);
			msg_len = pj_tok_len(d, i);
		}
		i = pj_find(d, info, "error_code");
		if (i >= 0 && !pj_is_null(d, i)) {
			const char *s = pj_tok_ptr(d, i);
			size_t len = pj_tok_len(d, i);
			for (size_t k = 0; k < len && k < 4 && s[k] >= '0' && s[k] <= '9'; k++)
				code = code * 10 + (s[k] - '0');
			if (len > 3)
				code = 0;
		}
	}
	if (any_word(cls, cls_len, safety) || any_word(msg, msg_len, safety))
		return TT_STATUS_SAFETY_REFUSAL;
	if (code == 429 || has_word(cls, cls_len, "ratelimit"))
		return TT_STATUS_RATE_LIMITED;
	if (code == 408 || code == 504 || has_word(cls, cls_len, "timeout"))
		return TT_STATUS_TIMEOUT;
	if ((code >= 500 && code <= 599) || any_word(cls, cls_len, server))
		return TT_STATUS_SERVER_ERROR;
	if ((code >= 400 && code <= 499) || any_word(cls, cls_len, client))
		return TT_STATUS_CLIENT_ERROR;
	return TT_STATUS_SERVER_ERROR;
}

/* "success" / "failure" into 1 / 0; null -> -2; any other value -> -3 (noted, status other). */
static int success_flag(pj_ctx *c, const pj_doc *d, int i, const char *field)
{
	if (i < 0 || pj_is_null(d, i))
		return -2;
	if (pj_tok_eq(d, i, "success", 7) && pj_is_string(d, i))
		return 1;
	if (pj_tok_eq(d, i, "failure", 7) && pj_is_string(d, i))
		return 0;
	pj_note_other(c, d, i, field);
	return -3;
}

static int cache_apply(pj_ctx *c, const pj_doc *d, const int *r, tt_event *ev)
{
	int i = r[R_CACHE_HIT];
	if (i < 0 || pj_is_null(d, i))
		return 0;
	int hit = -1;
	if (pj_is_string(d, i)) {
		if (pj_tok_eq(d, i, "True", 4) || pj_tok_eq(d, i, "true", 4))
			hit = 1;
		else if (pj_tok_eq(d, i, "False", 5) || pj_tok_eq(d, i, "false", 5))
			hit = 0;
		else if (pj_tok_eq(d, i, "None", 4) || pj_tok_eq(d, i, "", 0))
			return 0;
	} else if (d->t[i].type == JSMN_PRIMITIVE) {
		char ch = pj_tok_ptr(d, i)[0];
		hit = ch == 't' ? 1 : ch == 'f' ? 0 : -1;
	}
	if (hit < 0) {
		ev->cache = TT_CACHE_OTHER;
		pj_note_other(c, d, i, "cache_hit");
		return 0;
	}
	if (hit) {
		ev->cache = TT_CACHE_HIT;
		return 0;
	}
	/* LiteLLM logs cache_key "Cache OFF" (or nothing) when no cache was consulted. */
	int k = r[R_CACHE_KEY];
	if (k >= 0 && pj_is_string(d, k) && pj_tok_len(d, k) > 0 &&
	    !pj_tok_eq(d, k, "Cache OFF", 9))
		ev->cache = TT_CACHE_MISS;
	return 0;
}

/* The deployment model, without a leading "provider/"; fills an empty provider from it. */
static int model_apply(pj_ctx *c, const pj_doc *d, int i, tt_event *ev)
{
	char buf[TT_MODEL_CAP + TT_NAME_CAP];
	if (i < 0 || pj_is_null(d, i))
		return 0;
	if (pj_get_name(c, d, i, "model", buf, sizeof buf) < 0)
		return -1;
	const char *m = buf;
	size_t plen = strlen(ev->provider);
	char *slash = strchr(buf, '/');
	if (plen && strncmp(buf, ev->provider, plen) == 0 && buf[plen] == '/') {
		m = buf + plen + 1;
	} else if (!plen && slash && (size_t)(slash - buf) < sizeof ev->provider && slash > buf) {
		memcpy(ev->provider, buf, (size_t)(slash - buf));
		ev->provider[slash - buf] = 0;
		m = slash + 1;
	}
	pj_set_name(c, ev->model, sizeof ev->model, m, strlen(m), "model");
	return 0;
}

static int usage_apply(pj_ctx *c, const pj_doc *d, int i, tt_event *ev)
{
	if (i < 0 || pj_is_null(d, i))
		return 0;
	char ex[48];
	if (d->t[i].type != JSMN_OBJECT) {
		pj_excerpt(d, i, ex, sizeof ex);
		return pj_fail(c, "metadata.additional_usage_values: not an object (%s)", ex);
	}
	int64_t a = 0, b = 0;
	int k = pj_find(d, i, "cache_read_input_tokens");
	if (k >= 0 &&
	    pj_get_count(c, d, k, "metadata.additional_usage_values.cache_read_input_tokens", false,
	                 &a) < 0)
		return -1;
	k = pj_find(d, i, "prompt_tokens_details");
	if (k >= 0 && d->t[k].type == JSMN_OBJECT) {
		int j = pj_find(d, k, "cached_tokens");
		if (j >= 0 && pj_get_count(c, d, j,
		                           "metadata.additional_usage_values.prompt_tokens_details."
		                           "cached_tokens",
		                           false, &b) < 0)
			return -1;
	}
	ev->cached_tokens = a > b ? a : b;
	return 0;
}

/* /spend/logs with summarize=true (LiteLLM's default when dates are given) answers one total a
 * day, [{startTime, spend, models: {..}, users: {..}}], which has no request to store. */
static bool summarized(const pj_doc *d, int obj)
{
	int models = pj_find(d, obj, "models"), users = pj_find(d, obj, "users");
	return pj_find(d, obj, "startTime") >= 0 && pj_find(d, obj, "spend") >= 0 &&
	       ((models >= 0 && d->t[models].type == JSMN_OBJECT) ||
	        (users >= 0 && d->t[users].type == JSMN_OBJECT));
}

/* A time as SpendLogs writes it (ISO 8601 text) or as StandardLoggingPayload may (Unix seconds,
 * a number). */
static int lite_time(pj_ctx *c, const pj_doc *d, int i, const char *field, int64_t *out)
{
	if (d->t[i].type != JSMN_PRIMITIVE || pj_is_null(d, i))
		return pj_get_time(c, d, i, field, out);
	char buf[40], ex[48], *end;
	size_t n = pj_tok_len(d, i);
	double x = 0;
	if (n < sizeof buf) {
		memcpy(buf, pj_tok_ptr(d, i), n);
		buf[n] = 0;
		x = strtod(buf, &end);
	}
	/* from 1970 to the year 9999, as time_parse_iso takes */
	if (n >= sizeof buf || *end || !(x >= 0 && x < 253402300800.0)) {
		pj_excerpt(d, i, ex, sizeof ex);
		return pj_fail(c, "%s: not a time (%s)", field, ex);
	}
	*out = (int64_t)(x * 1000.0);
	return 0;
}

static int row_parse(pj_ctx *c, const pj_doc *d, int obj, tt_event *ev)
{
	int r[R_COUNT], m[M_COUNT];
	char group[TT_MODEL_CAP], ex[48];
	event_init(ev);
	if (d->t[obj].type != JSMN_OBJECT)
		return pj_fail(c, "expected an object");
	if (pj_collect(c, d, obj, row_keys, R_COUNT, r, "") < 0)
		return -1;

	int i = r[R_REQUEST_ID];
	bool slp = (i < 0 || pj_is_null(d, i)) && r[R_ID] >= 0 && !pj_is_null(d, r[R_ID]);
	if (slp)
		i = r[R_ID]; /* a StandardLoggingPayload */
	if ((i < 0 || pj_is_null(d, i)) && summarized(d, obj))
		return pj_fail(c, "a summarized /spend/logs answer, daily totals without rows: ask "
		                  "/spend/logs?summarize=false&start_date=...&end_date=... or "
		                  "/spend/logs/ui for the rows");
	if (i < 0 || pj_is_null(d, i))
		return pj_fail(c, "request_id: missing");
	const char *idf = slp ? "id" : "request_id";
	if (pj_get_str(c, d, i, idf, ev->request_id, sizeof ev->request_id) < 0)
		return -1;
	if (!ev->request_id[0])
		return pj_fail(c, "%s: empty", idf);
	i = r[R_START];
	if (i < 0 || pj_is_null(d, i))
		return pj_fail(c, "startTime: missing");
	if (lite_time(c, d, i, "startTime", &ev->ts_ms) < 0)
		return -1;

	/* metadata: an object, or a JSON string holding one */
	pj_doc md;
	const pj_doc *mdp = d;
	int mobj = r[R_METADATA];
	for (int k = 0; k < M_COUNT; k++)
		m[k] = -1;
	if (mobj >= 0 && pj_is_string(d, mobj)) {
		if (pj_tok_len(d, mobj) == 0) {
			mobj = -1;
		} else {
			if (pj_parse_inner(c, PJ_SLOT_INNER1, d, mobj, "metadata", &md) < 0)
				return -1;
			mdp = &md;
			mobj = 0;
		}
	}
	if (mobj >= 0 && !pj_is_null(mdp, mobj)) {
		if (mdp->t[mobj].type != JSMN_OBJECT) {
			pj_excerpt(mdp, mobj, ex, sizeof ex);
			return pj_fail(c, "metadata: not an object (%s)", ex);
		}
		if (pj_collect(c, mdp, mobj, meta_keys, M_COUNT, m, "metadata.") < 0)
			return -1;
	}

	/* dimensions: request tags, then spend_logs_metadata, then LiteLLM's own fields */
	if (tags_apply(c, d, r[R_TAGS], ev) < 0 || custom_apply(c, mdp, m[M_CUSTOM], ev) < 0)
		return -1;
	if (!ev->team[0] && m[M_TEAM_ALIAS] >= 0 &&
	    pj_get_name(c, mdp, m[M_TEAM_ALIAS], "metadata.user_api_key_team_alias", ev->team,
	                sizeof ev->team) < 0)
		return -1;
	if (!ev->team[0] && r[R_TEAM_ID] >= 0 &&
	    pj_get_name(c, d, r[R_TEAM_ID], "team_id", ev->team, sizeof ev->team) < 0)
		return -1;
	if (!ev->tenant[0] && r[R_END_USER] >= 0 &&
	    pj_get_name(c, d, r[R_END_USER], "end_user", ev->tenant, sizeof ev->tenant) < 0)
		return -1;

	if (r[R_PROVIDER] >= 0 && pj_get_name(c, d, r[R_PROVIDER], "custom_llm_provider",
	                                      ev->provider, sizeof ev->provider) < 0)
		return -1;
	if (model_apply(c, d, r[R_MODEL], ev) < 0)
		return -1;
	group[0] = 0;
	if (r[R_MODEL_GROUP] >= 0 &&
	    pj_get_name(c, d, r[R_MODEL_GROUP], "model_group", group, sizeof group) < 0)
		return -1;
	if (!ev->model[0])
		strcpy(ev->model, group);
	if (!ev->use_case[0])
		pj_set_name(c, ev->use_case, sizeof ev->use_case, group, strlen(group),
		            "model_group (as use_case)");

	if (r[R_PROMPT] >= 0 &&
	    pj_get_count(c, d, r[R_PROMPT], "prompt_tokens", false, &ev->input_tokens) < 0)
		return -1;
	if (r[R_COMPLETION] >= 0 &&
	    pj_get_count(c, d, r[R_COMPLETION], "completion_tokens", false, &ev->output_tokens) < 0)
		return -1;
	if (usage_apply(c, mdp, m[M_USAGE], ev) < 0)
		return -1;
	if (ev->cached_tokens > ev->input_tokens)
		return pj_fail(c, "cached_tokens: greater than prompt_tokens (%lld > %lld)",
		               (long long)ev->cached_tokens, (long long)ev->input_tokens);

	int spend = r[R_SPEND] >= 0 ? r[R_SPEND] : r[R_RESPONSE_COST];
	if (spend >= 0) {
		int rc = pj_get_usd(c, d, spend, r[R_SPEND] >= 0 ? "spend" : "response_cost",
		                    &ev->cost_nanos);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			ev->has_cost = true;
			ev->cost_source = TT_COST_GATEWAY;
		}
	}

	/* Latency: request_duration_ms, else endTime - startTime. LiteLLM writes a failure with
	 * endTime = startTime and a non-streamed call with completionStartTime = endTime: neither
	 * was measured, so a zero or negative span and a first token at the very end stay unknown
	 * (never 0 ms, never the whole latency as a TTFT). */
	if (r[R_DURATION] >= 0 &&
	    pj_get_count(c, d, r[R_DURATION], "request_duration_ms", false, &ev->latency_ms) < 0)
		return -1;
	int64_t end = INT64_MIN, t = 0;
	if (r[R_END] >= 0) {
		int rc = lite_time(c, d, r[R_END], "endTime", &t);
		if (rc < 0)
			return -1;
		if (rc == 0)
			end = t;
		if (rc == 0 && ev->latency_ms < 0 && t > ev->ts_ms && t - ev->ts_ms <= TT_COUNT_MAX)
			ev->latency_ms = t - ev->ts_ms;
	}
	if (r[R_COMPLETION_START] >= 0) {
		int rc = lite_time(c, d, r[R_COMPLETION_START], "completionStartTime", &t);
		if (rc < 0)
			return -1;
		if (rc == 0 && t > ev->ts_ms && t != end && t - ev->ts_ms <= TT_COUNT_MAX)
			ev->ttft_ms = t - ev->ts_ms;
	}

	if (cache_apply(c, d, r, ev) < 0)
		return -1;

	int ok = success_flag(c, d, r[R_STATUS], "status");
	if (ok == -2)
		ok = success_flag(c, mdp, m[M_STATUS], "metadata.status");
	if (ok == -3) {
		ev->status = TT_STATUS_OTHER;
		return 0;
	}
	int info = m[M_ERROR];
	const pj_doc *idp = mdp;
	if (info < 0 && r[R_ERROR_INFO] >= 0) {
		info = r[R_ERROR_INFO];
		idp = d;
	}
	if (info >= 0 && !pj_is_null(idp, info) && idp->t[info].type != JSMN_OBJECT) {
		pj_note(c, idp == mdp ? "metadata.error_information: not an object, ignored"
		                      : "error_information: not an object, ignored");
		info = -1;
	}
	if (ok == -2)
		ok = info >= 0 && idp->t[info].type == JSMN_OBJECT && idp->t[info].size > 0 ? 0 : 1;
	if (!ok)
		ev->status = error_status(idp, info);
	return 0;
}

int parse_litellm_doc(pj_ctx *c, const pj_doc *d)
{
	tt_event ev;
	int arr = -1;
	if (d->t[0].type == JSMN_ARRAY) {
		arr = 0;
	} else if (d->t[0].type == JSMN_OBJECT) {
		int data = pj_find(d, 0, "data");
		if (data >= 0 && pj_find(d, 0, "request_id") < 0) {
			if (d->t[data].type != JSMN_ARRAY) {
				pj_reject(c, -1, "data: not an array");
				return -1;
			}
			arr = data;
		}
	} else {
		pj_reject(c, -1, "expected a JSON object or array");
		return -1;
	}
	if (arr < 0) {
		if (row_parse(c, d, 0, &ev) < 0) {
			pj_reject(c, -1, c->err);
			return -1;
		}
		pj_emit(c, &ev);
		return 1;
	}
	int n = d->t[arr].size, emitted = 0, i = arr + 1;
	for (int k = 0; k < n && i < d->n; k++, i = pj_skip(d, i)) {
		if (c->sink && c->sink->row)
			c->sink->row(c->sink->ctx, k, d->js + d->t[i].start,
			             (size_t)(d->t[i].end - d->t[i].start));
		if (row_parse(c, d, i, &ev) < 0) {
			pj_reject(c, k, c->err);
			continue;
		}
		pj_emit(c, &ev);
		emitted++;
	}
	return emitted;
}
