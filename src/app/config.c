/* tokentop.ini: libinih reads the lines, tables of section kinds and keys give them meaning. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "tokentop/config.h"
#include "tokentop/money.h"
#include "tokentop/policy.h"
#include "tokentop/timeutil.h"

/* ---- value types: each parses and checks one value into its field ---- */

typedef int (*value_parse_fn)(const char *v, void *field, char *why, size_t whylen);

typedef struct value_type {
	value_parse_fn parse;
	const char *expect; /* what a good value looks like, for messages */
} value_type;

static int parse_use_case(const char *v, void *field, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= TT_NAME_CAP) {
		snprintf(why, whylen, "'%s' is not a use case name (1 to %d characters)", v,
		         TT_NAME_CAP - 1);
		return -1;
	}
	strcpy(field, v);
	return 0;
}

static int parse_sli(const char *v, void *field, char *why, size_t whylen)
{
	if (slo_sli_parse(v, field)) {
		snprintf(why, whylen, "unknown SLI '%s'", v);
		return -1;
	}
	return 0;
}

/* A percent strictly between 0 and 100 with up to four decimals, as parts per million. */
static int parse_objective(const char *v, void *field, char *why, size_t whylen)
{
	const char *dot = strchr(v, '.');
	int64_t x;
	if (strspn(v, "0123456789.") != strlen(v) || (dot && strlen(dot + 1) > 4) ||
	    money_parse_scaled(v, strlen(v), 4, &x) || x <= 0 || x >= 1000000) {
		snprintf(why, whylen,
		         "'%s' is not a percent between 0 and 100 (at most 4 decimals)", v);
		return -1;
	}
	*(int64_t *)field = x;
	return 0;
}

static int parse_period(const char *v, void *field, char *why, size_t whylen)
{
	int64_t ms;
	if (time_parse_duration(v, &ms) || ms < 3600000) {
		snprintf(why, whylen, "'%s' is not a duration of an hour or more", v);
		return -1;
	}
	*(int64_t *)field = ms;
	return 0;
}

static int parse_statuses(const char *v, void *field, char *why, size_t whylen)
{
	uint32_t mask = 0;
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", \t");
		tt_status st;
		if (n == 0 || event_status_parse(p, n, &st)) {
			snprintf(why, whylen, "'%.*s' is not a status", (int)(n ? n : strlen(p)),
			         p);
			return -1;
		}
		mask |= 1u << st;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',')
			p++;
	}
	if (!mask) {
		snprintf(why, whylen, "no statuses given");
		return -1;
	}
	*(uint32_t *)field = mask;
	return 0;
}

