/* The views' single-pass reads give exactly what reading each window on its own gives. */
#include "testutil.h"

#include <sqlite3.h>

#include "tokentop/ingest.h"
#include "tokentop/overview.h"
#include "tokentop/rollup.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"
#include "tokentop/workload.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

static int64_t iso(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse_iso(s, strlen(s), &t), 0);
	return t;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static char store_path[512]; /* the newest generated_store's file */

/* events over span_ms from start into a new store, with a scenario from sc_start */
static store *generated_store(const char *name, int64_t start, int64_t span_ms, int events,
                              workload_scenario sc, int64_t sc_start)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
	snprintf(store_path, sizeof store_path, "%s", path);
	store_opts so = {.merge = rollup_sketch_blob_merge};
	store *st = store_open(path, &so, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	snprintf(path, sizeof path, "%s/fixtures/ratecard.json", tu_srcdir());
	ratecard *rc = ratecard_load(path, err, sizeof err);
	if (!rc)
		fail_msg("rate card: %s", err);
	workload_opts wo = {.seed = 7, .start_ms = start, .span_ms = span_ms, .events = events};
	workload *w = workload_new(&wo);
	assert_non_null(w);
	if (sc != WL_STEADY)
		workload_set_scenario(w, sc, sc_start);
	ingest_opts o = {.card = rc};
	ingest *in = ingest_new(st, &o);
	assert_non_null(in);
	tt_event ev;
	while (workload_next(w, &ev) == 1)
		assert_int_equal(ingest_event(in, &ev), 0);
	assert_int_equal(ingest_commit(in, NULL, NULL), 0);
	ingest_free(in);
	workload_free(w);
	ratecard_free(rc);
	return st;
}

/* ---- SLOs: the reference reads every window and every period on its own ---- */

typedef struct ref_dims {
	size_t n;
	char (*use_case)[TT_NAME_CAP];
	tt_status *status;
} ref_dims;

static int ref_dims_one(void *ctx, int64_t id, const tt_dims *d)
{
	ref_dims *r = ctx;
	if ((size_t)id >= r->n) {
		size_t n = (size_t)id + 1;
		r->use_case = realloc(r->use_case, n * sizeof *r->use_case);
		r->status = realloc(r->status, n * sizeof *r->status);
		for (size_t i = r->n; i < n; i++) {
			r->use_case[i][0] = 0;
			r->status[i] = TT_STATUS_COUNT;
		}
		r->n = n;
	}
	snprintf(r->use_case[id], TT_NAME_CAP, "%s", d->v[TT_D_USE_CASE]);
	const char *s = d->v[TT_D_STATUS];
	if (event_status_parse(s, strlen(s), &r->status[id]))
		r->status[id] = TT_STATUS_COUNT;
	return 0;
}

typedef struct ref_ctx {
	const ref_dims *dims;
	const slo_spec *spec;
	slo_counts c;
} ref_ctx;

static int ref_row(void *ctx, tt_res r, const tt_rollup *row)
{
	(void)r;
	ref_ctx *c = ctx;
	assert_true(row->dims_id > 0 && (size_t)row->dims_id < c->dims->n);
	const slo_spec *s = c->spec;
	if (strcmp(s->use_case, "*") && strcmp(s->use_case, c->dims->use_case[row->dims_id]))
		return 0;
	if (s->sli == SLO_AVAILABILITY) {
		tt_status st = c->dims->status[row->dims_id];
		c->c.total += row->m[TT_M_REQUESTS];
		if (st < TT_STATUS_COUNT && slo_is_bad_status(s, st))
			c->c.bad += row->m[TT_M_REQUESTS];
		return 0;
	}
	sketch sk;
	sketch_init(&sk);
	if (row->sk[TT_SK_LATENCY])
		assert_int_equal(
		    sketch_merge_blob(&sk, row->sk[TT_SK_LATENCY], row->sklen[TT_SK_LATENCY]), 0);
	int64_t good = (int64_t)sketch_count_below(&sk, (double)s->threshold_ms);
	c->c.total += (int64_t)sk.count;
	c->c.bad += (int64_t)sk.count - good;
	sketch_free(&sk);
	return 0;
}

static slo_counts ref_window(store *st, const ref_dims *d, const slo_spec *s, int64_t since,
                             int64_t until)
{
	ref_ctx c = {.dims = d, .spec = s};
	assert_int_equal(store_rollup_scan(st, since, until, s->sli == SLO_LATENCY, ref_row, &c),
	                 0);
	return c.c;
}

