/* Tests of jsplit: which records a stream of JSON text is cut into, on what lines, fed whole
 * and one byte at a time. */
#include "testutil.h"

#include "tokentop/jsplit.h"

typedef struct got {
	char out[4096]; /* "LINE:RECORD|" per record, "LINE:LONG|" for a long one */
	size_t len;
} got;

static void collect(void *ctx, jsplit_kind kind, const char *buf, size_t len, uint64_t line)
{
	got *g = ctx;
	g->len += (size_t)snprintf(g->out + g->len, sizeof g->out - g->len,
	                           "%llu:", (unsigned long long)line);
	if (kind == JSPLIT_LONG)
		g->len += (size_t)snprintf(g->out + g->len, sizeof g->out - g->len, "LONG");
	else
		for (size_t i = 0; i < len && g->len + 2 < sizeof g->out; i++)
			g->out[g->len++] = buf[i] == '\n' ? '~' : buf[i];
	g->len += (size_t)snprintf(g->out + g->len, sizeof g->out - g->len, "|");
}

/* The records of in, the same whether it arrives at once or byte by byte. */
static void check(const char *in, size_t max, const char *want)
{
	got whole = {0}, bytes = {0};
	jsplit *s = jsplit_new(max, collect, &whole);
	assert_non_null(s);
	jsplit_feed(s, in, strlen(in));
	jsplit_finish(s);
	jsplit_free(s);
	s = jsplit_new(max, collect, &bytes);
	for (size_t i = 0; in[i]; i++)
		jsplit_feed(s, in + i, 1);
	jsplit_finish(s);
	jsplit_free(s);
	if (strcmp(whole.out, want))
		fail_msg("input %s\n  got  %s\n  want %s", in, whole.out, want);
	assert_string_equal(bytes.out, whole.out);
}

static void test_lines_and_documents(void **state)
{
	(void)state;
	check("{\"a\":1}\n{\"b\":2}\n", 1000, "1:{\"a\":1}|2:{\"b\":2}|");
	check("\n\n  {\"a\":1}  \r\n\n{\"b\":[1,{\"c\":\"}\"}]}", 1000,
	      "3:{\"a\":1}|5:{\"b\":[1,{\"c\":\"}\"}]}|");
	/* pretty-printed, as jq prints, and concatenated with nothing between */
	check("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\n  \"c\": \"x\\\"}\"\n}\n", 1000,
	      "1:{~  \"a\": {~    \"b\": 1~  }~}|6:{~  \"c\": \"x\\\"}\"~}|");
	check("{\"a\":1}{\"b\":2}{}", 1000, "1:{\"a\":1}|1:{\"b\":2}|1:{}|");
	/* a byte-order mark at the start is not text */
	check("\xef\xbb\xbf{\"a\":1}\n", 1000, "1:{\"a\":1}|");
}

static void test_arrays_and_pages(void **state)
{
	(void)state;
	/* a top-level array: its elements, scalars included (for the parser to refuse) */
	check("[\n{\"a\":1},\n{\"b\":[2]}, 7, \"s\"]\n{\"c\":3}", 1000,
	      "2:{\"a\":1}|3:{\"b\":[2]}|3:7|3:\"s\"|4:{\"c\":3}|");
	/* a page: the rows of its data, the rest dropped; a later key is not a row */
	check("{\"total\": 2, \"data\": [\n {\"r\":1},\n {\"r\":2}\n], \"x\": {\"y\": [1]}}\n",
	      1000, "2:{\"r\":1}|3:{\"r\":2}|");
	/* data that is not a top-level array stays inside its record */
	check("{\"a\": {\"data\": [1]}, \"data\": 3}", 1000,
	      "1:{\"a\": {\"data\": [1]}, \"data\": 3}|");
	check("{\"data\": []}{\"z\":1}", 1000, "1:{\"z\":1}|");
}

static void test_cut_and_text(void **state)
{
	(void)state;
	/* a line cut short: handed over as it is, and the next line is a record again */
	check("{\"z\":0}\n{\"a\":1,\"b\":\n{\"c\":1}\n", 1000,
	      "1:{\"z\":0}|2:{\"a\":1,\"b\":~|3:{\"c\":1}|");
	/* where a value may begin, and no line was one record, a { is part of the value */
	check("{\"a\":1,\"b\":\n{\"c\":1}}\n", 1000, "1:{\"a\":1,\"b\":~{\"c\":1}}|");
	check("{\"a\":1,\"b\":2\n{\"c\":1}\n", 1000, "1:{\"a\":1,\"b\":2~|2:{\"c\":1}|");
	check("{\"a\":\"cut\n{\"c\":1}\n", 1000, "1:{\"a\":\"cut~|2:{\"c\":1}|");
	/* cut at the end of the input */
	check("{\"a\":1}\n{\"b\":[1,", 1000, "1:{\"a\":1}|2:{\"b\":[1,|");
	/* text that is no JSON: one record a line */
	check("hello world\n{\"a\":1}\n42\n", 1000, "1:hello world|2:{\"a\":1}|3:42|");
	check("}{\"a\":1}", 1000, "1:}{\"a\":1}|");
}

static void test_long(void **state)
{
	(void)state;
	check("{\"a\":\"0123456789\"}\n{\"b\":1}\n", 10, "1:LONG|2:{\"b\":1}|");
	/* just under the limit, over many chunks: kept (a record carried from chunk to chunk) */
	check("{\"a\":\"0123456789\"}", 18, "1:{\"a\":\"0123456789\"}|");
	check("[{\"a\":\"0123456789\"},{\"b\":1}]", 10, "1:LONG|1:{\"b\":1}|");
	check("xxxxxxxxxxxxxxxxxxxx\n{\"b\":1}", 10, "1:LONG|2:{\"b\":1}|");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_and_documents),
	    cmocka_unit_test(test_arrays_and_pages),
	    cmocka_unit_test(test_cut_and_text),
	    cmocka_unit_test(test_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
