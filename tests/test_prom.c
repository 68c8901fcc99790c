/* Tests for the Prometheus/OpenMetrics parser: vLLM and TGI scrapes, escaping, hostile input. */
#include "testutil.h"

#include <math.h>
#include <time.h>

#include "tokentop/histq.h"
#include "tokentop/prom.h"

#define LLAMA      "meta-llama/Llama-3.1-8B-Instruct"
#define near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static prom_scrape *parse_str(const char *s, prom_format f)
{
	prom_scrape *sc = prom_parse(s, strlen(s), f);
	assert_non_null(sc);
	return sc;
}

static prom_scrape *parse_file(const char *rel, prom_format f)
{
	size_t len;
	char *buf = tu_slurp(rel, &len);
	prom_scrape *sc = prom_parse(buf, len, f);
	free(buf);
	assert_non_null(sc);
	return sc;
}

static void assert_clean(const prom_scrape *sc)
{
	if (sc->nerrors)
		fail_msg("%zu errors, first: %s", sc->nerrors, sc->errors[0]);
	assert_int_equal(sc->nbad, 0);
	assert_false(sc->truncated);
	assert_string_equal(sc->incomplete, "");
}

/* The one error a scrape of a bad line must give, and the good lines around it kept. */
static void assert_one_error(const prom_scrape *sc, const char *msg)
{
	if (sc->nerrors != 1)
		fail_msg("want 1 error (%s), got %zu: %s", msg, sc->nerrors,
		         sc->nerrors ? sc->errors[0] : "");
	assert_string_equal(sc->errors[0], msg);
	assert_null(strchr(sc->errors[0], '\n'));
}

static const prom_sample *sample_with(const prom_family *f, const char *label, const char *value)
{
	for (size_t i = 0; i < f->nsamples; i++) {
		const char *v = prom_label_get(&f->samples[i], label);
		if (v && strcmp(v, value) == 0)
			return &f->samples[i];
	}
	fail_msg("%s has no sample with %s=%s", f->name, label, value);
	return NULL;
}

/* ---- names ---- */

static void test_names(void **state)
{
	prom_format f = PROM_FORMAT_TEXT;
	assert_int_equal(prom_format_from_name("openmetrics", &f), 0);
	assert_int_equal(f, PROM_FORMAT_OPENMETRICS);
	assert_int_equal(prom_format_from_name("json", &f), -1);
	assert_string_equal(prom_format_name(PROM_FORMAT_AUTO), "auto");
	assert_null(prom_format_name(PROM_FORMAT_COUNT));
	assert_int_equal(prom_format_from_content_type(
	                     "application/openmetrics-text; version=1.0.0; charset=utf-8"),
	                 PROM_FORMAT_OPENMETRICS);
	assert_int_equal(prom_format_from_content_type("text/plain; version=0.0.4"),
	                 PROM_FORMAT_TEXT);
	assert_int_equal(prom_format_from_content_type("Text/Plain"), PROM_FORMAT_TEXT);
	assert_int_equal(prom_format_from_content_type("application/json"), PROM_FORMAT_AUTO);
	assert_int_equal(prom_format_from_content_type(NULL), PROM_FORMAT_AUTO);
	prom_kind k = PROM_KIND_GENERIC;
	assert_int_equal(prom_kind_from_name("tgi", &k), 0);
	assert_int_equal(k, PROM_KIND_TGI);
	assert_int_equal(prom_kind_from_name("sglang", &k), -1);
	assert_string_equal(prom_kind_name(PROM_KIND_VLLM), "vllm");
	assert_string_equal(prom_type_name(PROM_GAUGEHISTOGRAM), "gaugehistogram");
}

/* ---- vLLM ---- */

static void test_vllm_v1_families(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/vllm_v1.txt", PROM_FORMAT_AUTO);
	assert_clean(sc);
	assert_int_equal(sc->format, PROM_FORMAT_TEXT);
	assert_false(sc->eof);
	assert_int_equal(sc->nfamilies, 11);
	assert_int_equal(sc->ncreated, 10); /* 3 counters and 2 histograms, 2 engines each */
	assert_int_equal(sc->nsamples, 2 + 2 + 2 + 2 + 2 + 2 + 2 + 6 + 2 * 25 + 2 * 24 + 1);
	for (size_t i = 0; i < sc->nfamilies; i++)
		if (strstr(sc->families[i].name, "_created"))
			fail_msg("family %s kept", sc->families[i].name);

	const prom_family *f = prom_find(sc, "vllm:num_requests_running");
	assert_non_null(f);
	assert_int_equal(f->type, PROM_GAUGE);
	assert_string_equal(f->help, "Number of requests in model execution batches.");
	assert_int_equal(f->nsamples, 2);
	assert_string_equal(f->samples[0].labels[0].name, "engine"); /* sorted by name */
	assert_string_equal(f->samples[0].labels[1].value, LLAMA);
	assert_true(f->samples[0].value == 5);
	assert_int_equal(f->samples[0].line, 3);
	assert_true(f->samples[0].ts_ms == PROM_NO_TS);
	assert_true(isnan(f->samples[0].bound));

	/* a 0.0.4 counter is found by either spelling */
	f = prom_find(sc, "vllm:prompt_tokens");
	assert_non_null(f);
	assert_ptr_equal(f, prom_find(sc, "vllm:prompt_tokens_total"));
	assert_int_equal(f->type, PROM_COUNTER);
	assert_int_equal(f->samples[0].part, PROM_PART_VALUE);
	assert_null(prom_find(sc, "vllm:prompt_tokens_created"));
	assert_null(prom_find(sc, "vllm:num_requests_running_total"));
	assert_null(prom_find(sc, "nope"));

	f = prom_find(sc, "vllm:request_success_total");
	prom_label stop = {"finished_reason", "stop"};
	near(prom_value(f, &stop, 1, PROM_AGG_SUM), 900);
	near(prom_value(f, NULL, 0, PROM_AGG_SUM), 1000);
	near(prom_value(f, NULL, 0, PROM_AGG_MAX), 450);
	prom_label none = {"finished_reason", "error"};
	assert_true(isnan(prom_value(f, &none, 1, PROM_AGG_SUM)));
	assert_true(isnan(prom_value(NULL, NULL, 0, PROM_AGG_SUM)));

	f = prom_find(sc, "vllm:time_to_first_token_seconds");
	assert_int_equal(f->type, PROM_HISTOGRAM);
	assert_int_equal(f->nsamples, 50);
	const prom_sample *b = sample_with(f, "le", "0.25");
	assert_int_equal(b->part, PROM_PART_BUCKET);
	assert_true(b->bound == 0.25);
	assert_true(isinf(sample_with(f, "le", "+Inf")->bound));
	assert_int_equal(f->samples[23].part, PROM_PART_COUNT);
	assert_int_equal(f->samples[24].part, PROM_PART_SUM);
	prom_scrape_free(sc);
}

