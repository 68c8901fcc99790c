/* A small table printer shared by the report renderers: text, Markdown and CSV. */
#ifndef TOKENTOP_REPORT_TABLE_H
#define TOKENTOP_REPORT_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#define TABLE_MAX_COLS 24

typedef enum { TABLE_TEXT, TABLE_MD, TABLE_CSV } table_style;

typedef struct table {
	int ncols;
	const char *head[TABLE_MAX_COLS];
	bool right[TABLE_MAX_COLS];
	char **cells; /* nrows * ncols, owned */
	int nrows, cap;
} table;

void table_init(table *t, int ncols, const char *const *head, const bool *right);
/* Adds a row of ncols cells (copied). */
void table_add(table *t, const char *const *cells);
void table_print(const table *t, FILE *out, table_style style, const char *indent);
void table_free(table *t);

#endif
