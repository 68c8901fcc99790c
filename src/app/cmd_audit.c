/* tokentop audit: list, verify and export the tamper-evident audit log (docs/audit.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/app.h"
#include "tokentop/timeutil.h"

/* The fields of a record as exported, in MAC order with the time in ISO beside ts_ms. */
typedef enum { X_INT, X_TEXT, X_ISO, X_HEX } xtype;
typedef struct xfield {
	const char *name;
	xtype type;
	size_t off; /* of the int64_t, const char * or char[65] in audit_record */
} xfield;

static const xfield xfields[] = {
    {"seq", X_INT, offsetof(audit_record, seq)},
    {"ts", X_ISO, offsetof(audit_record, ts_ms)},
    {"ts_ms", X_INT, offsetof(audit_record, ts_ms)},
    {"actor", X_TEXT, offsetof(audit_record, actor)},
    {"as_name", X_TEXT, offsetof(audit_record, as_name)},
    {"role", X_TEXT, offsetof(audit_record, role)},
    {"host", X_TEXT, offsetof(audit_record, host)},
    {"kind", X_TEXT, offsetof(audit_record, kind)},
    {"action", X_TEXT, offsetof(audit_record, action)},
    {"gateway", X_TEXT, offsetof(audit_record, gateway)},
    {"scope", X_TEXT, offsetof(audit_record, scope)},
    {"params", X_TEXT, offsetof(audit_record, params)},
    {"reason", X_TEXT, offsetof(audit_record, reason)},
    {"state_before", X_TEXT, offsetof(audit_record, state_before)},
    {"state_after", X_TEXT, offsetof(audit_record, state_after)},
    {"status", X_TEXT, offsetof(audit_record, status)},
    {"ref_seq", X_INT, offsetof(audit_record, ref_seq)},
    {"control_id", X_TEXT, offsetof(audit_record, control_id)},
    {"response", X_TEXT, offsetof(audit_record, response)},
    {"idem_key", X_TEXT, offsetof(audit_record, idem_key)},
    {"prev_mac", X_HEX, offsetof(audit_record, prev_mac)},
    {"mac", X_HEX, offsetof(audit_record, mac)},
};
#define NXFIELDS (sizeof xfields / sizeof xfields[0])

/* The field's value as text; buf holds numbers. */
static const char *xfield_text(const audit_record *r, size_t i, char *buf, size_t cap)
{
	const xfield *f = &xfields[i];
	const char *base = (const char *)r + f->off;
	int64_t v;
	switch (f->type) {
	case X_INT:
		memcpy(&v, base, sizeof v);
		snprintf(buf, cap, "%" PRId64, v);
		return buf;
	case X_ISO:
		memcpy(&v, base, sizeof v);
		time_format_iso(v, buf, cap);
		return buf;
	case X_HEX:
		return base;
	default: {
		const char *s;
		memcpy(&s, base, sizeof s);
		return s ? s : "";
	}
	}
}

/* A JSON string of s; bytes that are not UTF-8 become U+FFFD (docs/audit.md: such a record
 * cannot be re-verified from the export). */
static json_t *jtext(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s);
	char *t = malloc(3 * n + 1), *o = t;
	if (!t)
		return json_string("");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			*o++ = (char)*p;
		else {
			/* keep a well-formed multi-byte sequence, replace anything else */
			int len = (*p & 0xe0) == 0xc0   ? 2
			          : (*p & 0xf0) == 0xe0 ? 3
			          : (*p & 0xf8) == 0xf0 ? 4
			                                : 0;
			int k = 1;
			while (len && k < len && (p[k] & 0xc0) == 0x80)
				k++;
			json_t *probe = NULL;
			if (len && k == len &&
			    (probe = json_stringn((const char *)p, (size_t)len))) {
				memcpy(o, p, (size_t)len);
				o += len;
				p += len - 1;
			} else
				o += sprintf(o, "\xef\xbf\xbd");
			json_decref(probe);
		}
	}
	*o = 0;
	j = json_string(t);
	free(t);
	return j ? j : json_string("");
}