static void test_vllm_v1_ttft(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/vllm_v1.txt", PROM_FORMAT_TEXT);
	const prom_family *f = prom_find(sc, "vllm:time_to_first_token_seconds");
	prom_label m = {"model_name", LLAMA};
	prom_hist h;
	assert_int_equal(prom_histogram(f, &m, 1, &h), 0);
	/* both engines added per le: 22 bounds and +Inf */
	assert_int_equal(h.n, 23);
	assert_true(h.buckets[0].le == 0.001 && isinf(h.buckets[22].le));
	near(h.buckets[8].count, 450); /* le 0.25: 250 + 200 */
	near(h.count, 1000);
	near(h.sum, 370);
	/* p50: rank 500 in (0.25, 0.5] (450..700): 0.25 + 0.25 * 50 / 250 */
	near(histq_quantile(0.5, h.buckets, h.n, NULL), 0.3);
	/* p95: rank 950 in (2.5, 5] (900..1000): 2.5 + 2.5 * 50 / 100 */
	near(histq_quantile(0.95, h.buckets, h.n, NULL), 3.75);
	prom_hist_free(&h);

	/* engine 0 alone: rank 250 ends (0.1, 0.25] exactly */
	prom_label m0[] = {{"model_name", LLAMA}, {"engine", "0"}};
	assert_int_equal(prom_histogram(f, m0, 2, &h), 0);
	near(h.count, 500);
	near(histq_quantile(0.5, h.buckets, h.n, NULL), 0.25);
	prom_hist_free(&h);

	/* no match, no family */
	prom_label other = {"model_name", "other"};
	assert_int_equal(prom_histogram(f, &other, 1, &h), 0);
	assert_int_equal(h.n, 0);
	assert_null(h.buckets);
	assert_true(isnan(h.sum) && isnan(h.count));
	assert_int_equal(prom_histogram(NULL, NULL, 0, &h), 0);
	assert_int_equal(h.n, 0);
	prom_scrape_free(sc);
}

static void test_vllm_v1_servers(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/vllm_v1.txt", PROM_FORMAT_AUTO);
	prom_server *v;
	int n = prom_servers(sc, PROM_KIND_GENERIC, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, PROM_KIND_VLLM);
	assert_string_equal(v[0].model_name, LLAMA);
	assert_int_equal(v[0].engines, 2);
	near(v[0].requests_running, 8);
	near(v[0].requests_waiting, 2);
	/* the new name wins over gpu_cache_usage_perc (0.6), fullest engine */
	near(v[0].kv_cache_usage, 0.67);
	assert_string_equal(v[0].kv_metric, "vllm:kv_cache_usage_perc");
	near(v[0].prompt_tokens_total, 2750000);
	near(v[0].generation_tokens_total, 750000);
	assert_int_equal(v[0].ttft.n, 23);
	assert_string_equal(v[0].ttft_metric, "vllm:time_to_first_token_seconds");
	near(histq_quantile(0.95, v[0].ttft.buckets, v[0].ttft.n, NULL), 3.75);
	assert_int_equal(v[0].e2e.n, 22);
	/* e2e p50: rank 500 of 1000, (1.5, 2] holds 250..450, (2, 2.5] 450..620:
	 * 2 + 0.5 * 50 / 170 */
	near(histq_quantile(0.5, v[0].e2e.buckets, v[0].e2e.n, NULL), 2 + 0.5 * 50 / 170);
	prom_servers_free(v, (size_t)n);

	assert_int_equal(prom_servers(sc, PROM_KIND_VLLM, &v), 1);
	prom_servers_free(v, 1);
	assert_int_equal(prom_servers(sc, PROM_KIND_TGI, &v), 0);
	prom_servers_free(v, 0);
	prom_scrape_free(sc);
}

