/* tokentop incident: incidents kept in the audit log itself, and their post-incident bundle. */
#include <getopt.h>
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/gwstate.h"
#include "tokentop/money.h"
#include "tokentop/outfile.h"
#include "tokentop/policy.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"
#include "tokentop/view.h"

#define BUNDLE_SCHEMA 1
#define ALERT_PASSES  28 /* the alerts view replays six hours a pass: a week at most */
#define TOP_USE_CASES 10

static const char *const incident_kinds[] = {"cost", "latency", "outage", "safety"};
#define NKINDS (sizeof incident_kinds / sizeof incident_kinds[0])

static void incident_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop incident open --kind cost|latency|outage|safety --title TEXT\n"
	        "       tokentop incident note ID TEXT\n"
	        "       tokentop incident close ID [--reason TEXT]\n"
	        "       tokentop incident list [--format text|json]\n"
	        "       tokentop incident export ID [-o FILE]\n\n"
	        "Incidents live in the audit log: opening one appends a record whose sequence\n"
	        "number is the incident's id; notes and the close point at it. The export is one\n"
	        "JSON bundle for the post-incident review: the incident, its notes, the audit\n"
	        "records and the alerts of its window, and a summary of the traffic then\n"
	        "(docs/audit.md).\n\n"
	        "'tokentop incident VERB --help' shows a verb's options.\n");
}

static const char common_opts[] =
    "  --db FILE      database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n";
static const char write_opts[] =
    "  --as NAME      recorded beside the OS user (acting for someone, a shared account)\n"
    "  --config FILE  its [access] section gives the role recorded (default\n"
    "                 $XDG_CONFIG_HOME/tokentop/tokentop.ini)\n"
    "  --secret FILE  audit key (default $TOKENTOP_AUDIT_KEY, else\n"
    "                 $XDG_CONFIG_HOME/tokentop/audit.key, created at first use)\n";

static void open_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop incident open --kind cost|latency|outage|safety --title TEXT\n"
	        "                              [--as NAME] [--config FILE] [--db FILE]\n"
	        "                              [--secret FILE]\n\n"
	        "Opens an incident and prints its id.\n\n"
	        "  --kind K       cost, latency, outage or safety\n"
	        "  --title TEXT   what is happening, in a line\n%s%s"
	        "  -h, --help     this help\n",
	        write_opts, common_opts);
}

static void note_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop incident note ID TEXT... [--as NAME] [--config FILE] [--db FILE]\n"
	        "                                        [--secret FILE]\n\n"
	        "Adds a note to the incident's timeline (the words of TEXT joined by spaces).\n\n"
	        "%s%s  -h, --help     this help\n",
	        write_opts, common_opts);
}

static void close_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop incident close ID [--reason TEXT] [--as NAME] [--config FILE]\n"
	        "                               [--db FILE] [--secret FILE]\n\n"
	        "Closes the incident; its window ends here.\n\n"
	        "  --reason TEXT  how it ended (resolved, mitigated, false alarm, ...)\n%s%s"
	        "  -h, --help     this help\n",
	        write_opts, common_opts);
}

static void list_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop incident list [--format text|json] [--db FILE]\n\n"
	        "Lists the incidents, oldest first, open or closed.\n\n"
	        "  --format F     text (default) or json\n%s"
	        "  -h, --help     this help\n",
	        common_opts);
}

static void export_usage(FILE *out)
{
	fprintf(out,
	        "usage: tokentop incident export ID [-o FILE] [--config FILE] [--db FILE]\n\n"
	        "Writes the incident's bundle as one JSON document: the incident, its notes,\n"
	        "every audit record from its opening to its close (the actions among them), the\n"
	        "alerts that fired in that window (the detectors of 'tokentop report --view\n"
	        "alerts' replayed over it), the window's traffic summary, and the controls in\n"
	        "force during it: those the audit log shows applied and not yet lifted, and\n"
	        "those each gateway listed at tokentop's last read. An open incident's window\n"
	        "runs to now.\n\n"
	        "  -o, --output FILE  write there (replaced whole; a device or FIFO written in\n"
	        "                     place) instead of standard output\n"
	        "  --config FILE      the budgets whose burn is alerted on (default\n"
	        "                     $XDG_CONFIG_HOME/tokentop/tokentop.ini)\n%s"
	        "  -h, --help         this help\n",
	        common_opts);
}

/* ---- the incidents, read back from the log ---- */

typedef struct incident {
	int64_t id, opened_ms;
	int64_t closed_seq, closed_ms; /* 0 while open */
	char *kind, *title, *opened_by, *closed_by, *close_reason;
	int notes;
} incident;

typedef struct incidents {
	incident *v;
	size_t n, cap;
	int failed;
} incidents;

