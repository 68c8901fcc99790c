/* Times the console's view builds on a database, and dumps their results to compare builds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokentop/config.h"
#include "tokentop/inference.h"
#include "tokentop/overview.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"

#define MAX_RUNS 99

static double clock_ms(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time says more than wall time on a machine that other work shares */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Whether name is one of a comma-separated list. */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void dump_forecast(FILE *f, const char *what, const forecast *fc)
{
	fprintf(f, "  %s spent=%lld point=%lld low=%lld high=%lld basis=%d weeks=%d\n", what,
	        (long long)fc->spent_nanos, (long long)fc->point_nanos, (long long)fc->low_nanos,
	        (long long)fc->high_nanos, (int)fc->basis, fc->weeks);
}

static void dump_budget_row(FILE *f, const view_budget_row *r)
{
	fprintf(f,
	        " budget %s period=%lld..%lld spent=%lld used=%.17g state=%d mape=%.17g n=%d "
	        "factor=%.17g\n",
	        r->spec->name, (long long)r->period_start_ms, (long long)r->period_end_ms,
	        (long long)r->spent_nanos, r->used_pct, (int)r->state, r->mape, r->backtests,
	        r->whatif_factor);
	dump_forecast(f, "fc", &r->fc);
	dump_forecast(f, "whatif", &r->fc_whatif);
}

static void dump_slo_status(FILE *f, const slo_status *s)
{
	fprintf(f, "  burn");
	for (int w = 0; w < SLO_WINDOW_COUNT; w++)
		fprintf(f, " %.17g", s->burn[w]);
	fprintf(f, "\n  remaining=%.17g alert=%d exhausted=%lld period=%lld/%lld\n",
	        s->budget_remaining, (int)s->alert, (long long)s->exhausted_in_ms,
	        (long long)s->period.bad, (long long)s->period.total);
}

static void dump_anomaly(FILE *f, const anomaly_alert *a)
{
	fprintf(f,
	        " anomaly %d %s sev=%d peak=%d value=%.17g base=%.17g since=%lld last=%lld "
	        "resolved=%lld clear=%d/%lld\n",
	        (int)a->kind, a->scope, (int)a->severity, (int)a->peak, a->value, a->baseline,
	        (long long)a->since_ms, (long long)a->last_ms, (long long)a->resolved_ms,
	        a->clear_run, (long long)a->clear_ms);
}

static void dump_overview(FILE *f, const view_overview *v)
{
	fprintf(f,
	        "overview minute=%lld spm=%lld today=%lld month=%lld rps=%.17g tps=%.17g "
	        "newest=%lld age=%lld\n spark",
	        (long long)v->minute_ms, (long long)v->spend_per_min_nanos,
	        (long long)v->today_nanos, (long long)v->month_nanos, v->requests_per_s,
	        v->tokens_per_s, (long long)v->newest_minute_ms, (long long)v->data_age_ms);
	for (int i = 0; i < VIEW_OVERVIEW_SPARK; i++)
		fprintf(f, " %lld", (long long)v->spark_nanos[i]);
	fprintf(f, "\n");
	if (v->has_budget)
		dump_budget_row(f, &v->budget);
	fprintf(f, " alerts %zu pages %zu tickets %zu anomalies %zu\n", v->nalerts, v->npages,
	        v->ntickets, v->nanomalies);
	for (size_t i = 0; i < v->nalerts; i++) {
		const view_overview_alert *a = &v->alerts[i];
		if (a->level == VIEW_OVERVIEW_ANOMALY) {
			dump_anomaly(f, &a->anomaly);
			continue;
		}
		fprintf(f, " slo-alert %d %s\n", (int)a->level, a->slo->name);
		dump_slo_status(f, &a->status);
	}
}

