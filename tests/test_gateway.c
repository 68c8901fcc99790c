/* The gateway source over loopback HTTP into a real SQLite file: exact, resumable, fault-proof. */
#include "testutil.h"

#include <microhttpd.h>
#include <pthread.h>

#include <unistd.h>

#include "tokentop/gateway.h"
#include "tokentop/ingest.h"
#include "tokentop/timeutil.h"
#include "tokentop/workload.h"

enum { NEVENTS = 3000 };

/* The server: NEVENTS generated events, cursor = index, with switchable faults. */
static char *lines[NEVENTS];
static struct MHD_Daemon *daemon_;
static int port_;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int fail_next;     /* answer 500 to this many requests */
static int truncate_next; /* cut this many answers in half */
static int requests;
static int visible = NEVENTS; /* events the server has so far */
static int cycle_at = -1;     /* a page ending here names cycle_to as its next cursor */
static int cycle_to;

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
	unsigned status = 200;
	char *body = NULL;
	size_t len = 0;
	pthread_mutex_lock(&mu);
	requests++;
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (!auth || strcmp(auth, "Bearer good-token")) {
		status = 401;
	} else if (fail_next > 0) {
		fail_next--;
		status = 500;
	} else if (strcmp(url, "/v1/events") == 0) {
		const char *cs = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cursor");
		const char *ls = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
		int from = cs && *cs ? atoi(cs) : 0, limit = ls ? atoi(ls) : 100;
		int to = from + limit > visible ? visible : from + limit;
		if (to < from)
			to = from;
		size_t cap = 64 + (size_t)(to - from) * 1024;
		body = malloc(cap);
		len = (size_t)snprintf(body, cap, "{\"events\":[");
		for (int i = from; i < to; i++) {
			size_t l = strlen(lines[i]) - 1; /* without the newline */
			memcpy(body + len, lines[i], l);
			len += l;
			if (i + 1 < to)
				body[len++] = ',';
		}
		len += (size_t)snprintf(body + len, cap - len, "],\"next_cursor\":\"%d\"}",
		                        to == cycle_at ? cycle_to : to);
		if (truncate_next > 0) {
			truncate_next--;
			len /= 2;
		}
	} else {
		status = 404;
	}
	pthread_mutex_unlock(&mu);
	if (!body) {
		body = strdup("{\"error\":\"no\"}");
		len = strlen(body);
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	(void)state;
	workload_opts o = {
	    .seed = 11, .start_ms = 1764547200000LL, .span_ms = 86400000LL, .events = NEVENTS};
	workload *w = workload_new(&o);
	tt_event ev;
	char buf[4096];
	for (int i = 0; i < NEVENTS && workload_next(w, &ev); i++) {
		event_write_json(&ev, buf, sizeof buf);
		lines[i] = strdup(buf);
	}
	workload_free(w);
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
	for (int i = 0; i < NEVENTS; i++)
		free(lines[i]);
	return 0;
}

typedef struct run {
	uv_loop_t loop;
	ingest *in;
	gateway *g;
	int pages, stop_after_pages;
	bool stop_on_down;
	bool was_down;
	source_state last;
	char detail[512];
	uv_timer_t guard;
} run;

static int on_page(void *ctx, const char *source, tt_event *evs, size_t n, const char *cursor)
{
	run *r = ctx;
	for (size_t i = 0; i < n; i++)
		if (ingest_event(r->in, &evs[i]))
			return -1;
	if (ingest_commit(r->in, source, cursor))
		return -1;
	if (++r->pages == r->stop_after_pages)
		gateway_stop(r->g);
	return 0;
}

static void on_state(void *ctx, const char *source, source_state st, const char *detail)
{
	run *r = ctx;
	(void)source;
	r->last = st;
	snprintf(r->detail, sizeof r->detail, "%s", detail);
	if (st == SRC_DOWN) {
		r->was_down = true;
		if (r->stop_on_down)
			gateway_stop(r->g);
	}
}

static void on_guard(uv_timer_t *t)
{
	run *r = t->data;
	if (gateway_caught_up(r->g) || (r->stop_on_down && r->last == SRC_DOWN))
		gateway_stop(r->g);
	if (!uv_is_active((uv_handle_t *)&r->guard))
		return;
}

