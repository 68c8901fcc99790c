/* The Providers view on a real SQLite store of events with known statuses and latencies. */
#include <math.h>

#include "testutil.h"

#include "tokentop/money.h"
#include "tokentop/ingest.h"
#include "tokentop/providers.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"

#include <jansson.h>

#define MIN_MS 60000LL
#define DAY_MS 86400000LL
#define NEV    8000

static tt_event evs[NEV];
static int64_t start_ms;

static int64_t iso(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse_iso(s, strlen(s), &t), 0);
	return t;
}

static store *open_db(const char *name)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

static uint64_t rng;

static uint32_t next(uint32_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)((rng >> 33) % n);
}

/*
 * Each provider's mix of statuses, in per mille; the rest are ok. alpha runs healthy under a
 * kill switch on part of its traffic and a warm cache, beta is degraded, gamma failing, and
 * idle was killed outright (no calls at all).
 */
static const struct mix {
	const char *provider;
	const char *models[2];
	int cost_scale;
	int timeout, rate_limited, server_error, refusal, client, killed, throttled, cache_hit;
} mixes[] = {
    {"alpha", {"a-large", "a-small"}, 3, 5, 10, 5, 10, 10, 60, 0, 150},
    {"beta", {"b-1", "b-1"}, 1, 40, 100, 30, 0, 10, 0, 40, 0},
    {"gamma", {"g-1", "g-2"}, 2, 150, 120, 120, 0, 0, 0, 0, 0},
    {"idle", {"i-1", "i-1"}, 1, 0, 0, 0, 0, 0, 1000, 0, 0},
};
#define NMIX (sizeof mixes / sizeof *mixes)

static tt_status pick_status(const struct mix *m, bool *hit)
{
	const struct {
		tt_status s;
		int permille;
	} table[] = {
	    {TT_STATUS_TIMEOUT, m->timeout},           {TT_STATUS_RATE_LIMITED, m->rate_limited},
	    {TT_STATUS_SERVER_ERROR, m->server_error}, {TT_STATUS_SAFETY_REFUSAL, m->refusal},
	    {TT_STATUS_CLIENT_ERROR, m->client},       {TT_STATUS_KILLED, m->killed},
	    {TT_STATUS_THROTTLED, m->throttled},
	};
	int r = (int)next(1000);
	*hit = false;
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		if (r < table[i].permille)
			return table[i].s;
		r -= table[i].permille;
	}
	*hit = r < m->cache_hit;
	return TT_STATUS_OK;
}

/* NEV events over three days into a new store; evs keeps them. */
static store *build_store(const char *name)
{
	static const char *const tenants[] = {"acme", "globex", "initech"};
	static const char *const cases[] = {"support-bot", "search", "copilot"};
	store *st = open_db(name);
	rng = 0x9e3779b97f4a7c15ULL; /* every store holds the same events */
	ingest_opts o = {0};
	ingest *in = ingest_new(st, &o);
	assert_non_null(in);
	start_ms = iso("2026-03-02T00:00:00Z");
	for (int i = 0; i < NEV; i++) {
		tt_event *ev = &evs[i];
		event_init(ev);
		const struct mix *m = &mixes[next(NMIX)];
		snprintf(ev->request_id, sizeof ev->request_id, "r-%d", i);
		ev->ts_ms = start_ms + (int64_t)i * (3 * DAY_MS / NEV) + next(1000);
		snprintf(ev->provider, sizeof ev->provider, "%s", m->provider);
		snprintf(ev->model, sizeof ev->model, "%s", m->models[next(2)]);
		snprintf(ev->tenant, sizeof ev->tenant, "%s", tenants[next(3)]);
		snprintf(ev->use_case, sizeof ev->use_case, "%s", cases[next(3)]);
		bool hit;
		ev->status = pick_status(m, &hit);
		ev->cache = hit ? TT_CACHE_HIT : next(2) ? TT_CACHE_MISS : TT_CACHE_NONE;
		ev->input_tokens = 100 + next(900);
		ev->output_tokens = 10 + next(300);
		/* latencies spread over three decades, a few unknown; errors have no first token */
		ev->latency_ms = next(50) == 0 ? -1 : (int64_t)exp(log(20.0) + next(6000) / 1000.0);
		if (hit || ev->status == TT_STATUS_KILLED || ev->status == TT_STATUS_THROTTLED)
			ev->latency_ms =
			    1 + next(5); /* would drag a provider's p50 down if counted */
		bool first_token =
		    ev->status == TT_STATUS_OK || ev->status == TT_STATUS_SAFETY_REFUSAL;
		ev->ttft_ms = first_token && ev->latency_ms > 0 ? ev->latency_ms / 4 : -1;
		ev->has_cost = true;
		ev->cost_nanos = ev->status == TT_STATUS_KILLED || ev->status == TT_STATUS_THROTTLED
		                     ? 0
		                     : (int64_t)(1 + next(5000)) * m->cost_scale;
		assert_int_equal(ingest_event(in, ev), 0);
	}
	assert_int_equal(ingest_commit(in, NULL, NULL), 0);
	ingest_free(in);
	return st;
}