static void check_slo(store *st, const ref_dims *d, const slo_spec *specs, size_t n, int64_t now)
{
	view_slo v;
	char err[256];
	assert_int_equal(view_slo_build(st, specs, n, now, &v, err, sizeof err), 0);
	assert_int_equal(v.n, n);
	for (size_t i = 0; i < n; i++) {
		slo_counts win[SLO_WINDOW_COUNT];
		for (int w = 0; w < SLO_WINDOW_COUNT; w++) {
			win[w] =
			    ref_window(st, d, &specs[i], now - slo_window_ms((slo_window)w), now);
			assert_int_equal(v.rows[i].win[w].total, win[w].total);
			assert_int_equal(v.rows[i].win[w].bad, win[w].bad);
		}
		slo_counts period = ref_window(st, d, &specs[i], now - specs[i].period_ms, now);
		slo_status want;
		slo_evaluate(&specs[i], win, period, &want);
		const slo_status *got = &v.rows[i].status;
		assert_ptr_equal(v.rows[i].spec, &specs[i]);
		assert_int_equal(got->period.total, period.total);
		assert_int_equal(got->period.bad, period.bad);
		assert_memory_equal(got->burn, want.burn, sizeof want.burn);
		assert_memory_equal(&got->budget_remaining, &want.budget_remaining, sizeof(double));
		assert_int_equal(got->alert, want.alert);
		assert_int_equal(got->exhausted_in_ms, want.exhausted_in_ms);
	}
	view_slo_free(&v);
}

static void test_slo_segments(void **state)
{
	(void)state;
	int64_t start = iso("2026-10-03T05:17:00Z");
	int64_t span = 12 * DAY_MS;
	store *st =
	    generated_store("slo.db", start, span, 40000, WL_PROVIDER_OUTAGE, start + 11 * DAY_MS);
	ref_dims d = {0};
	assert_int_equal(store_dims_each(st, ref_dims_one, &d), 0);
	static const char *const use_cases[] = {"*", "support-bot", "code-assist", "search",
	                                        "nothing-such"};
	/* periods at and off whole minutes, shorter and longer than the windows, shared */
	static const int64_t periods[] = {
	    30 * DAY_MS,         30 * DAY_MS,        7 * DAY_MS,          3 * DAY_MS,    HOUR_MS,
	    90 * MIN_MS + 17001, 2 * DAY_MS + 59999, 40 * DAY_MS + 30000, 3 * DAY_MS + 1};
	static const int64_t thresholds[] = {1, 400, 1000, 2500, 5000, 100000};
	for (int round = 0; round < 40; round++) {
		slo_spec specs[6];
		size_t n = 1 + rnd(6);
		memset(specs, 0, sizeof specs);
		for (size_t i = 0; i < n; i++) {
			slo_spec *s = &specs[i];
			snprintf(s->name, sizeof s->name, "s%zu", i);
			snprintf(s->use_case, sizeof s->use_case, "%s",
			         use_cases[rnd(sizeof use_cases / sizeof use_cases[0])]);
			s->sli = rnd(2) ? SLO_LATENCY : SLO_AVAILABILITY;
			s->objective_ppm = 990000 + (int64_t)rnd(9000);
			s->period_ms = periods[rnd(sizeof periods / sizeof periods[0])];
			s->bad_statuses = (uint32_t)rnd(1u << TT_STATUS_COUNT);
			s->threshold_ms = thresholds[rnd(sizeof thresholds / sizeof thresholds[0])];
		}
		/* now anywhere from before the data to after it, on and off minute boundaries */
		int64_t now = start - DAY_MS + (int64_t)rnd((uint64_t)(span + 3 * DAY_MS));
		if (round % 4 == 0)
			now -= now % MIN_MS;
		if (round % 8 == 1)
			now -= now % HOUR_MS;
		if (round % 8 == 3)
			now -= now % DAY_MS;
		check_slo(st, &d, specs, n, now);
	}
	/* and where the outage pages: the counts compared are not all zero */
	slo_spec all = {.name = "all",
	                .use_case = "*",
	                .sli = SLO_AVAILABILITY,
	                .objective_ppm = 999000,
	                .period_ms = 30 * DAY_MS,
	                .bad_statuses = (1u << TT_STATUS_TIMEOUT) | (1u << TT_STATUS_SERVER_ERROR)};
	int64_t end = start + span - 7 * MIN_MS - 1234;
	check_slo(st, &d, &all, 1, end);
	view_slo v;
	char err[256];
	assert_int_equal(view_slo_build(st, &all, 1, end, &v, err, sizeof err), 0);
	assert_int_equal(v.rows[0].status.alert, SLO_ALERT_PAGE);
	assert_true(v.rows[0].win[SLO_W5M].bad > 0);
	view_slo_free(&v);
	free(d.use_case);
	free(d.status);
	store_close(st);
}