static void test_vllm_v0(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/vllm_v0.txt", PROM_FORMAT_AUTO);
	assert_clean(sc);
	prom_server *v;
	assert_int_equal(prom_servers(sc, PROM_KIND_VLLM, &v), 1);
	assert_string_equal(v[0].model_name, "mistralai/Mistral-7B-Instruct-v0.3");
	assert_int_equal(v[0].engines, 0);
	near(v[0].requests_running, 7);
	near(v[0].requests_waiting, 4);
	near(v[0].kv_cache_usage, 0.913); /* only the old name */
	assert_string_equal(v[0].kv_metric, "vllm:gpu_cache_usage_perc");
	near(v[0].prompt_tokens_total, 52013);
	near(v[0].generation_tokens_total, 19870);
	assert_int_equal(v[0].e2e.n, 0);
	/* buckets came out of order; le "1" is a number like any other */
	const prom_hist *h = &v[0].ttft;
	assert_int_equal(h->n, 5);
	assert_true(h->buckets[0].le == 0.1 && h->buckets[3].le == 1);
	/* 0.1:20 0.25:50 0.5:80 1:90 +Inf:100 */
	near(histq_quantile(0.5, h->buckets, h->n, NULL), 0.25);
	near(histq_quantile(0.75, h->buckets, h->n, NULL), 0.25 + 0.25 * 25 / 30);
	near(histq_quantile(0.9, h->buckets, h->n, NULL), 1.0);
	near(histq_quantile(0.95, h->buckets, h->n, NULL), 1.0); /* in +Inf */
	prom_servers_free(v, 1);
	prom_scrape_free(sc);
}

static void test_vllm_models(void **state)
{
	/* two models on one endpoint; an info gauge without model_name makes no server */
	const char *text = "# TYPE vllm:num_requests_running gauge\n"
	                   "vllm:num_requests_running{engine=\"0\",model_name=\"a\"} 1\n"
	                   "vllm:num_requests_running{engine=\"0\",model_name=\"b\"} 2\n"
	                   "vllm:num_requests_running{engine=\"1\",model_name=\"b\"} 4\n"
	                   "# TYPE vllm:cache_config_info gauge\n"
	                   "vllm:cache_config_info{block_size=\"16\"} 1\n";
	prom_scrape *sc = parse_str(text, PROM_FORMAT_TEXT);
	assert_clean(sc);
	prom_server *v;
	assert_int_equal(prom_servers(sc, PROM_KIND_GENERIC, &v), 2);
	assert_string_equal(v[0].model_name, "a");
	assert_string_equal(v[1].model_name, "b");
	near(v[0].requests_running, 1);
	near(v[1].requests_running, 6);
	assert_int_equal(v[1].engines, 2);
	assert_true(isnan(v[1].kv_cache_usage));
	assert_null(v[1].kv_metric);
	assert_null(v[1].ttft_metric);
	assert_int_equal(v[1].ttft.n, 0);
	prom_servers_free(v, 2);
	prom_scrape_free(sc);

	/* no model_name anywhere: one unnamed server */
	sc = parse_str("vllm:num_requests_running 3\n", PROM_FORMAT_TEXT);
	assert_int_equal(prom_servers(sc, PROM_KIND_VLLM, &v), 1);
	assert_string_equal(v[0].model_name, "");
	near(v[0].requests_running, 3);
	prom_servers_free(v, 1);
	prom_scrape_free(sc);

	/* nothing of either */
	sc = parse_str("up 1\n", PROM_FORMAT_TEXT);
	assert_int_equal(prom_servers(sc, PROM_KIND_GENERIC, &v), 0);
	assert_null(v);
	prom_scrape_free(sc);
}

/* ---- TGI ---- */

static void test_tgi(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/tgi.txt", PROM_FORMAT_TEXT);
	assert_clean(sc);
	prom_server *v;
	assert_int_equal(prom_servers(sc, PROM_KIND_VLLM, &v), 0);
	prom_servers_free(v, 0);
	assert_int_equal(prom_servers(sc, PROM_KIND_GENERIC, &v), 1);
	assert_int_equal(v[0].kind, PROM_KIND_TGI);
	assert_string_equal(v[0].model_name, "");
	near(v[0].requests_running, 14);
	near(v[0].requests_waiting, 6);
	assert_true(isnan(v[0].kv_cache_usage));
	near(v[0].prompt_tokens_total, 873512);
	near(v[0].generation_tokens_total, 301277);
	assert_string_equal(v[0].ttft_metric, "tgi_batch_inference_duration{method=\"prefill\"}");
	/* prefill only: 35 bounds and +Inf, 100 batches */
	const prom_hist *h = &v[0].ttft;
	assert_int_equal(h->n, 36);
	near(h->count, 100);
	near(h->sum, 1.875);
	/* rank 50: 40 batches up to 0.0001 * 1.5^16 = 0.0656840835571289, 70 up to
	 * 0.0001 * 1.5^17 = 0.09852612533569337 */
	near(histq_quantile(0.5, h->buckets, h->n, NULL),
	     0.0656840835571289 + (0.09852612533569337 - 0.0656840835571289) * 10 / 30);
	/* rank 95: 90 by 1.5^18 = 0.14778918800354005, 100 by 1.5^19 = 0.22168378200531008 */
	near(histq_quantile(0.95, h->buckets, h->n, NULL),
	     0.14778918800354005 + (0.22168378200531008 - 0.14778918800354005) * 5 / 10);
	assert_int_equal(v[0].e2e.n, 36);
	near(v[0].e2e.count, 1200);
	prom_servers_free(v, 1);

	const prom_family *f = prom_find(sc, "tgi_request_failure");
	near(prom_value(f, NULL, 0, PROM_AGG_SUM), 50);
	f = prom_find(sc, "tgi_request_input_length");
	assert_int_equal(f->nsamples, 103);
	prom_scrape_free(sc);
}

