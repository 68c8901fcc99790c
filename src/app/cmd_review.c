/* tokentop report --view weekly | chargeback: the cost review's views, which take options of
 * their own (--week, --present, --format html). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/chargeback.h"
#include "tokentop/config.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"
#include "tokentop/weekly.h"

typedef enum { REVIEW_WEEKLY, REVIEW_CHARGEBACK, REVIEW_COUNT } review_view;
static const char *const review_names[REVIEW_COUNT] = {"weekly", "chargeback"};

static void review_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop report --view weekly [--week 2026-W48|this|last] [--db FILE]\n"
	    "                       [--format text|md|json|html] [--config FILE] [--present]\n"
	    "       tokentop report --view chargeback [--since WHEN] [--until WHEN]\n"
	    "                       [--db FILE] [--format text|md|json|csv] [--ratecard FILE]\n\n"
	    "weekly: the weekly cost review of one ISO week (Monday to Monday, UTC) against\n"
	    "the week before: spend by use case, team and tenant, cost per successful\n"
	    "outcome per day, the top prompts by spend and by growth, cache misses and\n"
	    "their cost, routing elevations and their cost, budgets and their forecast,\n"
	    "the anomalies and incidents of the week, and the actions taken (from the\n"
	    "audit log). A week still going on is read up to now and\n"
	    "compared with the same span of the week before. --format html writes one\n"
	    "self-contained page with charts (no scripts, nothing fetched).\n\n"
	    "chargeback: per team, what the providers charged plus the rate card's\n"
	    "platform overhead and tier markup (docs/ratecard.md), with the card printed\n"
	    "beside it.\n\n"
	    "The JSON shapes are documented in docs/report-json.md.\n\n"
	    "  --week W        weekly: 2026-W48, 'last' (default: the last complete week\n"
	    "                  before now, $TOKENTOP_NOW when set) or 'this' (so far)\n"
	    "  --since WHEN    chargeback: start of the range (default 7d)\n"
	    "  --until WHEN    chargeback: end of the range, exclusive (default now)\n"
	    "  --db FILE       database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --format F      text (default), md, json; html (weekly) or csv (chargeback)\n"
	    "  --config FILE   weekly: the budgets to forecast (default\n"
	    "                  $XDG_CONFIG_HOME/tokentop/tokentop.ini)\n"
	    "  --ratecard FILE chargeback: overhead, tiers and prices (default: found as\n"
	    "                  for every report)\n"
	    "  --present       presentation mode: tenant names replaced by stable aliases\n"
	    "  -h, --help      this help\n");
}

/* The --view value of a report command line, or NULL. */
static const char *view_arg(int argc, char **argv)
{
	const char *v = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--view") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--view=", 7))
			v = argv[i] + 7;
	}
	return v;
}

typedef struct review_opts {
	review_view view;
	const char *db, *since, *until, *week, *card_path, *cfg_path;
	const char *format;
	bool present;
} review_opts;