static void incidents_free(incidents *l)
{
	for (size_t i = 0; i < l->n; i++) {
		incident *x = &l->v[i];
		free(x->kind);
		free(x->title);
		free(x->opened_by);
		free(x->closed_by);
		free(x->close_reason);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static incident *incidents_find(incidents *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return &l->v[i];
	return NULL;
}

/* "alice" or "alice (as bob)". */
static char *who_of(const audit_record *r)
{
	char buf[512];
	snprintf(buf, sizeof buf, *r->as_name ? "%s (as %s)" : "%s", r->actor, r->as_name);
	return strdup(buf);
}

static char *param_of(const char *params, const char *key)
{
	json_t *j = json_loads(params, 0, NULL);
	const char *v = json_string_value(json_object_get(j, key));
	char *out = strdup(v ? v : "");
	json_decref(j);
	return out;
}

static int collect(void *ctx, const audit_record *r)
{
	incidents *l = ctx;
	bool is_incident = !strcmp(r->kind, "incident");
	if (is_incident && !strcmp(r->action, "open")) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 16;
			incident *v = realloc(l->v, cap * sizeof *v);
			if (!v)
				return l->failed = -1;
			l->v = v;
			l->cap = cap;
		}
		incident *x = &l->v[l->n++];
		memset(x, 0, sizeof *x);
		x->id = r->seq;
		x->opened_ms = r->ts_ms;
		x->kind = param_of(r->params, "kind");
		x->title = param_of(r->params, "title");
		x->opened_by = who_of(r);
		return 0;
	}
	incident *x = r->ref_seq ? incidents_find(l, r->ref_seq) : NULL;
	if (!x)
		return 0;
	if (is_incident && !strcmp(r->action, "close") && !x->closed_seq) {
		x->closed_seq = r->seq;
		x->closed_ms = r->ts_ms;
		x->closed_by = who_of(r);
		x->close_reason = strdup(r->reason);
	} else if (!strcmp(r->kind, "note"))
		x->notes++;
	return 0;
}

static int incidents_load(audit *a, incidents *l)
{
	memset(l, 0, sizeof *l);
	int rc = audit_each(a, INT64_MIN, collect, l);
	return rc || l->failed ? -1 : 0;
}

static int parse_id(const char *verb, const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0) {
		fprintf(stderr, "tokentop incident %s: not an incident id: '%s'\n", verb, s);
		return -1;
	}
	*id = v;
	return 0;
}

/* ---- options ---- */

typedef struct opts {
	const char *db, *secret, *as, *kind, *title, *reason, *format, *output, *config;
} opts;

enum {
	O_DB = 'D',
	O_SECRET = 'k',
	O_AS = 'a',
	O_KIND = 'K',
	O_TITLE = 't',
	O_REASON = 'r',
	O_FORMAT = 'f',
	O_OUTPUT = 'o',
	O_CONFIG = 'c',
	O_HELP = 'h',
};

/* Where each option's value goes. */
static const struct optslot {
	int opt;
	size_t off;
} optslots[] = {
    {O_DB, offsetof(opts, db)},         {O_SECRET, offsetof(opts, secret)},
    {O_AS, offsetof(opts, as)},         {O_KIND, offsetof(opts, kind)},
    {O_TITLE, offsetof(opts, title)},   {O_REASON, offsetof(opts, reason)},
    {O_FORMAT, offsetof(opts, format)}, {O_OUTPUT, offsetof(opts, output)},
    {O_CONFIG, offsetof(opts, config)},
};

/* false to go on; true when the verb is done (help, a usage error) with *code. The operands
 * (ID, TEXT) are left at argv[optind..]. */
static bool parse(int argc, char **argv, const struct option *longopts, void (*usage)(FILE *),
                  opts *o, int *code)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		size_t i = 0;
		while (i < sizeof optslots / sizeof optslots[0] && optslots[i].opt != c)
			i++;
		if (i < sizeof optslots / sizeof optslots[0]) {
			const char *v = optarg;
			memcpy((char *)o + optslots[i].off, &v, sizeof v);
			continue;
		}
		usage(c == O_HELP ? stdout : stderr);
		*code = c == O_HELP ? EXIT_OK : EXIT_USAGE;
		return true;
	}
	return false;
}

static bool operands(const char *verb, int argc, int min, int max, char **argv, int *code)
{
	int n = argc - optind;
	if (n < min) {
		fprintf(stderr, "tokentop incident %s: missing %s (see --help)\n", verb,
		        min - n == 1 && min == 2 ? "TEXT" : "ID");
		*code = EXIT_USAGE;
		return false;
	}
	if (max >= 0 && n > max) {
		fprintf(stderr, "tokentop incident %s: unexpected argument '%s'\n", verb,
		        argv[optind + max]);
		*code = EXIT_USAGE;
		return false;
	}
	return true;
}

/* ---- writing ---- */

typedef struct writer {
	store *st;
	audit *a;
	policy_role role; /* the OS user's, from the config's [access] section */
} writer;

