/* Shared internals of the event parsers: validated jsmn documents and typed field readers. */
#ifndef TOKENTOP_PARSE_INTERNAL_H
#define TOKENTOP_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every file sees the same token layout; only parse.c compiles the tokenizer itself. */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#ifndef PARSE_JSMN_IMPL
#define JSMN_HEADER
#endif
#include <jsmn.h>

#include "tokentop/parse.h"

/* Reasons are single lines; this holds any of them. */
#define PJ_ERR_CAP 256
/* Containers nested deeper than this are refused (real records use about ten). */
#define PJ_MAX_DEPTH 64

/* Token pools: 0 for the record, 1 and 2 for JSON documents held in string values. */
enum { PJ_SLOT_RECORD, PJ_SLOT_INNER1, PJ_SLOT_INNER2, PJ_SLOT_COUNT };

typedef struct pj_pool {
	jsmntok_t *tok;
	unsigned tok_cap;
	char *buf; /* unescaped text of an inner document */
	size_t buf_cap;
} pj_pool;

/* Oddities noted on the event being parsed, passed on when it is emitted. */
#define PJ_NOTES 6

typedef struct pj_ctx {
	pj_pool pool[PJ_SLOT_COUNT];
	const parse_sink *sink;
	char err[PJ_ERR_CAP];
	char note[PJ_NOTES][PJ_ERR_CAP];
	int nnotes;
} pj_ctx;

/* A tokenized document that passed the full JSON syntax check. */
typedef struct pj_doc {
	const char *js;
	const jsmntok_t *t;
	int n;
} pj_doc;

/* A key to look for in an object. */
typedef struct pj_key {
	const char *name;
	size_t len;
} pj_key;
/* clang-format off */
#define PJ_KEY(s) {(s), sizeof(s) - 1}
/* clang-format on */

/* Tokenizes and checks buf as one JSON value using the slot's pool; 0, or -1 with ctx->err set to
 * "<prefix>not JSON: ...". */
int pj_parse(pj_ctx *c, int slot, const char *buf, size_t len, const char *prefix, pj_doc *d);

/* Parses the JSON text held in string token i (a document inside a string) into slot. */
int pj_parse_inner(pj_ctx *c, int slot, const pj_doc *outer, int i, const char *field, pj_doc *d);

/* Index of the token after the value at i (and all it contains). */
int pj_skip(const pj_doc *d, int i);

/* Finds the keys of object obj: idx[k] is the value token of keys[k], or -1. A known key that
 * appears twice is an error ("<prefix><key>: duplicate key"). 0 or -1. */
int pj_collect(pj_ctx *c, const pj_doc *d, int obj, const pj_key *keys, int nkeys, int *idx,
               const char *prefix);

/* Value of key in object obj (first match), or -1. */
int pj_find(const pj_doc *d, int obj, const char *key);

bool pj_is_null(const pj_doc *d, int i);
bool pj_is_string(const pj_doc *d, int i);
bool pj_tok_eq(const pj_doc *d, int i, const char *s, size_t len);
size_t pj_tok_len(const pj_doc *d, int i);
const char *pj_tok_ptr(const pj_doc *d, int i);

/* Up to ~40 bytes of a token's raw text for a reason, printable ASCII only. */
void pj_excerpt(const pj_doc *d, int i, char *out, size_t cap);

/* Sets ctx->err (printf-style). Always returns -1. */
int pj_fail(pj_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Typed readers. field names the value in reasons. A JSON null leaves *out untouched and returns 1;
 * success returns 0; an error returns -1 with ctx->err set. */

/* A string decoded into dst (UTF-8 checked, escapes decoded, must fit cap with its NUL). */
int pj_get_str(pj_ctx *c, const pj_doc *d, int i, const char *field, char *dst, size_t cap);
/* A name (team, model, tier...): like pj_get_str, but a value longer than cap is kept cut at a
 * character boundary, and a number or boolean is kept as its text, each with a note. */
int pj_get_name(pj_ctx *c, const pj_doc *d, int i, const char *field, char *dst, size_t cap);
/* Copies the UTF-8 text src[0..len) into dst, cut at a character boundary (noted) when it does
 * not fit. */
void pj_set_name(pj_ctx *c, char *dst, size_t cap, const char *src, size_t len, const char *field);
/* Decodes string token i into dst without type reasons; the PJ_STR_* code. On PJ_STR_LONG dst
 * holds the whole characters that fit (NUL-terminated, their length in *out_len). */
int pj_decode(const pj_doc *d, int i, char *dst, size_t cap, size_t *out_len);
enum { PJ_STR_OK, PJ_STR_LONG, PJ_STR_UTF8, PJ_STR_SURROGATE, PJ_STR_CONTROL, PJ_STR_NUL };
/* Turns a PJ_STR_* code into ctx->err for field; returns -1. */
int pj_str_fail(pj_ctx *c, int code, const char *field, size_t cap);

/* A non-negative integer no larger than TT_COUNT_MAX; quoted digits too when allow_quoted. */
int pj_get_count(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
                 int64_t *out);
/* Any int64 integer, number or quoted digits ("1712345678000000000" in OTLP). */
int pj_get_int(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
               int64_t *out);
/* A JSON number (or a numeric string when allow_quoted) as an exact decimal scaled by 10^scale,
 * rounded half away from zero. */
int pj_get_scaled(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
                  int scale, int64_t *out);
/* A non-negative USD amount into nano-dollars. */
int pj_get_usd(pj_ctx *c, const pj_doc *d, int i, const char *field, int64_t *out);
int pj_get_bool(pj_ctx *c, const pj_doc *d, int i, const char *field, bool *out);
/* An ISO 8601 time string into Unix ms. */
int pj_get_time(pj_ctx *c, const pj_doc *d, int i, const char *field, int64_t *out);

/* True when s[0..len) is a JSON number. */
bool pj_is_number(const char *s, size_t len);

/* Notes an oddity of the event being parsed (printf-style); kept until pj_emit passes it on
 * or pj_reject drops it with its event. */
void pj_note(pj_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An enumeration's value outside its list: the raw text noted as "FIELD "raw" kept as other". */
void pj_note_other(pj_ctx *c, const pj_doc *d, int i, const char *field);
void pj_emit(pj_ctx *c, const tt_event *ev);
void pj_reject(pj_ctx *c, int item, const char *reason);

/* Format parsers over a checked document; they emit and reject through ctx. Return as parse_record
 * does. */
int parse_native_doc(pj_ctx *c, const pj_doc *d);
int parse_litellm_doc(pj_ctx *c, const pj_doc *d);
int parse_otel_doc(pj_ctx *c, const pj_doc *d);

/* The format a checked document looks like, or TT_FORMAT_AUTO. */
tt_format parse_detect_doc(const pj_doc *d);

#endif
