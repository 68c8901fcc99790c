/* The LiteLLM proxy dialect: each action as the admin call that does it, and its inverse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "action_internal.h"

#define B(x)     ACTION_BIT(x)
#define NO_SCOPE ACTION_SCOPE_COUNT /* proxy-wide: LiteLLM's cache settings have no scope */

typedef struct lite_map lite_map;

/* Builds the JSON body; undo: the call that reverses the action, from state_orig. */
typedef json_t *(*lite_body_fn)(const lite_map *m, const action_req *r, const char *value,
                                json_t *state_now, json_t *state_orig, bool undo, char *err,
                                size_t errlen);

struct lite_map {
	const char *action;        /* action_table name */
	action_scope_key scope;    /* the one scope key it takes, or NO_SCOPE */
	const char *id_field;      /* the body field naming the object, or NULL */
	const char *method, *path; /* "%s" in path: the escaped scope value */
	const char *undo_path;     /* the inverse, same method */
	const char *state_path;    /* the GET that shows what the call changes */
	unsigned params, required, one_of;
	lite_body_fn body;
};

static json_t *body_id(const lite_map *m, const action_req *r, const char *value, json_t *state_now,
                       json_t *state_orig, bool undo, char *err, size_t errlen);
static json_t *body_limits(const lite_map *m, const action_req *r, const char *value,
                           json_t *state_now, json_t *state_orig, bool undo, char *err,
                           size_t errlen);
static json_t *body_weight(const lite_map *m, const action_req *r, const char *value,
                           json_t *state_now, json_t *state_orig, bool undo, char *err,
                           size_t errlen);
static json_t *body_cache(const lite_map *m, const action_req *r, const char *value,
                          json_t *state_now, json_t *state_orig, bool undo, char *err,
                          size_t errlen);

/* reference/gateways.md, sections 0 and 1.4-1.6; every write also carries
 * LiteLLM-Changed-By (added by the sender). */
static const lite_map lite_maps[] = {
    {"kill-switch", ACTION_SCOPE_KEY, "key", "POST", "/key/block", "/key/unblock",
     "/key/info?key=%s", 0, 0, 0, body_id},
    {"kill-switch", ACTION_SCOPE_TEAM, "team_id", "POST", "/team/block", "/team/unblock",
     "/team/info?team_id=%s", 0, 0, 0, body_id},
    {"kill-switch", ACTION_SCOPE_MODEL, "model_id", "POST", "/model/block", "/model/unblock",
     "/v1/model/info?litellm_model_id=%s", 0, 0, 0, body_id},
    {"throttle", ACTION_SCOPE_KEY, "key", "POST", "/key/update", "/key/update", "/key/info?key=%s",
     B(ACTION_P_RPS) | B(ACTION_P_TPM), 0, B(ACTION_P_RPS) | B(ACTION_P_TPM), body_limits},
    {"throttle", ACTION_SCOPE_TEAM, "team_id", "POST", "/team/update", "/team/update",
     "/team/info?team_id=%s", B(ACTION_P_RPS) | B(ACTION_P_TPM), 0,
     B(ACTION_P_RPS) | B(ACTION_P_TPM), body_limits},
    {"reroute", ACTION_SCOPE_MODEL, NULL, "PATCH", "/model/%s/update", "/model/%s/update",
     "/v1/model/info?litellm_model_id=%s", B(ACTION_P_WEIGHT), B(ACTION_P_WEIGHT), 0, body_weight},
    {"cache-ttl", NO_SCOPE, NULL, "POST", "/cache/settings", "/cache/settings", "/cache/settings",
     B(ACTION_P_TTL), B(ACTION_P_TTL), 0, body_cache},
};
#define NMAPS (sizeof lite_maps / sizeof lite_maps[0])

/* Actions LiteLLM's admin API cannot express, and what to do instead. */
static const struct {
	const char *action, *why;
} lite_refusals[] = {
    {"degrade", "LiteLLM has no tier-based degrade: move weight to a smaller deployment with "
                "reroute --scope model=DEPLOYMENT_ID --weight N"},
    {"disable-tool", "LiteLLM has no runtime switch that stops offering a tool; change the "
                     "tool list in the client or the proxy's config"},
};