static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return -1;
	long long x = strtoll(v, &end, 10);
	if (*end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int parse_threshold(const char *v, void *field, char *why, size_t whylen)
{
	if (parse_int(v, 1, 86400000, field)) {
		snprintf(why, whylen, "'%s' is not a whole number of milliseconds (1 or more)", v);
		return -1;
	}
	return 0;
}

static int parse_scope(const char *v, void *field, char *why, size_t whylen)
{
	if (budget_scope_parse(v, field)) {
		snprintf(why, whylen, "'%s' is not a scope", v);
		return -1;
	}
	return 0;
}

static int parse_budget_period(const char *v, void *field, char *why, size_t whylen)
{
	if (budget_period_parse(v, field)) {
		snprintf(why, whylen, "unknown period '%s'", v);
		return -1;
	}
	return 0;
}

static int parse_amount(const char *v, void *field, char *why, size_t whylen)
{
	int64_t m;
	if (money_parse_usd(v, strlen(v), &m) || m <= 0 || strchr(v, 'e') || strchr(v, 'E')) {
		snprintf(why, whylen, "'%s' is not an amount of US dollars above 0", v);
		return -1;
	}
	*(int64_t *)field = m;
	return 0;
}

static int parse_pct(const char *v, void *field, char *why, size_t whylen)
{
	if (parse_int(v, 1, 1000, field)) {
		snprintf(why, whylen, "'%s' is not a whole percent from 1 to 1000", v);
		return -1;
	}
	return 0;
}

static const value_type t_use_case = {parse_use_case, "a use case name, or * for all"};
static const value_type t_sli = {parse_sli, "availability or latency"};
static const value_type t_objective = {parse_objective, "a percent, e.g. 99.5"};
static const value_type t_period = {parse_period, "a duration, e.g. 30d, 4w or 24h"};
static const value_type t_statuses = {
    parse_statuses, "statuses separated by commas, e.g. timeout,rate_limited,server_error"};
static const value_type t_threshold = {parse_threshold, "milliseconds, e.g. 2000"};
static const value_type t_scope = {
    parse_scope, "* or DIM=VALUE with DIM one of use_case, team, tenant, prompt_id, provider, "
                 "model, tier (e.g. team=support)"};
static const value_type t_budget_period = {parse_budget_period, "month, week or day"};
static const value_type t_amount = {parse_amount, "US dollars, e.g. 12000 or 99.50"};
static const value_type t_pct = {parse_pct, "a whole percent, e.g. 80"};

static int parse_url(const char *v, void *field, char *why, size_t whylen)
{
	if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
	    strlen(v) >= CONFIG_URL_CAP || strpbrk(v, " \t")) {
		snprintf(why, whylen, "'%s' is not an http:// or https:// URL", v);
		return -1;
	}
	strcpy(field, v);
	return 0;
}

static int parse_dialect(const char *v, void *field, char *why, size_t whylen)
{
	static const char *const names[] = {"tokentop", "litellm"};
	for (int i = 0; i < 2; i++)
		if (!strcmp(v, names[i])) {
			*(gateway_dialect *)field = (gateway_dialect)i;
			return 0;
		}
	snprintf(why, whylen, "unknown dialect '%s'", v);
	return -1;
}

static int parse_scrape_kind(const char *v, void *field, char *why, size_t whylen)
{
	static const char *const names[] = {"generic", "vllm", "tgi"}; /* prom_kind order */
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, names[i])) {
			*(int *)field = i;
			return 0;
		}
	snprintf(why, whylen, "unknown kind '%s'", v);
	return -1;
}

static int parse_env_name(const char *v, void *field, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= CONFIG_NAME_CAP ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v)) {
		snprintf(why, whylen, "'%s' is not an environment variable name", v);
		return -1;
	}
	strcpy(field, v);
	return 0;
}

static int parse_path(const char *v, void *field, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= CONFIG_PATH_CAP) {
		snprintf(why, whylen, "not a file path (1 to %d characters)", CONFIG_PATH_CAP - 1);
		return -1;
	}
	strcpy(field, v);
	return 0;
}

static int parse_interval(const char *v, void *field, char *why, size_t whylen)
{
	int64_t ms;
	if (time_parse_duration(v, &ms) || ms < 1000 || ms > 86400000) {
		snprintf(why, whylen, "'%s' is not a duration between 1s and 1d", v);
		return -1;
	}
	*(int64_t *)field = ms;
	return 0;
}

static int parse_since(const char *v, void *field, char *why, size_t whylen)
{
	int64_t ms;
	if (strlen(v) >= CONFIG_NAME_CAP || time_parse_since(v, time_now_ms(), &ms)) {
		snprintf(why, whylen, "'%s' is not a date (2026-12-01) or a duration back (7d)", v);
		return -1;
	}
	strcpy(field, v);
	return 0;
}

static int parse_reread(const char *v, void *field, char *why, size_t whylen)
{
	int64_t ms;
	if (time_parse_duration(v, &ms) || ms < 60000 || ms > 7 * 86400000LL) {
		snprintf(why, whylen, "'%s' is not a duration between 1m and 7d", v);
		return -1;
	}
	*(int64_t *)field = ms;
	return 0;
}

