/* tokentop action: the runbook from the shell, with the console's checks and the same audit. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "tokentop/action.h"
#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/money.h"
#include "tokentop/timeutil.h"

/* getopt codes of the options that are not action parameters (those are 0..ACTION_P_COUNT) */
enum {
	OPT_GATEWAY = 256,
	OPT_SCOPE,
	OPT_REASON,
	OPT_EXPIRES,
	OPT_DRY_RUN,
	OPT_YES,
	OPT_AS,
	OPT_CONFIG,
	OPT_DB,
	OPT_READONLY,
	OPT_TIMEOUT,
	OPT_AUDIT_KEY,
	OPT_JSON,
	OPT_HELP,
};

static const struct option fixed_opts[] = {
    {"gateway", required_argument, NULL, OPT_GATEWAY},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"reason", required_argument, NULL, OPT_REASON},
    {"expires", required_argument, NULL, OPT_EXPIRES},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"yes", no_argument, NULL, OPT_YES},
    {"as", required_argument, NULL, OPT_AS},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"db", required_argument, NULL, OPT_DB},
    {"readonly", no_argument, NULL, OPT_READONLY},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"audit-key", required_argument, NULL, OPT_AUDIT_KEY},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
};
#define NFIXED (sizeof fixed_opts / sizeof fixed_opts[0])

static void action_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop action KIND --gateway NAME [--scope KEY=VALUE]... [PARAMS]\n"
	    "                        --reason TEXT [--expires D] [--dry-run] [--yes] [--as NAME]\n"
	    "                        [--config F] [--db F] [--audit-key F] [--readonly]\n"
	    "                        [--timeout D]\n"
	    "       tokentop action list --gateway NAME [--json] [--config F] [--db F]\n\n"
	    "Runs one incident-runbook action against a gateway of the config file ([gateway\n"
	    "NAME]), with the console's checks: policy ([access]), a reason, the blast radius\n"
	    "from the local cache, a typed confirmation for dangerous actions and any action on\n"
	    "a production gateway (without a terminal: --yes), and the audit log (a pending\n"
	    "record before the request leaves, the outcome after). Pending records a crash left\n"
	    "are reconciled with the gateway first. docs/actions.md has the details.\n\n"
	    "kinds:\n");
	for (size_t i = 0; i < action_count; i++) {
		const action_def *a = &action_table[i];
		char params[160] = "";
		for (int p = 0; p < ACTION_P_COUNT; p++)
			if (a->params & ACTION_BIT(p)) {
				size_t n = strlen(params);
				snprintf(params + n, sizeof params - n, "%s--%s %s", n ? " " : "",
				         action_params[p].name, action_params[p].metavar);
			}
		fprintf(out, "  %-13s %s\n  %-13s role %s%s%s%s%s\n", a->name, a->help, "",
		        policy_role_name(a->min_role),
		        a->flags & ACTION_CONFIRM ? ", typed confirmation" : "",
		        a->flags & ACTION_DANGEROUS ? ", dangerous" : "", *params ? "; " : "",
		        params);
	}
	fprintf(out, "  %-13s %s\n\nparameters:\n", "list",
	        "the controls in force: id, kind, scope, expiry");
	for (int p = 0; p < ACTION_P_COUNT; p++) {
		char opt[48];
		snprintf(opt, sizeof opt, "--%s %s", action_params[p].name,
		         action_params[p].metavar);
		fprintf(out, "  %-24s %s\n", opt, action_params[p].help);
	}
	fprintf(
	    out,
	    "\noptions:\n"
	    "  --gateway NAME     a [gateway NAME] section of the config file\n"
	    "  --scope KEY=VALUE  which requests: gateway, tenant, team, use_case, provider,\n"
	    "                     model, tool (LiteLLM: key, team or model); repeatable\n"
	    "  --reason TEXT      why (required): sent to the gateway, kept in the audit log\n"
	    "  --expires D        the control ends by itself after D (30m, 2h) or at an ISO time\n"
	    "  --dry-run          print the blast radius and the exact request; send nothing\n"
	    "  --yes              confirmed (needed without a terminal for what asks to type)\n"
	    "  --as NAME          recorded beside the OS user (who you act for)\n"
	    "  --config FILE      default $XDG_CONFIG_HOME/tokentop/tokentop.ini\n"
	    "  --db FILE          the local cache and audit log (default as tokentop sync)\n"
	    "  --audit-key FILE   the audit log's key (default: docs/actions.md)\n"
	    "  --readonly         refuse every write (as readonly = yes in [access])\n"
	    "  --timeout D        each request to the gateway (default 10s)\n"
	    "  --json             list: the gateway's answer as it came\n"
	    "  -h, --help         this help\n");
}

