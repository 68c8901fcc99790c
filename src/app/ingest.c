/* Exactly-once ingest: events and their rollups commit together, duplicates change nothing. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tokentop/ingest.h"
#include "tokentop/jsplit.h"
#include "tokentop/money.h"
#include "tokentop/strmap.h"
#include "tokentop/tally.h"
#include "tokentop/timeutil.h"

#define DEFAULT_BATCH 50000

struct ingest {
	store *st;
	ingest_opts o;
	ingest_stats stats;
	rollup_acc *acc;
	bool in_txn;
	ingest_stats committed; /* the counts as of the last commit */
	uint32_t pending;
	int failed; /* a store error happened; stop */
	/* where the current record came from, for rejection lines */
	const char *path;
	uint64_t line;
	uint64_t reject_lines;
	tally *rejects, *notes; /* by reason, for the summary */
	uint64_t parsed;
	struct pipeline *pipe;
	/* file path, reader side: dimension tuples numbered locally, the batch's rollups */
	strmap *local;
	struct batch *racc;
	uint32_t rcount;
	bool reader_oom;
	/* file path, store side: local number -> database id, the batch's duplicates */
	int64_t *dbid;
	size_t ndbid;
	tt_event *dups;
	uint32_t *dup_local;
	size_t ndups, capdups;
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
	in->local = strmap_new();
	in->rejects = tally_new();
	in->notes = tally_new();
	if (!in->acc || !in->local || !in->rejects || !in->notes) {
		ingest_free(in);
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
	strmap_free(in->local);
	tally_free(in->rejects);
	tally_free(in->notes);
	free(in->dbid);
	free(in->dups);
	free(in->dup_local);
	free(in);
}

void ingest_abandon(ingest *in)
{
	if (in->in_txn || store_in_txn(in->st))
		store_rollback(in->st);
	in->in_txn = false;
	rollup_acc_clear(in->acc);
	in->pending = 0;
	in->failed = 0;
	in->stats = in->committed;
}

const ingest_stats *ingest_stats_get(const ingest *in)
{
	return &in->stats;
}

/* A cost above the ceiling: one absurd value (a unit mistake, a hostile line) would outweigh
 * everything else and could overflow the sums. */
static bool implausible(const ingest *in, const tt_event *ev, char *why, size_t cap)
{
	int64_t max =
	    in->o.max_event_cost_nanos > 0 ? in->o.max_event_cost_nanos : TT_COST_CEILING_NANOS;
	if (ev->cost_nanos <= max)
		return false;
	char got[48], lim[48];
	money_format(ev->cost_nanos, got, sizeof got);
	money_format(max, lim, sizeof lim);
	snprintf(why, cap, "cost: implausible, above the %s USD ceiling per event (%s USD %s)", lim,
	         got, ev->cost_source == TT_COST_GATEWAY ? "given" : "priced");
	return true;
}

/* An event refused whole on the live path: counted, named, and the batch goes on. */
static int refuse(ingest *in, const tt_event *ev, const char *why)
{
	in->stats.rejected++;
	tally_add(in->rejects, why, ev->request_id);
	if (in->o.errors)
		fprintf(in->o.errors, "ingest: event %s refused: %s\n", ev->request_id, why);
	return 1;
}

/* Stores an event already priced. */
static int store_priced(ingest *in, tt_event *ev)
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
	tt_dims d;
	store_dims_of(ev, &d);
	int64_t id = store_dims_intern(in->st, &d);
	if (id < 0) {
		in->failed = 1;
		return -1;
	}
	/* counted first, so that sums that would overflow refuse the event before it is stored */
	int ra = rollup_acc_add(in->acc, id, ev);
	if (ra == ROLLUP_OVERFLOW)
		return refuse(in, ev, "sums would overflow");
	int rc = ra < 0 ? -1 : store_event_insert(in->st, ev, id);
	if (rc == 0 && rollup_acc_remove(in->acc, id, ev))
		rc = -1;
	if (rc < 0) {
		in->failed = 1;
		return -1;
	}
	if (rc == 0) {
		in->stats.duplicate++;
		return 0;
	}
	in->stats.accepted++;
	in->stats.priced[ev->cost_source]++;
	if (++in->pending >= in->o.batch)
		return ingest_commit(in, NULL, NULL);
	return 0;
}

