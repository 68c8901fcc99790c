/* Controls: validating what POST /v1/controls sends, matching scopes, and changing events. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "tokentop/timeutil.h"

#define CACHE_RAMP_MS   300000 /* a raised TTL fills the cache over five minutes */
#define CACHE_HALF_TTL  600    /* seconds of TTL that give half the largest extra hit ratio */
#define CACHE_EXTRA_MAX 0.6
#define HEAL_KEEP       0.01 /* share of provider errors a reroute does not cure */

/* Scope keys and the event field each compares with; tool has none (never matches). */
static const struct {
	const char *name;
	size_t off;
	size_t cap;
} scope_keys[SCOPE_COUNT] = {
    [SCOPE_GATEWAY] = {"gateway", offsetof(tt_event, gateway), TT_NAME_CAP},
    [SCOPE_TENANT] = {"tenant", offsetof(tt_event, tenant), TT_NAME_CAP},
    [SCOPE_TEAM] = {"team", offsetof(tt_event, team), TT_NAME_CAP},
    [SCOPE_USE_CASE] = {"use_case", offsetof(tt_event, use_case), TT_NAME_CAP},
    [SCOPE_PROVIDER] = {"provider", offsetof(tt_event, provider), TT_NAME_CAP},
    [SCOPE_MODEL] = {"model", offsetof(tt_event, model), TT_MODEL_CAP},
    [SCOPE_TOOL] = {"tool", SIZE_MAX, TT_NAME_CAP},
};

typedef int (*params_fn)(sim_control *c, json_t *params, char *err, size_t errlen);
typedef void (*params_out_fn)(const sim_control *c, json_t *params);

static int params_none(sim_control *c, json_t *params, char *err, size_t errlen);
static int params_throttle(sim_control *c, json_t *params, char *err, size_t errlen);
static int params_cache_ttl(sim_control *c, json_t *params, char *err, size_t errlen);
static int params_reroute(sim_control *c, json_t *params, char *err, size_t errlen);
static int params_degrade(sim_control *c, json_t *params, char *err, size_t errlen);
static int params_disable_tool(sim_control *c, json_t *params, char *err, size_t errlen);

static void out_none(const sim_control *c, json_t *p)
{
	(void)c;
	(void)p;
}

static void out_throttle(const sim_control *c, json_t *p)
{
	if (c->rps > 0)
		json_object_set_new(p, "rps", json_real(c->rps));
	if (c->tokens_per_minute)
		json_object_set_new(p, "tokens_per_minute", json_integer(c->tokens_per_minute));
}

static void out_cache_ttl(const sim_control *c, json_t *p)
{
	json_object_set_new(p, "ttl_seconds", json_integer(c->ttl_s));
}

static void out_reroute(const sim_control *c, json_t *p)
{
	json_t *a = json_array();
	for (int i = 0; i < c->n_targets; i++) {
		const sim_target *t = &c->targets[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I}", "provider", t->provider,
		                                   "model", t->model, "tier", t->tier, "weight",
		                                   (json_int_t)t->weight));
	}
	json_object_set_new(p, "targets", a);
}

static void out_degrade(const sim_control *c, json_t *p)
{
	if (c->tier[0])
		json_object_set_new(p, "tier", json_string(c->tier));
}

static void out_disable_tool(const sim_control *c, json_t *p)
{
	json_object_set_new(p, "tool", json_string(c->tool));
}

static const struct {
	const char *name;
	params_fn parse;
	params_out_fn out;
	bool route_scoped; /* scope must be exactly {use_case} */
} kinds[CK_COUNT] = {
    [CK_KILL_SWITCH] = {"kill_switch", params_none, out_none, false},
    [CK_THROTTLE] = {"throttle", params_throttle, out_throttle, false},
    [CK_CACHE_TTL] = {"cache_ttl", params_cache_ttl, out_cache_ttl, false},
    [CK_REROUTE] = {"reroute", params_reroute, out_reroute, true},
    [CK_DEGRADE] = {"degrade", params_degrade, out_degrade, true},
    [CK_DISABLE_TOOL] = {"disable_tool", params_disable_tool, out_disable_tool, false},
};