static int64_t cli_clock(void *ctx)
{
	(void)ctx;
	return app_now_ms();
}

typedef struct cli {
	uv_loop_t loop;
	action_env env;
	action_gateway gw;
	char url[CONFIG_URL_CAP], userpwd[CONFIG_URL_CAP]; /* gw's, credentials apart */
	action_req req;
	bool dry_run, yes, list, json;
	int rc;
	char err[1200];
} cli;

static void print_blast(const action_blast *b)
{
	if (!b->known && !b->requests) {
		printf("blast      unknown: %s\n", b->note[0] ? b->note : "not measured");
		return;
	}
	char usd[32];
	money_format_human(b->cost_per_min_nanos, usd, sizeof usd);
	printf("blast      %s/min, %.2f requests/s, %.1f%% of requests (last %lld min, local "
	       "cache)\n",
	       usd, b->requests_per_s, 100.0 * b->share,
	       (long long)(ACTION_BLAST_WINDOW_MS / 60000));
	if (b->note[0])
		printf("           %s\n", b->note);
}

static void print_plan(const action_plan *p)
{
	const action_req *r = &p->req;
	printf("action     %s on gateway %s%s\n", r->def->name, p->gw.name,
	       p->gw.production ? " (PRODUCTION)" : "");
	if (!r->def->kind)
		printf("control    %s\n", r->id);
	printf("scope      %s\n", p->scope[0]    ? p->scope
	                          : r->def->kind ? "(proxy-wide)"
	                                         : "(unknown: not in force)");
	printf("reason     %s\n", r->reason);
	if (r->def->flags & ACTION_EXPIRES) {
		char iso[32];
		if (r->expires_ms)
			time_format_iso(r->expires_ms, iso, sizeof iso);
		printf("expires    %s\n", r->expires_ms ? iso : "never (until lifted)");
	}
	print_blast(&p->blast);
	if (p->gw.dialect == ACTION_DIALECT_TOKENTOP) {
		size_t nb = action_state_count(p->state_before),
		       na = action_state_count(p->state_after);
		printf("before     %zu control%s in force (ETag %s)\n", nb, nb == 1 ? "" : "s",
		       p->etag[0] ? p->etag : "none");
		printf("after      %zu control%s in force\n", na, na == 1 ? "" : "s");
	} else {
		printf("before     %s\n", p->state_before);
		printf("after      %s\n", p->state_after);
	}
}

/* Reads one line from the terminal. */
static bool read_answer(char *buf, size_t cap)
{
	fflush(stdout);
	if (!fgets(buf, (int)cap, stdin))
		return false;
	buf[strcspn(buf, "\r\n")] = 0;
	return true;
}

/* The console's rule: typed scope for dangerous actions and production, else yes/no; without
 * a terminal, --yes. */
static bool confirmed(cli *c, const action_plan *p)
{
	if (c->yes)
		return true;
	bool tty = isatty(STDIN_FILENO);
	if (!tty) {
		fprintf(stderr,
		        "tokentop action: not confirmed: %s without a terminal needs --yes%s\n",
		        p->req.def->name,
		        p->typed_confirm ? " (on a terminal: the scope typed to confirm)" : "");
		return false;
	}
	char line[512];
	if (p->typed_confirm) {
		printf("type '%s' to confirm (anything else cancels): ", p->confirm_word);
		return read_answer(line, sizeof line) && strcmp(line, p->confirm_word) == 0;
	}
	printf("send it? [y/N] ");
	return read_answer(line, sizeof line) &&
	       (strcmp(line, "y") == 0 || strcmp(line, "yes") == 0);
}

