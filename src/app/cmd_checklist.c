/* tokentop checklist: a launch-readiness checklist for one use case, checked and signed off. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <jansson.h>

#include "tokentop/money.h"
#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/gwstate.h"
#include "tokentop/timeutil.h"
#include "tokentop/ui.h"
#include "tokentop/view.h"

#define DAY_MS        86400000LL
#define WINDOW_MS     (30 * DAY_MS) /* what "recent" means for events and drills */
#define HEALTH_MAX_MS (5 * 60000LL) /* a health answer older than this is stale */
#define ID_CAP        64
#define TEXT_CAP      256
#define LIST_CAP      1024
#define EVIDENCE_CAP  1024
#define DRILLS_MAX    64 /* kill switches on one use case in 30 days that a lift can match */

/* ---- the checklist file ---- */

typedef struct ck_signoff {
	char *name, *comment;
	int64_t ts_ms;
	int64_t seq;
} ck_signoff;

typedef struct ck_item {
	char id[ID_CAP];
	char title[TEXT_CAP];
	char check[ID_CAP]; /* "" for a sign-off item */
	bool signoff;
	int line; /* of its section, for messages */
	/* the outcome */
	const char *state; /* pass | fail | signed | pending */
	char evidence[EVIDENCE_CAP];
	ck_signoff *signoffs;
	size_t nsignoffs;
} ck_item;

typedef struct checklist {
	const char *file;
	char title[TEXT_CAP];
	char allow_models[LIST_CAP]; /* provider/model or model, separated by commas */
	ck_item *items;
	size_t n;
	char err[512];
	int line;         /* the line being read, tracked by the reader */
	int section_line; /* of the last [section] line */
} checklist;

/* What a check reads: the config, the last 30 days of the use case, the audit log, the card. */
typedef struct ck_ctx {
	const char *use_case;
	int64_t now_ms;
	const checklist *cl;
	const tt_config *cfg;
	store *st;
	audit *log;
	const view_cube *cube;
	const ratecard *card;
} ck_ctx;

typedef bool (*ck_check_fn)(const ck_ctx *c, char *ev, size_t cap);

/* ---- evidence helpers ---- */

static void ev_add(char *ev, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ev_add(char *ev, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(ev);
	if (n >= cap - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev + n, cap - n, fmt, ap);
	va_end(ap);
}

static bool is_use_case(const ck_ctx *c, size_t id)
{
	const char *u = c->cube->dims[id][TT_D_USE_CASE];
	return u && strcmp(u, c->use_case) == 0 && c->cube->m[id][TT_M_REQUESTS] > 0;
}

static int64_t use_case_requests(const ck_ctx *c)
{
	int64_t n = 0;
	for (size_t id = 1; id < c->cube->ndims; id++)
		if (is_use_case(c, id))
			n += c->cube->m[id][TT_M_REQUESTS];
	return n;
}

/* ---- the automatic checks ---- */

/* SLO sections that cover the use case, by name into ev; how many. */
static size_t slos_covering(const ck_ctx *c, char *ev, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < c->cfg->nslos; i++) {
		const slo_spec *s = &c->cfg->slos[i];
		if (strcmp(s->use_case, c->use_case) && strcmp(s->use_case, "*"))
			continue;
		ev_add(ev, cap, "%s[slo %s] %s %.4g%% over %lldd", k++ ? ", " : "", s->name,
		       slo_sli_name(s->sli), (double)s->objective_ppm / 10000.0,
		       (long long)(s->period_ms / DAY_MS));
	}
	return k;
}

static bool check_slo(const ck_ctx *c, char *ev, size_t cap)
{
	if (slos_covering(c, ev, cap))
		return true;
	snprintf(ev, cap, "no [slo] section in %s has use_case = %s or *",
	         *c->cfg->path ? c->cfg->path : "the configuration", c->use_case);
	return false;
}

/* Burn-rate alerts follow from an SLO (docs/alerts.md): page on 1h+5m, ticket on 6h+30m. */
static bool check_alerts(const ck_ctx *c, char *ev, size_t cap)
{
	ev_add(ev, cap, "burn-rate alerts (page, ticket) from ");
	if (slos_covering(c, ev, cap))
		return true;
	snprintf(ev, cap, "no SLO covers %s, so no burn-rate alert is configured for it",
	         c->use_case);
	return false;
}

static bool team_of_use_case(const ck_ctx *c, const char *team)
{
	for (size_t id = 1; id < c->cube->ndims; id++) {
		const char *t = c->cube->dims[id][TT_D_TEAM];
		if (is_use_case(c, id) && t && strcmp(t, team) == 0)
			return true;
	}
	return false;
}