static bool is_call(const tt_event *ev)
{
	return ev->status != TT_STATUS_KILLED && ev->status != TT_STATUS_THROTTLED &&
	       ev->cache != TT_CACHE_HIT;
}

/* What a row should hold, counted from the events. */
typedef struct expect {
	int64_t requests, calls, errors, cost, by_status[TT_STATUS_COUNT];
	double *lat, *ttft;
	size_t nlat, nttft;
} expect;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* provider NULL: every event; model NULL: every model of the provider. */
static expect count(const char *provider, const char *model, int64_t lo, int64_t hi)
{
	expect e = {0};
	e.lat = malloc(NEV * sizeof *e.lat);
	e.ttft = malloc(NEV * sizeof *e.ttft);
	for (int i = 0; i < NEV; i++) {
		const tt_event *ev = &evs[i];
		if (ev->ts_ms < lo || ev->ts_ms >= hi ||
		    (provider && strcmp(ev->provider, provider)) ||
		    (model && strcmp(ev->model, model)))
			continue;
		e.requests++;
		e.cost += ev->cost_nanos;
		e.by_status[ev->status]++;
		if (!is_call(ev))
			continue;
		e.calls++;
		e.errors += event_status_is_error(ev->status);
		if (ev->latency_ms >= 0)
			e.lat[e.nlat++] = (double)ev->latency_ms;
		if (ev->ttft_ms >= 0)
			e.ttft[e.nttft++] = (double)ev->ttft_ms;
	}
	qsort(e.lat, e.nlat, sizeof *e.lat, cmp_double);
	qsort(e.ttft, e.nttft, sizeof *e.ttft, cmp_double);
	return e;
}

/* The sketch's q-quantile is the value of rank floor(q * (n - 1)) within SKETCH_ALPHA. */
static void check_quantile(double got, const double *sorted, size_t n, double q)
{
	if (!n) {
		assert_true(isnan(got));
		return;
	}
	double want = sorted[(size_t)floor(q * (double)(n - 1))];
	if (fabs(got - want) > SKETCH_ALPHA * want + 1e-9)
		fail_msg("q%.2f: sketch %.3f, exact %.3f over %zu values", q, got, want, n);
}

static view_provider_state state_by_rate(int64_t errors, int64_t calls)
{
	double r = calls ? (double)errors / (double)calls : 0;
	return r >= 0.25   ? VIEW_PROVIDER_FAILING
	       : r >= 0.10 ? VIEW_PROVIDER_DEGRADED
	                   : VIEW_PROVIDER_OK;
}

static void check_row(const view_provider_row *r, const char *provider, const char *model,
                      int64_t lo, int64_t hi)
{
	expect e = count(provider, model, lo, hi);
	assert_int_equal(r->requests, e.requests);
	for (int s = 0; s < TT_STATUS_COUNT; s++)
		assert_int_equal(r->by_status[s], e.by_status[s]);
	assert_int_equal(r->calls, e.calls);
	assert_int_equal(r->errors, e.errors);
	assert_int_equal(r->cost_nanos, e.cost);
	assert_true(r->error_rate == (e.calls ? (double)e.errors / (double)e.calls : 0.0));
	assert_int_equal(r->state, state_by_rate(e.errors, e.calls));
	assert_int_equal((int64_t)r->latency.count, (int64_t)e.nlat);
	assert_int_equal((int64_t)r->ttft.count, (int64_t)e.nttft);
	check_quantile(r->p50_ms, e.lat, e.nlat, 0.50);
	check_quantile(r->p95_ms, e.lat, e.nlat, 0.95);
	check_quantile(r->p99_ms, e.lat, e.nlat, 0.99);
	check_quantile(r->ttft_p50_ms, e.ttft, e.nttft, 0.50);
	check_quantile(r->ttft_p95_ms, e.ttft, e.nttft, 0.95);
	free(e.lat);
	free(e.ttft);
}

