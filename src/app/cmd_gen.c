/* tokentop gen: deterministic realistic events as native JSONL on stdout. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/app.h"
#include "tokentop/money.h"
#include "tokentop/timeutil.h"
#include "tokentop/workload.h"

static void gen_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop gen --events N [--seed S] [--days D] [--start ISO8601]\n"
	    "                    [--scenario NAME[@TIME]]\n\n"
	    "Writes N generated request events as native JSONL to standard output, in time\n"
	    "order: a bank's support assistant, a retailer's product search and a SaaS coding\n"
	    "copilot (docs/gen.md). The same seed gives the same bytes on every run.\n\n"
	    "  -n, --events N     how many events (required)\n"
	    "  -s, --seed S       seed (default 1)\n"
	    "  -d, --days D       spread over D days (default 7), or a duration (26h, 90m)\n"
	    "      --start TIME   first day, ISO 8601 (default: D days before today 00:00 UTC)\n"
	    "      --output F     jsonl (default) or csv (the same rows, for spreadsheets and\n"
	    "                     for the sqlite3 baseline of make bench)\n"
	    "      --scenario NAME[@TIME|@+DURATION]\n"
	    "                     a departure from steady traffic from TIME (ISO 8601) or\n"
	    "                     DURATION after --start on (default: the middle of the span):\n"
	    "                     steady, 429-storm, token-spike, cost-runaway, provider-outage,\n"
	    "                     cache-miss-surge, refusal-rise\n"
	    "  -h, --help         this help\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

/* "NAME", "NAME@ISO8601" or "NAME@+DURATION" (after start_ms); the default start is mid-span. */
static int parse_scenario(const char *arg, int64_t start_ms, int64_t span_ms, workload_scenario *sc,
                          int64_t *at_ms)
{
	char name[64];
	const char *at = strchr(arg, '@');
	size_t n = at ? (size_t)(at - arg) : strlen(arg);
	if (n >= sizeof name) {
		fprintf(stderr, "tokentop gen: --scenario: unknown scenario '%s'\n", arg);
		return -1;
	}
	memcpy(name, arg, n);
	name[n] = 0;
	if (workload_scenario_parse(name, sc)) {
		fprintf(stderr,
		        "tokentop gen: --scenario: unknown scenario '%s' (steady, 429-storm, "
		        "token-spike, cost-runaway, provider-outage, cache-miss-surge, "
		        "refusal-rise)\n",
		        name);
		return -1;
	}
	*at_ms = start_ms + span_ms / 2;
	if (!at)
		return 0;
	int64_t d;
	if (at[1] == '+' && time_parse_duration(at + 2, &d) == 0) {
		*at_ms = start_ms + d;
		return 0;
	}
	if (at[1] != '+' && time_parse_iso(at + 1, strlen(at + 1), at_ms) == 0)
		return 0;
	fprintf(stderr,
	        "tokentop gen: --scenario: expected NAME@TIME (ISO 8601) or NAME@+DURATION "
	        "(e.g. %s@+36h), got '%s'\n",
	        name, arg);
	return -1;
}

static const char csv_header[] =
    "request_id,ts,gateway,tenant,team,use_case,prompt_id,prompt_version,provider,model,tier,"
    "elevated,input_tokens,output_tokens,cached_tokens,latency_ms,ttft_ms,retrieval_ms,"
    "queue_ms,status,cache,outcome,quality,cost_usd\n";

static void csv_str(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
	} else {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	}
	fputc(',', out);
}

static void csv_opt(FILE *out, int64_t v, char sep)
{
	if (v >= 0)
		fprintf(out, "%" PRId64, v);
	fputc(sep, out);
}

static void write_csv(FILE *out, const tt_event *ev)
{
	char ts[32], cost[32] = "";
	time_format_iso(ev->ts_ms, ts, sizeof ts);
	csv_str(out, ev->request_id);
	csv_str(out, ts);
	csv_str(out, ev->gateway);
	csv_str(out, ev->tenant);
	csv_str(out, ev->team);
	csv_str(out, ev->use_case);
	csv_str(out, ev->prompt_id);
	csv_str(out, ev->prompt_version);
	csv_str(out, ev->provider);
	csv_str(out, ev->model);
	csv_str(out, ev->tier);
	fprintf(out, "%d,%" PRId64 ",%" PRId64 ",%" PRId64 ",", ev->elevated, ev->input_tokens,
	        ev->output_tokens, ev->cached_tokens);
	csv_opt(out, ev->latency_ms, ',');
	csv_opt(out, ev->ttft_ms, ',');
	csv_opt(out, ev->retrieval_ms, ',');
	csv_opt(out, ev->queue_ms, ',');
	csv_str(out, event_status_name(ev->status));
	csv_str(out, event_cache_name(ev->cache));
	csv_str(out, ev->outcome == TT_OUTCOME_NONE ? "" : event_outcome_name(ev->outcome));
	if (ev->quality_milli >= 0)
		fprintf(out, "%d.%03d", ev->quality_milli / 1000, ev->quality_milli % 1000);
	fputc(',', out);
	if (ev->has_cost)
		money_format(ev->cost_nanos, cost, sizeof cost);
	fputs(cost, out);
	fputc('\n', out);
}

