/* tokentop report: every view (spend, routing, providers, SLOs, gateways, metrics...) without a
 * terminal. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/providers.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"

typedef enum {
	VIEW_SUMMARY,
	VIEW_PROMPTS,
	VIEW_ROUTING,
	VIEW_PROVIDERS,
	VIEW_SLO,
	VIEW_BUDGETS,
	VIEW_ALERTS,
	VIEW_OVERVIEW,
	VIEW_INFERENCE,
	VIEW_GATEWAYS,
	VIEW_METRICS,
	VIEW_COUNT
} view_kind;
static const char *const view_names[VIEW_COUNT] = {"summary",   "prompts",  "routing", "providers",
                                                   "slo",       "budgets",  "alerts",  "overview",
                                                   "inference", "gateways", "metrics"};

/* The inference servers' latest scrapes: no time range. */
static int report_inference_now(const char *db, report_format fmt)
{
	store *st = app_open_store(db, true);
	if (!st)
		return EXIT_FAIL;
	view_inference v;
	char err[512];
	int rc = view_inference_build(st, &v, err, sizeof err);
	if (rc)
		fprintf(stderr, "tokentop report: %s\n", err);
	else {
		if (!v.n)
			fprintf(stderr, "tokentop report: no inference servers scraped yet "
			                "(tokentop sync --scrape NAME=URL,vllm)\n");
		rc = report_inference(stdout, &v, fmt);
		view_inference_free(&v);
	}
	store_close(st);
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* What the live sources last read from the gateways, and from Prometheus: no time range. */
static int report_state_now(const char *db, view_kind view, report_format fmt, int64_t now)
{
	store *st = app_open_store(db, true);
	if (!st)
		return EXIT_FAIL;
	char err[512] = "";
	int rc;
	size_t n = 0;
	if (view == VIEW_GATEWAYS) {
		view_gwstate v;
		rc = view_gwstate_build(st, now, &v, err, sizeof err);
		if (!rc) {
			n = v.n;
			rc = report_gateways(stdout, &v, fmt);
			view_gwstate_free(&v);
		}
	} else {
		view_metrics v;
		rc = view_metrics_build(st, now, &v, err, sizeof err);
		if (!rc) {
			n = v.n;
			rc = report_metrics(stdout, &v, fmt);
			view_metrics_free(&v);
		}
	}
	if (rc)
		fprintf(stderr, "tokentop report: %s\n",
		        *err ? err : "write error on standard output");
	else if (!n)
		fprintf(stderr, "tokentop report: %s\n",
		        view == VIEW_GATEWAYS
		            ? "no gateway state read yet (tokentop sync --gateway NAME=URL)"
		            : "no Prometheus series read yet (tokentop sync --prometheus NAME=URL "
		              "--query SERIES=PROMQL)");
	store_close(st);
	if (fflush(stdout)) {
		fprintf(stderr, "tokentop report: write error on standard output\n");
		return EXIT_FAIL;
	}
	return rc ? EXIT_FAIL : EXIT_OK;
}

static void report_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop report [--db FILE] [--since WHEN] [--until WHEN]\n"
	        "                       [--view summary|prompts|routing|providers|slo|budgets|\n"
	        "                               alerts|overview|inference|gateways|metrics]\n"
	        "                       [--top N] [--format text|md|json|csv] [--ratecard FILE]\n"
	        "                       [--config FILE]\n\n"
	        "Prints a view of the database, read from its rollups. summary, prompts,\n"
	        "routing and providers cover --since..--until; slo, budgets, alerts and\n"
	        "overview are evaluated at now (windows and periods ending now,\n"
	        "$TOKENTOP_NOW when set) from the SLOs and budgets of the config file\n"
	        "(docs/config.md); overview is the console's first screen (spend now and\n"
	        "its last hour, today, month, the \"*\" budget, rates, alerts). inference,\n"
	        "gateways and metrics show what the live sources last read (tokentop sync),\n"
	        "with its age.\n"
	        "WHEN is a duration back from now (15m, 24h, 7d, 30d), an ISO 8601 time\n"
	        "(2026-11-01, 2026-11-01T09:30:00Z), 'now', or for --since 'all'.\n"
	        "The JSON shape is documented in docs/report-json.md.\n\n"
	        "  --db FILE       database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	        "  --since WHEN    start of the range (default 7d)\n"
	        "  --until WHEN    end of the range, exclusive (default now)\n"
	        "  --view V        summary (default), prompts, routing, providers, slo,\n"
	        "                  budgets, alerts, overview, inference, gateways (health,\n"
	        "                  routes and weights, controls in force), metrics\n"
	        "                  (Prometheus series);\n"
	        "                  weekly, chargeback: tokentop report --view weekly --help\n"
	        "  --top N         prompts shown (default 10; 0 = all)\n"
	        "  --format F      text (default), md, json or csv\n"
	        "  --ratecard FILE rate card for chargeback figures\n"
	        "  --config FILE   SLOs and budgets (default\n"
	        "                  $XDG_CONFIG_HOME/tokentop/tokentop.ini)\n"
	        "  -h, --help      this help\n");
}

