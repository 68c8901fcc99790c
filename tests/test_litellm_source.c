/* The LiteLLM source against a loopback proxy: exact spend, windows, state endpoints, no /health.
 */
#include "testutil.h"

#include <microhttpd.h>

#include "tokentop/ingest.h"
#include "tokentop/litellm.h"
#include "tokentop/live.h"
#include "tokentop/money.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"
#include "tokentop/workload.h"

enum { NROWS = 1500, NLATE = 4, NODD = 2 };

typedef struct row {
	int64_t ts_ms;
	char *json;
	int64_t spend_nanos;
} row;

static row rows[NROWS + NLATE + NODD]; /* newest first, as LiteLLM sorts; late, odd rows */
static int nvisible = NROWS;           /* the late rows are served once written */
static int64_t reread_ms;              /* the source's re-read age; 0: its default */
static int odd_visible;                /* serve the odd rows */
static struct MHD_Daemon *daemon_;
static int port_;
static int64_t total_nanos;
static int requests;
static int health_calls;   /* plain /health: billable, never to be asked */
static int bad_model_info; /* serve a /model/info of the wrong shape */

/* The state endpoints, answered as LiteLLM does (reference/litellm). */
static const char liveliness_body[] = "\"I'm alive!\"";
/* a fresh proxy's answer: no spend yet, max_budget 0 (no budget) */
static const char global_spend_body[] = "{\"spend\": null, \"max_budget\": 0.0}";
static const char model_info_body[] =
    "{\"data\": [{\"model_name\": \"gpt-4o\", \"litellm_params\": {\"model\": \"openai/gpt-4o\","
    " \"custom_llm_provider\": \"openai\", \"weight\": 3}, \"model_info\": {\"id\": \"m-1\"}},"
    " {\"model_name\": \"gpt-4o\", \"litellm_params\": {\"model\": \"azure/gpt-4o-eu\", "
    "\"weight\": 1},"
    " \"model_info\": {\"id\": \"m-2\"}},"
    " {\"model_name\": \"claude\", \"litellm_params\": {\"model\": \"anthropic/claude-haiku-4-5\"},"
    " \"model_info\": {\"id\": \"m-3\"}}]}";
static const char router_settings_body[] =
    "{\"fields\": [{\"field_name\": \"routing_strategy\", \"field_type\": \"String\","
    " \"field_value\": \"simple-shuffle\", \"field_description\": \"how requests are spread\","
    " \"ui_field_name\": \"Routing Strategy\"}],"
    " \"current_values\": {\"routing_strategy\": \"simple-shuffle\", \"num_retries\": 2},"
    " \"routing_strategy_descriptions\": {\"simple-shuffle\": \"weighted random\"}}";

static const struct {
	const char *path, *body;
} state_paths[] = {
    {"/health/liveliness", liveliness_body},
    {"/global/spend", global_spend_body},
    {"/model/info", model_info_body},
    {"/router/settings", router_settings_body},
};

