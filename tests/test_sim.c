/* Tests for the simulator: pure helpers, control validation, and the API driven in-process. */
#include "testutil.h"

#include <jansson.h>
#include <strings.h>

#include "tokentop/parse.h"
#include "tokentop/ratecard.h"
#include "tokentop/sim.h"
#include "tokentop/timeutil.h"

#define MIN_MS 60000LL

static void test_faults_parse(void **state)
{
	(void)state;
	sim_faults f;
	char err[256];
	assert_int_equal(sim_faults_parse("5xx=0.2,slow=0.1,truncate=0.05,oversize=0.01,drop=0.05",
	                                  &f, err, sizeof err),
	                 0);
	assert_int_equal(f.ppm[SIM_FAULT_5XX], 200000);
	assert_int_equal(f.ppm[SIM_FAULT_SLOW], 100000);
	assert_int_equal(f.ppm[SIM_FAULT_TRUNCATE], 50000);
	assert_int_equal(f.ppm[SIM_FAULT_OVERSIZE], 10000);
	assert_int_equal(f.ppm[SIM_FAULT_DROP], 50000);
	assert_int_equal(sim_faults_parse("drop=1", &f, err, sizeof err), 0);
	assert_int_equal(f.ppm[SIM_FAULT_DROP], 1000000);
	assert_int_equal(f.ppm[SIM_FAULT_5XX], 0);
	const char *bad[] = {"",
	                     "5xx",
	                     "5xx=",
	                     "5xx=-0.1",
	                     "5xx=1.5",
	                     "5xx=0.6,drop=0.5",
	                     "5xx=0.1,5xx=0.1",
	                     "teapot=0.1",
	                     "5xx=0.1,",
	                     "5xx=abc",
	                     "=0.1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		assert_int_equal(sim_faults_parse(bad[i], &f, err, sizeof err), -1);
		assert_true(strncmp(err, "faults: ", 8) == 0);
	}
	assert_int_equal(sim_faults_parse("teapot=0.1", &f, err, sizeof err), -1);
	assert_non_null(strstr(err, "teapot"));
}

static void test_faults_pick(void **state)
{
	(void)state;
	sim_faults f = {{0}};
	f.ppm[SIM_FAULT_5XX] = 200000;
	f.ppm[SIM_FAULT_DROP] = 50000;
	assert_int_equal(sim_faults_pick(&f, 0), SIM_FAULT_5XX);
	assert_int_equal(sim_faults_pick(&f, 199999), SIM_FAULT_5XX);
	assert_int_equal(sim_faults_pick(&f, 200000), SIM_FAULT_DROP);
	assert_int_equal(sim_faults_pick(&f, 249999), SIM_FAULT_DROP);
	assert_int_equal(sim_faults_pick(&f, 250000), SIM_FAULT_NONE);
	assert_int_equal(sim_faults_pick(&f, 999999), SIM_FAULT_NONE);
	sim_faults none = {{0}};
	assert_int_equal(sim_faults_pick(&none, 0), SIM_FAULT_NONE);
}

static void test_cursor(void **state)
{
	(void)state;
	char c[SIM_CURSOR_CAP];
	uint64_t seq;
	uint64_t inst = 0x0123456789abcdefULL;
	uint64_t seqs[] = {0, 1, 500, 123456789, UINT64_MAX};
	for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		sim_cursor_format(inst, seqs[i], c, sizeof c);
		assert_int_equal(sim_cursor_parse(c, inst, &seq), 0);
		assert_true(seq == seqs[i]);
		assert_int_equal(sim_cursor_parse(c, inst + 1, &seq), -1);
	}
	sim_cursor_format(inst, 42, c, sizeof c);
	size_t n = strlen(c);
	for (size_t i = 0; i < n; i++) {
		char t[SIM_CURSOR_CAP];
		memcpy(t, c, n + 1);
		t[i] = t[i] == '1' ? '2' : '1';
		assert_int_equal(sim_cursor_parse(t, inst, &seq), -1);
	}
	char upper[SIM_CURSOR_CAP];
	memcpy(upper, c, n + 1);
	for (size_t i = 1; i < n; i++)
		upper[i] = (char)(upper[i] >= 'a' && upper[i] <= 'f' ? upper[i] - 32 : upper[i]);
	if (strcmp(upper, c) != 0)
		assert_int_equal(sim_cursor_parse(upper, inst, &seq), -1);
	const char *bad[] = {"", "c", "garbage", "c0123"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sim_cursor_parse(bad[i], inst, &seq), -1);
	char longer[SIM_CURSOR_CAP + 1];
	snprintf(longer, sizeof longer, "%s0", c);
	assert_int_equal(sim_cursor_parse(longer, inst, &seq), -1);
}

static void test_token_equal(void **state)
{
	(void)state;
	assert_true(sim_token_equal("abc", 3, "abc", 3));
	assert_false(sim_token_equal("abd", 3, "abc", 3));
	assert_false(sim_token_equal("ab", 2, "abc", 3));
	assert_false(sim_token_equal("abcd", 4, "abc", 3));
	assert_false(sim_token_equal("", 0, "abc", 3));
	assert_false(sim_token_equal("xbc", 3, "abc", 3));
}

static void test_scenario_split(void **state)
{
	(void)state;
	char name[32];
	int64_t at = 7;
	assert_int_equal(sim_scenario_split("cost-runaway", name, sizeof name, &at), 0);
	assert_string_equal(name, "cost-runaway");
	assert_true(at == 0);
	assert_int_equal(sim_scenario_split("429-storm@+10m", name, sizeof name, &at), 0);
	assert_string_equal(name, "429-storm");
	assert_true(at == 10 * MIN_MS);
	assert_int_equal(sim_scenario_split("steady@-2h", name, sizeof name, &at), 0);
	assert_true(at == -120 * MIN_MS);
	const char *bad[] = {"", "@+10m", "x@10m", "x@+", "x@+10", "x@+ten"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sim_scenario_split(bad[i], name, sizeof name, &at), -1);
	assert_int_equal(sim_scenario_split("a-very-long-scenario-name-that-does-not-fit", name,
	                                    sizeof name, &at),
	                 -1);
}

