/* Tests of the chart layout: braille code points, scaling, gaps, resampling, ASCII cells. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "tokentop/chart.h"
#include "testutil.h"

static chart ch;

/* The code point of cell (row, col): U+2800 plus its dot bits. */
static unsigned cp(int row, int col)
{
	return 0x2800u + ch.dots[row][col];
}

static void test_two_samples(void **state)
{
	double v[] = {0, 1};
	chart_opts area = {NAN, NAN, CHART_AREA};
	chart_plot(v, 2, 1, 1, &area, &ch);
	/* 0: the bottom-left dot (7); 1: the whole right column (4 5 6 8) */
	assert_int_equal(cp(0, 0), 0x28F8);
	char buf[16];
	assert_int_equal(chart_row(&ch, 0, true, buf, sizeof buf), 3);
	assert_string_equal(buf, "\xE2\xA3\xB8"); /* U+28F8 */
	chart_opts line = {NAN, NAN, CHART_LINE};
	chart_plot(v, 2, 1, 1, &line, &ch);
	/* the right column joins level 0 to level 3: dots 4 5 6 above the left's 7 */
	assert_int_equal(cp(0, 0), 0x2878);
}

static void test_scale_min_max(void **state)
{
	double a[] = {0, 1, 2, 3}, b[] = {10, 11, 12, 13};
	chart_opts o = {NAN, NAN, CHART_AREA};
	chart_plot(a, 4, 2, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28E0); /* levels 0 and 1 */
	assert_int_equal(cp(0, 1), 0x28FE); /* levels 2 and 3 */
	assert_true(ch.lo == 0 && ch.hi == 3);
	chart_plot(b, 4, 2, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28E0);
	assert_int_equal(cp(0, 1), 0x28FE);
	assert_true(ch.lo == 10 && ch.hi == 13);
	/* a fixed scale: 0..100 with 13 at the top clamps, 10 is on level round(0.1 * 3) = 0 */
	chart_opts fixed = {0, 100, CHART_AREA};
	double c[] = {0, 100, 200, -5};
	chart_plot(c, 4, 2, 1, &fixed, &ch);
	assert_int_equal(cp(0, 0), 0x28F8); /* bottom dot, full column */
	assert_int_equal(cp(0, 1), 0x28C7); /* full (clamped), bottom dot (clamped) */
	/* two rows: eight levels */
	double d[] = {0, 1};
	chart_plot(d, 2, 1, 2, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28B8);
	assert_int_equal(cp(1, 0), 0x28F8);
}

static void test_flat_and_zero(void **state)
{
	chart_opts o = {NAN, NAN, CHART_AREA};
	double flat[] = {5, 5}, zero[] = {0, 0};
	chart_plot(flat, 2, 1, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28E4); /* levels 0 and 1 in both columns */
	chart_plot(zero, 2, 1, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28C0); /* the bottom row only */
	assert_true(ch.lo == 0 && ch.hi == 0);
	/* a fixed bottom of 0 and no top: all zero stays on the bottom */
	chart_opts from0 = {0, NAN, CHART_AREA};
	chart_plot(zero, 2, 1, 1, &from0, &ch);
	assert_int_equal(cp(0, 0), 0x28C0);
	/* nothing at all: an empty chart */
	chart_plot(NULL, 0, 3, 2, &o, &ch);
	for (int r = 0; r < 2; r++)
		for (int x = 0; x < 3; x++)
			assert_int_equal(ch.dots[r][x], 0);
	char buf[32];
	chart_row(&ch, 0, true, buf, sizeof buf);
	assert_string_equal(buf, "   ");
}

static void test_gaps(void **state)
{
	double v[] = {0, NAN, 3, 3};
	chart_opts o = {NAN, NAN, CHART_AREA};
	chart_plot(v, 4, 2, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x2840); /* the gap leaves the right column empty */
	assert_int_equal(cp(0, 1), 0x28FF);
	char buf[32];
	chart_row(&ch, 0, true, buf, sizeof buf);
	assert_string_equal(buf, "\xE2\xA1\x80\xE2\xA3\xBF"); /* U+2840 U+28FF */
	/* a line does not join across a gap */
	double w[] = {3, NAN, 0, NAN};
	chart_opts line = {NAN, NAN, CHART_LINE};
	chart_plot(w, 4, 2, 1, &line, &ch);
	assert_int_equal(cp(0, 0), 0x2801); /* the top-left dot only */
	assert_int_equal(cp(0, 1), 0x2840); /* the bottom-left dot only */
	/* all missing: blank cells */
	double none[] = {NAN, NAN, NAN};
	chart_plot(none, 3, 2, 1, &o, &ch);
	assert_int_equal(ch.dots[0][0] | ch.dots[0][1], 0);
}

static void test_resample(void **state)
{
	double v[] = {1, 5, 2, 2, 9, 0}, out[4];
	chart_resample(v, 6, out, 3);
	assert_true(out[0] == 5 && out[1] == 2 && out[2] == 9);
	double g[] = {NAN, NAN, 1, NAN};
	chart_resample(g, 4, out, 2);
	assert_true(isnan(out[0]) && out[1] == 1);
	/* fewer samples than columns: each spans two */
	double two[] = {1, 2};
	chart_resample(two, 2, out, 4);
	assert_true(out[0] == 1 && out[1] == 1 && out[2] == 2 && out[3] == 2);
	/* eight samples on one cell: the largest of each half */
	double many[] = {0, 0, 0, 0, 1, 3, 0, 0};
	chart_opts o = {NAN, NAN, CHART_AREA};
	chart_plot(many, 8, 1, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28F8);
	/* integers: 60 minutes of micro-dollars onto 30 cells, one minute a dot column */
	int64_t mic[60];
	for (int i = 0; i < 60; i++)
		mic[i] = i == 59 ? 3000000 : 0;
	chart_plot_i64(mic, 60, 30, 1, &o, &ch);
	assert_int_equal(cp(0, 0), 0x28C0);
	assert_int_equal(cp(0, 29), 0x28F8);
	assert_true(ch.hi == 3000000);
}

static void test_ascii(void **state)
{
	assert_int_equal(chart_ascii(0x00), ' ');
	assert_int_equal(chart_ascii(0x40), '.');
	assert_int_equal(chart_ascii(0xE0), ':');
	assert_int_equal(chart_ascii(0x46), '|');
	assert_int_equal(chart_ascii(0xFF), '#');
	assert_int_equal(chart_ascii(0x47), '#');
	double v[] = {0, 1, 2, 3};
	chart_opts o = {NAN, NAN, CHART_AREA};
	chart_plot(v, 4, 3, 2, &o, &ch);
	char top[32], bottom[32];
	assert_int_equal(chart_row(&ch, 0, false, top, sizeof top), 3);
	chart_row(&ch, 1, false, bottom, sizeof bottom);
	/* 8 levels, 6 dot columns: samples 0 0 1 2 2 3 -> levels 0 0 2 5 5 7 */
	assert_string_equal(top, " :#");
	assert_string_equal(bottom, ".##");
	for (const char *p = top; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	/* cut to the buffer, whole cells only */
	char small[5];
	chart_plot(v, 4, 3, 1, &o, &ch);
	assert_int_equal(chart_row(&ch, 0, true, small, sizeof small), 3);
	assert_int_equal(chart_row(&ch, 5, true, small, sizeof small), 0);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_samples),   cmocka_unit_test(test_scale_min_max),
	    cmocka_unit_test(test_flat_and_zero), cmocka_unit_test(test_gaps),
	    cmocka_unit_test(test_resample),      cmocka_unit_test(test_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