static const char *const state_names[CTL_STATE_COUNT] = {"active", "expired", "lifted"};

const char *control_kind_name(control_kind k)
{
	return k < CK_COUNT ? kinds[k].name : NULL;
}

const char *control_state_name(control_state s)
{
	return s < CTL_STATE_COUNT ? state_names[s] : NULL;
}

/* A string of 1 to cap-1 bytes without control characters (jansson has checked UTF-8). */
static int take_str(json_t *v, const char *what, char *dst, size_t cap, char *err, size_t errlen)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t n = s ? json_string_length(v) : 0;
	if (!s || n == 0 || n >= cap) {
		snprintf(err, errlen, "%s: must be a string of 1 to %zu bytes", what, cap - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, errlen, "%s: control characters are not allowed", what);
			return -1;
		}
	memcpy(dst, s, n + 1);
	return 0;
}

/* Every key of o must be one of allowed (NULL-terminated). */
static int only_keys(json_t *o, const char *what, const char *const *allowed, char *err,
                     size_t errlen)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(key, *a) == 0;
		if (!ok) {
			snprintf(err, errlen, "%s%s: unknown key", what, key);
			return -1;
		}
	}
	return 0;
}

static int params_none(sim_control *c, json_t *params, char *err, size_t errlen)
{
	if (params && json_object_size(params)) {
		snprintf(err, errlen, "params: %s takes none", kinds[c->kind].name);
		return -1;
	}
	return 0;
}

static int params_throttle(sim_control *c, json_t *params, char *err, size_t errlen)
{
	static const char *const keys[] = {"rps", "tokens_per_minute", NULL};
	if (!params || only_keys(params, "params.", keys, err, errlen) == -1) {
		if (!params)
			snprintf(err, errlen,
			         "params: throttle needs rps and/or tokens_per_minute");
		return -1;
	}
	json_t *rps = json_object_get(params, "rps");
	json_t *tpm = json_object_get(params, "tokens_per_minute");
	if (rps && (!json_is_number(rps) || !(json_number_value(rps) > 0) ||
	            json_number_value(rps) > 1e6)) {
		snprintf(err, errlen, "params.rps: must be a number above 0 and at most 1000000");
		return -1;
	}
	if (tpm && (!json_is_integer(tpm) || json_integer_value(tpm) < 1 ||
	            json_integer_value(tpm) > 1000000000000LL)) {
		snprintf(err, errlen,
		         "params.tokens_per_minute: must be an integer from 1 to 10^12");
		return -1;
	}
	if (!rps && !tpm) {
		snprintf(err, errlen, "params: throttle needs rps and/or tokens_per_minute");
		return -1;
	}
	c->rps = rps ? json_number_value(rps) : 0;
	c->tokens_per_minute = tpm ? json_integer_value(tpm) : 0;
	return 0;
}

static int params_cache_ttl(sim_control *c, json_t *params, char *err, size_t errlen)
{
	static const char *const keys[] = {"ttl_seconds", NULL};
	json_t *ttl = params ? json_object_get(params, "ttl_seconds") : NULL;
	if (params && only_keys(params, "params.", keys, err, errlen))
		return -1;
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
	    json_integer_value(ttl) > 31536000) {
		snprintf(err, errlen, "params.ttl_seconds: must be an integer from 1 to 31536000");
		return -1;
	}
	c->ttl_s = json_integer_value(ttl);
	return 0;
}