static bool check_budget(const ck_ctx *c, char *ev, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < c->cfg->nbudgets; i++) {
		const budget_spec *b = &c->cfg->budgets[i];
		const char *why = NULL;
		if (b->scope.all)
			why = "every use case";
		else if (b->scope.dim == TT_D_USE_CASE && strcmp(b->scope.value, c->use_case) == 0)
			why = "the use case";
		else if (b->scope.dim == TT_D_TEAM && team_of_use_case(c, b->scope.value))
			why = "its team";
		if (!why)
			continue;
		char scope[160];
		budget_scope_format(&b->scope, scope, sizeof scope);
		char amount[40];
		money_format(b->amount_nanos, amount, sizeof amount);
		ev_add(ev, cap, "%s[budget %s] %s (%s), %s USD a %s", k++ ? ", " : "", b->name,
		       scope, why, amount, budget_period_name(b->period));
	}
	if (!k)
		snprintf(ev, cap,
		         "no [budget] has scope *, use_case=%s or the team of its events in the "
		         "last 30 days",
		         c->use_case);
	return k > 0;
}

static bool check_prompt_versions(const ck_ctx *c, char *ev, size_t cap)
{
	int64_t total = use_case_requests(c), bare = 0;
	for (size_t id = 1; id < c->cube->ndims; id++) {
		const char *v = c->cube->dims[id][TT_D_PROMPT_VERSION];
		if (is_use_case(c, id) && (!v || !*v))
			bare += c->cube->m[id][TT_M_REQUESTS];
	}
	if (!total) {
		snprintf(ev, cap, "no events of %s in the last 30 days to check", c->use_case);
		return false;
	}
	if (bare)
		snprintf(ev, cap,
		         "%" PRId64 " of %" PRId64 " events in 30 days carry no prompt version",
		         bare, total);
	else
		snprintf(ev, cap, "all %" PRId64 " events in 30 days carry a prompt version",
		         total);
	return bare == 0;
}

/* The drill: an applied kill switch on the use case, then an applied lift of that control. */
typedef struct drill {
	char scope[TT_NAME_CAP + 16];
	char kill_ids[DRILLS_MAX][64];
	int64_t kill_ms[DRILLS_MAX];
	size_t nkills;
	char found[EVIDENCE_CAP];
} drill;

static bool applied(const audit_record *r)
{
	return strcmp(r->status, "applied") == 0 &&
	       (strcmp(r->kind, "action") == 0 || strcmp(r->kind, "reconcile") == 0);
}

static int drill_scan(void *ctx, const audit_record *r)
{
	drill *d = ctx;
	if (!applied(r) || !*r->control_id)
		return 0;
	if (strcmp(r->action, "kill-switch") == 0 && strcmp(r->scope, d->scope) == 0) {
		size_t i = d->nkills < DRILLS_MAX ? d->nkills++ : DRILLS_MAX - 1;
		snprintf(d->kill_ids[i], sizeof d->kill_ids[i], "%s", r->control_id);
		d->kill_ms[i] = r->ts_ms;
		return 0;
	}
	if (strcmp(r->action, "lift") != 0)
		return 0;
	for (size_t i = 0; i < d->nkills; i++)
		if (strcmp(d->kill_ids[i], r->control_id) == 0) {
			char a[40], b[40];
			time_format_iso(d->kill_ms[i], a, sizeof a);
			time_format_iso(r->ts_ms, b, sizeof b);
			snprintf(
			    d->found, sizeof d->found,
			    "kill-switch %s on %s applied %s (audit) and lifted %s (audit #%" PRId64
			    ")",
			    r->control_id, d->scope, a, b, r->seq);
		}
	return 0;
}

static bool check_kill_switch_drill(const ck_ctx *c, char *ev, size_t cap)
{
	drill d = {.nkills = 0};
	snprintf(d.scope, sizeof d.scope, "use_case=%s", c->use_case);
	audit_each(c->log, c->now_ms - WINDOW_MS, drill_scan, &d);
	if (*d.found) {
		snprintf(ev, cap, "%s", d.found);
		return true;
	}
	if (d.nkills)
		snprintf(ev, cap,
		         "kill-switch %s on %s was applied in the last 30 days but not lifted: "
		         "run 'tokentop action lift --id %s'",
		         d.kill_ids[d.nkills - 1], d.scope, d.kill_ids[d.nkills - 1]);
	else
		snprintf(ev, cap,
		         "no applied kill-switch on %s in the audit log of the last 30 days: drill "
		         "it with 'tokentop action kill-switch --scope %s', then lift it",
		         d.scope, d.scope);
	return false;
}

