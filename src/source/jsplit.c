/* Splits a stream of JSON text into records, in memory bounded by the longest record. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/jsplit.h"

#define JSPLIT_DEPTH 256 /* containers whose kind is known; deeper ones count as objects */

/* What may come next inside a container. */
typedef enum {
	EX_VALUE, /* a value (or the end): after [ , in an array, : */
	EX_KEY,   /* a key (or the end): after { , in an object */
	EX_COLON, /* after a key */
	EX_AFTER, /* after a value: , or the end */
} expect;

struct jsplit {
	jsplit_fn fn;
	void *ctx;
	size_t max;
	char *buf;
	size_t len, cap;
	/* While a record lies in the chunk being fed it is not copied: zp is its first byte there
	 * (NULL once it is copied into buf); cur is the byte being scanned. */
	const char *zp, *cur;
	bool in_rec, over, text;
	uint64_t line, rec_line, seen, bom;
	/* Every record so far began and ended on one line: a file of one record a line, in which
	 * a line that ends inside a value was cut short. */
	bool one_a_line, multi_seen;
	/* the scan */
	int depth;
	bool in_str, esc, in_scalar, str_is_key, line_start;
	expect ex;
	unsigned char is_obj[JSPLIT_DEPTH];
	/* Records are the values that begin at this depth: 0 the top-level values, 1 the elements
	 * of a top-level array, 2 those of a top-level object's "data" array; -1 nothing more in
	 * this top-level value. */
	int emit;
	char key[8];
	size_t keylen;
	bool key_is_data;
};

jsplit *jsplit_new(size_t max, jsplit_fn fn, void *ctx)
{
	jsplit *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fn = fn;
	s->ctx = ctx;
	s->max = max;
	s->line = 1;
	s->line_start = true;
	s->ex = EX_VALUE;
	return s;
}

void jsplit_free(jsplit *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

/* Makes room for n more bytes in buf; false when the record is over the limit. */
static bool room(jsplit *s, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		if (cap > s->max)
			cap = s->max;
		char *nb = cap >= s->len + n ? realloc(s->buf, cap) : NULL;
		if (!nb)
			return false;
		s->buf = nb;
		s->cap = cap;
	}
	return true;
}

static void append(jsplit *s, char c)
{
	if (s->over)
		return;
	if (s->len == s->max) {
		s->over = true;
		return;
	}
	if (s->zp) {
		s->len++;
		return;
	}
	if (!room(s, 1)) {
		s->over = true;
		return;
	}
	s->buf[s->len++] = c;
}

static void append_n(jsplit *s, const char *p, size_t n)
{
	if (!s->over && s->zp && s->max - s->len >= n) {
		s->len += n;
		return;
	}
	if (!s->over && !s->zp && s->cap - s->len >= n) {
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		return;
	}
	for (size_t i = 0; i < n; i++)
		append(s, p[i]);
}

static void rec_start(jsplit *s)
{
	s->in_rec = true;
	s->over = false;
	s->len = 0;
	s->zp = s->cur;
	s->rec_line = s->line;
}

static void rec_end(jsplit *s)
{
	if (!s->in_rec)
		return;
	s->in_rec = false;
	if (!s->text) {
		if (s->line != s->rec_line)
			s->multi_seen = true;
		s->one_a_line = !s->multi_seen;
	}
	s->text = false;
	s->fn(s->ctx, s->over ? JSPLIT_LONG : JSPLIT_RECORD,
	      s->over ? NULL
	      : s->zp ? s->zp
	              : s->buf,
	      s->over ? 0 : s->len, s->rec_line);
	s->len = 0;
	s->over = false;
	s->zp = NULL;
}

static void reset_scan(jsplit *s)
{
	s->depth = 0;
	s->in_str = s->esc = s->in_scalar = false;
	s->ex = EX_VALUE;
	s->emit = 0;
}

/* A value ended at the current depth. */
static void value_done(jsplit *s)
{
	if (s->in_rec && s->depth == s->emit)
		rec_end(s);
	s->ex = EX_AFTER;
	if (s->depth == 0) {
		s->emit = 0;
		s->ex = EX_VALUE;
	}
}

/* A value begins at the current depth with c. */
static void value_begins(jsplit *s)
{
	if (!s->in_rec && s->depth == s->emit)
		rec_start(s);
}

static void open_container(jsplit *s, char c)
{
	bool obj = c == '{';
	if (s->depth == 0 && !obj) {
		s->emit = 1; /* a top-level array: its elements are the records */
	} else if (s->depth == 1 && s->emit == 0 && s->is_obj[0] && s->key_is_data && !obj) {
		/* a page's "data": its rows are the records, the rest of the page is dropped */
		s->in_rec = false;
		s->len = 0;
		s->zp = NULL;
		s->emit = 2;
	} else {
		value_begins(s);
	}
	if (s->in_rec)
		append(s, c);
	if (s->depth < JSPLIT_DEPTH)
		s->is_obj[s->depth] = obj;
	s->depth++;
	s->ex = obj ? EX_KEY : EX_VALUE;
}

