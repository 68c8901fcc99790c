/* Actions: the table, requests in both dialects, validation, policy, sending, reconciling. */
#include "testutil.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <uv.h>

#include "tokentop/action.h"
#include "tokentop/audit.h"
#include "tokentop/config.h"
#include "tokentop/policy.h"
#include "tokentop/rollup.h"
#include "tokentop/sim.h"
#include "tokentop/timeutil.h"

#define B(x) ACTION_BIT(x)

/* ---- a LiteLLM proxy stand-in that records what it received ---- */

typedef struct fixture {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t mu;
	json_t *log; /* [{method, path, headers: {...}, body}] */
	FILE *out;   /* the --litellm-fixture mode: one JSON line a request */
} fixture;

typedef struct fx_conn {
	char *body;
	size_t len;
} fx_conn;

/* Canned answers of a LiteLLM proxy, by method and path (the query is not looked at). */
static const struct {
	const char *method, *path;
	int status;
	const char *body;
} fx_answers[] = {
    {"GET", "/key/info", 200,
     "{\"key\":\"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b\","
     "\"info\":{\"key_alias\":\"support-bot\",\"tpm_limit\":null,\"rpm_limit\":100,"
     "\"blocked\":null}}"},
    {"GET", "/team/info", 200,
     "{\"team_id\":\"team-support\",\"team_info\":{\"team_alias\":\"support\","
     "\"tpm_limit\":50000,\"rpm_limit\":null,\"blocked\":false}}"},
    {"GET", "/v1/model/info", 200,
     "{\"data\":[{\"model_name\":\"gpt-4o\",\"litellm_params\":{\"model\":\"openai/gpt-4o\","
     "\"weight\":3},\"model_info\":{\"id\":\"dep-1\"}}]}"},
    {"GET", "/cache/settings", 200,
     "{\"fields\":[],\"current_values\":{\"type\":\"redis\",\"host\":\"redis\",\"port\":"
     "\"6379\",\"password\":\"***REDACTED***\",\"ttl\":600,\"redis_type\":\"node\"},"
     "\"redis_type_descriptions\":{}}"},
    /* as BerriAI/litellm#13887: unblocking a key can be refused where blocking worked */
    {"POST", "/key/unblock", 401,
     "{\"error\":{\"message\":\"Authentication Error, token_not_found_in_db\","
     "\"type\":\"auth_error\",\"param\":\"None\",\"code\":\"401\"}}"},
};

static int fx_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	json_object_set_new(cls, key, json_string(value ? value : ""));
	return MHD_YES;
}

static enum MHD_Result fx_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	(void)version;
	fixture *f = cls;
	fx_conn *st = *con_cls;
	if (!st) {
		*con_cls = st = calloc(1, sizeof *st);
		return st ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		st->body = realloc(st->body, st->len + *upload_size + 1);
		memcpy(st->body + st->len, upload, *upload_size);
		st->len += *upload_size;
		st->body[st->len] = 0;
		*upload_size = 0;
		return MHD_YES;
	}
	json_t *headers = json_object();
	MHD_get_connection_values(c, MHD_HEADER_KIND, (MHD_KeyValueIterator)fx_header, headers);
	const char *query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key");
	if (!query)
		query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "team_id");
	if (!query)
		query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "litellm_model_id");
	json_t *rec =
	    json_pack("{s:s, s:s, s:s, s:o, s:s}", "method", method, "path", url, "arg",
	              query ? query : "", "headers", headers, "body", st->body ? st->body : "");
	int status = 200;
	char *answer = NULL;
	for (size_t i = 0; i < sizeof fx_answers / sizeof fx_answers[0]; i++)
		if (!strcmp(fx_answers[i].method, method) && !strcmp(fx_answers[i].path, url)) {
			status = fx_answers[i].status;
			answer = strdup(fx_answers[i].body);
		}
	if (!answer) {
		json_t *echo = json_loads(st->body ? st->body : "", 0, NULL);
		json_t *o = json_pack("{s:s, s:o}", "status", "success", "updated",
		                      echo ? echo : json_null());
		answer = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	pthread_mutex_lock(&f->mu);
	if (f->out) {
		char *line = json_dumps(rec, JSON_COMPACT);
		fprintf(f->out, "%s\n", line);
		fflush(f->out);
		free(line);
	}
	json_array_append_new(f->log, rec);
	pthread_mutex_unlock(&f->mu);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(answer), answer, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fx_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	fx_conn *st = *con_cls;
	if (st) {
		free(st->body);
		free(st);
	}
	*con_cls = NULL;
}

static int fx_start(fixture *f, FILE *out)
{
	memset(f, 0, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	f->log = json_array();
	f->out = out;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                        NULL, NULL, fx_request, f, MHD_OPTION_SOCK_ADDR, &sa,
	                        MHD_OPTION_NOTIFY_COMPLETED, fx_done, f, MHD_OPTION_END);
	if (!f->d)
		return -1;
	f->port = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static void fx_stop(fixture *f)
{
	MHD_stop_daemon(f->d);
	json_decref(f->log);
	pthread_mutex_destroy(&f->mu);
}

/* The last request the fixture received (a new reference). */
static json_t *fx_last(fixture *f)
{
	pthread_mutex_lock(&f->mu);
	json_t *r = json_array_get(f->log, json_array_size(f->log) - 1);
	json_incref(r);
	pthread_mutex_unlock(&f->mu);
	return r;
}

static const char *hdr(json_t *rec, const char *name)
{
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(rec, "headers"), key,
	                    v) if (!strcasecmp(key, name)) return json_string_value(v);
	return NULL;
}