static bool check_sources_healthy(const ck_ctx *c, char *ev, size_t cap)
{
	if (!c->cfg->ngateways) {
		snprintf(ev, cap, "no [gateway] is configured");
		return false;
	}
	view_gwstate v;
	char err[512];
	if (view_gwstate_build(c->st, c->now_ms, &v, err, sizeof err)) {
		snprintf(ev, cap, "the gateway state could not be read: %s", err);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < c->cfg->ngateways; i++) {
		const char *name = c->cfg->gateways[i].name;
		const view_gateway *g = NULL;
		for (size_t j = 0; j < v.n; j++)
			if (strcmp(v.gateways[j].source, name) == 0)
				g = &v.gateways[j];
		const char *sep = i ? "; " : "";
		if (!g || !g->health_ms) {
			ev_add(ev, cap, "%s%s: no /v1/health answer (run tokentop sync)", sep,
			       name);
			ok = false;
			continue;
		}
		int64_t age = (c->now_ms - g->health_ms) / 1000;
		bool fresh = c->now_ms - g->health_ms < HEALTH_MAX_MS;
		ev_add(ev, cap, "%s%s: health %" PRId64 "s old%s", sep, name, age,
		       fresh ? "" : " (stale: over 5 minutes)");
		ok = ok && fresh;
	}
	view_gwstate_free(&v);
	return ok;
}

static bool model_listed(const char *list, const char *provider, const char *model)
{
	char full[TT_NAME_CAP + TT_MODEL_CAP + 2];
	snprintf(full, sizeof full, "%s/%s", provider, model);
	const char *p = list;
	while (*p) {
		p += strspn(p, " ,\t");
		size_t n = strcspn(p, ",");
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if ((m == strlen(model) && !strncmp(p, model, m)) ||
		    (m == strlen(full) && !strncmp(p, full, m)))
			return true;
		p += n;
	}
	return false;
}

static bool check_models_allowed(const ck_ctx *c, char *ev, size_t cap)
{
	if (!*c->cl->allow_models) {
		snprintf(ev, cap,
		         "%s has no allow_models: add 'allow_models = provider/model, ...' "
		         "under [checklist]",
		         c->cl->file);
		return false;
	}
	/* each (provider, model) once: the cube has a row per dimension tuple */
	char seen[64][TT_NAME_CAP + TT_MODEL_CAP + 2];
	size_t nseen = 0, bad = 0;
	for (size_t id = 1; id < c->cube->ndims; id++) {
		if (!is_use_case(c, id))
			continue;
		const char *prov = c->cube->dims[id][TT_D_PROVIDER],
		           *mod = c->cube->dims[id][TT_D_MODEL];
		char full[sizeof seen[0]];
		snprintf(full, sizeof full, "%s/%s", prov ? prov : "", mod ? mod : "");
		bool dup = false;
		for (size_t k = 0; k < nseen && !dup; k++)
			dup = strcmp(seen[k], full) == 0;
		if (dup || nseen == 64)
			continue;
		snprintf(seen[nseen++], sizeof seen[0], "%s", full);
		bool listed = model_listed(c->cl->allow_models, prov ? prov : "", mod ? mod : "");
		bool priced = c->card &&
		              ratecard_lookup(c->card, prov ? prov : "", mod ? mod : "", c->now_ms);
		ev_add(ev, cap, "%s%s%s%s", nseen > 1 ? ", " : "", full,
		       listed ? "" : " (not allowed)",
		       priced ? "" : " (no price in the rate card)");
		bad += !listed || !priced;
	}
	if (!nseen) {
		snprintf(ev, cap, "no events of %s in the last 30 days to check", c->use_case);
		return false;
	}
	return bad == 0;
}

typedef struct ck_check {
	const char *name;
	ck_check_fn fn;
	const char *what;
} ck_check;

static const ck_check checks[] = {
    {"slo", check_slo, "an [slo] section covers the use case (or *)"},
    {"budget", check_budget, "a [budget] covers it: *, use_case=X or its team"},
    {"prompt_versions", check_prompt_versions,
     "every event of it in the last 30 days carries a prompt version"},
    {"kill_switch_drill", check_kill_switch_drill,
     "a kill switch on it was applied and lifted in the last 30 days (audit log)"},
    {"sources_healthy", check_sources_healthy,
     "every configured gateway answered /v1/health under 5 minutes ago"},
    {"alerts", check_alerts, "burn-rate alerts exist for it (an SLO covers it)"},
    {"models_allowed", check_models_allowed,
     "every model it used in 30 days is on allow_models and priced in the rate card"},
};
#define NCHECKS (sizeof checks / sizeof checks[0])

static const ck_check *check_find(const char *name)
{
	for (size_t i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].name, name) == 0)
			return &checks[i];
	return NULL;
}

/* ---- reading the file: libinih gives the keys, a table gives them meaning ---- */

typedef int (*ck_key_fn)(checklist *cl, ck_item *it, const char *v);

static int key_text(char *field, size_t cap, const char *v, checklist *cl)
{
	if (*field) {
		snprintf(cl->err, sizeof cl->err, "given twice; keep one line");
		return -1;
	}
	if (!*v || strlen(v) >= cap) {
		snprintf(cl->err, sizeof cl->err, "'%s' is not 1 to %zu characters", v, cap - 1);
		return -1;
	}
	snprintf(field, cap, "%s", v);
	return 0;
}