static int parse_yesno(const char *v, void *field, char *why, size_t whylen)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true")) {
		*(bool *)field = true;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false")) {
		*(bool *)field = false;
		return 0;
	}
	snprintf(why, whylen, "'%s' is not yes or no", v);
	return -1;
}

static int parse_page_limit(const char *v, void *field, char *why, size_t whylen)
{
	if (parse_int(v, 1, 5000, field)) {
		snprintf(why, whylen, "'%s' is not a count between 1 and 5000", v);
		return -1;
	}
	return 0;
}

static int parse_promql(const char *v, void *field, char *why, size_t whylen)
{
	if (!*v || strlen(v) >= CONFIG_QUERY_CAP) {
		snprintf(why, whylen, "not a PromQL expression (1 to %d characters)",
		         CONFIG_QUERY_CAP - 1);
		return -1;
	}
	strcpy(field, v);
	return 0;
}

static const value_type t_url = {parse_url, "a URL such as http://127.0.0.1:8080"};
static const value_type t_dialect = {parse_dialect, "tokentop or litellm"};
static const value_type t_scrape_kind = {parse_scrape_kind, "vllm, tgi or generic"};
static const value_type t_env = {parse_env_name, "a variable name, e.g. TOKENTOP_TOKEN"};
static const value_type t_path = {parse_path, "a file path, e.g. /etc/tokentop/token"};
static const value_type t_interval = {parse_interval, "a duration, e.g. 2s or 1m"};
static const value_type t_yesno = {parse_yesno, "yes or no"};
static const value_type t_since = {parse_since, "a date or a duration back, e.g. 7d"};
static const value_type t_reread = {parse_reread, "a duration, e.g. 2h"};
static const value_type t_page_limit = {parse_page_limit, "a count, e.g. 1000"};
static const value_type t_promql = {parse_promql, "a PromQL expression"};

/* ---- section kinds ---- */

typedef struct key_spec {
	const char *name;
	const value_type *type;
	bool required;
	size_t offset; /* of the field in the section's struct */
} key_spec;

typedef struct section_kind {
	const char *name;                 /* [NAME LABEL] */
	size_t size;                      /* of the section's struct */
	size_t list_offset, count_offset; /* of its array and count in tt_config */
	size_t label_offset, label_cap;   /* where LABEL goes */
	void (*defaults)(void *item);
	/* checks across keys once the section is read; returns the offending key or NULL */
	const char *(*check)(void *item, char *why, size_t whylen);
	const key_spec *keys;
	size_t nkeys;
	/* a section without a name ([access]): at most one in a file */
	bool singleton;
	/* keys not in keys[] (the user names of [access]); NULL: such a key is an error */
	int (*other_key)(void *item, const char *name, const char *value, char *why, size_t whylen);
	const char *other_expect; /* what such a key and its value look like */
} section_kind;

static void slo_defaults(void *item)
{
	slo_spec *s = item;
	s->period_ms = 30 * 86400000LL;
	s->bad_statuses =
	    1u << TT_STATUS_TIMEOUT | 1u << TT_STATUS_RATE_LIMITED | 1u << TT_STATUS_SERVER_ERROR;
	s->threshold_ms = -1;
}

static const char *slo_check(void *item, char *why, size_t whylen)
{
	slo_spec *s = item;
	if (s->sli == SLO_LATENCY && s->threshold_ms < 0) {
		snprintf(why, whylen, "sli = latency needs threshold_ms too (%s)",
		         t_threshold.expect);
		return "sli";
	}
	if (s->sli == SLO_AVAILABILITY && s->threshold_ms >= 0) {
		snprintf(
		    why, whylen,
		    "threshold_ms applies to sli = latency only; remove it or set sli = latency");
		return "threshold_ms";
	}
	return NULL;
}

static void budget_defaults(void *item)
{
	budget_spec *b = item;
	b->period = BUDGET_MONTH;
	b->soft_pct = 80;
	b->hard_pct = 100;
}

