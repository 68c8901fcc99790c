/* The splitter's invariant for fuzzing and its replay: the same records whatever the chunks. */
#ifndef TOKENTOP_JSPLIT_CHECK_H
#define TOKENTOP_JSPLIT_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/jsplit.h"

typedef struct jsplit_seen {
	uint64_t hash, n, last_line;
	size_t max;
} jsplit_seen;

static void jsplit_seen_add(void *ctx, jsplit_kind kind, const char *buf, size_t len, uint64_t line)
{
	jsplit_seen *g = ctx;
	if (line < g->last_line || (kind == JSPLIT_RECORD && (len > g->max || (len && !buf))))
		abort(); /* lines go forward; a record is within the limit */
	g->last_line = line;
	uint64_t h = g->hash ^ (kind * 0x9e3779b97f4a7c15ULL) ^ line;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
	g->hash = h * 31 + len;
	g->n++;
}

/* Feeds data whole, then in chunks cut where its first byte says; the records must agree. */
static void jsplit_check(const char *data, size_t len)
{
	jsplit_seen a = {.max = 64}, b = {.max = 64};
	jsplit *s = jsplit_new(64, jsplit_seen_add, &a);
	if (!s)
		return;
	jsplit_feed(s, data, len);
	jsplit_finish(s);
	jsplit_free(s);
	s = jsplit_new(64, jsplit_seen_add, &b);
	if (!s)
		return;
	size_t step = len ? (unsigned char)data[0] % 7 + 1 : 1;
	for (size_t i = 0; i < len; i += step)
		jsplit_feed(s, data + i, len - i < step ? len - i : step);
	jsplit_finish(s);
	jsplit_free(s);
	if (a.hash != b.hash || a.n != b.n)
		abort();
}

#endif