static void make_rows(void)
{
	int64_t now = time_now_ms();
	workload_opts o = {
	    .seed = 5, .start_ms = now - 6 * 3600000LL, .span_ms = 6 * 3600000LL, .events = NROWS};
	workload *w = workload_new(&o);
	tt_event ev;
	total_nanos = 0;
	for (int i = NROWS - 1; i >= 0 && workload_next(w, &ev); i--) {
		char start[32], end[32], spend[32], buf[2048];
		int64_t nanos = (ev.input_tokens * 3 + ev.output_tokens * 11) / 7 + 1;
		time_format_iso(ev.ts_ms, start, sizeof start);
		time_format_iso(ev.ts_ms + (ev.latency_ms > 0 ? ev.latency_ms : 0), end,
		                sizeof end);
		money_format(nanos, spend, sizeof spend);
		snprintf(
		    buf, sizeof buf,
		    "{\"request_id\":\"%s\",\"call_type\":\"acompletion\",\"spend\":%s,"
		    "\"total_tokens\":%lld,\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
		    "\"startTime\":\"%s\",\"endTime\":\"%s\",\"model\":\"%s\","
		    "\"model_group\":\"%s\",\"custom_llm_provider\":\"%s\",\"cache_hit\":\"False\","
		    "\"request_tags\":[\"use_case:%s\",\"team:%s\"],\"team_id\":null,"
		    "\"metadata\":\"{}\",\"status\":\"success\"}",
		    ev.request_id, spend, (long long)(ev.input_tokens + ev.output_tokens),
		    (long long)ev.input_tokens, (long long)ev.output_tokens, start, end, ev.model,
		    ev.model, ev.provider, ev.use_case, ev.team);
		rows[i] = (row){ev.ts_ms, strdup(buf), nanos};
		total_nanos += nanos;
	}
	workload_free(w);
	/* Four rows LiteLLM writes long after their startTime (a long reasoning call, rows queued
	 * through a database outage): 100 minutes old when they appear, $2.50 in all. */
	for (int i = 0; i < NLATE; i++) {
		char start[32], buf[512];
		int64_t ts = now - 100 * 60000LL + i * 1000;
		time_format_iso(ts, start, sizeof start);
		snprintf(
		    buf, sizeof buf,
		    "{\"request_id\":\"late-%d\",\"call_type\":\"acompletion\",\"spend\":0.625,"
		    "\"total_tokens\":30,\"prompt_tokens\":10,\"completion_tokens\":20,"
		    "\"startTime\":\"%s\",\"endTime\":\"%s\",\"model\":\"o3\","
		    "\"custom_llm_provider\":\"openai\",\"status\":\"success\"}",
		    i, start, start);
		rows[NROWS + i] = (row){ts, strdup(buf), 625000000};
	}
	/* two rows served only to the test of the live path: a status outside LiteLLM's two
	 * (kept as other) and negative tokens (refused) */
	for (int i = 0; i < NODD; i++) {
		char start[32], buf[512];
		int64_t ts = now - 30 * 60000LL + i * 1000;
		time_format_iso(ts, start, sizeof start);
		snprintf(buf, sizeof buf,
		         "{\"request_id\":\"odd-%d\",\"spend\":0.5,\"prompt_tokens\":%d,"
		         "\"completion_tokens\":2,\"startTime\":\"%s\",\"model\":\"o3\","
		         "\"status\":\"%s\"}",
		         i, i ? -5 : 10, start, i ? "success" : "cancelled");
		rows[NROWS + NLATE + i] = (row){ts, strdup(buf), 500000};
	}
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	if (!*req_cls) {
		*req_cls = (void *)1;
		return MHD_YES;
	}
	__atomic_add_fetch(&requests, 1, __ATOMIC_SEQ_CST);
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *sd = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "start_date");
	const char *ed = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "end_date");
	const char *pg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "page");
	const char *ps = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "page_size");
	unsigned status = 200;
	char *body = NULL;
	int64_t from, to;
	if (strcmp(url, "/health") == 0)
		__atomic_add_fetch(&health_calls, 1, __ATOMIC_SEQ_CST);
	for (size_t i = 0; i < sizeof state_paths / sizeof state_paths[0]; i++)
		if (strcmp(url, state_paths[i].path) == 0)
			body = strdup(strcmp(url, "/model/info") == 0 &&
			                      __atomic_load_n(&bad_model_info, __ATOMIC_SEQ_CST)
			                  ? "{\"data\": {\"model_name\": \"gpt-4o\"}}"
			                  : state_paths[i].body);
	if (!auth || strcmp(auth, "Bearer sk-master")) {
		free(body);
		status = 401;
		body = strdup("{\"error\":{\"message\":\"Authentication Error\"}}");
	} else if (body) {
		/* a state endpoint */
	} else if (strcmp(url, "/spend/logs/ui") != 0) {
		status = 404;
		body = strdup("{\"detail\":\"Not Found\"}");
	} else if (!sd || !ed || time_parse_iso(sd, strlen(sd), &from) ||
	           time_parse_iso(ed, strlen(ed), &to) || strlen(sd) != 19) {
		status = 422;
		body = strdup("{\"detail\":\"start_date and end_date are required\"}");
	} else {
		int page = pg ? atoi(pg) : 1, size = ps ? atoi(ps) : 50;
		/* the proxy compares whole seconds, both ends included */
		int matched[NROWS + NLATE + NODD], m = 0;
		int nv = __atomic_load_n(&nvisible, __ATOMIC_SEQ_CST);
		for (int i = 0; i < NROWS + NLATE + NODD; i++)
			if (i < nv ||
			    (i >= NROWS + NLATE && __atomic_load_n(&odd_visible, __ATOMIC_SEQ_CST)))
				if (rows[i].ts_ms / 1000 * 1000 >= from &&
				    rows[i].ts_ms / 1000 * 1000 <= to)
					matched[m++] = i;
		int pages = (m + size - 1) / size;
		size_t cap = 256 + (size_t)size * 2048, len;
		body = malloc(cap);
		len = (size_t)snprintf(body, cap, "{\"data\":[");
		for (int k = (page - 1) * size; k < m && k < page * size; k++)
			len += (size_t)snprintf(body + len, cap - len, "%s%s",
			                        k > (page - 1) * size ? "," : "",
			                        rows[matched[k]].json);
		snprintf(body + len, cap - len,
		         "],\"total\":%d,\"page\":%d,\"page_size\":%d,\"total_pages\":%d}", m, page,
		         size, pages ? pages : 1);
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	(void)state;
	make_rows();
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
	                           0, NULL, NULL, answer, NULL, MHD_OPTION_END);
	if (!daemon_)
		return -1;
	port_ = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	for (int i = 0; i < NROWS + NLATE + NODD; i++)
		free(rows[i].json);
	return 0;
}