static int writer_open(writer *w, const opts *o)
{
	/* the role belongs to the OS user, whatever --as says, as for actions */
	tt_config cfg;
	if (config_open(o->config, &cfg))
		return -1;
	app_identity who;
	app_whoami(&who, cfg.naccess ? cfg.access : NULL);
	w->role = policy_role_of(cfg.naccess ? cfg.access : NULL, who.actor);
	config_free(&cfg);
	w->st = app_open_store(o->db, false);
	if (!w->st)
		return -1;
	w->a = app_open_audit(w->st, o->secret);
	if (!w->a) {
		store_close(w->st);
		return -1;
	}
	return 0;
}

static void writer_close(writer *w)
{
	audit_close(w->a);
	store_close(w->st);
}

/* Appends a record as the caller; the who-fields come from the OS and the policy seam. */
static int record(writer *w, const opts *o, audit_record *r, const char *verb)
{
	/* the bundle and the export are JSON: text that is not UTF-8 is refused at the door */
	const char *checked[] = {o->as, o->reason};
	for (size_t i = 0; i < sizeof checked / sizeof checked[0]; i++) {
		json_t *j = checked[i] ? json_string(checked[i]) : NULL;
		if (checked[i] && !j) {
			fprintf(stderr, "tokentop incident %s: %s is not UTF-8 text\n", verb,
			        i ? "--reason" : "--as");
			return -1;
		}
		json_decref(j);
	}
	app_identity who;
	app_whoami(&who, NULL); /* the role is the writer's, from [access] */
	r->actor = who.actor;
	r->as_name = o->as;
	r->role = policy_role_name(w->role);
	r->host = who.host;
	r->status = "recorded";
	char err[512];
	if (audit_append(w->a, r, err, sizeof err)) {
		fprintf(stderr, "tokentop incident %s: %s\n", verb, err);
		return -1;
	}
	return 0;
}

static int incident_open(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"kind", required_argument, NULL, O_KIND},
	    {"title", required_argument, NULL, O_TITLE},
	    {"as", required_argument, NULL, O_AS},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"db", required_argument, NULL, O_DB},
	    {"secret", required_argument, NULL, O_SECRET},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {0};
	int rc;
	if (parse(argc, argv, longopts, open_usage, &o, &rc) ||
	    !operands("open", argc, 0, 0, argv, &rc))
		return rc;
	size_t k = 0;
	while (o.kind && k < NKINDS && strcmp(o.kind, incident_kinds[k]))
		k++;
	if (!o.kind || k == NKINDS) {
		if (o.kind)
			fprintf(stderr, "tokentop incident open: --kind: unknown '%s'", o.kind);
		else
			fprintf(stderr, "tokentop incident open: --kind is required");
		fprintf(stderr, " (expected cost, latency, outage or safety)\n");
		return EXIT_USAGE;
	}
	if (!o.title || !*o.title) {
		fprintf(stderr, "tokentop incident open: --title TEXT is required\n");
		return EXIT_USAGE;
	}
	json_t *p = json_pack("{s:s, s:s}", "kind", o.kind, "title", o.title);
	char *params = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(p);
	if (!params) {
		fprintf(stderr, "tokentop incident open: --title is not UTF-8 text\n");
		return EXIT_USAGE;
	}
	writer w;
	if (writer_open(&w, &o)) {
		free(params);
		return EXIT_FAIL;
	}
	audit_record r = {.kind = "incident", .action = "open", .params = params};
	rc = record(&w, &o, &r, "open");
	if (!rc)
		printf("%" PRId64 "\n", r.seq);
	free(params);
	writer_close(&w);
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* Checks the incident and appends r in one write transaction, so a close racing another
 * close (or a note) sees the log as it is when its record goes in. */
static int append_to(writer *w, const opts *o, int64_t id, bool must_be_open, audit_record *r,
                     const char *verb)
{
	if (store_begin(w->st)) {
		fprintf(stderr, "tokentop incident %s: locking the database: %s\n", verb,
		        store_errmsg(w->st));
		return -1;
	}
	incidents l;
	int rc = -1;
	if (incidents_load(w->a, &l)) {
		fprintf(stderr, "tokentop incident %s: reading the audit log: %s\n", verb,
		        store_errmsg(w->st));
		goto done;
	}
	const incident *x = incidents_find(&l, id);
	if (!x)
		fprintf(stderr,
		        "tokentop incident %s: no incident %" PRId64
		        " ('tokentop incident list' shows them)\n",
		        verb, id);
	else if (must_be_open && x->closed_seq)
		fprintf(stderr,
		        "tokentop incident %s: incident %" PRId64 " is already closed (seq %" PRId64
		        ")\n",
		        verb, id, x->closed_seq);
	else {
		r->ref_seq = id;
		rc = record(w, o, r, verb);
	}
	incidents_free(&l);
done:
	if (rc || store_commit(w->st)) {
		if (!rc)
			fprintf(stderr, "tokentop incident %s: committing: %s\n", verb,
			        store_errmsg(w->st));
		store_rollback(w->st);
		return -1;
	}
	return 0;
}

