/* The Prometheus query API: answers parsed, and a real Prometheus server queried over loopback. */
#include "testutil.h"

#include <math.h>
#include <microhttpd.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tokentop/promq.h"
#include "tokentop/timeutil.h"

static void test_parse_vector(void **state)
{
	(void)state;
	const char *body =
	    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	    "{\"metric\":{\"__name__\":\"up\",\"job\":\"sim\"},\"value\":[1764547200.5,\"1\"]},"
	    "{\"metric\":{\"job\":\"x\"},\"value\":[1764547200,\"NaN\"]}]}}";
	promq_result r;
	char err[256];
	assert_int_equal(promq_parse(body, strlen(body), &r, err, sizeof err), 0);
	assert_string_equal(r.type, "vector");
	assert_int_equal(r.nseries, 2);
	assert_int_equal(r.series[0].points[0].ts_ms, 1764547200500LL);
	assert_true(r.series[0].points[0].value == 1.0);
	assert_true(isnan(r.series[1].points[0].value));
	char job[32];
	assert_int_equal(promq_label(&r.series[0], "job", job, sizeof job), 0);
	assert_string_equal(job, "sim");
	assert_int_equal(promq_label(&r.series[0], "nope", job, sizeof job), -1);
	promq_result_free(&r);
}

static void test_parse_matrix_and_scalar(void **state)
{
	(void)state;
	const char *m = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
	                "{\"metric\":{},\"values\":[[1,\"2\"],[2,\"+Inf\"],[3,\"-4.5e1\"]]}]}}";
	promq_result r;
	char err[256];
	assert_int_equal(promq_parse(m, strlen(m), &r, err, sizeof err), 0);
	assert_int_equal(r.series[0].npoints, 3);
	assert_true(isinf(r.series[0].points[1].value));
	assert_true(r.series[0].points[2].value == -45.0);
	promq_result_free(&r);
	const char *s = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":"
	                "[5,\"7\"]}}";
	assert_int_equal(promq_parse(s, strlen(s), &r, err, sizeof err), 0);
	assert_true(r.series[0].points[0].value == 7.0);
	promq_result_free(&r);
}

static void test_parse_errors(void **state)
{
	(void)state;
	promq_result r;
	char err[256];
	const char *e =
	    "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}";
	assert_int_equal(promq_parse(e, strlen(e), &r, err, sizeof err), -1);
	assert_string_equal(err, "query failed: bad_data: parse error");
	assert_int_equal(promq_parse("{\"status\":", 10, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "not JSON"));
	/* a malformed series is skipped and counted; the good one beside it is kept */
	const char *bad = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
	                  "[{\"metric\":{},\"value\":[1,2]},"
	                  "{\"metric\":{\"m\":\"x\"},\"value\":[1,\"3\"]}]}}";
	assert_int_equal(promq_parse(bad, strlen(bad), &r, err, sizeof err), 0);
	assert_int_equal(r.nseries, 1);
	assert_int_equal(r.nskipped, 1);
	assert_string_equal(r.series[0].labels, "{\"m\":\"x\"}");
	assert_true(r.series[0].points[0].value == 3.0);
	promq_result_free(&r);
	/* a string result holds no number, nor does a scalar that is not one: skipped, never an
	 * error */
	static const struct {
		const char *body, *type;
	} none[] = {
	    {"{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":"
	     "[1700000000.5,\"hello\"]}}",
	     "string"},
	    {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":"
	     "[1,\"seven\"]}}",
	     "scalar"},
	};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		assert_int_equal(
		    promq_parse(none[i].body, strlen(none[i].body), &r, err, sizeof err), 0);
		assert_string_equal(r.type, none[i].type);
		assert_int_equal(r.nseries, 0);
		assert_int_equal(r.nskipped, 1);
		promq_result_free(&r);
	}
}

/* ---- a real Prometheus scraping an exporter in this process ---- */

static struct MHD_Daemon *exporter;
static int exporter_port;
static int64_t t0_ms;