typedef struct run {
	ingest *in;
	store *st;
	source_state last;
	char detail[512];
	char refused[512]; /* the last failure that named a refused answer */
} run;

static int on_page(void *ctx, const char *source, tt_event *evs, size_t n, const char *cursor)
{
	run *r = ctx;
	for (size_t i = 0; i < n; i++)
		if (ingest_event(r->in, &evs[i]))
			return -1;
	return ingest_commit(r->in, source, cursor);
}

static void on_state(void *ctx, const char *source, source_state st, const char *detail)
{
	run *r = ctx;
	(void)source;
	r->last = st;
	snprintf(r->detail, sizeof r->detail, "%s", detail);
	if (strstr(detail, "refused:"))
		snprintf(r->refused, sizeof r->refused, "%s", detail);
}

static int on_gwstate(void *ctx, const char *source, const char *kind, const char *body, size_t len,
                      const char *etag)
{
	run *r = ctx;
	(void)len;
	return store_gwstate_put(r->st, source, kind, body, etag, time_now_ms());
}

static store *sync_once(const char *dbname, const char *key, int page_size, run *r)
{
	char path[512], err[512], url[64], cursor[64];
	if (dbname[0] == '/')
		snprintf(path, sizeof path, "%s", dbname); /* a database to sync again */
	else
		snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), dbname);
	store_opts so = {.merge = rollup_sketch_blob_merge};
	store *st = store_open(path, &so, err, sizeof err);
	assert_non_null(st);
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *http = http_client_new(&loop);
	ingest_opts io = {0};
	memset(r, 0, sizeof *r);
	r->in = ingest_new(st, &io);
	r->st = st;
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port_);
	store_cursor_get(st, "lite", cursor, sizeof cursor);
	litellm_opts o = {.name = "lite",
	                  .url = url,
	                  .token = key,
	                  .since_ms = time_now_ms() - 7 * 3600000LL,
	                  .overlap_ms = 5 * 60000,
	                  .reread_ms = reread_ms,
	                  .page_size = page_size,
	                  /* short: an answer completed in a timer callback leaves UV_RUN_ONCE
	                   * waiting for the next timer, the poll */
	                  .poll_ms = 100};
	source_sink sink = {.page = on_page, .state = on_state, .gwstate = on_gwstate, .ctx = r};
	litellm_src *s = litellm_new(&loop, http, &o, cursor, &sink);
	litellm_start(s);
	for (int i = 0; i < 200000 && !litellm_caught_up(s) && r->last != SRC_DOWN; i++)
		uv_run(&loop, UV_RUN_ONCE);
	litellm_free(s);
	http_client_free(http);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	ingest_free(r->in);
	return st;
}