static void test_listen_parse(void **state)
{
	(void)state;
	char host[64];
	uint16_t port;
	bool v6;
	assert_int_equal(sim_listen_parse("127.0.0.1:0", host, sizeof host, &port, &v6), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_false(v6);
	assert_int_equal(sim_listen_parse("localhost:8080", host, sizeof host, &port, &v6), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_int_equal(sim_listen_parse("[::1]:65535", host, sizeof host, &port, &v6), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_true(v6);
	const char *bad[] = {"127.0.0.1",    "127.0.0.1:",     ":80",     "127.0.0.1:65536",
	                     "127.0.0.1:8x", "example.com:80", "[::1:80", "::1:80",
	                     "127.0.0.1:-1", "999.0.0.1:80"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sim_listen_parse(bad[i], host, sizeof host, &port, &v6), -1);
}

static sim_control *parse(const char *json, char *err, size_t errlen)
{
	return sim_control_parse(json, strlen(json), 1000000, err, errlen);
}

static void expect_reject(const char *json, const char *needle)
{
	char err[400] = "";
	sim_control *c = parse(json, err, sizeof err);
	if (c || !strstr(err, needle))
		fail_msg("%s: got '%s', wanted '%s'", json, err, needle);
}

static void test_control_parse(void **state)
{
	(void)state;
	char err[400];
	sim_control *c = parse("{\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"support-bot\"},"
	                       "\"reason\":\"r\",\"actor\":\"a\",\"expires_at\":null}",
	                       err, sizeof err);
	assert_non_null(c);
	sim_control_free(c);
	c = parse("{\"kind\":\"reroute\",\"scope\":{\"use_case\":\"support-bot\"},\"params\":"
	          "{\"targets\":[{\"provider\":\"anthropic\",\"model\":\"claude-haiku-4-5\","
	          "\"weight\":3},{\"provider\":\"openai\",\"model\":\"gpt-4o\"}]},\"reason\":\"r\","
	          "\"actor\":\"a\",\"expires_at\":\"2099-01-01T00:00:00Z\"}",
	          err, sizeof err);
	assert_non_null(c);
	sim_control_free(c);

	expect_reject("nope", "body: not JSON");
	expect_reject("[]", "body: must be a JSON object");
	expect_reject("{\"kind\":\"nuke\",\"scope\":{\"tenant\":\"t\"},\"reason\":\"r\",\"actor\":"
	              "\"a\"}",
	              "kind:");
	expect_reject("{\"kind\":\"kill_switch\",\"reason\":\"r\",\"actor\":\"a\"}", "scope:");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{},\"reason\":\"r\",\"actor\":\"a\"}",
	              "scope:");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"region\":\"eu\"},\"reason\":\"r\","
	              "\"actor\":\"a\"}",
	              "scope.region: unknown key");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"\"},\"reason\":\"r\","
	              "\"actor\":\"a\"}",
	              "scope.tenant:");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"t\"},\"actor\":\"a\"}",
	              "reason:");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"t\"},\"reason\":\"r\"}",
	              "actor:");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"t\"},\"reason\":\"r\","
	              "\"actor\":\"a\",\"params\":{\"x\":1}}",
	              "params: kill_switch takes none");
	expect_reject("{\"kind\":\"throttle\",\"scope\":{\"tenant\":\"t\"},\"reason\":\"r\","
	              "\"actor\":\"a\"}",
	              "params: throttle needs");
	expect_reject("{\"kind\":\"throttle\",\"scope\":{\"tenant\":\"t\"},\"params\":{\"rps\":0},"
	              "\"reason\":\"r\",\"actor\":\"a\"}",
	              "params.rps:");
	expect_reject("{\"kind\":\"cache_ttl\",\"scope\":{\"tenant\":\"t\"},\"params\":"
	              "{\"ttl_seconds\":1.5},\"reason\":\"r\",\"actor\":\"a\"}",
	              "params.ttl_seconds:");
	expect_reject("{\"kind\":\"reroute\",\"scope\":{\"use_case\":\"u\",\"tenant\":\"t\"},"
	              "\"params\":{\"targets\":[{\"provider\":\"p\",\"model\":\"m\"}]},"
	              "\"reason\":\"r\",\"actor\":\"a\"}",
	              "applies to a route");
	expect_reject("{\"kind\":\"reroute\",\"scope\":{\"use_case\":\"u\"},\"params\":"
	              "{\"targets\":[]},\"reason\":\"r\",\"actor\":\"a\"}",
	              "params.targets:");
	expect_reject("{\"kind\":\"reroute\",\"scope\":{\"use_case\":\"u\"},\"params\":"
	              "{\"targets\":[{\"provider\":\"p\"}]},\"reason\":\"r\",\"actor\":\"a\"}",
	              "params.targets[0].model:");
	expect_reject("{\"kind\":\"degrade\",\"scope\":{\"use_case\":\"u\"},\"params\":"
	              "{\"tier\":\"huge\"},\"reason\":\"r\",\"actor\":\"a\"}",
	              "params.tier:");
	expect_reject("{\"kind\":\"disable_tool\",\"scope\":{\"use_case\":\"u\"},\"reason\":\"r\","
	              "\"actor\":\"a\"}",
	              "params.tool:");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"t\"},\"reason\":\"r\","
	              "\"actor\":\"a\",\"expires_at\":\"1970-01-01T00:00:00Z\"}",
	              "expires_at: already past");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"t\"},\"reason\":\"r\","
	              "\"actor\":\"a\",\"expires_at\":\"soon\"}",
	              "expires_at:");
	expect_reject(
	    "{\"kind\":\"kill_switch\",\"kind\":\"throttle\",\"scope\":{\"tenant\":\"t\"},"
	    "\"reason\":\"r\",\"actor\":\"a\"}",
	    "body: not JSON");
	expect_reject("{\"kind\":\"kill_switch\",\"scope\":{\"tenant\":\"a\\nb\"},\"reason\":\"r\","
	              "\"actor\":\"a\"}",
	              "control characters");
}

