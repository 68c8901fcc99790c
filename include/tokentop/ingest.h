/* Exactly-once ingest: parse, price, dedupe and roll up events into the store, in batches. */
#ifndef TOKENTOP_INGEST_H
#define TOKENTOP_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tokentop/event.h"
#include "tokentop/parse.h"
#include "tokentop/ratecard.h"
#include "tokentop/rollup.h"
#include "tokentop/store.h"

typedef struct ingest_stats {
	uint64_t records;   /* lines or documents read */
	uint64_t accepted;  /* new events stored */
	uint64_t duplicate; /* events whose request_id was already stored */
	uint64_t rejected;  /* records or elements refused, each named on the error stream */
	uint64_t priced[TT_COST_COUNT];
	double read_cpu_s;  /* CPU seconds spent reading and parsing files (their own thread) */
	double store_cpu_s; /* CPU seconds spent storing them */
} ingest_stats;

typedef struct ingest_opts {
	tt_format format;
	const ratecard *card;         /* may be NULL */
	FILE *errors;                 /* rejection lines go here (NULL: not written) */
	bool progress;                /* draw a progress line on the error stream */
	uint32_t batch;               /* events per transaction; 0 = default */
	uint64_t max_reject_lines;    /* stop naming rejections after this many; 0 = no limit */
	int64_t max_event_cost_nanos; /* refuse events costing more; 0 = TT_COST_CEILING_NANOS */
	bool every_line;              /* name each rejected line and each oddity on errors, as well
	                               * as the summary (ingest -v) */
} ingest_opts;

typedef struct ingest ingest;

/* The rejections by reason and the oddities kept (unknown values kept as other, names cut),
 * each with its first file:line places; nothing when there were none. */
void ingest_write_summary(const ingest *in, FILE *out);

/* An ingest session over an open store. */
ingest *ingest_new(store *st, const ingest_opts *o);
void ingest_free(ingest *in);
/* Drops what was added since the last commit (rolled back, counts restored) and clears a
 * failure, for a caller that will add the same events again (a page fetched again). */
void ingest_abandon(ingest *in);

/* Adds one parsed event to the current batch (pricing it first). 0; 1 when the event is
 * refused (a cost above the ceiling, or sums that would overflow), counted as rejected and
 * named on the error stream, the batch going on without it; -1 on a store error. */
int ingest_event(ingest *in, tt_event *ev);

/* Commits the current batch; with source non-NULL, commits cursor for it in the same
 * transaction. 0 or -1. */
int ingest_commit(ingest *in, const char *source, const char *cursor);

/* Reads a file ("-" for standard input) of records and ingests them, committing in
 * batches. 0 on success (rejections included), -1 on an I/O or store error (err says). */
int ingest_file(ingest *in, const char *path, char *err, size_t errlen);

const ingest_stats *ingest_stats_get(const ingest *in);

#endif