/* ---- budgets: the reference reads the hourly series through the full rollup rows ---- */

typedef struct ref_series {
	const budget_scope *scope;
	tt_dims *dims; /* by id */
	size_t ndims;
	int64_t hour0;
	size_t nhours;
	int64_t *hourly;
} ref_series;

static int ref_dims_copy(void *ctx, int64_t id, const tt_dims *d)
{
	ref_series *r = ctx;
	assert_true(id > 0);
	if ((size_t)id >= r->ndims) {
		r->dims = realloc(r->dims, ((size_t)id + 1) * sizeof *r->dims);
		memset(r->dims + r->ndims, 0, ((size_t)id + 1 - r->ndims) * sizeof *r->dims);
		r->ndims = (size_t)id + 1;
	}
	for (int k = 0; k < TT_D_COUNT; k++)
		r->dims[id].v[k] = strdup(d->v[k]);
	return 0;
}

static int ref_hour(void *ctx, tt_res res, const tt_rollup *row)
{
	(void)res;
	ref_series *r = ctx;
	const budget_scope *sc = r->scope;
	assert_true((size_t)row->dims_id < r->ndims);
	if (!sc->all && strcmp(r->dims[row->dims_id].v[sc->dim], sc->value))
		return 0;
	int64_t i = (row->bucket * 1000 - r->hour0) / HOUR_MS;
	if (i >= 0 && (size_t)i < r->nhours)
		r->hourly[i] += row->m[TT_M_COST_NANOS];
	return 0;
}

static void check_budgets(store *st, const budget_spec *specs, size_t n, int64_t now)
{
	view_budgets v;
	char err[256];
	assert_int_equal(view_budgets_build(st, specs, n, now, NULL, 0, NULL, &v, err, sizeof err),
	                 0);
	assert_int_equal(v.n, n);
	int64_t first, last;
	assert_int_equal(store_time_bounds(st, &first, &last), 0);
	int64_t data_start = first ? first : now, hour0 = now;
	for (size_t i = 0; i < n; i++) {
		int64_t h = budget_history_start(specs[i].period, now);
		hour0 = h < hour0 ? h : hour0;
	}
	hour0 = hour0 < data_start ? data_start : hour0;
	hour0 -= ((hour0 % HOUR_MS) + HOUR_MS) % HOUR_MS;
	ref_series r = {.hour0 = hour0};
	r.nhours = now > hour0 ? (size_t)((now - hour0 + HOUR_MS - 1) / HOUR_MS) : 0;
	r.hourly = calloc(r.nhours + 1, sizeof *r.hourly);
	assert_int_equal(store_dims_each(st, ref_dims_copy, &r), 0);
	for (size_t i = 0; i < n; i++) {
		const budget_spec *b = &specs[i];
		memset(r.hourly, 0, (r.nhours + 1) * sizeof *r.hourly);
		r.scope = &b->scope;
		/* every row at most an hour long, as the view read it before the cost index */
		for (int64_t a = hour0; r.nhours && a < now; a += 23 * HOUR_MS)
			assert_int_equal(store_rollup_scan(
			                     st, a, a + 23 * HOUR_MS < now ? a + 23 * HOUR_MS : now,
			                     false, ref_hour, &r),
			                 0);
		budget_series s = {r.hourly, r.nhours, hour0, data_start};
		const view_budget_row *got = &v.rows[i];
		int64_t ps, pe;
		budget_period_bounds(b->period, now, &ps, &pe);
		assert_int_equal(got->period_start_ms, ps);
		assert_int_equal(got->period_end_ms, pe);
		forecast fc;
		budget_forecast(&s, ps, pe, now, &fc);
		int nbt;
		double mape = budget_backtest(&s, b->period, now, &nbt);
		budget_forecast_widen(&fc, mape);
		assert_int_equal(got->spent_nanos, fc.spent_nanos);
		assert_memory_equal(&got->fc, &fc, sizeof fc);
		assert_memory_equal(&got->mape, &mape, sizeof mape);
		assert_int_equal(got->backtests, nbt);
		assert_int_equal(got->state, budget_state_of(b, fc.spent_nanos));
	}
	for (size_t d = 0; d < r.ndims; d++)
		for (int k = 0; k < TT_D_COUNT; k++)
			free((char *)r.dims[d].v[k]);
	free(r.dims);
	free(r.hourly);
	view_budgets_free(&v);
}