/* Runs a gateway against the server until caught up, down, or stopped by the page count. */
static void run_gateway(store *st, const char *token, int stop_after_pages, run *r)
{
	memset(r, 0, sizeof *r);
	r->stop_on_down = strcmp(token, "good-token") != 0 || cycle_at >= 0;
	uv_loop_init(&r->loop);
	ingest_opts io = {0};
	r->in = ingest_new(st, &io);
	r->stop_after_pages = stop_after_pages;
	http_client *http = http_client_new(&r->loop);
	char url[64], cursor[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port_);
	store_cursor_get(st, "gw", cursor, sizeof cursor);
	gateway_opts o = {
	    .name = "gw", .url = url, .token = token, .page_limit = 250, .poll_ms = 20};
	source_sink sink = {.page = on_page, .state = on_state, .ctx = r};
	r->g = gateway_new(&r->loop, http, &o, cursor, &sink);
	gateway_start(r->g);
	uv_timer_init(&r->loop, &r->guard);
	r->guard.data = r;
	uv_timer_start(&r->guard, on_guard, 10, 10);
	/* bounded: the guard stops the gateway; the loop then drains */
	for (int i = 0;
	     i < 20000 && (gateway_state(r->g) == SRC_STARTING ||
	                   (!gateway_caught_up(r->g) && !(r->stop_on_down && r->last == SRC_DOWN) &&
	                    r->pages != stop_after_pages));
	     i++)
		uv_run(&r->loop, UV_RUN_ONCE);
	gateway_stop(r->g);
	uv_timer_stop(&r->guard);
	uv_close((uv_handle_t *)&r->guard, NULL);
	gateway_free(r->g);
	http_client_free(http);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	ingest_free(r->in);
}

static store *fresh_store(const char *name)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	return s;
}

static void test_exact(void **state)
{
	(void)state;
	store *st = fresh_store("exact.db");
	run r;
	run_gateway(st, "good-token", -1, &r);
	assert_int_equal(r.last, SRC_OK);
	assert_int_equal(store_event_count(st), NEVENTS);
	char cur[64];
	assert_int_equal(store_cursor_get(st, "gw", cur, sizeof cur), 1);
	assert_int_equal(atoi(cur), NEVENTS);
	store_close(st);
}

static void test_resume(void **state)
{
	(void)state;
	store *st = fresh_store("resume.db");
	run r;
	run_gateway(st, "good-token", 3, &r); /* stops after three pages */
	assert_int_equal(store_event_count(st), 750);
	run_gateway(st, "good-token", -1, &r);
	assert_int_equal(store_event_count(st), NEVENTS);
	store_close(st);
}

static void test_faults(void **state)
{
	(void)state;
	store *st = fresh_store("faults.db");
	pthread_mutex_lock(&mu);
	fail_next = 2;
	truncate_next = 1;
	pthread_mutex_unlock(&mu);
	run r;
	run_gateway(st, "good-token", -1, &r);
	/* two 500s and a cut-off page: three failures in a row show the source down; it
	 * retried with backoff, recovered, and nothing was lost or doubled */
	assert_true(r.was_down);
	assert_int_equal(store_event_count(st), NEVENTS);
	assert_int_equal(r.last, SRC_OK);
	store_close(st);
}

static void test_wrong_token(void **state)
{
	(void)state;
	store *st = fresh_store("token.db");
	run r;
	run_gateway(st, "bad-token", -1, &r);
	assert_int_equal(r.last, SRC_DOWN);
	assert_non_null(strstr(r.detail, "refused the token"));
	assert_null(strstr(r.detail, "bad-token")); /* never the secret */
	assert_int_equal(store_event_count(st), 0);
	store_close(st);
}

/* Cursors that go round (250, 500, 750 -> 250 ...) on full pages: the source says so and
 * goes down instead of reading for ever (a sync --once would never end). */