static const char *scope_name(action_scope_key k)
{
	return k == NO_SCOPE ? "proxy" : action_scope_key_name(k);
}

static const char *refusal_of(const char *action)
{
	for (size_t i = 0; i < sizeof lite_refusals / sizeof lite_refusals[0]; i++)
		if (strcmp(lite_refusals[i].action, action) == 0)
			return lite_refusals[i].why;
	return NULL;
}

/* The scope keys an action takes on LiteLLM, for messages: "key=, team= or model=". */
static void scopes_of(const char *action, char *buf, size_t cap)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < NMAPS; i++)
		if (strcmp(lite_maps[i].action, action) == 0)
			n++;
	buf[0] = 0;
	for (size_t i = 0; i < NMAPS; i++)
		if (strcmp(lite_maps[i].action, action) == 0) {
			size_t len = strlen(buf);
			k++;
			snprintf(buf + len, cap - len, "%s%s=",
			         k == 1   ? ""
			         : k == n ? " or "
			                  : ", ",
			         scope_name(lite_maps[i].scope));
		}
}

/* The one map entry for an action and scope; NULL with err otherwise. */
static const lite_map *find_map(const action_req *r, char *err, size_t errlen)
{
	const char *why = refusal_of(r->def->name);
	if (why) {
		snprintf(err, errlen, "%s has no LiteLLM equivalent: %s", r->def->name, why);
		return NULL;
	}
	action_scope_key key = NO_SCOPE;
	int nkeys = 0;
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0]) {
			key = (action_scope_key)k;
			nkeys++;
		}
	for (size_t i = 0; nkeys <= 1 && i < NMAPS; i++)
		if (strcmp(lite_maps[i].action, r->def->name) == 0 && lite_maps[i].scope == key)
			return &lite_maps[i];
	char keys[128];
	scopes_of(r->def->name, keys, sizeof keys);
	if (strcmp(keys, "proxy=") == 0)
		snprintf(err, errlen,
		         "on LiteLLM, %s is proxy-wide (its cache settings have no scope): give no "
		         "--scope",
		         r->def->name);
	else
		snprintf(
		    err, errlen,
		    "on LiteLLM, %s takes exactly one --scope: %s (a virtual key or its hash, a "
		    "team id, a deployment's model id)",
		    r->def->name, keys);
	return NULL;
}

void action_litellm_control_id(const action_req *r, char *buf, size_t cap)
{
	action_scope_key key = NO_SCOPE;
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0])
			key = (action_scope_key)k;
	if (key == NO_SCOPE)
		snprintf(buf, cap, "%s:proxy", r->def->name);
	else
		snprintf(buf, cap, "%s:%s=%s", r->def->name, scope_name(key), r->scope[key]);
}

int action_litellm_parse_id(const char *id, action_req *out, char *err, size_t errlen)
{
	const char *colon = strchr(id, ':');
	char name[32];
	if (!colon || (size_t)(colon - id) >= sizeof name)
		goto bad;
	memcpy(name, id, (size_t)(colon - id));
	name[colon - id] = 0;
	const action_def *def = action_find(name);
	if (!def || !def->kind)
		goto bad;
	action_req_init(out, def);
	if (strcmp(colon + 1, "proxy") != 0 && action_scope_parse(out, colon + 1, err, errlen))
		goto bad;
	if (!find_map(out, err, errlen))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
	         "--id '%s' is not a control tokentop applied on a LiteLLM proxy (they look like "
	         "kill-switch:team=TEAM_ID; tokentop action list --gateway NAME shows them)",
	         id);
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