int ingest_event(ingest *in, tt_event *ev)
{
	ratecard_price(in->o.card, ev);
	char why[160];
	if (implausible(in, ev, why, sizeof why))
		return refuse(in, ev, why);
	return store_priced(in, ev);
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
	in->committed = in->stats;
	return 0;
fail:
	in->failed = 1;
	return -1;
}

/*
 * ingest_file runs two threads: this one reads, parses and prices records into chunks of
 * events; the caller's thread stores them. Parsing JSON and writing SQLite each take about
 * half the time, so on two cores the file goes in at the speed of the slower one. Records
 * keep their order, so a duplicate inside one file is the later line. The queue holds 32k
 * events (26 MB) so that parsing goes on while a batch's rollups are written.
 */
#define CHUNK_EVENTS 2048
#define QUEUE_CHUNKS 16

/* A batch's rollups: accumulated by the reader, encoded and stored by the caller. */
typedef struct batch {
	rollup_acc *acc;
	rollup_rows *rows;
} batch;

static void batch_free(batch *b)
{
	if (!b)
		return;
	rollup_acc_free(b->acc);
	rollup_rows_free(b->rows);
	free(b);
}

static batch *batch_new(void)
{
	batch *b = calloc(1, sizeof *b);
	if (b) {
		b->acc = rollup_acc_new();
		b->rows = rollup_rows_new();
		if (!b->acc || !b->rows) {
			batch_free(b);
			b = NULL;
		}
	}
	return b;
}

typedef struct chunk {
	size_t n;
	batch *acc; /* set on a batch's last chunk: the batch's rollups */
	uint32_t local[CHUNK_EVENTS];
	tt_event ev[CHUNK_EVENTS];
} chunk;

typedef struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t not_full, not_empty;
	chunk *slots[QUEUE_CHUNKS];
	uint64_t head, tail; /* chunks published, chunks consumed */
	bool done;           /* the reader has published its last chunk */
	bool stop;           /* the store failed: the reader gives up */
	chunk *cur;          /* the slot the reader is filling, NULL when stopping */
	batch *spare;        /* a stored batch handed back for reuse */
} pipeline;

/* Reader side: the slot to fill next, waiting while every slot is full. */
static chunk *pipe_acquire(pipeline *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->head - p->tail >= QUEUE_CHUNKS && !p->stop)
		pthread_cond_wait(&p->not_full, &p->mu);
	chunk *c = p->stop ? NULL : p->slots[p->head % QUEUE_CHUNKS];
	pthread_mutex_unlock(&p->mu);
	if (c) {
		c->n = 0;
		c->acc = NULL;
	}
	return c;
}

static void pipe_publish(pipeline *p)
{
	pthread_mutex_lock(&p->mu);
	p->head++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
}

/* Reader side: a fresh accumulator for the next batch. */
static batch *pipe_new_acc(pipeline *p)
{
	pthread_mutex_lock(&p->mu);
	batch *b = p->spare;
	p->spare = NULL;
	pthread_mutex_unlock(&p->mu);
	return b ? b : batch_new();
}

/* Reader side: gives up (out of memory); the caller reports it after the join. */
static void reader_fail(ingest *in)
{
	pipeline *p = in->pipe;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_mutex_unlock(&p->mu);
	p->cur = NULL;
	in->reader_oom = true;
}

/* Reader side: ends the batch with the current chunk. */
static void end_batch(ingest *in)
{
	pipeline *p = in->pipe;
	p->cur->acc = in->racc;
	in->racc = NULL;
	in->rcount = 0;
	pipe_publish(p);
	p->cur = pipe_acquire(p);
	if (p->cur) {
		in->racc = pipe_new_acc(p);
		if (!in->racc)
			reader_fail(in);
	}
}

static void on_reject(void *ctx, int item, const char *reason);