static void close_container(jsplit *s, char c)
{
	if (s->in_rec)
		append(s, c);
	s->depth--;
	if (s->emit > 0 && s->depth == s->emit - 1)
		s->emit = s->depth == 0 ? 0 : -1; /* the records' array is over */
	value_done(s);
}

static bool in_object(const jsplit *s)
{
	return s->depth > 0 && (s->depth > JSPLIT_DEPTH || s->is_obj[s->depth - 1]);
}

static void scan(jsplit *s, char c)
{
	if (s->text) { /* a line that is not JSON, handed over whole */
		if (c == '\n')
			rec_end(s);
		else
			append(s, c);
		return;
	}
	if (s->in_str) {
		if (s->in_rec)
			append(s, c);
		if (s->esc) {
			s->esc = false;
		} else if (c == '\\') {
			s->esc = true;
		} else if (c == '"') {
			s->in_str = false;
			if (s->str_is_key) {
				s->key_is_data = s->keylen == 4 && !memcmp(s->key, "data", 4);
				s->ex = EX_COLON;
			} else {
				value_done(s);
			}
		} else if (s->str_is_key && s->keylen < sizeof s->key) {
			s->key[s->keylen++] = c;
		}
		return;
	}
	bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
	if (s->in_scalar) {
		if (space || c == ',' || c == ']' || c == '}' || c == ':') {
			s->in_scalar = false;
			value_done(s);
		} else {
			if (s->in_rec)
				append(s, c);
			return;
		}
	}
	if (space) {
		if (s->in_rec && s->depth > 0)
			append(s, c);
		return;
	}
	switch (c) {
	case '{':
	case '[':
		open_container(s, c);
		return;
	case '}':
	case ']':
		if (s->depth == 0)
			break; /* a stray close: text */
		close_container(s, c);
		return;
	case '"':
		s->str_is_key = in_object(s) && s->ex == EX_KEY;
		s->keylen = 0;
		if (!s->str_is_key)
			value_begins(s);
		if (s->in_rec)
			append(s, c);
		s->in_str = true;
		return;
	case ',':
	case ':':
		if (s->depth == 0)
			break;
		if (s->in_rec)
			append(s, c);
		s->ex = c == ':' ? EX_VALUE : in_object(s) ? EX_KEY : EX_VALUE;
		return;
	default:
		break;
	}
	if (s->depth == 0) { /* text at the top: not JSON records, kept as its line */
		rec_start(s);
		s->text = true;
		append(s, c);
		return;
	}
	value_begins(s);
	if (s->in_rec)
		append(s, c);
	s->in_scalar = true;
}

int jsplit_feed(jsplit *s, const char *buf, size_t len)
{
	static const char bom[] = "\xef\xbb\xbf";
	for (size_t i = 0; i < len; i++) {
		if (s->in_str && s->in_rec && !s->esc && !s->line_start && s->seen >= 3) {
			/* the bulk of a record is string bytes: take them a run at a time */
			size_t j = i;
			while (j < len && buf[j] != '"' && buf[j] != '\\' && buf[j] != '\n')
				j++;
			if (j > i) {
				for (size_t k = i;
				     s->str_is_key && k < j && s->keylen < sizeof s->key; k++)
					s->key[s->keylen++] = buf[k];
				append_n(s, buf + i, j - i);
				s->seen += j - i;
				s->line_start = false;
				i = j - 1;
				continue;
			}
		}
		char c = buf[i];
		s->cur = buf + i;
		if (s->seen < 3 && s->bom == s->seen && c == bom[s->seen]) {
			s->bom++; /* a byte-order mark at the start is not text */
			s->seen++;
			continue;
		}
		s->seen++;
		/* A { or [ opening a line where no value may begin, inside a string (which no raw
		 * newline may break), or in a file of one record a line means the value before it
		 * was cut: a truncated line. It is handed over as it is, and the scan starts again.
		 */
		if (s->line_start && s->depth > 0 && (c == '{' || c == '[') &&
		    (s->in_str || s->ex != EX_VALUE || (s->one_a_line && s->emit == 0))) {
			rec_end(s);
			reset_scan(s);
		}
		s->line_start = c == '\n';
		scan(s, c);
		if (c == '\n')
			s->line++;
	}
	/* a record that goes on in the next chunk: its bytes so far are copied now */
	if (s->in_rec && s->zp) {
		const char *zp = s->zp;
		size_t n = s->len;
		s->zp = NULL;
		s->len = 0;
		if (!s->over && room(s, n)) {
			memcpy(s->buf, zp, n);
			s->len = n;
		} else {
			s->over = true;
		}
	}
	return 0;
}

void jsplit_finish(jsplit *s)
{
	if (s->in_scalar && !s->in_str) {
		s->in_scalar = false;
		value_done(s);
	}
	rec_end(s);
	reset_scan(s);
}
