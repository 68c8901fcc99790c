/* tokentop forecast: each budget's end-of-period forecast, and how what-ifs would change it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/report.h"
#include "tokentop/view.h"

#define MAX_WHATIFS 16

static void forecast_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop forecast [--db FILE] [--config FILE] [--what-if CHANGE]...\n"
	    "                         [--format text|md|json|csv] [--ratecard FILE]\n\n"
	    "Forecasts each configured budget's spend to the end of its period (with a range\n"
	    "and the error of the same forecast replayed on past periods), at now\n"
	    "($TOKENTOP_NOW when set). Without budgets in the config file, forecasts the whole\n"
	    "organisation's month. With --what-if, also the forecast if the change held from\n"
	    "now to the end of the period (docs/alerts.md):\n\n"
	    "  context=+20%%            every request sends 20%% more input tokens\n"
	    "  price=MODEL:+15%%        MODEL's prices rise 15%% (also -10%%)\n"
	    "  traffic=USE_CASE:x2     USE_CASE's traffic doubles (also x0.5, +30%%)\n\n"
	    "  --db FILE        database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --config FILE    budgets (default $XDG_CONFIG_HOME/tokentop/tokentop.ini)\n"
	    "  --what-if CHANGE a change as above; repeat to combine (up to %d)\n"
	    "  --format F       text (default), md, json or csv\n"
	    "  --ratecard FILE  rate card: the input-token part of each model's price\n"
	    "  -h, --help       this help\n",
	    MAX_WHATIFS);
}

int cmd_forecast(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},
	    {"config", required_argument, NULL, 'c'},
	    {"what-if", required_argument, NULL, 'w'},
	    {"format", required_argument, NULL, 'f'},
	    {"ratecard", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *db = NULL, *cfg_path = NULL, *card_path = NULL;
	report_format fmt = REPORT_TEXT;
	whatif w[MAX_WHATIFS];
	size_t nw = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'c':
			cfg_path = optarg;
			break;
		case 'w': {
			char why[256];
			if (nw == MAX_WHATIFS) {
				fprintf(stderr, "tokentop forecast: at most %d --what-if\n",
				        MAX_WHATIFS);
				return EXIT_USAGE;
			}
			if (whatif_parse(optarg, &w[nw], why, sizeof why)) {
				fprintf(stderr, "tokentop forecast: --what-if '%s': %s\n", optarg,
				        why);
				return EXIT_USAGE;
			}
			nw++;
			break;
		}
		case 'f':
			if (report_format_parse(optarg, &fmt)) {
				fprintf(stderr,
				        "tokentop forecast: --format: unknown '%s' "
				        "(expected text, md, json or csv)\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			card_path = optarg;
			break;
		case 'h':
			forecast_usage(stdout);
			return EXIT_OK;
		default:
			forecast_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop forecast: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	tt_config cfg;
	if (config_open(cfg_path, &cfg))
		return EXIT_FAIL;
	/* without budgets: the organisation's month, with no amount to hold it against */
	budget_spec org = {.name = "org", .scope = {.all = true}, .period = BUDGET_MONTH};
	const budget_spec *specs = cfg.nbudgets ? cfg.budgets : &org;
	size_t n = cfg.nbudgets ? cfg.nbudgets : 1;
	ratecard *card = NULL;
	if (nw && app_load_ratecard(card_path, &card, NULL)) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	store *st = app_open_store(db, true);
	if (!st) {
		ratecard_free(card);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	char err[512] = "";
	view_budgets v;
	int rc = view_budgets_build(st, specs, n, app_now_ms(), w, nw, card, &v, err, sizeof err);
	if (!rc) {
		rc = report_budgets(stdout, &v, fmt);
		view_budgets_free(&v);
	}
	if (rc)
		fprintf(stderr, "tokentop forecast: %s\n",
		        *err ? err : "write error on standard output");
	store_close(st);
	ratecard_free(card);
	config_free(&cfg);
	if (fflush(stdout)) {
		fprintf(stderr, "tokentop forecast: write error on standard output\n");
		return EXIT_FAIL;
	}
	return rc ? EXIT_FAIL : EXIT_OK;
}