/* ---- streaming ---- */

static void assert_same(const prom_scrape *a, const prom_scrape *b)
{
	assert_int_equal(a->nfamilies, b->nfamilies);
	assert_int_equal(a->nsamples, b->nsamples);
	assert_int_equal(a->nlines, b->nlines);
	assert_int_equal(a->nerrors, b->nerrors);
	assert_int_equal(a->ncreated, b->ncreated);
	for (size_t f = 0; f < a->nfamilies; f++) {
		const prom_family *x = &a->families[f], *y = &b->families[f];
		assert_string_equal(x->name, y->name);
		assert_string_equal(x->help, y->help);
		assert_int_equal(x->nsamples, y->nsamples);
		for (size_t i = 0; i < x->nsamples; i++) {
			const prom_sample *s = &x->samples[i], *t = &y->samples[i];
			assert_string_equal(s->name, t->name);
			assert_memory_equal(&s->value, &t->value, sizeof s->value);
			assert_int_equal(s->nlabels, t->nlabels);
			assert_int_equal(s->line, t->line);
			for (uint32_t l = 0; l < s->nlabels; l++)
				assert_string_equal(s->labels[l].value, t->labels[l].value);
		}
	}
}

static void test_streaming(void **state)
{
	const char *files[] = {"tests/data/prom/vllm_v1.txt", "tests/data/prom/tgi.txt",
	                       "tests/data/prom/openmetrics.txt", "tests/data/prom/escaping.txt"};
	srand(7);
	for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
		size_t len;
		char *buf = tu_slurp(files[k], &len);
		prom_scrape *whole = prom_parse(buf, len, PROM_FORMAT_AUTO);
		for (size_t chunk = 1; chunk <= 4097; chunk = chunk * 3 + 1) {
			prom_parser *p = prom_parser_new(PROM_FORMAT_AUTO, NULL);
			assert_non_null(p);
			for (size_t off = 0; off < len;) {
				size_t n = chunk == 1 ? (size_t)(rand() % 9) : chunk;
				n = n > len - off ? len - off : n;
				assert_int_equal(prom_parser_feed(p, buf + off, n), 0);
				off += n;
			}
			prom_scrape *parts = prom_parser_finish(p);
			assert_same(whole, parts);
			prom_scrape_free(parts);
		}
		prom_scrape_free(whole);
		free(buf);
	}
}

/* ---- OpenMetrics ---- */

static void test_openmetrics(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/openmetrics.txt", PROM_FORMAT_AUTO);
	assert_clean(sc);
	assert_int_equal(sc->format, PROM_FORMAT_OPENMETRICS);
	assert_true(sc->eof);
	assert_int_equal(sc->nfamilies, 7);
	assert_int_equal(sc->ncreated, 3);

	const prom_family *f = prom_find(sc, "acme_http_requests_total");
	assert_non_null(f);
	assert_string_equal(f->name, "acme_http_requests");
	assert_int_equal(f->type, PROM_COUNTER);
	assert_int_equal(f->nsamples, 2);
	assert_int_equal(f->samples[0].part, PROM_PART_TOTAL);
	/* seconds with a fraction; the exemplar after it ignored */
	assert_true(f->samples[0].ts_ms == 1700000000123);
	assert_true(f->samples[0].value == 1027);
	near(prom_value(f, NULL, 0, PROM_AGG_SUM), 1030);

	f = prom_find(sc, "acme_request_duration_seconds");
	assert_string_equal(f->unit, "seconds");
	assert_string_equal(f->help, "Request latency, with \"quotes\" and a \\ backslash.");
	prom_hist h;
	assert_int_equal(prom_histogram(f, NULL, 0, &h), 0);
	assert_int_equal(h.n, 4);
	near(h.count, 12);
	near(h.sum, 2.5);
	/* rank 6 in the lowest bucket: 0.1 * 6 / 8 */
	near(histq_quantile(0.5, h.buckets, h.n, NULL), 0.075);
	prom_hist_free(&h);

	f = prom_find(sc, "acme_build");
	assert_int_equal(f->type, PROM_INFO);
	assert_int_equal(f->samples[0].part, PROM_PART_INFO);
	assert_string_equal(prom_label_get(&f->samples[0], "version"), "1.2.3");
	assert_int_equal(prom_find(sc, "acme_feature")->type, PROM_STATESET);
	f = prom_find(sc, "acme_queue");
	assert_int_equal(f->type, PROM_GAUGEHISTOGRAM);
	assert_int_equal(prom_histogram(f, NULL, 0, &h), 0);
	assert_int_equal(h.n, 2);
	near(h.count, 5);
	near(h.sum, 7.5);
	prom_hist_free(&h);
	f = prom_find(sc, "acme_temperature");
	assert_string_equal(f->unit, "celsius");
	assert_true(f->samples[0].ts_ms == 1700000000250);
	assert_int_equal(prom_find(sc, "acme_mystery")->type, PROM_UNTYPED);
	prom_scrape_free(sc);
}