static int k_list_title(checklist *cl, ck_item *it, const char *v)
{
	(void)it;
	return key_text(cl->title, sizeof cl->title, v, cl);
}

static int k_allow_models(checklist *cl, ck_item *it, const char *v)
{
	(void)it;
	return key_text(cl->allow_models, sizeof cl->allow_models, v, cl);
}

static int k_title(checklist *cl, ck_item *it, const char *v)
{
	return key_text(it->title, sizeof it->title, v, cl);
}

static int k_check(checklist *cl, ck_item *it, const char *v)
{
	if (*it->check) {
		snprintf(cl->err, sizeof cl->err, "given twice; an item has one check");
		return -1;
	}
	if (!check_find(v)) {
		size_t n = (size_t)snprintf(cl->err, sizeof cl->err,
		                            "unknown check '%s'; the checks are", v);
		for (size_t i = 0; i < NCHECKS && n < sizeof cl->err; i++)
			n += (size_t)snprintf(cl->err + n, sizeof cl->err - n, "%s %s",
			                      i ? "," : "", checks[i].name);
		return -1;
	}
	snprintf(it->check, sizeof it->check, "%s", v);
	return 0;
}

static int k_signoff(checklist *cl, ck_item *it, const char *v)
{
	if (strcmp(v, "yes")) {
		snprintf(cl->err, sizeof cl->err,
		         "'%s': write 'signoff = yes', or remove the line and give 'check = NAME'",
		         v);
		return -1;
	}
	it->signoff = true;
	return 0;
}

typedef struct ck_key {
	bool item; /* under [item ID]; else under [checklist] */
	const char *name;
	ck_key_fn fn;
} ck_key;

static const ck_key keys[] = {
    {false, "title", k_list_title}, {false, "allow_models", k_allow_models},
    {true, "title", k_title},       {true, "check", k_check},
    {true, "signoff", k_signoff},
};

static ck_item *item_get(checklist *cl, const char *id)
{
	for (size_t i = 0; i < cl->n; i++)
		if (strcmp(cl->items[i].id, id) == 0)
			return &cl->items[i];
	if (!*id || strlen(id) >= ID_CAP ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(id)) {
		snprintf(cl->err, sizeof cl->err,
		         "item id '%s' must be 1 to %d of a-z, 0-9, '-', '_', '.'", id, ID_CAP - 1);
		return NULL;
	}
	ck_item *grown = realloc(cl->items, (cl->n + 1) * sizeof *grown);
	if (!grown) {
		snprintf(cl->err, sizeof cl->err, "out of memory");
		return NULL;
	}
	cl->items = grown;
	ck_item *it = &grown[cl->n++];
	memset(it, 0, sizeof *it);
	snprintf(it->id, sizeof it->id, "%s", id);
	it->line = cl->section_line;
	return it;
}

/* Returns 0 (libinih then reports the line) with cl->err set when the key is wrong. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	checklist *cl = user;
	ck_item *it = NULL;
	bool item = strncmp(section, "item ", 5) == 0;
	if (!item && strcmp(section, "checklist")) {
		snprintf(cl->err, sizeof cl->err,
		         "unknown section [%s]; the sections are [checklist] and [item ID]",
		         section);
		return 0;
	}
	if (item && !(it = item_get(cl, section + 5)))
		return 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].item == item && strcmp(keys[i].name, name) == 0) {
			char why[sizeof cl->err];
			if (keys[i].fn(cl, it, value) == 0)
				return 1;
			snprintf(why, sizeof why, "%s", cl->err);
			snprintf(cl->err, sizeof cl->err, "[%.60s] key '%.40s': %.380s", section,
			         name, why);
			return 0;
		}
	snprintf(cl->err, sizeof cl->err, "[%s]: unknown key '%s'; the keys are %s", section, name,
	         item ? "title, check, signoff" : "title, allow_models");
	return 0;
}

/* A line reader that counts lines, so an item knows where it starts. */
static char *read_line(char *buf, int cap, void *stream)
{
	checklist *cl = *(checklist **)stream;
	FILE *fp = ((FILE **)stream)[1];
	char *r = fgets(buf, cap, fp);
	if (r) {
		cl->line++;
		if (buf[strspn(buf, " \t")] == '[')
			cl->section_line = cl->line;
	}
	return r;
}

static void checklist_free(checklist *cl)
{
	for (size_t i = 0; i < cl->n; i++) {
		for (size_t k = 0; k < cl->items[i].nsignoffs; k++)
			free(cl->items[i].signoffs[k].name), free(cl->items[i].signoffs[k].comment);
		free(cl->items[i].signoffs);
	}
	free(cl->items);
}

