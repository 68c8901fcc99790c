/* Shared by the views: the dimension tuples by id, and scans that keep a chosen resolution. */
#ifndef TOKENTOP_VIEW_SCAN_H
#define TOKENTOP_VIEW_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"

/* Every dims row, by id (ids 1..n-1; unused ids hold NULLs). */
typedef struct vdims {
	size_t n;
	char *(*v)[TT_D_COUNT];
	tt_status *status; /* each id's status; TT_STATUS_COUNT when unknown */
} vdims;

int vdims_load(store *st, vdims *d);
void vdims_free(vdims *d);
static inline bool vdims_has(const vdims *d, int64_t id)
{
	return id > 0 && (size_t)id < d->n && d->v[id][0];
}

/* Visits the rows of [since, until) as store_rollup_scan does, but never a row coarser than
 * step (a minute or an hour): every row then lies in one step of a grid from since. */
int vscan_steps(store *st, int64_t since_ms, int64_t until_ms, int64_t step_ms, bool sketches,
                store_rollup_fn fn, void *ctx);

#endif
