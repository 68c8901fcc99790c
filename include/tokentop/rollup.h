/* Rollup accumulation: events summed into (resolution, bucket, dimensions) cells in memory. */
#ifndef TOKENTOP_ROLLUP_H
#define TOKENTOP_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"
#include "tokentop/store.h"

typedef struct rollup_acc rollup_acc;

rollup_acc *rollup_acc_new(void);
void rollup_acc_free(rollup_acc *a);

/* The counters one event contributes to a rollup cell. */
void rollup_event_metrics(const tt_event *ev, int64_t m[TT_M_COUNT]);

/* Counts an event in its minute cell (hours and days follow at flush). dims_id is any
 * integer key of the dimension tuple; flushed rows carry it as their dims_id.
 * 0; -1 when out of memory; ROLLUP_OVERFLOW, with nothing counted, when a sum of the cell
 * would overflow (the event is to be refused, not the batch). */
#define ROLLUP_OVERFLOW (-2)
int rollup_acc_add(rollup_acc *a, int64_t dims_id, const tt_event *ev);

/* Takes back an event added earlier (one found to be a duplicate). 0, or -1 when the
 * accumulator does not hold it. */
int rollup_acc_remove(rollup_acc *a, int64_t dims_id, const tt_event *ev);

/* Minute cells held. */
size_t rollup_acc_cells(const rollup_acc *a);

/* Rows encoded for the store: hour rows carrying their minute packs, then day rows. */
typedef struct rollup_rows rollup_rows;
rollup_rows *rollup_rows_new(void);
void rollup_rows_free(rollup_rows *r);
size_t rollup_rows_count(const rollup_rows *r);

/* Encodes the accumulator into rows (replacing what rows held); the accumulator keeps its
 * minute cells, so duplicates found later can still be taken back and it encoded again.
 * 0, or -1 out of memory. */
int rollup_acc_encode(rollup_acc *a, rollup_rows *rows);

/* Hands every row to fn; fn's non-zero return stops and is returned. */
typedef int (*rollup_emit_fn)(void *ctx, tt_res r, const tt_rollup *row);
int rollup_rows_emit(const rollup_rows *rows, rollup_emit_fn fn, void *ctx);

/* Empties the accumulator. */
void rollup_acc_clear(rollup_acc *a);

/* Encodes, emits and clears in one call. fn's non-zero return stops the flush and is
 * returned (the accumulator is emptied all the same). */
int rollup_acc_flush(rollup_acc *a, rollup_emit_fn fn, void *ctx);

/* store_blob_merge_fn for encoded sketches. */
int rollup_sketch_blob_merge(const void *a, size_t alen, const void *b, size_t blen, void **out,
                             size_t *outlen);

#endif