static void test_control_matches(void **state)
{
	(void)state;
	char err[400];
	tt_event ev;
	event_init(&ev);
	strcpy(ev.use_case, "support-bot");
	strcpy(ev.tenant, "acme");
	strcpy(ev.model, "gpt-4o-mini");
	sim_control *c = parse("{\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"support-bot\"},"
	                       "\"reason\":\"r\",\"actor\":\"a\"}",
	                       err, sizeof err);
	assert_non_null(c);
	assert_true(sim_control_matches(c, &ev));
	strcpy(ev.use_case, "support-bot-2");
	assert_false(sim_control_matches(c, &ev));
	sim_control_free(c);

	strcpy(ev.use_case, "support-bot");
	c = parse("{\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"support-bot\",\"tenant\":"
	          "\"globex\"},\"reason\":\"r\",\"actor\":\"a\"}",
	          err, sizeof err);
	assert_false(sim_control_matches(c, &ev));
	strcpy(ev.tenant, "globex");
	assert_true(sim_control_matches(c, &ev));
	sim_control_free(c);

	c = parse(
	    "{\"kind\":\"kill_switch\",\"scope\":{\"model\":\"gpt-4o-mini\"},\"reason\":\"r\","
	    "\"actor\":\"a\"}",
	    err, sizeof err);
	assert_true(sim_control_matches(c, &ev));
	sim_control_free(c);

	/* events name no tool: a tool scope matches none of them */
	c = parse("{\"kind\":\"kill_switch\",\"scope\":{\"tool\":\"web-search\"},\"reason\":\"r\","
	          "\"actor\":\"a\"}",
	          err, sizeof err);
	assert_false(sim_control_matches(c, &ev));
	sim_control_free(c);
}

/* The API in-process: a fake clock and requests built by hand. */

typedef struct req {
	const char *args[6][2];
	const char *headers[6][2];
} req;

static const char *kv_find(const char *(*kv)[2], const char *name, bool nocase)
{
	for (int i = 0; i < 6 && kv[i][0]; i++)
		if (nocase ? strcasecmp(kv[i][0], name) == 0 : strcmp(kv[i][0], name) == 0)
			return kv[i][1];
	return NULL;
}

static const char *req_arg(void *ctx, const char *name)
{
	return kv_find(((req *)ctx)->args, name, false);
}

static const char *req_header(void *ctx, const char *name)
{
	return kv_find(((req *)ctx)->headers, name, true);
}

static int64_t clock_now;

static int64_t fake_clock(void *ctx)
{
	return *(int64_t *)ctx;
}

/* Tuesday 2026-11-24 14:00 UTC: every workload is busy. */
static int64_t tuesday(void)
{
	return time_days_from_civil(2026, 11, 24) * 86400000LL + 14 * 3600000LL;
}

static ratecard *card(void)
{
	char path[4096], err[256];
	snprintf(path, sizeof path, "%s/fixtures/ratecard.json", tu_srcdir());
	ratecard *rc = ratecard_load(path, err, sizeof err);
	if (!rc)
		fail_msg("%s", err);
	return rc;
}

static sim *make(sim_opts o)
{
	clock_now = tuesday();
	o.clock = fake_clock;
	o.clock_ctx = &clock_now;
	if (!o.seed)
		o.seed = 5;
	char err[256];
	sim *s = sim_new(&o, err, sizeof err);
	if (!s)
		fail_msg("sim_new: %s", err);
	return s;
}

/* One exchange; returns the status and the parsed JSON body (NULL for other bodies). */
static int call(sim *s, const char *method, const char *path, req *r, const char *body,
                json_t **out, sim_response *keep)
{
	req none = {{{0}}};
	sim_request rq = {
	    method, path, req_arg, req_header, r ? r : &none, body, body ? strlen(body) : 0};
	sim_response rs;
	sim_handle(s, &rq, &rs);
	if (out)
		*out = rs.len && strcmp(rs.content_type, "application/json") == 0
		           ? json_loadb(rs.body, rs.len, 0, NULL)
		           : NULL;
	int status = rs.status;
	if (keep)
		*keep = rs;
	else
		sim_response_free(&rs);
	return status;
}

static const char *header_of(const sim_response *rs, const char *name)
{
	for (int i = 0; i < rs->n_headers; i++)
		if (strcasecmp(rs->headers[i].name, name) == 0)
			return rs->headers[i].value;
	return NULL;
}

typedef struct evlist {
	tt_event *v;
	size_t n, cap;
} evlist;

static void collect(void *ctx, const tt_event *ev)
{
	evlist *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		assert_non_null(l->v);
	}
	l->v[l->n++] = *ev;
}

static void reject(void *ctx, int item, const char *reason)
{
	(void)ctx;
	fail_msg("event %d rejected: %s", item, reason);
}

