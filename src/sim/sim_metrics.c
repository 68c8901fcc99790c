/* /metrics: the gateway's counters and vLLM-named metrics per self-hosted model, text 0.0.4. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "tokentop/money.h"

#define RECENT_MS   130000 /* longer than any request the workload draws */
#define RECENT_MAX  1000000
#define KV_CAPACITY 65536.0 /* tokens of KV cache per simulated server */
#define SERIES_MIN  256

/* vLLM's default bucket boundaries (reference/standards.md), in ms with the label text. */
typedef struct bucket {
	int64_t ms;
	const char *le;
} bucket;

static const bucket ttft_buckets[VLLM_TTFT_BUCKETS] = {
    {1, "0.001"},      {5, "0.005"},        {10, "0.01"},    {20, "0.02"},    {40, "0.04"},
    {60, "0.06"},      {80, "0.08"},        {100, "0.1"},    {250, "0.25"},   {500, "0.5"},
    {750, "0.75"},     {1000, "1.0"},       {2500, "2.5"},   {5000, "5.0"},   {7500, "7.5"},
    {10000, "10.0"},   {20000, "20.0"},     {40000, "40.0"}, {80000, "80.0"}, {160000, "160.0"},
    {640000, "640.0"}, {2560000, "2560.0"},
};

static const bucket e2e_buckets[VLLM_E2E_BUCKETS] = {
    {300, "0.3"},        {500, "0.5"},      {800, "0.8"},      {1000, "1.0"},
    {1500, "1.5"},       {2000, "2.0"},     {2500, "2.5"},     {5000, "5.0"},
    {10000, "10.0"},     {15000, "15.0"},   {20000, "20.0"},   {30000, "30.0"},
    {40000, "40.0"},     {50000, "50.0"},   {60000, "60.0"},   {120000, "120.0"},
    {240000, "240.0"},   {480000, "480.0"}, {960000, "960.0"}, {1920000, "1920.0"},
    {7680000, "7680.0"},
};

static uint64_t series_hash(const series *k)
{
	uint64_t st = (uint64_t)k->gateway << 48 ^ (uint64_t)k->use_case << 32 ^
	              (uint64_t)k->provider << 16 ^ k->model ^ (uint64_t)k->status << 56;
	return sim_rand(&st);
}

static bool series_same(const series *a, const series *b)
{
	return a->gateway == b->gateway && a->use_case == b->use_case &&
	       a->provider == b->provider && a->model == b->model && a->status == b->status;
}

static series *series_slot(series *tab, size_t cap, const series *key)
{
	for (size_t i = series_hash(key) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!tab[i].used || series_same(&tab[i], key))
			return &tab[i];
}

/* Keeps the table at most half full; false when it cannot grow. */
static bool series_reserve(sim *s)
{
	if ((s->n_series + 1) * 2 <= s->series_cap)
		return true;
	size_t cap = s->series_cap ? s->series_cap * 2 : SERIES_MIN;
	series *tab = calloc(cap, sizeof *tab);
	if (!tab)
		return false;
	for (size_t i = 0; i < s->series_cap; i++)
		if (s->series[i].used)
			*series_slot(tab, cap, &s->series[i]) = s->series[i];
	free(s->series);
	s->series = tab;
	s->series_cap = cap;
	return true;
}

static vllm_server *vllm_find(sim *s, uint16_t model)
{
	for (int i = 0; i < s->n_vllm; i++)
		if (s->vllm[i].model == model)
			return &s->vllm[i];
	if (s->n_vllm == SIM_VLLM_MAX)
		return NULL;
	vllm_server *v = &s->vllm[s->n_vllm++];
	memset(v, 0, sizeof *v);
	v->model = model;
	return v;
}

void metrics_add_vllm(sim *s, const char *model)
{
	vllm_find(s, sim_intern(s, model));
}

static bool is_vllm(const sim *s, const sim_rec *r)
{
	return strcmp(sim_name(s, r->dim[DIM_PROVIDER]), "vllm") == 0;
}