int action_litellm_validate(const action_req *r, char *err, size_t errlen)
{
	const action_def *a = r->def;
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (!a->kind && r->scope[k][0]) {
			snprintf(err, errlen, "lift takes no --scope (it names a control by --id)");
			return -1;
		}
	if (r->expires_ms) {
		snprintf(err, errlen,
		         "LiteLLM's blocks and limits do not expire by themselves: drop --expires "
		         "and lift it with tokentop action lift");
		return -1;
	}
	if (!a->kind) {
		action_req target;
		if (!(r->given & B(ACTION_P_ID))) {
			snprintf(err, errlen, "lift needs --id");
			return -1;
		}
		if (r->given & ~B(ACTION_P_ID)) {
			snprintf(err, errlen, "lift takes only --id");
			return -1;
		}
		return action_litellm_parse_id(r->id, &target, err, errlen);
	}
	const lite_map *m = find_map(r, err, errlen);
	if (!m)
		return -1;
	char names[96];
	if (r->given & B(ACTION_P_TARGETS)) {
		snprintf(
		    err, errlen,
		    "LiteLLM reroutes one deployment at a time: give --scope model=DEPLOYMENT_ID "
		    "--weight N instead of --targets");
		return -1;
	}
	if (r->given & ~m->params) {
		list_params(r->given & ~m->params, ", ", names, sizeof names);
		snprintf(err, errlen, "on LiteLLM, %s takes no %s", a->name, names);
		return -1;
	}
	if ((r->given & m->required) != m->required) {
		list_params(m->required & ~r->given, " and ", names, sizeof names);
		snprintf(err, errlen, "%s needs %s", a->name, names);
		return -1;
	}
	if (m->one_of && !(r->given & m->one_of)) {
		list_params(m->one_of, " and/or ", names, sizeof names);
		snprintf(err, errlen, "%s needs %s", a->name, names);
		return -1;
	}
	return 0;
}

/* ---- bodies ---- */

static json_t *body_id(const lite_map *m, const action_req *r, const char *value, json_t *state_now,
                       json_t *state_orig, bool undo, char *err, size_t errlen)
{
	(void)r, (void)state_now, (void)state_orig, (void)undo, (void)err, (void)errlen;
	return json_pack("{s:s}", m->id_field, value);
}

/* A field of an info answer: flat (older proxies) or under info / team_info (v1.81+). */
static json_t *info_field(json_t *state, const char *name, bool *found)
{
	static const char *const nests[] = {"info", "team_info", "user_info", NULL};
	*found = false;
	if (!json_is_object(state))
		return NULL;
	for (int i = 0; nests[i]; i++) {
		json_t *o = json_object_get(state, nests[i]);
		if (json_is_object(o) && json_object_get(o, name)) {
			*found = true;
			return json_object_get(o, name);
		}
	}
	json_t *v = json_object_get(state, name);
	*found = v != NULL;
	return v;
}

static json_t *body_limits(const lite_map *m, const action_req *r, const char *value,
                           json_t *state_now, json_t *state_orig, bool undo, char *err,
                           size_t errlen)
{
	(void)state_now;
	json_t *b = json_pack("{s:s}", m->id_field, value);
	if (!undo) {
		if (r->given & B(ACTION_P_TPM))
			json_object_set_new(b, "tpm_limit", json_integer(r->tpm));
		if (r->given & B(ACTION_P_RPS))
			json_object_set_new(b, "rpm_limit",
			                    json_integer((json_int_t)ceil(r->rps * 60)));
		return b;
	}
	static const char *const limits[] = {"tpm_limit", "rpm_limit"};
	for (int i = 0; i < 2; i++) {
		bool found;
		json_t *v = info_field(state_orig, limits[i], &found);
		if (!found) {
			snprintf(
			    err, errlen,
			    "cannot lift: the %s before the throttle is not known (no state was "
			    "recorded); set the limits you want with throttle",
			    limits[i]);
			json_decref(b);
			return NULL;
		}
		json_object_set(b, limits[i], v);
	}
	return b;
}

static json_t *body_weight(const lite_map *m, const action_req *r, const char *value,
                           json_t *state_now, json_t *state_orig, bool undo, char *err,
                           size_t errlen)
{
	(void)m, (void)value, (void)state_now;
	json_t *w = NULL;
	if (!undo) {
		w = json_integer(r->weight);
	} else {
		/* /v1/model/info answers {data: [{litellm_params: {weight}}]} */
		json_t *d = json_object_get(state_orig, "data");
		json_t *row = json_is_array(d) ? json_array_get(d, 0) : state_orig;
		json_t *lp = json_object_get(row, "litellm_params");
		json_t *old = json_object_get(lp, "weight");
		if (!json_is_number(old)) {
			snprintf(
			    err, errlen,
			    "cannot lift: the deployment's weight before the reroute is not known "
			    "(it had none, or no state was recorded); set one with reroute "
			    "--weight "
			    "N");
			return NULL;
		}
		w = json_deep_copy(old);
	}
	return json_pack("{s:{s:o}}", "litellm_params", "weight", w);
}