/* Parser callbacks, on the reader thread. */
static void on_event(void *ctx, const tt_event *ev)
{
	ingest *in = ctx;
	pipeline *p = in->pipe;
	if (!p->cur)
		return; /* stopping */
	size_t i = p->cur->n;
	tt_event *e = &p->cur->ev[i];
	*e = *ev;
	ratecard_price(in->o.card, e);
	char why[160];
	if (implausible(in, e, why, sizeof why)) {
		on_reject(in, -1, why);
		return;
	}
	tt_dims d;
	char key[TT_DIMS_KEY_CAP];
	store_dims_of(e, &d);
	size_t klen = store_dims_key(&d, key, sizeof key);
	int64_t id = strmap_get(in->local, key, klen);
	if (id < 0) {
		id = (int64_t)strmap_count(in->local);
		if (strmap_put(in->local, key, klen, id))
			goto oom;
	}
	int ra = rollup_acc_add(in->racc->acc, id, e);
	if (ra == ROLLUP_OVERFLOW) {
		on_reject(in, -1, "sums would overflow");
		return;
	}
	if (ra < 0)
		goto oom;
	p->cur->local[i] = (uint32_t)id;
	p->cur->n++;
	in->parsed++;
	if (++in->rcount >= in->o.batch) {
		end_batch(in);
	} else if (p->cur->n == CHUNK_EVENTS) {
		pipe_publish(p);
		p->cur = pipe_acquire(p);
	}
	return;
oom:
	reader_fail(in);
}

/* "FILE:LINE" or "FILE:LINE item K", for the summary and -v lines */
static void place(const ingest *in, int item, char *buf, size_t cap)
{
	if (item >= 0)
		snprintf(buf, cap, "%s:%llu item %d", in->path, (unsigned long long)in->line, item);
	else
		snprintf(buf, cap, "%s:%llu", in->path, (unsigned long long)in->line);
}

/* -v: one line per rejection or oddity, up to max_reject_lines. */
static void name_line(ingest *in, const char *where, const char *kind, const char *what)
{
	if (!in->o.errors || !in->o.every_line)
		return;
	if (in->o.max_reject_lines && in->reject_lines >= in->o.max_reject_lines) {
		if (in->reject_lines++ == in->o.max_reject_lines)
			fprintf(in->o.errors, "%s: further lines not shown\n", in->path);
		return;
	}
	in->reject_lines++;
	fprintf(in->o.errors, "%s: %s%s\n", where, kind, what);
}

static void on_reject(void *ctx, int item, const char *reason)
{
	ingest *in = ctx;
	char where[1200];
	in->stats.rejected++;
	place(in, item, where, sizeof where);
	tally_add(in->rejects, reason, where);
	name_line(in, where, "", reason);
}

static void on_note(void *ctx, int item, const char *what)
{
	ingest *in = ctx;
	char where[1200];
	place(in, item, where, sizeof where);
	tally_add(in->notes, what, where);
	name_line(in, where, "kept: ", what);
}

void ingest_write_summary(const ingest *in, FILE *out)
{
	tally_write(in->rejects, out, "rejected");
	tally_write(in->notes, out, "kept with odd values");
	fflush(out);
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
	double rate = secs > 0 ? (double)in->parsed / secs : 0;
	if (final) {
		fputs("\r\033[K", stderr);
	} else if (p->total) {
		int pct = (int)(done * 100 / p->total);
		int fill = pct * 30 / 100;
		fprintf(stderr, "\r\033[K%s [%.*s%*s] %3d%%  %llu events  %.0f/s", in->path, fill,
		        "##############################", 30 - fill, "", pct,
		        (unsigned long long)in->parsed, rate);
	} else {
		fprintf(stderr, "\r\033[K%s  %llu events  %.0f/s", in->path,
		        (unsigned long long)in->parsed, rate);
	}
	fflush(stderr);
}

static double thread_cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct reader {
	ingest *in;
	FILE *f;
	const parse_sink *sink;
	progress prog;
	int read_errno;
	double cpu_s;
} reader;

static void on_split(void *ctx, jsplit_kind kind, const char *buf, size_t len, uint64_t line)
{
	reader *r = ctx;
	ingest *in = r->in;
	in->line = line;
	in->stats.records++;
	if (kind == JSPLIT_LONG)
		on_reject(in, -1, "record longer than 16 MiB");
	else
		parse_record(in->o.format, buf, len, r->sink);
}

