/* Tests for the rate card: the fixture, dated prices, exact pricing, chargeback, bad cards. */
#include "testutil.h"

#include "tokentop/ratecard.h"
#include "tokentop/timeutil.h"

static ratecard *fixture(void)
{
	size_t len;
	char *buf = tu_slurp("fixtures/ratecard.json", &len);
	char err[256] = "";
	ratecard *rc = ratecard_parse(buf, len, err, sizeof err);
	free(buf);
	if (!rc)
		fail_msg("fixture: %s", err);
	return rc;
}

static int64_t ts(const char *iso)
{
	int64_t ms;
	if (time_parse_iso(iso, strlen(iso), &ms) != 0)
		fail_msg("bad time %s", iso);
	return ms;
}

static tt_event make_event(const char *provider, const char *model, const char *iso, int64_t in,
                           int64_t cached, int64_t out)
{
	tt_event ev;
	event_init(&ev);
	snprintf(ev.provider, sizeof ev.provider, "%s", provider);
	snprintf(ev.model, sizeof ev.model, "%s", model);
	ev.ts_ms = ts(iso);
	ev.input_tokens = in;
	ev.cached_tokens = cached;
	ev.output_tokens = out;
	return ev;
}

static void test_fixture_parses(void **state)
{
	ratecard *rc = fixture();
	assert_int_equal(ratecard_overhead_bp(rc), 800);
	const tt_price *p =
	    ratecard_lookup(rc, "openai", "gpt-4o-mini", ts("2026-06-01T00:00:00Z"));
	assert_non_null(p);
	assert_int_equal(p->input_per_mtok, 150000);
	assert_int_equal(p->output_per_mtok, 600000);
	assert_int_equal(p->cached_input_per_mtok, 75000);
	assert_int_equal(p->effective_from_ms, ts("2026-01-01"));

	p = ratecard_lookup(rc, "anthropic", "claude-opus-4-1", ts("2026-06-01T00:00:00Z"));
	assert_non_null(p);
	assert_int_equal(p->input_per_mtok, 15000000);
	assert_int_equal(p->output_per_mtok, 75000000);
	assert_int_equal(p->cached_input_per_mtok, 1500000);
	p = ratecard_lookup(rc, "google", "gemini-2.5-pro", ts("2026-06-01T00:00:00Z"));
	assert_int_equal(p->cached_input_per_mtok, 310000);
	p = ratecard_lookup(rc, "vllm", "llama-3.1-8b-instruct", ts("2026-06-01T00:00:00Z"));
	assert_int_equal(p->output_per_mtok, 50000);

	static const char *const models[][3] = {
	    {"openai", "gpt-4o-mini", "good"},
	    {"openai", "gpt-4o", "better"},
	    {"openai", "o3", "best"},
	    {"anthropic", "claude-haiku-4-5", "good"},
	    {"anthropic", "claude-sonnet-4-5", "better"},
	    {"anthropic", "claude-opus-4-1", "best"},
	    {"google", "gemini-2.5-flash", "good"},
	    {"google", "gemini-2.5-pro", "better"},
	    {"vllm", "llama-3.1-8b-instruct", "good"},
	    {"vllm", "qwen2.5-coder-32b", "better"},
	};
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
		assert_non_null(ratecard_lookup(rc, models[i][0], models[i][1], ts("2026-12-31")));
		assert_string_equal(ratecard_model_tier(rc, models[i][0], models[i][1]),
		                    models[i][2]);
	}
	assert_null(ratecard_lookup(rc, "mistral", "ministral-8b-experimental", ts("2026-12-31")));
	assert_null(ratecard_model_tier(rc, "mistral", "ministral-8b-experimental"));
	/* before the first effective_from there is no price */
	assert_null(ratecard_lookup(rc, "openai", "gpt-4o", ts("2025-12-31T23:59:59.999Z")));
	assert_non_null(ratecard_lookup(rc, "openai", "gpt-4o", ts("2026-01-01T00:00:00Z")));
	ratecard_free(rc);
}

