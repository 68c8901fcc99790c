/* Tests for the configuration file: the example parses, and every mistake names file:line. */
#include "testutil.h"

#include "tokentop/config.h"

static void test_example(void **state)
{
	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/fixtures/tokentop.ini", tu_srcdir());
	tt_config c;
	if (config_load(path, &c, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(c.nslos, 3);
	assert_int_equal(c.nbudgets, 3);
	const slo_spec *s = &c.slos[0];
	assert_string_equal(s->name, "support-availability");
	assert_string_equal(s->use_case, "support-bot");
	assert_int_equal(s->sli, SLO_AVAILABILITY);
	assert_int_equal(s->objective_ppm, 990000);
	assert_int_equal(s->period_ms, 30 * 86400000LL);
	assert_int_equal(s->bad_statuses, 1u << TT_STATUS_TIMEOUT | 1u << TT_STATUS_RATE_LIMITED |
	                                      1u << TT_STATUS_SERVER_ERROR);
	s = &c.slos[1];
	assert_int_equal(s->sli, SLO_LATENCY);
	assert_int_equal(s->threshold_ms, 5000);
	assert_int_equal(s->period_ms, 30 * 86400000LL); /* the default */
	assert_int_equal(c.slos[2].objective_ppm, 985000);
	const budget_spec *b = &c.budgets[0];
	assert_string_equal(b->name, "support-team");
	assert_int_equal(b->scope.dim, TT_D_TEAM);
	assert_string_equal(b->scope.value, "support");
	assert_int_equal(b->period, BUDGET_MONTH);
	assert_int_equal(b->amount_nanos, 12000000000000LL);
	assert_int_equal(b->soft_pct, 80);
	assert_int_equal(b->hard_pct, 100);
	assert_int_equal(c.budgets[1].period, BUDGET_WEEK);
	assert_true(c.budgets[2].scope.all);
	config_free(&c);
}

static void test_syntax(void **state)
{
	static const char text[] = "\xEF\xBB\xBF# a comment\n"
	                           "; another\n"
	                           "\n"
	                           "[slo a]\n"
	                           "  use_case = *   ; indented keys are keys, not continuations\n"
	                           "\tsli=latency\n"
	                           "threshold_ms = 300\n"
	                           "objective = 99.95\n"
	                           "period = 4w\n"
	                           "[budget b.1]\n"
	                           "scope = use_case=code-review\n"
	                           "amount_usd = 0.5\n"
	                           "period = day\n"
	                           "soft_pct = 50\n"
	                           "hard_pct = 50\n";
	tt_config c;
	char err[1024];
	if (config_parse_string(text, "t.ini", &c, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(c.nslos, 1);
	assert_string_equal(c.slos[0].use_case, "*");
	assert_int_equal(c.slos[0].objective_ppm, 999500);
	assert_int_equal(c.slos[0].period_ms, 28 * 86400000LL);
	assert_int_equal(c.budgets[0].amount_nanos, 500000000);
	assert_int_equal(c.budgets[0].period, BUDGET_DAY);
	config_free(&c);
	assert_int_equal(config_parse_string("", "empty.ini", &c, err, sizeof err), 0);
	assert_int_equal(c.nslos + c.nbudgets, 0);
	config_free(&c);
}

/* [console]: one section without a name, theme and presentation mode. */
static void test_console_section(void **state)
{
	(void)state;
	tt_config c;
	char err[1024];
	if (config_parse_string("[console]\ntheme = colorblind\npresent = yes\n", "c.ini", &c, err,
	                        sizeof err))
		fail_msg("%s", err);
	assert_int_equal(c.nconsole, 1);
	assert_string_equal(c.console->theme, "colorblind");
	assert_true(c.console->present);
	config_free(&c);
	assert_int_equal(
	    config_parse_string("[console]\nthme = dark\n", "c.ini", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "c.ini:2"));
	assert_int_equal(
	    config_parse_string("[console]\n[console]\n", "c.ini", &c, err, sizeof err), -1);
}

/* A LiteLLM gateway's first-sync start and re-read age. */
static void test_litellm_keys(void **state)
{
	(void)state;
	tt_config c;
	char err[1024];
	if (config_parse_string("[gateway lite]\nurl = http://x\ndialect = litellm\n"
	                        "since = 2026-11-01\nreread = 3h\n",
	                        "g.ini", &c, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(c.ngateways, 1);
	assert_string_equal(c.gateways[0].since, "2026-11-01");
	assert_int_equal(c.gateways[0].reread_ms, 3 * 3600000LL);
	config_free(&c);
	assert_int_equal(config_parse_string("[gateway lite]\nurl = http://x\nsince = soon\n",
	                                     "g.ini", &c, err, sizeof err),
	                 -1);
	assert_non_null(strstr(err, "g.ini:3"));
	assert_non_null(strstr(err, "'since'"));
	assert_int_equal(config_parse_string("[gateway lite]\nurl = http://x\nreread = 5s\n",
	                                     "g.ini", &c, err, sizeof err),
	                 -1);
	assert_non_null(strstr(err, "g.ini:3"));
}

/* Each mistake: the error starts with file:line and names the key (or section) and a fix. */
static void test_errors(void **state)
{
	static const struct {
		const char *text, *want[3];
	} cases[] = {
	    {"[slo a]\nuse_case = x\nsli = availability\nobjective = 101\n",
	     {"t.ini:4: ", "'objective'", "e.g. 99.5"}},
	    {"[slo a]\nuse_case = x\nsli = availability\nobjective = 99.5\ncolour = red\n",
	     {"t.ini:5: ", "unknown key 'colour'", "use_case, sli, objective"}},
	    {"[slo a]\nuse_case = x\nsli = availability\n", {"t.ini:1: ", "'objective'", "add"}},
	    {"[slo a]\nuse_case = x\nsli = speed\nobjective = 99\n",
	     {"t.ini:3: ", "'sli'", "availability or latency"}},
	    {"[slo a]\nuse_case = x\nsli = latency\nobjective = 99\n",
	     {"t.ini:3: ", "'sli'", "needs threshold_ms"}},
	    {"[slo a]\nuse_case = x\nsli = availability\nobjective = 99\nthreshold_ms = 5\n",
	     {"t.ini:5: ", "'threshold_ms'", "latency only"}},
	    {"[slo a]\nuse_case = x\nuse_case = y\n", {"t.ini:3: ", "given twice", "line 2"}},
	    {"[budget x]\nscope = *\namount_usd = 10\n[budget x]\n", {"t.ini:4: ", "twice", ""}},
	    {"[themes]\n", {"t.ini:1: ", "unknown section [themes]", "[slo NAME], [budget NAME]"}},
	    {"[slo]\nuse_case = x\n", {"t.ini:1: ", "needs one name", "[slo NAME]"}},
	    {"[slo a b]\n", {"t.ini:1: ", "needs one name", ""}},
	    {"objective = 99\n", {"t.ini:1: ", "outside a section", ""}},
	    {"[budget x]\nscope = team\namount_usd = 10\n",
	     {"t.ini:2: ", "'scope'", "team=support"}},
	    {"[budget x]\nscope = *\namount_usd = -3\n", {"t.ini:3: ", "'amount_usd'", "dollars"}},
	    {"[budget x]\nscope = *\namount_usd = 3\nperiod = quarter\n",
	     {"t.ini:4: ", "'period'", "month, week or day"}},
	    {"[budget x]\nscope = *\namount_usd = 3\nsoft_pct = 90\nhard_pct = 80\n",
	     {"t.ini:4: ", "'soft_pct'", "above hard_pct"}},
	    {"[slo a]\nuse_case = x\nsli = availability\nobjective = 99\nbad = timeout,oops\n",
	     {"t.ini:5: ", "'oops' is not a status", "timeout,rate_limited"}},
	    {"[slo a]\nthis is not a key\n", {"t.ini:2: ", "not a 'key = value' line", ""}},
	    {"[slo a]\nuse_case = "
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	     {"t.ini:2: ", "longer than", ""}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tt_config c;
		char err[1024] = "";
		if (config_parse_string(cases[i].text, "t.ini", &c, err, sizeof err) == 0)
			fail_msg("case %zu parsed", i);
		assert_int_equal(c.nslos + c.nbudgets, 0);
		for (int k = 0; k < 3; k++)
			if (!strstr(err, cases[i].want[k]) ||
			    (k == 0 && strncmp(err, cases[i].want[0], strlen(cases[i].want[0]))))
				fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want[k]);
	}
}

static void test_files(void **state)
{
	tt_config c;
	char err[1024], path[512];
	const char *dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/none.ini", dir);
	assert_int_equal(config_load(path, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "none.ini: cannot open"));
	snprintf(path, sizeof path, "%s/bad.ini", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[slo a]\nuse_case = x\nsli = availability\nobjective = 99\n\n[budget b]\nscop = *\n",
	      f);
	fclose(f);
	assert_int_equal(config_load(path, &c, err, sizeof err), -1);
	char want[600];
	snprintf(want, sizeof want, "%s:7: [budget b]: unknown key 'scop'", path);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got '%s'", err);
	/* the default location */
	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	assert_int_equal(config_default_path(path, sizeof path), 0);
	assert_string_equal(path, "/x/conf/tokentop/tokentop.ini");
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(config_default_path(path, sizeof path), 0);
	assert_string_equal(path, "/home/u/.config/tokentop/tokentop.ini");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	assert_int_equal(config_default_path(path, sizeof path), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example),         cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_errors),          cmocka_unit_test(test_files),
	    cmocka_unit_test(test_console_section), cmocka_unit_test(test_litellm_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