/* One record a line, pretty-printed documents, concatenated values, arrays and pages of any
 * size (their rows one by one): jsplit cuts the stream, in memory bounded by one record. */
static void read_stream(reader *r)
{
	ingest *in = r->in;
	jsplit *js = jsplit_new(TT_RECORD_MAX, on_split, r);
	char *buf = malloc(1 << 16);
	uint64_t done = 0;
	if (!js || !buf) {
		r->read_errno = ENOMEM;
		goto out;
	}
	size_t n;
	while (in->pipe->cur && (n = fread(buf, 1, 1 << 16, r->f)) > 0) {
		done += n;
		jsplit_feed(js, buf, n);
		progress_draw(&r->prog, in, done, false);
	}
	if (ferror(r->f))
		r->read_errno = errno ? errno : EIO;
	else if (in->pipe->cur)
		jsplit_finish(js);
	progress_draw(&r->prog, in, done, true);
out:
	jsplit_free(js);
	free(buf);
}

static void *reader_main(void *arg)
{
	reader *r = arg;
	ingest *in = r->in;
	pipeline *p = in->pipe;
	parse_sink sink = {on_event, on_reject, in, on_note};
	r->sink = &sink;
	p->cur = pipe_acquire(p);
	in->rcount = 0;
	in->racc = p->cur ? pipe_new_acc(p) : NULL;
	if (p->cur && !in->racc)
		p->cur = NULL;
	if (p->cur)
		read_stream(r);
	pthread_mutex_lock(&p->mu);
	if (p->cur) {
		p->cur->acc = in->racc; /* the last batch, however short */
		in->racc = NULL;
		p->head++;
	}
	p->done = true;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
	parse_thread_release();
	r->cpu_s = thread_cpu_s();
	return NULL;
}

typedef struct translate {
	store *st;
	const int64_t *dbid;
} translate;

/* Flushed rows carry the reader's local numbers: store them under the database ids. */
static int emit_translated(void *ctx, tt_res r, const tt_rollup *row)
{
	translate *t = ctx;
	tt_rollup copy = *row;
	copy.dims_id = t->dbid[row->dims_id];
	return store_rollup_add(t->st, r, &copy);
}

static int64_t db_id_of(ingest *in, uint32_t local, const tt_event *ev)
{
	if (local >= in->ndbid) {
		size_t n = in->ndbid ? in->ndbid * 2 : 1024;
		while (n <= local)
			n *= 2;
		int64_t *nd = realloc(in->dbid, n * sizeof *nd);
		if (!nd)
			return -1;
		for (size_t i = in->ndbid; i < n; i++)
			nd[i] = -1;
		in->dbid = nd;
		in->ndbid = n;
	}
	if (in->dbid[local] < 0) {
		tt_dims d;
		store_dims_of(ev, &d);
		in->dbid[local] = store_dims_intern(in->st, &d);
	}
	return in->dbid[local];
}

static int note_dup(ingest *in, uint32_t local, const tt_event *ev)
{
	if (in->ndups == in->capdups) {
		size_t n = in->capdups ? in->capdups * 2 : 256;
		tt_event *nd = realloc(in->dups, n * sizeof *nd);
		if (!nd)
			return -1;
		in->dups = nd;
		uint32_t *nl = realloc(in->dup_local, n * sizeof *nl);
		if (!nl)
			return -1;
		in->dup_local = nl;
		in->capdups = n;
	}
	in->dups[in->ndups] = *ev;
	in->dup_local[in->ndups++] = local;
	return 0;
}

