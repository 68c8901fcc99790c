/* The action table, parsing and validating a request, and its v1 control request body. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "action_internal.h"
#include "tokentop/timeutil.h"

#define B(x) ACTION_BIT(x)
#define V1_SCOPE                                                                                   \
	(B(ACTION_SCOPE_GATEWAY) | B(ACTION_SCOPE_TENANT) | B(ACTION_SCOPE_TEAM) |                 \
	 B(ACTION_SCOPE_USE_CASE) | B(ACTION_SCOPE_PROVIDER) | B(ACTION_SCOPE_MODEL) |             \
	 B(ACTION_SCOPE_TOOL))

/* The runbook. Everything that offers an action (CLI, keys, palette, help) reads this, and
 * so does policy: an action missing here cannot be run from anywhere. */
const action_def action_table[] = {
    {"kill-switch", "kill_switch", 'K', "K",
     "refuse every request in scope (status killed, zero cost) until lifted or expired",
     ACTION_DANGEROUS | ACTION_CONFIRM | ACTION_AUDITED | ACTION_EXPIRES, ROLE_OPERATOR, V1_SCOPE,
     false, 0, 0, 0},
    {"throttle", "throttle", 'T', "T",
     "cap requests a second and/or tokens a minute in scope; the excess is refused",
     ACTION_AUDITED | ACTION_EXPIRES, ROLE_OPERATOR, V1_SCOPE, false,
     B(ACTION_P_RPS) | B(ACTION_P_TPM), 0, B(ACTION_P_RPS) | B(ACTION_P_TPM)},
    {"cache-ttl", "cache_ttl", 'C', "C",
     "keep cached answers in scope longer, so more requests are served from the cache",
     ACTION_AUDITED | ACTION_EXPIRES, ROLE_OPERATOR, V1_SCOPE, false, B(ACTION_P_TTL),
     B(ACTION_P_TTL), 0},
    {"reroute", "reroute", 'R', "R",
     "send a route's new requests to other targets by weight (away from a failing provider)",
     ACTION_DANGEROUS | ACTION_CONFIRM | ACTION_AUDITED | ACTION_EXPIRES, ROLE_ADMIN,
     B(ACTION_SCOPE_USE_CASE), true, B(ACTION_P_TARGETS) | B(ACTION_P_WEIGHT), B(ACTION_P_TARGETS),
     0},
    {"degrade", "degrade", 'D', "D",
     "send a route's requests above a tier (or every request) to a smaller model tier",
     ACTION_DANGEROUS | ACTION_AUDITED | ACTION_EXPIRES, ROLE_OPERATOR, B(ACTION_SCOPE_USE_CASE),
     true, B(ACTION_P_TIER), 0, 0},
    {"disable-tool", "disable_tool", 'X', "X", "stop offering a tool to the model in scope",
     ACTION_AUDITED | ACTION_EXPIRES, ROLE_OPERATOR, V1_SCOPE, false, B(ACTION_P_TOOL),
     B(ACTION_P_TOOL), 0},
    {"lift", NULL, 'L', "L", "lift a control (rollback): requests behave as before it",
     ACTION_AUDITED, ROLE_OPERATOR, 0, false, B(ACTION_P_ID), B(ACTION_P_ID), 0},
};
const size_t action_count = sizeof action_table / sizeof action_table[0];

const action_param_def action_params[ACTION_P_COUNT] = {
    [ACTION_P_RPS] = {"rps", "N", "requests a second, above 0 (LiteLLM: rpm_limit = N x 60)"},
    [ACTION_P_TPM] = {"tpm", "N", "tokens a minute, a whole number above 0"},
    [ACTION_P_TTL] = {"ttl", "S", "cache TTL in seconds, or a duration such as 1h (up to 365d)"},
    [ACTION_P_TARGETS] = {"targets", "P/M[@TIER]=W,...",
                          "new targets of the route: provider/model, optional tier, weight"},
    [ACTION_P_TIER] = {"tier", "T", "tiny, good, better or best"},
    [ACTION_P_TOOL] = {"tool", "NAME", "the tool to disable"},
    [ACTION_P_ID] = {"id", "CONTROL_ID", "the control to lift (tokentop action list shows ids)"},
    [ACTION_P_WEIGHT] = {"weight", "W",
                         "LiteLLM: the deployment's routing weight, a whole number above 0"},
};