static void test_load(void **state)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/fixtures/ratecard.json", tu_srcdir());
	ratecard *rc = ratecard_load(path, err, sizeof err);
	assert_non_null(rc);
	ratecard_free(rc);

	const char *dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/missing.json", dir);
	assert_null(ratecard_load(path, err, sizeof err));
	char want[1100];
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof path, "%s/bad.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"version\":1,\"currency\":\"USD\",\"models\":[],\"x\":1}", f);
	fclose(f);
	assert_null(ratecard_load(path, err, sizeof err));
	snprintf(want, sizeof want, "%s: x: unknown key", path);
	assert_string_equal(err, want);
}

static void test_mid_period_change(void **state)
{
	ratecard *rc = fixture();
	/* 300 uncached + 512 cached input, 164 output */
	tt_event a = make_event("openai", "gpt-4o-mini", "2026-11-14T23:59:59.999Z", 812, 512, 164);
	ratecard_price(rc, &a);
	/* 300*150000 + 512*75000 + 164*600000 = 181,800,000 pico = 181,800 nanos */
	assert_int_equal(a.cost_source, TT_COST_CARD);
	assert_int_equal(a.cost_nanos, 181800);
	/* 512 * (150000 - 75000) = 38,400,000 pico */
	assert_int_equal(a.saved_nanos, 38400);
	assert_string_equal(a.tier, "good");

	tt_event b = make_event("openai", "gpt-4o-mini", "2026-11-15T00:00:00Z", 812, 512, 164);
	ratecard_price(rc, &b);
	/* 300*120000 + 512*60000 + 164*480000 = 145,440,000 pico */
	assert_int_equal(b.cost_nanos, 145440);
	/* 512 * 60000 = 30,720,000 pico */
	assert_int_equal(b.saved_nanos, 30720);

	/* the worked example of docs/ratecard.md */
	tt_event w = make_event("openai", "gpt-4o-mini", "2026-11-29T09:00:00.123Z", 812, 512, 164);
	w.cache = TT_CACHE_MISS;
	ratecard_price(rc, &w);
	assert_int_equal(w.cost_nanos, 145440);
	assert_int_equal(w.saved_nanos, 30720);
	assert_string_equal(w.tier, "good");
	/* 145,440 * 1.08 = 157,075.2 */
	assert_int_equal(ratecard_chargeback(rc, w.tier, w.cost_nanos), 157075);

	/* a million tokens each way: the list price exactly */
	tt_event c =
	    make_event("openai", "gpt-4o-mini", "2026-03-01T12:00:00Z", 1000000, 0, 1000000);
	ratecard_price(rc, &c);
	assert_int_equal(c.cost_nanos, 750000000);
	tt_event d = make_event("anthropic", "claude-sonnet-4-5", "2026-11-20T00:00:00Z", 1000000,
	                        0, 1000000);
	ratecard_price(rc, &d);
	assert_int_equal(d.cost_nanos, 16200000000);
	ratecard_free(rc);
}

static void test_cached_tokens(void **state)
{
	ratecard *rc = fixture();
	tt_event ev =
	    make_event("anthropic", "claude-sonnet-4-5", "2026-06-01T00:00:00Z", 10000, 8000, 500);
	ratecard_price(rc, &ev);
	/* 2000*3,000,000 + 8000*300,000 + 500*15,000,000 = 15,900,000,000 pico */
	assert_int_equal(ev.cost_nanos, 15900000);
	/* 8000 * (3,000,000 - 300,000) */
	assert_int_equal(ev.saved_nanos, 21600000);

	/* cached_input_per_mtok defaults to input_per_mtok: no caching discount, no saving */
	char err[256];
	const char *card = "{\"version\":1,\"currency\":\"USD\",\"models\":[{\"provider\":\"p\","
	                   "\"model\":\"m\",\"prices\":[{\"effective_from\":\"2026-01-01\","
	                   "\"input_per_mtok\":\"1.5\",\"output_per_mtok\":2}]}]}";
	ratecard *plain = ratecard_parse(card, strlen(card), err, sizeof err);
	assert_non_null(plain);
	tt_event e = make_event("p", "m", "2026-02-01T00:00:00Z", 1000, 600, 0);
	ratecard_price(plain, &e);
	assert_int_equal(e.cost_nanos, 1500000);
	assert_int_equal(e.saved_nanos, 0);
	assert_string_equal(e.tier, "");

	/* more cached than input tokens (bad data): all input counts as cached */
	tt_event f =
	    make_event("anthropic", "claude-haiku-4-5", "2026-06-01T00:00:00Z", 100, 250, 0);
	ratecard_price(rc, &f);
	assert_int_equal(f.cost_nanos, 10000); /* 100 * 100,000 pico */
	ratecard_free(plain);
	ratecard_free(rc);
}

