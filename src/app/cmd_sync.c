/* tokentop sync: runs the live sources headless into the cache, for collectors and tests. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/live.h"
#include "tokentop/timeutil.h"

#define MAX_SOURCES LIVE_MAX_SOURCES

typedef struct sync_ctx {
	uv_loop_t *loop;
	live *live;
	bool once;
	int failed; /* a source went down during --once */
	uv_timer_t check, deadline;
	uv_signal_t sigint, sigterm;
	bool stopping;
} sync_ctx;

static void sync_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop sync [--db FILE] [--config FILE] [--gateway NAME=URL] [--litellm "
	    "NAME=URL]\n"
	    "                     [--scrape NAME=URL[,KIND]] [--prometheus NAME=URL --query S=Q]\n"
	    "                     [--token-file F | --token-env VAR]\n"
	    "                     [--once | --for DURATION] [--poll DURATION]\n"
	    "                     [--state-interval DURATION] [--since WHEN] [--reread "
	    "DURATION]\n\n"
	    "Pulls request events from gateways (the tokentop v1 API) and LiteLLM proxies\n"
	    "(/spend/logs/ui) into the database, each exactly once: a source's cursor is\n"
	    "committed with the events it covers, so a sync killed at any moment resumes where\n"
	    "it stopped. Prints a line when a source changes state.\n\n"
	    "  --db FILE          database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --config FILE      sources from [gateway], [scrape] and [prometheus] sections\n"
	    "                     (default $XDG_CONFIG_HOME/tokentop/tokentop.ini), used when\n"
	    "                     no source is given on the command line\n"
	    "  --gateway NAME=URL a tokentop-dialect gateway to pull from (repeatable)\n"
	    "  --litellm NAME=URL a LiteLLM proxy to pull spend logs from (repeatable)\n"
	    "  --scrape NAME=URL[,KIND]  an inference server's /metrics (KIND vllm, tgi or\n"
	    "                     generic; default generic), every --interval (repeatable)\n"
	    "  --interval DURATION   between scrapes (default 5s)\n"
	    "  --page-limit N     events asked per gateway page (default 1000)\n"
	    "  --prometheus NAME=URL  a Prometheus-compatible query API (repeatable)\n"
	    "  --query SERIES=PROMQL  a query every --prometheus source runs each --interval;\n"
	    "                     results are stored as the series SERIES (repeatable)\n"
	    "  --token-file F     bearer token read from F (first line)\n"
	    "  --token-env VAR    bearer token from the environment variable VAR\n"
	    "  --once             stop when every gateway is caught up and every scrape was\n"
	    "                     stored once (exit 1 if a source is down)\n"
	    "  --for DURATION     stop after DURATION (30s, 10m, 1h); default: until SIGINT\n"
	    "  --poll DURATION    pause between polls when caught up (default 2s); a gateway\n"
	    "                     with nothing new is asked less often, up to 4 times that\n"
	    "  --state-interval DURATION  between reads of each gateway's health, routing and\n"
	    "                     controls (LiteLLM: liveliness, spend, models, router\n"
	    "                     settings), kept in the database (default 30s)\n"
	    "  --since WHEN       LiteLLM: where a first sync starts, a date (2026-12-01) or a\n"
	    "                     duration back (7d); default the start of this month (UTC)\n"
	    "  --reread DURATION  LiteLLM: read each stretch once more when it is this old, for\n"
	    "                     rows the proxy writes late (default 2h); each start re-reads\n"
	    "                     that much before its cursor\n"
	    "  -h, --help         this help\n");
}

static void stop_all(sync_ctx *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	live_stop(s->live);
	uv_timer_stop(&s->check);
	uv_timer_stop(&s->deadline);
	uv_signal_stop(&s->sigint);
	uv_signal_stop(&s->sigterm);
	uv_stop(s->loop);
}

static void on_state(void *ctx, const char *source, source_state st, const char *detail)
{
	sync_ctx *s = ctx;
	printf("sync: %s: %s%s%s\n", source, source_state_name(st), *detail ? ": " : "", detail);
	fflush(stdout);
	if (s->once && st == SRC_DOWN) {
		s->failed = 1;
		stop_all(s);
	}
}

static void on_check(uv_timer_t *t)
{
	sync_ctx *s = t->data;
	if (live_caught_up(s->live))
		stop_all(s);
}

static void on_deadline(uv_timer_t *t)
{
	stop_all(t->data);
}

static void on_signal(uv_signal_t *h, int sig)
{
	(void)sig;
	stop_all(h->data);
}

static int read_token(const char *file, const char *env, char *buf, size_t cap)
{
	char err[1200];
	if (config_token(env, file, buf, cap, err, sizeof err)) {
		fprintf(stderr, "tokentop sync: %s\n", err);
		return -1;
	}
	return 0;
}