static enum MHD_Result metrics(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	/* spend grows by exactly 1000 micro-dollars a second */
	char body[512];
	int64_t spent = (time_now_ms() - t0_ms) * 1000 / 1000;
	snprintf(body, sizeof body,
	         "# HELP tokentop_spend_micros_total Spend in micro-dollars.\n"
	         "# TYPE tokentop_spend_micros_total counter\n"
	         "tokentop_spend_micros_total{use_case=\"support-bot\"} %lld\n",
	         (long long)spent);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static int free_port(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                                        metrics, NULL, MHD_OPTION_END);
	int p = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	MHD_stop_daemon(d);
	return p;
}

typedef struct answer {
	int calls;
	char error[256];
	double value;
	size_t npoints;
	char use_case[64];
} answer;

static void on_done(void *ctx, const promq_result *r, const char *error)
{
	answer *a = ctx;
	a->calls++;
	snprintf(a->error, sizeof a->error, "%s", error ? error : "");
	if (r && r->nseries) {
		a->npoints = r->series[0].npoints;
		a->value = r->series[0].points[r->series[0].npoints - 1].value;
		promq_label(&r->series[0], "use_case", a->use_case, sizeof a->use_case);
	}
}

static answer query(int port, const char *q, int64_t step_ms)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *http = http_client_new(&loop);
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	int64_t now = time_now_ms();
	promq_request req = {.base_url = base, .query = q, .timeout_ms = 5000};
	if (step_ms) {
		req.start_ms = now - 10000;
		req.end_ms = now;
		req.step_ms = step_ms;
	}
	answer a = {0};
	assert_int_equal(promq_send(http, &req, on_done, &a), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	http_client_free(http);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return a;
}

static void test_real_prometheus(void **state)
{
	(void)state;
	assert_int_equal(access("/usr/bin/prometheus", X_OK), 0); /* scripts/deps.sh installs it */
	t0_ms = time_now_ms() - 60000;
	exporter = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, metrics, NULL,
	                            MHD_OPTION_END);
	assert_non_null(exporter);
	exporter_port = MHD_get_daemon_info(exporter, MHD_DAEMON_INFO_BIND_PORT)->port;
	const char *dir = tu_tmpdir();
	char cfg[512], data[512], listen[64];
	snprintf(cfg, sizeof cfg, "%s/prometheus.yml", dir);
	snprintf(data, sizeof data, "%s/data", dir);
	FILE *f = fopen(cfg, "w");
	fprintf(f,
	        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
	        "scrape_configs:\n  - job_name: sim\n    static_configs:\n"
	        "      - targets: ['127.0.0.1:%d']\n",
	        exporter_port);
	fclose(f);
	int port = free_port();
	snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
	char cfgarg[600], dataarg[600];
	snprintf(cfgarg, sizeof cfgarg, "--config.file=%s", cfg);
	snprintf(dataarg, sizeof dataarg, "--storage.tsdb.path=%s", data);
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		char log[600];
		snprintf(log, sizeof log, "%s/prometheus.log", dir);
		freopen(log, "w", stderr);
		execl("/usr/bin/prometheus", "prometheus", cfgarg, dataarg, listen, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	/* bounded wait for two scrapes to land: up to 30 s */
	answer a = {0};
	for (int i = 0; i < 60; i++) {
		usleep(500 * 1000);
		a = query(port, "irate(tokentop_spend_micros_total[10s])", 0);
		if (!a.error[0] && a.npoints == 1 && a.value > 0)
			break;
	}
	answer range = query(port, "tokentop_spend_micros_total", 1000);
	answer bad = query(port, "rate(", 0);
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	MHD_stop_daemon(exporter);
	assert_string_equal(a.error, "");
	/* the counter grows 1000 a second; scrapes are not exactly a second apart */
	if (!(a.value > 800 && a.value < 1200))
		fail_msg("rate %f, expected about 1000", a.value);
	assert_string_equal(a.use_case, "support-bot");
	assert_string_equal(range.error, "");
	assert_true(range.npoints >= 2);
	assert_non_null(strstr(bad.error, "query failed: bad_data"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_vector),
	    cmocka_unit_test(test_parse_matrix_and_scalar),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_real_prometheus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