static void test_rounding(void **state)
{
	/* prices with sub-nano-dollar parts per token: 0.0005 USD per Mtok is 500 pico a token */
	static const char card[] =
	    "{\"version\": 1, \"currency\": \"USD\", \"models\": [{\"provider\": \"p\","
	    " \"model\": \"tiny\", \"prices\": [{\"effective_from\": \"2026-01-01\","
	    " \"input_per_mtok\": 0.0005, \"output_per_mtok\": 0.00045,"
	    " \"cached_input_per_mtok\": 0.0005}]}]}";
	char err[256] = "";
	ratecard *tiny = ratecard_parse(card, sizeof card - 1, err, sizeof err);
	if (!tiny)
		fail_msg("card: %s", err);
	const char *when = "2026-06-01T00:00:00Z";
	struct {
		int64_t in, cached, out, want;
	} cases[] = {
	    {1, 0, 0, 1}, /* 500 pico: exactly half a nano, up */
	    {0, 0, 1, 0}, /* 450 pico */
	    {1, 0, 1, 1}, /* 500 + 450: rounded once per event, not per part */
	    {3, 0, 0, 2}, /* 1,500 pico: half up */
	    {5, 0, 0, 3}, /* 2,500 pico: half up, not to even */
	    {0, 0, 3, 1}, /* 1,350 pico */
	    {0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tt_event ev =
		    make_event("p", "tiny", when, cases[i].in, cases[i].cached, cases[i].out);
		ratecard_price(tiny, &ev);
		if (ev.cost_nanos != cases[i].want)
			fail_msg("case %zu: %lld nanos, want %lld", i, (long long)ev.cost_nanos,
			         (long long)cases[i].want);
	}
	ratecard_free(tiny);

	ratecard *rc = fixture();
	/* big but legal token counts do not overflow */
	tt_event big =
	    make_event("anthropic", "claude-opus-4-1", when, TT_COUNT_MAX, 0, TT_COUNT_MAX);
	ratecard_price(rc, &big);
	/* 2^40 * 90,000,000 pico = 98,956,046,499,840,000 nanos */
	assert_int_equal(big.cost_nanos, 98956046499840000LL);
	ratecard_free(rc);
}

static void test_gateway_cost_wins(void **state)
{
	ratecard *rc = fixture();
	tt_event ev = make_event("openai", "gpt-4o", "2026-06-01T00:00:00Z", 1000, 0, 200);
	ev.has_cost = true;
	ev.cost_nanos = 123456;
	ratecard_price(rc, &ev);
	assert_int_equal(ev.cost_source, TT_COST_GATEWAY);
	assert_int_equal(ev.cost_nanos, 123456);
	assert_string_equal(ev.tier, "better");

	/* also without a card, and for a model the card does not know */
	tt_event g =
	    make_event("mistral", "ministral-8b-experimental", "2026-06-01T00:00:00Z", 10, 0, 10);
	g.has_cost = true;
	g.cost_nanos = 7;
	ratecard_price(NULL, &g);
	assert_int_equal(g.cost_source, TT_COST_GATEWAY);
	assert_int_equal(g.cost_nanos, 7);
	ratecard_price(rc, &g);
	assert_int_equal(g.cost_source, TT_COST_GATEWAY);
	assert_int_equal(g.cost_nanos, 7);
	ratecard_free(rc);
}

static void test_unpriced(void **state)
{
	ratecard *rc = fixture();
	tt_event ev = make_event("mistral", "ministral-8b-experimental", "2026-11-29T09:00:00Z",
	                         1000, 500, 200);
	ev.cost_nanos = 999; /* stale value from a previous pricing */
	ev.saved_nanos = 999;
	ratecard_price(rc, &ev);
	assert_int_equal(ev.cost_source, TT_COST_UNPRICED);
	assert_int_equal(ev.cost_nanos, 0);
	assert_int_equal(ev.saved_nanos, 0);
	assert_string_equal(ev.tier, "");

	/* a known model before its first price, and no card at all */
	tt_event early = make_event("openai", "gpt-4o", "2025-06-01T00:00:00Z", 1000, 0, 200);
	ratecard_price(rc, &early);
	assert_int_equal(early.cost_source, TT_COST_UNPRICED);
	assert_string_equal(early.tier, "better");
	tt_event none = make_event("openai", "gpt-4o", "2026-06-01T00:00:00Z", 1000, 0, 200);
	ratecard_price(NULL, &none);
	assert_int_equal(none.cost_source, TT_COST_UNPRICED);
	assert_int_equal(none.cost_nanos, 0);
	ratecard_free(rc);
}

static void test_cache_hit(void **state)
{
	ratecard *rc = fixture();
	tt_event ev = make_event("openai", "gpt-4o", "2026-06-01T00:00:00Z", 1000, 0, 200);
	ev.cache = TT_CACHE_HIT;
	ratecard_price(rc, &ev);
	/* 1000*2,500,000 + 200*10,000,000 = 4,500,000,000 pico */
	assert_int_equal(ev.cost_source, TT_COST_CARD);
	assert_int_equal(ev.cost_nanos, 0);
	assert_int_equal(ev.saved_nanos, 4500000);

	/* a hit whose request had prompt-cached tokens saves what the call would have cost */
	tt_event c = make_event("openai", "gpt-4o", "2026-06-01T00:00:00Z", 1000, 400, 200);
	c.cache = TT_CACHE_HIT;
	ratecard_price(rc, &c);
	/* 600*2,500,000 + 400*1,250,000 + 200*10,000,000 */
	assert_int_equal(c.saved_nanos, 4000000);

	/* a miss saves only through prompt caching */
	tt_event m = make_event("openai", "gpt-4o", "2026-06-01T00:00:00Z", 1000, 400, 200);
	m.cache = TT_CACHE_MISS;
	ratecard_price(rc, &m);
	assert_int_equal(m.cost_nanos, 4000000);
	assert_int_equal(m.saved_nanos, 500000);

	/* an unpriced hit saves nothing we can name */
	tt_event u = make_event("mistral", "ministral-8b-experimental", "2026-06-01T00:00:00Z",
	                        1000, 0, 200);
	u.cache = TT_CACHE_HIT;
	ratecard_price(rc, &u);
	assert_int_equal(u.cost_source, TT_COST_UNPRICED);
	assert_int_equal(u.saved_nanos, 0);
	ratecard_free(rc);
}

static const char prefix_card[] =
    "{\"version\":1,\"currency\":\"USD\",\"tiers\":{\"better\":{\"markup_pct\":5}},"
    "\"models\":["
    "{\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5*\",\"tier\":\"better\","
    "\"prices\":[{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":3,"
    "\"output_per_mtok\":15}]},"
    "{\"provider\":\"anthropic\",\"model\":\"claude*\","
    "\"prices\":[{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":9,"
    "\"output_per_mtok\":9}]},"
    "{\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5\","
    "\"prices\":[{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
    "\"output_per_mtok\":1}]}]}";

static void test_prefix_match(void **state)
{
	char err[256];
	ratecard *rc = ratecard_parse(prefix_card, strlen(prefix_card), err, sizeof err);
	if (!rc)
		fail_msg("%s", err);
	int64_t t = ts("2026-06-01T00:00:00Z");
	const tt_price *p = ratecard_lookup(rc, "anthropic", "claude-sonnet-4-5-20250929", t);
	assert_non_null(p);
	assert_int_equal(p->input_per_mtok, 3000000);
	assert_string_equal(ratecard_model_tier(rc, "anthropic", "claude-sonnet-4-5-20250929"),
	                    "better");
	/* an exact entry wins over any prefix */
	p = ratecard_lookup(rc, "anthropic", "claude-sonnet-4-5", t);
	assert_int_equal(p->input_per_mtok, 1000000);
	assert_null(ratecard_model_tier(rc, "anthropic", "claude-sonnet-4-5"));
	/* the longest prefix wins */
	p = ratecard_lookup(rc, "anthropic", "claude-haiku-4-5", t);
	assert_int_equal(p->input_per_mtok, 9000000);
	/* case-sensitive on both */
	assert_null(ratecard_lookup(rc, "anthropic", "Claude-sonnet-4-5-20250929", t));
	assert_null(ratecard_lookup(rc, "Anthropic", "claude-sonnet-4-5-20250929", t));
	assert_null(ratecard_lookup(rc, "openai", "claude-sonnet-4-5", t));

	tt_event ev = make_event("anthropic", "claude-sonnet-4-5-20250929", "2026-06-01T00:00:00Z",
	                         1000000, 0, 0);
	ratecard_price(rc, &ev);
	assert_int_equal(ev.cost_nanos, 3000000000);
	assert_string_equal(ev.tier, "better");
	ratecard_free(rc);
}

static void test_chargeback(void **state)
{
	ratecard *rc = fixture();
	assert_int_equal(ratecard_chargeback(rc, "good", 1000000), 1080000);
	assert_int_equal(ratecard_chargeback(rc, "better", 1000000), 1130000);
	assert_int_equal(ratecard_chargeback(rc, "best", 1000000), 1180000);
	assert_int_equal(ratecard_chargeback(rc, "premium", 1000000), 1080000);
	assert_int_equal(ratecard_chargeback(rc, NULL, 1000000), 1080000);
	assert_int_equal(ratecard_chargeback(rc, "best", 25), 30);   /* 29.5 */
	assert_int_equal(ratecard_chargeback(rc, "best", -25), -30); /* away from zero */
	assert_int_equal(ratecard_chargeback(rc, "good", 5), 5);     /* 5.4 */
	assert_int_equal(ratecard_chargeback(rc, "good", 0), 0);
	assert_int_equal(ratecard_chargeback(rc, "best", INT64_MAX), INT64_MAX);
	assert_int_equal(ratecard_chargeback(NULL, "best", 1000), 1000);
	ratecard_free(rc);

	/* fractional percentages are basis points */
	const char *card = "{\"version\":1,\"currency\":\"USD\",\"overhead_pct\":12.5,"
	                   "\"tiers\":{\"t\":{\"markup_pct\":0.25}},\"models\":[]}";
	char err[256];
	rc = ratecard_parse(card, strlen(card), err, sizeof err);
	if (!rc)
		fail_msg("%s", err);
	assert_int_equal(ratecard_overhead_bp(rc), 1250);
	assert_int_equal(ratecard_chargeback(rc, "t", 1000000), 1127500);
	ratecard_free(rc);
}

/* A card with one model whose first price object is given. */
static char *card_with_price(const char *price)
{
	static char buf[2048];
	snprintf(buf, sizeof buf,
	         "{\"version\":1,\"currency\":\"USD\",\"models\":[{\"provider\":\"p\","
	         "\"model\":\"m\",\"prices\":[%s]}]}",
	         price);
	return buf;
}

static void expect_error(const char *card, const char *want)
{
	char err[256] = "";
	ratecard *rc = ratecard_parse(card, strlen(card), err, sizeof err);
	if (rc) {
		ratecard_free(rc);
		fail_msg("accepted, wanted \"%s\": %s", want, card);
	}
	if (strcmp(err, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", err, want);
}

#define P0 "models[0].prices[0]"

static void test_bad_prices(void **state)
{
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1}"),
	             P0 ": missing output_per_mtok");
	expect_error(card_with_price("{\"input_per_mtok\":1,\"output_per_mtok\":1}"),
	             P0 ": missing effective_from");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":-0.5,"
	                             "\"output_per_mtok\":1}"),
	             P0 ".input_per_mtok: negative price");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":0.1234567}"),
	             P0 ".output_per_mtok: more than 6 decimals");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1.5e-7}"),
	             P0 ".output_per_mtok: more than 6 decimals");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":\"0.0000001\"}"),
	             P0 ".output_per_mtok: more than 6 decimals");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":\"abc\"}"),
	             P0 ".output_per_mtok: not a number");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":true}"),
	             P0 ".output_per_mtok: not a number");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":01}"),
	             P0 ".output_per_mtok: not a number");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1e13}"),
	             P0 ".output_per_mtok: out of range");
	expect_error(card_with_price("{\"effective_from\":\"2026-13-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1}"),
	             P0 ".effective_from: not a date");
	expect_error(card_with_price("{\"effective_from\":20260101,\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1}"),
	             P0 ".effective_from: not a date");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1,\"cached_input_per_mtok\":2}"),
	             P0 ": cached_input_per_mtok above input_per_mtok");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1,\"input_price\":2}"),
	             P0 ".input_price: unknown key");
	expect_error(card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                             "\"output_per_mtok\":1,\"input_per_mtok\":2}"),
	             P0 ".input_per_mtok: duplicate key");
	expect_error(
	    card_with_price("{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,"
	                    "\"output_per_mtok\":1},"
	                    "{\"effective_from\":\"2026-01-01T00:00:00Z\",\"input_per_mtok\":2,"
	                    "\"output_per_mtok\":2}"),
	    "models[0].prices[1].effective_from: same date as prices[0]");
	expect_error(card_with_price(""), "models[0].prices: empty");
	expect_error(card_with_price("1"), P0 ": expected an object");

	/* trailing zeros past the sixth decimal are fine; so are exponents that stay within */
	char err[256];
	const char *ok =
	    card_with_price("{\"effective_from\":\"2026-01-01\","
	                    "\"input_per_mtok\":0.12345600,\"output_per_mtok\":15e-6}");
	ratecard *rc = ratecard_parse(ok, strlen(ok), err, sizeof err);
	if (!rc)
		fail_msg("%s", err);
	const tt_price *p = ratecard_lookup(rc, "p", "m", ts("2026-02-01"));
	assert_int_equal(p->input_per_mtok, 123456);
	assert_int_equal(p->output_per_mtok, 15);
	ratecard_free(rc);
}