/* The --litellm-fixture mode for tests/test_action.sh: serves until SIGTERM. */
static int run_fixture(const char *logpath)
{
	FILE *out = fopen(logpath, "a");
	fixture f;
	if (!out || fx_start(&f, out)) {
		fprintf(stderr, "cannot start the fixture\n");
		return 1;
	}
	printf("listening on http://127.0.0.1:%u\n", f.port);
	fflush(stdout);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sig;
	sigwait(&set, &sig);
	fx_stop(&f);
	fclose(out);
	return 0;
}

/* ---- helpers ---- */

static action_req req_of(const char *name, const char *scope)
{
	action_req r;
	char err[256];
	action_req_init(&r, action_find(name));
	assert_non_null(r.def);
	if (scope && action_scope_parse(&r, scope, err, sizeof err))
		fail_msg("scope %s: %s", scope, err);
	snprintf(r.reason, sizeof r.reason, "INC-42: runaway loop");
	snprintf(r.actor, sizeof r.actor, "alice");
	return r;
}

static void set(action_req *r, action_param p, const char *v)
{
	char err[256];
	if (action_param_set(r, p, v, err, sizeof err))
		fail_msg("--%s %s: %s", action_params[p].name, v, err);
}

/* Validation fails and the message contains want. */
static void refused(const action_req *r, action_dialect d, const char *want)
{
	char err[512] = "";
	assert_int_equal(action_validate(r, d, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("expected '%s' in: %s", want, err);
}

static json_t *body_json(const action_http *h)
{
	json_t *j = json_loads(h->body, 0, NULL);
	assert_non_null(j);
	return j;
}

/* ---- the table ---- */

static void test_table_consistent(void **state)
{
	(void)state;
	const unsigned all_flags =
	    ACTION_DANGEROUS | ACTION_CONFIRM | ACTION_AUDITED | ACTION_EXPIRES;
	const char console_keys[] = "q?\t123456tr"; /* the console's own bindings */
	assert_true(action_count >= 7);
	for (size_t i = 0; i < action_count; i++) {
		const action_def *a = &action_table[i];
		assert_non_null(a->name);
		assert_true(a->help && strlen(a->help) > 10);
		assert_true(a->keyname && *a->keyname);
		assert_true(a->key > ' ' && a->key < 127);
		assert_null(strchr(console_keys, a->key));
		assert_int_equal(a->flags & ~all_flags, 0);
		assert_true(a->flags & ACTION_AUDITED);
		assert_true(a->min_role >= ROLE_OPERATOR && a->min_role < ROLE_COUNT);
		assert_int_equal(a->required & ~a->params, 0);
		assert_int_equal(a->one_of & ~a->params, 0);
		assert_ptr_equal(action_find(a->name), a);
		if (a->kind)
			assert_ptr_equal(action_find(a->kind), a);
		else
			assert_int_equal(a->required, B(ACTION_P_ID));
		if (a->route_scoped)
			assert_int_equal(a->scope_keys, B(ACTION_SCOPE_USE_CASE));
		if (a->flags & ACTION_CONFIRM)
			assert_true(a->flags & ACTION_DANGEROUS);
		for (size_t k = 0; k < i; k++) {
			assert_int_not_equal(action_table[k].key, a->key);
			assert_string_not_equal(action_table[k].name, a->name);
		}
	}
	for (int p = 0; p < ACTION_P_COUNT; p++) {
		assert_true(action_params[p].name && action_params[p].metavar &&
		            action_params[p].help);
		assert_int_equal(action_param_find(action_params[p].name), p);
	}
	assert_null(action_find("nuke"));
	assert_int_equal(action_param_find("nope"), -1);
	/* the runbook is all there */
	const char *names[] = {"kill-switch", "throttle",     "cache-ttl", "reroute",
	                       "degrade",     "disable-tool", "lift"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_non_null(action_find(names[i]));
	assert_true(action_find("kill-switch")->flags & ACTION_CONFIRM);
	assert_true(action_find("reroute")->flags & ACTION_CONFIRM);
}

/* docs/actions.md is kept in step with the table. */
static void test_docs_name_every_action(void **state)
{
	(void)state;
	char *doc = tu_slurp("docs/actions.md", NULL);
	for (size_t i = 0; i < action_count; i++) {
		char want[64];
		snprintf(want, sizeof want, "`%s`", action_table[i].name);
		if (!strstr(doc, want))
			fail_msg("docs/actions.md does not mention %s", want);
	}
	for (int p = 0; p < ACTION_P_COUNT; p++) {
		char want[64];
		snprintf(want, sizeof want, "--%s", action_params[p].name);
		if (!strstr(doc, want))
			fail_msg("docs/actions.md does not mention %s", want);
	}
	free(doc);
}

/* ---- the v1 request ---- */

static void test_v1_requests(void **state)
{
	(void)state;
	char err[256];
	action_http h;

	action_req r = req_of("kill-switch", "use_case=support-bot");
	assert_int_equal(action_validate(&r, ACTION_DIALECT_TOKENTOP, err, sizeof err), 0);
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/v1/controls");
	assert_string_equal(h.body,
	                    "{\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"support-bot\"},"
	                    "\"params\":{},\"reason\":\"INC-42: runaway loop\",\"actor\":\"alice\","
	                    "\"expires_at\":null}");
	action_http_free(&h);

	r = req_of("throttle", "use_case=code-assist,tenant=acme");
	set(&r, ACTION_P_RPS, "5");
	set(&r, ACTION_P_TPM, "200000");
	assert_int_equal(
	    action_parse_expires("1h", 1764410418700LL, &r.expires_ms, err, sizeof err), 0);
	assert_int_equal(action_validate(&r, ACTION_DIALECT_TOKENTOP, err, sizeof err), 0);
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	json_t *j = body_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "throttle");
	json_t *scope = json_object_get(j, "scope");
	assert_int_equal(json_object_size(scope), 2);
	assert_string_equal(json_string_value(json_object_get(scope, "tenant")), "acme");
	json_t *params = json_object_get(j, "params");
	assert_true(json_real_value(json_object_get(params, "rps")) == 5.0);
	assert_int_equal(json_integer_value(json_object_get(params, "tokens_per_minute")), 200000);
	assert_string_equal(json_string_value(json_object_get(j, "expires_at")),
	                    "2025-11-29T11:00:18.700Z");
	json_decref(j);
	action_http_free(&h);

	r = req_of("cache-ttl", "use_case=support-bot");
	set(&r, ACTION_P_TTL, "1h");
	assert_int_equal(r.ttl_s, 3600);
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	assert_non_null(strstr(h.body, "\"params\":{\"ttl_seconds\":3600}"));
	action_http_free(&h);

	r = req_of("reroute", "use_case=code-review");
	set(&r, ACTION_P_TARGETS, "anthropic/claude-haiku-4-5=3,vllm/qwen2.5-coder-32b@better");
	assert_int_equal(action_validate(&r, ACTION_DIALECT_TOKENTOP, err, sizeof err), 0);
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	assert_non_null(strstr(h.body,
	                       "\"targets\":[{\"model\":\"claude-haiku-4-5\",\"provider\":"
	                       "\"anthropic\",\"weight\":3},{\"model\":\"qwen2.5-coder-32b\","
	                       "\"provider\":\"vllm\",\"tier\":\"better\",\"weight\":1}]"));
	action_http_free(&h);

	r = req_of("degrade", "use_case=code-review");
	set(&r, ACTION_P_TIER, "good");
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	assert_non_null(strstr(h.body, "\"kind\":\"degrade\""));
	assert_non_null(strstr(h.body, "\"params\":{\"tier\":\"good\"}"));
	action_http_free(&h);

	r = req_of("disable-tool", "use_case=support-bot");
	set(&r, ACTION_P_TOOL, "web_search");
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	assert_non_null(strstr(h.body, "\"params\":{\"tool\":\"web_search\"}"));
	action_http_free(&h);

	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "ctl 4/x");
	assert_int_equal(action_validate(&r, ACTION_DIALECT_TOKENTOP, err, sizeof err), 0);
	assert_int_equal(action_build_tokentop(&r, &h, err, sizeof err), 0);
	assert_string_equal(h.method, "DELETE");
	assert_string_equal(h.path, "/v1/controls/ctl%204%2Fx");
	assert_null(h.body);
	char word[64];
	action_confirm_word(&r, "gw", word, sizeof word);
	assert_string_equal(word, "ctl 4/x");
	action_http_free(&h);

	/* what is typed to confirm, and when it must be */
	r = req_of("throttle", "use_case=support-bot,tenant=acme");
	action_confirm_word(&r, "gw", word, sizeof word);
	assert_string_equal(word, "acme,support-bot");
	char scope_s[128];
	action_scope_format(&r, scope_s, sizeof scope_s);
	assert_string_equal(scope_s, "tenant=acme,use_case=support-bot");
	assert_true(action_needs_typed_confirm(action_find("kill-switch"), false));
	assert_true(action_needs_typed_confirm(action_find("reroute"), false));
	assert_false(action_needs_typed_confirm(action_find("throttle"), false));
	assert_true(action_needs_typed_confirm(action_find("throttle"), true));
}

/* ---- the LiteLLM requests ---- */

static void lite_ok(const action_req *r, const char *state_now, const char *state_orig,
                    const char *method, const char *path, const char *body, const char *id)
{
	char err[512];
	action_http h;
	if (action_validate(r, ACTION_DIALECT_LITELLM, err, sizeof err))
		fail_msg("validate: %s", err);
	if (action_build_litellm(r, state_now, state_orig, &h, err, sizeof err))
		fail_msg("build: %s", err);
	assert_string_equal(h.method, method);
	assert_string_equal(h.path, path);
	assert_string_equal(h.body, body);
	assert_string_equal(h.control_id, id);
	action_http_free(&h);
}

static void test_litellm_requests(void **state)
{
	(void)state;
	char err[512], path[256];
	action_http h;
	action_req r = req_of("kill-switch", "key=sk-abc");
	lite_ok(&r, NULL, NULL, "POST", "/key/block", "{\"key\":\"sk-abc\"}",
	        "kill-switch:key=sk-abc");
	assert_int_equal(action_litellm_state_path(&r, path, sizeof path, err, sizeof err), 0);
	assert_string_equal(path, "/key/info?key=sk-abc");
	r = req_of("kill-switch", "team=team 1");
	lite_ok(&r, NULL, NULL, "POST", "/team/block", "{\"team_id\":\"team 1\"}",
	        "kill-switch:team=team 1");
	assert_int_equal(action_litellm_state_path(&r, path, sizeof path, err, sizeof err), 0);
	assert_string_equal(path, "/team/info?team_id=team%201");
	r = req_of("kill-switch", "model=dep-1");
	lite_ok(&r, NULL, NULL, "POST", "/model/block", "{\"model_id\":\"dep-1\"}",
	        "kill-switch:model=dep-1");

	r = req_of("throttle", "key=sk-abc");
	set(&r, ACTION_P_RPS, "2.5");
	set(&r, ACTION_P_TPM, "100000");
	lite_ok(&r, NULL, NULL, "POST", "/key/update",
	        "{\"key\":\"sk-abc\",\"tpm_limit\":100000,\"rpm_limit\":150}",
	        "throttle:key=sk-abc");
	r = req_of("throttle", "team=t1");
	set(&r, ACTION_P_TPM, "5000");
	lite_ok(&r, NULL, NULL, "POST", "/team/update", "{\"team_id\":\"t1\",\"tpm_limit\":5000}",
	        "throttle:team=t1");

	r = req_of("reroute", "model=dep-1");
	set(&r, ACTION_P_WEIGHT, "9");
	lite_ok(&r, NULL, NULL, "PATCH", "/model/dep-1/update",
	        "{\"litellm_params\":{\"weight\":9}}", "reroute:model=dep-1");

	const char *cache =
	    "{\"current_values\":{\"type\":\"redis\",\"password\":\"***REDACTED***\","
	    "\"ttl\":600}}";
	r = req_of("cache-ttl", NULL);
	set(&r, ACTION_P_TTL, "3600");
	lite_ok(&r, cache, NULL, "POST", "/cache/settings",
	        "{\"cache_settings\":{\"type\":\"redis\",\"password\":\"***REDACTED***\",\"ttl\":"
	        "3600}}",
	        "cache-ttl:proxy");
	assert_int_equal(action_build_litellm(&r, "{}", NULL, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "STORE_MODEL_IN_DB"));

	/* lifts: the inverse call, from the state recorded before */
	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "kill-switch:team=t1");
	lite_ok(&r, NULL, NULL, "POST", "/team/unblock", "{\"team_id\":\"t1\"}",
	        "kill-switch:team=t1");
	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "throttle:key=sk-abc");
	lite_ok(&r, NULL, "{\"key\":\"h\",\"info\":{\"tpm_limit\":null,\"rpm_limit\":100}}", "POST",
	        "/key/update", "{\"key\":\"sk-abc\",\"tpm_limit\":null,\"rpm_limit\":100}",
	        "throttle:key=sk-abc");
	assert_int_equal(action_build_litellm(&r, NULL, NULL, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot lift"));
	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "reroute:model=dep-1");
	lite_ok(&r, NULL, "{\"data\":[{\"litellm_params\":{\"weight\":3}}]}", "PATCH",
	        "/model/dep-1/update", "{\"litellm_params\":{\"weight\":3}}",
	        "reroute:model=dep-1");
	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "cache-ttl:proxy");
	lite_ok(&r, "{\"current_values\":{\"type\":\"redis\",\"ttl\":3600}}",
	        "{\"current_values\":{\"type\":\"redis\"}}", "POST", "/cache/settings",
	        "{\"cache_settings\":{\"type\":\"redis\"}}", "cache-ttl:proxy");
	assert_int_equal(action_litellm_state_path(&r, path, sizeof path, err, sizeof err), 0);
	assert_string_equal(path, "/cache/settings");

	/* what LiteLLM cannot do is refused, saying so */
	r = req_of("degrade", "use_case=x");
	refused(&r, ACTION_DIALECT_LITELLM, "no LiteLLM equivalent");
	r = req_of("disable-tool", "use_case=x");
	set(&r, ACTION_P_TOOL, "web");
	refused(&r, ACTION_DIALECT_LITELLM, "no LiteLLM equivalent");
	r = req_of("kill-switch", "use_case=support-bot");
	refused(&r, ACTION_DIALECT_LITELLM, "key=, team= or model=");
	r = req_of("kill-switch", "key=a,team=b");
	refused(&r, ACTION_DIALECT_LITELLM, "exactly one --scope");
	r = req_of("kill-switch", "key=a");
	r.expires_ms = 1;
	refused(&r, ACTION_DIALECT_LITELLM, "do not expire");
	r = req_of("reroute", "model=dep-1");
	set(&r, ACTION_P_TARGETS, "openai/gpt-4o=1");
	refused(&r, ACTION_DIALECT_LITELLM, "one deployment at a time");
	r = req_of("cache-ttl", "use_case=x");
	set(&r, ACTION_P_TTL, "60");
	refused(&r, ACTION_DIALECT_LITELLM, "proxy-wide");
	r = req_of("throttle", "team=t");
	refused(&r, ACTION_DIALECT_LITELLM, "--rps and/or --tpm");
	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "ctl-1");
	refused(&r, ACTION_DIALECT_LITELLM, "not a control tokentop applied on a LiteLLM proxy");
}

