/* Charts without the terminal: samples to braille dots (2x4 a cell) or ASCII, row by row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/chart.h"

/* Braille dot bits by the dot's row in the cell (0 on top): left column, right column. */
static const uint8_t dot_left[4] = {0x01, 0x02, 0x04, 0x40};
static const uint8_t dot_right[4] = {0x08, 0x10, 0x20, 0x80};

void chart_resample(const double *v, size_t n, double *out, size_t m)
{
	for (size_t j = 0; j < m; j++) {
		out[j] = NAN;
		if (!n)
			continue;
		size_t a = j * n / m, b = (j + 1) * n / m;
		if (b <= a)
			b = a + 1;
		for (size_t i = a; i < b && i < n; i++)
			if (isfinite(v[i]) && (isnan(out[j]) || v[i] > out[j]))
				out[j] = v[i];
	}
}

static void set_dot(chart *ch, int x, int level)
{
	int r = 4 * ch->h - 1 - level; /* dot row from the top */
	ch->dots[r / 4][x / 2] |= (x % 2 ? dot_right : dot_left)[r % 4];
}

void chart_plot(const double *v, size_t n, int w, int h, const chart_opts *o, chart *ch)
{
	w = w < 1 ? 1 : w > CHART_MAX_W ? CHART_MAX_W : w;
	h = h < 1 ? 1 : h > CHART_MAX_H ? CHART_MAX_H : h;
	memset(ch, 0, sizeof *ch);
	ch->w = w;
	ch->h = h;
	int cols = 2 * w, levels = 4 * h;
	double col[2 * CHART_MAX_W];
	chart_resample(v, n, col, (size_t)cols);
	double lo = INFINITY, hi = -INFINITY;
	for (int x = 0; x < cols; x++)
		if (isfinite(col[x])) {
			lo = col[x] < lo ? col[x] : lo;
			hi = col[x] > hi ? col[x] : hi;
		}
	if (o && isfinite(o->lo))
		lo = o->lo;
	if (o && isfinite(o->hi))
		hi = o->hi;
	ch->lo = isfinite(lo) ? lo : 0;
	ch->hi = isfinite(hi) ? hi : ch->lo;
	bool flat = !(ch->hi > ch->lo);
	int prev = -1;
	for (int x = 0; x < cols; x++) {
		if (!isfinite(col[x])) {
			prev = -1;
			continue;
		}
		int k;
		if (flat)
			k = col[x] == 0 || col[x] < ch->lo ? 0 : (levels - 1) / 2;
		else {
			double f = (col[x] - ch->lo) / (ch->hi - ch->lo);
			k = (int)lround(f * (levels - 1));
			k = k < 0 ? 0 : k > levels - 1 ? levels - 1 : k;
		}
		if (o && o->style == CHART_LINE) {
			int a = k, b = k;
			if (prev >= 0 && prev < k)
				a = prev + 1;
			else if (prev > k)
				b = prev - 1;
			for (int l = a; l <= b; l++)
				set_dot(ch, x, l);
		} else {
			for (int l = 0; l <= k; l++)
				set_dot(ch, x, l);
		}
		prev = k;
	}
}

void chart_plot_i64(const int64_t *v, size_t n, int w, int h, const chart_opts *o, chart *ch)
{
	double *d = malloc((n ? n : 1) * sizeof *d);
	if (!d) {
		chart_plot(NULL, 0, w, h, o, ch);
		return;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = (double)v[i];
	chart_plot(d, n, w, h, o, ch);
	free(d);
}

char chart_ascii(uint8_t bits)
{
	static const char marks[] = " .:|#";
	int set = 0;
	for (int r = 0; r < 4; r++)
		set += (bits & (dot_left[r] | dot_right[r])) != 0;
	return marks[set];
}

size_t chart_row(const chart *ch, int row, bool utf8, char *buf, size_t cap)
{
	size_t n = 0;
	if (!cap)
		return 0;
	buf[0] = 0;
	if (row < 0 || row >= ch->h)
		return 0;
	for (int x = 0; x < ch->w; x++) {
		uint8_t b = ch->dots[row][x];
		char cell[4];
		size_t l;
		if (!utf8 || !b) {
			cell[0] = utf8 ? ' ' : chart_ascii(b);
			l = 1;
		} else { /* U+2800 + b in UTF-8: E2, A0 + (b >> 6), 80 + (b & 63) */
			cell[0] = (char)0xE2;
			cell[1] = (char)(0xA0 + (b >> 6));
			cell[2] = (char)(0x80 + (b & 0x3F));
			l = 3;
		}
		if (n + l + 1 > cap)
			break;
		memcpy(buf + n, cell, l);
		n += l;
	}
	buf[n] = 0;
	return n;
}