/* Requests that reached the inference server: not refused by the gateway, not from its cache. */
static bool reached_server(const sim_rec *r)
{
	return r->cache != TT_CACHE_HIT &&
	       (r->status == TT_STATUS_OK || r->status == TT_STATUS_TIMEOUT ||
	        r->status == TT_STATUS_SERVER_ERROR);
}

static void observe(int64_t *counts, const bucket *b, int n, int64_t ms)
{
	int i = 0;
	while (i < n && ms > b[i].ms)
		i++;
	counts[i]++;
}

void metrics_count(sim *s, const sim_rec *r)
{
	series key = {.gateway = r->dim[DIM_GATEWAY],
	              .use_case = r->dim[DIM_USE_CASE],
	              .provider = r->dim[DIM_PROVIDER],
	              .model = r->dim[DIM_MODEL],
	              .status = r->status};
	if (series_reserve(s)) {
		series *e = series_slot(s->series, s->series_cap, &key);
		if (!e->used) {
			*e = key;
			e->used = 1;
			s->n_series++;
		}
		e->requests++;
		e->input_tokens += r->input_tokens;
		e->output_tokens += r->output_tokens;
		e->cached_tokens += r->cached_tokens;
		e->cost_nanos += r->cost_nanos;
	}
	if (!is_vllm(s, r) || !reached_server(r))
		return;
	vllm_server *v = vllm_find(s, r->dim[DIM_MODEL]);
	if (!v)
		return;
	v->prompt_tokens += r->input_tokens;
	v->generation_tokens += r->output_tokens;
	if (r->status != TT_STATUS_OK) {
		v->failed++;
		return;
	}
	v->success++;
	if (r->ttft_ms >= 0) {
		observe(v->ttft, ttft_buckets, VLLM_TTFT_BUCKETS, r->ttft_ms);
		v->ttft_sum_ms += r->ttft_ms;
	}
	if (r->latency_ms >= 0) {
		observe(v->e2e, e2e_buckets, VLLM_E2E_BUCKETS, r->latency_ms);
		v->e2e_sum_ms += r->latency_ms;
	}
}

/* A label value with \\, \" and \n escaped. */
static void put_label(sbuf *b, const char *name, const char *v, bool comma)
{
	sb_printf(b, "%s%s=\"", comma ? "," : "", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sb_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sb_puts(b, "\\n");
		else
			sb_put(b, v, 1);
	}
	sb_puts(b, "\"");
}

