/* tokentop --demo: a simulated gateway on a free loopback port, and the console on it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/demo.h"
#include "tokentop/sim.h"
#include "tokentop/timeutil.h"

/* The demo's sources, SLOs and budgets: the same sections a tokentop.ini holds. */
static const char demo_config[] = "[gateway demo]\n"
                                  "url = http://127.0.0.1:%u\n"
                                  "poll = 1s\n"
                                  "page_limit = 5000\n"
                                  "state_interval = 5s\n"
                                  "[scrape demo-vllm]\n"
                                  "url = http://127.0.0.1:%u/metrics\n"
                                  "kind = vllm\n"
                                  "interval = 5s\n"
                                  "[slo support-availability]\n"
                                  "use_case = support-bot\n"
                                  "sli = availability\n"
                                  "objective = 99\n"
                                  "[slo support-latency]\n"
                                  "use_case = support-bot\n"
                                  "sli = latency\n"
                                  "threshold_ms = 5000\n"
                                  "objective = 98\n"
                                  "[slo copilot-availability]\n"
                                  "use_case = code-assist\n"
                                  "sli = availability\n"
                                  "objective = 98.5\n"
                                  "[budget org]\n"
                                  "scope = *\n"
                                  "amount_usd = 12000\n"
                                  "[budget platform-weekly]\n"
                                  "scope = team=platform\n"
                                  "period = week\n"
                                  "amount_usd = 1200\n";

static void demo_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop --demo [--scenario NAME[@+D]] [--rate RPS] [--seed S]\n"
	        "                       [--history D] [--db FILE] [--theme NAME] [--present]\n"
	        "                       [--readonly]\n\n"
	        "Starts a simulated gateway (tokentop-sim's engine) on a free loopback port in\n"
	        "this process, points a gateway source and a vLLM scrape source at it, and opens\n"
	        "the console. Everything goes through real HTTP, as with a real gateway, and the\n"
	        "runbook actions (K kill switch, T throttle, ...) act on it, audited.\n\n"
	        "  --scenario NAME  what goes wrong (default cost-runaway@+2m: a cost runaway two\n"
	        "                   minutes in); steady, 429-storm, token-spike, cost-runaway,\n"
	        "                   provider-outage, cache-miss-surge, refusal-rise\n"
	        "  --rate RPS       live requests a second (default 1)\n"
	        "  --seed S         workload seed (default 1)\n"
	        "  --history D      traffic backfilled before now (default 8d)\n"
	        "  --db FILE        keep the cache in FILE (default: a temporary one, removed)\n"
	        "  --theme NAME     as for the console\n"
	        "  --present        presentation mode\n"
	        "  --readonly       no write path: the runbook actions are shown but unavailable\n"
	        "  -h, --help       this help\n");
}

static void remove_tmp(const char *dir, const char *db)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[4200];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", db, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

int demo_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"scenario", required_argument, NULL, 's'}, {"rate", required_argument, NULL, 'r'},
	    {"seed", required_argument, NULL, 'S'},     {"history", required_argument, NULL, 'H'},
	    {"db", required_argument, NULL, 'D'},       {"theme", required_argument, NULL, 'T'},
	    {"present", no_argument, NULL, 'P'},        {"help", no_argument, NULL, 'h'},
	    {"readonly", no_argument, NULL, 'R'},       {0, 0, 0, 0},
	};
	sim_opts so = {.seed = 1, .rate = 1, .history_ms = 8 * 86400000LL};
	const char *scenario = "cost-runaway@+2m", *db = NULL, *theme = NULL;
	bool present = false, readonly = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 's':
			scenario = optarg;
			break;
		case 'r':
			so.rate = strtod(optarg, &end);
			if (end == optarg || *end || !(so.rate >= 0) || so.rate > 1000) {
				fprintf(stderr,
				        "tokentop --demo: --rate: 0 to 1000 requests a second, "
				        "not '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			so.seed = strtoull(optarg, &end, 10);
			if (end == optarg || *end) {
				fprintf(stderr, "tokentop --demo: --seed: a number, not '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			if (time_parse_duration(optarg, &so.history_ms)) {
				fprintf(stderr,
				        "tokentop --demo: --history: a duration (8d, 6h), not "
				        "'%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'D':
			db = optarg;
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
			demo_usage(stdout);
			return EXIT_OK;
		default:
			demo_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop --demo: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (strcmp(scenario, "none") && strcmp(scenario, "steady")) {
		char name[64];
		if (sim_scenario_split(scenario, name, sizeof name, &so.scenario_at_ms) ||
		    workload_scenario_parse(name, &so.scenario)) {
			fprintf(stderr,
			        "tokentop --demo: --scenario: '%s' is not NAME or NAME@+10m\n",
			        scenario);
			return EXIT_USAGE;
		}
		so.has_scenario = true;
	}
	ratecard *card = NULL;
	if (app_load_ratecard(NULL, &card, NULL))
		return EXIT_FAIL;
	so.card = card;
	so.version = TOKENTOP_VERSION;
	char err[512];
	fprintf(stderr, "tokentop --demo: simulating %.3g days of history at %g requests/s...\n",
	        (double)so.history_ms / 86400000.0, so.rate);
	sim *s = sim_new(&so, err, sizeof err);
	if (!s || sim_start(s, err, sizeof err)) {
		fprintf(stderr, "tokentop --demo: %s\n", err);
		sim_free(s);
		ratecard_free(card);
		return EXIT_FAIL;
	}
	unsigned port = sim_port(s);
	char text[sizeof demo_config + 32];
	snprintf(text, sizeof text, demo_config, port, port);
	tt_config cfg;
	int rc = EXIT_FAIL;
	if (config_parse_string(text, "the demo configuration", &cfg, err, sizeof err)) {
		fprintf(stderr, "tokentop --demo: %s\n", err);
		goto out;
	}
	char dir[4096] = "", path[4200];
	if (!db) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/tokentop-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "tokentop --demo: cannot make a directory in %s\n",
			        tmp && *tmp ? tmp : "/tmp");
			config_free(&cfg);
			goto out;
		}
		snprintf(path, sizeof path, "%s/demo.db", dir);
		db = path;
	}
	app_console_opts co = {.db = db,
	                       .db_label = dir[0] ? "demo gateway" : db,
	                       .cfg = &cfg,
	                       .theme = theme,
	                       .present = present,
	                       .banner = "demo",
	                       .readonly = readonly};
	rc = app_console_run(&co);
	config_free(&cfg);
	if (dir[0])
		remove_tmp(dir, path);
out:
	sim_free(s);
	ratecard_free(card);
	return rc;
}
