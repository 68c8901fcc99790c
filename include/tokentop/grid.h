/* A screen's table without the terminal: rows of text cells, filter, sort, selection, and
 * which columns fit a width. The console draws it; the logic is tested on its own. */
#ifndef TOKENTOP_GRID_H
#define TOKENTOP_GRID_H

#include <stdbool.h>
#include <stddef.h>

#define GRID_MAX_COLS 12
#define GRID_FILTER_CAP 64

typedef struct grid_col {
	const char *title;
	int width;  /* cells; the last shown column may take what is left */
	int prio;   /* 0: always shown; higher numbers are dropped first as width shrinks */
	bool right; /* right-aligned (numbers) */
	bool num;   /* sorts by the row's number for this column, else by text */
	bool desc;  /* first sort direction is descending (money, counts) */
} grid_col;

typedef struct grid_row {
	char *cell[GRID_MAX_COLS];
	double num[GRID_MAX_COLS];
	int role; /* a theme role; the grid does not interpret it */
	char *ref; /* what Enter acts on (a scope, a drill-down key); NULL: the first cell */
} grid_row;

typedef struct grid {
	const grid_col *cols;
	int ncols;
	grid_row *rows;
	size_t n, cap;
	/* what the user chose; kept across grid_reset so a refresh keeps the view */
	int sort_col; /* -1: the order rows were added in */
	bool sort_desc;
	char filter[GRID_FILTER_CAP];
	size_t sel, top; /* positions in the shown order */
	char *sel_ref;   /* the selected row's ref, to find it again after a refresh */
	/* derived by grid_finish */
	size_t *order; /* indices of the rows that pass the filter, sorted */
	size_t nshown;
} grid;

/* Starts a fresh set of rows with these columns (a different column set resets sort and
 * filter). The rows' strings are freed. */
void grid_reset(grid *g, const grid_col *cols, int ncols);
void grid_free(grid *g);

/* Adds a row: ncols texts (copied) and their numbers (may be NULL). NULL on no memory. */
grid_row *grid_add(grid *g, int role, const char *const *cells, const double *nums);
int grid_set_ref(grid_row *r, const char *ref);

/* Applies filter and sort, and puts the selection back on the row it was on. */
void grid_finish(grid *g);

/* The shown row at position i (0 <= i < nshown). */
const grid_row *grid_shown(const grid *g, size_t i);
const grid_row *grid_selected(const grid *g); /* NULL when nothing is shown */
const char *grid_row_ref(const grid_row *r);

/* Selection moves; each clamps and keeps the selection within a page of `page` rows. */
void grid_move(grid *g, long delta, size_t page);
void grid_home(grid *g, size_t page);
void grid_end(grid *g, size_t page);
void grid_select(grid *g, size_t pos, size_t page);

/* Sort by column col: the same column again flips the direction. */
void grid_sort_by(grid *g, int col);
/* Case-insensitive substring over every cell; "" shows all. */
void grid_set_filter(grid *g, const char *text);

/* Which columns fit in width cells (a space between columns): sets shown[i] and returns the
 * count. Drops the highest prio first; columns of prio 0 always stay. */
int grid_layout(const grid *g, int width, bool shown[GRID_MAX_COLS]);

#endif
