/* tokentop: subcommand dispatch (the program's main is src/tokentop.c). */
#include <stdio.h>
#include <string.h>

#include "tokentop/app.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} command;

static const command commands[] = {
	{"gen", cmd_gen, "write realistic generated events (native JSONL) to stdout"},
	{"ingest", cmd_ingest, "load event files into the local database, exactly once"},
	{"report", cmd_report, "print spend, prompts, routing, SLOs, budgets, alerts, gateways"},
	{"export", cmd_export, "write spend as a FinOps FOCUS 1.2 CSV file"},
	{"forecast", cmd_forecast, "forecast budgets to the end of their period, with what-ifs"},
	{"sync", cmd_sync, "pull events and state from live gateways into the database"},
	{"console", cmd_console, "the screens over the local cache (also: no command)"},
	{"audit", cmd_audit, "list, verify or export the tamper-evident audit log"},
	{"incident", cmd_incident, "open, annotate, close and export incidents"},
	{"action", cmd_action, "run a runbook action (kill switch, throttle, ...) on a gateway"},
	{"checklist", cmd_checklist, "walk a launch-readiness checklist for a use case; sign items off"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: tokentop [console options]    the console on the configured sources\n"
		     "       tokentop --demo [--help]      the console on a built-in simulated gateway\n"
		     "       tokentop COMMAND [OPTIONS]\n\n"
		     "The top of an LLM gateway: spend, reliability and the incident runbook.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'tokentop COMMAND --help' shows a command's options.\n"
		     "Documentation: docs/ (events.md, ratecard.md, report-json.md, gen.md).\n");
}

int app_main(int argc, char **argv, const app_extras *x)
{
	if (argc >= 2 && !strcmp(argv[1], "--demo")) {
		if (!x || !x->demo) {
			fprintf(stderr, "tokentop: this build has no demo gateway\n");
			return EXIT_FAIL;
		}
		return x->demo(argc - 1, argv + 1);
	}
	if (argc < 2 || argv[1][0] == '-') {
		/* no command: the console, with its options */
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
		                  !strcmp(argv[1], "--version")))
			goto named;
		return cmd_console(argc, argv);
	}
named:;
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			for (size_t i = 0; i < NCOMMANDS; i++)
				if (!strcmp(argv[2], commands[i].name)) {
					char *hv[] = {argv[2], "--help", NULL};
					return commands[i].run(2, hv);
				}
		}
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("tokentop %s\n", TOKENTOP_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tokentop: unknown command '%s'\n\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