static void on_sent(void *ctx, const action_result *r)
{
	cli *c = ctx;
	if (r->applied) {
		printf("%s\n", r->message);
		if (r->control_id && *r->control_id && c->req.def->kind)
			printf("control    %s (lift: tokentop action lift --gateway %s --id %s)\n",
			       r->control_id, c->gw.name, r->control_id);
		printf("audit      records %lld (pending) and %lld (%s)\n",
		       (long long)r->pending_seq, (long long)r->done_seq,
		       c->req.def->kind ? "applied" : "lifted");
		c->rc = EXIT_OK;
	} else {
		fprintf(stderr, "tokentop action: %s\n", r->message);
		if (r->response && *r->response && r->http_status != 0)
			fprintf(stderr, "gateway answer (verbatim):\n%s\n", r->response);
		c->rc = EXIT_FAIL;
	}
}

static void on_plan(void *ctx, action_plan *p)
{
	cli *c = ctx;
	if (p->error[0]) {
		fprintf(stderr, "tokentop action: %s\n", p->error);
		action_plan_free(p);
		c->rc = EXIT_FAIL;
		return;
	}
	print_plan(p);
	if (c->dry_run) {
		char *d = action_plan_describe(p);
		printf("\nrequest (dry run: nothing is sent)\n%s", d ? d : "");
		free(d);
		action_plan_free(p);
		c->rc = EXIT_OK;
		return;
	}
	printf("request    %s %s\n", p->http.method, p->url);
	if (!confirmed(c, p)) {
		fprintf(stderr, "tokentop action: cancelled; nothing was sent\n");
		action_plan_free(p);
		c->rc = EXIT_FAIL;
		return;
	}
	if (action_send(p, on_sent, c, c->err, sizeof c->err)) {
		fprintf(stderr, "tokentop action: %s\n", c->err);
		action_plan_free(p);
		c->rc = EXIT_FAIL;
	}
}

/* One control of a v1 answer as a line: id, kind, scope, expiry, actor. */
static void print_control(json_t *ctl)
{
	char scope[512] = "";
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(ctl, "scope"), key, v)
	{
		size_t n = strlen(scope);
		snprintf(scope + n, sizeof scope - n, "%s%s=%s", n ? "," : "", key,
		         json_is_string(v) ? json_string_value(v) : "?");
	}
	if (!scope[0] && json_is_string(json_object_get(ctl, "scope")))
		snprintf(scope, sizeof scope, "%s",
		         json_string_value(json_object_get(ctl, "scope")));
	json_t *exp = json_object_get(ctl, "expires_at");
	char *params = json_dumps(json_object_get(ctl, "params"), JSON_COMPACT);
	printf("%-28s %-13s %-36s %-26s %s\n", json_string_value(json_object_get(ctl, "id")),
	       json_string_value(json_object_get(ctl, "kind")), scope[0] ? scope : "(proxy-wide)",
	       json_is_string(exp) ? json_string_value(exp) : "never", params ? params : "{}");
	free(params);
}

static void on_list(void *ctx, long status, const char *body, const char *error)
{
	cli *c = ctx;
	if (error || status != 200) {
		fprintf(stderr, "tokentop action list: %s: %s%s\n", c->gw.url,
		        error ? error : "the gateway answered: ", error ? "" : body);
		c->rc = EXIT_FAIL;
		return;
	}
	c->rc = EXIT_OK;
	if (c->json) {
		printf("%s\n", body);
		return;
	}
	json_t *doc = json_loads(body, 0, NULL);
	json_t *controls = json_object_get(doc, "controls");
	if (!json_is_array(controls)) {
		fprintf(stderr, "tokentop action list: not a controls answer: %.300s\n", body);
		c->rc = EXIT_FAIL;
	} else if (json_array_size(controls) == 0) {
		printf("no controls in force on %s\n", c->gw.name);
	} else {
		printf("%-28s %-13s %-36s %-26s %s\n", "ID", "KIND", "SCOPE", "EXPIRES", "PARAMS");
		size_t i;
		json_t *ctl;
		json_array_foreach(controls, i, ctl) print_control(ctl);
	}
	json_decref(doc);
}

