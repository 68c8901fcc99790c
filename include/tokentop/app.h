/* The command-line program: subcommands and the helpers they share. */
#ifndef TOKENTOP_APP_H
#define TOKENTOP_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tokentop/audit.h"
#include "tokentop/policy.h"
#include "tokentop/ratecard.h"
#include "tokentop/store.h"

#define TOKENTOP_VERSION "0.1.0"

int cmd_gen(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_export(int argc, char **argv);
/* report --view weekly|chargeback; -1 when argv asks for another view. */
int cmd_report_review(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_incident(int argc, char **argv);
int cmd_action(int argc, char **argv);
int cmd_checklist(int argc, char **argv);

/* What the program's main hands in from the layers after app (the demo gateway lives in
 * src/sim). */
typedef struct app_extras {
	int (*demo)(int argc, char **argv); /* argv[0] is "--demo" */
} app_extras;

/* The whole command line: the console, --demo, or a subcommand. Returns the exit status. */
int app_main(int argc, char **argv, const app_extras *x);

/* Opens the console on cfg's sources (live, on one loop) and the cache db (NULL: the default
 * one). Prints what goes wrong; returns the exit status. */
typedef struct tt_config tt_config;
typedef struct app_console_opts {
	const char *db;
	const char *db_label; /* NULL: the path */
	tt_config *cfg;
	const char *theme;
	bool present;
	const char *banner; /* a word for the header ("demo"); NULL: none */
	bool readonly;      /* no write path at all: actions shown as unavailable */
} app_console_opts;
int app_console_run(const app_console_opts *o);

/* The launch-readiness checklist for the console's Checklist screen: loaded (and checked,
 * errors printed) once, evaluated with ui_checklist_fn app_checklist_eval. */
typedef struct app_checklist app_checklist;
struct ratecard;
app_checklist *app_checklist_open(const char *file, const tt_config *cfg,
                                  const struct ratecard *card);
void app_checklist_free(app_checklist *a);
/* The default file: $XDG_CONFIG_HOME/tokentop/checklists/launch-readiness.ini, the installed
 * one, or the source tree's fixtures/checklists/. 0 or -1 (none found). */
int app_checklist_default(char *buf, size_t cap);
struct store;
struct ui_check_row;
int app_checklist_eval(void *ctx, struct store *st, const char *use_case, struct ui_check_row *rows,
                       size_t cap, char *err, size_t errlen);

/* A command of verbs (tokentop audit list|verify|export): one table, one dispatcher. */
typedef struct app_verb {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the verb */
} app_verb;
/* Runs argv[1] from verbs, or prints usage: --help to stdout, an unknown verb named with
 * the ones there are. Returns the exit status. */
int app_run_verb(const char *command, const app_verb *verbs, size_t n, void (*usage)(FILE *),
                 int argc, char **argv);

/* Exit codes shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Opens --db FILE or the default database; prints the error and returns NULL on failure. */
store *app_open_store(const char *db, bool readonly);
/* As app_open_store with SQLite's page cache for the handle capped at cache_kib and a wait of
 * busy_ms for another writer's lock (0: the defaults), for a long-running process that writes
 * little at a time on its event loop (the console). */
store *app_open_store_cache(const char *db, bool readonly, int cache_kib, int busy_ms);

/* Opens the audit log of s keyed by --secret FILE, else $TOKENTOP_AUDIT_KEY, else the default
 * key file (created at first use); prints the error and returns NULL on failure. */
audit *app_open_audit(store *s, const char *secret_path);
/* The same with the key treated as mode says (AUDIT_KEY_EXISTING to verify, AUDIT_KEY_NONE to
 * read without it). */
audit *app_open_audit_as(store *s, const char *secret_path, audit_key_mode mode);
/* The cache at db (NULL: the default) opened read-only into *st, and its audit log to read
 * (no key needed); NULL, with the error printed and nothing left open, when either fails. */
audit *app_open_audit_reader(const char *db, store **st);

/* Every field of a record as a JSON object (the export's shape, docs/audit.md). */
struct json_t;
struct json_t *app_audit_json(const audit_record *r);

/* Who is acting, for audit records. */
typedef struct app_identity {
	char actor[64]; /* the OS user of the effective uid */
	char host[256];
	char role[16]; /* viewer | operator | admin */
} app_identity;
void app_whoami(app_identity *who, const policy_access *access);

/* Loads --ratecard FILE, else the first of $TOKENTOP_RATECARD,
 * $XDG_CONFIG_HOME/tokentop/ratecard.json (~/.config fallback), the installed card and the
 * source tree's fixtures/ratecard.json. *found_path is set to the file used (or NULL).
 * An explicit path that fails is an error (returns -1); no card at all is not (0, *card NULL). */
int app_load_ratecard(const char *explicit_path, ratecard **card, const char **found_path);

/* "Now" for relative ranges: $TOKENTOP_NOW (ISO 8601) when set, for reproducible runs. */
int64_t app_now_ms(void);

/* Warns on stderr when a URL given on the command line carries credentials: every user of
 * the machine reads them in the process list. Messages never show them (http_url_split). */
void app_warn_url_credentials(const char *command, const char *option, const char *name,
                              const char *url);

/* Parses --since/--until values: a duration back from now ("15m", "7d"), an ISO time,
 * or "now". 0 or -1. */
int app_parse_when(const char *s, int64_t now_ms, int64_t *out_ms);

#endif
