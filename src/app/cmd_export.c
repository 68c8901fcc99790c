/* tokentop export: spend in a standard interchange format (FinOps FOCUS 1.2 CSV). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/money.h"
#include "tokentop/outfile.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"

static void export_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop export focus [--db FILE] [--since WHEN] [--until WHEN]\n"
	        "                             [--ratecard FILE] [-o FILE]\n\n"
	        "Writes the spend of --since..--until as a FinOps FOCUS 1.2 CSV file: one row\n"
	        "per UTC day, provider, model, team, use case, tenant and token type (input,\n"
	        "output, cached input), every mandatory column filled. Each rollup's cost is\n"
	        "split over its token types by the rate card's prices, exactly: the BilledCost\n"
	        "column adds up to the total of 'tokentop report' over the same range to the\n"
	        "nano-dollar. Columns and rules: docs/focus.md.\n"
	        "WHEN is a duration back from now (7d, 30d), an ISO 8601 time (2026-11-01),\n"
	        "'now', or for --since 'all'. Whole UTC days (--since 2026-11-01 --until\n"
	        "2026-12-01) give whole-day rows.\n\n"
	        "  --db FILE       database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	        "  --since WHEN    start of the range (default 7d)\n"
	        "  --until WHEN    end of the range, exclusive (default now)\n"
	        "  --ratecard FILE prices that split each cost over token types (default: as\n"
	        "                  'tokentop report' finds it; without one, by token counts)\n"
	        "  -o, --output FILE  write there (replaced whole; a device or FIFO written in\n"
	        "                     place) instead of standard output\n"
	        "  -h, --help      this help\n");
}

static int export_focus(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"ratecard", required_argument, NULL, 'r'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *db = NULL, *since = "7d", *until = "now", *card_path = NULL, *out_path = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
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
		case 'r':
			card_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			export_usage(stdout);
			return EXIT_OK;
		default:
			export_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop export focus: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	int64_t now = app_now_ms(), since_ms = 0, until_ms;
	if (app_parse_when(until, now, &until_ms)) {
		fprintf(
		    stderr,
		    "tokentop export focus: --until: expected a duration, ISO time or now: '%s'\n",
		    until);
		return EXIT_USAGE;
	}
	bool all = strcmp(since, "all") == 0;
	if (!all && app_parse_when(since, now, &since_ms)) {
		fprintf(
		    stderr,
		    "tokentop export focus: --since: expected a duration (7d), ISO time or all: "
		    "'%s'\n",
		    since);
		return EXIT_USAGE;
	}
	store *st = app_open_store(db, true);
	if (!st)
		return EXIT_FAIL;
	if (all) {
		int64_t first = 0, last = 0;
		store_time_bounds(st, &first, &last);
		since_ms = first ? first : until_ms;
	}
	if (since_ms > until_ms) {
		fprintf(stderr,
		        "tokentop export focus: the range is empty: --since is after --until\n");
		store_close(st);
		return EXIT_USAGE;
	}
	ratecard *card = NULL;
	const char *found = NULL;
	if (app_load_ratecard(card_path, &card, &found)) {
		store_close(st);
		return EXIT_FAIL;
	}
	if (!card)
		fprintf(stderr,
		        "tokentop export focus: no rate card found: each cost is split over "
		        "its token types by token counts (--ratecard FILE; docs/focus.md)\n");
	view_focus v;
	char err[512];
	int rc = view_focus_build(st, since_ms, until_ms, card, &v, err, sizeof err);
	store_close(st);
	if (rc) {
		fprintf(stderr, "tokentop export focus: %s\n", err);
		ratecard_free(card);
		return EXIT_FAIL;
	}
	outfile out;
	if (outfile_open(&out, out_path, err, sizeof err)) {
		fprintf(stderr, "tokentop export focus: %s\n", err);
		view_focus_free(&v);
		ratecard_free(card);
		return EXIT_FAIL;
	}
	rc = report_focus(out.f, &v);
	if (outfile_close(&out, rc == 0, err, sizeof err)) {
		fprintf(stderr, "tokentop export focus: %s\n", err);
		rc = -1;
	} else if (rc) {
		fprintf(stderr, "tokentop export focus: write error on %s\n", out.path);
	} else {
		char total[32], a[32], b[32];
		money_format(v.total_cost_nanos, total, sizeof total);
		time_format_iso(since_ms, a, sizeof a);
		time_format_iso(until_ms, b, sizeof b);
		fprintf(stderr, "export focus: %zu rows, BilledCost total %s USD (%s .. %s)\n", v.n,
		        total, a, b);
	}
	view_focus_free(&v);
	ratecard_free(card);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} exporters[] = {
    {"focus", export_focus},
};

int cmd_export(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		export_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof exporters / sizeof exporters[0]; i++)
		if (!strcmp(argv[1], exporters[i].name))
			return exporters[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tokentop export: unknown format '%s' (expected focus)\n", argv[1]);
	return EXIT_USAGE;
}