/* After reconciliation: the command proper. */
static void run_command(cli *c)
{
	int rc = c->list ? action_list_start(&c->env, &c->gw, on_list, c, c->err, sizeof c->err)
	                 : action_plan_start(&c->env, &c->gw, &c->req, on_plan, c, c->err,
	                                     sizeof c->err);
	if (rc) {
		fprintf(stderr, "tokentop action: %s\n", c->err);
		c->rc = EXIT_FAIL;
	}
}

static void on_reconciled(void *ctx, int applied, int failed, const char *error)
{
	cli *c = ctx;
	if (error)
		fprintf(stderr, "tokentop action: %s (the pending records stay for the next run)\n",
		        error);
	if (applied + failed)
		printf("reconciled %d pending record%s a crash left: %d applied, %d failed\n",
		       applied + failed, applied + failed == 1 ? "" : "s", applied, failed);
	run_command(c);
}

static const gateway_spec *find_gateway(const tt_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ngateways; i++)
		if (strcmp(cfg->gateways[i].name, name) == 0)
			return &cfg->gateways[i];
	return NULL;
}

int cmd_action(int argc, char **argv)
{
	struct option longopts[NFIXED + ACTION_P_COUNT + 1];
	memcpy(longopts, fixed_opts, sizeof fixed_opts);
	for (int p = 0; p < ACTION_P_COUNT; p++)
		longopts[NFIXED + (size_t)p] =
		    (struct option){action_params[p].name, required_argument, NULL, p};
	memset(&longopts[NFIXED + ACTION_P_COUNT], 0, sizeof longopts[0]);

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		action_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	cli *c = calloc(1, sizeof *c);
	if (!c)
		return EXIT_FAIL;
	c->rc = EXIT_FAIL;
	const char *kind = argv[1], *gw_name = NULL, *cfg_path = NULL, *db = NULL, *as = NULL;
	const char *expires = NULL, *audit_key = NULL;
	bool readonly = false;
	int64_t timeout_ms = 0;
	const action_def *def = NULL;
	c->list = strcmp(kind, "list") == 0;
	if (!c->list && !(def = action_find(kind))) {
		fprintf(stderr, "tokentop action: unknown kind '%s'; the kinds are:", kind);
		for (size_t i = 0; i < action_count; i++)
			fprintf(stderr, " %s", action_table[i].name);
		fprintf(stderr, " (and list)\n");
		free(c);
		return EXIT_USAGE;
	}
	action_req_init(&c->req, def);
	int rc = EXIT_USAGE, opt;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt >= 0 && opt < ACTION_P_COUNT) {
			if (c->list || action_param_set(&c->req, (action_param)opt, optarg, c->err,
			                                sizeof c->err)) {
				fprintf(stderr, "tokentop action: %s\n",
				        c->list ? "list takes no action parameters" : c->err);
				goto out;
			}
			continue;
		}
		switch (opt) {
		case OPT_GATEWAY:
			gw_name = optarg;
			break;
		case OPT_SCOPE:
			if (action_scope_parse(&c->req, optarg, c->err, sizeof c->err)) {
				fprintf(stderr, "tokentop action: %s\n", c->err);
				goto out;
			}
			break;
		case OPT_REASON:
			snprintf(c->req.reason, sizeof c->req.reason, "%s", optarg);
			if (strlen(optarg) >= sizeof c->req.reason) {
				fprintf(stderr, "tokentop action: --reason: at most %zu bytes\n",
				        sizeof c->req.reason - 1);
				goto out;
			}
			break;
		case OPT_EXPIRES:
			expires = optarg;
			break;
		case OPT_DRY_RUN:
			c->dry_run = true;
			break;
		case OPT_YES:
			c->yes = true;
			break;
		case OPT_AS:
			as = optarg;
			break;
		case OPT_CONFIG:
			cfg_path = optarg;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_READONLY:
			readonly = true;
			break;
		case OPT_AUDIT_KEY:
			audit_key = optarg;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_TIMEOUT:
			if (time_parse_duration(optarg, &timeout_ms)) {
				fprintf(
				    stderr,
				    "tokentop action: --timeout: expected a duration like 10s\n");
				goto out;
			}
			break;
		case OPT_HELP:
		case 'h':
			action_usage(stdout);
			rc = EXIT_OK;
			goto out;
		default:
			action_usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop action: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	if (!gw_name) {
		fprintf(stderr, "tokentop action: --gateway NAME is required (a [gateway NAME] "
		                "section of the config file)\n");
		goto out;
	}
	/* the role belongs to the OS user, whatever --as says */
	app_identity who;
	app_whoami(&who, NULL); /* the role is [access]'s, below */
	const char *user = who.actor, *host = who.host;
	if (as && (!*as || strlen(as) > 63)) {
		fprintf(stderr, "tokentop action: --as: give a name of 1 to 63 bytes\n");
		goto out;
	}
	if (as)
		snprintf(c->req.actor, sizeof c->req.actor, "%.60s (as %.60s)", user, as);
	else
		snprintf(c->req.actor, sizeof c->req.actor, "%.60s", user);
	if (expires && action_parse_expires(expires, time_now_ms(), &c->req.expires_ms, c->err,
	                                    sizeof c->err)) {
		fprintf(stderr, "tokentop action: %s\n", c->err);
		goto out;
	}

	rc = EXIT_FAIL;
	tt_config cfg;
	if (config_open(cfg_path, &cfg)) {
		free(c);
		return EXIT_FAIL;
	}
	const policy_access *access = cfg.naccess ? cfg.access : NULL;
	if (readonly || (access && access->readonly))
		policy_set_readonly();
	store *st = NULL;
	audit *log = NULL;
	char token[4096] = "";
	const gateway_spec *g = find_gateway(&cfg, gw_name);
	if (!g) {
		fprintf(stderr, "tokentop action: no [gateway %s] in %s\n", gw_name,
		        cfg.path[0] ? cfg.path : "the config file (there is none; docs/config.md)");
		goto done;
	}
	if (!c->list && !c->dry_run && policy_readonly()) {
		policy_check(def, ROLE_ADMIN, user, c->err, sizeof c->err);
		fprintf(stderr, "tokentop action: %s; nothing was sent\n", c->err);
		goto done;
	}
	if (config_token(g->token_env, g->token_file, token, sizeof token, c->err, sizeof c->err)) {
		fprintf(stderr, "tokentop action: [gateway %s]: %s\n", g->name, c->err);
		goto done;
	}
	if (!(st = app_open_store(db, false)))
		goto done;
	if (!c->dry_run && !(log = app_open_audit(st, audit_key)))
		goto done;
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&c->loop);
	http_client *http = http_client_new(&c->loop);
	if (!http) {
		fprintf(stderr, "tokentop action: out of memory\n");
		uv_loop_close(&c->loop);
		goto done;
	}
	int has_userpwd =
	    http_url_split(g->url, c->url, sizeof c->url, c->userpwd, sizeof c->userpwd);
	c->gw = (action_gateway){.name = g->name,
	                         .url = c->url,
	                         .userpwd = has_userpwd > 0 ? c->userpwd : NULL,
	                         .dialect = g->dialect == GATEWAY_LITELLM ? ACTION_DIALECT_LITELLM
	                                                                  : ACTION_DIALECT_TOKENTOP,
	                         .token = token,
	                         .production = g->production,
	                         .insecure = g->insecure,
	                         .timeout_ms = (long)timeout_ms};
	c->env = (action_env){.http = http,
	                      .log = log,
	                      .st = st,
	                      .user = user,
	                      .as_name = as,
	                      .host = host,
	                      .role = policy_role_of(access, user),
	                      .clock = cli_clock};
	if (log) {
		if (action_reconcile_start(&c->env, &c->gw, on_reconciled, c, c->err,
		                           sizeof c->err)) {
			fprintf(stderr, "tokentop action: %s\n", c->err);
			run_command(c);
		}
	} else {
		run_command(c);
	}
	uv_run(&c->loop, UV_RUN_DEFAULT);
	http_client_free(http);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	rc = c->rc;
done:
	memset(token, 0, sizeof token); /* the token does not linger */
	audit_close(log);
	store_close(st);
	config_free(&cfg);
out:
	free(c);
	return rc;
}