/* Reads FILE; prints file:line and the fix and returns -1 when something is wrong. */
static int checklist_load(const char *file, checklist *cl)
{
	memset(cl, 0, sizeof *cl);
	cl->file = file;
	FILE *fp = fopen(file, "r");
	if (!fp) {
		fprintf(stderr, "tokentop checklist: %s: cannot read it (%m)\n", file);
		return -1;
	}
	void *stream[2] = {cl, fp};
	int rc = ini_parse_stream(read_line, stream, on_key, cl);
	fclose(fp);
	if (rc) {
		fprintf(stderr, "tokentop checklist: %s:%d: %s\n", file, rc > 0 ? rc : 0,
		        *cl->err ? cl->err : "not an INI line: write [section] or key = value");
		return -1;
	}
	if (!cl->n) {
		fprintf(stderr, "tokentop checklist: %s:1: no items: add [item ID] sections\n",
		        file);
		return -1;
	}
	for (size_t i = 0; i < cl->n; i++) {
		ck_item *it = &cl->items[i];
		const char *why =
		    !*it->title                   ? "missing key 'title': add 'title = ...'"
		    : !*it->check && !it->signoff ? "give 'check = NAME' or 'signoff = yes'"
		    : *it->check && it->signoff ? "give 'check = NAME' or 'signoff = yes', not both"
		                                : NULL;
		if (why) {
			fprintf(stderr, "tokentop checklist: %s:%d: [item %s]: %s\n", file,
			        it->line, it->id, why);
			return -1;
		}
	}
	return 0;
}

/* ---- sign-offs from the audit log ---- */

typedef struct so_scan {
	checklist *cl;
	char scope[TT_NAME_CAP + 16];
} so_scan;

static int signoff_scan(void *ctx, const audit_record *r)
{
	so_scan *s = ctx;
	if (strcmp(r->kind, "signoff") || strcmp(r->scope, s->scope))
		return 0;
	for (size_t i = 0; i < s->cl->n; i++) {
		ck_item *it = &s->cl->items[i];
		if (strcmp(it->id, r->action))
			continue;
		ck_signoff *g = realloc(it->signoffs, (it->nsignoffs + 1) * sizeof *g);
		if (!g)
			return -1;
		it->signoffs = g;
		g[it->nsignoffs++] = (ck_signoff){
		    .name = strdup(*r->as_name ? r->as_name : r->actor),
		    .comment = strdup(r->reason),
		    .ts_ms = r->ts_ms,
		    .seq = r->seq,
		};
	}
	return 0;
}

/* ---- output ---- */

typedef enum { FMT_TEXT, FMT_MD, FMT_JSON } ck_format;

static void evaluate(checklist *cl, const ck_ctx *c)
{
	for (size_t i = 0; i < cl->n; i++) {
		ck_item *it = &cl->items[i];
		it->evidence[0] = 0;
		if (*it->check) {
			bool ok = check_find(it->check)->fn(c, it->evidence, sizeof it->evidence);
			it->state = ok ? "pass" : "fail";
		} else if (it->nsignoffs) {
			ck_signoff *s = &it->signoffs[it->nsignoffs - 1];
			char t[40];
			time_format_iso(s->ts_ms, t, sizeof t);
			it->state = "signed";
			snprintf(it->evidence, sizeof it->evidence,
			         "signed by %s at %s: %s (audit #%" PRId64 ")", s->name, t,
			         s->comment, s->seq);
		} else {
			it->state = "pending";
			snprintf(it->evidence, sizeof it->evidence,
			         "sign it with: tokentop checklist %s --use-case %s --sign %s "
			         "--comment TEXT",
			         cl->file, c->use_case, it->id);
		}
	}
}

static bool all_done(const checklist *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		if (strcmp(cl->items[i].state, "pass") && strcmp(cl->items[i].state, "signed"))
			return false;
	return true;
}

static void print_text(const checklist *cl, const ck_ctx *c, bool md)
{
	const char *title = *cl->title ? cl->title : cl->file;
	size_t done = 0;
	for (size_t i = 0; i < cl->n; i++)
		done +=
		    !strcmp(cl->items[i].state, "pass") || !strcmp(cl->items[i].state, "signed");
	char now[40];
	time_format_iso(c->now_ms, now, sizeof now);
	if (md)
		printf("# %s: %s\n\n%zu of %zu items done, at %s.\n\n| item | title | state | "
		       "evidence |\n|---|---|---|---|\n",
		       title, c->use_case, done, cl->n, now);
	else
		printf("%s: %s (%zu of %zu done, at %s)\n\n", title, c->use_case, done, cl->n, now);
	for (size_t i = 0; i < cl->n; i++) {
		const ck_item *it = &cl->items[i];
		if (md) {
			printf("| %s | %s | **%s** | ", it->id, it->title, it->state);
			for (const char *p = it->evidence; *p; p++)
				fputs(*p == '|' ? "\\|" : (char[2]){*p, 0}, stdout);
			printf(" |\n");
			continue;
		}
		printf("[%-7s] %-18s %s\n          %s: %s\n", it->state, it->id, it->title,
		       *it->check ? it->check : "sign-off", it->evidence);
		for (size_t k = 0; k + 1 < it->nsignoffs; k++) {
			char t[40];
			time_format_iso(it->signoffs[k].ts_ms, t, sizeof t);
			printf("          earlier: %s at %s: %s\n", it->signoffs[k].name, t,
			       it->signoffs[k].comment);
		}
	}
	if (!md)
		printf("\n%s\n", all_done(cl)
		                     ? "ready: every item passes or is signed"
		                     : "not ready: some items fail or wait for a sign-off");
}

