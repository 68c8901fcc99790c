/* A screen's table without the terminal: filter, sort, selection and column fitting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tokentop/grid.h"

static void free_rows(grid *g)
{
	for (size_t i = 0; i < g->n; i++) {
		for (int k = 0; k < GRID_MAX_COLS; k++)
			free(g->rows[i].cell[k]);
		free(g->rows[i].ref);
	}
	g->n = 0;
}

void grid_reset(grid *g, const grid_col *cols, int ncols)
{
	free_rows(g);
	if (g->cols != cols) {
		g->sort_col = -1;
		g->sort_desc = false;
		g->filter[0] = 0;
		g->sel = g->top = 0;
		free(g->sel_ref);
		g->sel_ref = NULL;
	}
	g->cols = cols;
	g->ncols = ncols > GRID_MAX_COLS ? GRID_MAX_COLS : ncols;
	g->nshown = 0;
}

void grid_free(grid *g)
{
	free_rows(g);
	free(g->rows);
	free(g->order);
	free(g->sel_ref);
	memset(g, 0, sizeof *g);
	g->sort_col = -1;
}

grid_row *grid_add(grid *g, int role, const char *const *cells, const double *nums)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		grid_row *r = realloc(g->rows, cap * sizeof *r);
		if (!r)
			return NULL;
		g->rows = r;
		g->cap = cap;
	}
	grid_row *r = &g->rows[g->n];
	memset(r, 0, sizeof *r);
	r->role = role;
	for (int k = 0; k < g->ncols; k++) {
		r->cell[k] = strdup(cells[k] ? cells[k] : "");
		if (!r->cell[k]) {
			for (int j = 0; j < k; j++)
				free(r->cell[j]);
			return NULL;
		}
		r->num[k] = nums ? nums[k] : 0;
	}
	g->n++;
	return r;
}

int grid_set_ref(grid_row *r, const char *ref)
{
	free(r->ref);
	r->ref = ref ? strdup(ref) : NULL;
	return ref && !r->ref ? -1 : 0;
}

const char *grid_row_ref(const grid_row *r)
{
	return r->ref ? r->ref : r->cell[0] ? r->cell[0] : "";
}

static bool passes(const grid *g, const grid_row *r)
{
	if (!g->filter[0])
		return true;
	for (int k = 0; k < g->ncols; k++)
		if (r->cell[k] && strcasestr(r->cell[k], g->filter))
			return true;
	return false;
}

/* qsort has no context argument; the grid being sorted is only ever touched by the loop. */
static const grid *sorting;

static int cmp_rows(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const grid *g = sorting;
	int col = g->sort_col;
	int c;
	if (g->cols[col].num) {
		double x = g->rows[a].num[col], y = g->rows[b].num[col];
		c = x < y ? -1 : x > y;
	} else {
		c = strcasecmp(g->rows[a].cell[col], g->rows[b].cell[col]);
	}
	if (g->sort_desc)
		c = -c;
	return c ? c : (a < b ? -1 : a > b); /* stable: ties keep the added order */
}

static void clamp(grid *g, size_t page)
{
	if (!g->nshown) {
		g->sel = g->top = 0;
		return;
	}
	if (g->sel >= g->nshown)
		g->sel = g->nshown - 1;
	if (!page)
		page = 1;
	if (g->sel < g->top)
		g->top = g->sel;
	if (g->sel >= g->top + page)
		g->top = g->sel - page + 1;
	if (g->top + page > g->nshown)
		g->top = g->nshown > page ? g->nshown - page : 0;
}

static void remember(grid *g)
{
	const grid_row *r = grid_selected(g);
	free(g->sel_ref);
	g->sel_ref = r ? strdup(grid_row_ref(r)) : NULL;
}

void grid_finish(grid *g)
{
	free(g->order);
	g->order = malloc((g->n ? g->n : 1) * sizeof *g->order);
	g->nshown = 0;
	if (!g->order)
		return;
	for (size_t i = 0; i < g->n; i++)
		if (passes(g, &g->rows[i]))
			g->order[g->nshown++] = i;
	if (g->sort_col >= 0 && g->sort_col < g->ncols) {
		sorting = g;
		qsort(g->order, g->nshown, sizeof *g->order, cmp_rows);
		sorting = NULL;
	}
	if (g->sel_ref) {
		for (size_t i = 0; i < g->nshown; i++)
			if (!strcmp(grid_row_ref(&g->rows[g->order[i]]), g->sel_ref)) {
				g->sel = i;
				break;
			}
	}
	if (g->sel >= g->nshown)
		g->sel = g->nshown ? g->nshown - 1 : 0;
	remember(g);
}

const grid_row *grid_shown(const grid *g, size_t i)
{
	return i < g->nshown ? &g->rows[g->order[i]] : NULL;
}

const grid_row *grid_selected(const grid *g)
{
	return grid_shown(g, g->sel);
}

void grid_select(grid *g, size_t pos, size_t page)
{
	g->sel = pos;
	clamp(g, page);
	remember(g);
}

void grid_move(grid *g, long delta, size_t page)
{
	long to = (long)g->sel + delta;
	grid_select(g, to < 0 ? 0 : (size_t)to, page);
}

void grid_home(grid *g, size_t page)
{
	grid_select(g, 0, page);
}

void grid_end(grid *g, size_t page)
{
	grid_select(g, g->nshown ? g->nshown - 1 : 0, page);
}

void grid_sort_by(grid *g, int col)
{
	if (col < 0 || col >= g->ncols)
		return;
	if (g->sort_col == col)
		g->sort_desc = !g->sort_desc;
	else {
		g->sort_col = col;
		g->sort_desc = g->cols[col].desc;
	}
	grid_finish(g);
}

void grid_set_filter(grid *g, const char *text)
{
	snprintf(g->filter, sizeof g->filter, "%s", text ? text : "");
	grid_finish(g);
}

int grid_layout(const grid *g, int width, bool shown[GRID_MAX_COLS])
{
	int used = 0, count = 0;
	for (int k = 0; k < g->ncols; k++) {
		shown[k] = true;
		used += g->cols[k].width + (k ? 1 : 0);
		count++;
	}
	while (used > width) {
		int drop = -1;
		for (int k = 0; k < g->ncols; k++)
			if (shown[k] && g->cols[k].prio > 0 &&
			    (drop < 0 || g->cols[k].prio >= g->cols[drop].prio))
				drop = k;
		if (drop < 0)
			break;
		shown[drop] = false;
		used -= g->cols[drop].width + 1;
		count--;
	}
	return count;
}