static void test_cursor_cycle(void **state)
{
	(void)state;
	store *st = fresh_store("cycle.db");
	pthread_mutex_lock(&mu);
	cycle_at = 750;
	cycle_to = 250;
	requests = 0;
	pthread_mutex_unlock(&mu);
	run r;
	run_gateway(st, "good-token", -1, &r);
	pthread_mutex_lock(&mu);
	cycle_at = -1;
	int asked = requests;
	pthread_mutex_unlock(&mu);
	assert_int_equal(r.last, SRC_DOWN);
	assert_non_null(strstr(r.detail, "go round in a circle"));
	assert_true(asked < 20); /* found within a few turns, not after thousands */
	assert_int_equal(store_event_count(st), 750); /* what it read is stored, once */
	store_close(st);
}

static void test_idle_interval(void **state)
{
	(void)state;
	/* poll 1 s, cap 8 s: one quiet answer changes nothing, then the pause doubles */
	assert_int_equal(source_idle_ms(0, 1000, 8000), 1000);
	assert_int_equal(source_idle_ms(1, 1000, 8000), 1000);
	assert_int_equal(source_idle_ms(2, 1000, 8000), 2000);
	assert_int_equal(source_idle_ms(3, 1000, 8000), 4000);
	assert_int_equal(source_idle_ms(4, 1000, 8000), 8000);
	assert_int_equal(source_idle_ms(400, 1000, 8000), 8000);
	assert_int_equal(source_idle_ms(400, 1000, 3000), 3000);
	assert_int_equal(source_idle_ms(400, 1000, 500), 1000); /* never under the poll */
}

static int polls_of(void)
{
	pthread_mutex_lock(&mu);
	int n = requests;
	pthread_mutex_unlock(&mu);
	return n;
}

static void run_for(uv_loop_t *loop, int64_t ms)
{
	int64_t until = time_now_ms() + ms;
	while (time_now_ms() < until) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

/* An idle gateway is asked less often, and as often as before once events come again. No
 * timing is asserted but an upper bound on the polls of an idle stretch. */
static void test_idle_backoff(void **state)
{
	(void)state;
	store *st = fresh_store("idle.db");
	run r;
	memset(&r, 0, sizeof r);
	uv_loop_init(&r.loop);
	ingest_opts io = {0};
	r.in = ingest_new(st, &io);
	r.stop_after_pages = -1;
	http_client *http = http_client_new(&r.loop);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port_);
	pthread_mutex_lock(&mu);
	visible = NEVENTS - 10;
	pthread_mutex_unlock(&mu);
	gateway_opts o = {.name = "gw",
	                  .url = url,
	                  .token = "good-token",
	                  .page_limit = 1000,
	                  .poll_ms = 20,
	                  .idle_max_ms = 160,
	                  .state_ms = -1};
	source_sink sink = {.page = on_page, .state = on_state, .ctx = &r};
	r.g = gateway_new(&r.loop, http, &o, NULL, &sink);
	gateway_start(r.g);
	for (int i = 0; i < 20000 && store_event_count(st) < NEVENTS - 10; i++)
		uv_run(&r.loop, UV_RUN_ONCE);
	assert_int_equal(store_event_count(st), NEVENTS - 10);
	/* idle for 1.2 s: at the poll interval that would be about 60 polls; backed off to
	 * 160 ms about 10 (the bound leaves room for a slow machine) */
	int before = polls_of();
	run_for(&r.loop, 1200);
	int idle_polls = polls_of() - before;
	assert_true(idle_polls >= 1);
	assert_true(idle_polls < 30);
	assert_int_equal(gateway_interval_ms(r.g), 160);
	/* events again: the page that brings them restores the poll interval */
	pthread_mutex_lock(&mu);
	visible = NEVENTS;
	pthread_mutex_unlock(&mu);
	int64_t interval = -1;
	for (int i = 0; i < 20000 && interval < 0; i++) {
		uv_run(&r.loop, UV_RUN_ONCE);
		if (store_event_count(st) == NEVENTS)
			interval = gateway_interval_ms(r.g);
	}
	assert_int_equal(interval, 20);
	gateway_stop(r.g);
	gateway_free(r.g);
	http_client_free(http);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&r.loop), 0);
	ingest_free(r.in);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),        cmocka_unit_test(test_resume),
	    cmocka_unit_test(test_faults),       cmocka_unit_test(test_wrong_token),
	    cmocka_unit_test(test_cursor_cycle), cmocka_unit_test(test_idle_interval),
	    cmocka_unit_test(test_idle_backoff),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