/* Pages from cursor to the end; the events parse back into l; *cursor moves on. */
static void page_all(sim *s, char *cursor, size_t cap, evlist *l)
{
	for (int pages = 0; pages < 10000; pages++) {
		req r = {.args = {{"cursor", cursor}, {"limit", "1000"}}};
		json_t *o;
		assert_int_equal(call(s, "GET", "/v1/events", &r, NULL, &o, NULL), 200);
		assert_non_null(o);
		json_t *evs = json_object_get(o, "events");
		size_t i;
		json_t *e;
		parse_sink sink = {collect, reject, l};
		json_array_foreach(evs, i, e)
		{
			char *text = json_dumps(e, JSON_COMPACT);
			assert_int_equal(parse_record(TT_FORMAT_NATIVE, text, strlen(text), &sink),
			                 1);
			free(text);
		}
		snprintf(cursor, cap, "%s", json_string_value(json_object_get(o, "next_cursor")));
		bool more = json_is_true(json_object_get(o, "has_more"));
		json_decref(o);
		if (!more)
			return;
	}
	fail_msg("paging did not end");
}

static int64_t stat_int(json_t *o, const char *use_case, const char *key)
{
	if (use_case)
		o = json_object_get(json_object_get(o, "by_use_case"), use_case);
	return json_integer_value(json_object_get(o, key));
}

static void test_paging_matches_stats(void **state)
{
	(void)state;
	ratecard *rc = card();
	sim *s = make((sim_opts){.rate = 50, .history_ms = 10 * MIN_MS, .card = rc});
	clock_now += 2 * MIN_MS;
	char cursor[SIM_CURSOR_CAP] = "";
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	assert_true(l.n > 30000 + 4000);

	req r = {.args = {{"cursor", cursor}}};
	json_t *st;
	assert_int_equal(call(s, "GET", "/v1/stats", &r, NULL, &st, NULL), 200);
	assert_int_equal(stat_int(st, NULL, "events"), (int64_t)l.n);
	int64_t cost = 0, in = 0, sb = 0, prev_ts = 0;
	for (size_t i = 0; i < l.n; i++) {
		tt_event *ev = &l.v[i];
		assert_true(ev->ts_ms >= prev_ts);
		prev_ts = ev->ts_ms;
		ratecard_price(rc, ev);
		cost += ev->cost_nanos;
		in += ev->input_tokens;
		sb += strcmp(ev->use_case, "support-bot") == 0;
	}
	assert_true(prev_ts <= clock_now);
	assert_int_equal(stat_int(st, NULL, "cost_nanos"), cost);
	assert_int_equal(stat_int(st, NULL, "input_tokens"), in);
	assert_int_equal(stat_int(st, "support-bot", "events"), sb);
	assert_string_equal(json_string_value(json_object_get(st, "cursor")), cursor);
	json_decref(st);

	/* the cursor at the end stays valid; new traffic arrives after it */
	clock_now += MIN_MS;
	evlist more = {0};
	page_all(s, cursor, sizeof cursor, &more);
	assert_true(more.n > 1000);
	assert_true(more.v[0].ts_ms >= prev_ts);
	assert_int_equal(call(s, "GET", "/v1/stats", NULL, NULL, &st, NULL), 200);
	assert_int_equal(stat_int(st, NULL, "events"), (int64_t)(l.n + more.n));
	json_decref(st);

	free(l.v);
	free(more.v);
	sim_free(s);
	ratecard_free(rc);
}