int cmd_sync(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"litellm", required_argument, NULL, 'l'},
	    {"scrape", required_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {"page-limit", required_argument, NULL, 'P'},
	    {"prometheus", required_argument, NULL, 'Q'},
	    {"query", required_argument, NULL, 'q'},
	    {"token-file", required_argument, NULL, 'T'},
	    {"token-env", required_argument, NULL, 'E'},
	    {"once", no_argument, NULL, 'o'},
	    {"for", required_argument, NULL, 'f'},
	    {"poll", required_argument, NULL, 'p'},
	    {"state-interval", required_argument, NULL, 'S'},
	    {"since", required_argument, NULL, 'W'},
	    {"reread", required_argument, NULL, 'R'},
	    {"config", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *db = NULL, *token_file = NULL, *token_env = NULL, *cfg_path = NULL;
	tt_config cfg;
	memset(&cfg, 0, sizeof cfg);
	char *names[MAX_SOURCES], *urls[MAX_SOURCES];
	bool litellm_of[MAX_SOURCES];
	char *snames[MAX_SOURCES], *surls[MAX_SOURCES];
	prom_kind skinds[MAX_SOURCES];
	int ns = 0;
	int64_t interval_ms = 5000;
	long page_limit = 0;
	char *pnames[MAX_SOURCES], *purls[MAX_SOURCES];
	int np = 0;
	promsrc_query queries[MAX_SOURCES];
	int nq = 0;
	int n = 0;
	bool once = false;
	int64_t for_ms = 0, poll_ms = 2000, state_ms = 0, since_ms = 0, reread_ms = 0;
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
		case 'g':
		case 'l': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1]) {
				fprintf(stderr,
				        "tokentop sync: --%s: expected NAME=URL, got '%s'\n",
				        c == 'l' ? "litellm" : "gateway", optarg);
				return EXIT_USAGE;
			}
			if (n == MAX_SOURCES) {
				fprintf(stderr, "tokentop sync: at most %d sources\n", MAX_SOURCES);
				return EXIT_USAGE;
			}
			*eq = 0;
			app_warn_url_credentials("sync", c == 'l' ? "litellm" : "gateway", optarg,
			                         eq + 1);
			names[n] = optarg;
			litellm_of[n] = c == 'l';
			urls[n++] = eq + 1;
			break;
		}
		case 's': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1] || ns == MAX_SOURCES) {
				fprintf(
				    stderr,
				    "tokentop sync: --scrape: expected NAME=URL[,KIND], got '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			*eq = 0;
			char *comma = strrchr(eq + 1, ',');
			skinds[ns] = PROM_KIND_GENERIC;
			if (comma) {
				*comma = 0;
				if (prom_kind_from_name(comma + 1, &skinds[ns])) {
					fprintf(stderr,
					        "tokentop sync: --scrape: unknown kind '%s' "
					        "(expected vllm, tgi or generic)\n",
					        comma + 1);
					return EXIT_USAGE;
				}
			}
			app_warn_url_credentials("sync", "scrape", optarg, eq + 1);
			snames[ns] = optarg;
			surls[ns++] = eq + 1;
			break;
		}
		case 'Q':
		case 'q': {
			char *eq = strchr(optarg, '=');
			int *cnt = c == 'Q' ? &np : &nq;
			if (!eq || eq == optarg || !eq[1] || *cnt == MAX_SOURCES) {
				fprintf(stderr, "tokentop sync: --%s: expected %s, got '%s'\n",
				        c == 'Q' ? "prometheus" : "query",
				        c == 'Q' ? "NAME=URL" : "SERIES=PROMQL", optarg);
				return EXIT_USAGE;
			}
			*eq = 0;
			if (c == 'Q') {
				app_warn_url_credentials("sync", "prometheus", optarg, eq + 1);
				pnames[np] = optarg;
				purls[np++] = eq + 1;
			} else {
				queries[nq].series = optarg;
				queries[nq++].promql = eq + 1;
			}
			break;
		}
		case 'P':
			page_limit = strtol(optarg, NULL, 10);
			if (page_limit < 1 || page_limit > 5000) {
				fprintf(stderr, "tokentop sync: --page-limit: expected 1..5000\n");
				return EXIT_USAGE;
			}
			break;
		case 'i':
			if (time_parse_duration(optarg, &interval_ms)) {
				fprintf(stderr,
				        "tokentop sync: --interval: expected a duration like 5s\n");
				return EXIT_USAGE;
			}
			break;
		case 'T':
			token_file = optarg;
			break;
		case 'E':
			token_env = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'f':
			if (time_parse_duration(optarg, &for_ms)) {
				fprintf(
				    stderr,
				    "tokentop sync: --for: expected a duration like 30s or 10m\n");
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (time_parse_duration(optarg, &poll_ms)) {
				fprintf(stderr,
				        "tokentop sync: --poll: expected a duration like 2s\n");
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (time_parse_duration(optarg, &state_ms) || state_ms <= 0) {
				fprintf(stderr, "tokentop sync: --state-interval: expected a "
				                "duration like 30s\n");
				return EXIT_USAGE;
			}
			break;
		case 'W':
			if (time_parse_since(optarg, time_now_ms(), &since_ms)) {
				fprintf(stderr, "tokentop sync: --since: expected a date like "
				                "2026-12-01 or a duration back like 7d\n");
				return EXIT_USAGE;
			}
			break;
		case 'R':
			if (time_parse_duration(optarg, &reread_ms) || reread_ms < 60000) {
				fprintf(stderr,
				        "tokentop sync: --reread: expected a duration of at "
				        "least 1m, like 2h\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			sync_usage(stdout);
			return EXIT_OK;
		default:
			sync_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop sync: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (np && !nq) {
		fprintf(stderr,
		        "tokentop sync: --prometheus needs at least one --query SERIES=PROMQL\n");
		return EXIT_USAGE;
	}
	if (once && for_ms) {
		fprintf(stderr, "tokentop sync: --once and --for exclude each other\n");
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	ratecard *card = NULL;
	store *st = NULL;
	char token[4096], err[1400];
	if (read_token(token_file, token_env, token, sizeof token))
		return EXIT_FAIL;
	bool from_config = !n && !ns && !np;
	if (from_config && config_open(cfg_path, &cfg))
		return EXIT_FAIL;
	if (from_config && !cfg.ngateways && !cfg.nscrapes && !cfg.nprometheus) {
		fprintf(stderr,
		        "tokentop sync: no sources: give --gateway, --litellm, --scrape or "
		        "--prometheus NAME=URL, or configure [gateway NAME] sections in %s\n\n",
		        cfg.path[0] ? cfg.path : "the config file (docs/config.md)");
		sync_usage(stderr);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (app_load_ratecard(NULL, &card, NULL) || !(st = app_open_store(db, false))) {
		ratecard_free(card);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_t loop;
	uv_loop_init(&loop);
	sync_ctx s = {.loop = &loop, .once = once};
	s.live = live_new(&loop, st, card, stderr);
	if (!s.live) {
		fprintf(stderr, "tokentop sync: out of memory\n");
		rc = EXIT_FAIL;
		goto out;
	}
	live_on_state(s.live, on_state, &s);
	int added = 0;
	if (from_config)
		added = live_add_config(s.live, &cfg, state_ms, err, sizeof err);
	for (int i = 0; !added && i < n; i++) {
		live_events_opts o = {.name = names[i],
		                      .url = urls[i],
		                      .token = token,
		                      .litellm = litellm_of[i],
		                      .poll_ms = poll_ms,
		                      .state_ms = state_ms,
		                      .page_limit = (int)page_limit,
		                      .since_ms = since_ms,
		                      .reread_ms = reread_ms};
		added = live_add_events(s.live, &o, err, sizeof err);
	}
	for (int i = 0; !added && i < ns; i++)
		added = live_add_scrape(s.live, snames[i], surls[i], skinds[i], token, interval_ms,
		                        err, sizeof err);
	for (int i = 0; !added && i < np; i++)
		added = live_add_prometheus(s.live, pnames[i], purls[i], token, queries, (size_t)nq,
		                            interval_ms, err, sizeof err);
	memset(token, 0, sizeof token);
	if (added) {
		fprintf(stderr, "tokentop sync: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	}
	uv_timer_init(&loop, &s.check);
	uv_timer_init(&loop, &s.deadline);
	s.check.data = s.deadline.data = &s;
	if (once)
		uv_timer_start(&s.check, on_check, 50, 50);
	if (for_ms)
		uv_timer_start(&s.deadline, on_deadline, (uint64_t)for_ms, 0);
	uv_signal_init(&loop, &s.sigint);
	uv_signal_init(&loop, &s.sigterm);
	s.sigint.data = s.sigterm.data = &s;
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	live_print_totals(s.live, stdout, "sync: ");
	if (s.failed || live_store_failed(s.live))
		rc = EXIT_FAIL;
	if (live_store_failed(s.live))
		fprintf(stderr, "tokentop sync: database error: %s\n", store_errmsg(st));
	uv_close((uv_handle_t *)&s.check, NULL);
	uv_close((uv_handle_t *)&s.deadline, NULL);
	uv_close((uv_handle_t *)&s.sigint, NULL);
	uv_close((uv_handle_t *)&s.sigterm, NULL);
out:
	live_free(s.live);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	memset(token, 0, sizeof token);
	store_close(st);
	ratecard_free(card);
	config_free(&cfg);
	return rc;
}