static void print_json(const checklist *cl, const ck_ctx *c)
{
	char now[40];
	time_format_iso(c->now_ms, now, sizeof now);
	json_t *items = json_array();
	for (size_t i = 0; i < cl->n; i++) {
		const ck_item *it = &cl->items[i];
		json_t *so = json_array();
		for (size_t k = 0; k < it->nsignoffs; k++) {
			char t[40];
			time_format_iso(it->signoffs[k].ts_ms, t, sizeof t);
			json_array_append_new(
			    so, json_pack("{s:s, s:s, s:s, s:I}", "name", it->signoffs[k].name,
			                  "time", t, "comment", it->signoffs[k].comment, "seq",
			                  (json_int_t)it->signoffs[k].seq));
		}
		json_array_append_new(
		    items, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:o}", "id", it->id, "title",
		                     it->title, "check", *it->check ? it->check : NULL, "state",
		                     it->state, "evidence", it->evidence, "signoffs", so));
	}
	json_t *doc =
	    json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "checklist", cl->file, "title", cl->title,
	              "use_case", c->use_case, "at", now, "ready", all_done(cl), "items", items);
	json_dumpf(doc, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(doc);
}

/* ---- the command ---- */

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop checklist FILE --use-case X [--format text|md|json]\n"
	    "                          [--db FILE] [--config FILE] [--ratecard FILE]\n"
	    "       tokentop checklist FILE --use-case X --sign ITEM --comment TEXT [--as NAME]\n"
	    "                          [--db FILE] [--secret FILE]\n\n"
	    "Walks a launch-readiness checklist (an INI file, docs/checklist.md) for one use\n"
	    "case: automatic items are checked from the configuration, the last 30 days of\n"
	    "events, the gateway state and the audit log, with the evidence shown; the rest\n"
	    "are signed off by a person, recorded in the audit log. Exit status 0 only when\n"
	    "every item passes or is signed.\n\n"
	    "  --use-case X    the use case to check (required)\n"
	    "  --format F      text (default), md or json\n"
	    "  --sign ITEM     record a sign-off of ITEM (a 'signoff = yes' item)\n"
	    "  --comment TEXT  what was verified (required with --sign)\n"
	    "  --as NAME       the person signing, recorded beside the OS user\n"
	    "  --db FILE       the database (default: the user's cache)\n"
	    "  --config FILE   tokentop.ini (default: the user's, when present)\n"
	    "  --ratecard FILE the rate card models must be priced in\n"
	    "  --secret FILE   the audit key file\n"
	    "  -h, --help      this help\n\n"
	    "Checks (check = NAME):\n");
	for (size_t i = 0; i < NCHECKS; i++)
		fprintf(out, "  %-18s %s\n", checks[i].name, checks[i].what);
}

typedef struct ck_opts {
	const char *file, *use_case, *format, *db, *config, *ratecard, *secret;
	const char *sign, *comment, *as;
} ck_opts;