int cmd_gen(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"events", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
	    {"days", required_argument, NULL, 'd'},     {"start", required_argument, NULL, 'S'},
	    {"output", required_argument, NULL, 'o'},   {"help", no_argument, NULL, 'h'},
	    {"scenario", required_argument, NULL, 'C'}, {0, 0, 0, 0},
	};
	bool csv = false;
	uint64_t events = 0, seed = 1, days = 7;
	int64_t span_ms = 7 * 86400000LL;
	const char *start = NULL, *scenario = NULL;
	bool have_events = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:s:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &events)) {
				fprintf(stderr, "tokentop gen: --events: not a count: '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			have_events = true;
			break;
		case 's':
			if (parse_u64(optarg, &seed)) {
				fprintf(stderr, "tokentop gen: --seed: not a number: '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_u64(optarg, &days) == 0 && days >= 1 && days <= 3660) {
				span_ms = (int64_t)days * 86400000;
			} else if (time_parse_duration(optarg, &span_ms) || span_ms < 60000 ||
			           span_ms > 3660 * 86400000LL) {
				fprintf(
				    stderr,
				    "tokentop gen: --days: expected 1..3660 days or a duration of "
				    "a minute or more (26h), got '%s'\n",
				    optarg);
				return EXIT_USAGE;
			} else {
				days = (uint64_t)((span_ms + 86399999) / 86400000);
			}
			break;
		case 'S':
			start = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "csv") && strcmp(optarg, "jsonl")) {
				fprintf(stderr,
				        "tokentop gen: --output: expected jsonl or csv, got '%s'\n",
				        optarg);
				return EXIT_USAGE;
			}
			csv = strcmp(optarg, "csv") == 0;
			break;
		case 'C':
			scenario = optarg;
			break;
		case 'h':
			gen_usage(stdout);
			return EXIT_OK;
		default:
			gen_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop gen: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!have_events) {
		fprintf(stderr, "tokentop gen: --events N is required\n\n");
		gen_usage(stderr);
		return EXIT_USAGE;
	}
	int64_t start_ms;
	if (start) {
		if (time_parse_iso(start, strlen(start), &start_ms)) {
			fprintf(stderr,
			        "tokentop gen: --start: not an ISO 8601 time: '%s' "
			        "(e.g. 2026-11-01 or 2026-11-01T00:00:00Z)\n",
			        start);
			return EXIT_USAGE;
		}
	} else {
		int64_t today = app_now_ms() / 86400000 * 86400000;
		start_ms = today - (int64_t)days * 86400000;
	}
	workload_opts o = {
	    .seed = seed, .start_ms = start_ms, .span_ms = span_ms, .events = events};
	workload_scenario sc = WL_STEADY;
	int64_t sc_start = 0;
	if (scenario && parse_scenario(scenario, o.start_ms, o.span_ms, &sc, &sc_start))
		return EXIT_USAGE;
	workload *w = workload_new(&o);
	if (!w) {
		fprintf(stderr, "tokentop gen: out of memory\n");
		return EXIT_FAIL;
	}
	if (sc != WL_STEADY)
		workload_set_scenario(w, sc, sc_start);
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	tt_event ev;
	char line[4096];
	if (csv)
		fputs(csv_header, stdout);
	while (workload_next(w, &ev)) {
		if (csv) {
			write_csv(stdout, &ev);
			continue;
		}
		size_t n = event_write_json(&ev, line, sizeof line);
		if (n >= sizeof line)
			continue; /* cannot happen with generated fields; never write half a line */
		if (fwrite(line, 1, n, stdout) != n)
			break;
	}
	workload_free(w);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "tokentop gen: write error on standard output\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
