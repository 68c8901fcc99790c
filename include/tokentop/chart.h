/* Charts without the terminal: samples to braille dots (2x4 a cell) or ASCII, row by row. */
#ifndef TOKENTOP_CHART_H
#define TOKENTOP_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHART_MAX_W 256 /* cells across */
#define CHART_MAX_H 32  /* rows */

typedef enum chart_style {
	CHART_AREA, /* filled from the bottom up to each sample */
	CHART_LINE, /* one dot a sample, neighbours joined by a vertical run */
} chart_style;

typedef struct chart_opts {
	double lo, hi; /* the scale's bottom and top; NaN: the samples' min, max */
	chart_style style;
} chart_opts;

/* What was drawn: the scale after resolution and the dot level of each dot column. */
typedef struct chart {
	int w, h;                               /* cells */
	double lo, hi;                          /* resolved scale */
	uint8_t dots[CHART_MAX_H][CHART_MAX_W]; /* braille bits (U+2800 + bits), row 0 on top */
} chart;

/* Resamples n samples onto m columns, oldest first: each column the largest finite sample of
 * those it covers (a spike is never averaged away); with fewer samples than columns each
 * sample spans several. NaN where a column covers no finite sample. */
void chart_resample(const double *v, size_t n, double *out, size_t m);

/* Lays n samples (oldest first; NaN: missing, left as a gap) over w x h cells, 2w dot columns
 * across and 4h dot levels up. A flat series sits on the bottom when it is zero, else in the
 * middle. w, h are clamped to CHART_MAX_W, CHART_MAX_H (and at least 1). */
void chart_plot(const double *v, size_t n, int w, int h, const chart_opts *o, chart *ch);
/* The same from integers (money in nano-dollars, counts). */
void chart_plot_i64(const int64_t *v, size_t n, int w, int h, const chart_opts *o, chart *ch);

/* Row `row` (0 on top) as text: braille in UTF-8 (an empty cell is a space), else ASCII from
 * each cell's dots (' ', '.', ':', '|', '#' by how many of its four levels are set). Returns
 * the bytes written (NUL-terminated, cut to cap). */
size_t chart_row(const chart *ch, int row, bool utf8, char *buf, size_t cap);

/* One cell's ASCII stand-in for braille bits. */
char chart_ascii(uint8_t bits);

#endif