static void test_bad_prices_path(void **state)
{
	/* the error names the element's position in the document */
	size_t len;
	char *buf = tu_slurp("fixtures/ratecard.json", &len);
	/* models[4] is claude-sonnet-4-5; its second price is the change of 2026-11-20 */
	char *sonnet = strstr(buf, "\"2026-11-20\"");
	assert_non_null(sonnet);
	memcpy(sonnet + 1, "2026-11-31", 10);
	char err[256];
	assert_null(ratecard_parse(buf, len, err, sizeof err));
	assert_string_equal(err, "models[4].prices[1].effective_from: not a date");
	free(buf);
}

static const char head[] = "{\"version\":1,\"currency\":\"USD\",";

static void expect_model_error(const char *model, const char *want)
{
	char buf[2048];
	snprintf(buf, sizeof buf, "%s\"tiers\":{\"good\":{\"markup_pct\":0}},\"models\":[%s]}",
	         head, model);
	expect_error(buf, want);
}

#define PRICE                                                                                      \
	"\"prices\":[{\"effective_from\":\"2026-01-01\",\"input_per_mtok\":1,\"output_per_mtok\":" \
	"1}]"

static void test_bad_models(void **state)
{
	expect_model_error("{\"model\":\"m\"," PRICE "}", "models[0]: missing provider");
	expect_model_error("{\"provider\":\"p\"," PRICE "}", "models[0]: missing model");
	expect_model_error("{\"provider\":\"p\",\"model\":\"m\"}", "models[0]: missing prices");
	expect_model_error("{\"provider\":\"\",\"model\":\"m\"," PRICE "}",
	                   "models[0].provider: empty");
	expect_model_error("{\"provider\":\"p\",\"model\":\"m\",\"tier\":\"gold\"," PRICE "}",
	                   "models[0].tier: unknown tier \"gold\"");
	expect_model_error("{\"provider\":\"p\",\"model\":\"m\",\"colour\":1," PRICE "}",
	                   "models[0].colour: unknown key");
	expect_model_error("{\"provider\":\"p\",\"model\":\"m\"," PRICE "},"
	                   "{\"provider\":\"q\",\"model\":\"m\"," PRICE "},"
	                   "{\"provider\":\"p\",\"model\":\"m\"," PRICE "}",
	                   "models[2]: same provider and model as models[0]");
	expect_model_error("{\"provider\":\"p\",\"model\":\"m*\"," PRICE "},"
	                   "{\"provider\":\"p\",\"model\":\"m*\"," PRICE "}",
	                   "models[1]: same provider and model as models[0]");
	expect_model_error("{\"provider\":7,\"model\":\"m\"," PRICE "}",
	                   "models[0].provider: expected a string");
	expect_model_error(
	    "{\"provider\":\"p\",\"model\":"
	    "\"0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567\"," PRICE "}",
	    "models[0].model: longer than 127 bytes");
	expect_model_error("[]", "models[0]: expected an object");
	expect_model_error("{\"provider\":\"p\",\"model\":\"m\",\"prices\":{}}",
	                   "models[0].prices: expected an array");
	/* a card whose models[3] has a second price with a bad date */
	char many[4096] = "";
	for (int i = 0; i < 3; i++) {
		char one[256];
		snprintf(one, sizeof one, "{\"provider\":\"p\",\"model\":\"m%d\"," PRICE "},", i);
		strcat(many, one);
	}
	strcat(many,
	       "{\"provider\":\"p\",\"model\":\"m3\",\"prices\":[{\"effective_from\":"
	       "\"2026-01-01\",\"input_per_mtok\":1,\"output_per_mtok\":1},{\"effective_from\":"
	       "\"soon\",\"input_per_mtok\":1,\"output_per_mtok\":1}]}");
	expect_model_error(many, "models[3].prices[1].effective_from: not a date");
}