static int64_t stored_cost(store *st)
{
	view_cube c;
	char err[128];
	assert_int_equal(view_cube_build(st, 0, time_now_ms() + 60000, false, &c, err, sizeof err),
	                 0);
	int64_t v = c.total[TT_M_COST_NANOS];
	view_cube_free(&c);
	return v;
}

static void test_exact_spend(void **state)
{
	(void)state;
	run r;
	store *st = sync_once("lite.db", "sk-master", 100, &r);
	assert_int_equal(r.last, SRC_OK);
	assert_int_equal(store_event_count(st), NROWS);
	assert_int_equal(stored_cost(st), total_nanos); /* LiteLLM's float spend, exactly */
	store_close(st);
}

/* Rows written after the forward read passed their startTime are read by the re-read sweep:
 * with a 15-minute re-read (the old default) the $2.50 of four rows written 100 minutes late is
 * never seen; with the default (2 hours) it is, exactly, and nothing is counted twice. */
static void test_late_rows(void **state)
{
	(void)state;
	run r;
	char db[300];
	snprintf(db, sizeof db, "%s/late.db", tu_tmpdir());
	store *st = sync_once(db, "sk-master", 100, &r);
	assert_int_equal(store_event_count(st), NROWS);
	store_close(st);
	__atomic_store_n(&nvisible, NROWS + NLATE, __ATOMIC_SEQ_CST);
	reread_ms = 15 * 60000;
	st = sync_once(db, "sk-master", 100, &r);
	assert_int_equal(r.last, SRC_OK);
	assert_int_equal(store_event_count(st), NROWS); /* missed: the test can fail */
	store_close(st);
	reread_ms = 0;
	st = sync_once(db, "sk-master", 100, &r);
	assert_int_equal(r.last, SRC_OK);
	assert_int_equal(store_event_count(st), NROWS + NLATE);
	assert_int_equal(stored_cost(st), total_nanos + 2500000000LL);
	store_close(st);
	__atomic_store_n(&nvisible, NROWS, __ATOMIC_SEQ_CST);
}

/* Through the live path (what sync and the console run): a row kept with an odd value and a
 * row refused are each counted and said once in the totals, not dropped in silence; the rest
 * is stored exactly. */
static void test_live_tallies(void **state)
{
	(void)state;
	char path[512], err[512], url[64];
	snprintf(path, sizeof path, "%s/live.db", tu_tmpdir());
	store_opts so = {.merge = rollup_sketch_blob_merge};
	store *st = store_open(path, &so, err, sizeof err);
	assert_non_null(st);
	uv_loop_t loop;
	uv_loop_init(&loop);
	live *l = live_new(&loop, st, NULL, stderr);
	assert_non_null(l);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port_);
	__atomic_store_n(&odd_visible, 1, __ATOMIC_SEQ_CST);
	live_events_opts o = {.name = "lite",
	                      .url = url,
	                      .token = "sk-master",
	                      .litellm = true,
	                      .poll_ms = 100,
	                      .state_ms = -1,
	                      .since_ms = time_now_ms() - 7 * 3600000LL};
	assert_int_equal(live_add_events(l, &o, err, sizeof err), 0);
	for (int i = 0; i < 200000 && !live_caught_up(l); i++)
		uv_run(&loop, UV_RUN_ONCE);
	__atomic_store_n(&odd_visible, 0, __ATOMIC_SEQ_CST);
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	live_print_totals(l, f, "sync: ");
	fclose(f);
	if (!strstr(out, "sync: lite: rows rejected: 1\n  1: prompt_tokens: negative\n") ||
	    !strstr(out, "sync: lite: rows kept with odd values: 1\n  1: status \"cancelled\""))
		fail_msg("the totals do not say the odd rows:\n%s", out);
	free(out);
	live_stop(l);
	live_free(l);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(store_event_count(st), NROWS + 1);
	store_close(st);
}