/* What the console reads for a frame (src/ui/snapshot.c), in its order. */
static int frame(store *st, const tt_config *cfg, int64_t now, char *err, size_t errlen)
{
	view_slo vs;
	view_budgets vb;
	view_alerts va;
	view_overview ov;
	view_cube cu;
	view_prompts vp;
	view_routing vr;
	view_inference vi;
	int64_t since = now - 3600000;
	if (view_slo_build(st, cfg->slos, cfg->nslos, now, &vs, err, errlen))
		return -1;
	if (view_budgets_build(st, cfg->budgets, cfg->nbudgets, now, NULL, 0, NULL, &vb, err,
	                       errlen) ||
	    view_alerts_build(st, NULL, 0, now, &va, err, errlen) ||
	    view_overview_assemble(st, &vs, &vb, &va, NULL, 0, now, &ov, err, errlen) ||
	    view_cube_build(st, since, now, false, &cu, err, errlen) ||
	    view_prompts_build(st, since, now, 0, &vp, err, errlen) ||
	    view_routing_build(st, since, now, &vr, err, errlen) ||
	    view_inference_build(st, &vi, err, errlen))
		return -1; /* a benchmark: it stops here */
	view_slo_free(&vs);
	view_budgets_free(&vb);
	view_alerts_free(&va);
	view_overview_free(&ov);
	view_cube_free(&cu);
	view_prompts_free(&vp);
	view_routing_free(&vr);
	view_inference_free(&vi);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench_views DB CONFIG NOW [DUMP]\n"
		                "  NOW: an ISO time or Unix ms; DUMP: write every result there\n");
		return 2;
	}
	char err[512];
	tt_config cfg;
	if (config_load(argv[2], &cfg, err, sizeof err)) {
		fprintf(stderr, "bench_views: %s\n", err);
		return 1;
	}
	int64_t now;
	if (time_parse_iso(argv[3], strlen(argv[3]), &now))
		now = strtoll(argv[3], NULL, 10);
	store_opts so = {.readonly = true, .cache_kib = 256}; /* as the console reads */
	double t0 = now_ms();
	store *st = store_open(argv[1], &so, err, sizeof err);
	if (!st) {
		fprintf(stderr, "bench_views: %s\n", err);
		return 1;
	}
	/* BENCH_RUNS=1 under valgrind, whose instruction counts do not vary with machine load */
	const char *runs_env = getenv("BENCH_RUNS");
	int RUNS = runs_env && atoi(runs_env) > 0 ? atoi(runs_env) : 7;
	if (RUNS > MAX_RUNS)
		RUNS = MAX_RUNS;
	printf("open %.1f ms; now %lld; %zu SLOs, %zu budgets; median of %d runs, ms of CPU "
	       "(wall)\n",
	       now_ms() - t0, (long long)now, cfg.nslos, cfg.nbudgets, RUNS);
	FILE *dump = argc == 5 ? fopen(argv[4], "w") : NULL;
	if (argc == 5 && !dump) {
		perror(argv[4]);
		return 1;
	}
	int64_t since = now - 3600000;
	enum { OV, OV_BARE, SLO, BUDGETS, ALERTS, CUBE, PROMPTS, ROUTING, FRAME, NEXT, NVIEWS };
	static const char *const names[NVIEWS] = {"overview", "overview-bare", "slo",     "budgets",
	                                          "alerts",   "cube",          "prompts", "routing",
	                                          "frame",    "next-minute"};
	/* BENCH_VIEWS=slo,budgets: only those (to profile one) */
	const char *only = getenv("BENCH_VIEWS");
	for (int k = 0; k < NVIEWS; k++) {
		if (only && *only && !listed(only, names[k]))
			continue;
		double t[MAX_RUNS], cpu[MAX_RUNS];
		for (int i = 0; i < RUNS; i++) {
			int rc = 0;
			bool last = i == RUNS - 1 && dump;
			double c0 = cpu_ms();
			t0 = now_ms();
			if (k == OV || k == OV_BARE) {
				view_overview v;
				rc = k == OV ? view_overview_build(st, cfg.slos, cfg.nslos,
				                                   cfg.budgets, cfg.nbudgets, NULL,
				                                   0, now, &v, err, sizeof err)
				             : view_overview_build(st, NULL, 0, NULL, 0, NULL, 0,
				                                   now, &v, err, sizeof err);
				t[i] = now_ms() - t0;
				if (!rc && last)
					dump_overview(dump, &v);
				if (!rc)
					view_overview_free(&v);
			} else if (k == SLO) {
				view_slo v;
				rc = view_slo_build(st, cfg.slos, cfg.nslos, now, &v, err,
				                    sizeof err);
				t[i] = now_ms() - t0;
				for (size_t j = 0; !rc && last && j < v.n; j++) {
					fprintf(dump, "slo %s\n  win", v.rows[j].spec->name);
					for (int w = 0; w < SLO_WINDOW_COUNT; w++)
						fprintf(dump, " %lld/%lld",
						        (long long)v.rows[j].win[w].bad,
						        (long long)v.rows[j].win[w].total);
					fprintf(dump, "\n");
					dump_slo_status(dump, &v.rows[j].status);
				}
				if (!rc)
					view_slo_free(&v);
			} else if (k == BUDGETS) {
				view_budgets v;
				rc = view_budgets_build(st, cfg.budgets, cfg.nbudgets, now, NULL, 0,
				                        NULL, &v, err, sizeof err);
				t[i] = now_ms() - t0;
				for (size_t j = 0; !rc && last && j < v.n; j++)
					dump_budget_row(dump, &v.rows[j]);
				if (!rc)
					view_budgets_free(&v);
			} else if (k == ALERTS) {
				view_alerts v;
				rc = view_alerts_build(st, NULL, 0, now, &v, err, sizeof err);
				t[i] = now_ms() - t0;
				for (size_t j = 0; !rc && last && j < v.n; j++)
					dump_anomaly(dump, &v.alerts[j]);
				if (!rc)
					view_alerts_free(&v);
			} else if (k == CUBE) {
				view_cube v;
				rc = view_cube_build(st, since, now, false, &v, err, sizeof err);
				t[i] = now_ms() - t0;
				if (!rc)
					view_cube_free(&v);
			} else if (k == PROMPTS) {
				view_prompts v;
				rc = view_prompts_build(st, since, now, 0, &v, err, sizeof err);
				t[i] = now_ms() - t0;
				if (!rc)
					view_prompts_free(&v);
			} else if (k == FRAME) {
				rc = frame(st, &cfg, now, err, sizeof err);
				t[i] = now_ms() - t0;
			} else if (k == NEXT) {
				/* what an idle console reads when the minute turns: the SLO, budget
				 * and alert views of a minute before, brought up to date (untimed:
				 * reading those) */
				view_slo s0, s1;
				view_budgets b0, b1;
				view_alerts a0, a1;
				if (view_slo_build(st, cfg.slos, cfg.nslos, now - 60000, &s0, err,
				                   sizeof err) ||
				    view_budgets_build(st, cfg.budgets, cfg.nbudgets, now - 60000,
				                       NULL, 0, NULL, &b0, err, sizeof err) ||
				    view_alerts_build(st, NULL, 0, now - 60000, &a0, err,
				                      sizeof err)) {
					fprintf(stderr, "bench_views: %s\n", err);
					return 1;
				}
				c0 = cpu_ms();
				t0 = now_ms();
				rc =
				    view_slo_update(st, cfg.slos, cfg.nslos, now, &s0, &s1, err,
				                    sizeof err) ||
				    view_budgets_update(st, cfg.budgets, cfg.nbudgets, now, &b0,
				                        &b1, err, sizeof err) ||
				    view_alerts_update(st, NULL, 0, now, &a0, &a1, err, sizeof err);
				t[i] = now_ms() - t0;
				if (!rc) {
					view_slo_free(&s1);
					view_budgets_free(&b1);
					view_alerts_free(&a1);
				}
				view_slo_free(&s0);
				view_budgets_free(&b0);
				view_alerts_free(&a0);
			} else {
				view_routing v;
				rc = view_routing_build(st, since, now, &v, err, sizeof err);
				t[i] = now_ms() - t0;
				if (!rc)
					view_routing_free(&v);
			}
			cpu[i] = cpu_ms() - c0;
			if (rc) {
				fprintf(stderr, "bench_views: %s: %s\n", names[k], err);
				return 1;
			}
		}
		qsort(t, RUNS, sizeof t[0], cmp_d);
		qsort(cpu, RUNS, sizeof cpu[0], cmp_d);
		printf("  %-24s %8.1f  (%.1f; CPU min %.1f, max %.1f)\n", names[k], cpu[RUNS / 2],
		       t[RUNS / 2], cpu[0], cpu[RUNS - 1]);
	}
	if (dump)
		fclose(dump);
	store_close(st);
	config_free(&cfg);
	return 0;
}
