/* tokentop ingest: load event files into the database; each event once, bad lines named. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokentop/app.h"
#include "tokentop/ingest.h"
#include "tokentop/money.h"

static void ingest_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop ingest [--db FILE] [--format auto|native|litellm|otel] [--strict]\n"
	    "                       [--ratecard FILE] [--quiet] FILE|- ...\n\n"
	    "Loads request events into the database. Re-ingesting a file changes nothing: events\n"
	    "are keyed by request_id. Any shape is read, stdin (-) too: one record a line,\n"
	    "pretty-printed or concatenated JSON (jq output), arrays, and /spend/logs/ui pages\n"
	    "of any size, row by row; LiteLLM's StandardLoggingPayload as well.\n"
	    "Only a record without a request_id or a usable time, with unusable tokens or cost,\n"
	    "or that is not JSON is rejected; an unknown status, cache or outcome is kept as\n"
	    "other and a name too long is kept cut (docs/events.md). At the end, stderr counts\n"
	    "the rejections and the odd values by reason, with the first FILE:LINE of each; a\n"
	    "bad record never stops the others. Events without a cost are priced by the rate\n"
	    "card (docs/ratecard.md).\n\n"
	    "  --db FILE         database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --format F        input format (default auto: detected per record)\n"
	    "  --strict          exit 1 if any record was rejected\n"
	    "  --ratecard FILE   rate card (default: see docs/ratecard.md)\n"
	    "  --batch N         events per transaction (default 50000)\n"
	    "  --max-event-cost USD  reject an event costing more than this as implausible\n"
	    "                    (default 100000)\n"
	    "  -q, --quiet       no progress bar, no summary line\n"
	    "  -v, --verbose     also name every rejected or odd line as FILE:LINE: reason, and\n"
	    "                    say where the time went (reading vs storing)\n"
	    "  -h, --help        this help\n\n"
	    "exit status: 0 ok (rejections included unless --strict), 1 rejected with --strict,\n"
	    "or an I/O or database error, 2 usage error\n");
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'}, {"format", required_argument, NULL, 'f'},
	    {"strict", no_argument, NULL, 'S'},   {"ratecard", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},    {"batch", required_argument, NULL, 'b'},
	    {"verbose", no_argument, NULL, 'v'},  {"max-event-cost", required_argument, NULL, 'M'},
	    {"help", no_argument, NULL, 'h'},     {0, 0, 0, 0},
	};
	const char *db = NULL, *card_path = NULL;
	bool verbose = false;
	tt_format fmt = TT_FORMAT_AUTO;
	bool strict = false, quiet = false;
	long batch = 0;
	int64_t max_cost = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'f':
			if (parse_format_from_name(optarg, &fmt)) {
				fprintf(stderr,
				        "tokentop ingest: --format: unknown '%s' "
				        "(expected auto, native, litellm or otel)\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			strict = true;
			break;
		case 'r':
			card_path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'M':
			if (money_parse_usd(optarg, strlen(optarg), &max_cost) || max_cost <= 0) {
				fprintf(stderr,
				        "tokentop ingest: --max-event-cost: expected a positive "
				        "amount in USD, such as 100000\n");
				return EXIT_USAGE;
			}
			break;
		case 'b':
			batch = strtol(optarg, NULL, 10);
			if (batch <= 0 || batch > 10000000) {
				fprintf(stderr, "tokentop ingest: --batch: expected 1..10000000\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			ingest_usage(stdout);
			return EXIT_OK;
		default:
			ingest_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tokentop ingest: no input files (use - for standard input)\n\n");
		ingest_usage(stderr);
		return EXIT_USAGE;
	}
	ratecard *card = NULL;
	const char *card_used = NULL;
	if (app_load_ratecard(card_path, &card, &card_used))
		return EXIT_FAIL;
	if (!card && !quiet)
		fprintf(stderr, "tokentop ingest: no rate card found; events without a cost are "
		                "stored unpriced (pass --ratecard FILE)\n");
	store *st = app_open_store(db, false);
	if (!st) {
		ratecard_free(card);
		return EXIT_FAIL;
	}
	ingest_opts o = {.format = fmt,
	                 .card = card,
	                 .errors = stderr,
	                 .progress = !quiet,
	                 .batch = (uint32_t)batch,
	                 .every_line = verbose,
	                 .max_event_cost_nanos = max_cost};
	ingest *in = ingest_new(st, &o);
	if (!in) {
		fprintf(stderr, "tokentop ingest: out of memory\n");
		store_close(st);
		ratecard_free(card);
		return EXIT_FAIL;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int failed = 0;
	for (int i = optind; i < argc; i++) {
		char err[1400];
		if (ingest_file(in, argv[i], err, sizeof err)) {
			fprintf(stderr, "tokentop ingest: %s\n", err);
			failed = 1;
			if (strstr(err, "database error"))
				break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	const ingest_stats *s = ingest_stats_get(in);
	if (!quiet) {
		double secs =
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("ingest: %llu accepted, %llu duplicate, %llu rejected in %.2f s"
		       " (priced: %llu by rate card, %llu by gateway, %llu unpriced)\n",
		       (unsigned long long)s->accepted, (unsigned long long)s->duplicate,
		       (unsigned long long)s->rejected, secs,
		       (unsigned long long)s->priced[TT_COST_CARD],
		       (unsigned long long)s->priced[TT_COST_GATEWAY],
		       (unsigned long long)s->priced[TT_COST_UNPRICED]);
	}
	/* the summary after stdout's line, never in the middle of it */
	fflush(stdout);
	ingest_write_summary(in, stderr);
	if (verbose)
		fprintf(stderr,
		        "ingest: cpu %.2f s reading and parsing, %.2f s storing (two threads)\n",
		        s->read_cpu_s, s->store_cpu_s);
	bool rejected = s->rejected > 0;
	ingest_free(in);
	store_close(st);
	ratecard_free(card);
	if (failed || (strict && rejected))
		return EXIT_FAIL;
	return EXIT_OK;
}