static void test_bad_requests(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 5, .history_ms = MIN_MS});
	json_t *o;
	req r = {.args = {{"cursor", "c00"}}};
	assert_int_equal(call(s, "GET", "/v1/events", &r, NULL, &o, NULL), 400);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "code")),
	                    "bad_cursor");
	json_decref(o);
	char far[SIM_CURSOR_CAP];
	snprintf(far, sizeof far, "%s", "c0000000000000000000000000000000100000000");
	req r2 = {.args = {{"cursor", far}}};
	assert_int_equal(call(s, "GET", "/v1/events", &r2, NULL, NULL, NULL), 400);
	const char *limits[] = {"0", "-1", "x", "1.5", ""};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		req rl = {.args = {{"limit", limits[i]}}};
		assert_int_equal(call(s, "GET", "/v1/events", &rl, NULL, NULL, NULL), 400);
	}
	req big = {.args = {{"limit", "999999"}}};
	assert_int_equal(call(s, "GET", "/v1/events", &big, NULL, &o, NULL), 200);
	assert_true(json_array_size(json_object_get(o, "events")) <= 5000);
	json_decref(o);
	assert_int_equal(call(s, "GET", "/v1/nothing", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(call(s, "PATCH", "/v1/controls", NULL, NULL, NULL, NULL), 405);
	assert_int_equal(call(s, "POST", "/v1/controls", NULL, "{", NULL, NULL), 400);
	assert_int_equal(call(s, "GET", "/v1/controls/ctl-1", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(call(s, "GET", "/v1/controls/", NULL, NULL, NULL, NULL), 404);
	req st = {.args = {{"state", "weird"}}};
	assert_int_equal(call(s, "GET", "/v1/controls", &st, NULL, NULL, NULL), 400);
	sim_free(s);
}

static const char *kill_body(const char *use_case, const char *extra)
{
	static char buf[512];
	snprintf(buf, sizeof buf,
	         "{\"kind\":\"kill_switch\",\"scope\":{\"use_case\":\"%s\"},\"reason\":\"test\","
	         "\"actor\":\"ci\"%s}",
	         use_case, extra);
	return buf;
}

static void etag(sim *s, char *buf, size_t cap)
{
	sim_response rs;
	assert_int_equal(call(s, "GET", "/v1/controls", NULL, NULL, NULL, &rs), 200);
	snprintf(buf, cap, "%s", header_of(&rs, "ETag"));
	sim_response_free(&rs);
}

static void test_kill_switch_and_delete(void **state)
{
	(void)state;
	ratecard *rc = card();
	sim *s = make((sim_opts){.rate = 50, .history_ms = MIN_MS, .card = rc});
	char tag0[64], tag1[64], cursor[SIM_CURSOR_CAP] = "";
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	etag(s, tag0, sizeof tag0);

	req r = {.headers = {{"Idempotency-Key", "key-1"}, {"If-Match", tag0}}};
	sim_response first, again;
	json_t *o;
	assert_int_equal(
	    call(s, "POST", "/v1/controls", &r, kill_body("product-search", ""), &o, &first), 201);
	const char *id = json_string_value(json_object_get(json_object_get(o, "control"), "id"));
	char idc[32];
	snprintf(idc, sizeof idc, "%s", id);
	json_decref(o);
	int64_t created = clock_now;
	/* a replay is the first answer; a stale If-Match does not matter to it */
	clock_now += 1000;
	assert_int_equal(
	    call(s, "POST", "/v1/controls", &r, kill_body("product-search", ""), NULL, &again),
	    201);
	assert_int_equal(first.len, again.len);
	assert_memory_equal(first.body, again.body, first.len);
	assert_string_equal(header_of(&again, "Idempotent-Replayed"), "true");
	assert_string_equal(header_of(&again, "ETag"), header_of(&first, "ETag"));
	sim_response_free(&first);
	sim_response_free(&again);
	/* the same key on another request */
	assert_int_equal(
	    call(s, "POST", "/v1/controls", &r, kill_body("code-review", ""), &o, NULL), 422);
	json_decref(o);
	/* a stale If-Match without a key */
	req stale = {.headers = {{"If-Match", tag0}}};
	assert_int_equal(
	    call(s, "POST", "/v1/controls", &stale, kill_body("code-review", ""), &o, NULL), 412);
	assert_non_null(json_object_get(o, "etag"));
	json_decref(o);
	etag(s, tag1, sizeof tag1);
	assert_string_not_equal(tag0, tag1);

	clock_now += 2 * MIN_MS;
	l.n = 0;
	page_all(s, cursor, sizeof cursor, &l);
	size_t killed = 0, others_ok = 0;
	for (size_t i = 0; i < l.n; i++) {
		tt_event *ev = &l.v[i];
		bool in_scope = strcmp(ev->use_case, "product-search") == 0;
		if (in_scope && ev->ts_ms > created) {
			assert_int_equal(ev->status, TT_STATUS_KILLED);
			assert_true(ev->input_tokens == 0 && ev->output_tokens == 0 &&
			            ev->cached_tokens == 0);
			ratecard_price(rc, ev);
			assert_true(ev->cost_nanos == 0);
			killed++;
		}
		if (!in_scope) {
			assert_int_not_equal(ev->status, TT_STATUS_KILLED);
			others_ok += ev->status == TT_STATUS_OK;
		}
	}
	assert_true(killed > 100);
	assert_true(others_ok > 1000);

	char path[64];
	snprintf(path, sizeof path, "/v1/controls/%s", idc);
	req del_stale = {.headers = {{"If-Match", tag0}}};
	assert_int_equal(call(s, "DELETE", path, &del_stale, NULL, NULL, NULL), 412);
	req del = {.headers = {{"If-Match", tag1}, {"Idempotency-Key", "del-1"}}};
	assert_int_equal(call(s, "DELETE", path, &del, NULL, &o, NULL), 200);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "control"), "state")), "lifted");
	assert_int_equal(json_array_size(json_object_get(o, "controls")), 0);
	json_decref(o);
	assert_int_equal(call(s, "DELETE", path, &del, NULL, NULL, NULL), 200); /* replayed */
	assert_int_equal(call(s, "DELETE", path, NULL, NULL, NULL, NULL), 410);
	int64_t lifted = clock_now;
	clock_now += 2 * MIN_MS;
	l.n = 0;
	page_all(s, cursor, sizeof cursor, &l);
	size_t back = 0;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].ts_ms > lifted && strcmp(l.v[i].use_case, "product-search") == 0) {
			assert_int_not_equal(l.v[i].status, TT_STATUS_KILLED);
			back++;
		}
	assert_true(back > 100);

	assert_int_equal(call(s, "GET", "/v1/stats", NULL, NULL, &o, NULL), 200);
	assert_int_equal(stat_int(o, "product-search", "cost_nanos") > 0, 1);
	assert_true(json_integer_value(json_object_get(
	                json_object_get(
	                    json_object_get(json_object_get(o, "by_use_case"), "product-search"),
	                    "by_status"),
	                "killed")) == (json_int_t)killed);
	json_decref(o);
	free(l.v);
	sim_free(s);
	ratecard_free(rc);
}

static void test_expiry(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 50, .history_ms = MIN_MS});
	char tag0[64], tag1[64], cursor[SIM_CURSOR_CAP] = "", extra[96], when[32];
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	int64_t until = clock_now + 30000;
	time_format_iso(until, when, sizeof when);
	snprintf(extra, sizeof extra, ",\"expires_at\":\"%s\"", when);
	assert_int_equal(
	    call(s, "POST", "/v1/controls", NULL, kill_body("support-bot", extra), NULL, NULL),
	    201);
	etag(s, tag0, sizeof tag0);
	clock_now += 2 * MIN_MS;
	l.n = 0;
	page_all(s, cursor, sizeof cursor, &l);
	size_t before = 0, after = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (strcmp(l.v[i].use_case, "support-bot") != 0)
			continue;
		if (l.v[i].ts_ms < until) {
			assert_int_equal(l.v[i].status, TT_STATUS_KILLED);
			before++;
		} else {
			assert_int_not_equal(l.v[i].status, TT_STATUS_KILLED);
			after++;
		}
	}
	assert_true(before > 50 && after > 100);
	etag(s, tag1, sizeof tag1);
	assert_string_not_equal(tag0, tag1);
	json_t *o;
	assert_int_equal(call(s, "GET", "/v1/controls/ctl-1", NULL, NULL, &o, NULL), 200);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "control"), "state")), "expired");
	json_decref(o);
	req all = {.args = {{"state", "all"}}};
	assert_int_equal(call(s, "GET", "/v1/controls", &all, NULL, &o, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(o, "controls")), 1);
	json_decref(o);
	assert_int_equal(call(s, "GET", "/v1/controls", NULL, NULL, &o, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(o, "controls")), 0);
	json_decref(o);
	/* a conditional GET */
	req inm = {.headers = {{"If-None-Match", tag1}}};
	assert_int_equal(call(s, "GET", "/v1/controls", &inm, NULL, NULL, NULL), 304);
	free(l.v);
	sim_free(s);
}