static json_t *body_cache(const lite_map *m, const action_req *r, const char *value,
                          json_t *state_now, json_t *state_orig, bool undo, char *err,
                          size_t errlen)
{
	(void)m, (void)value;
	/* POST /cache/settings replaces the settings: send the current ones (credentials come
	 * back as LiteLLM's redaction marker, which it maps to the stored secret) with the TTL
	 * changed, or the whole cache would be reconfigured. */
	json_t *cur = json_object_get(state_now, "current_values");
	if (!json_is_object(cur)) {
		snprintf(err, errlen,
		         "the proxy's GET /cache/settings answer has no current_values: cache "
		         "settings need a LiteLLM with a database and STORE_MODEL_IN_DB=True");
		return NULL;
	}
	json_t *s = json_deep_copy(cur);
	if (!undo) {
		json_object_set_new(s, "ttl", json_integer(r->ttl_s));
	} else {
		json_t *was = json_object_get(state_orig, "current_values");
		if (!json_is_object(was)) {
			snprintf(
			    err, errlen,
			    "cannot lift: the cache settings before the change are not known (no "
			    "state was recorded); set the TTL you want with cache-ttl");
			json_decref(s);
			return NULL;
		}
		json_t *ttl = json_object_get(was, "ttl");
		if (ttl)
			json_object_set(s, "ttl", ttl);
		else
			json_object_del(s, "ttl");
	}
	return json_pack("{s:o}", "cache_settings", s);
}

/* ---- requests ---- */

/* For a lift, the action and scope its --id names; otherwise r itself. */
static const lite_map *resolve(const action_req *r, action_req *target, char *err, size_t errlen)
{
	if (!r->def->kind) {
		if (action_litellm_parse_id(r->id, target, err, errlen))
			return NULL;
	} else {
		*target = *r;
	}
	return find_map(target, err, errlen);
}

static void fill_path(const char *fmt, const char *value, char *buf, size_t cap)
{
	char esc[3 * ACTION_VALUE_CAP + 1];
	http_url_escape(value, esc, sizeof esc);
	if (strstr(fmt, "%s")) {
		/* the formats are this file's own table, each with at most one %s */
		const char *at = strstr(fmt, "%s");
		snprintf(buf, cap, "%.*s%s%s", (int)(at - fmt), fmt, esc, at + 2);
	} else {
		snprintf(buf, cap, "%s", fmt);
	}
}

int action_litellm_state_path(const action_req *r, char *buf, size_t cap, char *err, size_t errlen)
{
	action_req target;
	const lite_map *m = resolve(r, &target, err, errlen);
	if (!m)
		return -1;
	fill_path(m->state_path, m->scope == NO_SCOPE ? "" : target.scope[m->scope], buf, cap);
	return 0;
}

static json_t *parse_or_null(const char *s)
{
	return s && *s ? json_loads(s, 0, NULL) : NULL;
}

int action_build_litellm(const action_req *r, const char *state_now, const char *state_orig,
                         action_http *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	action_req target;
	const lite_map *m = resolve(r, &target, err, errlen);
	if (!m)
		return -1;
	bool undo = !r->def->kind;
	const char *value = m->scope == NO_SCOPE ? "" : target.scope[m->scope];
	json_t *now = parse_or_null(state_now), *orig = parse_or_null(state_orig);
	json_t *body = m->body(m, &target, value, now, orig, undo, err, errlen);
	json_decref(now);
	json_decref(orig);
	if (!body)
		return -1;
	out->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!out->body) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(out->method, sizeof out->method, "%s", m->method);
	fill_path(undo ? m->undo_path : m->path, value, out->path, sizeof out->path);
	action_litellm_control_id(&target, out->control_id, sizeof out->control_id);
	return 0;
}