static int incident_note(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"as", required_argument, NULL, O_AS}, {"config", required_argument, NULL, O_CONFIG},
	    {"db", required_argument, NULL, O_DB}, {"secret", required_argument, NULL, O_SECRET},
	    {"help", no_argument, NULL, O_HELP},   {0, 0, 0, 0},
	};
	opts o = {0};
	int rc;
	int64_t id;
	if (parse(argc, argv, longopts, note_usage, &o, &rc) ||
	    !operands("note", argc, 2, -1, argv, &rc))
		return rc;
	if (parse_id("note", argv[optind], &id))
		return EXIT_USAGE;
	size_t len = 1;
	for (int i = optind + 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = calloc(1, len);
	if (!text)
		return EXIT_FAIL;
	for (int i = optind + 1; i < argc; i++) {
		if (i > optind + 1)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	json_t *p = json_pack("{s:s}", "text", text);
	char *params = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	free(text);
	if (!params) {
		fprintf(stderr, "tokentop incident note: TEXT is not UTF-8 text\n");
		return EXIT_USAGE;
	}
	writer w;
	if (writer_open(&w, &o)) {
		free(params);
		return EXIT_FAIL;
	}
	audit_record r = {.kind = "note", .action = "note", .params = params};
	rc = append_to(&w, &o, id, false, &r, "note");
	if (!rc)
		printf("incident %" PRId64 ": note %" PRId64 "\n", id, r.seq);
	free(params);
	writer_close(&w);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int incident_close(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"reason", required_argument, NULL, O_REASON},
	    {"as", required_argument, NULL, O_AS},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"db", required_argument, NULL, O_DB},
	    {"secret", required_argument, NULL, O_SECRET},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {0};
	int rc;
	int64_t id;
	if (parse(argc, argv, longopts, close_usage, &o, &rc) ||
	    !operands("close", argc, 1, 1, argv, &rc))
		return rc;
	if (parse_id("close", argv[optind], &id))
		return EXIT_USAGE;
	writer w;
	if (writer_open(&w, &o))
		return EXIT_FAIL;
	audit_record r = {
	    .kind = "incident", .action = "close", .params = "{}", .reason = o.reason};
	rc = append_to(&w, &o, id, true, &r, "close");
	if (!rc)
		printf("incident %" PRId64 ": closed (seq %" PRId64 ")\n", id, r.seq);
	writer_close(&w);
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* ---- reading ---- */

static json_t *jiso(int64_t ms)
{
	char b[32];
	time_format_iso(ms, b, sizeof b);
	return json_string(b);
}

static json_t *jincident(const incident *x)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(x->id));
	json_object_set_new(o, "kind", json_string(x->kind));
	json_object_set_new(o, "title", json_string(x->title));
	json_object_set_new(o, "state", json_string(x->closed_seq ? "closed" : "open"));
	json_object_set_new(o, "opened", jiso(x->opened_ms));
	json_object_set_new(o, "opened_by", json_string(x->opened_by));
	json_object_set_new(o, "closed", x->closed_seq ? jiso(x->closed_ms) : json_null());
	json_object_set_new(o, "closed_seq",
	                    x->closed_seq ? json_integer(x->closed_seq) : json_null());
	json_object_set_new(o, "closed_by",
	                    x->closed_seq ? json_string(x->closed_by) : json_null());
	json_object_set_new(o, "close_reason",
	                    x->closed_seq ? json_string(x->close_reason) : json_null());
	json_object_set_new(o, "notes", json_integer(x->notes));
	return o;
}

typedef struct reader {
	store *st;
	audit *a;
	incidents l;
} reader;

static int reader_open(reader *rd, const opts *o, const char *verb)
{
	if (!(rd->a = app_open_audit_reader(o->db, &rd->st)))
		return -1;
	if (incidents_load(rd->a, &rd->l)) {
		fprintf(stderr, "tokentop incident %s: reading the audit log: %s\n", verb,
		        store_errmsg(rd->st));
		audit_close(rd->a);
		store_close(rd->st);
		return -1;
	}
	return 0;
}

static void reader_close(reader *rd)
{
	incidents_free(&rd->l);
	audit_close(rd->a);
	store_close(rd->st);
}

static int finish(const char *verb, FILE *out, const char *path, int rc)
{
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "tokentop incident %s: write error on %s\n", verb,
		        path ? path : "standard output");
		return EXIT_FAIL;
	}
	return rc;
}

/* Control characters would reach the terminal as escape sequences. */
static void put_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
}