/* Every row against the events of [a, b) as the store widens it, and the rows' order. */
static void check_range(store *st, int64_t a, int64_t b)
{
	view_providers v;
	char err[256];
	assert_int_equal(view_providers_build(st, a, b, &v, err, sizeof err), 0);
	int64_t lo = a / MIN_MS * MIN_MS, hi = (b + MIN_MS - 1) / MIN_MS * MIN_MS;
	check_row(&v.total, NULL, NULL, lo, hi);
	int64_t sum = 0;
	size_t models = 0;
	for (size_t i = 0; i < v.nproviders; i++) {
		const view_provider_row *p = &v.providers[i];
		check_row(p, p->provider, NULL, lo, hi);
		assert_string_equal(p->model, "");
		assert_true(p->requests > 0);
		if (i)
			assert_true(v.providers[i - 1].cost_nanos >= p->cost_nanos);
		assert_int_equal(p->first, models);
		for (size_t k = p->first; k < p->first + p->n; k++) {
			const view_provider_row *m = &v.models[k];
			assert_int_equal(m->parent, i);
			assert_string_equal(m->provider, p->provider);
			check_row(m, p->provider, m->model, lo, hi);
			if (k > p->first)
				assert_true(v.models[k - 1].cost_nanos >= m->cost_nanos);
		}
		models += p->n;
		sum += p->requests;
	}
	assert_int_equal(models, v.nmodels);
	assert_int_equal(sum, v.total.requests);
	view_providers_free(&v);
}

static void test_whole_range(void **state)
{
	(void)state;
	store *st = build_store("whole.db");
	view_providers v;
	char err[256];
	assert_int_equal(
	    view_providers_build(st, start_ms, start_ms + 3 * DAY_MS + MIN_MS, &v, err, sizeof err),
	    0);
	/* costliest first: alpha's costs are scaled by 3, gamma's by 2; idle spent nothing */
	static const char *const order[] = {"alpha", "gamma", "beta", "idle"};
	static const view_provider_state states[] = {VIEW_PROVIDER_OK, VIEW_PROVIDER_FAILING,
	                                             VIEW_PROVIDER_DEGRADED, VIEW_PROVIDER_OK};
	assert_int_equal(v.nproviders, 4);
	assert_int_equal(v.nmodels, 6);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(v.providers[i].provider, order[i]);
		assert_int_equal(v.providers[i].state, states[i]);
	}
	const view_provider_row *alpha = &v.providers[0], *idle = &v.providers[3];
	assert_true(alpha->by_status[TT_STATUS_KILLED] > 0);
	assert_true(alpha->calls < alpha->requests - alpha->by_status[TT_STATUS_KILLED]);
	assert_int_equal(idle->calls, 0);
	assert_true(idle->error_rate == 0.0);
	assert_true(isnan(idle->p50_ms) && isnan(idle->ttft_p95_ms));
	assert_int_equal(v.total.requests, NEV);
	view_providers_free(&v);
	check_range(st, start_ms, start_ms + 3 * DAY_MS + MIN_MS);
	store_close(st);
}

/* Ragged ranges: days, hours and minutes of the rollups all merge into the same figures. */
static void test_ragged_ranges(void **state)
{
	(void)state;
	store *st = build_store("ragged.db");
	check_range(st, start_ms + 5 * 3600000 + 37 * MIN_MS, start_ms + 2 * DAY_MS + 191 * MIN_MS);
	uint64_t x = 4242;
	for (int k = 0; k < 10; k++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t a = start_ms - 3600000 + (int64_t)((x >> 20) % (3 * DAY_MS));
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t b = a + 1 + (int64_t)((x >> 20) % (2 * DAY_MS));
		check_range(st, a, b);
	}
	store_close(st);
}

static void test_empty(void **state)
{
	(void)state;
	store *st = open_db("empty.db");
	view_providers v;
	char err[256];
	assert_int_equal(view_providers_build(st, 0, DAY_MS, &v, err, sizeof err), 0);
	assert_int_equal(v.nproviders, 0);
	assert_int_equal(v.nmodels, 0);
	view_providers_free(&v);
	store_close(st);

	st = build_store("before.db");
	assert_int_equal(
	    view_providers_build(st, start_ms - DAY_MS, start_ms - MIN_MS, &v, err, sizeof err), 0);
	assert_int_equal(v.nproviders, 0);
	assert_int_equal(v.nmodels, 0);
	assert_int_equal(v.total.requests, 0);
	assert_int_equal(v.total.state, VIEW_PROVIDER_OK);
	assert_true(isnan(v.total.p50_ms));
	view_providers_free(&v);
	store_close(st);
}