static const char *budget_check(void *item, char *why, size_t whylen)
{
	budget_spec *b = item;
	if (b->soft_pct > b->hard_pct) {
		snprintf(why, whylen,
		         "soft_pct (%lld) is above hard_pct (%lld); the soft state comes "
		         "first",
		         (long long)b->soft_pct, (long long)b->hard_pct);
		return "soft_pct";
	}
	return NULL;
}

static const key_spec slo_keys[] = {
    {"use_case", &t_use_case, true, offsetof(slo_spec, use_case)},
    {"sli", &t_sli, true, offsetof(slo_spec, sli)},
    {"objective", &t_objective, true, offsetof(slo_spec, objective_ppm)},
    {"period", &t_period, false, offsetof(slo_spec, period_ms)},
    {"bad", &t_statuses, false, offsetof(slo_spec, bad_statuses)},
    {"threshold_ms", &t_threshold, false, offsetof(slo_spec, threshold_ms)},
};

static const key_spec budget_keys[] = {
    {"scope", &t_scope, true, offsetof(budget_spec, scope)},
    {"period", &t_budget_period, false, offsetof(budget_spec, period)},
    {"amount_usd", &t_amount, true, offsetof(budget_spec, amount_nanos)},
    {"soft_pct", &t_pct, false, offsetof(budget_spec, soft_pct)},
    {"hard_pct", &t_pct, false, offsetof(budget_spec, hard_pct)},
};

static void gateway_defaults(void *item)
{
	gateway_spec *g = item;
	g->poll_ms = 2000;
	g->page_limit = 1000;
	g->state_ms = 30000;
}

static const char *token_check(const char *env, const char *file, char *why, size_t whylen)
{
	if (*env && *file) {
		snprintf(why, whylen, "give token_env or token_file, not both");
		return "token_file";
	}
	return NULL;
}

static const char *gateway_check(void *item, char *why, size_t whylen)
{
	gateway_spec *g = item;
	return token_check(g->token_env, g->token_file, why, whylen);
}

static void scrape_defaults(void *item)
{
	scrape_spec *s = item;
	s->interval_ms = 5000;
}

static const char *scrape_check(void *item, char *why, size_t whylen)
{
	scrape_spec *s = item;
	return token_check(s->token_env, s->token_file, why, whylen);
}

static void prometheus_defaults(void *item)
{
	prometheus_spec *p = item;
	p->interval_ms = 15000;
	snprintf(p->spend_rate, sizeof p->spend_rate, "%s",
	         "sum by (use_case) (rate(gateway_cost_usd_total[5m]))");
	snprintf(p->request_rate, sizeof p->request_rate, "%s",
	         "sum by (use_case) (rate(gateway_requests_total[5m]))");
	snprintf(p->latency_p95, sizeof p->latency_p95, "%s",
	         "histogram_quantile(0.95, sum by (le, model_name) "
	         "(rate(vllm:e2e_request_latency_seconds_bucket[5m])))");
}

static const char *prometheus_check(void *item, char *why, size_t whylen)
{
	prometheus_spec *p = item;
	return token_check(p->token_env, p->token_file, why, whylen);
}

static const key_spec gateway_keys[] = {
    {"url", &t_url, true, offsetof(gateway_spec, url)},
    {"dialect", &t_dialect, false, offsetof(gateway_spec, dialect)},
    {"token_env", &t_env, false, offsetof(gateway_spec, token_env)},
    {"token_file", &t_path, false, offsetof(gateway_spec, token_file)},
    {"poll", &t_interval, false, offsetof(gateway_spec, poll_ms)},
    {"page_limit", &t_page_limit, false, offsetof(gateway_spec, page_limit)},
    {"state_interval", &t_interval, false, offsetof(gateway_spec, state_ms)},
    {"since", &t_since, false, offsetof(gateway_spec, since)},
    {"reread", &t_reread, false, offsetof(gateway_spec, reread_ms)},
    {"production", &t_yesno, false, offsetof(gateway_spec, production)},
    {"insecure", &t_yesno, false, offsetof(gateway_spec, insecure)},
};

