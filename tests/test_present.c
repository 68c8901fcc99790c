/* Presentation mode: aliases are stable, scopes and free text hide tenants, keys and ids. */
#include "testutil.h"

#include "tokentop/present.h"

static void test_alias(void **state)
{
	(void)state;
	char a[64], b[64], c[64];
	present_alias("tenant", "acme", a, sizeof a);
	present_alias("tenant", "acme", b, sizeof b);
	present_alias("tenant", "globex", c, sizeof c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), strlen("tenant-") + 6);
	assert_null(strstr(a, "acme"));
	present_alias("tenant", "", a, sizeof a);
	assert_string_equal(a, "");
}

static void test_scope(void **state)
{
	(void)state;
	char got[256], t[64], k[64];
	present_alias("tenant", "acme", t, sizeof t);
	present_alias("key", "sk-abc", k, sizeof k);
	char want[256];
	snprintf(want, sizeof want, "tenant=%s use_case=support-bot", t);
	present_scope("tenant=acme use_case=support-bot", got, sizeof got);
	assert_string_equal(got, want);
	snprintf(want, sizeof want, "key=%s", k);
	present_scope("key=sk-abc", got, sizeof got);
	assert_string_equal(got, want);
	/* other keys, words without '=', empty values and an empty scope pass as they are */
	present_scope("team=support model=gpt-4o", got, sizeof got);
	assert_string_equal(got, "team=support model=gpt-4o");
	present_scope("id=ctl-7 gateway=gw tenant=", got, sizeof got);
	assert_string_equal(got, "id=ctl-7 gateway=gw tenant=");
	present_scope("", got, sizeof got);
	assert_string_equal(got, "");
	present_scope(NULL, got, sizeof got);
	assert_string_equal(got, "");
	/* cut to the buffer, NUL-terminated */
	present_scope("tenant=acme use_case=support-bot", got, 10);
	assert_int_equal(strlen(got), 9);
	assert_true(present_hides("request_id", 10));
	assert_false(present_hides("team", 4));
}

static void test_text(void **state)
{
	(void)state;
	char got[512], t[64], want[512];
	present_alias("tenant", "acme", t, sizeof t);
	present_text("{\"scope\":{\"tenant\":\"acme\"}} type acme to confirm", "tenant", "acme",
	             got, sizeof got);
	snprintf(want, sizeof want, "{\"scope\":{\"tenant\":\"%s\"}} type %s to confirm", t, t);
	assert_string_equal(got, want);
	/* not inside a longer name */
	present_text("acme-eu and acmex stay; acme goes", "tenant", "acme", got, sizeof got);
	snprintf(want, sizeof want, "acme-eu and acmex stay; %s goes", t);
	assert_string_equal(got, want);
	present_text("nothing here", "tenant", "acme", got, sizeof got);
	assert_string_equal(got, "nothing here");
	/* every hidden value a scope names; the others stay */
	char k[64];
	present_alias("key", "sk-1", k, sizeof k);
	present_text_scoped("block sk-1 of acme for support-bot",
	                    "use_case=support-bot tenant=acme key=sk-1", got, sizeof got);
	snprintf(want, sizeof want, "block %s of %s for support-bot", k, t);
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alias),
	    cmocka_unit_test(test_scope),
	    cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