json_t *app_audit_json(const audit_record *r)
{
	json_t *o = json_object();
	char buf[32];
	for (size_t i = 0; i < NXFIELDS; i++) {
		json_t *v;
		if (xfields[i].type == X_INT) {
			int64_t x;
			memcpy(&x, (const char *)r + xfields[i].off, sizeof x);
			v = json_integer((json_int_t)x);
		} else
			v = jtext(xfield_text(r, i, buf, sizeof buf));
		json_object_set_new(o, xfields[i].name, v);
	}
	return o;
}

static void audit_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop audit list [--since WHEN] [--format text|json] [--db FILE]\n"
	        "       tokentop audit verify [--db FILE] [--secret FILE]\n"
	        "       tokentop audit export [--format jsonl|csv] [--since WHEN] [--db FILE]\n\n"
	        "The audit log: every action, sign-off and incident note, each record chained to\n"
	        "the one before by an HMAC-SHA256 keyed by a secret file (docs/audit.md).\n\n"
	        "  list     the records, oldest first\n"
	        "  verify   recompute every MAC and check the chain; exit 1 naming the first\n"
	        "           bad sequence number and why\n"
	        "  export   every field of every record, as JSON lines or CSV\n\n"
	        "'tokentop audit VERB --help' shows a verb's options.\n");
}

static void list_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop audit list [--since WHEN] [--format text|json] [--db FILE]\n\n"
	        "Lists the audit records, oldest first. Reading needs no key.\n\n"
	        "  --since WHEN   records from WHEN on: a duration back from now (7d), an\n"
	        "                 ISO 8601 time, or all (default)\n"
	        "  --format F     text (default) or json\n"
	        "  --db FILE      database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	        "  -h, --help     this help\n");
}

static void verify_usage(FILE *out)
{
	fprintf(out, "usage: tokentop audit verify [--db FILE] [--secret FILE]\n\n"
	             "Recomputes every record's HMAC with the key and checks that each record's\n"
	             "prev_mac is the mac of the one before and that sequence numbers run from 1\n"
	             "without a gap. Exit 0 when the chain holds; 1 naming the first bad sequence\n"
	             "number and why. Prints the records checked and the last mac: keep that line\n"
	             "elsewhere, since a log cut short at its end still verifies.\n\n"
	             "  --db FILE      database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	             "  --secret FILE  the key file (default $TOKENTOP_AUDIT_KEY, else\n"
	             "                 $XDG_CONFIG_HOME/tokentop/audit.key); never created here\n"
	             "  -h, --help     this help\n");
}

static void export_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop audit export [--format jsonl|csv] [--since WHEN] [--db FILE]\n\n"
	        "Writes every field of every record to standard output: one JSON object per\n"
	        "line (default), or CSV with a header line. The fields are those the MAC\n"
	        "covers, so an auditor holding the key can re-verify an export (docs/audit.md).\n\n"
	        "  --format F     jsonl (default) or csv\n"
	        "  --since WHEN   records from WHEN on (default all)\n"
	        "  --db FILE      database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	        "  -h, --help     this help\n");
}

/* The options every verb may take; each verb's table says which it accepts. */
typedef struct opts {
	const char *db, *secret, *since, *format;
} opts;

enum { O_DB = 'D', O_SECRET = 'k', O_SINCE = 's', O_FORMAT = 'f', O_HELP = 'h' };

/* false to go on; true when the verb is done (help, a usage error) with *code. */
static bool parse(const char *verb, int argc, char **argv, const struct option *longopts,
                  void (*usage)(FILE *), opts *o, int *code)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			o->db = optarg;
			break;
		case O_SECRET:
			o->secret = optarg;
			break;
		case O_SINCE:
			o->since = optarg;
			break;
		case O_FORMAT:
			o->format = optarg;
			break;
		case O_HELP:
			usage(stdout);
			*code = EXIT_OK;
			return true;
		default:
			usage(stderr);
			*code = EXIT_USAGE;
			return true;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop audit %s: unexpected argument '%s'\n", verb,
		        argv[optind]);
		*code = EXIT_USAGE;
		return true;
	}
	return false;
}