static void test_bad_top_level(void **state)
{
	expect_error("{\"version\":1,\"currency\":\"USD\",\"models\":[],\"colour\":\"blue\"}",
	             "colour: unknown key");
	expect_error("{\"currency\":\"USD\",\"models\":[]}", "missing version");
	expect_error("{\"version\":1,\"models\":[]}", "missing currency");
	expect_error("{\"version\":1,\"currency\":\"USD\"}", "missing models");
	expect_error("{\"version\":2,\"currency\":\"USD\",\"models\":[]}",
	             "version: unsupported (this reads version 1)");
	expect_error("{\"version\":1,\"currency\":\"EUR\",\"models\":[]}",
	             "currency: only USD is supported");
	expect_error("{\"version\":1,\"version\":1,\"currency\":\"USD\",\"models\":[]}",
	             "version: duplicate key");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"overhead_pct\":-1,\"models\":[]}",
	             "overhead_pct: negative");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"overhead_pct\":8.125,\"models\":[]}",
	             "overhead_pct: more than 2 decimals");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"overhead_pct\":1000.01,\"models\":[]}",
	             "overhead_pct: above 1000");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"tiers\":{\"good\":{}},\"models\":[]}",
	             "tiers.good: missing markup_pct");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"tiers\":{\"good\":{\"markup_pct\":1,"
	             "\"colour\":1}},\"models\":[]}",
	             "tiers.good.colour: unknown key");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"tiers\":{\"good\":{\"markup_pct\":1},"
	             "\"good\":{\"markup_pct\":2}},\"models\":[]}",
	             "tiers.good: duplicate tier");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"tiers\":{\"a-very-long-tier-name-"
	             "that-goes-on-and-on-past-sixty-four-bytes-of-text\":{"
	             "\"markup_pct\":1}},\"models\":[]}",
	             "tiers.a-very-long-tier-name-that-goes-on-and-o: longer than 63 bytes");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"tiers\":[],\"models\":[]}",
	             "tiers: expected an object");
	expect_error("[]", "expected a JSON object");
}