static const key_spec scrape_keys[] = {
    {"url", &t_url, true, offsetof(scrape_spec, url)},
    {"kind", &t_scrape_kind, false, offsetof(scrape_spec, kind)},
    {"token_env", &t_env, false, offsetof(scrape_spec, token_env)},
    {"token_file", &t_path, false, offsetof(scrape_spec, token_file)},
    {"interval", &t_interval, false, offsetof(scrape_spec, interval_ms)},
    {"insecure", &t_yesno, false, offsetof(scrape_spec, insecure)},
};

static const key_spec prometheus_keys[] = {
    {"url", &t_url, true, offsetof(prometheus_spec, url)},
    {"token_env", &t_env, false, offsetof(prometheus_spec, token_env)},
    {"token_file", &t_path, false, offsetof(prometheus_spec, token_file)},
    {"interval", &t_interval, false, offsetof(prometheus_spec, interval_ms)},
    {"insecure", &t_yesno, false, offsetof(prometheus_spec, insecure)},
    {"spend_rate", &t_promql, false, offsetof(prometheus_spec, spend_rate)},
    {"request_rate", &t_promql, false, offsetof(prometheus_spec, request_rate)},
    {"latency_p95", &t_promql, false, offsetof(prometheus_spec, latency_p95)},
};

/* [access]: USER = ROLE lines beside the readonly key. */
static int access_user(void *item, const char *name, const char *value, char *why, size_t whylen)
{
	policy_access *a = item;
	policy_role role;
	if (!*name || strlen(name) >= POLICY_NAME_CAP) {
		snprintf(why, whylen, "'%s' is not a user name (1 to %d characters)", name,
		         POLICY_NAME_CAP - 1);
		return -1;
	}
	if (policy_role_parse(value, &role)) {
		snprintf(why, whylen, "'%s' is not a role", value);
		return -1;
	}
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, name) == 0) {
			snprintf(why, whylen, "the user is given twice; keep one line");
			return -1;
		}
	if (a->nusers == POLICY_USERS_MAX) {
		snprintf(why, whylen, "at most %d users", POLICY_USERS_MAX);
		return -1;
	}
	snprintf(a->users[a->nusers].name, POLICY_NAME_CAP, "%s", name);
	a->users[a->nusers++].role = role;
	return 0;
}