/* Value caps follow the v1 API (docs/api.md); a LiteLLM key may be a 64-byte hash or more. */
static const struct {
	const char *name;
	size_t cap;
} scope_keys[ACTION_SCOPE_COUNT] = {
    [ACTION_SCOPE_GATEWAY] = {"gateway", 64},   [ACTION_SCOPE_TENANT] = {"tenant", 64},
    [ACTION_SCOPE_TEAM] = {"team", 64},         [ACTION_SCOPE_USE_CASE] = {"use_case", 64},
    [ACTION_SCOPE_PROVIDER] = {"provider", 64}, [ACTION_SCOPE_MODEL] = {"model", 96},
    [ACTION_SCOPE_TOOL] = {"tool", 64},         [ACTION_SCOPE_KEY] = {"key", ACTION_VALUE_CAP},
};

static const char *const tiers[] = {"tiny", "good", "better", "best", NULL};

const char *action_scope_key_name(action_scope_key k)
{
	return k < ACTION_SCOPE_COUNT ? scope_keys[k].name : NULL;
}

const action_def *action_find(const char *name)
{
	for (size_t i = 0; name && i < action_count; i++)
		if (strcmp(action_table[i].name, name) == 0 ||
		    (action_table[i].kind && strcmp(action_table[i].kind, name) == 0))
			return &action_table[i];
	return NULL;
}

int action_param_find(const char *name)
{
	for (int i = 0; name && i < ACTION_P_COUNT; i++)
		if (strcmp(action_params[i].name, name) == 0)
			return i;
	return -1;
}

void action_req_init(action_req *r, const action_def *def)
{
	memset(r, 0, sizeof *r);
	r->def = def;
}