static int sign_item(const ck_opts *o, const checklist *cl, const tt_config *cfg, audit *log)
{
	const ck_item *it = NULL;
	for (size_t i = 0; i < cl->n; i++)
		if (strcmp(cl->items[i].id, o->sign) == 0)
			it = &cl->items[i];
	if (!it) {
		fprintf(stderr, "tokentop checklist: --sign %s: %s has no [item %s]; its items are",
		        o->sign, cl->file, o->sign);
		for (size_t i = 0; i < cl->n; i++)
			fprintf(stderr, "%s %s", i ? "," : "", cl->items[i].id);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	if (!it->signoff) {
		fprintf(stderr,
		        "tokentop checklist: --sign %s: %s:%d: the item is checked automatically "
		        "(check = %s); only 'signoff = yes' items are signed\n",
		        o->sign, cl->file, it->line, it->check);
		return EXIT_USAGE;
	}
	const char *texts[] = {o->comment, o->as};
	for (size_t i = 0; i < 2; i++) {
		json_t *j = texts[i] ? json_string(texts[i]) : NULL;
		if (texts[i] && !j) {
			fprintf(stderr, "tokentop checklist: %s is not UTF-8 text\n",
			        i ? "--as" : "--comment");
			return EXIT_USAGE;
		}
		json_decref(j);
	}
	char scope[TT_NAME_CAP + 16], params[512];
	snprintf(scope, sizeof scope, "use_case=%s", o->use_case);
	json_t *p = json_pack("{s:s, s:s}", "checklist", cl->file, "title", it->title);
	char *ps = json_dumps(p, JSON_COMPACT);
	snprintf(params, sizeof params, "%s", ps ? ps : "{}");
	free(ps);
	json_decref(p);
	/* the role [access] gives the OS user, whatever --as says, as for actions */
	app_identity who;
	app_whoami(&who, cfg->naccess ? cfg->access : NULL);
	audit_record r = {.actor = who.actor,
	                  .as_name = o->as,
	                  .role = who.role,
	                  .host = who.host,
	                  .kind = "signoff",
	                  .action = it->id,
	                  .scope = scope,
	                  .params = params,
	                  .reason = o->comment,
	                  .status = "recorded"};
	char err[512];
	if (audit_append(log, &r, err, sizeof err)) {
		fprintf(stderr, "tokentop checklist: %s\n", err);
		return EXIT_FAIL;
	}
	printf("signed %s for %s as %s (audit #%" PRId64 ")\n", it->id, scope,
	       o->as ? o->as : who.actor, r.seq);
	return EXIT_OK;
}

static int parse_args(int argc, char **argv, ck_opts *o)
{
	static const struct option longs[] = {{"use-case", required_argument, NULL, 'u'},
	                                      {"format", required_argument, NULL, 'f'},
	                                      {"db", required_argument, NULL, 'd'},
	                                      {"config", required_argument, NULL, 'c'},
	                                      {"ratecard", required_argument, NULL, 'r'},
	                                      {"secret", required_argument, NULL, 'k'},
	                                      {"sign", required_argument, NULL, 's'},
	                                      {"comment", required_argument, NULL, 'm'},
	                                      {"as", required_argument, NULL, 'a'},
	                                      {"help", no_argument, NULL, 'h'},
	                                      {NULL, 0, NULL, 0}};
	struct {
		int opt;
		const char **field;
	} const fields[] = {{'u', &o->use_case}, {'f', &o->format},   {'d', &o->db},
	                    {'c', &o->config},   {'r', &o->ratecard}, {'k', &o->secret},
	                    {'s', &o->sign},     {'m', &o->comment},  {'a', &o->as}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return 1;
		}
		size_t i = 0;
		while (i < sizeof fields / sizeof fields[0] && fields[i].opt != ch)
			i++;
		if (i == sizeof fields / sizeof fields[0]) {
			usage(stderr);
			return -1;
		}
		*fields[i].field = optarg;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "tokentop checklist: give one checklist FILE (e.g. "
		                "fixtures/checklists/launch-readiness.ini)\n");
		return -1;
	}
	o->file = argv[optind];
	if (!o->use_case || !*o->use_case || strlen(o->use_case) >= TT_NAME_CAP) {
		fprintf(stderr, "tokentop checklist: --use-case X is required (the use case to "
		                "check, e.g. support-bot)\n");
		return -1;
	}
	if (o->sign && (!o->comment || !*o->comment)) {
		fprintf(stderr, "tokentop checklist: --sign needs --comment TEXT (what was "
		                "verified)\n");
		return -1;
	}
	if (!o->sign && (o->comment || o->as)) {
		fprintf(stderr, "tokentop checklist: --comment and --as go with --sign ITEM\n");
		return -1;
	}
	return 0;
}

int cmd_checklist(int argc, char **argv)
{
	ck_opts o = {.format = "text"};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	static const char *const fmts[] = {"text", "md", "json"};
	ck_format fmt = FMT_TEXT;
	while (fmt <= FMT_JSON && strcmp(fmts[fmt], o.format))
		fmt++;
	if (fmt > FMT_JSON) {
		fprintf(stderr, "tokentop checklist: --format %s: use text, md or json\n",
		        o.format);
		return EXIT_USAGE;
	}
	checklist cl;
	if (checklist_load(o.file, &cl)) {
		checklist_free(&cl);
		return EXIT_USAGE;
	}
	rc = EXIT_FAIL;
	tt_config cfg = {.path = ""};
	ratecard *card = NULL;
	view_cube cube = {.ndims = 0};
	bool have_cube = false, have_cfg = false;
	audit *log = NULL;
	store *st = app_open_store(o.db, !o.sign);
	if (!st)
		goto out;
	log = app_open_audit_as(st, o.secret, o.sign ? AUDIT_KEY_CREATE : AUDIT_KEY_NONE);
	if (!log)
		goto out;
	if (config_open(o.config, &cfg))
		goto out;
	have_cfg = true;
	if (o.sign) {
		rc = sign_item(&o, &cl, &cfg, log);
		goto out;
	}
	const char *card_path;
	if (app_load_ratecard(o.ratecard, &card, &card_path))
		goto out;
	int64_t now = app_now_ms();
	char err[512];
	if (view_cube_build(st, now - WINDOW_MS, now, false, &cube, err, sizeof err)) {
		fprintf(stderr, "tokentop checklist: %s\n", err);
		goto out;
	}
	have_cube = true;
	so_scan ss = {.cl = &cl};
	snprintf(ss.scope, sizeof ss.scope, "use_case=%s", o.use_case);
	if (audit_each(log, 0, signoff_scan, &ss)) {
		fprintf(stderr, "tokentop checklist: the audit log could not be read\n");
		goto out;
	}
	ck_ctx c = {.use_case = o.use_case,
	            .now_ms = now,
	            .cl = &cl,
	            .cfg = &cfg,
	            .st = st,
	            .log = log,
	            .cube = &cube,
	            .card = card};
	evaluate(&cl, &c);
	if (fmt == FMT_JSON)
		print_json(&cl, &c);
	else
		print_text(&cl, &c, fmt == FMT_MD);
	rc = all_done(&cl) ? EXIT_OK : EXIT_FAIL;
out:
	if (have_cube)
		view_cube_free(&cube);
	if (have_cfg)
		config_free(&cfg);
	ratecard_free(card);
	if (log)
		audit_close(log);
	if (st)
		store_close(st);
	checklist_free(&cl);
	return rc;
}