static void store_chunk(ingest *in, chunk *c)
{
	for (size_t i = 0; i < c->n && !in->failed; i++) {
		const tt_event *ev = &c->ev[i];
		if (!in->in_txn) {
			if (store_begin(in->st)) {
				in->failed = 1;
				break;
			}
			in->in_txn = true;
		}
		int64_t id = db_id_of(in, c->local[i], ev);
		int rc = id < 0 ? -1 : store_event_insert(in->st, ev, id);
		if (rc < 0 || (rc == 0 && note_dup(in, c->local[i], ev))) {
			in->failed = 1;
		} else if (rc == 0) {
			in->stats.duplicate++;
		} else {
			in->stats.accepted++;
			in->stats.priced[ev->cost_source]++;
		}
	}
	if (!c->acc || in->failed)
		return;
	/* the batch's end: its rollups without the duplicates, committed with its events */
	for (size_t i = 0; i < in->ndups; i++)
		if (rollup_acc_remove(c->acc->acc, in->dup_local[i], &in->dups[i]))
			in->failed = 1;
	in->ndups = 0;
	if (!in->failed && rollup_acc_encode(c->acc->acc, c->acc->rows))
		in->failed = 1;
	rollup_acc_clear(c->acc->acc);
	translate t = {in->st, in->dbid};
	if (!in->failed && in->in_txn &&
	    (rollup_rows_emit(c->acc->rows, emit_translated, &t) || store_commit(in->st)))
		in->failed = 1;
	if (!in->failed)
		in->in_txn = false;
}

/* Stores published chunks until the reader is done (or the store fails). */
static void store_chunks(ingest *in, pipeline *p)
{
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->tail == p->head && !p->done)
			pthread_cond_wait(&p->not_empty, &p->mu);
		if (p->tail == p->head) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		chunk *c = p->slots[p->tail % QUEUE_CHUNKS];
		pthread_mutex_unlock(&p->mu);
		store_chunk(in, c);
		pthread_mutex_lock(&p->mu);
		if (c->acc) {
			if (!p->spare && !in->failed)
				p->spare = c->acc; /* cleared after storing */
			else
				batch_free(c->acc);
			c->acc = NULL;
		}
		p->tail++;
		if (in->failed)
			p->stop = true;
		pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->mu);
	}
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
	in->parsed = 0;
	reader r = {.in = in, .f = f};
	r.prog.on = in->o.progress && isatty(STDERR_FILENO);
	struct stat sb;
	if (!is_stdin && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode))
		r.prog.total = (uint64_t)sb.st_size;
	clock_gettime(CLOCK_MONOTONIC, &r.prog.start);
	r.prog.last = r.prog.start;

	pipeline p = {0};
	int rc = 0;
	for (int i = 0; i < QUEUE_CHUNKS; i++) {
		p.slots[i] = malloc(sizeof(chunk));
		if (!p.slots[i])
			rc = -1;
	}
	pthread_t th;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.not_full, NULL);
	pthread_cond_init(&p.not_empty, NULL);
	in->pipe = &p;
	if (rc == 0 && pthread_create(&th, NULL, reader_main, &r) == 0) {
		pthread_setname_np(th, "tokentop-read");
		double cpu0 = thread_cpu_s();
		store_chunks(in, &p);
		pthread_join(th, NULL);
		in->stats.store_cpu_s += thread_cpu_s() - cpu0;
		in->stats.read_cpu_s += r.cpu_s;
	} else {
		snprintf(err, errlen, "%s: cannot start reading: out of resources", in->path);
		rc = -1;
	}
	in->pipe = NULL;
	batch_free(p.spare);
	batch_free(in->racc);
	in->racc = NULL;
	in->ndups = 0;
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.not_full);
	pthread_cond_destroy(&p.not_empty);
	for (int i = 0; i < QUEUE_CHUNKS; i++)
		free(p.slots[i]);
	if (!is_stdin)
		fclose(f);
	if (rc)
		return rc;
	if (in->reader_oom) {
		snprintf(err, errlen, "%s:%llu: out of memory", in->path,
		         (unsigned long long)in->line);
		return -1;
	}
	if (in->failed || ingest_commit(in, NULL, NULL)) {
		snprintf(err, errlen, "%s:%llu: database error: %s", in->path,
		         (unsigned long long)in->line, store_errmsg(in->st));
		return -1;
	}
	if (r.read_errno) {
		snprintf(err, errlen, "%s:%llu: read error: %s", in->path,
		         (unsigned long long)in->line, strerror(r.read_errno));
		return -1;
	}
	return 0;
}
