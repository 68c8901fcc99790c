/* Tests of the inference view's history: steps, throughput across a restart, gaps, maxima. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "tokentop/inference.h"
#include "testutil.h"

#define T0   1700000000000LL /* the window's start */
#define HOUR 3600000LL
/* cmocka's assert_float_equal lets NaN through */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static store *open_path(const char *path)
{
	char err[512];
	store_opts o = {0};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

static void add(store *s, const char *src, const char *model, int64_t ts, double running,
                double waiting, double kv, double prompt, double gen)
{
	tt_inference x = {.source = src,
	                  .model_name = model,
	                  .ts_ms = ts,
	                  .requests_running = running,
	                  .requests_waiting = waiting,
	                  .kv_cache_usage = kv,
	                  .prompt_tokens_total = prompt,
	                  .generation_tokens_total = gen};
	assert_int_equal(store_inference_add(s, &x), 0);
}

/* A scrape every 10 s from 20 s before the window: 10 prompt and 5 generation tokens a second;
 * the server restarts at 600 s (its counters drop to 30 and 20); nothing is scraped from
 * 1800 s to 2700 s; one more scrape at the window's end (not in it) waits 99 requests. */
static store *fixture(void)
{
	char path[512];
	snprintf(path, sizeof path, "%s/inf.db", tu_tmpdir());
	store *s = open_path(path);
	for (int k = -2; k <= 360; k++) {
		if (k >= 180 && k < 270)
			continue;
		double prompt = 1000 + 100.0 * (k + 2), gen = 500 + 50.0 * (k + 2);
		if (k >= 60) {
			prompt = 30 + 100.0 * (k - 60);
			gen = 20 + 50.0 * (k - 60);
		}
		add(s, "vllm-a", "llama", T0 + 10000LL * k, 4, k == 360 ? 99 : k % 3,
		    0.3 + 0.1 * (k % 3), prompt, gen);
	}
	add(s, "vllm-b", "qwen", T0 - 2 * HOUR, 1, 0, 0.1, 10, 10); /* long before the window */
	return s;
}

static void test_history(void **state)
{
	store *s = fixture();
	view_inference v;
	char err[256];
	assert_int_equal(view_inference_build(s, &v, err, sizeof err), 0);
	assert_int_equal(v.n, 2);
	view_server *a = &v.servers[0], *b = &v.servers[1];
	assert_string_equal(a->source, "vllm-a");
	assert_false(a->has_history);
	assert_near(a->tokens_per_s, 15, 1e-9); /* the last two scrapes */
	assert_true(isnan(b->tokens_per_s));    /* one scrape: no rate */
	assert_int_equal(view_inference_history(s, &v, T0, T0 + HOUR, err, sizeof err), 0);
	assert_true(a->has_history);
	const view_server_history *h = &a->hist;
	assert_int_equal(h->since_ms, T0);
	assert_int_equal(h->step_ms, 30000);
	/* every step before the gap: 15 tokens a second, the gauges' most */
	for (int i = 0; i < 60; i++) {
		if (i == 19)
			continue;
		assert_near(h->tokens_per_s[i], 15, 1e-9);
		assert_near(h->kv_cache_usage[i], 0.5, 1e-9);
		assert_near(h->requests_waiting[i], 2, 0);
		assert_near(h->requests_running[i], 4, 0);
	}
	/* the restart at 600 s: the step [570, 600) saw 150 + 150 + 50 tokens in 30 s */
	assert_near(h->tokens_per_s[19], 350.0 / 30, 1e-9);
	assert_near(h->tokens_per_s[20], 15, 1e-9);
	/* the gap [1800, 2700): nothing, not a rate spread over fifteen minutes */
	for (int i = 60; i < 90; i++) {
		assert_true(isnan(h->tokens_per_s[i]));
		assert_true(isnan(h->kv_cache_usage[i]));
		assert_true(isnan(h->requests_waiting[i]));
		assert_true(isnan(h->requests_running[i]));
	}
	for (int i = 90; i < VIEW_INFERENCE_POINTS; i++) {
		assert_near(h->tokens_per_s[i], 15, 1e-9);
		assert_near(h->kv_cache_usage[i], 0.5, 1e-9);
	}
	/* the scrape at the window's end is not in it */
	assert_near(h->waiting_max, 2, 0);
	assert_near(h->running_max, 4, 0);
	assert_near(h->kv_max, 0.5, 1e-9);
	assert_near(h->tokens_per_s_max, 15, 1e-9);
	/* the server scraped long before: an empty history */
	assert_true(b->has_history);
	for (int i = 0; i < VIEW_INFERENCE_POINTS; i++)
		assert_true(isnan(b->hist.tokens_per_s[i]) && isnan(b->hist.kv_cache_usage[i]));
	assert_true(isnan(b->hist.kv_max) && isnan(b->hist.tokens_per_s_max));
	view_inference_free(&v);
	store_close(s);
}

static void test_window_steps(void **state)
{
	store *s = fixture();
	view_inference v;
	char err[256];
	assert_int_equal(view_inference_build(s, &v, err, sizeof err), 0);
	/* a window that does not divide evenly ends at until; the steps round up */
	assert_int_equal(view_inference_history(s, &v, T0 + 1, T0 + 1 + 119 * 10, err, sizeof err),
	                 0);
	assert_int_equal(v.servers[0].hist.step_ms, 10);
	assert_int_equal(v.servers[0].hist.since_ms, T0 + 1 + 1190 - 1200);
	/* a one-minute window in the middle of the steady part: a step is 0.5 s, and the rate
	 * between two scrapes 10 s apart reaches every step it covers; after the last scrape in
	 * the window (150 s) the rate is not known yet */
	assert_int_equal(view_inference_history(s, &v, T0 + 100000, T0 + 160000, err, sizeof err),
	                 0);
	const view_server_history *h = &v.servers[0].hist;
	assert_int_equal(h->step_ms, 500);
	for (int i = 0; i < 100; i++)
		assert_near(h->tokens_per_s[i], 15, 1e-9);
	for (int i = 100; i < VIEW_INFERENCE_POINTS; i++)
		assert_true(isnan(h->tokens_per_s[i]));
	/* a gauge holds from one scrape to the next (steps 0..19 show the scrape at 100 s), and
	 * the last one to the window's end */
	for (int i = 0; i < 20; i++)
		assert_near(h->requests_waiting[i], 1, 0);
	assert_near(h->requests_waiting[20], 2, 0);
	assert_near(h->requests_waiting[119], 0, 0);
	assert_near(h->kv_cache_usage[119], 0.3, 1e-9);
	view_inference_free(&v);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_window_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