static int parse_since(const char *verb, const char *since, int64_t *out)
{
	*out = INT64_MIN;
	if (!since || !strcmp(since, "all"))
		return 0;
	if (app_parse_when(since, app_now_ms(), out)) {
		fprintf(stderr,
		        "tokentop audit %s: --since: expected a duration (7d), ISO time or all: "
		        "'%s'\n",
		        verb, since);
		return -1;
	}
	return 0;
}

/* Terminal-safe text: control characters in a field (a gateway's answer, a reason) would
 * otherwise reach the terminal as escape sequences. */
static void put_safe(FILE *out, const char *s, int width)
{
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
	for (; n < width; n++)
		fputc(' ', out);
}

typedef struct list_ctx {
	FILE *out;
	json_t *arr;
	int64_t n;
} list_ctx;

static int list_text_row(void *ctx, const audit_record *r)
{
	list_ctx *c = ctx;
	char ts[32], who[160], ref[24] = "";
	time_format_iso(r->ts_ms, ts, sizeof ts);
	ts[19] = 0; /* to the second */
	snprintf(who, sizeof who, *r->as_name ? "%s (as %s)" : "%s", r->actor, r->as_name);
	if (r->ref_seq)
		snprintf(ref, sizeof ref, "%" PRId64, r->ref_seq);
	fprintf(c->out, "%6" PRId64 "  %s  ", r->seq, ts);
	const char *cells[] = {who, r->role, r->kind, r->action, r->status, ref};
	const int widths[] = {16, 8, 8, 12, 11, 5};
	for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
		put_safe(c->out, cells[i], widths[i]);
		fputc(' ', c->out);
	}
	if (*r->gateway) {
		put_safe(c->out, r->gateway, 0);
		fputc(' ', c->out);
	}
	put_safe(c->out, r->scope, 0);
	const char *tail[] = {r->reason, strcmp(r->params, "{}") ? r->params : ""};
	bool sep = *r->scope || *r->gateway;
	for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) {
		if (!*tail[i])
			continue;
		fputs(sep ? "  " : "", c->out);
		put_safe(c->out, tail[i], 0);
		sep = true;
	}
	fputc('\n', c->out);
	c->n++;
	return 0;
}

static int list_json_row(void *ctx, const audit_record *r)
{
	list_ctx *c = ctx;
	c->n++;
	return json_array_append_new(c->arr, app_audit_json(r));
}

static int finish(const char *verb, int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "tokentop audit %s: write error on standard output\n", verb);
		return EXIT_FAIL;
	}
	return rc;
}

static int audit_list(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"since", required_argument, NULL, O_SINCE},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {.format = "text"};
	int rc;
	if (parse("list", argc, argv, longopts, list_usage, &o, &rc))
		return rc;
	bool json = !strcmp(o.format, "json");
	if (!json && strcmp(o.format, "text")) {
		fprintf(stderr,
		        "tokentop audit list: --format: unknown '%s' (expected text or json)\n",
		        o.format);
		return EXIT_USAGE;
	}
	int64_t since;
	if (parse_since("list", o.since, &since))
		return EXIT_USAGE;
	store *st;
	audit *a = app_open_audit_reader(o.db, &st);
	if (!a)
		return EXIT_FAIL;
	list_ctx c = {.out = stdout, .arr = json ? json_array() : NULL};
	if (!json)
		printf("%6s  %-19s  %-16s %-8s %-8s %-12s %-11s %-5s %s\n", "seq", "time (UTC)",
		       "actor", "role", "kind", "action", "status", "ref",
		       "gateway scope  reason  params");
	rc = audit_each(a, since, json ? list_json_row : list_text_row, &c);
	if (rc)
		fprintf(stderr, "tokentop audit list: reading the audit log: %s\n",
		        store_errmsg(st));
	else if (json) {
		json_t *doc = json_pack("{s:o}", "records", c.arr);
		c.arr = NULL;
		if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
			fputc('\n', stdout);
		json_decref(doc);
	} else if (!c.n)
		printf("  no records\n");
	json_decref(c.arr);
	audit_close(a);
	store_close(st);
	return finish("list", rc ? EXIT_FAIL : EXIT_OK);
}