static int params_reroute(sim_control *c, json_t *params, char *err, size_t errlen)
{
	static const char *const keys[] = {"targets", NULL};
	static const char *const tkeys[] = {"provider", "model", "tier", "weight", NULL};
	json_t *targets = params ? json_object_get(params, "targets") : NULL;
	if (params && only_keys(params, "params.", keys, err, errlen))
		return -1;
	if (!json_is_array(targets) || json_array_size(targets) < 1 ||
	    json_array_size(targets) > SIM_TARGETS_MAX) {
		snprintf(err, errlen, "params.targets: must be an array of 1 to %d targets",
		         SIM_TARGETS_MAX);
		return -1;
	}
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t)
	{
		char what[64], prefix[48];
		sim_target *d = &c->targets[i];
		snprintf(prefix, sizeof prefix, "params.targets[%zu].", i);
		if (!json_is_object(t)) {
			snprintf(err, errlen, "params.targets[%zu]: must be an object", i);
			return -1;
		}
		if (only_keys(t, prefix, tkeys, err, errlen))
			return -1;
		snprintf(what, sizeof what, "%sprovider", prefix);
		if (take_str(json_object_get(t, "provider"), what, d->provider, sizeof d->provider,
		             err, errlen))
			return -1;
		snprintf(what, sizeof what, "%smodel", prefix);
		if (take_str(json_object_get(t, "model"), what, d->model, sizeof d->model, err,
		             errlen))
			return -1;
		json_t *tier = json_object_get(t, "tier");
		snprintf(what, sizeof what, "%stier", prefix);
		if (tier && !json_is_null(tier) &&
		    take_str(tier, what, d->tier, sizeof d->tier, err, errlen))
			return -1;
		json_t *w = json_object_get(t, "weight");
		if (!w) {
			d->weight = 1;
		} else if (!json_is_integer(w) || json_integer_value(w) < 1 ||
		           json_integer_value(w) > 1000000) {
			snprintf(err, errlen, "%sweight: must be an integer from 1 to 1000000",
			         prefix);
			return -1;
		} else {
			d->weight = json_integer_value(w);
		}
		c->n_targets++;
	}
	return 0;
}

static int params_degrade(sim_control *c, json_t *params, char *err, size_t errlen)
{
	static const char *const keys[] = {"tier", NULL};
	if (!params)
		return 0;
	if (only_keys(params, "params.", keys, err, errlen))
		return -1;
	json_t *tier = json_object_get(params, "tier");
	if (!tier || json_is_null(tier))
		return 0;
	if (take_str(tier, "params.tier", c->tier, sizeof c->tier, err, errlen))
		return -1;
	if (tier_rank(c->tier) < 0) {
		snprintf(err, errlen, "params.tier: must be tiny, good, better or best");
		return -1;
	}
	return 0;
}

static int params_disable_tool(sim_control *c, json_t *params, char *err, size_t errlen)
{
	static const char *const keys[] = {"tool", NULL};
	if (params && only_keys(params, "params.", keys, err, errlen))
		return -1;
	return take_str(params ? json_object_get(params, "tool") : NULL, "params.tool", c->tool,
	                sizeof c->tool, err, errlen);
}

