/* A small table printer shared by the report renderers: text, Markdown and CSV. */
#include <stdlib.h>
#include <string.h>

#include "table.h"

void table_init(table *t, int ncols, const char *const *head, const bool *right)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols > TABLE_MAX_COLS ? TABLE_MAX_COLS : ncols;
	for (int i = 0; i < t->ncols; i++) {
		t->head[i] = head[i];
		t->right[i] = right ? right[i] : false;
	}
}

void table_add(table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		int ncap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, (size_t)ncap * (size_t)t->ncols * sizeof *nc);
		if (!nc)
			return;
		t->cells = nc;
		t->cap = ncap;
	}
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

void table_free(table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

/* Display width of UTF-8 text: code points, not bytes (names are mostly ASCII). */
static int width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void csv_cell(FILE *out, const char *s)
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

static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

void table_print(const table *t, FILE *out, table_style style, const char *indent)
{
	if (style == TABLE_CSV) {
		for (int r = -1; r < t->nrows; r++) {
			for (int c = 0; c < t->ncols; c++) {
				if (c)
					fputc(',', out);
				csv_cell(out, r < 0 ? t->head[c] : t->cells[r * t->ncols + c]);
			}
			fputs("\r\n", out);
		}
		return;
	}
	if (style == TABLE_MD) {
		for (int r = -1; r < t->nrows; r++) {
			fputc('|', out);
			for (int c = 0; c < t->ncols; c++) {
				fputc(' ', out);
				md_cell(out, r < 0 ? t->head[c] : t->cells[r * t->ncols + c]);
				fputs(" |", out);
			}
			fputc('\n', out);
			if (r < 0) {
				fputc('|', out);
				for (int c = 0; c < t->ncols; c++)
					fputs(t->right[c] ? " ---: |" : " --- |", out);
				fputc('\n', out);
			}
		}
		return;
	}
	int w[TABLE_MAX_COLS];
	for (int c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (int r = 0; r < t->nrows; r++) {
			int cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (int r = -1; r < t->nrows; r++) {
		fputs(indent ? indent : "", out);
		for (int c = 0; c < t->ncols; c++) {
			const char *s = r < 0 ? t->head[c] : t->cells[r * t->ncols + c];
			int pad = w[c] - width(s);
			if (t->right[c])
				fprintf(out, "%*s", pad, "");
			fputs(s, out);
			if (c + 1 < t->ncols)
				fprintf(out, "%*s", (t->right[c] ? 0 : pad) + 2, "");
		}
		fputc('\n', out);
	}
}