static void test_budget_series(void **state)
{
	(void)state;
	int64_t start = iso("2026-08-20T09:41:13Z");
	int64_t span = 75 * DAY_MS;
	store *st =
	    generated_store("budgets.db", start, span, 30000, WL_COST_RUNAWAY, start + 70 * DAY_MS);
	budget_spec specs[] = {
	    {.name = "org", .scope = {.all = true}, .period = BUDGET_MONTH},
	    {.name = "support",
	     .scope = {.dim = TT_D_TEAM, .value = "support"},
	     .period = BUDGET_WEEK},
	    {.name = "bot",
	     .scope = {.dim = TT_D_USE_CASE, .value = "support-bot"},
	     .period = BUDGET_DAY},
	    {.name = "openai",
	     .scope = {.dim = TT_D_PROVIDER, .value = "openai"},
	     .period = BUDGET_MONTH},
	    {.name = "none",
	     .scope = {.dim = TT_D_MODEL, .value = "no-such"},
	     .period = BUDGET_WEEK},
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		specs[i].amount_nanos = 50000000 * (int64_t)(i + 1);
		specs[i].soft_pct = 80;
		specs[i].hard_pct = 100;
	}
	size_t nspecs = sizeof specs / sizeof specs[0];
	for (int round = 0; round < 24; round++) {
		int64_t now = start - HOUR_MS + (int64_t)rnd((uint64_t)(span + 2 * DAY_MS));
		if (round % 4 == 0)
			now -= now % MIN_MS;
		if (round % 4 == 1)
			now -= now % HOUR_MS;
		if (round % 4 == 2)
			now =
			    now - now % HOUR_MS + 59 * MIN_MS + 30000; /* the hour's last minute */
		/* each alone (as the overview asks for its budget) and all together */
		size_t one = rnd(nspecs);
		check_budgets(st, &specs[one], 1, now);
		check_budgets(st, specs, nspecs, now);
	}
	store_close(st);
}

/* ---- the overview: from the views the console reads anyway, as when it reads its own ---- */

static void same_status(const slo_status *a, const slo_status *b)
{
	assert_memory_equal(a->burn, b->burn, sizeof a->burn);
	assert_memory_equal(&a->budget_remaining, &b->budget_remaining, sizeof(double));
	assert_int_equal(a->alert, b->alert);
	assert_int_equal(a->exhausted_in_ms, b->exhausted_in_ms);
	assert_int_equal(a->period.bad, b->period.bad);
	assert_int_equal(a->period.total, b->period.total);
}

static void same_budget(const view_budget_row *a, const view_budget_row *b)
{
	assert_ptr_equal(a->spec, b->spec);
	assert_int_equal(a->period_start_ms, b->period_start_ms);
	assert_int_equal(a->period_end_ms, b->period_end_ms);
	assert_int_equal(a->spent_nanos, b->spent_nanos);
	assert_memory_equal(&a->used_pct, &b->used_pct, sizeof(double));
	assert_int_equal(a->state, b->state);
	assert_memory_equal(&a->fc, &b->fc, sizeof a->fc);
	assert_memory_equal(&a->mape, &b->mape, sizeof(double));
	assert_int_equal(a->backtests, b->backtests);
	assert_memory_equal(&a->whatif_factor, &b->whatif_factor, sizeof(double));
	assert_memory_equal(&a->fc_whatif, &b->fc_whatif, sizeof a->fc_whatif);
}