/* Share of in-scope events with a property, over [from, to). */
typedef bool (*ev_pred)(const tt_event *ev);

static double share(const evlist *l, const char *use_case, int64_t from, int64_t to, ev_pred p,
                    size_t *n_out)
{
	size_t n = 0, yes = 0;
	for (size_t i = 0; i < l->n; i++) {
		const tt_event *ev = &l->v[i];
		if (ev->ts_ms < from || ev->ts_ms >= to || strcmp(ev->use_case, use_case) != 0)
			continue;
		n++;
		yes += p(ev);
	}
	if (n_out)
		*n_out = n;
	return n ? (double)yes / (double)n : 0;
}

static bool is_hit(const tt_event *ev)
{
	return ev->cache == TT_CACHE_HIT;
}

static bool is_throttled(const tt_event *ev)
{
	return ev->status == TT_STATUS_THROTTLED;
}

static bool is_admitted(const tt_event *ev)
{
	return ev->status != TT_STATUS_THROTTLED;
}

static void test_throttle(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 50, .history_ms = MIN_MS});
	char cursor[SIM_CURSOR_CAP] = "";
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	int64_t t0 = clock_now;
	assert_int_equal(call(s, "POST", "/v1/controls", NULL,
	                      "{\"kind\":\"throttle\",\"scope\":{\"use_case\":\"support-bot\"},"
	                      "\"params\":{\"rps\":2},\"reason\":\"r\",\"actor\":\"a\"}",
	                      NULL, NULL),
	                 201);
	clock_now += 5 * MIN_MS;
	l.n = 0;
	page_all(s, cursor, sizeof cursor, &l);
	size_t n;
	double throttled = share(&l, "support-bot", t0, clock_now + 1, is_throttled, &n);
	double admitted =
	    share(&l, "support-bot", t0, clock_now + 1, is_admitted, NULL) * (double)n;
	assert_true(n > 2000);
	assert_true(throttled > 0.5);
	/* two a second for 300 s, plus the burst of a full bucket */
	assert_true(admitted <= 2 * 300 + 2 + 0.5);
	assert_true(admitted >= 2 * 300 - 30);
	assert_true(share(&l, "product-search", t0, clock_now + 1, is_throttled, NULL) == 0);
	free(l.v);
	sim_free(s);
}

static void test_cache_ttl(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 50, .history_ms = 10 * MIN_MS});
	char cursor[SIM_CURSOR_CAP] = "";
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	int64_t t0 = clock_now;
	assert_int_equal(call(s, "POST", "/v1/controls", NULL,
	                      "{\"kind\":\"cache_ttl\",\"scope\":{\"use_case\":\"product-search\"},"
	                      "\"params\":{\"ttl_seconds\":3600},\"reason\":\"r\",\"actor\":\"a\"}",
	                      NULL, NULL),
	                 201);
	clock_now += 15 * MIN_MS;
	evlist after = {0};
	page_all(s, cursor, sizeof cursor, &after);
	double before = share(&l, "product-search", t0 - 10 * MIN_MS, t0, is_hit, NULL);
	double first = share(&after, "product-search", t0, t0 + MIN_MS, is_hit, NULL);
	double late = share(&after, "product-search", t0 + 6 * MIN_MS, clock_now + 1, is_hit, NULL);
	assert_true(before > 0.1 && before < 0.3);
	assert_true(first < late);         /* it rises over minutes */
	assert_true(late > before + 0.25); /* to well above where it was */
	/* out of scope: unchanged */
	assert_true(share(&after, "support-bot", t0 + 6 * MIN_MS, clock_now + 1, is_hit, NULL) <
	            0.25);
	free(l.v);
	free(after.v);
	sim_free(s);
}

static json_t *route_of(sim *s, const char *use_case)
{
	json_t *o;
	assert_int_equal(call(s, "GET", "/v1/routing", NULL, NULL, &o, NULL), 200);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(o, "routes"), i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "use_case")), use_case) == 0) {
			json_incref(r);
			json_decref(o);
			return r;
		}
	}
	fail_msg("no route %s", use_case);
	return NULL;
}

static void test_reroute(void **state)
{
	(void)state;
	ratecard *rc = card();
	sim *s = make((sim_opts){.rate = 50, .history_ms = MIN_MS, .card = rc});
	json_t *r = route_of(s, "support-bot");
	assert_true(json_array_size(json_object_get(r, "targets")) >= 2);
	json_decref(r);
	char cursor[SIM_CURSOR_CAP] = "";
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	int64_t t0 = clock_now;
	assert_int_equal(call(s, "POST", "/v1/controls", NULL,
	                      "{\"kind\":\"reroute\",\"scope\":{\"use_case\":\"support-bot\"},"
	                      "\"params\":{\"targets\":[{\"provider\":\"anthropic\",\"model\":"
	                      "\"claude-haiku-4-5\"}]},\"reason\":\"r\",\"actor\":\"a\"}",
	                      NULL, NULL),
	                 201);
	r = route_of(s, "support-bot");
	json_t *targets = json_object_get(r, "targets");
	assert_int_equal(json_array_size(targets), 1);
	json_t *t = json_array_get(targets, 0);
	assert_string_equal(json_string_value(json_object_get(t, "model")), "claude-haiku-4-5");
	assert_string_equal(json_string_value(json_object_get(t, "tier")), "good");
	assert_int_equal(json_integer_value(json_object_get(t, "weight")), 1000);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "controls"), 0)),
	                    "ctl-1");
	json_decref(r);
	clock_now += 3 * MIN_MS;
	l.n = 0;
	page_all(s, cursor, sizeof cursor, &l);
	size_t moved = 0;
	for (size_t i = 0; i < l.n; i++) {
		tt_event *ev = &l.v[i];
		if (ev->ts_ms <= t0 || strcmp(ev->use_case, "support-bot") != 0)
			continue;
		assert_string_equal(ev->provider, "anthropic");
		assert_string_equal(ev->model, "claude-haiku-4-5");
		assert_false(ev->elevated);
		moved++;
	}
	assert_true(moved > 500);
	/* the rest of the traffic keeps its targets */
	r = route_of(s, "ticket-summary");
	assert_true(json_array_size(json_object_get(r, "targets")) >= 2);
	json_decref(r);
	free(l.v);
	sim_free(s);
	ratecard_free(rc);
}