static void test_bad_json(void **state)
{
	size_t len;
	char *buf = tu_slurp("fixtures/ratecard.json", &len);
	char err[256];
	assert_null(ratecard_parse(buf, len / 2, err, sizeof err));
	assert_string_equal(err, "truncated JSON");
	for (size_t cut = 0; cut < len; cut += 7)
		assert_null(ratecard_parse(buf, cut, err, sizeof err));
	free(buf);

	expect_error("", "empty document");
	expect_error("   \n", "empty document");
	expect_error("{\"version\":1 \"currency\":\"USD\",\"models\":[]}",
	             "invalid JSON at offset 12");
	expect_error("{\"version\" 1,\"currency\":\"USD\",\"models\":[]}",
	             "invalid JSON at offset 11");
	expect_error("{\"version\":1,,\"currency\":\"USD\",\"models\":[]}",
	             "invalid JSON at offset 12");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"models\":[],}",
	             "invalid JSON at offset 41");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"models\":[]} x",
	             "invalid JSON at offset 43");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"models\":[]}{}",
	             "invalid JSON at offset 42");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"models\":[}",
	             "invalid JSON at offset 40");
	char nul[] = "{\"version\":1,\"currency\":\"USD\",\"models\":[]}\0{}";
	char e2[64];
	assert_null(ratecard_parse(nul, sizeof nul - 1, e2, sizeof e2));
	assert_string_equal(e2, "invalid JSON at offset 42");

	/* errors fit any buffer, even a tiny one */
	char tiny[8];
	assert_null(ratecard_parse("{}", 2, tiny, sizeof tiny));
	assert_string_equal(tiny, "missing");
	assert_null(ratecard_parse("{}", 2, NULL, 0));
}

