/* tokentop console (and tokentop with no command): the screens over the local cache. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/ui.h"

static void console_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop [console] [--db FILE] [--config FILE] [--theme NAME]\n\n"
	    "Opens the console on the local cache: Overview (spend now, today, month, budget,\n"
	    "traffic, sources, alerts), Spend, Prompts, Routing, Inference, SLOs, Budgets and\n"
	    "Alerts. Keys: ? shows them all; : opens the command palette.\n"
	    "Fill the cache with tokentop sync or tokentop ingest.\n\n"
	    "  --db FILE       database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --config FILE   SLOs and budgets for the alerts and the budget line\n"
	    "  --theme NAME    dark (default), light, high-contrast, colorblind, mono, or a path\n"
	    "  --present       presentation mode for screen shares: tenants behind stable aliases\n"
	    "  -h, --help      this help\n"
	    "NO_COLOR in the environment turns colour off.\n");
}

int cmd_console(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},
	    {"config", required_argument, NULL, 'C'},
	    {"theme", required_argument, NULL, 'T'},
	    {"present", no_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *db = NULL, *cfg_path = NULL, *theme = NULL;
	bool present = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'C':
			cfg_path = optarg;
			break;
		case 'T':
			theme = optarg;
			break;
		case 'P':
			present = true;
			break;
		case 'h':
			console_usage(stdout);
			return EXIT_OK;
		default:
			console_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop console: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	tt_config cfg;
	if (config_open(cfg_path, &cfg))
		return EXIT_FAIL;
	app_console_opts co = {.db = db, .cfg = &cfg, .theme = theme, .present = present};
	int rc = app_console_run(&co);
	config_free(&cfg);
	return rc;
}

int app_console_run(const app_console_opts *co)
{
	const char *db = co->db;
	char dbpath[4096];
	if (!db) {
		char e[4200];
		if (store_default_path(dbpath, sizeof dbpath, e, sizeof e)) {
			fprintf(stderr, "tokentop: %s\n", e);
			return EXIT_FAIL;
		}
		db = dbpath;
	}
	store *st = app_open_store(db, false);
	if (!st)
		return EXIT_FAIL;
	const tt_config *cfg = co->cfg;
	ui_opts o = {.st = st,
	             .db_path = db,
	             .db_label = co->db_label ? co->db_label : db == dbpath ? "default cache" : db,
	             .theme = co->theme,
	             .present = co->present,
	             .banner = co->banner,
	             .slos = cfg->slos,
	             .nslos = cfg->nslos,
	             .budgets = cfg->budgets,
	             .nbudgets = cfg->nbudgets};
	char err[4200];
	int rc = ui_run(&o, err, sizeof err);
	if (rc)
		fprintf(stderr, "tokentop: %s\n", err);
	store_close(st);
	return rc ? EXIT_FAIL : EXIT_OK;
}