static int parse_scope(sim_control *c, json_t *scope, char *err, size_t errlen)
{
	if (!json_is_object(scope) || json_object_size(scope) == 0) {
		snprintf(err, errlen,
		         "scope: must name at least one of gateway, tenant, team, use_case, "
		         "provider, model, tool");
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach(scope, key, v)
	{
		int k = -1;
		for (int i = 0; i < SCOPE_COUNT; i++)
			if (strcmp(key, scope_keys[i].name) == 0)
				k = i;
		char what[96];
		snprintf(what, sizeof what, "scope.%.60s", key);
		if (k < 0) {
			snprintf(err, errlen, "%s: unknown key", what);
			return -1;
		}
		if (take_str(v, what, c->scope[k], scope_keys[k].cap, err, errlen))
			return -1;
	}
	if (kinds[c->kind].route_scoped &&
	    (json_object_size(scope) != 1 || !c->scope[SCOPE_USE_CASE][0])) {
		snprintf(err, errlen, "scope: %s applies to a route: give exactly {\"use_case\"}",
		         kinds[c->kind].name);
		return -1;
	}
	return 0;
}

static int parse_body(sim_control *c, json_t *root, int64_t now_ms, char *err, size_t errlen)
{
	static const char *const keys[] = {"kind",  "scope",      "params", "reason",
	                                   "actor", "expires_at", NULL};
	if (!json_is_object(root)) {
		snprintf(err, errlen, "body: must be a JSON object");
		return -1;
	}
	if (only_keys(root, "", keys, err, errlen))
		return -1;
	json_t *kind = json_object_get(root, "kind");
	int k = -1;
	for (int i = 0; json_is_string(kind) && i < CK_COUNT; i++)
		if (strcmp(json_string_value(kind), kinds[i].name) == 0)
			k = i;
	if (k < 0) {
		snprintf(err, errlen,
		         "kind: must be kill_switch, throttle, cache_ttl, reroute, degrade or "
		         "disable_tool");
		return -1;
	}
	c->kind = (control_kind)k;
	if (parse_scope(c, json_object_get(root, "scope"), err, errlen))
		return -1;
	json_t *params = json_object_get(root, "params");
	if (params && json_is_null(params))
		params = NULL;
	if (params && !json_is_object(params)) {
		snprintf(err, errlen, "params: must be an object");
		return -1;
	}
	if (kinds[k].parse(c, params, err, errlen))
		return -1;
	if (take_str(json_object_get(root, "reason"), "reason", c->reason, sizeof c->reason, err,
	             errlen) ||
	    take_str(json_object_get(root, "actor"), "actor", c->actor, sizeof c->actor, err,
	             errlen))
		return -1;
	json_t *exp = json_object_get(root, "expires_at");
	if (exp && !json_is_null(exp)) {
		int64_t t;
		if (!json_is_string(exp) ||
		    time_parse_iso(json_string_value(exp), json_string_length(exp), &t)) {
			snprintf(err, errlen, "expires_at: must be an ISO 8601 time or null");
			return -1;
		}
		if (t <= now_ms) {
			snprintf(err, errlen, "expires_at: already past");
			return -1;
		}
		c->expires_ms = t;
	}
	c->created_ms = now_ms;
	return 0;
}

sim_control *sim_control_parse(const char *body, size_t len, int64_t now_ms, char *err,
                               size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "body: not JSON (%s at byte %d)", jerr.text, jerr.position);
		return NULL;
	}
	sim_control *c = calloc(1, sizeof *c);
	if (c && parse_body(c, root, now_ms, err, errlen)) {
		free(c);
		c = NULL;
	} else if (!c) {
		snprintf(err, errlen, "out of memory");
	}
	json_decref(root);
	return c;
}

void sim_control_free(sim_control *c)
{
	free(c);
}

bool sim_control_matches(const sim_control *c, const tt_event *ev)
{
	for (int i = 0; i < SCOPE_COUNT; i++) {
		if (!c->scope[i][0])
			continue;
		if (scope_keys[i].off == SIZE_MAX)
			return false;
		if (strcmp((const char *)ev + scope_keys[i].off, c->scope[i]) != 0)
			return false;
	}
	return true;
}

bool control_active_at(const sim_control *c, int64_t ts_ms)
{
	if (c->state == CTL_LIFTED || ts_ms < c->created_ms)
		return false;
	return c->expires_ms == 0 || ts_ms < c->expires_ms;
}

static json_t *iso_or_null(int64_t ms)
{
	char buf[32];
	if (!ms)
		return json_null();
	time_format_iso(ms, buf, sizeof buf);
	return json_string(buf);
}