static void test_thresholds(void **state)
{
	(void)state;
	static const struct {
		int64_t errors, calls;
		view_provider_state want;
	} cases[] = {
	    {0, 0, VIEW_PROVIDER_OK},
	    {0, 1000, VIEW_PROVIDER_OK},
	    {VIEW_PROVIDERS_DEGRADED_PPM - 1, 1000000, VIEW_PROVIDER_OK},
	    {VIEW_PROVIDERS_DEGRADED_PPM, 1000000, VIEW_PROVIDER_DEGRADED},
	    {1, 10, VIEW_PROVIDER_DEGRADED},
	    {VIEW_PROVIDERS_FAILING_PPM - 1, 1000000, VIEW_PROVIDER_DEGRADED},
	    {VIEW_PROVIDERS_FAILING_PPM, 1000000, VIEW_PROVIDER_FAILING},
	    {1, 4, VIEW_PROVIDER_FAILING},
	    {1, 1, VIEW_PROVIDER_FAILING},
	    /* far past what doubles hold exactly: the comparison stays in integers */
	    {(int64_t)1 << 60, ((int64_t)1 << 62) + 1, VIEW_PROVIDER_DEGRADED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_int_equal(view_providers_state_of(cases[i].errors, cases[i].calls),
		                 cases[i].want);
	assert_int_equal(VIEW_PROVIDERS_DEGRADED_PPM, 100000);
	assert_int_equal(VIEW_PROVIDERS_FAILING_PPM, 250000);
	assert_string_equal(view_providers_state_name(VIEW_PROVIDER_OK), "ok");
	assert_string_equal(view_providers_state_name(VIEW_PROVIDER_DEGRADED), "degraded");
	assert_string_equal(view_providers_state_name(VIEW_PROVIDER_FAILING), "failing");
}

static char *render(const view_providers *v, report_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(report_providers(out, v, f), 0);
	fclose(out);
	return buf;
}

static void test_report(void **state)
{
	(void)state;
	store *st = build_store("report.db");
	view_providers v;
	char err[256];
	assert_int_equal(
	    view_providers_build(st, start_ms, start_ms + 3 * DAY_MS + MIN_MS, &v, err, sizeof err),
	    0);

	char *js = render(&v, REPORT_JSON);
	json_error_t je;
	json_t *doc = json_loads(js, 0, &je);
	if (!doc)
		fail_msg("report json: %s", je.text);
	assert_string_equal(json_string_value(json_object_get(doc, "view")), "providers");
	json_t *th = json_object_get(doc, "thresholds");
	assert_true(json_real_value(json_object_get(th, "degraded_error_rate")) == 0.10);
	assert_true(json_real_value(json_object_get(th, "failing_error_rate")) == 0.25);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(doc, "total"), "requests")), NEV);
	json_t *ps = json_object_get(doc, "providers");
	assert_int_equal(json_array_size(ps), v.nproviders);
	for (size_t i = 0; i < v.nproviders; i++) {
		const view_provider_row *p = &v.providers[i];
		json_t *po = json_array_get(ps, i);
		assert_string_equal(json_string_value(json_object_get(po, "provider")),
		                    p->provider);
		assert_string_equal(json_string_value(json_object_get(po, "state")),
		                    view_providers_state_name(p->state));
		json_t *bs = json_object_get(po, "by_status");
		for (int s = 0; s < TT_STATUS_COUNT; s++)
			assert_int_equal(json_integer_value(
			                     json_object_get(bs, event_status_name((tt_status)s))),
			                 p->by_status[s]);
		assert_int_equal(json_integer_value(json_object_get(po, "cost_micros")),
		                 money_micros_of(p->cost_nanos));
		json_t *lat = json_object_get(po, "latency_ms");
		if (p->calls)
			assert_true(fabs(json_real_value(json_object_get(lat, "p95")) -
			                 p->p95_ms) <= 0.05 + 1e-9);
		else
			assert_true(json_is_null(json_object_get(lat, "p95")));
		json_t *ms = json_object_get(po, "models");
		assert_int_equal(json_array_size(ms), p->n);
		for (size_t k = 0; k < p->n; k++)
			assert_string_equal(
			    json_string_value(json_object_get(json_array_get(ms, k), "model")),
			    v.models[p->first + k].model);
	}
	json_decref(doc);
	free(js);

	char *csv = render(&v, REPORT_CSV);
	size_t lines = 0;
	for (const char *p = csv; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + v.nproviders + v.nmodels);
	assert_non_null(strstr(csv, "provider,gamma,,"));
	free(csv);

	char *text = render(&v, REPORT_TEXT);
	assert_non_null(strstr(text, "failing"));
	assert_non_null(strstr(text, "degraded at 10%, failing at 25%"));
	free(text);
	view_providers_free(&v);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thresholds),    cmocka_unit_test(test_whole_range),
	    cmocka_unit_test(test_ragged_ranges), cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
