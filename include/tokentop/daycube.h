/* Totals per UTC day and dimension tuple over a range, read in one pass: FOCUS rows and the
 * weekly review are folds of it. */
#ifndef TOKENTOP_DAYCUBE_H
#define TOKENTOP_DAYCUBE_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"
#include "tokentop/view.h"

typedef struct view_daycell {
	int64_t day; /* Unix days (UTC) */
	size_t id;   /* dims id */
	int64_t m[TT_M_COUNT];
} view_daycell;

typedef struct view_daycube {
	int64_t since_ms, until_ms;
	size_t ndims;              /* dimension ids are 1..ndims-1 */
	char *(*dims)[TT_D_COUNT]; /* the strings of each id (NULL for unused ids) */
	view_daycell *cells;       /* sorted by day, then id; only cells with requests */
	size_t n;
	int64_t total[TT_M_COUNT];
} view_daycube;

int view_daycube_build(store *st, int64_t since_ms, int64_t until_ms, view_daycube *dc, char *err,
                       size_t errlen);
void view_daycube_free(view_daycube *dc);

/* The cube of the days day_from <= day < day_to, for view_group. Its dims are dc's, borrowed:
 * free it with view_daycube_fold_free (never view_cube_free) before dc. 0 or -1 (memory). */
int view_daycube_fold(const view_daycube *dc, int64_t day_from, int64_t day_to, view_cube *out);
void view_daycube_fold_free(view_cube *c);

#endif