json_t *control_json(const sim_control *c)
{
	json_t *params = json_object();
	kinds[c->kind].out(c, params);
	json_t *scope = json_object();
	for (int i = 0; i < SCOPE_COUNT; i++)
		if (c->scope[i][0])
			json_object_set_new(scope, scope_keys[i].name, json_string(c->scope[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:s, s:o}", "id", c->id, "kind",
	                 kinds[c->kind].name, "scope", scope, "params", params, "reason", c->reason,
	                 "actor", c->actor, "created_at", iso_or_null(c->created_ms), "expires_at",
	                 iso_or_null(c->expires_ms), "state", state_names[c->state], "ended_at",
	                 iso_or_null(c->ended_ms));
}

static void copy_name(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* Moves a request to another target. A provider's own failures (outage, 429s, timeouts) are
 * cured by leaving it, except for a small share: the request is then served normally. */
static void retarget(tt_event *ev, const char *provider, const char *model, const char *tier,
                     uint64_t *rng)
{
	bool moved = strcmp(ev->provider, provider) != 0;
	copy_name(ev->provider, sizeof ev->provider, provider);
	copy_name(ev->model, sizeof ev->model, model);
	copy_name(ev->tier, sizeof ev->tier, tier);
	ev->elevated = false;
	bool provider_error = ev->status == TT_STATUS_TIMEOUT ||
	                      ev->status == TT_STATUS_SERVER_ERROR ||
	                      ev->status == TT_STATUS_RATE_LIMITED;
	if (!moved || !provider_error || sim_unit(rng) < HEAL_KEEP)
		return;
	ev->status = TT_STATUS_OK;
	ev->output_tokens = ev->input_tokens / 8 > 0 ? ev->input_tokens / 8 : 1;
	ev->latency_ms = 600 + ev->output_tokens * 12;
	if (ev->latency_ms > 60000)
		ev->latency_ms = 60000;
	ev->ttft_ms = ev->latency_ms / 4;
	ev->quality_milli = 850;
}

/* A request the gateway refused itself: nothing reached a provider. */
static void refuse(tt_event *ev, tt_status status, uint64_t *rng)
{
	ev->status = status;
	ev->input_tokens = ev->output_tokens = ev->cached_tokens = 0;
	ev->latency_ms = 1 + (int64_t)(sim_rand(rng) % 5);
	ev->ttft_ms = -1;
	ev->retrieval_ms = -1;
	ev->queue_ms = 0;
	ev->cache = TT_CACHE_NONE;
	ev->outcome = TT_OUTCOME_NONE;
	ev->quality_milli = -1;
}

static bool apply_route(sim_control *const *ctl, size_t n, const routing *rt, uint64_t *rng,
                        tt_event *ev)
{
	bool changed = false;
	const sim_control *reroute = NULL;
	for (size_t i = 0; i < n; i++)
		if (ctl[i]->kind == CK_REROUTE && control_active_at(ctl[i], ev->ts_ms) &&
		    sim_control_matches(ctl[i], ev))
			reroute = ctl[i];
	if (reroute) {
		int64_t total = 0;
		for (int i = 0; i < reroute->n_targets; i++)
			total += reroute->targets[i].weight;
		int64_t u = (int64_t)(sim_rand(rng) % (uint64_t)total);
		int i = 0;
		while (u >= reroute->targets[i].weight)
			u -= reroute->targets[i++].weight;
		const sim_target *t = &reroute->targets[i];
		retarget(ev, t->provider, t->model, t->tier, rng);
		changed = true;
	}
	for (size_t i = 0; i < n; i++) {
		const sim_control *c = ctl[i];
		if (c->kind != CK_DEGRADE || !control_active_at(c, ev->ts_ms) ||
		    !sim_control_matches(c, ev))
			continue;
		int k = tier_rank(ev->tier);
		int want = c->tier[0] ? tier_rank(c->tier) : k - 1;
		const route_target *to =
		    k > want ? routing_degrade_target(rt, ev->use_case, want) : NULL;
		if (to) {
			retarget(ev, to->provider, to->model, to->tier, rng);
			changed = true;
		}
	}
	return changed;
}

/* false when a throttle turns the request away; buckets refill in event time. */
static bool throttle_admits(sim_control *c, const tt_event *ev)
{
	double req_cap = c->rps > 1 ? c->rps : 1;
	double tok_cap = (double)c->tokens_per_minute;
	if (!c->bucket_ms) {
		c->req_tokens = req_cap;
		c->tok_tokens = tok_cap;
		c->bucket_ms = c->created_ms;
	}
	if (ev->ts_ms > c->bucket_ms) {
		double dt = (double)(ev->ts_ms - c->bucket_ms);
		c->req_tokens += c->rps * dt / 1000.0;
		c->tok_tokens += tok_cap * dt / 60000.0;
		c->bucket_ms = ev->ts_ms;
	}
	if (c->req_tokens > req_cap)
		c->req_tokens = req_cap;
	if (c->tok_tokens > tok_cap)
		c->tok_tokens = tok_cap;
	double need = (double)(ev->input_tokens + ev->output_tokens);
	if ((c->rps > 0 && c->req_tokens < 1) || (c->tokens_per_minute && c->tok_tokens < need))
		return false;
	if (c->rps > 0)
		c->req_tokens -= 1;
	if (c->tokens_per_minute)
		c->tok_tokens -= need;
	return true;
}

static bool apply_cache(sim_control *const *ctl, size_t n, uint64_t *rng, tt_event *ev)
{
	double p = -1;
	for (size_t i = 0; i < n; i++) {
		const sim_control *c = ctl[i];
		if (c->kind != CK_CACHE_TTL || !control_active_at(c, ev->ts_ms) ||
		    !sim_control_matches(c, ev))
			continue;
		double ramp = (double)(ev->ts_ms - c->created_ms) / CACHE_RAMP_MS;
		double q = CACHE_EXTRA_MAX * (double)c->ttl_s /
		           (double)(c->ttl_s + CACHE_HALF_TTL) * (ramp < 1 ? ramp : 1);
		if (q > p)
			p = q;
	}
	if (p < 0 || ev->cache == TT_CACHE_HIT)
		return false;
	if (ev->status != TT_STATUS_OK || sim_unit(rng) >= p) {
		ev->cache = TT_CACHE_MISS;
		return false;
	}
	ev->cache = TT_CACHE_HIT;
	ev->latency_ms = 8 + (int64_t)(sim_rand(rng) % 33);
	ev->ttft_ms = ev->latency_ms;
	ev->cached_tokens = 0;
	ev->retrieval_ms = -1;
	return true;
}

void controls_apply(sim_control *const *ctl, size_t n, const routing *rt, const ratecard *card,
                    uint64_t *rng, tt_event *ev)
{
	if (n == 0)
		return;
	bool changed = apply_route(ctl, n, rt, rng, ev);
	bool stopped = false;
	for (size_t i = 0; i < n && !stopped; i++)
		if (ctl[i]->kind == CK_KILL_SWITCH && control_active_at(ctl[i], ev->ts_ms) &&
		    sim_control_matches(ctl[i], ev)) {
			refuse(ev, TT_STATUS_KILLED, rng);
			stopped = true;
		}
	for (size_t i = 0; i < n && !stopped; i++)
		if (ctl[i]->kind == CK_THROTTLE && control_active_at(ctl[i], ev->ts_ms) &&
		    sim_control_matches(ctl[i], ev) && !throttle_admits(ctl[i], ev)) {
			refuse(ev, TT_STATUS_THROTTLED, rng);
			stopped = true;
		}
	if (!stopped)
		changed |= apply_cache(ctl, n, rng, ev);
	if (ev->has_cost && (changed || stopped)) {
		/* the gateway prices what it actually did: at the card, or not at all */
		ev->has_cost = false;
		ratecard_price(card, ev);
		ev->has_cost = ev->cost_source == TT_COST_CARD;
		if (!ev->has_cost)
			ev->cost_nanos = 0;
	}
}