static int audit_verify_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"secret", required_argument, NULL, O_SECRET},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {0};
	int rc;
	if (parse("verify", argc, argv, longopts, verify_usage, &o, &rc))
		return rc;
	store *st = app_open_store(o.db, true);
	if (!st)
		return EXIT_FAIL;
	audit *a = app_open_audit_as(st, o.secret, AUDIT_KEY_EXISTING);
	if (!a) {
		store_close(st);
		return EXIT_FAIL;
	}
	audit_verdict v;
	rc = audit_verify(a, &v);
	if (rc)
		fprintf(stderr, "tokentop audit verify: %s\n", v.why);
	else if (v.ok) {
		printf("audit verify: %" PRId64 " records checked, the chain holds\n", v.records);
		if (v.records)
			printf("last: seq %" PRId64 " mac %s\n", v.records, v.last_mac);
	} else {
		printf("audit verify: %" PRId64 " records checked, the chain is broken\n",
		       v.records);
		fprintf(stderr, "tokentop audit verify: %s (key %s)\n", v.why, audit_key_path(a));
	}
	audit_close(a);
	store_close(st);
	return finish("verify", rc || !v.ok ? EXIT_FAIL : EXIT_OK);
}

/* RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
static void csv_put(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static int export_csv_row(void *ctx, const audit_record *r)
{
	FILE *out = ctx;
	char buf[32];
	for (size_t i = 0; i < NXFIELDS; i++) {
		if (i)
			fputc(',', out);
		csv_put(out, xfield_text(r, i, buf, sizeof buf));
	}
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

static int export_jsonl_row(void *ctx, const audit_record *r)
{
	FILE *out = ctx;
	json_t *o = app_audit_json(r);
	int rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	fputc('\n', out);
	return rc || ferror(out) ? -1 : 0;
}

static int audit_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"since", required_argument, NULL, O_SINCE},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {.format = "jsonl"};
	int rc;
	if (parse("export", argc, argv, longopts, export_usage, &o, &rc))
		return rc;
	bool csv = !strcmp(o.format, "csv");
	if (!csv && strcmp(o.format, "jsonl")) {
		fprintf(stderr,
		        "tokentop audit export: --format: unknown '%s' (expected jsonl or csv)\n",
		        o.format);
		return EXIT_USAGE;
	}
	int64_t since;
	if (parse_since("export", o.since, &since))
		return EXIT_USAGE;
	store *st;
	audit *a = app_open_audit_reader(o.db, &st);
	if (!a)
		return EXIT_FAIL;
	if (csv) {
		for (size_t i = 0; i < NXFIELDS; i++)
			printf("%s%s", i ? "," : "", xfields[i].name);
		putchar('\n');
	}
	rc = audit_each(a, since, csv ? export_csv_row : export_jsonl_row, stdout);
	if (rc)
		fprintf(stderr, "tokentop audit export: %s\n",
		        ferror(stdout) ? "write error on standard output" : store_errmsg(st));
	audit_close(a);
	store_close(st);
	return finish("export", rc ? EXIT_FAIL : EXIT_OK);
}

static const app_verb verbs[] = {
    {"list", audit_list},
    {"verify", audit_verify_cmd},
    {"export", audit_export},
};

int cmd_audit(int argc, char **argv)
{
	return app_run_verb("audit", verbs, sizeof verbs / sizeof verbs[0], audit_usage, argc, argv);
}