static void test_openmetrics_eof(void **state)
{
	/* the hint says OpenMetrics and there is no # EOF: kept, but said */
	prom_scrape *sc = parse_str("# TYPE a gauge\na 1\n", PROM_FORMAT_OPENMETRICS);
	assert_int_equal(sc->nsamples, 1);
	assert_false(sc->eof);
	assert_one_error(sc, "line 2: no # EOF at the end (truncated?)");
	assert_int_equal(sc->nbad, 0);
	assert_string_equal(sc->incomplete, "OpenMetrics without # EOF at the end");
	prom_scrape_free(sc);

	/* # EOF may lack its newline; an integer timestamp is seconds */
	sc = parse_str("a 1 17\n# EOF", PROM_FORMAT_OPENMETRICS);
	assert_clean(sc);
	assert_true(sc->eof);
	assert_true(sc->families[0].samples[0].ts_ms == 17000);
	prom_scrape_free(sc);

	/* a timestamp with a fraction is OpenMetrics seconds even without a Content-Type */
	sc = parse_str("a 1 1700000000.5\n", PROM_FORMAT_AUTO);
	assert_int_equal(sc->format, PROM_FORMAT_OPENMETRICS);
	assert_true(sc->families[0].samples[0].ts_ms == 1700000000500);
	assert_one_error(sc, "line 1: no # EOF at the end (truncated?)");
	prom_scrape_free(sc);

	/* anything after # EOF stops the parse */
	prom_parser *p = prom_parser_new(PROM_FORMAT_AUTO, NULL);
	assert_int_equal(prom_parser_feed(p, "a 1\n# EOF\n\n", 11), 0);
	assert_int_equal(prom_parser_feed(p, "b 2\n", 4), -1);
	assert_int_equal(prom_parser_feed(p, "c 3\n", 4), -1);
	sc = prom_parser_finish(p);
	assert_int_equal(sc->nsamples, 1);
	assert_true(sc->truncated);
	assert_int_equal(sc->nbad, 1);
	assert_one_error(sc, "line 4: content after # EOF: the rest is ignored");
	prom_scrape_free(sc);

	/* in 0.0.4 "# EOF" is a comment, and timestamps are milliseconds */
	sc = parse_str("a 1 17\n# EOF\nb 2\n", PROM_FORMAT_TEXT);
	assert_clean(sc);
	assert_int_equal(sc->nsamples, 2);
	assert_false(sc->eof);
	assert_true(sc->families[0].samples[0].ts_ms == 17);
	prom_scrape_free(sc);
}

/* ---- escaping and syntax ---- */

static void test_escaping(void **state)
{
	prom_scrape *sc = parse_file("tests/data/prom/escaping.txt", PROM_FORMAT_TEXT);
	assert_clean(sc);
	const prom_family *f = prom_find(sc, "esc_test");
	assert_string_equal(f->help, "A help with a backslash \\ and a newline \n and a \\q kept.");
	const prom_sample *s = &f->samples[0];
	assert_string_equal(prom_label_get(s, "path"), "C:\\dir\\file");
	assert_string_equal(prom_label_get(s, "quote"), "say \"hi\"");
	assert_string_equal(prom_label_get(s, "multi"), "line1\nline2");
	assert_string_equal(prom_label_get(s, "odd"), "tab\\there");
	assert_null(prom_label_get(s, "absent"));
	s = &f->samples[1];
	assert_string_equal(prom_label_get(s, "utf"), "Grüße, 日本語 ✓");
	assert_string_equal(prom_label_get(s, "empty"), "");
	prom_label m = {"absent", ""}; /* an absent label matches "" as in PromQL */
	assert_true(prom_sample_matches(s, &m, 1));
	m.value = "x";
	assert_false(prom_sample_matches(s, &m, 1));

	f = prom_find(sc, "my.dotted.metric");
	assert_non_null(f);
	assert_string_equal(prom_label_get(&f->samples[0], "error.message"), "Not Found");
	assert_true(f->samples[0].value == 3);
	assert_true(prom_find(sc, "esc_trailing")->samples[0].value == 4);
	f = prom_find(sc, "esc_spaced");
	assert_int_equal(f->samples[0].nlabels, 2);
	assert_string_equal(prom_label_get(&f->samples[0], "c"), "d");
	assert_true(prom_find(sc, "esc_indented")->samples[0].value == 6);
	assert_true(prom_find(sc, "esc_crlf")->samples[0].value == 7);
	assert_null(prom_find(sc, "not"));

	f = prom_find(sc, "esc_numbers");
	assert_int_equal(f->nsamples, 9);
	double want[] = {-INFINITY, INFINITY, NAN, 1.5e-3, 0, 50, INFINITY, 17, 1};
	for (size_t i = 0; i < 9; i++) {
		double got = f->samples[i].value;
		if (isnan(want[i]))
			assert_true(isnan(got));
		else
			assert_true(got == want[i]);
	}
	assert_true(signbit(f->samples[4].value));
	assert_true(f->samples[7].ts_ms == 1700000000123);
	assert_true(f->samples[8].ts_ms == -5);
	prom_scrape_free(sc);
}