static const key_spec access_keys[] = {
    {"readonly", &t_yesno, false, offsetof(policy_access, readonly)},
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const key_spec console_keys[] = {
    {"theme", &t_path, false, offsetof(console_spec, theme)},
    {"present", &t_yesno, false, offsetof(console_spec, present)},
};

static const section_kind kinds[] = {
    {"slo", sizeof(slo_spec), offsetof(tt_config, slos), offsetof(tt_config, nslos),
     offsetof(slo_spec, name), SLO_NAME_CAP, slo_defaults, slo_check, slo_keys, LEN(slo_keys)},
    {"budget", sizeof(budget_spec), offsetof(tt_config, budgets), offsetof(tt_config, nbudgets),
     offsetof(budget_spec, name), BUDGET_NAME_CAP, budget_defaults, budget_check, budget_keys,
     LEN(budget_keys)},
    {"gateway", sizeof(gateway_spec), offsetof(tt_config, gateways), offsetof(tt_config, ngateways),
     offsetof(gateway_spec, name), CONFIG_NAME_CAP, gateway_defaults, gateway_check, gateway_keys,
     LEN(gateway_keys)},
    {"scrape", sizeof(scrape_spec), offsetof(tt_config, scrapes), offsetof(tt_config, nscrapes),
     offsetof(scrape_spec, name), CONFIG_NAME_CAP, scrape_defaults, scrape_check, scrape_keys,
     LEN(scrape_keys)},
    {"prometheus", sizeof(prometheus_spec), offsetof(tt_config, prometheus),
     offsetof(tt_config, nprometheus), offsetof(prometheus_spec, name), CONFIG_NAME_CAP,
     prometheus_defaults, prometheus_check, prometheus_keys, LEN(prometheus_keys)},
    {"access", sizeof(policy_access), offsetof(tt_config, access), offsetof(tt_config, naccess), 0,
     0, NULL, NULL, access_keys, LEN(access_keys), true, access_user,
     "USER = viewer, operator or admin"},
    {"console", sizeof(console_spec), offsetof(tt_config, console), offsetof(tt_config, nconsole),
     0, 0, NULL, NULL, console_keys, LEN(console_keys), true, NULL, NULL},
};

#define MAX_KEYS 32

/* ---- the parse ---- */

typedef struct parse_ctx {
	const char *file;
	tt_config *cfg;
	char *err;
	size_t errlen;
	int failed;
	/* the input */
	const char *text; /* from a string, or */
	FILE *fp;         /* from a file */
	int line;
	char *buf;
	size_t bufcap;
	/* the section being read */
	const section_kind *kind;
	void *item;
	char label[256];
	char head[300]; /* "[slo NAME]" or "[access]", for messages */
	int section_line;
	int key_line[MAX_KEYS]; /* where each key was given; 0 not yet */
} parse_ctx;

static void fail(parse_ctx *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(parse_ctx *p, int line, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = 1;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void *item_of(tt_config *c, const section_kind *k, size_t i)
{
	char *list = *(char **)((char *)c + k->list_offset);
	return list + i * k->size;
}

/* Checks the section just read as a whole. */
static void section_end(parse_ctx *p)
{
	if (!p->kind || p->failed)
		return;
	for (size_t i = 0; i < p->kind->nkeys; i++) {
		const key_spec *k = &p->kind->keys[i];
		if (k->required && !p->key_line[i]) {
			fail(p, p->section_line, "%s: missing key '%s': add a line '%s = ...' (%s)",
			     p->head, k->name, k->name, k->type->expect);
			return;
		}
	}
	char why[512];
	const char *key = p->kind->check ? p->kind->check(p->item, why, sizeof why) : NULL;
	if (key) {
		size_t i = 0;
		while (i < p->kind->nkeys && strcmp(p->kind->keys[i].name, key))
			i++;
		int line = i < p->kind->nkeys && p->key_line[i] ? p->key_line[i] : p->section_line;
		fail(p, line, "%s key '%s': %s", p->head, key, why);
	}
}

static bool label_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static void list_kinds(char *buf, size_t cap)
{
	buf[0] = 0;
	for (size_t i = 0; i < LEN(kinds); i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, cap - n, "%s[%s%s]", i ? ", " : "", kinds[i].name,
		         kinds[i].singleton ? "" : " NAME");
	}
}

/* A "[KIND LABEL]" line: ends the section before and starts a new one. */
static void section_begin(parse_ctx *p, const char *line)
{
	section_end(p);
	p->kind = NULL;
	if (p->failed)
		return;
	const char *close = strchr(line, ']');
	if (!close)
		return; /* inih reports the malformed line */
	char head[256];
	size_t n = (size_t)(close - line - 1);
	if (n >= sizeof head)
		n = sizeof head - 1;
	memcpy(head, line + 1, n);
	head[n] = 0;
	char kind[64] = "", label[256] = "", extra[8] = "";
	int got = sscanf(head, "%63s %255s %7s", kind, label, extra);
	char known[256];
	list_kinds(known, sizeof known);
	const section_kind *k = NULL;
	for (size_t i = 0; i < LEN(kinds); i++)
		if (got >= 1 && strcmp(kind, kinds[i].name) == 0)
			k = &kinds[i];
	if (!k) {
		fail(p, p->line, "unknown section [%s]; the sections are %s", head, known);
		return;
	}
	size_t *count = (size_t *)((char *)p->cfg + k->count_offset);
	if (k->singleton && got != 1) {
		fail(p, p->line, "[%s] takes no name: write [%s]", head, k->name);
		return;
	}
	if (k->singleton && *count) {
		fail(p, p->line, "[%s] is given twice; keep one", k->name);
		return;
	}
	if (!k->singleton &&
	    (got < 2 || got > 2 || !label_ok(label) || strlen(label) >= k->label_cap)) {
		fail(p, p->line,
		     "[%s] needs one name of letters, digits, '.', '_' or '-' (up to %zu): "
		     "write [%s NAME]",
		     head, k->label_cap - 1, k->name);
		return;
	}
	for (size_t i = 0; !k->singleton && i < *count; i++)
		if (strcmp((char *)item_of(p->cfg, k, i) + k->label_offset, label) == 0) {
			fail(p, p->line, "[%s %s] is defined twice; give each a different name",
			     k->name, label);
			return;
		}
	char **list = (char **)((char *)p->cfg + k->list_offset);
	char *grown = realloc(*list, (*count + 1) * k->size);
	if (!grown) {
		fail(p, p->line, "out of memory");
		return;
	}
	*list = grown;
	p->item = grown + *count * k->size;
	(*count)++;
	memset(p->item, 0, k->size);
	if (k->defaults)
		k->defaults(p->item);
	if (!k->singleton)
		strcpy((char *)p->item + k->label_offset, label);
	snprintf(p->label, sizeof p->label, "%s", label);
	if (k->singleton)
		snprintf(p->head, sizeof p->head, "[%s]", k->name);
	else
		snprintf(p->head, sizeof p->head, "[%s %s]", k->name, label);
	p->kind = k;
	p->section_line = p->line;
	memset(p->key_line, 0, sizeof p->key_line);
}

/* libinih's handler: one key of the current section. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	(void)section; /* the reader tracks sections, empty ones included */
	parse_ctx *p = user;
	if (p->failed)
		return 1;
	if (!p->kind) {
		char known[256];
		list_kinds(known, sizeof known);
		fail(p, p->line, "key '%s' is outside a section; put it under one of %s", name,
		     known);
		return 1;
	}
	size_t i = 0;
	while (i < p->kind->nkeys && strcmp(p->kind->keys[i].name, name))
		i++;
	char why[512];
	if (i == p->kind->nkeys && p->kind->other_key) {
		if (p->kind->other_key(p->item, name, value, why, sizeof why))
			fail(p, p->line, "%s key '%s': %s; expected %s", p->head, name, why,
			     p->kind->other_expect);
		return 1;
	}
	if (i == p->kind->nkeys) {
		char known[256] = "";
		for (size_t k = 0; k < p->kind->nkeys; k++) {
			size_t n = strlen(known);
			snprintf(known + n, sizeof known - n, "%s%s", k ? ", " : "",
			         p->kind->keys[k].name);
		}
		fail(p, p->line, "%s: unknown key '%s'; the keys are %s", p->head, name, known);
		return 1;
	}
	const key_spec *k = &p->kind->keys[i];
	if (p->key_line[i]) {
		fail(p, p->line, "%s key '%s' is given twice (first on line %d); keep one", p->head,
		     name, p->key_line[i]);
		return 1;
	}
	p->key_line[i] = p->line;
	if (k->type->parse(value, (char *)p->item + k->offset, why, sizeof why)) {
		fail(p, p->line, "%s key '%s': %s; expected %s", p->head, name, why,
		     k->type->expect);
		return 1;
	}
	return 1;
}

/* libinih's reader: one line at a time, so that line numbers, section headers (also of empty
 * sections) and over-long lines are seen here. Leading blanks are dropped: libinih would take
 * an indented line for the continuation of the value above it. */
static char *read_line(char *str, int num, void *stream)
{
	parse_ctx *p = stream;
	if (p->failed)
		return NULL;
	size_t len = 0;
	if (p->fp) {
		ssize_t got = getline(&p->buf, &p->bufcap, p->fp);
		if (got < 0)
			return NULL;
		len = (size_t)got;
	} else {
		if (!*p->text)
			return NULL;
		len = strcspn(p->text, "\n");
		if (p->text[len] == '\n')
			len++;
		if (len + 1 > p->bufcap) {
			char *nb = realloc(p->buf, len + 1);
			if (!nb)
				return NULL;
			p->buf = nb;
			p->bufcap = len + 1;
		}
		memcpy(p->buf, p->text, len);
		p->buf[len] = 0;
		p->text += len;
	}
	p->line++;
	char *s = p->buf;
	if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	if (n + 1 > (size_t)num) {
		fail(p, p->line, "line longer than %d characters; shorten it", num - 2);
		return NULL;
	}
	if (*s == '[')
		section_begin(p, s);
	memcpy(str, s, n + 1);
	return str;
}

static int parse(parse_ctx *p)
{
	int rc = ini_parse_stream(read_line, p, on_key, p);
	if (!p->failed && rc > 0)
		fail(p, rc, "not a 'key = value' line, a [section] header or a comment (; or #)");
	if (!p->failed && rc < 0)
		fail(p, 0, "out of memory");
	section_end(p);
	free(p->buf);
	if (p->failed) {
		config_free(p->cfg);
		return -1;
	}
	return 0;
}

int config_parse_string(const char *text, const char *name, tt_config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", name);
	parse_ctx p = {.file = name, .cfg = c, .err = err, .errlen = errlen, .text = text};
	return parse(&p);
}

int config_load(const char *path, tt_config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	snprintf(c->path, sizeof c->path, "%s", path);
	parse_ctx p = {.file = path, .cfg = c, .err = err, .errlen = errlen, .fp = fp};
	int rc = parse(&p);
	fclose(fp);
	return rc;
}

void config_free(tt_config *c)
{
	free(c->slos);
	free(c->budgets);
	free(c->gateways);
	free(c->scrapes);
	free(c->prometheus);
	free(c->access);
	free(c->console);
	memset(c, 0, sizeof *c);
}

int config_default_path(char *buf, size_t cap)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;
	if (xdg && *xdg == '/')
		n = snprintf(buf, cap, "%s/tokentop/tokentop.ini", xdg);
	else if (home && *home)
		n = snprintf(buf, cap, "%s/.config/tokentop/tokentop.ini", home);
	else
		return -1;
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int config_open(const char *explicit_path, tt_config *c)
{
	char path[1024], err[2048];
	memset(c, 0, sizeof *c);
	if (!explicit_path) {
		if (config_default_path(path, sizeof path) || access(path, F_OK) != 0)
			return 0;
		explicit_path = path;
	}
	if (config_load(explicit_path, c, err, sizeof err)) {
		fprintf(stderr, "tokentop: %s\n", err);
		return -1;
	}
	return 0;
}

int config_token(const char *token_env, const char *token_file, char *buf, size_t cap, char *err,
                 size_t errlen)
{
	buf[0] = 0;
	if (token_env && *token_env) {
		const char *v = getenv(token_env);
		if (!v || !*v) {
			snprintf(err, errlen, "the environment variable %s (token_env) is not set",
			         token_env);
			return -1;
		}
		snprintf(buf, cap, "%s", v);
	} else if (token_file && *token_file) {
		FILE *f = fopen(token_file, "r");
		if (!f) {
			snprintf(err, errlen, "%s: cannot open the token file: %s", token_file,
			         strerror(errno));
			return -1;
		}
		/* as ssh does with private keys: a secret others can read is not used */
		struct stat st;
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
			fclose(f);
			snprintf(err, errlen,
			         "%s: the token file can be read or written by others (mode %04o); "
			         "run: chmod 600 %s",
			         token_file, (unsigned)(st.st_mode & 07777), token_file);
			return -1;
		}
		if (!fgets(buf, (int)cap, f))
			buf[0] = 0;
		fclose(f);
		buf[strcspn(buf, "\r\n")] = 0;
		if (!buf[0]) {
			snprintf(err, errlen, "%s: the token file is empty", token_file);
			return -1;
		}
	}
	return 0;
}