static int incident_list(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, O_FORMAT},
	    {"db", required_argument, NULL, O_DB},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {.format = "text"};
	int rc;
	if (parse(argc, argv, longopts, list_usage, &o, &rc) ||
	    !operands("list", argc, 0, 0, argv, &rc))
		return rc;
	bool json = !strcmp(o.format, "json");
	if (!json && strcmp(o.format, "text")) {
		fprintf(stderr,
		        "tokentop incident list: --format: unknown '%s' (expected text or json)\n",
		        o.format);
		return EXIT_USAGE;
	}
	reader rd;
	if (reader_open(&rd, &o, "list"))
		return EXIT_FAIL;
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < rd.l.n; i++)
			json_array_append_new(arr, jincident(&rd.l.v[i]));
		json_t *doc = json_pack("{s:o}", "incidents", arr);
		if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
			putchar('\n');
		json_decref(doc);
	} else if (!rd.l.n)
		printf("no incidents ('tokentop incident open' starts one)\n");
	else {
		printf("%6s  %-6s  %-7s  %-16s  %-16s  %5s  %-16s  %s\n", "id", "state", "kind",
		       "opened (UTC)", "closed (UTC)", "notes", "opened by", "title");
		for (size_t i = 0; i < rd.l.n; i++) {
			const incident *x = &rd.l.v[i];
			char op[32], cl[32] = "-";
			time_format_iso(x->opened_ms, op, sizeof op);
			op[16] = 0; /* to the minute */
			if (x->closed_seq) {
				time_format_iso(x->closed_ms, cl, sizeof cl);
				cl[16] = 0;
			}
			printf("%6" PRId64 "  %-6s  %-7s  %-16s  %-16s  %5d  ", x->id,
			       x->closed_seq ? "closed" : "open", x->kind, op, cl, x->notes);
			put_safe(x->opened_by);
			printf("%*s  ",
			       (int)(strlen(x->opened_by) < 16 ? 16 - strlen(x->opened_by) : 0),
			       "");
			put_safe(x->title);
			putchar('\n');
		}
	}
	reader_close(&rd);
	return finish("list", stdout, NULL, EXIT_OK);
}

/* The alerts of [since, until): the alerts view replayed at until, then six hours earlier,
 * and so on back to since. An alert firing across two passes is one alert: the later pass
 * sees it begin at its first evaluation, which is the earlier pass's last. */
typedef struct alert_set {
	anomaly_alert *v;
	size_t n, cap;
	int64_t from_ms; /* the first evaluation replayed */
} alert_set;

static int alerts_add(alert_set *s, const anomaly_alert *a)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		anomaly_alert *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *a;
	return 0;
}

static int cmp_since(const void *pa, const void *pb)
{
	const anomaly_alert *a = pa, *b = pb;
	if (a->since_ms != b->since_ms)
		return a->since_ms < b->since_ms ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->scope, b->scope);
}

static int window_alerts(store *st, const tt_config *cfg, int64_t since, int64_t until,
                         alert_set *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	int64_t t = until, later_from = INT64_MIN;
	size_t later_first = 0; /* the later pass's alerts are out->v[later_first..] */
	for (int pass = 0; pass < ALERT_PASSES; pass++) {
		view_alerts v;
		if (view_alerts_build(st, cfg->budgets, cfg->nbudgets, t, &v, err, errlen))
			return -1;
		size_t first = out->n;
		for (size_t i = 0; i < v.n; i++) {
			anomaly_alert *a = &v.alerts[i];
			int64_t end = a->resolved_ms >= 0 ? a->resolved_ms : t;
			if (a->since_ms >= until || end < since)
				continue;
			bool merged = false;
			for (size_t j = later_first; a->resolved_ms < 0 && j < first; j++) {
				anomaly_alert *b = &out->v[j];
				if (b->kind == a->kind && b->since_ms == later_from &&
				    !strcmp(b->scope, a->scope)) {
					b->since_ms = a->since_ms;
					if (a->peak > b->peak)
						b->peak = a->peak;
					merged = true;
					break;
				}
			}
			if (!merged && alerts_add(out, a)) {
				view_alerts_free(&v);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		out->from_ms = v.from_ms;
		view_alerts_free(&v);
		later_first = first;
		later_from = out->from_ms;
		if (out->from_ms <= since)
			break;
		t = out->from_ms;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_since);
	return 0;
}

static json_t *jsummary(const view_summary *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "requests", json_integer(v->m[TT_M_REQUESTS]));
	char usd[40];
	money_format(v->m[TT_M_COST_NANOS], usd, sizeof usd);
	json_object_set_new(o, "cost_micros", json_integer(money_micros_of(v->m[TT_M_COST_NANOS])));
	json_object_set_new(o, "cost_usd", json_string(usd));
	json_object_set_new(o, "errors", json_integer(v->errors));
	json_object_set_new(o, "input_tokens", json_integer(v->m[TT_M_INPUT_TOKENS]));
	json_object_set_new(o, "output_tokens", json_integer(v->m[TT_M_OUTPUT_TOKENS]));
	json_object_set_new(o, "latency_p95_ms",
	                    isfinite(v->latency_ms[1])
	                        ? json_integer((json_int_t)llround(v->latency_ms[1]))
	                        : json_null());
	json_t *uc = json_array();
	for (size_t i = 0; i < v->by_use_case.n && i < TOP_USE_CASES; i++) {
		const view_row *r = &v->by_use_case.rows[i];
		json_array_append_new(
		    uc, json_pack("{s:s, s:I, s:I}", "use_case", r->key[0], "requests",
		                  (json_int_t)r->m[TT_M_REQUESTS], "cost_micros",
		                  (json_int_t)money_micros_of(r->m[TT_M_COST_NANOS])));
	}
	json_object_set_new(o, "by_use_case", uc);
	return o;
}

typedef struct bundle_ctx {
	const incident *x;
	json_t *records, *notes, *actions;
} bundle_ctx;

static int bundle_record(void *ctx, const audit_record *r)
{
	bundle_ctx *c = ctx;
	bool in_window = !c->x->closed_seq || r->seq <= c->x->closed_seq;
	json_t *rec = app_audit_json(r);
	if (!strcmp(r->kind, "note") && r->ref_seq == c->x->id) {
		json_t *p = json_loads(r->params, 0, NULL), *n = json_object();
		static const char *const keep[] = {"seq", "ts", "actor", "as_name"};
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
			json_object_set(n, keep[i], json_object_get(rec, keep[i]));
		json_t *text = json_object_get(p, "text");
		json_object_set(n, "text",
		                json_is_string(text) ? text : json_object_get(rec, "params"));
		json_decref(p);
		if (json_array_append_new(c->notes, n)) {
			json_decref(rec);
			return -1;
		}
	}
	if (!in_window) {
		json_decref(rec);
		return 0;
	}
	if (!strcmp(r->kind, "action") && json_array_append(c->actions, rec)) {
		json_decref(rec);
		return -1;
	}
	return json_array_append_new(c->records, rec);
}

/* ---- the controls in force during the window ---- */

/* A control an action (or a reconcile) applied, as the audit log tells it. */
typedef struct applied_ctl {
	int64_t seq, lifted_seq, lifted_ms; /* lifted_seq 0 while in force */
	char *gateway, *id;
	json_t *o; /* its bundle entry, less the lift */
} applied_ctl;

/* A lift sent: its pending record and the applied record it points at. */
typedef struct lift_sent {
	int64_t seq, target_seq;
} lift_sent;

typedef struct ctl_log {
	applied_ctl *v;
	size_t n, cap;
	lift_sent *lifts;
	size_t nlifts, lcap;
	int failed;
} ctl_log;

static void ctl_log_free(ctl_log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].gateway);
		free(l->v[i].id);
		json_decref(l->v[i].o);
	}
	free(l->v);
	free(l->lifts);
	memset(l, 0, sizeof *l);
}