static const struct {
	const char *line;
	const char *error;
} bad_lines[] = {
    {"x{a=\"b} 1", "label a: value: unterminated quote"},
    {"x{a=\"b\\", "label a: value: unterminated quote"},
    {"x{a=\"\xff\xfe\"} 1", "label a: value: invalid UTF-8"},
    {"x{a=\"\xc0\xaf\"} 1", "label a: value: invalid UTF-8"},         /* overlong '/' */
    {"x{a=\"\xed\xa0\x80\"} 1", "label a: value: invalid UTF-8"},     /* surrogate */
    {"x{a=\"\xf4\x90\x80\x80\"} 1", "label a: value: invalid UTF-8"}, /* past U+10FFFF */
    {"x{a=\"b\"", "labels: no closing '}'"},
    {"x{a=\"b\" c=\"d\"} 1", "labels: expected ',' or '}', got 'c'"},
    {"x{a} 1", "label a: expected '='"},
    {"x{a=b} 1", "label a: expected a quoted value"},
    {"x{,} 1", "labels: unexpected ','"},
    {"x{a=\"1\",a=\"2\"} 1", "label a: given twice"},
    {"{\"x\", \"y\"} 1", "labels: a second metric name"},
    {"{a=\"b\"} 1", "no metric name"},
    {"x", "x: no value"},
    {"x{a=\"b\"}", "x: no value"},
    {"x abc", "value: not a number (\"abc\")"},
    {"x 0x1p3", "value: not a number (\"0x1p3\")"},
    {"x 1_000", "value: not a number (\"1_000\")"},
    {"x -nan", "value: not a number (\"-nan\")"},
    {"x 1e", "value: not a number (\"1e\")"},
    {"x 1 1.5", "timestamp: not an integer of milliseconds (\"1.5\")"},
    {"x 1 99999999999999999999", "timestamp: not an integer of milliseconds "
                                 "(\"99999999999999999999\")"},
    {"x 1 2 3", "unexpected '3' after the value"},
    {"9x 1", "metric name: expected a name"},
    {"x-y 1", "metric name: unexpected '-'"},
    {"h_bucket{le=\"NaN\"} 1", "le: NaN is not a bucket bound"},
    {"h_bucket{le=\"fast\"} 1", "le: not a number (\"fast\")"},
    {"h_bucket 1", "le: missing on a histogram sample"},
    {"h 1", "h: a histogram has no sample of that name"},
    {"s{q=\"1\"} 1", "quantile: missing on a summary sample"},
    {"d 1\nd 2", "line 8: d: the same series again (first on line 7)"},
    {"# TYPE ok counter", "TYPE: ok comes after its samples"},
    {"# TYPE h gauge", "TYPE: second TYPE line for h"},
    {"# TYPE z widget", "TYPE: unknown type \"widget\""},
    {"# TYPE z gauge extra", "TYPE: unexpected text after the type"},
    {"# TYPE", "TYPE: expected a metric name"},
    {"# TYPE z", "TYPE: expected a type"},
    {"# HELP h again", "HELP: second HELP line for h"},
    {"# HELP z \xff", "HELP: invalid UTF-8"},
    {"# UNIT z two words", "UNIT: expected one word"},
    {"# HELP 1z x", "HELP: metric name: expected a name"},
};

static void test_bad_lines(void **state)
{
	/* every bad line between good ones: it alone is skipped, with its line number */
	for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
		char text[512], want[256];
		snprintf(text, sizeof text,
		         "# TYPE h histogram\n# HELP h Latency.\n# TYPE s summary\n# TYPE g gauge\n"
		         "g 1\nok 1\n%s\nlast{a=\"b\"} 2\n",
		         bad_lines[i].line);
		prom_scrape *sc = parse_str(text, PROM_FORMAT_TEXT);
		if (strncmp(bad_lines[i].error, "line ", 5) == 0)
			snprintf(want, sizeof want, "%s", bad_lines[i].error);
		else
			snprintf(want, sizeof want, "line 7: %s", bad_lines[i].error);
		if (sc->nerrors != 1 || strcmp(sc->errors[0], want) != 0)
			fail_msg("%s: got %zu errors, first \"%s\", want \"%s\"", bad_lines[i].line,
			         sc->nerrors, sc->nerrors ? sc->errors[0] : "", want);
		assert_int_equal(sc->nbad, 1);
		assert_false(sc->truncated);
		assert_non_null(prom_find(sc, "ok"));
		const prom_family *last = prom_find(sc, "last");
		if (!last)
			fail_msg("%s: the line after it was lost", bad_lines[i].line);
		assert_int_equal(last->samples[0].line, strchr(bad_lines[i].line, '\n') ? 9 : 8);
		prom_scrape_free(sc);
	}
}