/* The views evaluated at now: SLOs, budgets, alerts and the overview of them all. */
static int report_at_now(const char *db, const char *cfg_path, view_kind view, report_format fmt,
                         int64_t now)
{
	tt_config cfg = {0};
	if (config_open(cfg_path, &cfg))
		return EXIT_FAIL;
	store *st = app_open_store(db, true);
	if (!st) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	char err[512] = "";
	int rc;
	if (view == VIEW_SLO) {
		view_slo v;
		rc = view_slo_build(st, cfg.slos, cfg.nslos, now, &v, err, sizeof err);
		if (!rc) {
			rc = report_slo(stdout, &v, fmt);
			view_slo_free(&v);
		}
	} else if (view == VIEW_BUDGETS) {
		view_budgets v;
		rc = view_budgets_build(st, cfg.budgets, cfg.nbudgets, now, NULL, 0, NULL, &v, err,
		                        sizeof err);
		if (!rc) {
			rc = report_budgets(stdout, &v, fmt);
			view_budgets_free(&v);
		}
	} else if (view == VIEW_OVERVIEW) {
		/* no live sources here: the report reads the cache */
		view_overview v;
		rc = view_overview_build(st, cfg.slos, cfg.nslos, cfg.budgets, cfg.nbudgets, NULL,
		                         0, now, &v, err, sizeof err);
		if (!rc) {
			rc = report_overview(stdout, &v, fmt);
			view_overview_free(&v);
		}
	} else {
		view_alerts v;
		rc = view_alerts_build(st, cfg.budgets, cfg.nbudgets, now, &v, err, sizeof err);
		if (!rc) {
			rc = report_alerts(stdout, &v, fmt);
			view_alerts_free(&v);
		}
	}
	if (rc)
		fprintf(stderr, "tokentop report: %s\n",
		        *err ? err : "write error on standard output");
	store_close(st);
	config_free(&cfg);
	if (fflush(stdout)) {
		fprintf(stderr, "tokentop report: write error on standard output\n");
		return EXIT_FAIL;
	}
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},       {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},    {"view", required_argument, NULL, 'v'},
	    {"top", required_argument, NULL, 't'},      {"format", required_argument, NULL, 'f'},
	    {"ratecard", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
	    {"config", required_argument, NULL, 'c'},   {0, 0, 0, 0},
	};
	int own = cmd_report_review(argc, argv); /* views with options of their own */
	if (own >= 0)
		return own;
	const char *db = NULL, *since = "7d", *until = "now", *card_path = NULL, *cfg_path = NULL;
	view_kind view = VIEW_SUMMARY;
	report_format fmt = REPORT_TEXT;
	long top = 10;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 's':
			since = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		case 'v': {
			int k = 0;
			while (k < VIEW_COUNT && strcmp(optarg, view_names[k]))
				k++;
			if (k == VIEW_COUNT) {
				fprintf(stderr,
				        "tokentop report: --view: unknown '%s' (expected summary, "
				        "prompts, routing, providers, slo, budgets, alerts, "
				        "overview, inference, gateways or metrics)\n",
				        optarg);
				return EXIT_USAGE;
			}
			view = (view_kind)k;
			break;
		}
		case 't': {
			char *end;
			top = strtol(optarg, &end, 10);
			if (*end || top < 0) {
				fprintf(stderr, "tokentop report: --top: not a count: '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'f':
			if (report_format_parse(optarg, &fmt)) {
				fprintf(stderr,
				        "tokentop report: --format: unknown '%s' "
				        "(expected text, md, json or csv)\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			card_path = optarg;
			break;
		case 'c':
			cfg_path = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return EXIT_OK;
		default:
			report_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	int64_t now = app_now_ms(), since_ms, until_ms;
	if (app_parse_when(until, now, &until_ms)) {
		fprintf(stderr,
		        "tokentop report: --until: expected a duration, ISO time or now: '%s'\n",
		        until);
		return EXIT_USAGE;
	}
	bool all = strcmp(since, "all") == 0;
	if (!all && app_parse_when(since, now, &since_ms)) {
		fprintf(
		    stderr,
		    "tokentop report: --since: expected a duration (7d), ISO time or all: '%s'\n",
		    since);
		return EXIT_USAGE;
	}
	if (view == VIEW_INFERENCE)
		return report_inference_now(db, fmt);
	if (view == VIEW_GATEWAYS || view == VIEW_METRICS)
		return report_state_now(db, view, fmt, now);
	if (view >= VIEW_SLO && view <= VIEW_OVERVIEW)
		return report_at_now(db, cfg_path, view, fmt, now);
	store *st = app_open_store(db, true);
	if (!st)
		return EXIT_FAIL;
	int64_t first = 0, last = 0;
	store_time_bounds(st, &first, &last);
	if (all)
		since_ms = first ? first : until_ms;
	if (since_ms >= until_ms && !(all && !first)) {
		fprintf(stderr,
		        "tokentop report: the range is empty: --since is not before --until\n");
		store_close(st);
		return EXIT_USAGE;
	}
	ratecard *card = NULL;
	if (view == VIEW_SUMMARY && app_load_ratecard(card_path, &card, NULL)) {
		store_close(st);
		return EXIT_FAIL;
	}
	char err[512];
	int rc = 0;
	int64_t requests = 0;
	if (view == VIEW_SUMMARY) {
		view_summary v;
		rc = view_summary_build(st, since_ms, until_ms, card, &v, err, sizeof err);
		if (!rc) {
			requests = v.m[TT_M_REQUESTS];
			rc = report_summary(stdout, &v, fmt);
			view_summary_free(&v);
		}
	} else if (view == VIEW_PROMPTS) {
		view_prompts v;
		rc = view_prompts_build(st, since_ms, until_ms, (size_t)top, &v, err, sizeof err);
		/* JSON carries each prompt's trend: about 12 buckets of the range */
		if (!rc && fmt == REPORT_JSON &&
		    (rc = view_prompts_trend(st, &v, 12, err, sizeof err)))
			view_prompts_free(&v);
		if (!rc) {
			requests = v.cube.total[TT_M_REQUESTS];
			rc = report_prompts(stdout, &v, fmt);
			view_prompts_free(&v);
		}
	} else if (view == VIEW_PROVIDERS) {
		view_providers v;
		rc = view_providers_build(st, since_ms, until_ms, &v, err, sizeof err);
		if (!rc) {
			requests = v.total.requests;
			rc = report_providers(stdout, &v, fmt);
			view_providers_free(&v);
		}
	} else {
		view_routing v;
		rc = view_routing_build(st, since_ms, until_ms, &v, err, sizeof err);
		if (!rc) {
			requests = v.cube.total[TT_M_REQUESTS];
			/* the gateways' configured weights beside the shares, when they were read
			 */
			view_gwstate gw;
			view_routes cfg;
			bool have_gw = view_gwstate_build(st, now, &gw, err, sizeof err) == 0;
			bool have_cfg = have_gw && view_routes_build(NULL, &v, &gw, now, &cfg, err,
			                                             sizeof err) == 0;
			bool configured = false; /* some gateway reports its routes */
			for (size_t i = 0; have_cfg && i < cfg.nroutes; i++)
				configured |= cfg.routes[i].source != NULL;
			rc = report_routing_config(stdout, &v, configured ? &cfg : NULL, fmt);
			if (have_cfg)
				view_routes_free(&cfg);
			if (have_gw)
				view_gwstate_free(&gw);
			view_routing_free(&v);
		}
	}
	if (rc)
		fprintf(stderr, "tokentop report: %s\n", err);
	else if (!requests && first) {
		char a[32], b[32];
		time_format_iso(first, a, sizeof a);
		time_format_iso(last, b, sizeof b);
		fprintf(stderr,
		        "tokentop report: no events in this range; the database holds %s .. %s "
		        "(try --since all)\n",
		        a, b);
	}
	ratecard_free(card);
	store_close(st);
	if (fflush(stdout)) {
		fprintf(stderr, "tokentop report: write error on standard output\n");
		return EXIT_FAIL;
	}
	return rc ? EXIT_FAIL : EXIT_OK;
}