static void test_strings(void **state)
{
	/* escapes in names decode before matching */
	const char *card = "{\"version\":1,\"currency\":\"USD\",\"models\":[{\"provider\":\"p\","
	                   "\"model\":\"caf\\u00e9\\/x\",\"prices\":[{\"effective_from\":"
	                   "\"2026-01-01\",\"input_per_mtok\":1,\"output_per_mtok\":1}]}]}";
	char err[256];
	ratecard *rc = ratecard_parse(card, strlen(card), err, sizeof err);
	if (!rc)
		fail_msg("%s", err);
	assert_non_null(ratecard_lookup(rc, "p", "caf\xc3\xa9/x", ts("2026-02-01")));
	ratecard_free(rc);
	expect_error(
	    "{\"version\":1,\"currency\":\"USD\",\"models\":[{\"provider\":\"p\\u0000\"}]}",
	    "models[0].provider: malformed string");
	expect_error("{\"version\":1,\"currency\":\"USD\",\"models\":[{\"provider\":\"\\ud800\"}]}",
	             "models[0].provider: malformed string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_parses),    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_mid_period_change), cmocka_unit_test(test_cached_tokens),
	    cmocka_unit_test(test_rounding),          cmocka_unit_test(test_gateway_cost_wins),
	    cmocka_unit_test(test_unpriced),          cmocka_unit_test(test_cache_hit),
	    cmocka_unit_test(test_prefix_match),      cmocka_unit_test(test_chargeback),
	    cmocka_unit_test(test_bad_prices),        cmocka_unit_test(test_bad_prices_path),
	    cmocka_unit_test(test_bad_models),        cmocka_unit_test(test_bad_top_level),
	    cmocka_unit_test(test_bad_json),          cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
