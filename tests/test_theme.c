/* Tests for themes: shipped files, exact errors, nearest colours, NO_COLOR, docs in sync. */
#include "testutil.h"

#include "tokentop/theme.h"

static const char *const shipped[] = {"dark", "light", "high-contrast", "colorblind", "mono"};
static const int depths[] = {256, 88, 16, 8, 0};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void load_shipped(const char *name, theme *t)
{
	char dir[4096], path[4200], err[1024];
	snprintf(dir, sizeof dir, "%s/themes", tu_srcdir());
	const char *dirs[] = {dir};
	if (theme_find(name, dirs, 1, path, sizeof path, err, sizeof err))
		fail_msg("%s", err);
	if (theme_load(path, t, err, sizeof err))
		fail_msg("%s", err);
}

static void test_shipped_load(void **state)
{
	for (size_t i = 0; i < COUNT(shipped); i++) {
		theme t;
		load_shipped(shipped[i], &t);
		assert_string_equal(t.name, shipped[i]);
		assert_true(strlen(t.description) > 0);
	}
}

/* Writes text to a file in a private dir and returns its path. */
static const char *write_theme(const char *text)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/bad.ini", tu_tmpdir());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void expect_error(const char *text, int line, const char *msg)
{
	const char *path = write_theme(text);
	theme t;
	char err[1024], want[1024];
	assert_int_equal(theme_load(path, &t, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:%d: %s", path, line, msg);
	assert_string_equal(err, want);
}

static void test_bad_files(void **state)
{
	expect_error("[meta]\nname = x\n\n[colors]\nbakground = red\n", 5,
	             "unknown role 'bakground'; the roles are listed in docs/themes.md");
	expect_error("[colors]\ntext = red\nwarn = purpel\n", 3,
	             "warn: 'purpel' is not a colour; use default, a name such as red or "
	             "bright_red, 0-255, or #rrggbb");
	expect_error("[colors]\nok = #12345\n", 2,
	             "ok: '#12345' is not a colour; use default, a name such as red or "
	             "bright_red, 0-255, or #rrggbb");
	expect_error("[colors]\nok = 256\n", 2,
	             "ok: '256' is not a colour; use default, a name such as red or "
	             "bright_red, 0-255, or #rrggbb");
	expect_error("[colors]\nok = red,blod\n", 2,
	             "ok: 'blod' is neither a colour nor an attribute; use a colour (default, "
	             "red, 0-255, #rrggbb) then bold, dim, reverse, underline or italic");
	expect_error("; c\n[colors]\ntext = red\nwarn yellow\n", 4,
	             "expected 'role = colour' (missing '=')");
	expect_error("[meta]\nname = x\n[colours]\n", 3,
	             "unknown section [colours]; use [colors] or [meta]");
	expect_error("[colours]\ntext = red\n", 1,
	             "unknown section [colours]; use [colors] or [meta]");
	expect_error("text = red\n", 1,
	             "'text' is outside a section; put it under [colors] or [meta]");
	expect_error("[meta]\nauthor = me\n", 2,
	             "unknown key 'author' in [meta]; use name or description");
	/* the first error wins, whichever kind */
	expect_error("[colors]\nwarn yellow\nok = nope\n", 2,
	             "expected 'role = colour' (missing '=')");
}

static void test_missing_file(void **state)
{
	theme t;
	char err[512];
	assert_int_equal(theme_load("/nonexistent/x.ini", &t, err, sizeof err), -1);
	assert_string_equal(err, "/nonexistent/x.ini: cannot open: No such file or directory");
}

static void test_parse_style(void **state)
{
	theme_style s;
	char why[256];
	assert_int_equal(
	    theme_parse_style(" #E69F00 , 17 , bold , underline ", &s, why, sizeof why), 0);
	assert_int_equal(s.fg.kind, THEME_COLOR_RGB);
	assert_int_equal(s.fg.value, 0xE69F00);
	assert_int_equal(s.bg.kind, THEME_COLOR_INDEX);
	assert_int_equal(s.bg.value, 17);
	assert_int_equal(s.attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
	assert_int_equal(theme_parse_style("bright_red,reverse", &s, why, sizeof why), 0);
	assert_int_equal(s.fg.value, 9);
	assert_int_equal(s.bg.kind, THEME_COLOR_DEFAULT);
	assert_int_equal(s.attrs, THEME_ATTR_REVERSE);
}

/* Hand computations, xterm cube levels 0,95,135,175,215,255 and ANSI values of xterm. */
static void test_nearest(void **state)
{
	/* #E69F00 = (230,159,0): r 230 -> 215 (level 4), g 159 -> 175 (level 3), b 0 -> 0:
	 * 16 + 36*4 + 6*3 + 0 = 178, distance 15^2+16^2 = 481; no grey is nearer */
	assert_int_equal(theme_nearest(0xE69F00, 256), 178);
	/* #56B4E9 = (86,180,233): 86 -> 95 (1), 180 -> 175 (3), 233 -> 215 (4): 16+36+18+4 = 74 */
	assert_int_equal(theme_nearest(0x56B4E9, 256), 74);
	/* #808080: cube 135 (dist 3*49) vs grey 128 = 232+12 (dist 0) -> 244 */
	assert_int_equal(theme_nearest(0x808080, 256), 244);
	/* 16: #E69F00 to yellow (205,205,0): 25^2+46^2 = 2741, bright yellow 625+96^2 = 9841 */
	assert_int_equal(theme_nearest(0xE69F00, 16), 3);
	/* 16: #56B4E9 to bright blue (92,92,255): 36+7744+484 = 8264 beats cyan (0,205,205):
	 * 7396+625+784 = 8805 */
	assert_int_equal(theme_nearest(0x56B4E9, 16), 12);
	/* 8: bright blue is gone, so cyan (8805) beats white (229,229,229) 20449+2401+16 */
	assert_int_equal(theme_nearest(0x56B4E9, 8), 6);
	assert_int_equal(theme_nearest(0xE69F00, 8), 3);
	/* 88: levels 0,139,205,255: (230,159,0) -> 205 (2; 255 is as near, the lower index
	 * wins), 139 (1), 0: 16+32+4 = 52 */
	assert_int_equal(theme_nearest(0xE69F00, 88), 52);
}

static void test_resolve_depths(void **state)
{
	theme t;
	char why[128];
	theme_defaults(&t);
	theme_parse_style("#E69F00,17,bold", &t.style[THEME_WARN], why, sizeof why);
	theme_parse_style("bright_red", &t.style[THEME_OK], why, sizeof why);
	theme_resolved r;
	theme_resolve(&t, 256, false, &r);
	assert_int_equal(r.slot[THEME_WARN].fg, 178);
	assert_int_equal(r.slot[THEME_WARN].bg, 17);
	assert_int_equal(r.slot[THEME_WARN].attrs, THEME_ATTR_BOLD);
	assert_int_equal(r.slot[THEME_OK].fg, 9);
	/* 17 = (0,0,95): black 95^2 = 9025 is nearer than blue (0,0,238) 143^2 = 20449 */
	theme_resolve(&t, 16, false, &r);
	assert_int_equal(r.slot[THEME_WARN].fg, 3);
	assert_int_equal(r.slot[THEME_WARN].bg, 0);
	assert_int_equal(r.slot[THEME_OK].fg, 9);
	theme_resolve(&t, 8, false, &r);
	assert_int_equal(r.slot[THEME_OK].fg, 1); /* bright red loses its brightness */
	/* a terminal with millions of colours is treated as 256 */
	theme_resolve(&t, 1 << 24, false, &r);
	assert_int_equal(r.colors, 256);
	assert_int_equal(r.slot[THEME_WARN].fg, 178);
}

static void test_no_color(void **state)
{
	setenv("NO_COLOR", "", 1);
	assert_false(theme_no_color_env());
	setenv("NO_COLOR", "1", 1);
	assert_true(theme_no_color_env());
	unsetenv("NO_COLOR");
	assert_false(theme_no_color_env());

	for (size_t i = 0; i < COUNT(shipped); i++) {
		theme t;
		load_shipped(shipped[i], &t);
		for (int mode = 0; mode < 2; mode++) {
			theme_resolved r;
			theme_resolve(&t, mode ? 256 : 0, mode == 1, &r);
			assert_int_equal(r.colors, 0);
			for (int k = 0; k < THEME_ROLE_COUNT; k++) {
				assert_int_equal(r.slot[k].fg, -1);
				assert_int_equal(r.slot[k].bg, -1);
				assert_int_equal(r.slot[k].pair, 0);
				unsigned want = theme_role_mono_attrs(k) | t.style[k].attrs;
				assert_int_equal(r.slot[k].attrs, want);
			}
		}
	}
	/* states keep their words without colour */
	const theme_role states[] = {THEME_OK,
	                             THEME_WARN,
	                             THEME_CRIT,
	                             THEME_STALE,
	                             THEME_ALERT_PAGE,
	                             THEME_ALERT_TICKET,
	                             THEME_HEADER_PRODUCTION,
	                             THEME_SELECTION};
	for (size_t i = 0; i < COUNT(states); i++)
		assert_true(strlen(theme_role_glyph(states[i])) > 0);
	/* and every role that stands out has an attribute to stand out with */
	assert_true(theme_role_mono_attrs(THEME_SELECTION) & THEME_ATTR_REVERSE);
	assert_true(theme_role_mono_attrs(THEME_CRIT) != 0);
}

static bool slots_equal(const theme_slot *a, const theme_slot *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs;
}

static void test_production_header_distinct(void **state)
{
	for (size_t i = 0; i < COUNT(shipped); i++) {
		theme t;
		load_shipped(shipped[i], &t);
		for (size_t d = 0; d < COUNT(depths); d++) {
			theme_resolved r;
			theme_resolve(&t, depths[d], false, &r);
			if (slots_equal(&r.slot[THEME_HEADER], &r.slot[THEME_HEADER_PRODUCTION]))
				fail_msg(
				    "theme %s at %d colours: production header looks like header",
				    shipped[i], depths[d]);
		}
	}
	/* a theme that makes them the same still gets them apart */
	theme t;
	char why[128];
	theme_defaults(&t);
	theme_parse_style("white,blue,bold", &t.style[THEME_HEADER], why, sizeof why);
	theme_parse_style("white,blue,bold", &t.style[THEME_HEADER_PRODUCTION], why, sizeof why);
	theme_resolved r;
	theme_resolve(&t, 256, false, &r);
	assert_false(slots_equal(&r.slot[THEME_HEADER], &r.slot[THEME_HEADER_PRODUCTION]));
	assert_string_equal(theme_role_glyph(THEME_HEADER_PRODUCTION), "PROD");
}

static void test_find(void **state)
{
	const char *tmp = tu_tmpdir();
	char a[600], b[600], path[4200], err[4200];
	snprintf(a, sizeof a, "%s/a", tmp);
	snprintf(b, sizeof b, "%s/b", tmp);
	char cmd[3200];
	snprintf(cmd, sizeof cmd, "mkdir -p %s %s && echo '[meta]' > %s/x.ini && cp %s/x.ini %s/",
	         a, b, b, b, a);
	assert_int_equal(system(cmd), 0);
	const char *dirs[] = {a, b};
	assert_int_equal(theme_find("x", dirs, 2, path, sizeof path, err, sizeof err), 0);
	char want[700];
	snprintf(want, sizeof want, "%s/x.ini", a); /* the first directory wins */
	assert_string_equal(path, want);
	assert_int_equal(theme_find("nope", dirs, 2, path, sizeof path, err, sizeof err), -1);
	char wante[1600];
	snprintf(wante, sizeof wante,
	         "no theme 'nope' in %s, %s; available: x; or give a path to a .ini file", a, b);
	assert_string_equal(err, wante);

	char dd[THEME_DIRS_MAX][THEME_PATH_CAP];
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	assert_int_equal(theme_default_dirs(dd, THEME_DIRS_MAX), 3);
	assert_string_equal(dd[0], "./themes");
	assert_string_equal(dd[1], "/xdg/tokentop/themes");
	assert_string_equal(dd[2], TT_DATADIR "/themes");
}

static void test_docs_in_sync(void **state)
{
	char *doc = tu_slurp("docs/themes.md", NULL);
	char *table = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&table, &len);
	theme_write_doc_table(f);
	fclose(f);
	if (!strstr(doc, table))
		fail_msg("docs/themes.md lacks the role table; put this in it:\n%s", table);
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "`%s`", theme_role_name(i));
		if (!strstr(doc, needle))
			fail_msg("docs/themes.md does not mention %s", needle);
	}
	free(table);
	free(doc);
}

static void test_role_table(void **state)
{
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		assert_int_equal(theme_role_find(theme_role_name(i)), i);
		assert_true(strlen(theme_role_help(i)) > 0);
	}
	assert_int_equal(theme_role_find("nope"), -1);
	/* the defaults are the table's, and they parse */
	theme t;
	theme_defaults(&t);
	assert_int_equal(t.style[THEME_HEADER].attrs, THEME_ATTR_BOLD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_load), cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_missing_file), cmocka_unit_test(test_parse_style),
	    cmocka_unit_test(test_nearest),      cmocka_unit_test(test_resolve_depths),
	    cmocka_unit_test(test_no_color),     cmocka_unit_test(test_production_header_distinct),
	    cmocka_unit_test(test_find),         cmocka_unit_test(test_docs_in_sync),
	    cmocka_unit_test(test_role_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