/* The state endpoints are stored verbatim under their kinds; /health is never asked. */
static void test_state_endpoints(void **state)
{
	(void)state;
	run r;
	store *st = sync_once("state.db", "sk-master", 100, &r);
	assert_int_equal(r.last, SRC_OK);
	static const char *const kinds[] = {"health", "global_spend", "model_info",
	                                    "router_settings"};
	for (size_t i = 0; i < 4; i++) {
		char *body, *etag;
		int64_t at;
		assert_int_equal(store_gwstate_get(st, "lite", kinds[i], &body, &etag, &at), 1);
		assert_string_equal(body, state_paths[i].body);
		assert_null(etag);
		assert_true(at > time_now_ms() - 60000 && at <= time_now_ms());
		free(body);
	}
	assert_int_equal(__atomic_load_n(&health_calls, __ATOMIC_SEQ_CST), 0);
	store_close(st);
}

/* An answer of the wrong shape is refused, named, and not stored; the rest goes on. */
static void test_state_refused(void **state)
{
	(void)state;
	run r;
	__atomic_store_n(&bad_model_info, 1, __ATOMIC_SEQ_CST);
	store *st = sync_once("refused.db", "sk-master", 100, &r);
	__atomic_store_n(&bad_model_info, 0, __ATOMIC_SEQ_CST);
	assert_non_null(strstr(r.refused, "/model/info: answer refused"));
	assert_null(strstr(r.refused, "sk-master"));
	char *body;
	assert_int_equal(store_gwstate_get(st, "lite", "model_info", &body, NULL, NULL), 0);
	assert_null(body);
	assert_int_equal(store_gwstate_get(st, "lite", "global_spend", &body, NULL, NULL), 1);
	free(body);
	assert_int_equal(store_event_count(st), NROWS); /* the events did not wait for it */
	assert_int_equal(r.last, SRC_OK);
	assert_int_equal(__atomic_load_n(&health_calls, __ATOMIC_SEQ_CST), 0);
	store_close(st);
}

static void test_busy_windows_narrow(void **state)
{
	(void)state;
	run r;
	int before = requests;
	store *st = sync_once("busy.db", "sk-master", 5, &r); /* 50+ pages an hour: too many */
	assert_int_equal(store_event_count(st), NROWS);
	assert_int_equal(stored_cost(st), total_nanos);
	assert_true(requests - before > NROWS / 5);
	store_close(st);
}

static void test_wrong_key(void **state)
{
	(void)state;
	run r;
	store *st = sync_once("key.db", "sk-wrong", 100, &r);
	assert_int_equal(r.last, SRC_DOWN);
	assert_non_null(strstr(r.detail, "refused the master key"));
	assert_null(strstr(r.detail, "sk-wrong"));
	assert_int_equal(store_event_count(st), 0);
	store_close(st);
}

static void test_time_format(void **state)
{
	(void)state;
	char buf[32];
	litellm_format_time(1764547200123LL, buf, sizeof buf);
	assert_string_equal(buf, "2025-12-01 00:00:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time_format),         cmocka_unit_test(test_exact_spend),
	    cmocka_unit_test(test_late_rows),           cmocka_unit_test(test_live_tallies),
	    cmocka_unit_test(test_state_endpoints),     cmocka_unit_test(test_state_refused),
	    cmocka_unit_test(test_busy_windows_narrow), cmocka_unit_test(test_wrong_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