/* The latest control still in force with that id on that gateway. */
static applied_ctl *ctl_in_force(ctl_log *l, const char *gateway, const char *id)
{
	for (size_t i = l->n; i-- > 0;)
		if (!l->v[i].lifted_seq && !strcmp(l->v[i].gateway, gateway) &&
		    !strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
}

/* The gateway's answer names the expiry, if any: tokentop's expires_at, in the "control" it
 * created (an action's record) or at the top (a reconcile's, the control itself). */
static json_t *jexpires_of(const char *response)
{
	json_t *r = json_loads(response, 0, NULL);
	json_t *c = json_object_get(r, "control");
	const char *e = json_string_value(json_object_get(json_is_object(c) ? c : r, "expires_at"));
	json_t *out = e ? json_string(e) : NULL;
	json_decref(r);
	return out ? out : json_null();
}

/* A JSON object from text; text that is not one is kept as a string. */
static json_t *jparsed(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	if (json_is_object(j))
		return j;
	json_decref(j);
	return json_string(text);
}

static int ctl_applied(ctl_log *l, const audit_record *r)
{
	if (ctl_in_force(l, r->gateway, r->control_id))
		return 0; /* the same control confirmed again (a replayed request) */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		applied_ctl *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	applied_ctl *c = &l->v[l->n++];
	memset(c, 0, sizeof *c);
	c->seq = r->seq;
	c->gateway = strdup(r->gateway);
	c->id = strdup(r->control_id);
	char *who = who_of(r);
	c->o = json_object();
	json_object_set_new(c->o, "id", json_string(r->control_id));
	json_object_set_new(c->o, "kind", json_string(r->action));
	json_object_set_new(c->o, "gateway", json_string(r->gateway));
	json_object_set_new(c->o, "scope", json_string(r->scope));
	json_object_set_new(c->o, "params", jparsed(r->params));
	json_object_set_new(c->o, "reason", json_string(r->reason));
	json_object_set_new(c->o, "applied", jiso(r->ts_ms));
	json_object_set_new(c->o, "applied_seq", json_integer(r->seq));
	json_object_set_new(c->o, "applied_by", json_string(who ? who : ""));
	json_object_set_new(c->o, "expires", jexpires_of(r->response));
	free(who);
	return c->gateway && c->id && c->o ? 0 : -1;
}

/* The applied control a lift undoes: the record its pending lift pointed at, else the one in
 * force with its id. */
static applied_ctl *ctl_lifted_by(ctl_log *l, const audit_record *r)
{
	int64_t target = 0;
	for (size_t i = 0; i < l->nlifts && !target; i++)
		if (l->lifts[i].seq == r->ref_seq)
			target = l->lifts[i].target_seq;
	for (size_t i = 0; target && i < l->n; i++)
		if (l->v[i].seq == target && !l->v[i].lifted_seq)
			return &l->v[i];
	return ctl_in_force(l, r->gateway, r->control_id);
}

static int ctl_collect(void *ctx, const audit_record *r)
{
	ctl_log *l = ctx;
	if (strcmp(r->kind, "action") && strcmp(r->kind, "reconcile"))
		return 0;
	bool lift = !strcmp(r->action, "lift");
	if (lift && !strcmp(r->status, "pending") && r->ref_seq) {
		if (l->nlifts == l->lcap) {
			size_t cap = l->lcap ? 2 * l->lcap : 16;
			lift_sent *v = realloc(l->lifts, cap * sizeof *v);
			if (!v)
				return l->failed = -1;
			l->lifts = v;
			l->lcap = cap;
		}
		l->lifts[l->nlifts++] = (lift_sent){r->seq, r->ref_seq};
		return 0;
	}
	if (!*r->control_id)
		return 0;
	if (!strcmp(r->status, "applied") && !lift)
		return ctl_applied(l, r) ? (l->failed = -1) : 0;
	applied_ctl *c = NULL;
	if (!strcmp(r->status, "applied") && lift)
		c = ctl_lifted_by(l, r);
	else if (!strcmp(r->status, "rolled_back"))
		for (size_t i = 0; !c && i < l->n; i++)
			if (l->v[i].seq == r->ref_seq && !l->v[i].lifted_seq)
				c = &l->v[i];
	if (c) {
		c->lifted_seq = r->seq;
		c->lifted_ms = r->ts_ms;
		char *who = who_of(r);
		json_object_set_new(c->o, "lifted_by", json_string(who ? who : ""));
		free(who);
	}
	return 0;
}

/* The controls the audit log shows in force at some time in the incident's window: applied
 * before its close, and not lifted (nor expired) before its open. */
static json_t *jcontrols_applied(audit *a, const incident *x, int64_t since)
{
	ctl_log l = {0};
	if (audit_each(a, INT64_MIN, ctl_collect, &l) || l.failed) {
		ctl_log_free(&l);
		return NULL;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < l.n; i++) {
		applied_ctl *c = &l.v[i];
		if (x->closed_seq && c->seq > x->closed_seq)
			continue;
		if (c->lifted_seq && c->lifted_seq < x->id)
			continue;
		const char *e = json_string_value(json_object_get(c->o, "expires"));
		int64_t expires;
		if (e && !time_parse_iso(e, strlen(e), &expires) && expires <= since)
			continue;
		json_t *lifted_by = json_incref(json_object_get(c->o, "lifted_by"));
		json_object_del(c->o, "lifted_by");
		json_object_set_new(c->o, "lifted",
		                    c->lifted_seq ? jiso(c->lifted_ms) : json_null());
		json_object_set_new(c->o, "lifted_seq",
		                    c->lifted_seq ? json_integer(c->lifted_seq) : json_null());
		json_object_set_new(c->o, "lifted_by", lifted_by ? lifted_by : json_null());
		json_array_append(arr, c->o);
	}
	ctl_log_free(&l);
	return arr;
}

/* What each gateway listed at tokentop's last read of its controls (the cache that sync and
 * the console keep). */
static json_t *jcontrols_listed(store *st, int64_t now, char *err, size_t errlen)
{
	view_gwstate v;
	if (view_gwstate_build(st, now, &v, err, errlen))
		return NULL;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < v.n; i++) {
		const view_gateway *g = &v.gateways[i];
		if (!g->controls_ms)
			continue;
		json_t *cs = json_array();
		for (size_t k = 0; k < g->ncontrols; k++) {
			const view_gw_control *c = &g->controls[k];
			json_t *o = json_object();
			json_object_set_new(o, "id", json_string(c->id));
			json_object_set_new(o, "kind", json_string(c->kind));
			json_object_set_new(o, "scope", jparsed(c->scope));
			json_object_set_new(o, "params", jparsed(c->params));
			json_object_set_new(o, "reason", json_string(c->reason ? c->reason : ""));
			json_object_set_new(o, "actor", json_string(c->actor ? c->actor : ""));
			json_object_set_new(o, "created",
			                    c->created_ms ? jiso(c->created_ms) : json_null());
			json_object_set_new(o, "expires",
			                    c->expires_ms ? jiso(c->expires_ms) : json_null());
			json_array_append_new(cs, o);
		}
		json_t *o = json_object();
		json_object_set_new(o, "gateway", json_string(g->source));
		json_object_set_new(o, "read", jiso(g->controls_ms));
		json_object_set_new(o, "etag",
		                    g->controls_etag ? json_string(g->controls_etag) : json_null());
		json_object_set_new(o, "controls", cs);
		json_array_append_new(arr, o);
	}
	view_gwstate_free(&v);
	return arr;
}