/* ---- the console's Checklist screen ---- */

struct app_checklist {
	checklist cl;
	const tt_config *cfg;
	const ratecard *card;
};

app_checklist *app_checklist_open(const char *file, const tt_config *cfg,
                                  const struct ratecard *card)
{
	app_checklist *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (checklist_load(file, &a->cl)) {
		checklist_free(&a->cl);
		free(a);
		return NULL;
	}
	a->cfg = cfg;
	a->card = card;
	return a;
}

void app_checklist_free(app_checklist *a)
{
	if (!a)
		return;
	checklist_free(&a->cl);
	free(a);
}

int app_checklist_default(char *buf, size_t cap)
{
	char cand[3][PATH_MAX];
	int n = 0;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg == '/')
		snprintf(cand[n++], PATH_MAX, "%s/tokentop/checklists/launch-readiness.ini", xdg);
	else if (home && *home)
		snprintf(cand[n++], PATH_MAX, "%s/.config/tokentop/checklists/launch-readiness.ini",
		         home);
	snprintf(cand[n++], PATH_MAX, "%s/checklists/launch-readiness.ini", TT_DATADIR);
	char exe[PATH_MAX - 64];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = 0;
		snprintf(cand[n++], PATH_MAX, "%s/../fixtures/checklists/launch-readiness.ini",
		         dirname(exe));
	}
	for (int i = 0; i < n; i++)
		if (access(cand[i], R_OK) == 0) {
			snprintf(buf, cap, "%s", cand[i]);
			return 0;
		}
	return -1;
}

int app_checklist_eval(void *ctx, struct store *st, const char *use_case, struct ui_check_row *rows,
                       size_t cap, char *err, size_t errlen)
{
	app_checklist *a = ctx;
	checklist *cl = &a->cl;
	for (size_t i = 0; i < cl->n; i++) { /* sign-offs are read afresh each time */
		ck_item *it = &cl->items[i];
		for (size_t k = 0; k < it->nsignoffs; k++) {
			free(it->signoffs[k].name);
			free(it->signoffs[k].comment);
		}
		free(it->signoffs);
		it->signoffs = NULL;
		it->nsignoffs = 0;
	}
	int64_t now = time_now_ms();
	view_cube cube;
	if (view_cube_build(st, now - WINDOW_MS, now, false, &cube, err, errlen))
		return -1;
	audit *log = audit_open_mode(st, NULL, AUDIT_KEY_NONE, err, errlen);
	if (!log) {
		view_cube_free(&cube);
		return -1;
	}
	so_scan ss = {.cl = cl};
	snprintf(ss.scope, sizeof ss.scope, "use_case=%s", use_case);
	int rc = audit_each(log, 0, signoff_scan, &ss);
	if (rc)
		snprintf(err, errlen, "the audit log could not be read");
	else {
		ck_ctx c = {.use_case = use_case,
		            .now_ms = now,
		            .cl = cl,
		            .cfg = a->cfg,
		            .st = st,
		            .log = log,
		            .cube = &cube,
		            .card = a->card};
		evaluate(cl, &c);
		for (size_t i = 0; i < cl->n && i < cap; i++) {
			const ck_item *it = &cl->items[i];
			snprintf(rows[i].id, sizeof rows[i].id, "%s", it->id);
			snprintf(rows[i].title, sizeof rows[i].title, "%s", it->title);
			snprintf(rows[i].state, sizeof rows[i].state, "%s", it->state);
			snprintf(rows[i].evidence, sizeof rows[i].evidence, "%.500s", it->evidence);
		}
	}
	audit_close(log);
	view_cube_free(&cube);
	return rc ? -1 : (int)(cl->n < cap ? cl->n : cap);
}
