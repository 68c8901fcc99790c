/* Helpers the subcommands share: opening the store and the audit log, who is acting, the rate
 * card, time arguments. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tokentop/app.h"
#include "tokentop/http.h"
#include "tokentop/rollup.h"
#include "tokentop/timeutil.h"

#ifndef TT_DATADIR
#define TT_DATADIR "/usr/local/share/tokentop"
#endif

store *app_open_store(const char *db, bool readonly)
{
	return app_open_store_cache(db, readonly, 0, 0);
}

store *app_open_store_cache(const char *db, bool readonly, int cache_kib, int busy_ms)
{
	char path[1024], err[1200];
	if (!db) {
		if (store_default_path(path, sizeof path, err, sizeof err)) {
			fprintf(stderr, "tokentop: %s\n", err);
			return NULL;
		}
		db = path;
	}
	if (readonly && access(db, F_OK) != 0) {
		fprintf(
		    stderr,
		    "tokentop: %s: no such database; run 'tokentop ingest' first or pass --db\n",
		    db);
		return NULL;
	}
	store_opts o = {.readonly = false,
	                .cache_kib = cache_kib,
	                .busy_ms = busy_ms,
	                .merge = rollup_sketch_blob_merge};
	store *s = store_open(db, &o, err, sizeof err);
	if (!s)
		fprintf(stderr, "tokentop: %s\n", err);
	return s;
}

audit *app_open_audit_reader(const char *db, store **st)
{
	if (!(*st = app_open_store(db, true)))
		return NULL;
	audit *a = app_open_audit_as(*st, NULL, AUDIT_KEY_NONE);
	if (!a) {
		store_close(*st);
		*st = NULL;
	}
	return a;
}

audit *app_open_audit_as(store *s, const char *secret_path, audit_key_mode mode)
{
	char err[1400];
	const char *env = getenv("TOKENTOP_AUDIT_KEY");
	if (!secret_path && env && *env)
		secret_path = env;
	audit *a = audit_open_mode(s, secret_path, mode, err, sizeof err);
	if (!a)
		fprintf(stderr, "tokentop: %s\n", err);
	return a;
}

audit *app_open_audit(store *s, const char *secret_path)
{
	return app_open_audit_as(s, secret_path, AUDIT_KEY_CREATE);
}

void app_whoami(app_identity *who, const policy_access *access)
{
	memset(who, 0, sizeof *who);
	uid_t uid = geteuid();
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(who->actor, sizeof who->actor, "%s", pw->pw_name);
	else
		snprintf(who->actor, sizeof who->actor, "uid %ld", (long)uid);
	if (gethostname(who->host, sizeof who->host - 1))
		who->host[0] = 0;
	snprintf(who->role, sizeof who->role, "%s",
	         policy_role_name(policy_role_of(access, who->actor)));
}

static bool readable(const char *p)
{
	return access(p, R_OK) == 0;
}

int app_load_ratecard(const char *explicit_path, ratecard **card, const char **found_path)
{
	static char chosen[PATH_MAX];
	char err[1400];
	*card = NULL;
	if (found_path)
		*found_path = NULL;
	if (explicit_path) {
		*card = ratecard_load(explicit_path, err, sizeof err);
		if (!*card) {
			fprintf(stderr, "tokentop: %s\n", err);
			return -1;
		}
		snprintf(chosen, sizeof chosen, "%s", explicit_path);
		if (found_path)
			*found_path = chosen;
		return 0;
	}
	char cand[4][PATH_MAX];
	int n = 0;
	const char *env = getenv("TOKENTOP_RATECARD");
	if (env && *env)
		snprintf(cand[n++], PATH_MAX, "%s", env);
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg == '/')
		snprintf(cand[n++], PATH_MAX, "%s/tokentop/ratecard.json", xdg);
	else if (home && *home)
		snprintf(cand[n++], PATH_MAX, "%s/.config/tokentop/ratecard.json", home);
	snprintf(cand[n++], PATH_MAX, "%s/fixtures/ratecard.json", TT_DATADIR);
	char exe[PATH_MAX - 64];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = 0;
		snprintf(cand[n++], PATH_MAX, "%s/../fixtures/ratecard.json", dirname(exe));
	}
	for (int i = 0; i < n; i++) {
		if (!readable(cand[i]))
			continue;
		*card = ratecard_load(cand[i], err, sizeof err);
		if (!*card) {
			fprintf(stderr, "tokentop: %s\n", err);
			return -1;
		}
		memcpy(chosen, cand[i], strnlen(cand[i], PATH_MAX - 1) + 1);
		if (found_path)
			*found_path = chosen;
		return 0;
	}
	return 0;
}

int64_t app_now_ms(void)
{
	const char *env = getenv("TOKENTOP_NOW");
	int64_t t;
	if (env && *env && time_parse_iso(env, strlen(env), &t) == 0)
		return t;
	return time_now_ms();
}

void app_warn_url_credentials(const char *command, const char *option, const char *name,
                              const char *url)
{
	char clean[4096], userpwd[4096];
	if (http_url_split(url, clean, sizeof clean, userpwd, sizeof userpwd) > 0)
		fprintf(
		    stderr,
		    "tokentop %s: --%s %s: the URL carries credentials, which every user of this "
		    "machine can read in the process list (ps); put the URL in a config file only "
		    "you can read, or the token in token_file (docs/config.md)\n",
		    command, option, name);
	memset(userpwd, 0, sizeof userpwd);
}

int app_parse_when(const char *s, int64_t now_ms, int64_t *out_ms)
{
	int64_t d;
	if (strcmp(s, "now") == 0) {
		*out_ms = now_ms;
		return 0;
	}
	if (time_parse_duration(s, &d) == 0) {
		*out_ms = now_ms - d;
		return 0;
	}
	return time_parse_iso(s, strlen(s), out_ms);
}

int app_run_verb(const char *command, const app_verb *verbs, size_t n, void (*usage)(FILE *),
                 int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tokentop %s: unknown verb '%s' (expected ", command, argv[1]);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", verbs[i].name,
		        i + 2 < n    ? ", "
		        : i + 2 == n ? " or "
		                     : ")\n\n");
	usage(stderr);
	return EXIT_USAGE;
}
