/* Parsers for the three event formats: native JSONL, LiteLLM spend logs, OTel GenAI spans. */
#ifndef TOKENTOP_PARSE_H
#define TOKENTOP_PARSE_H

#include <stddef.h>

#include "tokentop/event.h"

typedef enum {
	TT_FORMAT_AUTO,
	TT_FORMAT_NATIVE,
	TT_FORMAT_LITELLM,
	TT_FORMAT_OTEL,
	TT_FORMAT_COUNT
} tt_format;

/* Largest record (one line, or one whole JSON document) a parser accepts. */
#define TT_RECORD_MAX (16u << 20)

/* "auto", "native", "litellm", "otel"; 0 on success, -1 for an unknown name. */
int parse_format_from_name(const char *name, tt_format *out);
const char *parse_format_name(tt_format f);

/* Guesses the format of one record from its keys; TT_FORMAT_AUTO when it cannot tell. */
tt_format parse_detect(const char *buf, size_t len);

/* Where parsed events and per-item rejections go. item is the index of the element inside
 * the record (a LiteLLM page's data[i], the i-th OTel span), or -1 for the record itself.
 * reason is one line naming the field and what is wrong, e.g. "input_tokens: negative (-5)". */
typedef struct parse_sink {
	void (*event)(void *ctx, const tt_event *ev);
	void (*reject)(void *ctx, int item, const char *reason);
	void *ctx;
	/* Optional: what was odd about an event that is kept (an unknown status kept as other, a
	 * name cut to fit), one call per oddity, just before sink->event for that event. */
	void (*note)(void *ctx, int item, const char *what);
	/* Optional: the raw bytes of the page row about to be parsed (LiteLLM pages), so a source
	 * that reads rows again can tell a row it already refused or noted. */
	void (*row)(void *ctx, int item, const char *raw, size_t len);
} parse_sink;

/* Parses one record: a JSON object (or a LiteLLM page / OTLP export holding many).
 * fmt AUTO detects per record. Every event goes to sink->event, every bad element to
 * sink->reject; a bad element never stops the others. Returns the number of events emitted,
 * or -1 when the whole record was rejected (after one sink->reject call with item -1). */
int parse_record(tt_format fmt, const char *buf, size_t len, const parse_sink *sink);

/* A page of native events as a gateway sends it: {"events": [...], "next_cursor": "..."}.
 * Each element is parsed as one native record; a bad one is rejected with its position in
 * the array as item and the rest go on. The cursor is decoded into cursor. Returns the
 * number of elements, or -1 with why when the page is not that shape (nothing emitted). */
int parse_native_page(const char *buf, size_t len, char *cursor, size_t cursor_cap,
                      const parse_sink *sink, char *why, size_t whylen);

/* Frees the calling thread's parser buffers (kept between records for speed); call before a
 * thread that parsed ends. */
void parse_thread_release(void);

#endif