/* ---- scopes and parameters ---- */

static void param_refused(action_param p, const char *v, const char *want)
{
	action_req r;
	char err[256] = "";
	action_req_init(&r, action_find("throttle"));
	assert_int_equal(action_param_set(&r, p, v, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("--%s %s: expected '%s' in: %s", action_params[p].name, v, want, err);
}

static void scope_refused(const char *kv, const char *want)
{
	action_req r;
	char err[256] = "";
	action_req_init(&r, action_find("throttle"));
	assert_int_equal(action_scope_parse(&r, kv, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("--scope %s: expected '%s' in: %s", kv, want, err);
}

static void test_validation(void **state)
{
	(void)state;
	char err[256];
	scope_refused("", "KEY=VALUE");
	scope_refused("use_case", "KEY=VALUE");
	scope_refused("=x", "KEY=VALUE");
	scope_refused("usecase=x", "unknown key 'usecase'; the keys are gateway, tenant");
	scope_refused("use_case=", "1 to 63 bytes");
	scope_refused("use_case=a,use_case=b", "given twice");
	scope_refused("use_case=a\tb", "control characters");
	char longv[80];
	memset(longv, 'x', 70);
	longv[70] = 0;
	char kv[100];
	snprintf(kv, sizeof kv, "tenant=%s", longv);
	scope_refused(kv, "1 to 63 bytes");
	snprintf(kv, sizeof kv, "model=%s", longv); /* models may be longer */
	action_req r;
	action_req_init(&r, action_find("throttle"));
	assert_int_equal(action_scope_parse(&r, kv, err, sizeof err), 0);

	param_refused(ACTION_P_RPS, "0", "above 0");
	param_refused(ACTION_P_RPS, "-1", "above 0");
	param_refused(ACTION_P_RPS, "abc", "not a number");
	param_refused(ACTION_P_RPS, "1e7", "at most 1000000");
	param_refused(ACTION_P_RPS, "nan", "not a number");
	param_refused(ACTION_P_TPM, "1.5", "whole number");
	param_refused(ACTION_P_TPM, "0", "whole number");
	param_refused(ACTION_P_TTL, "0", "seconds");
	param_refused(ACTION_P_TTL, "400d", "seconds");
	param_refused(ACTION_P_TARGETS, "openai", "not provider/model");
	param_refused(ACTION_P_TARGETS, "openai/gpt=0", "weight");
	param_refused(ACTION_P_TARGETS, "openai/gpt@huge=1", "tier 'huge'");
	param_refused(ACTION_P_TARGETS, "a/b,c/d,e/f,g/h,i/j,k/l,m/n,o/p,q/r", "1 to 8");
	param_refused(ACTION_P_TIER, "large", "tiny, good, better or best");
	param_refused(ACTION_P_WEIGHT, "0", "whole number");
	action_req_init(&r, action_find("throttle"));
	assert_int_equal(action_param_set(&r, ACTION_P_RPS, "2", err, sizeof err), 0);
	assert_int_equal(action_param_set(&r, ACTION_P_RPS, "3", err, sizeof err), -1);
	assert_non_null(strstr(err, "--rps is given twice"));

	int64_t t;
	assert_int_equal(action_parse_expires("30m", 1000, &t, err, sizeof err), 0);
	assert_int_equal(t, 1000 + 1800000);
	assert_int_equal(action_parse_expires("2026-11-29T12:00:00Z", 0, &t, err, sizeof err), 0);
	assert_int_equal(
	    action_parse_expires("2020-01-01T00:00:00Z", time_now_ms(), &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "already past"));
	assert_int_equal(action_parse_expires("soon", 0, &t, err, sizeof err), -1);

	/* the table's rules, with messages that say what to give */
	r = req_of("kill-switch", NULL);
	refused(&r, ACTION_DIALECT_TOKENTOP, "needs --scope KEY=VALUE");
	r = req_of("kill-switch", "use_case=x");
	r.reason[0] = 0;
	refused(&r, ACTION_DIALECT_TOKENTOP, "a reason is required");
	r = req_of("kill-switch", "use_case=x");
	snprintf(r.reason, sizeof r.reason, "line\nbreak");
	refused(&r, ACTION_DIALECT_TOKENTOP, "control characters");
	r = req_of("throttle", "use_case=x");
	refused(&r, ACTION_DIALECT_TOKENTOP, "throttle needs --rps and/or --tpm");
	r = req_of("cache-ttl", "use_case=x");
	refused(&r, ACTION_DIALECT_TOKENTOP, "cache-ttl needs --ttl");
	r = req_of("kill-switch", "use_case=x");
	set(&r, ACTION_P_RPS, "3");
	refused(&r, ACTION_DIALECT_TOKENTOP, "kill-switch takes no --rps");
	r = req_of("reroute", "use_case=x,tenant=y");
	set(&r, ACTION_P_TARGETS, "a/b");
	refused(&r, ACTION_DIALECT_TOKENTOP, "the scope may not name tenant");
	r = req_of("reroute", "use_case=x");
	set(&r, ACTION_P_WEIGHT, "3");
	set(&r, ACTION_P_TARGETS, "a/b");
	refused(&r, ACTION_DIALECT_TOKENTOP, "--weight is for LiteLLM");
	r = req_of("kill-switch", "key=sk-1");
	refused(&r, ACTION_DIALECT_TOKENTOP, "LiteLLM virtual key");
	r = req_of("lift", "use_case=x");
	set(&r, ACTION_P_ID, "ctl-1");
	refused(&r, ACTION_DIALECT_TOKENTOP, "lift takes no --scope");
	r = req_of("lift", NULL);
	set(&r, ACTION_P_ID, "ctl-1");
	r.expires_ms = time_now_ms() + 1000;
	refused(&r, ACTION_DIALECT_TOKENTOP, "lift takes no --expires");
	r = req_of("lift", NULL);
	refused(&r, ACTION_DIALECT_TOKENTOP, "lift needs --id");
	r = req_of("disable-tool", "use_case=x");
	refused(&r, ACTION_DIALECT_TOKENTOP, "disable-tool needs --tool");
	r = req_of("kill-switch", "use_case=x");
	r.actor[0] = 0;
	refused(&r, ACTION_DIALECT_TOKENTOP, "no actor");
}

/* ---- policy ---- */

static void test_policy_matrix(void **state)
{
	(void)state;
	char err[512];
	for (size_t i = 0; i < action_count; i++)
		for (int role = 0; role < ROLE_COUNT; role++) {
			int rc = policy_check(&action_table[i], (policy_role)role, "bob", err,
			                      sizeof err);
			assert_int_equal(rc == 0, role >= (int)action_table[i].min_role);
			if (rc)
				assert_non_null(strstr(err, "bob is"));
		}
	assert_int_equal(
	    policy_check(action_find("reroute"), ROLE_OPERATOR, "bob", err, sizeof err), -1);
	assert_non_null(strstr(err, "reroute needs the role admin; bob is operator"));

	/* no [access], or one without users: operator, so a single-user install can act */
	assert_int_equal(policy_role_of(NULL, "anyone"), ROLE_OPERATOR);
	policy_access a = {0};
	assert_int_equal(policy_role_of(&a, "anyone"), ROLE_OPERATOR);
	a.users[0] = (policy_user){"alice", ROLE_ADMIN};
	a.users[1] = (policy_user){"carol", ROLE_OPERATOR};
	a.nusers = 2;
	assert_int_equal(policy_role_of(&a, "alice"), ROLE_ADMIN);
	assert_int_equal(policy_role_of(&a, "carol"), ROLE_OPERATOR);
	assert_int_equal(policy_role_of(&a, "mallory"), ROLE_VIEWER);
	assert_int_equal(policy_role_of(&a, NULL), ROLE_VIEWER);
	policy_role pr;
	for (int role = 0; role < ROLE_COUNT; role++) {
		assert_int_equal(policy_role_parse(policy_role_name((policy_role)role), &pr), 0);
		assert_int_equal(pr, role);
	}
	assert_int_equal(policy_role_parse("root", &pr), -1);
	assert_false(policy_readonly());
}

/* The [access] section: roles, readonly, and what is wrong with it named by line. */
static void test_access_config(void **state)
{
	(void)state;
	tt_config c;
	char err[1024];
	assert_int_equal(config_parse_string("[access]\nreadonly = yes\nalice = admin\n"
	                                     "bob = viewer\n",
	                                     "t.ini", &c, err, sizeof err),
	                 0);
	assert_int_equal(c.naccess, 1);
	assert_true(c.access->readonly);
	assert_int_equal(c.access->nusers, 2);
	assert_int_equal(policy_role_of(c.access, "alice"), ROLE_ADMIN);
	assert_int_equal(policy_role_of(c.access, "bob"), ROLE_VIEWER);
	assert_int_equal(policy_role_of(c.access, "eve"), ROLE_VIEWER);
	config_free(&c);
	assert_int_equal(
	    config_parse_string("[gateway a]\nurl = http://x\n", "t.ini", &c, err, sizeof err), 0);
	assert_int_equal(c.naccess, 0);
	config_free(&c);
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"[access]\nalice = boss\n", "t.ini:2: [access] key 'alice': 'boss' is not a role; "
	                                 "expected USER = viewer, operator or admin"},
	    {"[access]\nalice = admin\nalice = viewer\n", "t.ini:3: [access] key 'alice': the "
	                                                  "user is given twice"},
	    {"[access]\nreadonly = maybe\n", "t.ini:2: [access] key 'readonly': 'maybe' is not "
	                                     "yes or no"},
	    {"[access x]\n", "t.ini:1: [access x] takes no name: write [access]"},
	    {"[access]\n[access]\n", "t.ini:2: [access] is given twice"},
	    {"[nope]\n", "[prometheus NAME], [access]"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(config_parse_string(bad[i].text, "t.ini", &c, err, sizeof err),
		                 -1);
		if (!strstr(err, bad[i].want))
			fail_msg("expected '%s' in: %s", bad[i].want, err);
	}
}

/* ---- sending on a loop ---- */

typedef struct harness {
	uv_loop_t loop;
	http_client *http;
	store *st;
	audit *log;
	action_env env;
	action_gateway gw;
	char dir[256], url[64];
	/* the last callback's outcome */
	bool done;
	action_plan *plan;
	bool applied;
	long status;
	char message[1400], control_id[256];
	int64_t pending_seq, done_seq;
	int rec_applied, rec_failed;
} harness;

static void harness_open(harness *h, action_dialect d, uint16_t port)
{
	char err[1400], path[512];
	memset(h, 0, sizeof *h);
	snprintf(h->dir, sizeof h->dir, "%s", tu_tmpdir());
	snprintf(path, sizeof path, "%s/t.db", h->dir);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	h->st = store_open(path, &o, err, sizeof err);
	assert_non_null(h->st);
	snprintf(path, sizeof path, "%s/audit.key", h->dir);
	h->log = audit_open(h->st, path, err, sizeof err);
	if (!h->log)
		fail_msg("audit_open: %s", err);
	uv_loop_init(&h->loop);
	h->http = http_client_new(&h->loop);
	snprintf(h->url, sizeof h->url, "http://127.0.0.1:%u", port);
	h->gw = (action_gateway){.name = d == ACTION_DIALECT_LITELLM ? "lite" : "sim",
	                         .url = h->url,
	                         .dialect = d,
	                         .token = d == ACTION_DIALECT_LITELLM ? "sk-master" : NULL};
	h->env = (action_env){.http = h->http,
	                      .log = h->log,
	                      .st = h->st,
	                      .user = "alice",
	                      .as_name = "",
	                      .host = "test",
	                      .role = ROLE_ADMIN};
}

static void harness_close(harness *h)
{
	http_client_free(h->http);
	uv_run(&h->loop, UV_RUN_DEFAULT);
	uv_loop_close(&h->loop);
	audit_close(h->log);
	store_close(h->st);
}

static void wait_done(harness *h)
{
	while (!h->done)
		uv_run(&h->loop, UV_RUN_ONCE);
	h->done = false;
}

static void on_plan(void *ctx, action_plan *p)
{
	harness *h = ctx;
	h->plan = p;
	h->done = true;
}

static void on_result(void *ctx, const action_result *r)
{
	harness *h = ctx;
	h->applied = r->applied;
	h->status = r->http_status;
	snprintf(h->message, sizeof h->message, "%s", r->message);
	snprintf(h->control_id, sizeof h->control_id, "%s", r->control_id ? r->control_id : "");
	h->pending_seq = r->pending_seq;
	h->done_seq = r->done_seq;
	h->done = true;
}

static action_plan *plan(harness *h, const action_req *r)
{
	char err[512];
	if (action_plan_start(&h->env, &h->gw, r, on_plan, h, err, sizeof err))
		fail_msg("plan: %s", err);
	wait_done(h);
	if (h->plan->error[0])
		fail_msg("plan: %s", h->plan->error);
	return h->plan;
}

static void send_plan(harness *h, action_plan *p)
{
	char err[512];
	if (action_send(p, on_result, h, err, sizeof err))
		fail_msg("send: %s", err);
	wait_done(h);
}

static void test_litellm_send(void **state)
{
	(void)state;
	fixture f;
	assert_int_equal(fx_start(&f, NULL), 0);
	harness h;
	harness_open(&h, ACTION_DIALECT_LITELLM, f.port);

	action_req r = req_of("throttle", "key=sk-abc");
	set(&r, ACTION_P_TPM, "100000");
	action_plan *p = plan(&h, &r);
	json_t *get = fx_last(&f);
	assert_string_equal(json_string_value(json_object_get(get, "method")), "GET");
	assert_string_equal(json_string_value(json_object_get(get, "path")), "/key/info");
	assert_string_equal(json_string_value(json_object_get(get, "arg")), "sk-abc");
	assert_string_equal(hdr(get, "Authorization"), "Bearer sk-master");
	json_decref(get);
	assert_false(p->blast.known);
	char *d = action_plan_describe(p);
	assert_non_null(strstr(d, "POST http://127.0.0.1:"));
	assert_non_null(strstr(d, "Authorization: Bearer <redacted>"));
	assert_null(strstr(d, "sk-master"));
	assert_non_null(strstr(d, "LiteLLM-Changed-By: alice"));
	free(d);
	send_plan(&h, p);
	assert_true(h.applied);
	assert_string_equal(h.control_id, "throttle:key=sk-abc");
	json_t *post = fx_last(&f);
	assert_string_equal(json_string_value(json_object_get(post, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(post, "path")), "/key/update");
	assert_string_equal(hdr(post, "LiteLLM-Changed-By"), "alice");
	assert_string_equal(hdr(post, "Authorization"), "Bearer sk-master");
	assert_string_equal(hdr(post, "Content-Type"), "application/json");
	assert_null(hdr(post, "If-Match"));
	assert_string_equal(json_string_value(json_object_get(post, "body")),
	                    "{\"key\":\"sk-abc\",\"tpm_limit\":100000}");
	json_decref(post);

	/* the lift restores what /key/info said before the throttle */
	action_req l = req_of("lift", NULL);
	set(&l, ACTION_P_ID, "throttle:key=sk-abc");
	p = plan(&h, &l);
	assert_int_equal(p->ref_seq, h.done_seq);
	send_plan(&h, p);
	assert_true(h.applied);
	post = fx_last(&f);
	assert_string_equal(json_string_value(json_object_get(post, "path")), "/key/update");
	assert_string_equal(json_string_value(json_object_get(post, "body")),
	                    "{\"key\":\"sk-abc\",\"tpm_limit\":null,\"rpm_limit\":100}");
	assert_string_equal(hdr(post, "LiteLLM-Changed-By"), "alice");
	json_decref(post);

	/* a refusal comes back verbatim and is recorded failed */
	r = req_of("kill-switch", "key=sk-abc");
	send_plan(&h, plan(&h, &r));
	assert_true(h.applied);
	l = req_of("lift", NULL);
	set(&l, ACTION_P_ID, "kill-switch:key=sk-abc");
	send_plan(&h, plan(&h, &l));
	assert_false(h.applied);
	assert_int_equal(h.status, 401);
	assert_non_null(strstr(h.message, "HTTP 401"));

	/* cache settings: the current ones with the new TTL, credentials left to the proxy */
	r = req_of("cache-ttl", NULL);
	set(&r, ACTION_P_TTL, "1h");
	send_plan(&h, plan(&h, &r));
	post = fx_last(&f);
	assert_string_equal(json_string_value(json_object_get(post, "body")),
	                    "{\"cache_settings\":{\"type\":\"redis\",\"host\":\"redis\",\"port\":"
	                    "\"6379\",\"password\":\"***REDACTED***\",\"ttl\":3600,\"redis_type\":"
	                    "\"node\"}}");
	json_decref(post);

	/* the log holds, and every write was recorded before it left */
	audit_verdict v;
	assert_int_equal(audit_verify(h.log, &v), 0);
	assert_true(v.ok);
	assert_int_equal(v.records, 10);
	harness_close(&h);
	fx_stop(&f);
}

static sim *start_sim(void)
{
	char err[256];
	sim_opts o = {.seed = 7, .rate = 20, .history_ms = 10 * 60000LL};
	sim *s = sim_new(&o, err, sizeof err);
	if (!s || sim_start(s, err, sizeof err))
		fail_msg("sim: %s", err);
	return s;
}

static void on_reconciled(void *ctx, int applied, int failed, const char *error)
{
	harness *h = ctx;
	h->rec_applied = applied;
	h->rec_failed = failed;
	if (error)
		snprintf(h->message, sizeof h->message, "%s", error);
	h->done = true;
}

static int count_kind(void *ctx, const audit_record *r)
{
	int *n = ctx;
	if (!strcmp(r->kind, "reconcile"))
		n[!strcmp(r->status, "applied")]++;
	return 0;
}

/* Pending records a crash left: the control one made is found, one never sent is not. */
static void test_reconcile_records(void **state)
{
	(void)state;
	sim *s = start_sim();
	harness h;
	harness_open(&h, ACTION_DIALECT_TOKENTOP, sim_port(s));
	char err[512];
	action_req r = req_of("kill-switch", "use_case=support-bot");
	action_plan *p = plan(&h, &r);
	audit_record pend = {.actor = "alice",
	                     .role = "admin",
	                     .host = "test",
	                     .kind = "action",
	                     .action = "kill-switch",
	                     .gateway = "sim",
	                     .scope = p->scope,
	                     .params = "{}",
	                     .reason = r.reason,
	                     .state_before = p->state_before,
	                     .status = "pending",
	                     .idem_key = p->idem_key};
	assert_int_equal(audit_append(h.log, &pend, err, sizeof err), 0);
	audit_record lost = pend;
	lost.scope = "use_case=never-sent";
	assert_int_equal(audit_append(h.log, &lost, err, sizeof err), 0);
	audit_record other = pend;
	other.gateway = "elsewhere";
	assert_int_equal(audit_append(h.log, &other, err, sizeof err), 0);
	/* the request itself reaches the gateway (the crash came before its answer) */
	send_plan(&h, p);
	assert_true(h.applied);

	assert_int_equal(action_reconcile_start(&h.env, &h.gw, on_reconciled, &h, err, sizeof err),
	                 0);
	wait_done(&h);
	assert_int_equal(h.rec_applied, 1);
	assert_int_equal(h.rec_failed, 1);
	int n[2] = {0, 0};
	audit_each(h.log, 0, count_kind, n);
	assert_int_equal(n[1], 1);
	assert_int_equal(n[0], 1);
	/* nothing is left open for this gateway: a second pass finds nothing */
	assert_int_equal(action_reconcile_start(&h.env, &h.gw, on_reconciled, &h, err, sizeof err),
	                 0);
	if (!h.done)
		wait_done(&h);
	h.done = false;
	assert_int_equal(h.rec_applied + h.rec_failed, 0);
	audit_verdict v;
	assert_int_equal(audit_verify(h.log, &v), 0);
	assert_true(v.ok);
	harness_close(&h);
	sim_free(s);
}

/* A stale ETag: 412, a clear message, a failed record, nothing applied. */
static void test_stale_etag(void **state)
{
	(void)state;
	sim *s = start_sim();
	harness h;
	harness_open(&h, ACTION_DIALECT_TOKENTOP, sim_port(s));
	action_req r = req_of("throttle", "use_case=support-bot");
	set(&r, ACTION_P_RPS, "1");
	action_plan *first = plan(&h, &r);
	action_req k = req_of("kill-switch", "use_case=code-assist");
	send_plan(&h, plan(&h, &k)); /* the controls change under the first plan */
	assert_true(h.applied);
	send_plan(&h, first);
	assert_false(h.applied);
	assert_int_equal(h.status, 412);
	assert_non_null(strstr(h.message, "controls changed since you looked"));
	assert_non_null(strstr(h.message, "refresh and retry"));
	harness_close(&h);
	sim_free(s);
}

/* Last: the latch cannot be cleared, so every test after it would run read-only. */
static void test_readonly_latch(void **state)
{
	(void)state;
	sim *s = start_sim();
	harness h;
	harness_open(&h, ACTION_DIALECT_TOKENTOP, sim_port(s));
	action_req r = req_of("kill-switch", "use_case=support-bot");
	action_plan *p = plan(&h, &r); /* reading is allowed: a dry run works read-only */
	policy_set_readonly();
	assert_true(policy_readonly());
	char err[512];
	assert_int_equal(action_send(p, on_result, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "read-only"));
	for (size_t i = 0; i < action_count; i++)
		for (int role = 0; role < ROLE_COUNT; role++)
			assert_int_equal(policy_check(&action_table[i], (policy_role)role, "alice",
			                              err, sizeof err),
			                 -1);
	action_plan_free(p);
	/* nothing reached the gateway, and nothing was recorded */
	p = plan(&h, &r);
	assert_int_equal(strstr(p->state_before, "\"controls\":[]") != NULL, 1);
	action_plan_free(p);
	audit_verdict v;
	assert_int_equal(audit_verify(h.log, &v), 0);
	assert_int_equal(v.records, 0);
	harness_close(&h);
	sim_free(s);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--litellm-fixture") == 0)
		return run_fixture(argv[2]);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_consistent),  cmocka_unit_test(test_docs_name_every_action),
	    cmocka_unit_test(test_v1_requests),       cmocka_unit_test(test_litellm_requests),
	    cmocka_unit_test(test_validation),        cmocka_unit_test(test_policy_matrix),
	    cmocka_unit_test(test_access_config),     cmocka_unit_test(test_litellm_send),
	    cmocka_unit_test(test_reconcile_records), cmocka_unit_test(test_stale_etag),
	    cmocka_unit_test(test_readonly_latch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