static void test_degrade(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 80, .history_ms = MIN_MS});
	char cursor[SIM_CURSOR_CAP] = "";
	evlist l = {0};
	page_all(s, cursor, sizeof cursor, &l);
	int64_t t0 = clock_now;
	assert_int_equal(call(s, "POST", "/v1/controls", NULL,
	                      "{\"kind\":\"degrade\",\"scope\":{\"use_case\":\"code-review\"},"
	                      "\"params\":{\"tier\":\"good\"},\"reason\":\"r\",\"actor\":\"a\"}",
	                      NULL, NULL),
	                 201);
	json_t *r = route_of(s, "code-review");
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(r, "targets"), i, t)
	    assert_string_equal(json_string_value(json_object_get(t, "tier")), "good");
	json_decref(r);
	clock_now += 5 * MIN_MS;
	l.n = 0;
	page_all(s, cursor, sizeof cursor, &l);
	size_t n = 0;
	for (i = 0; i < l.n; i++) {
		tt_event *ev = &l.v[i];
		if (ev->ts_ms <= t0 || strcmp(ev->use_case, "code-review") != 0)
			continue;
		assert_string_equal(ev->tier, "good");
		n++;
	}
	assert_true(n > 100);
	free(l.v);
	sim_free(s);
}

static void test_auth(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 5, .token = "s3cret"});
	sim_response rs;
	assert_int_equal(call(s, "GET", "/v1/health", NULL, NULL, NULL, &rs), 401);
	assert_non_null(header_of(&rs, "WWW-Authenticate"));
	sim_response_free(&rs);
	req wrong = {.headers = {{"Authorization", "Bearer s3cre"}}};
	assert_int_equal(call(s, "GET", "/v1/health", &wrong, NULL, NULL, NULL), 401);
	req basic = {.headers = {{"Authorization", "Basic s3cret"}}};
	assert_int_equal(call(s, "GET", "/v1/health", &basic, NULL, NULL, NULL), 401);
	req right = {.headers = {{"Authorization", "Bearer s3cret"}}};
	assert_int_equal(call(s, "GET", "/v1/health", &right, NULL, NULL, NULL), 200);
	assert_int_equal(call(s, "GET", "/metrics", &right, NULL, NULL, NULL), 200);
	assert_int_equal(call(s, "GET", "/metrics", NULL, NULL, NULL, NULL), 401);
	sim_free(s);
}

static void test_faults(void **state)
{
	(void)state;
	sim_opts o = {.rate = 5};
	char err[128];
	assert_int_equal(sim_faults_parse("5xx=1", &o.faults, err, sizeof err), 0);
	sim *s = make(o);
	assert_int_equal(call(s, "GET", "/v1/events", NULL, NULL, NULL, NULL), 500);
	assert_int_equal(call(s, "POST", "/v1/controls", NULL, kill_body("x", ""), NULL, NULL),
	                 500);
	assert_int_equal(call(s, "GET", "/v1/stats", NULL, NULL, NULL, NULL), 200);
	json_t *o2;
	assert_int_equal(call(s, "GET", "/v1/stats", NULL, NULL, &o2, NULL), 200);
	json_decref(o2);
	sim_free(s);

	o = (sim_opts){.rate = 5};
	assert_int_equal(sim_faults_parse("drop=0.5,slow=0.5", &o.faults, err, sizeof err), 0);
	s = make(o);
	int seen[SIM_FAULT_COUNT] = {0};
	for (int i = 0; i < 400; i++) {
		sim_response rs;
		call(s, "GET", "/v1/health", NULL, NULL, NULL, &rs);
		seen[rs.fault]++;
		if (rs.fault == SIM_FAULT_SLOW)
			assert_true(rs.delay_ms >= 1000 && rs.delay_ms < 5000);
		sim_response_free(&rs);
	}
	assert_int_equal(seen[SIM_FAULT_NONE] + seen[SIM_FAULT_5XX], 0);
	assert_true(seen[SIM_FAULT_DROP] > 150 && seen[SIM_FAULT_SLOW] > 150);
	/* a drop on a change still applies it (the answer is what gets lost) */
	sim_response rs;
	assert_int_equal(
	    call(s, "POST", "/v1/controls", NULL, kill_body("support-bot", ""), NULL, &rs), 201);
	sim_response_free(&rs);
	sim_free(s);
}

/* Sums the values of every sample of a metric family. */
static double metric_sum(const char *text, const char *name)
{
	double sum = 0;
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, n) != 0 || (p[n] != '{' && p[n] != ' '))
			continue;
		const char *end = strchr(p, '\n');
		const char *sp = end;
		while (sp > p && sp[-1] != ' ')
			sp--;
		sum += strtod(sp, NULL);
	}
	return sum;
}