static void test_typing(void **state)
{
	/* a sample named like a typed family's series joins it; others are untyped */
	prom_scrape *sc = parse_str("# TYPE s summary\n"
	                            "s{quantile=\"0.5\"} 0.2\n"
	                            "s{quantile=\"0.99\"} 0.9\n"
	                            "s_sum 10\n"
	                            "s_count 40\n"
	                            "s_created 1.6e9\n"
	                            "h_sum 3\n"
	                            "plain_total 5\n",
	                            PROM_FORMAT_TEXT);
	assert_clean(sc);
	assert_int_equal(sc->ncreated, 1);
	const prom_family *f = prom_find(sc, "s");
	assert_int_equal(f->nsamples, 4);
	assert_true(f->samples[1].bound == 0.99);
	assert_int_equal(f->samples[2].part, PROM_PART_SUM);
	assert_int_equal(f->samples[3].part, PROM_PART_COUNT);
	assert_int_equal(prom_find(sc, "h_sum")->type, PROM_UNTYPED);
	/* an untyped x_total is not a counter: no second spelling */
	assert_non_null(prom_find(sc, "plain_total"));
	assert_null(prom_find(sc, "plain"));
	prom_scrape_free(sc);

	/* samples of one family need not be together; families stay in order of appearance */
	sc = parse_str("a{x=\"1\"} 1\nb 2\na{x=\"2\"} 3\n", PROM_FORMAT_TEXT);
	assert_clean(sc);
	assert_int_equal(sc->nfamilies, 2);
	assert_string_equal(sc->families[0].name, "a");
	assert_int_equal(sc->families[0].nsamples, 2);
	assert_true(sc->families[0].samples[1].value == 3);
	prom_scrape_free(sc);

	/* le "1" and "1.0" on two series: one bound, added */
	sc = parse_str("# TYPE h histogram\n"
	               "h_bucket{i=\"a\",le=\"1\"} 3\nh_bucket{i=\"a\",le=\"+Inf\"} 4\n"
	               "h_bucket{i=\"b\",le=\"1.0\"} 2\nh_bucket{i=\"b\",le=\"+Inf\"} 6\n",
	               PROM_FORMAT_TEXT);
	assert_clean(sc);
	prom_hist h;
	assert_int_equal(prom_histogram(prom_find(sc, "h"), NULL, 0, &h), 0);
	assert_int_equal(h.n, 2);
	assert_true(h.buckets[0].le == 1 && h.buckets[0].count == 5 && h.buckets[1].count == 10);
	prom_hist_free(&h);
	prom_scrape_free(sc);
}

static void test_last_line(void **state)
{
	/* a last line without its newline may be cut short: skipped, as Prometheus does */
	prom_scrape *sc = parse_str("a 1\nb 12", PROM_FORMAT_AUTO);
	assert_int_equal(sc->nsamples, 1);
	assert_one_error(sc, "line 2: no newline at the end (truncated?)");
	assert_string_equal(sc->incomplete, "cut mid-line: line 2 has no newline");
	prom_scrape_free(sc);
	sc = prom_parse(NULL, 0, PROM_FORMAT_AUTO);
	assert_clean(sc);
	assert_int_equal(sc->nfamilies, 0);
	assert_int_equal(sc->format, PROM_FORMAT_TEXT);
	prom_scrape_free(sc);
	sc = parse_str("\n\n  \n", PROM_FORMAT_AUTO);
	assert_clean(sc);
	assert_int_equal(sc->nlines, 3);
	prom_scrape_free(sc);
}

/* ---- hostile input ---- */

static void test_huge_line(void **state)
{
	size_t big = PROM_MAX_LINE + 10;
	char *buf = malloc(big + 64);
	strcpy(buf, "a 1\nhuge{v=\"");
	size_t n = strlen(buf);
	memset(buf + n, 'x', big);
	n += big;
	strcpy(buf + n, "\"} 1\nb 2\n");
	n += strlen(buf + n);
	prom_scrape *sc = prom_parse(buf, n, PROM_FORMAT_TEXT);
	assert_int_equal(sc->nsamples, 2);
	assert_one_error(sc, "line 2: longer than 1048576 bytes");
	assert_int_equal(sc->families[1].samples[0].line, 3);

	/* the same arriving in small chunks: never buffered past the limit */
	prom_parser *p = prom_parser_new(PROM_FORMAT_TEXT, NULL);
	for (size_t off = 0; off < n; off += 4096)
		assert_int_equal(prom_parser_feed(p, buf + off, n - off < 4096 ? n - off : 4096),
		                 0);
	prom_scrape *sc2 = prom_parser_finish(p);
	assert_same(sc, sc2);
	prom_scrape_free(sc2);
	prom_scrape_free(sc);

	/* cut off inside the huge line */
	sc = prom_parse(buf, n - 20, PROM_FORMAT_TEXT);
	assert_int_equal(sc->nsamples, 1);
	assert_one_error(sc, "line 2: longer than 1048576 bytes");
	prom_scrape_free(sc);
	free(buf);
}

static char *many_labels(size_t nlabels, size_t *len)
{
	char *buf = malloc(nlabels * 16 + 64);
	size_t n = (size_t)sprintf(buf, "ok 1\nx{");
	for (size_t i = 0; i < nlabels; i++)
		n += (size_t)sprintf(buf + n, "l%zu=\"v\",", i);
	n += (size_t)sprintf(buf + n, "} 1\nok2 1\n");
	*len = n;
	return buf;
}

static void test_many_labels(void **state)
{
	size_t n;
	char *buf = many_labels(1000000, &n);
	/* a million labels is a line past the length limit */
	prom_scrape *sc = prom_parse(buf, n, PROM_FORMAT_TEXT);
	assert_int_equal(sc->nsamples, 2);
	assert_one_error(sc, "line 2: longer than 1048576 bytes");
	prom_scrape_free(sc);

	/* with the line limit lifted the label limit refuses it, quickly */
	prom_limits lim = {.max_line = 64u << 20};
	clock_t t0 = clock();
	prom_parser *p = prom_parser_new(PROM_FORMAT_TEXT, &lim);
	prom_parser_feed(p, buf, n);
	sc = prom_parser_finish(p);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	assert_int_equal(sc->nsamples, 2);
	assert_one_error(sc, "line 2: more than 128 labels");
	prom_scrape_free(sc);
	free(buf);

	/* 128 is allowed */
	buf = many_labels(128, &n);
	sc = prom_parse(buf, n, PROM_FORMAT_TEXT);
	assert_clean(sc);
	assert_int_equal(prom_find(sc, "x")->samples[0].nlabels, 128);
	prom_scrape_free(sc);
	free(buf);
}