static bool has_control_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* 1 to cap-1 bytes, no control characters. */
static int take_text(const char *what, const char *v, size_t n, char *dst, size_t cap, char *err,
                     size_t errlen)
{
	if (n == 0 || n >= cap) {
		snprintf(err, errlen, "%s: give 1 to %zu bytes", what, cap - 1);
		return -1;
	}
	if (has_control_chars(v, n)) {
		snprintf(err, errlen, "%s: control characters are not allowed", what);
		return -1;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static void list_scope_keys(unsigned mask, char *buf, size_t cap)
{
	buf[0] = 0;
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (mask & B(k)) {
			size_t n = strlen(buf);
			snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", scope_keys[k].name);
		}
}

int action_scope_parse(action_req *r, const char *kv, char *err, size_t errlen)
{
	const char *p = kv;
	if (!*p) {
		snprintf(err, errlen, "--scope: expected KEY=VALUE, e.g. use_case=support-bot");
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p) {
			snprintf(err, errlen, "--scope: expected KEY=VALUE, got '%.*s'", (int)n, p);
			return -1;
		}
		size_t klen = (size_t)(eq - p);
		int k = -1;
		for (int i = 0; i < ACTION_SCOPE_COUNT; i++)
			if (strlen(scope_keys[i].name) == klen &&
			    memcmp(scope_keys[i].name, p, klen) == 0)
				k = i;
		if (k < 0) {
			char known[160];
			list_scope_keys(~0u, known, sizeof known);
			snprintf(err, errlen, "--scope: unknown key '%.*s'; the keys are %s",
			         (int)klen, p, known);
			return -1;
		}
		if (r->scope[k][0]) {
			snprintf(err, errlen, "--scope: %s is given twice", scope_keys[k].name);
			return -1;
		}
		char what[64];
		snprintf(what, sizeof what, "--scope %s", scope_keys[k].name);
		if (take_text(what, eq + 1, n - klen - 1, r->scope[k], scope_keys[k].cap, err,
		              errlen))
			return -1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* A whole number in [lo, hi]. */
static int parse_whole(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	char *end;
	long long x = strtoll(v, &end, 10);
	if (*end || errno || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int parse_targets(action_req *r, const char *v, char *err, size_t errlen)
{
	const char *p = v;
	r->ntargets = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char item[256];
		if (n == 0 || n >= sizeof item || r->ntargets == ACTION_TARGETS_MAX) {
			snprintf(
			    err, errlen,
			    "--targets: expected 1 to %d of provider/model[@tier]=weight separated "
			    "by commas",
			    ACTION_TARGETS_MAX);
			return -1;
		}
		memcpy(item, p, n);
		item[n] = 0;
		action_target *t = &r->targets[r->ntargets];
		memset(t, 0, sizeof *t);
		t->weight = 1;
		char *eq = strrchr(item, '=');
		if (eq) {
			*eq = 0;
			if (parse_whole(eq + 1, 1, 1000000, &t->weight)) {
				snprintf(
				    err, errlen,
				    "--targets: '%s': the weight must be a whole number from 1 to "
				    "1000000",
				    eq + 1);
				return -1;
			}
		}
		char *at = strchr(item, '@');
		if (at) {
			*at = 0;
			int ok = 0;
			for (int i = 0; tiers[i]; i++)
				ok |= strcmp(at + 1, tiers[i]) == 0;
			if (!ok) {
				snprintf(err, errlen,
				         "--targets: tier '%s' is not tiny, good, better or best",
				         at + 1);
				return -1;
			}
			snprintf(t->tier, sizeof t->tier, "%s", at + 1);
		}
		char *slash = strchr(item, '/');
		if (!slash || slash == item || !slash[1]) {
			snprintf(err, errlen, "--targets: '%s' is not provider/model", item);
			return -1;
		}
		*slash = 0;
		if (take_text("--targets provider", item, strlen(item), t->provider,
		              sizeof t->provider, err, errlen) ||
		    take_text("--targets model", slash + 1, strlen(slash + 1), t->model,
		              sizeof t->model, err, errlen))
			return -1;
		r->ntargets++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!r->ntargets) {
		snprintf(err, errlen, "--targets: give at least one provider/model=weight");
		return -1;
	}
	return 0;
}

/* One setter per parameter: checks the text and fills its field. */
typedef int (*param_set_fn)(action_req *r, const char *v, char *err, size_t errlen);

static int set_rps(action_req *r, const char *v, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(x) || !(x > 0) || x > 1e6) {
		snprintf(err, errlen, "--rps: '%s' is not a number above 0 and at most 1000000", v);
		return -1;
	}
	r->rps = x;
	return 0;
}

static int set_tpm(action_req *r, const char *v, char *err, size_t errlen)
{
	if (parse_whole(v, 1, 1000000000000LL, &r->tpm)) {
		snprintf(err, errlen, "--tpm: '%s' is not a whole number of tokens from 1 to 10^12",
		         v);
		return -1;
	}
	return 0;
}

static int set_ttl(action_req *r, const char *v, char *err, size_t errlen)
{
	int64_t ms;
	if (parse_whole(v, 1, 31536000, &r->ttl_s) == 0)
		return 0;
	if (time_parse_duration(v, &ms) || ms % 1000 || ms < 1000 || ms > 31536000LL * 1000) {
		snprintf(err, errlen,
		         "--ttl: '%s' is not seconds (1 to 31536000) or a duration such as 1h", v);
		return -1;
	}
	r->ttl_s = ms / 1000;
	return 0;
}

static int set_tier(action_req *r, const char *v, char *err, size_t errlen)
{
	for (int i = 0; tiers[i]; i++)
		if (strcmp(v, tiers[i]) == 0) {
			snprintf(r->tier, sizeof r->tier, "%s", v);
			return 0;
		}
	snprintf(err, errlen, "--tier: '%s' is not tiny, good, better or best", v);
	return -1;
}

static int set_tool(action_req *r, const char *v, char *err, size_t errlen)
{
	return take_text("--tool", v, strlen(v), r->tool, 64, err, errlen);
}

static int set_id(action_req *r, const char *v, char *err, size_t errlen)
{
	return take_text("--id", v, strlen(v), r->id, sizeof r->id, err, errlen);
}

static int set_weight(action_req *r, const char *v, char *err, size_t errlen)
{
	if (parse_whole(v, 1, 1000000, &r->weight)) {
		snprintf(err, errlen, "--weight: '%s' is not a whole number from 1 to 1000000", v);
		return -1;
	}
	return 0;
}

static const param_set_fn param_setters[ACTION_P_COUNT] = {
    [ACTION_P_RPS] = set_rps,   [ACTION_P_TPM] = set_tpm,
    [ACTION_P_TTL] = set_ttl,   [ACTION_P_TARGETS] = parse_targets,
    [ACTION_P_TIER] = set_tier, [ACTION_P_TOOL] = set_tool,
    [ACTION_P_ID] = set_id,     [ACTION_P_WEIGHT] = set_weight,
};

int action_param_set(action_req *r, action_param p, const char *v, char *err, size_t errlen)
{
	if (p >= ACTION_P_COUNT) {
		snprintf(err, errlen, "no such parameter");
		return -1;
	}
	if (r->given & B(p)) {
		snprintf(err, errlen, "--%s is given twice", action_params[p].name);
		return -1;
	}
	if (param_setters[p](r, v, err, errlen))
		return -1;
	r->given |= B(p);
	return 0;
}

int action_parse_expires(const char *s, int64_t now_ms, int64_t *out_ms, char *err, size_t errlen)
{
	int64_t d, t;
	if (time_parse_duration(s, &d) == 0) {
		*out_ms = now_ms + d;
		return 0;
	}
	if (time_parse_iso(s, strlen(s), &t) == 0) {
		if (t <= now_ms) {
			snprintf(err, errlen, "--expires: %s is already past", s);
			return -1;
		}
		*out_ms = t;
		return 0;
	}
	snprintf(err, errlen,
	         "--expires: '%s' is neither a duration (30m, 2h, 1d) nor an ISO 8601 time", s);
	return -1;
}

static void list_params(unsigned mask, const char *sep, char *buf, size_t cap)
{
	buf[0] = 0;
	for (int p = 0; p < ACTION_P_COUNT; p++)
		if (mask & B(p)) {
			size_t n = strlen(buf);
			snprintf(buf + n, cap - n, "%s--%s", n ? sep : "", action_params[p].name);
		}
}

static unsigned scope_mask(const action_req *r)
{
	unsigned m = 0;
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0])
			m |= B(k);
	return m;
}

/* What every dialect checks: reason, actor, expiry. */
static int validate_common(const action_req *r, char *err, size_t errlen)
{
	if (!r->def) {
		snprintf(err, errlen, "no action");
		return -1;
	}
	size_t n = strlen(r->reason);
	if (n == 0) {
		snprintf(err, errlen,
		         "a reason is required (--reason TEXT): it goes to the gateway and the "
		         "audit log");
		return -1;
	}
	if (has_control_chars(r->reason, n)) {
		snprintf(err, errlen, "--reason: control characters are not allowed");
		return -1;
	}
	if (!r->actor[0]) {
		snprintf(err, errlen, "no actor: the user name could not be found");
		return -1;
	}
	if (r->expires_ms && !(r->def->flags & ACTION_EXPIRES)) {
		snprintf(err, errlen, "%s takes no --expires", r->def->name);
		return -1;
	}
	return 0;
}

int action_validate(const action_req *r, action_dialect d, char *err, size_t errlen)
{
	if (validate_common(r, err, errlen))
		return -1;
	if (d == ACTION_DIALECT_LITELLM)
		return action_litellm_validate(r, err, errlen);
	const action_def *a = r->def;
	unsigned scope = scope_mask(r);
	char known[200];
	if (scope & ~a->scope_keys) {
		for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
			if ((scope & B(k)) && !(a->scope_keys & B(k))) {
				if (!a->scope_keys)
					snprintf(err, errlen,
					         "%s takes no --scope (it names a control by --id)",
					         a->name);
				else if (k == ACTION_SCOPE_KEY)
					snprintf(err, errlen,
					         "--scope key= names a LiteLLM virtual key; this "
					         "gateway speaks "
					         "the tokentop dialect");
				else {
					list_scope_keys(a->scope_keys, known, sizeof known);
					snprintf(err, errlen,
					         "%s: the scope may not name %s; it may name %s",
					         a->name, scope_keys[k].name, known);
				}
				return -1;
			}
	}
	if (a->scope_keys && !scope) {
		list_scope_keys(a->scope_keys, known, sizeof known);
		snprintf(err, errlen,
		         "%s needs --scope KEY=VALUE (a control on everything is not one request "
		         "away); KEY is one of %s",
		         a->name, known);
		return -1;
	}
	if (a->route_scoped && scope != B(ACTION_SCOPE_USE_CASE)) {
		snprintf(err, errlen, "%s acts on a route: give exactly --scope use_case=ROUTE",
		         a->name);
		return -1;
	}
	unsigned v1_params = a->params & ~B(ACTION_P_WEIGHT);
	if (r->given & ~v1_params) {
		for (int p = 0; p < ACTION_P_COUNT; p++)
			if ((r->given & B(p)) && !(v1_params & B(p))) {
				list_params(v1_params, ", ", known, sizeof known);
				if (p == ACTION_P_WEIGHT)
					snprintf(err, errlen,
					         "--weight is for LiteLLM deployments; a tokentop "
					         "gateway "
					         "takes --targets provider/model=weight");
				else
					snprintf(err, errlen, "%s takes no --%s%s%s", a->name,
					         action_params[p].name, *known ? "; it takes " : "",
					         known);
				return -1;
			}
	}
	if ((r->given & a->required) != a->required) {
		list_params(a->required & ~r->given, " and ", known, sizeof known);
		snprintf(err, errlen, "%s needs %s", a->name, known);
		return -1;
	}
	if (a->one_of && !(r->given & a->one_of)) {
		list_params(a->one_of, " and/or ", known, sizeof known);
		snprintf(err, errlen, "%s needs %s", a->name, known);
		return -1;
	}
	return 0;
}

void action_scope_format(const action_req *r, char *buf, size_t cap)
{
	buf[0] = 0;
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0]) {
			size_t n = strlen(buf);
			snprintf(buf + n, cap - n, "%s%s=%s", n ? "," : "", scope_keys[k].name,
			         r->scope[k]);
		}
}