static void test_metrics(void **state)
{
	(void)state;
	ratecard *rc = card();
	sim *s = make((sim_opts){.rate = 50, .history_ms = 10 * MIN_MS, .card = rc});
	clock_now += 500; /* some vllm requests are still running */
	sim_response rs;
	assert_int_equal(call(s, "GET", "/metrics", NULL, NULL, NULL, &rs), 200);
	assert_string_equal(rs.content_type, "text/plain; version=0.0.4; charset=utf-8");
	char *text = malloc(rs.len + 1);
	memcpy(text, rs.body, rs.len);
	text[rs.len] = 0;
	sim_response_free(&rs);
	assert_true(text[strlen(text) - 1] == '\n');
	const char *names[] = {
	    "# TYPE vllm:num_requests_running gauge",
	    "# TYPE vllm:num_requests_waiting gauge",
	    "# TYPE vllm:kv_cache_usage_perc gauge",
	    "# TYPE vllm:prompt_tokens_total counter",
	    "# TYPE vllm:generation_tokens_total counter",
	    "# TYPE vllm:time_to_first_token_seconds histogram",
	    "# TYPE vllm:e2e_request_latency_seconds histogram",
	    "vllm:num_requests_running{model_name=\"llama-3.1-8b-instruct\",engine=\"0\"}",
	    "vllm:time_to_first_token_seconds_bucket{model_name=\"qwen2.5-coder-32b\",engine=\"0\","
	    "le=\"+Inf\"}",
	    "# TYPE gateway_requests_total counter",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strstr(text, names[i]))
			fail_msg("missing %s", names[i]);

	json_t *st;
	assert_int_equal(call(s, "GET", "/v1/stats", NULL, NULL, &st, NULL), 200);
	assert_true(metric_sum(text, "gateway_requests_total") ==
	            (double)stat_int(st, NULL, "events"));
	assert_true(metric_sum(text, "gateway_input_tokens_total") ==
	            (double)stat_int(st, NULL, "input_tokens"));
	double usd = metric_sum(text, "gateway_cost_usd_total");
	double want = (double)stat_int(st, NULL, "cost_nanos") / 1e9;
	assert_true(usd > want - 1e-3 && usd < want + 1e-3);
	json_decref(st);

	/* qwen's e2e histogram: buckets never decrease and +Inf equals _count */
	double count = metric_sum(text, "vllm:e2e_request_latency_seconds_count");
	const char *prefix = "vllm:e2e_request_latency_seconds_bucket{model_name=\"qwen";
	double prev = -1, inf = -1;
	int buckets = 0;
	for (const char *line = strstr(text, prefix); line; line = strstr(line + 1, prefix)) {
		const char *end = strchr(line, '\n');
		const char *sp = end;
		while (sp[-1] != ' ')
			sp--;
		double v = strtod(sp, NULL);
		assert_true(v >= prev);
		prev = v;
		buckets++;
		if (strncmp(sp - 11, "le=\"+Inf\"} ", 11) == 0)
			inf = v;
	}
	assert_int_equal(buckets, 22);
	const char *c = strstr(text, "vllm:e2e_request_latency_seconds_count{model_name=\"qwen");
	assert_non_null(c);
	double qcount = strtod(strchr(c, '}') + 1, NULL);
	assert_true(inf == qcount && qcount > 0 && count >= qcount);
	assert_true(metric_sum(text, "vllm:num_requests_running") +
	                metric_sum(text, "vllm:num_requests_waiting") >
	            0);
	free(text);
	sim_free(s);
	ratecard_free(rc);
}

static void test_scenario_in_health(void **state)
{
	(void)state;
	sim *s = make((sim_opts){.rate = 5,
	                         .has_scenario = true,
	                         .scenario = WL_COST_RUNAWAY,
	                         .scenario_at_ms = 10 * MIN_MS});
	json_t *o;
	assert_int_equal(call(s, "GET", "/v1/health", NULL, NULL, &o, NULL), 200);
	assert_string_equal(json_string_value(json_object_get(o, "scenario")), "cost-runaway");
	assert_string_equal(json_string_value(json_object_get(o, "gateway")), "tokentop-sim");
	json_decref(o);
	sim_free(s);
}

static void test_bad_options(void **state)
{
	(void)state;
	char err[256];
	sim_opts bad[] = {
	    {.rate = -1},       {.rate = 1e9},
	    {.history_ms = -5}, {.listen = "nowhere"},
	    {.token = ""},      {.rate = 1000, .history_ms = 86400000, .max_events = 1000},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		assert_null(sim_new(&bad[i], err, sizeof err));
		assert_true(err[0] != 0);
	}
}

static void test_serves_http(void **state)
{
	(void)state;
	char err[256];
	sim_opts o = {.rate = 5, .listen = "127.0.0.1:0"};
	sim *s = sim_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(sim_port(s), 0);
	assert_int_equal(sim_start(s, err, sizeof err), 0);
	assert_true(sim_port(s) > 0);
	sim_stop(s);
	sim_stop(s);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_faults_parse),
	    cmocka_unit_test(test_faults_pick),
	    cmocka_unit_test(test_cursor),
	    cmocka_unit_test(test_token_equal),
	    cmocka_unit_test(test_scenario_split),
	    cmocka_unit_test(test_listen_parse),
	    cmocka_unit_test(test_control_parse),
	    cmocka_unit_test(test_control_matches),
	    cmocka_unit_test(test_paging_matches_stats),
	    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_kill_switch_and_delete),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_throttle),
	    cmocka_unit_test(test_cache_ttl),
	    cmocka_unit_test(test_reroute),
	    cmocka_unit_test(test_degrade),
	    cmocka_unit_test(test_auth),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_scenario_in_health),
	    cmocka_unit_test(test_bad_options),
	    cmocka_unit_test(test_serves_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
