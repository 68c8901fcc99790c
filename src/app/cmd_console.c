/* tokentop console (and tokentop with no command): the screens over the local cache. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/live.h"
#include "tokentop/policy.h"
#include "tokentop/runbook.h"
#include "tokentop/ui.h"

static void console_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop [console] [--db FILE] [--config FILE] [--theme NAME] [--present]\n"
	    "                          [--readonly]\n\n"
	    "Opens the console on the local cache: Overview (spend now, today, month, budget,\n"
	    "traffic, sources, alerts), Spend, Prompts, Routing, Inference, SLOs, Budgets and\n"
	    "Alerts. Keys: ? shows them all; : opens the command palette.\n"
	    "Fill the cache with tokentop sync or tokentop ingest.\n\n"
	    "  --db FILE       database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --config FILE   SLOs and budgets for the alerts and the budget line\n"
	    "  --theme NAME    dark (default), light, high-contrast, colorblind, mono, or a path\n"
	    "  --present       presentation mode for screen shares: tenants behind stable aliases\n"
	    "  --readonly      no write path: runbook actions are shown but unavailable\n"
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
	    {"readonly", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *db = NULL, *cfg_path = NULL, *theme = NULL;
	bool present = false, readonly = false;
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
		case 'R':
			readonly = true;
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
	/* [console] in the config gives the defaults; the command line wins */
	if (cfg.nconsole) {
		if (!theme && cfg.console->theme[0])
			theme = cfg.console->theme;
		present |= cfg.console->present;
	}
	app_console_opts co = {
	    .db = db, .cfg = &cfg, .theme = theme, .present = present, .readonly = readonly};
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
	/* the sources write a poll's worth at a time: a small page cache keeps the console small.
	 * Writes happen on the loop: another writer's lock is waited for a quarter of a second
	 * at most (the page is fetched again later), so that the keys never wait longer */
	store *st = app_open_store_cache(db, false, 256, 250);
	if (!st)
		return EXIT_FAIL;
	const tt_config *cfg = co->cfg;
	if (co->readonly)
		policy_set_readonly(); /* for the life of the process: it cannot be unset */
	ratecard *card = NULL;
	if (app_load_ratecard(NULL, &card, NULL)) {
		store_close(st);
		return EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	/* the sources and the screens share one loop: data arrives while the keys are read */
	uv_loop_t loop;
	uv_loop_init(&loop);
	char err[4200];
	int rc = -1;
	live *lv = live_new(&loop, st, card, NULL);
	if (!lv)
		snprintf(err, sizeof err, "out of memory");
	else if (live_add_config(lv, cfg, 0, err, sizeof err) == 0) {
		/* without the runbook the screens still work: say why in the status line */
		char why[1200] = "", notice[1300] = "";
		runbook *rb = runbook_new(&loop, st, cfg, NULL, why, sizeof why);
		if (!rb)
			snprintf(notice, sizeof notice, "actions are off: %s", why);
		char ckfile[4096];
		app_checklist *ck = app_checklist_default(ckfile, sizeof ckfile) == 0
		                        ? app_checklist_open(ckfile, cfg, card)
		                        : NULL;
		ui_opts o = {.st = st,
		             .db_path = db,
		             .db_label = co->db_label ? co->db_label
		                         : db == dbpath ? "default cache"
		                                        : db,
		             .theme = co->theme,
		             .present = co->present,
		             .banner = co->banner,
		             .slos = cfg->slos,
		             .nslos = cfg->nslos,
		             .budgets = cfg->budgets,
		             .nbudgets = cfg->nbudgets,
		             .loop = &loop,
		             .sources = live_count(lv) ? live_health : NULL,
		             .sources_ctx = lv,
		             .runbook = rb ? runbook_ops(rb) : NULL,
		             .notice = notice[0] ? notice : NULL,
		             .checklist = ck ? app_checklist_eval : NULL,
		             .checklist_ctx = ck,
		             .checklist_file = ck ? ckfile : NULL};
		rc = ui_run(&o, err, sizeof err);
		runbook_free(rb);
		app_checklist_free(ck);
	}
	if (rc)
		fprintf(stderr, "tokentop: %s\n", err);
	if (lv) {
		live_stop(lv);
		live_free(lv);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ratecard_free(card);
	store_close(st);
	return rc ? EXIT_FAIL : EXIT_OK;
}