static void same_overview(const view_overview *a, const view_overview *b)
{
	assert_int_equal(a->now_ms, b->now_ms);
	assert_int_equal(a->minute_ms, b->minute_ms);
	assert_int_equal(a->spend_per_min_nanos, b->spend_per_min_nanos);
	assert_memory_equal(a->spark_nanos, b->spark_nanos, sizeof a->spark_nanos);
	assert_int_equal(a->spark_start_ms, b->spark_start_ms);
	assert_int_equal(a->today_nanos, b->today_nanos);
	assert_int_equal(a->month_nanos, b->month_nanos);
	assert_int_equal(a->has_budget, b->has_budget);
	if (a->has_budget)
		same_budget(&a->budget, &b->budget);
	assert_memory_equal(&a->requests_per_s, &b->requests_per_s, sizeof(double));
	assert_memory_equal(&a->tokens_per_s, &b->tokens_per_s, sizeof(double));
	assert_int_equal(a->nalerts, b->nalerts);
	assert_int_equal(a->npages, b->npages);
	assert_int_equal(a->ntickets, b->ntickets);
	assert_int_equal(a->nanomalies, b->nanomalies);
	for (size_t i = 0; i < a->nalerts; i++) {
		const view_overview_alert *x = &a->alerts[i], *y = &b->alerts[i];
		assert_int_equal(x->level, y->level);
		if (x->level != VIEW_OVERVIEW_ANOMALY) {
			assert_ptr_equal(x->slo, y->slo);
			same_status(&x->status, &y->status);
			continue;
		}
		const anomaly_alert *p = &x->anomaly, *q = &y->anomaly;
		assert_int_equal(p->kind, q->kind);
		assert_string_equal(p->scope, q->scope);
		assert_int_equal(p->severity, q->severity);
		assert_int_equal(p->peak, q->peak);
		assert_memory_equal(&p->value, &q->value, sizeof(double));
		assert_memory_equal(&p->baseline, &q->baseline, sizeof(double));
		assert_int_equal(p->since_ms, q->since_ms);
		assert_int_equal(p->last_ms, q->last_ms);
		assert_int_equal(p->resolved_ms, q->resolved_ms);
	}
	assert_int_equal(a->nsources, b->nsources);
	assert_int_equal(a->newest_minute_ms, b->newest_minute_ms);
	assert_int_equal(a->data_age_ms, b->data_age_ms);
}

static void test_overview_assembled(void **state)
{
	(void)state;
	int64_t start = iso("2026-09-28T22:10:00Z");
	int64_t span = 40 * DAY_MS;
	store *st = generated_store("overview.db", start, span, 30000, WL_PROVIDER_OUTAGE,
	                            start + span - 3 * HOUR_MS);
	slo_spec slos[] = {
	    {.name = "avail",
	     .use_case = "*",
	     .sli = SLO_AVAILABILITY,
	     .objective_ppm = 999000,
	     .period_ms = 30 * DAY_MS,
	     .bad_statuses = (1u << TT_STATUS_TIMEOUT) | (1u << TT_STATUS_SERVER_ERROR)},
	    {.name = "support",
	     .use_case = "support-bot",
	     .sli = SLO_AVAILABILITY,
	     .objective_ppm = 990000,
	     .period_ms = 7 * DAY_MS,
	     .bad_statuses = 1u << TT_STATUS_RATE_LIMITED},
	    {.name = "latency",
	     .use_case = "*",
	     .sli = SLO_LATENCY,
	     .objective_ppm = 950000,
	     .period_ms = 30 * DAY_MS,
	     .threshold_ms = 3000},
	};
	budget_spec budgets[] = {
	    {.name = "support",
	     .scope = {.dim = TT_D_TEAM, .value = "support"},
	     .period = BUDGET_WEEK,
	     .amount_nanos = 5000000,
	     .soft_pct = 80,
	     .hard_pct = 100},
	    {.name = "org",
	     .scope = {.all = true},
	     .period = BUDGET_MONTH,
	     .amount_nanos = 500000000,
	     .soft_pct = 80,
	     .hard_pct = 100},
	    {.name = "daily",
	     .scope = {.all = true},
	     .period = BUDGET_DAY,
	     .amount_nanos = 500000,
	     .soft_pct = 80,
	     .hard_pct = 100},
	};
	view_source_health src[] = {{"gw", SRC_OK, start + span - 5000, true}};
	int64_t nows[] = {start + span - 90 * MIN_MS - 1500, start + span + 20000,
	                  start + 20 * DAY_MS + 7 * HOUR_MS, start + 3 * HOUR_MS};
	char err[256];
	bool paged = false;
	for (size_t k = 0; k < sizeof nows / sizeof nows[0]; k++)
		for (size_t nb = 0; nb <= 3; nb++) {
			int64_t now = nows[k];
			view_overview a, b;
			assert_int_equal(view_overview_build(st, slos, 3, budgets, nb, src, 1, now,
			                                     &a, err, sizeof err),
			                 0);
			view_slo vs;
			view_budgets vb;
			view_alerts va;
			assert_int_equal(view_slo_build(st, slos, 3, now, &vs, err, sizeof err), 0);
			assert_int_equal(view_budgets_build(st, budgets, nb, now, NULL, 0, NULL,
			                                    &vb, err, sizeof err),
			                 0);
			assert_int_equal(
			    view_alerts_build(st, budgets, nb, now, &va, err, sizeof err), 0);
			assert_int_equal(view_overview_assemble(st, &vs, &vb, &va, src, 1, now, &b,
			                                        err, sizeof err),
			                 0);
			same_overview(&a, &b);
			assert_int_equal(a.has_budget, nb >= 2);
			paged |= a.npages > 0;
			view_overview_free(&b);
			/* views of a later time are refused */
			assert_int_equal(view_overview_assemble(st, &vs, &vb, &va, src, 1, now - 1,
			                                        &b, err, sizeof err),
			                 -1);
			view_overview_free(&a);
			view_overview_free(&b);
			view_slo_free(&vs);
			view_budgets_free(&vb);
			view_alerts_free(&va);
		}
	assert_true(paged);
	store_close(st);
}