void action_confirm_word(const action_req *r, const char *gateway_name, char *buf, size_t cap)
{
	buf[0] = 0;
	if (r->def && !r->def->kind) {
		snprintf(buf, cap, "%s", r->id);
		return;
	}
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0]) {
			size_t n = strlen(buf);
			snprintf(buf + n, cap - n, "%s%s", n ? "," : "", r->scope[k]);
		}
	if (!buf[0])
		snprintf(buf, cap, "%s", gateway_name ? gateway_name : "");
}

bool action_needs_typed_confirm(const action_def *a, bool production)
{
	return production || (a && (a->flags & ACTION_CONFIRM));
}

char *action_params_json(const action_req *r)
{
	json_t *p = json_object();
	if (r->given & B(ACTION_P_RPS))
		json_object_set_new(p, "rps", json_real(r->rps));
	if (r->given & B(ACTION_P_TPM))
		json_object_set_new(p, "tokens_per_minute", json_integer(r->tpm));
	if (r->given & B(ACTION_P_TTL))
		json_object_set_new(p, "ttl_seconds", json_integer(r->ttl_s));
	if (r->given & B(ACTION_P_TARGETS)) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->ntargets; i++) {
			const action_target *t = &r->targets[i];
			json_t *o =
			    json_pack("{s:s, s:s}", "provider", t->provider, "model", t->model);
			if (t->tier[0])
				json_object_set_new(o, "tier", json_string(t->tier));
			json_object_set_new(o, "weight", json_integer(t->weight));
			json_array_append_new(a, o);
		}
		json_object_set_new(p, "targets", a);
	}
	if (r->given & B(ACTION_P_TIER))
		json_object_set_new(p, "tier", json_string(r->tier));
	if (r->given & B(ACTION_P_TOOL))
		json_object_set_new(p, "tool", json_string(r->tool));
	if (r->given & B(ACTION_P_ID))
		json_object_set_new(p, "id", json_string(r->id));
	if (r->given & B(ACTION_P_WEIGHT))
		json_object_set_new(p, "weight", json_integer(r->weight));
	char *s = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	return s;
}