static void family(sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int series_order(const void *a, const void *b, void *ctx)
{
	const series *x = a, *y = b;
	const uint16_t kx[] = {x->use_case, x->gateway, x->provider, x->model};
	const uint16_t ky[] = {y->use_case, y->gateway, y->provider, y->model};
	for (int i = 0; i < 4; i++) {
		int c = strcmp(sim_name(ctx, kx[i]), sim_name(ctx, ky[i]));
		if (c)
			return c;
	}
	return (int)x->status - (int)y->status;
}

static bool same_route(const series *a, const series *b)
{
	return a->gateway == b->gateway && a->use_case == b->use_case &&
	       a->provider == b->provider && a->model == b->model;
}

static void route_labels(sbuf *b, const sim *s, const series *e)
{
	put_label(b, "gateway", sim_name(s, e->gateway), false);
	put_label(b, "use_case", sim_name(s, e->use_case), true);
	put_label(b, "provider", sim_name(s, e->provider), true);
	put_label(b, "model", sim_name(s, e->model), true);
}

typedef struct sum_family {
	const char *name, *help;
	size_t off; /* of an int64_t in series */
	bool usd;   /* nano-dollars printed as dollars */
} sum_family;

static const sum_family sums[] = {
    {"gateway_input_tokens_total", "Input tokens sent to providers, cached ones included.",
     offsetof(series, input_tokens), false},
    {"gateway_output_tokens_total", "Output tokens returned by providers.",
     offsetof(series, output_tokens), false},
    {"gateway_cached_tokens_total", "Input tokens served from providers' prompt caches.",
     offsetof(series, cached_tokens), false},
    {"gateway_cost_usd_total", "Spend in USD: the gateway's price, else the rate card's.",
     offsetof(series, cost_nanos), true},
};

static int64_t field(const series *e, size_t off)
{
	return *(const int64_t *)((const char *)e + off);
}

static void write_gateway(sim *s, const series *v, size_t n, sbuf *b)
{
	family(b, "gateway_requests_total", "counter",
	       "Requests the gateway handled, by route, target and status.");
	for (size_t i = 0; i < n; i++) {
		sb_puts(b, "gateway_requests_total{");
		route_labels(b, s, &v[i]);
		put_label(b, "status", event_status_name((tt_status)v[i].status), true);
		sb_printf(b, "} %lld\n", (long long)v[i].requests);
	}
	for (size_t f = 0; f < sizeof sums / sizeof sums[0]; f++) {
		family(b, sums[f].name, "counter", sums[f].help);
		for (size_t i = 0; i < n;) {
			int64_t total = 0;
			size_t j = i;
			for (; j < n && same_route(&v[i], &v[j]); j++)
				total += field(&v[j], sums[f].off);
			sb_printf(b, "%s{", sums[f].name);
			route_labels(b, s, &v[i]);
			if (sums[f].usd)
				sb_printf(b, "} %lld.%09lld\n",
				          (long long)(total / TT_NANOS_PER_USD),
				          (long long)(total % TT_NANOS_PER_USD));
			else
				sb_printf(b, "} %lld\n", (long long)total);
			i = j;
		}
	}
	family(b, "gateway_controls_active", "gauge", "Controls in force, by kind.");
	for (int k = 0; k < CK_COUNT; k++) {
		int active = 0;
		for (size_t i = 0; i < s->n_ctl; i++)
			active +=
			    s->ctl[i]->kind == (control_kind)k && s->ctl[i]->state == CTL_ACTIVE;
		sb_printf(b, "gateway_controls_active{kind=\"%s\"} %d\n",
		          control_kind_name((control_kind)k), active);
	}
	family(b, "gateway_events_stored", "gauge", "Request events kept for /v1/events.");
	sb_printf(b, "gateway_events_stored %llu\n", (unsigned long long)s->n_recs);
}

enum { G_RUNNING, G_WAITING, G_KV, G_COUNT };

/* What a server is doing at scrape time; kv holds tokens until it is made a fraction. */
typedef struct load {
	double g[G_COUNT];
} load;

/* In-flight requests per server now, from the newest events backwards. */
static void current_load(sim *s, int64_t now, load *out)
{
	memset(out, 0, sizeof *out * SIM_VLLM_MAX);
	for (uint64_t seq = s->n_recs, seen = 0; seq >= 1 && seen < RECENT_MAX; seq--, seen++) {
		const sim_rec *r = sim_rec_at(s, seq);
		if (r->ts_ms < now - RECENT_MS)
			break;
		if (r->ts_ms > now || !is_vllm(s, r) || !reached_server(r))
			continue;
		int k = 0;
		while (k < s->n_vllm && s->vllm[k].model != r->dim[DIM_MODEL])
			k++;
		if (k == s->n_vllm)
			continue;
		int64_t queued = r->queue_ms > 0 ? r->queue_ms : 0;
		int64_t lat = r->latency_ms > 0 ? r->latency_ms : 0;
		if (now < r->ts_ms + queued) {
			out[k].g[G_WAITING]++;
		} else if (now < r->ts_ms + queued + lat) {
			out[k].g[G_RUNNING]++;
			out[k].g[G_KV] += (double)r->input_tokens + r->output_tokens;
		}
	}
	for (int k = 0; k < s->n_vllm; k++)
		out[k].g[G_KV] = out[k].g[G_KV] < KV_CAPACITY ? out[k].g[G_KV] / KV_CAPACITY : 1.0;
}

static void vllm_labels(sbuf *b, const sim *s, const vllm_server *v)
{
	put_label(b, "model_name", sim_name(s, v->model), false);
	put_label(b, "engine", "0", true);
}

static void write_histogram(sbuf *b, const sim *s, const char *name, const bucket *bk, int n,
                            size_t counts_off, size_t sum_off)
{
	for (int i = 0; i < s->n_vllm; i++) {
		const vllm_server *v = &s->vllm[i];
		const int64_t *counts = (const int64_t *)((const char *)v + counts_off);
		int64_t sum_ms = *(const int64_t *)((const char *)v + sum_off);
		int64_t cum = 0;
		for (int j = 0; j <= n; j++) {
			cum += counts[j];
			sb_printf(b, "%s_bucket{", name);
			vllm_labels(b, s, v);
			sb_printf(b, ",le=\"%s\"} %lld\n", j < n ? bk[j].le : "+Inf",
			          (long long)cum);
		}
		sb_printf(b, "%s_sum{", name);
		vllm_labels(b, s, v);
		sb_printf(b, "} %lld.%03lld\n", (long long)(sum_ms / 1000),
		          (long long)(sum_ms % 1000));
		sb_printf(b, "%s_count{", name);
		vllm_labels(b, s, v);
		sb_printf(b, "} %lld\n", (long long)cum);
	}
}

static const struct {
	const char *name, *help;
	int decimals;
} gauges[G_COUNT] = {
    [G_RUNNING] = {"vllm:num_requests_running", "Number of requests in model execution batches.",
                   0},
    [G_WAITING] = {"vllm:num_requests_waiting", "Number of requests waiting to be processed.", 0},
    [G_KV] = {"vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", 6},
};

static const struct {
	const char *name, *help, *labels;
	size_t off; /* of an int64_t in vllm_server */
} counters[] = {
    {"vllm:prompt_tokens_total", "Number of prefill tokens processed.", "",
     offsetof(vllm_server, prompt_tokens)},
    {"vllm:generation_tokens_total", "Number of generation tokens processed.", "",
     offsetof(vllm_server, generation_tokens)},
    {"vllm:request_success_total", "Count of successfully processed requests.",
     ",finished_reason=\"stop\"", offsetof(vllm_server, success)},
};

static void write_vllm(sim *s, int64_t now, sbuf *b)
{
	load ld[SIM_VLLM_MAX];
	current_load(s, now, ld);
	for (int g = 0; g < G_COUNT; g++) {
		family(b, gauges[g].name, "gauge", gauges[g].help);
		for (int i = 0; i < s->n_vllm; i++) {
			sb_printf(b, "%s{", gauges[g].name);
			vllm_labels(b, s, &s->vllm[i]);
			sb_printf(b, "} %.*f\n", gauges[g].decimals, ld[i].g[g]);
		}
	}
	for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
		family(b, counters[c].name, "counter", counters[c].help);
		for (int i = 0; i < s->n_vllm; i++) {
			sb_printf(b, "%s{", counters[c].name);
			vllm_labels(b, s, &s->vllm[i]);
			sb_printf(b, "%s} %lld\n", counters[c].labels,
			          (long long)*(const int64_t *)((const char *)&s->vllm[i] +
			                                        counters[c].off));
		}
	}
	family(b, "vllm:time_to_first_token_seconds", "histogram",
	       "Histogram of time to first token in seconds.");
	write_histogram(b, s, "vllm:time_to_first_token_seconds", ttft_buckets, VLLM_TTFT_BUCKETS,
	                offsetof(vllm_server, ttft), offsetof(vllm_server, ttft_sum_ms));
	family(b, "vllm:e2e_request_latency_seconds", "histogram",
	       "Histogram of e2e request latency in seconds.");
	write_histogram(b, s, "vllm:e2e_request_latency_seconds", e2e_buckets, VLLM_E2E_BUCKETS,
	                offsetof(vllm_server, e2e), offsetof(vllm_server, e2e_sum_ms));
}

void metrics_write(sim *s, int64_t now, sbuf *out)
{
	series *v = malloc((s->n_series ? s->n_series : 1) * sizeof *v);
	if (!v) {
		out->oom = 1;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->series_cap; i++)
		if (s->series[i].used)
			v[n++] = s->series[i];
	qsort_r(v, n, sizeof *v, series_order, s);
	write_gateway(s, v, n, out);
	free(v);
	write_vllm(s, now, out);
}