static int incident_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, O_OUTPUT},
	    {"db", required_argument, NULL, O_DB},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"help", no_argument, NULL, O_HELP},
	    {0, 0, 0, 0},
	};
	opts o = {0};
	int rc;
	int64_t id;
	if (parse(argc, argv, longopts, export_usage, &o, &rc) ||
	    !operands("export", argc, 1, 1, argv, &rc))
		return rc;
	if (parse_id("export", argv[optind], &id))
		return EXIT_USAGE;
	reader rd;
	if (reader_open(&rd, &o, "export"))
		return EXIT_FAIL;
	const incident *x = incidents_find(&rd.l, id);
	if (!x) {
		fprintf(stderr,
		        "tokentop incident export: no incident %" PRId64
		        " ('tokentop incident list' shows them)\n",
		        id);
		reader_close(&rd);
		return EXIT_FAIL;
	}
	/* the record times are the wall clock's, so the window is too ($TOKENTOP_NOW aside) */
	int64_t now = time_now_ms();
	int64_t since = x->opened_ms, until = x->closed_seq ? x->closed_ms : now;
	if (until <= since)
		until = since + 1;
	bundle_ctx bc = {
	    .x = x, .records = json_array(), .notes = json_array(), .actions = json_array()};
	json_t *doc = json_object();
	json_object_set_new(doc, "bundle", json_string("tokentop incident"));
	json_object_set_new(doc, "schema", json_integer(BUNDLE_SCHEMA));
	json_object_set_new(doc, "generated", jiso(now));
	json_object_set_new(doc, "incident", jincident(x));
	json_object_set_new(doc, "window",
	                    json_pack("{s:o, s:o}", "since", jiso(since), "until", jiso(until)));
	char err[512] = "";
	rc = audit_each_after(rd.a, id - 1, bundle_record, &bc) ? -1 : 0;
	if (rc)
		snprintf(err, sizeof err, "reading the audit log: %s", store_errmsg(rd.st));
	alert_set as = {0};
	tt_config cfg = {0};
	bool have_cfg = false;
	if (!rc && config_open(o.config, &cfg))
		rc = -2; /* config_open said what is wrong */
	else if (!rc)
		have_cfg = true;
	if (!rc)
		rc = window_alerts(rd.st, &cfg, since, until, &as, err, sizeof err);
	if (have_cfg)
		config_free(&cfg);
	view_summary sum;
	if (!rc && !(rc = view_summary_build(rd.st, since, until, NULL, &sum, err, sizeof err))) {
		json_object_set_new(doc, "summary", jsummary(&sum));
		view_summary_free(&sum);
	}
	json_t *applied = NULL, *listed = NULL;
	if (!rc && !(applied = jcontrols_applied(rd.a, x, since))) {
		snprintf(err, sizeof err, "reading the audit log: %s", store_errmsg(rd.st));
		rc = -1;
	}
	if (!rc && !(listed = jcontrols_listed(rd.st, now, err, sizeof err)))
		rc = -1;
	if (!rc) {
		json_t *alerts = json_array();
		for (size_t i = 0; i < as.n; i++) {
			json_t *j = report_alert_json(&as.v[i]);
			if (!json_object_get(j, "resolved")) /* a bundle says null: still firing */
				json_object_set_new(j, "resolved", json_null());
			json_array_append_new(alerts, j);
		}
		json_object_set_new(
		    doc, "alerts_evaluated",
		    json_pack("{s:o, s:o}", "from", jiso(as.from_ms), "until", jiso(until)));
		json_object_set_new(doc, "alerts", alerts);
		json_object_set_new(doc, "notes", bc.notes);
		json_object_set_new(doc, "actions", bc.actions);
		json_object_set_new(doc, "controls",
		                    json_pack("{s:o, s:o}", "applied", applied, "listed", listed));
		applied = listed = NULL;
		json_object_set_new(doc, "records", bc.records);
		bc.notes = bc.actions = bc.records = NULL;
	}
	free(as.v);
	json_decref(applied);
	json_decref(listed);
	json_decref(bc.notes);
	json_decref(bc.actions);
	json_decref(bc.records);
	outfile out = {0};
	if (!rc && outfile_open(&out, o.output, err, sizeof err))
		rc = -1;
	if (!rc) {
		bool ok = json_dumpf(doc, out.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
		          fputc('\n', out.f) != EOF;
		if (outfile_close(&out, ok, err, sizeof err) || !ok) {
			if (!*err)
				snprintf(err, sizeof err, "write error on %.400s", out.path);
			rc = -1;
		}
	}
	json_decref(doc);
	reader_close(&rd);
	if (rc) {
		if (*err) /* else config_open said it */
			fprintf(stderr, "tokentop incident export: %s\n", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static const app_verb verbs[] = {
    {"open", incident_open}, {"note", incident_note},     {"close", incident_close},
    {"list", incident_list}, {"export", incident_export},
};

int cmd_incident(int argc, char **argv)
{
	return app_run_verb("incident", verbs, sizeof verbs / sizeof verbs[0], incident_usage, argc,
	                    argv);
}