/* ---- kept between reads: an update of an unchanged store equals a build ---- */

static void same_slo(const view_slo *a, const view_slo *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->now_ms, b->now_ms);
	for (size_t i = 0; i < a->n; i++) {
		assert_memory_equal(a->rows[i].win, b->rows[i].win, sizeof a->rows[i].win);
		same_status(&a->rows[i].status, &b->rows[i].status);
	}
}

static void same_budgets(const view_budgets *a, const view_budgets *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		same_budget(&a->rows[i], &b->rows[i]);
	assert_int_equal(a->nhours, b->nhours);
	for (size_t i = 0; i < a->n; i++)
		assert_memory_equal(a->hourly[i], b->hourly[i], a->nhours * sizeof(int64_t));
}

static void same_alerts(const view_alerts *a, const view_alerts *b)
{
	assert_int_equal(a->now_ms, b->now_ms);
	assert_int_equal(a->from_ms, b->from_ms);
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->nfiring, b->nfiring);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->alerts[i].kind, b->alerts[i].kind);
		assert_string_equal(a->alerts[i].scope, b->alerts[i].scope);
		assert_int_equal(a->alerts[i].since_ms, b->alerts[i].since_ms);
		assert_int_equal(a->alerts[i].resolved_ms, b->alerts[i].resolved_ms);
	}
}

