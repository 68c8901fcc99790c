/* Splits a stream of JSON text into records in bounded memory: one record per line, pretty-printed
 * documents, concatenated values, the elements of a top-level array or of a page's "data". */
#ifndef TOKENTOP_JSPLIT_H
#define TOKENTOP_JSPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	JSPLIT_RECORD, /* a value, a cut value or a line that is not JSON: for the parser to judge
	                */
	JSPLIT_LONG,   /* a record longer than the limit: its bytes were dropped */
} jsplit_kind;

/* line is where the record begins (1-based). buf is the splitter's, valid during the call. */
typedef void (*jsplit_fn)(void *ctx, jsplit_kind kind, const char *buf, size_t len, uint64_t line);

typedef struct jsplit jsplit;

/* NULL when out of memory. max: the longest record kept. */
jsplit *jsplit_new(size_t max, jsplit_fn fn, void *ctx);
/* 0, or -1 when out of memory (the record being built is then lost and reported LONG). */
int jsplit_feed(jsplit *s, const char *buf, size_t len);
/* Ends the input: a value still open is handed over as it is, for the parser to reject. */
void jsplit_finish(jsplit *s);
void jsplit_free(jsplit *s);

#endif