static int run_weekly(const review_opts *o, int64_t now)
{
	bool html = !strcmp(o->format, "html");
	report_format fmt = REPORT_TEXT;
	if (!html && (report_format_parse(o->format, &fmt) || fmt == REPORT_CSV)) {
		fprintf(stderr,
		        "tokentop report: --format: '%s' is not a format of --view weekly "
		        "(expected text, md, json or html)\n",
		        o->format);
		return EXIT_USAGE;
	}
	int64_t start;
	if (view_week_parse(o->week, now, &start)) {
		fprintf(stderr,
		        "tokentop report: --week: expected an ISO week such as 2026-W48, "
		        "'this' or 'last': '%s'\n",
		        o->week);
		return EXIT_USAGE;
	}
	tt_config cfg = {0};
	if (config_open(o->cfg_path, &cfg))
		return EXIT_FAIL;
	store *st = app_open_store(o->db, true);
	if (!st) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	view_weekly v;
	char err[512] = "";
	int rc = view_weekly_build(st, start, now, cfg.budgets, cfg.nbudgets, &v, err, sizeof err);
	if (rc) {
		fprintf(stderr, "tokentop report: %s\n", err);
	} else {
		v.present = o->present;
		rc = html ? report_weekly_html(stdout, &v) : report_weekly(stdout, &v, fmt);
		if (!v.m[TT_M_REQUESTS] && !v.prev_m[TT_M_REQUESTS]) {
			int64_t first = 0, last = 0;
			char name[16], a[32], b[32];
			store_time_bounds(st, &first, &last);
			view_week_name(start, name, sizeof name);
			time_format_iso(first, a, sizeof a);
			time_format_iso(last, b, sizeof b);
			if (first)
				fprintf(stderr,
				        "tokentop report: no events in %s or the week before; the "
				        "database holds %s .. %s (--week YYYY-Www)\n",
				        name, a, b);
		}
		view_weekly_free(&v);
	}
	store_close(st);
	config_free(&cfg);
	if (fflush(stdout) || (rc && !*err)) {
		fprintf(stderr, "tokentop report: write error on standard output\n");
		return EXIT_FAIL;
	}
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int run_chargeback(const review_opts *o, int64_t now)
{
	report_format fmt;
	if (report_format_parse(o->format, &fmt)) {
		fprintf(stderr,
		        "tokentop report: --format: '%s' is not a format of --view chargeback "
		        "(expected text, md, json or csv)\n",
		        o->format);
		return EXIT_USAGE;
	}
	int64_t since_ms = 0, until_ms;
	if (app_parse_when(o->until, now, &until_ms)) {
		fprintf(stderr,
		        "tokentop report: --until: expected a duration, ISO time or now: '%s'\n",
		        o->until);
		return EXIT_USAGE;
	}
	bool all = !strcmp(o->since, "all");
	if (!all && app_parse_when(o->since, now, &since_ms)) {
		fprintf(
		    stderr,
		    "tokentop report: --since: expected a duration (7d), ISO time or all: '%s'\n",
		    o->since);
		return EXIT_USAGE;
	}
	ratecard *card = NULL;
	if (app_load_ratecard(o->card_path, &card, NULL))
		return EXIT_FAIL;
	if (!card) {
		fprintf(stderr,
		        "tokentop report: chargeback needs a rate card: pass --ratecard FILE "
		        "or put one at $XDG_CONFIG_HOME/tokentop/ratecard.json "
		        "(docs/ratecard.md)\n");
		return EXIT_FAIL;
	}
	store *st = app_open_store(o->db, true);
	if (!st) {
		ratecard_free(card);
		return EXIT_FAIL;
	}
	if (all) {
		int64_t first = 0, last = 0;
		store_time_bounds(st, &first, &last);
		since_ms = first ? first : until_ms;
	}
	view_chargeback v;
	char err[512] = "";
	int rc;
	if (since_ms > until_ms) {
		snprintf(err, sizeof err, "the range is empty: --since is after --until");
		rc = -1;
	} else {
		rc = view_chargeback_build(st, since_ms, until_ms, card, &v, err, sizeof err);
		if (!rc) {
			rc = report_chargeback(stdout, &v, fmt);
			view_chargeback_free(&v);
		}
	}
	if (rc && *err)
		fprintf(stderr, "tokentop report: %s\n", err);
	store_close(st);
	ratecard_free(card);
	if (fflush(stdout) || (rc && !*err)) {
		fprintf(stderr, "tokentop report: write error on standard output\n");
		return EXIT_FAIL;
	}
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_report_review(int argc, char **argv)
{
	const char *view = view_arg(argc, argv);
	review_opts o = {.since = "7d", .until = "now", .week = "last", .format = "text"};
	int k = 0;
	while (view && k < REVIEW_COUNT && strcmp(view, review_names[k]))
		k++;
	if (!view || k == REVIEW_COUNT)
		return -1;
	o.view = (review_view)k;
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"view", required_argument, NULL, 'v'},
	    {"week", required_argument, NULL, 'w'},
	    {"format", required_argument, NULL, 'f'},
	    {"ratecard", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {"present", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	bool range = false, week = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o.db = optarg;
			break;
		case 's':
			o.since = optarg;
			range = true;
			break;
		case 'u':
			o.until = optarg;
			range = true;
			break;
		case 'v':
			break;
		case 'w':
			o.week = optarg;
			week = true;
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'r':
			o.card_path = optarg;
			break;
		case 'c':
			o.cfg_path = optarg;
			break;
		case 'p':
			o.present = true;
			break;
		case 'h':
			review_usage(stdout);
			return EXIT_OK;
		default:
			review_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.view == REVIEW_WEEKLY && range) {
		fprintf(stderr, "tokentop report: --view weekly covers one ISO week: use --week "
		                "2026-W48 (or this, last) instead of --since/--until\n");
		return EXIT_USAGE;
	}
	if (o.view == REVIEW_CHARGEBACK && week) {
		fprintf(stderr, "tokentop report: --week is for --view weekly; give chargeback a "
		                "range with --since/--until\n");
		return EXIT_USAGE;
	}
	int64_t now = app_now_ms();
	return o.view == REVIEW_WEEKLY ? run_weekly(&o, now) : run_chargeback(&o, now);
}