static void test_kept_between_reads(void **state)
{
	(void)state;
	int64_t start = iso("2026-09-28T22:10:00Z");
	int64_t span = 12 * DAY_MS;
	char err[512];
	store *st = generated_store("kept.db", start, span, 30000, WL_PROVIDER_OUTAGE,
	                            start + span - 3 * HOUR_MS);
	/* the reader, as the console's: a handle of its own, another one writes */
	store_opts ro = {.merge = rollup_sketch_blob_merge, .readonly = true};
	store *rd = store_open(store_path, &ro, err, sizeof err);
	if (!rd)
		fail_msg("store_open: %s", err);
	slo_spec slos[] = {
	    {.name = "avail",
	     .use_case = "*",
	     .sli = SLO_AVAILABILITY,
	     .objective_ppm = 999000,
	     .period_ms = 30 * DAY_MS,
	     .bad_statuses = (1u << TT_STATUS_TIMEOUT) | (1u << TT_STATUS_SERVER_ERROR)},
	    {.name = "latency",
	     .use_case = "support-bot",
	     .sli = SLO_LATENCY,
	     .objective_ppm = 950000,
	     .period_ms = 2 * DAY_MS + 59999,
	     .threshold_ms = 1500},
	};
	budget_spec budgets[] = {
	    {.name = "org",
	     .scope = {.all = true},
	     .period = BUDGET_MONTH,
	     .amount_nanos = 5000000},
	    {.name = "daily",
	     .scope = {.dim = TT_D_USE_CASE, .value = "support-bot"},
	     .period = BUDGET_DAY,
	     .amount_nanos = 500000},
	};
	/* steps under a second to hours, across minute, hour and day boundaries, into the
	 * outage and past the end of the data */
	static const int64_t steps[] = {1000,        59 * 1000,  MIN_MS,      7 * MIN_MS + 333,
	                                45 * MIN_MS, 2 * MIN_MS, 61 * MIN_MS, 3 * HOUR_MS + 1,
	                                29 * MIN_MS, 1,          13 * MIN_MS, 5 * MIN_MS};
	int64_t now = start + span - 10 * HOUR_MS - 17 * MIN_MS - 4321;
	view_slo ps, bs;
	view_budgets pb, bb;
	view_alerts pa, ba;
	assert_int_equal(view_slo_build(rd, slos, 2, now, &ps, err, sizeof err), 0);
	assert_int_equal(
	    view_budgets_build(rd, budgets, 2, now, NULL, 0, NULL, &pb, err, sizeof err), 0);
	assert_int_equal(view_alerts_build(rd, NULL, 0, now, &pa, err, sizeof err), 0);
	bool written = false;
	for (int round = 0; round < 3; round++)
		for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			now += steps[k];
			if (round == 1 && k == 4 && !written) {
				/* another connection writes into every window: all is read again */
				workload_opts wo = {.seed = 9,
				                    .start_ms = now - 40 * MIN_MS,
				                    .span_ms = 40 * MIN_MS,
				                    .events = 500};
				workload *w = workload_new(&wo);
				ingest_opts io = {0};
				ingest *in = ingest_new(st, &io);
				tt_event ev;
				while (workload_next(w, &ev) == 1)
					assert_int_equal(ingest_event(in, &ev), 0);
				assert_int_equal(ingest_commit(in, NULL, NULL), 0);
				ingest_free(in);
				workload_free(w);
				written = true;
			}
			view_slo us;
			view_budgets ub;
			view_alerts ua;
			assert_int_equal(
			    view_slo_update(rd, slos, 2, now, &ps, &us, err, sizeof err), 0);
			assert_int_equal(view_slo_build(rd, slos, 2, now, &bs, err, sizeof err), 0);
			same_slo(&us, &bs);
			assert_int_equal(
			    view_budgets_update(rd, budgets, 2, now, &pb, &ub, err, sizeof err), 0);
			assert_int_equal(view_budgets_build(rd, budgets, 2, now, NULL, 0, NULL, &bb,
			                                    err, sizeof err),
			                 0);
			same_budgets(&ub, &bb);
			assert_int_equal(
			    view_alerts_update(rd, NULL, 0, now, &pa, &ua, err, sizeof err), 0);
			assert_int_equal(view_alerts_build(rd, NULL, 0, now, &ba, err, sizeof err),
			                 0);
			same_alerts(&ua, &ba);
			view_slo_free(&ps);
			view_budgets_free(&pb);
			view_alerts_free(&pa);
			view_slo_free(&bs);
			view_budgets_free(&bb);
			view_alerts_free(&ba);
			ps = us;
			pb = ub;
			pa = ua;
		}
	assert_true(ps.rows[0].win[SLO_W3D].bad > 0); /* the counts compared were not all zero */
	view_slo_free(&ps);
	view_budgets_free(&pb);
	view_alerts_free(&pa);
	store_close(rd);
	store_close(st);
}

/* The hourly cost series reads the narrow index, not the table. */
static void test_cost_index(void **state)
{
	(void)state;
	char path[512], err[256];
	snprintf(path, sizeof path, "%s/plan.db", tu_tmpdir());
	store *st = store_open(path, NULL, err, sizeof err); /* creates and migrates it */
	assert_non_null(st);
	store_close(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "EXPLAIN QUERY PLAN SELECT bucket, dims_id, cost_nanos"
	                                    " FROM rollup_hour WHERE bucket >= ? AND bucket < ?",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	bool covering = false;
	while (sqlite3_step(q) == SQLITE_ROW)
		covering |= strstr((const char *)sqlite3_column_text(q, 3),
		                   "USING COVERING INDEX rollup_hour_cost") != NULL;
	sqlite3_finalize(q);
	assert_true(covering);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slo_segments),       cmocka_unit_test(test_budget_series),
	    cmocka_unit_test(test_overview_assembled), cmocka_unit_test(test_cost_index),
	    cmocka_unit_test(test_kept_between_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