void action_http_free(action_http *h)
{
	free(h->body);
	h->body = NULL;
}

int action_build_tokentop(const action_req *r, action_http *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!r->def->kind) {
		char esc[3 * ACTION_VALUE_CAP + 1];
		http_url_escape(r->id, esc, sizeof esc);
		snprintf(out->method, sizeof out->method, "DELETE");
		snprintf(out->path, sizeof out->path, "/v1/controls/%s", esc);
		return 0;
	}
	json_t *scope = json_object();
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0])
			json_object_set_new(scope, scope_keys[k].name, json_string(r->scope[k]));
	char *params = action_params_json(r);
	json_t *po = params ? json_loads(params, 0, NULL) : NULL;
	free(params);
	/* reroute's weight and lift's id are not v1 params; validation kept them out */
	json_t *expires = json_null();
	if (r->expires_ms) {
		char iso[32];
		time_format_iso(r->expires_ms, iso, sizeof iso);
		json_decref(expires);
		expires = json_string(iso);
	}
	json_t *body = json_pack("{s:s, s:o, s:o, s:s, s:s, s:o}", "kind", r->def->kind, "scope",
	                         scope, "params", po ? po : json_object(), "reason", r->reason,
	                         "actor", r->actor, "expires_at", expires);
	if (!body) {
		snprintf(err, errlen, "cannot build the request (out of memory or bad UTF-8)");
		return -1;
	}
	out->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!out->body) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(out->method, sizeof out->method, "POST");
	snprintf(out->path, sizeof out->path, "/v1/controls");
	return 0;
}
