/* The libuv + libcurl client against a real loopback server (libmicrohttpd in this process). */
#include "testutil.h"

#include <microhttpd.h>
#include <unistd.h>

#include "tokentop/http.h"

static struct MHD_Daemon *daemon_;
static int port_;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
	(void)cls;
	(void)version;
	(void)upload;
	if (!*req_cls) {
		*req_cls = (void *)1; /* first call: headers only */
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	static char big[3 << 20];
	const char *body = "{\"ok\":true}";
	size_t len = strlen(body);
	unsigned status = MHD_HTTP_OK;
	if (!strcmp(url, "/big")) {
		memset(big, 'x', sizeof big);
		body = big;
		len = sizeof big;
	} else if (!strcmp(url, "/slow")) {
		usleep(1500 * 1000);
	} else if (!strcmp(url, "/fail")) {
		status = 500;
		body = "{\"error\":\"boom\"}";
		len = strlen(body);
	} else if (!strcmp(url, "/auth")) {
		const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		if (!a || strcmp(a, "Bearer s3cret"))
			status = 401;
	} else if (!strcmp(url, "/basic")) {
		/* admin / "p@ss w:rd", as RFC 7617 encodes it */
		const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		if (!a || strcmp(a, "Basic YWRtaW46cEBzcyB3OnJk"))
			status = 401;
	} else if (!strcmp(url, "/echo-method")) {
		body = method;
		len = strlen(body);
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "ETag", "\"v42\"");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	(void)state;
	daemon_ =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                     NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	if (!daemon_)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	port_ = info->port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	return 0;
}

typedef struct result {
	int calls;
	long status;
	char body[256];
	size_t len;
	char error[256];
	char etag[64];
} result;

static void done(void *ctx, const http_response *r)
{
	result *res = ctx;
	res->calls++;
	res->status = r->status;
	res->len = r->len;
	snprintf(res->body, sizeof res->body, "%.*s", (int)(r->len < 200 ? r->len : 200), r->body);
	snprintf(res->error, sizeof res->error, "%s", r->error ? r->error : "");
	snprintf(res->etag, sizeof res->etag, "%s", r->etag);
}

static result fetch(const char *path, const http_request *tmpl)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *c = http_client_new(&loop);
	assert_non_null(c);
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port_, path);
	http_request req = tmpl ? *tmpl : (http_request){0};
	req.url = url;
	result res = {0};
	assert_int_equal(http_client_send(c, &req, done, &res), 0);
	assert_int_equal(http_client_pending(c), 1);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(http_client_pending(c), 0);
	http_client_free(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(res.calls, 1);
	return res;
}

static void test_ok(void **state)
{
	(void)state;
	result r = fetch("/x", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"ok\":true}");
	assert_string_equal(r.error, "");
	assert_string_equal(r.etag, "\"v42\"");
}

static void test_status_and_headers(void **state)
{
	(void)state;
	result r = fetch("/fail", NULL);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.error, ""); /* an answer, even a 500, is not a transport error */
	r = fetch("/auth", NULL);
	assert_int_equal(r.status, 401);
	const char *h[] = {"Authorization: Bearer s3cret", NULL};
	http_request req = {.headers = h};
	r = fetch("/auth", &req);
	assert_int_equal(r.status, 200);
	http_request post = {.method = "POST", .body = "{}", .body_len = 2};
	r = fetch("/echo-method", &post);
	assert_string_equal(r.body, "POST");
	http_request del = {.method = "DELETE"};
	r = fetch("/echo-method", &del);
	assert_string_equal(r.body, "DELETE");
}

/* Credentials in a URL are taken out of it, never printed, and sent as basic auth. */
static void test_url_credentials(void **state)
{
	(void)state;
	char clean[256], up[256];
	assert_int_equal(http_url_split("http://admin:p%40ss%20w%3Ard@127.0.0.1:9/x?a=b@c", clean,
	                                sizeof clean, up, sizeof up),
	                 1);
	assert_string_equal(clean, "http://127.0.0.1:9/x?a=b@c");
	assert_string_equal(up, "admin:p@ss w:rd");
	assert_int_equal(
	    http_url_split("https://tok@gw.example/", clean, sizeof clean, up, sizeof up), 1);
	assert_string_equal(clean, "https://gw.example/");
	assert_string_equal(up, "tok");
	/* an '@' after the authority is not a credential */
	assert_int_equal(http_url_split("http://h:1/p@q", clean, sizeof clean, up, sizeof up), 0);
	assert_string_equal(clean, "http://h:1/p@q");
	assert_string_equal(up, "");
	assert_int_equal(http_url_split("no scheme@all", clean, sizeof clean, up, sizeof up), 0);
	char tiny[8];
	assert_int_equal(
	    http_url_split("http://a:b@longer.host/", tiny, sizeof tiny, up, sizeof up), -1);

	result r = fetch("/basic", NULL);
	assert_int_equal(r.status, 401);
	http_request req = {.userpwd = "admin:p@ss w:rd"};
	r = fetch("/basic", &req);
	assert_int_equal(r.status, 200);
}

static void test_oversize_refused(void **state)
{
	(void)state;
	http_request req = {.max_body = 1 << 20};
	result r = fetch("/big", &req);
	assert_non_null(strstr(r.error, "larger than 1048576 bytes"));
}

static void test_timeout(void **state)
{
	(void)state;
	http_request req = {.timeout_ms = 300};
	result r = fetch("/slow", &req);
	assert_true(r.error[0] != 0);
	assert_int_equal(r.status, 0);
}

static void test_refused(void **state)
{
	(void)state;
	/* a port nobody listens on: bind one, note it, close it */
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *c = http_client_new(&loop);
	result res = {0};
	http_request req = {.url = "http://127.0.0.1:1/", .connect_timeout_ms = 500};
	assert_int_equal(http_client_send(c, &req, done, &res), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(res.calls, 1);
	assert_true(res.error[0] != 0);
	http_client_free(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
}

static void test_cancel_on_free(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *c = http_client_new(&loop);
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/slow", port_);
	result res = {0};
	http_request req = {.url = url};
	assert_int_equal(http_client_send(c, &req, done, &res), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	http_client_free(c);
	assert_int_equal(res.calls, 1);
	assert_string_equal(res.error, "cancelled");
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_many_parallel(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *c = http_client_new(&loop);
	enum { N = 40 };
	static result res[N];
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port_);
	for (int i = 0; i < N; i++) {
		http_request req = {.url = url};
		assert_int_equal(http_client_send(c, &req, done, &res[i]), 0);
	}
	assert_int_equal(http_client_pending(c), N);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, 200);
	}
	http_client_free(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),
	    cmocka_unit_test(test_status_and_headers),
	    cmocka_unit_test(test_url_credentials),
	    cmocka_unit_test(test_oversize_refused),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_cancel_on_free),
	    cmocka_unit_test(test_many_parallel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
