/* tokentop-sim: the command line around the simulator engine. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/sim.h"
#include "tokentop/timeutil.h"

#define TOKEN_MAX 4096

static void usage(FILE *f)
{
	fprintf(f, "usage: tokentop-sim [--listen HOST:PORT] [--scenario NAME[@+10m]] "
	           "[--seed S]\n"
	           "                    [--rate RPS] [--history 8d] [--token-file F]\n"
	           "                    [--faults "
	           "5xx=0.2,slow=0.1,truncate=0.05,oversize=0.01,drop=0.05]\n"
	           "                    [--ratecard FILE] [--max-events N]\n\n"
	           "A gateway serving tokentop's v1 admin API and /metrics with simulated "
	           "traffic\n"
	           "(docs/sim.md, docs/api.md). Prints \"listening on http://HOST:PORT\" "
	           "first.\n\n"
	           "  --listen HOST:PORT  address to serve on (default 127.0.0.1:0, a free "
	           "port)\n"
	           "  --scenario NAME     steady, 429-storm, token-spike, cost-runaway,\n"
	           "                      provider-outage, cache-miss-surge, refusal-rise;\n"
	           "                      NAME@+10m starts it ten minutes after launch\n"
	           "  --seed S            workload seed (default 1)\n"
	           "  --rate RPS          mean live requests a second (default 1; 0: none)\n"
	           "  --history DUR       traffic backfilled before serving, e.g. 8d "
	           "(default 0)\n"
	           "  --token-file F      require \"Authorization: Bearer <token in F>\"\n"
	           "  --faults SPEC       chance per request of each transport fault\n"
	           "  --ratecard FILE     card that prices /v1/stats (default: as tokentop "
	           "finds it)\n"
	           "  --max-events N      stop generating after N events (default "
	           "16777216)\n");
}

static int read_token(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "tokentop-sim: %s: cannot open\n", path);
		return -1;
	}
	size_t n = fread(buf, 1, cap - 1, f);
	int more = fgetc(f) != EOF;
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
	             buf[n - 1] == '\t'))
		n--;
	buf[n] = 0;
	if (more || n == 0 || strlen(buf) != n) {
		fprintf(stderr, "tokentop-sim: %s: expected one token of 1 to %d bytes\n", path,
		        TOKEN_MAX - 1);
		return -1;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"scenario", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'S'},
	    {"rate", required_argument, NULL, 'r'},
	    {"history", required_argument, NULL, 'H'},
	    {"token-file", required_argument, NULL, 't'},
	    {"faults", required_argument, NULL, 'f'},
	    {"ratecard", required_argument, NULL, 'c'},
	    {"max-events", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	sim_opts o = {.seed = 1, .rate = 1, .version = TOKENTOP_VERSION};
	const char *token_file = NULL, *card_path = NULL;
	char err[512], name[64];
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 's':
			if (sim_scenario_split(optarg, name, sizeof name, &o.scenario_at_ms) ||
			    workload_scenario_parse(name, &o.scenario)) {
				fprintf(stderr,
				        "tokentop-sim: --scenario: '%s' is not NAME or "
				        "NAME@+DURATION (steady, 429-storm, token-spike, "
				        "cost-runaway, provider-outage, cache-miss-surge, "
				        "refusal-rise)\n",
				        optarg);
				return EXIT_USAGE;
			}
			o.has_scenario = true;
			break;
		case 'S':
			if (parse_u64(optarg, &o.seed)) {
				fprintf(stderr, "tokentop-sim: --seed: not a number: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			o.rate = strtod(optarg, &end);
			if (end == optarg || *end || !(o.rate >= 0)) {
				fprintf(stderr, "tokentop-sim: --rate: not a rate: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			if (strcmp(optarg, "0") != 0 &&
			    time_parse_duration(optarg, &o.history_ms)) {
				fprintf(stderr,
				        "tokentop-sim: --history: not a duration (8d, 6h): %s\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			token_file = optarg;
			break;
		case 'f':
			if (sim_faults_parse(optarg, &o.faults, err, sizeof err)) {
				fprintf(stderr, "tokentop-sim: --%s\n", err);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			card_path = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, &o.max_events) || o.max_events == 0) {
				fprintf(stderr, "tokentop-sim: --max-events: not a count: %s\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop-sim: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	static char token[TOKEN_MAX];
	if (token_file) {
		if (read_token(token_file, token, sizeof token))
			return EXIT_FAIL;
		o.token = token;
	}
	ratecard *card = NULL;
	const char *card_used = NULL;
	if (app_load_ratecard(card_path, &card, &card_used))
		return EXIT_FAIL;
	if (!card)
		fprintf(stderr, "tokentop-sim: no rate card found: /v1/stats counts only the "
		                "costs events carry (pass --ratecard FILE)\n");
	o.card = card;

	/* Blocked before any thread starts, so that only sigwait below sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	sim *s = sim_new(&o, err, sizeof err);
	if (!s) {
		fprintf(stderr, "tokentop-sim: %s\n", err);
		ratecard_free(card);
		return EXIT_USAGE;
	}
	if (sim_start(s, err, sizeof err)) {
		fprintf(stderr, "tokentop-sim: %s\n", err);
		sim_free(s);
		ratecard_free(card);
		return EXIT_FAIL;
	}
	char host[64];
	uint16_t port;
	bool v6;
	sim_listen_parse(o.listen ? o.listen : "127.0.0.1:0", host, sizeof host, &port, &v6);
	printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
	       (unsigned)sim_port(s));
	fflush(stdout);
	fprintf(stderr, "tokentop-sim: seed %llu, %.3g requests/s, %s%s%s\n",
	        (unsigned long long)o.seed, o.rate, card_used ? "priced by " : "unpriced",
	        card_used ? card_used : "", o.token ? ", token required" : "");

	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "tokentop-sim: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	sim_free(s);
	ratecard_free(card);
	return EXIT_OK;
}