static void test_sample_and_byte_limits(void **state)
{
	prom_limits lim = {.max_samples = 100};
	prom_parser *p = prom_parser_new(PROM_FORMAT_TEXT, &lim);
	char line[64];
	int rc = 0, i;
	for (i = 0; i < 1000 && rc == 0; i++) {
		int n = snprintf(line, sizeof line, "s{i=\"%d\"} %d\n", i, i);
		rc = prom_parser_feed(p, line, (size_t)n);
	}
	assert_int_equal(rc, -1);
	assert_int_equal(i, 101);
	prom_scrape *sc = prom_parser_finish(p);
	assert_int_equal(sc->nsamples, 100);
	assert_true(sc->truncated);
	assert_one_error(sc, "line 101: more than 100 samples: the rest is ignored");
	assert_string_equal(sc->incomplete, "line 101: more than 100 samples: the rest is ignored");
	prom_scrape_free(sc);

	/* one TYPE line per family counts too */
	p = prom_parser_new(PROM_FORMAT_TEXT, &lim);
	for (i = 0, rc = 0; i < 1000 && rc == 0; i++) {
		int n = snprintf(line, sizeof line, "# TYPE f%d gauge\n", i);
		rc = prom_parser_feed(p, line, (size_t)n);
	}
	sc = prom_parser_finish(p);
	assert_int_equal(sc->nfamilies, 100);
	assert_one_error(sc, "line 101: more than 100 families: the rest is ignored");
	prom_scrape_free(sc);

	prom_limits bytes = {.max_bytes = 10};
	p = prom_parser_new(PROM_FORMAT_TEXT, &bytes);
	assert_int_equal(prom_parser_feed(p, "a 1\nb 2\nc 3\n", 12), -1);
	sc = prom_parser_finish(p);
	assert_int_equal(sc->nsamples, 2);
	assert_true(sc->truncated);
	assert_one_error(sc, "line 2: more than 10 bytes: the rest is ignored");
	prom_scrape_free(sc);
}

static void test_garbage(void **state)
{
	/* NUL bytes, control bytes and random bytes: skipped lines, never a crash */
	const char nul[] = "a{x=\"1\0\"} 1\nb\0 2\n# HELP c \0\nd 1\n";
	prom_scrape *sc = prom_parse(nul, sizeof nul - 1, PROM_FORMAT_TEXT);
	assert_int_equal(sc->nsamples, 1);
	assert_int_equal(sc->nbad, 3);
	assert_string_equal(sc->errors[0], "line 1: label x: value: NUL byte");
	assert_string_equal(sc->errors[1], "line 2: metric name: unexpected '\\x00'");
	assert_string_equal(sc->errors[2], "line 3: HELP: NUL byte");
	prom_scrape_free(sc);

	srand(42);
	char buf[4096];
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand() % (int)sizeof buf);
		const char alphabet[] = "ab_:{}=\",# \n\\le+Inf0.1e9\xff\xc3";
		for (size_t i = 0; i < n; i++)
			buf[i] = round % 2 ? (char)rand()
			                   : alphabet[rand() % (int)(sizeof alphabet - 1)];
		for (int f = 0; f < PROM_FORMAT_COUNT; f++) {
			sc = prom_parse(buf, n, (prom_format)f);
			assert_non_null(sc);
			assert_true(sc->nsamples + sc->nbad <= sc->nlines + 1);
			for (size_t e = 0; e < sc->nerrors && e < PROM_ERRORS_KEPT; e++)
				assert_null(strchr(sc->errors[e], '\n'));
			prom_server *v;
			int ns = prom_servers(sc, PROM_KIND_GENERIC, &v);
			assert_true(ns >= 0);
			prom_servers_free(v, (size_t)ns);
			prom_scrape_free(sc);
		}
	}
}

static void test_errors_kept(void **state)
{
	/* many bad lines: all counted, the first PROM_ERRORS_KEPT kept */
	char buf[4096];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(buf + n, "bad%d x\n", i);
	prom_scrape *sc = prom_parse(buf, n, PROM_FORMAT_TEXT);
	assert_int_equal(sc->nbad, 100);
	assert_int_equal(sc->nerrors, 100);
	assert_string_equal(sc->errors[PROM_ERRORS_KEPT - 1],
	                    "line 16: value: not a number (\"x\")");
	prom_scrape_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_vllm_v1_families),
	    cmocka_unit_test(test_vllm_v1_ttft),
	    cmocka_unit_test(test_vllm_v1_servers),
	    cmocka_unit_test(test_vllm_v0),
	    cmocka_unit_test(test_vllm_models),
	    cmocka_unit_test(test_tgi),
	    cmocka_unit_test(test_streaming),
	    cmocka_unit_test(test_openmetrics),
	    cmocka_unit_test(test_openmetrics_eof),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_typing),
	    cmocka_unit_test(test_last_line),
	    cmocka_unit_test(test_huge_line),
	    cmocka_unit_test(test_many_labels),
	    cmocka_unit_test(test_sample_and_byte_limits),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_errors_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
