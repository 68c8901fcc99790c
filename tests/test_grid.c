/* Tests of the console's table model: filter, sort, selection kept across refreshes, fitting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "tokentop/grid.h"
#include "testutil.h"

static const grid_col cols[] = {
    {"use case", 20, 0, false, false, false},
    {"cost", 10, 0, true, true, true},
    {"requests", 10, 2, true, true, true},
    {"team", 12, 1, false, false, false},
};

static void fill(grid *g)
{
	static const char *const names[] = {"support-bot", "search", "summarize", "Support-Triage"};
	static const double cost[] = {50, 900, 120, 7};
	static const char *const teams[] = {"care", "core", "docs", "care"};
	grid_reset(g, cols, 4);
	for (int i = 0; i < 4; i++) {
		char req[16];
		snprintf(req, sizeof req, "%d", (i + 1) * 10);
		const char *cells[] = {names[i], "x", req, teams[i]};
		double nums[] = {0, cost[i], (i + 1) * 10, 0};
		assert_non_null(grid_add(g, i, cells, nums));
	}
	grid_finish(g);
}

static void test_sort_and_flip(void **state)
{
	(void)state;
	grid g = {.sort_col = -1};
	fill(&g);
	assert_int_equal(g.nshown, 4);
	assert_string_equal(grid_shown(&g, 0)->cell[0], "support-bot"); /* added order */
	grid_sort_by(&g, 1);                                             /* cost: desc first */
	assert_string_equal(grid_shown(&g, 0)->cell[0], "search");
	assert_string_equal(grid_shown(&g, 3)->cell[0], "Support-Triage");
	grid_sort_by(&g, 1);
	assert_string_equal(grid_shown(&g, 0)->cell[0], "Support-Triage");
	grid_sort_by(&g, 0); /* text: ascending, case-insensitive */
	assert_string_equal(grid_shown(&g, 0)->cell[0], "search");
	assert_string_equal(grid_shown(&g, 3)->cell[0], "Support-Triage");
	grid_free(&g);
}

static void test_filter(void **state)
{
	(void)state;
	grid g = {.sort_col = -1};
	fill(&g);
	grid_set_filter(&g, "SUPPORT");
	assert_int_equal(g.nshown, 2);
	grid_set_filter(&g, "docs"); /* any cell */
	assert_int_equal(g.nshown, 1);
	assert_string_equal(grid_selected(&g)->cell[0], "summarize");
	grid_set_filter(&g, "nothing-like-this");
	assert_int_equal(g.nshown, 0);
	assert_null(grid_selected(&g));
	grid_move(&g, 1, 10); /* no crash on an empty table */
	grid_set_filter(&g, "");
	assert_int_equal(g.nshown, 4);
	grid_free(&g);
}

static void test_selection_survives_refresh(void **state)
{
	(void)state;
	grid g = {.sort_col = -1};
	fill(&g);
	grid_sort_by(&g, 1);
	grid_select(&g, 2, 10);
	assert_string_equal(grid_selected(&g)->cell[0], "support-bot");
	fill(&g); /* the next data refresh: same columns, so sort and selection stay */
	assert_int_equal(g.sort_col, 1);
	assert_string_equal(grid_selected(&g)->cell[0], "support-bot");
	grid_free(&g);
}

static void test_paging(void **state)
{
	(void)state;
	grid g = {.sort_col = -1};
	grid_reset(&g, cols, 4);
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof name, "r%03d", i);
		const char *cells[] = {name, "", "", ""};
		grid_add(&g, 0, cells, NULL);
	}
	grid_finish(&g);
	grid_move(&g, 25, 10);
	assert_int_equal(g.sel, 25);
	assert_int_equal(g.top, 16);
	grid_end(&g, 10);
	assert_int_equal(g.sel, 99);
	assert_int_equal(g.top, 90);
	grid_move(&g, -1000, 10);
	assert_int_equal(g.sel, 0);
	assert_int_equal(g.top, 0);
	grid_free(&g);
}

static void test_layout_drops_by_priority(void **state)
{
	(void)state;
	grid g = {.sort_col = -1};
	fill(&g);
	bool shown[GRID_MAX_COLS];
	assert_int_equal(grid_layout(&g, 80, shown), 4);
	assert_int_equal(grid_layout(&g, 50, shown), 3); /* requests (prio 2) goes first */
	assert_false(shown[2]);
	assert_true(shown[3]);
	assert_int_equal(grid_layout(&g, 31, shown), 2);
	assert_false(shown[3]);
	assert_int_equal(grid_layout(&g, 5, shown), 2); /* prio 0 columns always stay */
	grid_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sort_and_flip),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_selection_survives_refresh),
	    cmocka_unit_test(test_paging),
	    cmocka_unit_test(test_layout_drops_by_priority),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
