/* Exactly-once ingest: events and their rollups commit together, duplicates change nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tokentop/ingest.h"
#include "tokentop/timeutil.h"

#define DEFAULT_BATCH 50000

struct ingest {
	store *st;
	ingest_opts o;
	ingest_stats stats;
	rollup_acc *acc;
	bool in_txn;
	uint32_t pending;
	int failed; /* a store error happened; stop */
	/* where the current record came from, for rejection lines */
	const char *path;
	uint64_t line;
	uint64_t reject_lines;
};

ingest *ingest_new(store *st, const ingest_opts *o)
{
	ingest *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->st = st;
	in->o = *o;
	if (!in->o.batch)
		in->o.batch = DEFAULT_BATCH;
	in->acc = rollup_acc_new();
	if (!in->acc) {
		free(in);
		return NULL;
	}
	return in;
}

void ingest_free(ingest *in)
{
	if (!in)
		return;
	if (in->in_txn)
		store_rollback(in->st);
	rollup_acc_free(in->acc);
	free(in);
}

const ingest_stats *ingest_stats_get(const ingest *in)
{
	return &in->stats;
}

int ingest_event(ingest *in, tt_event *ev)
{
	if (in->failed)
		return -1;
	if (!in->in_txn) {
		if (store_begin(in->st)) {
			in->failed = 1;
			return -1;
		}
		in->in_txn = true;
	}
	ratecard_price(in->o.card, ev);
	tt_dims d;
	store_dims_of(ev, &d);
	int64_t id = store_dims_intern(in->st, &d);
	int rc = id < 0 ? -1 : store_event_insert(in->st, ev, id);
	if (rc < 0) {
		in->failed = 1;
		return -1;
	}
	if (rc == 0) {
		in->stats.duplicate++;
		return 0;
	}
	if (rollup_acc_add(in->acc, id, ev)) {
		in->failed = 1;
		return -1;
	}
	in->stats.accepted++;
	in->stats.priced[ev->cost_source]++;
	if (++in->pending >= in->o.batch)
		return ingest_commit(in, NULL, NULL);
	return 0;
}

static int emit_row(void *ctx, tt_res r, const tt_rollup *row)
{
	return store_rollup_add(ctx, r, row);
}

int ingest_commit(ingest *in, const char *source, const char *cursor)
{
	if (in->failed)
		return -1;
	if (!in->in_txn && !source)
		return 0;
	if (!in->in_txn) {
		if (store_begin(in->st))
			goto fail;
		in->in_txn = true;
	}
	if (rollup_acc_flush(in->acc, emit_row, in->st))
		goto fail;
	if (source && store_cursor_set(in->st, source, cursor))
		goto fail;
	if (store_commit(in->st))
		goto fail;
	in->in_txn = false;
	in->pending = 0;
	return 0;
fail:
	in->failed = 1;
	return -1;
}

/* Parser callbacks for ingest_file. */
static void on_event(void *ctx, const tt_event *ev)
{
	tt_event copy = *ev;
	ingest_event(ctx, &copy);
}

static void on_reject(void *ctx, int item, const char *reason)
{
	ingest *in = ctx;
	in->stats.rejected++;
	if (!in->o.errors)
		return;
	if (in->o.max_reject_lines && in->reject_lines >= in->o.max_reject_lines) {
		if (in->reject_lines++ == in->o.max_reject_lines)
			fprintf(in->o.errors, "%s: further rejections not shown\n", in->path);
		return;
	}
	in->reject_lines++;
	if (item >= 0)
		fprintf(in->o.errors, "%s:%llu: item %d: %s\n", in->path,
			(unsigned long long)in->line, item, reason);
	else
		fprintf(in->o.errors, "%s:%llu: %s\n", in->path, (unsigned long long)in->line,
			reason);
}

typedef struct progress {
	bool on;
	uint64_t total; /* bytes, 0 when unknown */
	struct timespec start, last;
} progress;

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_draw(progress *p, const ingest *in, uint64_t done, bool final)
{
	if (!p->on)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&p->last, &now) < 0.2)
		return;
	p->last = now;
	double secs = elapsed(&p->start, &now);
	double rate = secs > 0 ? (double)(in->stats.accepted + in->stats.duplicate) / secs : 0;
	if (p->total) {
		int pct = (int)(done * 100 / p->total);
		int fill = pct * 30 / 100;
		fprintf(stderr, "\r\033[K%s [%.*s%*s] %3d%%  %llu events  %.0f/s", in->path, fill,
			"##############################", 30 - fill, "", pct,
			(unsigned long long)(in->stats.accepted + in->stats.duplicate), rate);
	} else {
		fprintf(stderr, "\r\033[K%s  %llu events  %.0f/s", in->path,
			(unsigned long long)(in->stats.accepted + in->stats.duplicate), rate);
	}
	if (final)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* A file whose first line opens a JSON value it does not close is one pretty-printed
 * document (a saved LiteLLM page, an OTLP export): parse it whole. */
static bool looks_like_document(FILE *f)
{
	char buf[4096];
	long pos = ftell(f);
	if (pos < 0)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fseek(f, pos, SEEK_SET);
	buf[n] = 0;
	char *nl = memchr(buf, '\n', n);
	if (!nl)
		return false;
	char *p = buf;
	while (p < nl && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (*p != '{' && *p != '[')
		return false;
	char *e = nl;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return !(e > p && (e[-1] == '}' || e[-1] == ']'));
}

static int ingest_document(ingest *in, FILE *f, const parse_sink *sink, char *err, size_t errlen)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", in->path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= TT_RECORD_MAX) {
				in->line = 1;
				on_reject(in, -1, "document larger than 16 MiB; write one record per line");
				in->stats.records++;
				free(buf);
				return 0;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				snprintf(err, errlen, "%s: out of memory", in->path);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", in->path, strerror(errno));
		free(buf);
		return -1;
	}
	in->line = 1;
	in->stats.records++;
	parse_record(in->o.format, buf, len, sink);
	free(buf);
	return 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

int ingest_file(ingest *in, const char *path, char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	in->path = is_stdin ? "<stdin>" : path;
	in->line = 0;
	parse_sink sink = {on_event, on_reject, in};
	progress p = {.on = in->o.progress && isatty(STDERR_FILENO)};
	struct stat sb;
	if (!is_stdin && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode))
		p.total = (uint64_t)sb.st_size;
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	p.last = p.start;

	int rc = 0;
	if (!is_stdin && p.total && looks_like_document(f)) {
		rc = ingest_document(in, f, &sink, err, errlen);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		uint64_t done = 0;
		while ((n = getline(&line, &cap, f)) >= 0) {
			in->line++;
			done += (uint64_t)n;
			if (blank(line, (size_t)n))
				continue;
			in->stats.records++;
			if ((size_t)n > TT_RECORD_MAX) {
				on_reject(in, -1, "line longer than 16 MiB");
			} else {
				parse_record(in->o.format, line, (size_t)n, &sink);
			}
			if (in->failed)
				break;
			if ((in->line & 1023) == 0)
				progress_draw(&p, in, done, false);
		}
		if (ferror(f)) {
			snprintf(err, errlen, "%s:%llu: read error: %s", in->path,
				 (unsigned long long)in->line, strerror(errno));
			rc = -1;
		}
		free(line);
		progress_draw(&p, in, done, true);
	}
	if (!is_stdin)
		fclose(f);
	if (in->failed || ingest_commit(in, NULL, NULL)) {
		snprintf(err, errlen, "%s:%llu: database error: %s", in->path,
			 (unsigned long long)in->line, store_errmsg(in->st));
		return -1;
	}
	return rc;
}
