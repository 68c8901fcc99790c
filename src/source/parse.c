/* Event parsing: format dispatch and detection, the checked jsmn layer, typed field readers. */
#define PARSE_JSMN_IMPL
#define JSMN_STATIC
#include "parse_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokentop/money.h"
#include "tokentop/timeutil.h"

/* Pools above this many bytes are released after each record, so one huge record does not pin its
 * memory for the life of the thread. */
#define PJ_KEEP_BYTES (1u << 20)

static const char *const format_names[TT_FORMAT_COUNT] = {"auto", "native", "litellm", "otel"};

int parse_format_from_name(const char *name, tt_format *out)
{
	if (!name || !out)
		return -1;
	for (int i = 0; i < TT_FORMAT_COUNT; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (tt_format)i;
			return 0;
		}
	}
	return -1;
}

const char *parse_format_name(tt_format f)
{
	return (unsigned)f < TT_FORMAT_COUNT ? format_names[f] : NULL;
}

/* ---- contexts ---- */

static _Thread_local pj_ctx tls_ctx;
static _Thread_local bool tls_busy;

/* The thread's context, or a private one when a sink callback parses again. */
static pj_ctx *ctx_acquire(const parse_sink *sink)
{
	pj_ctx *c = &tls_ctx;
	if (tls_busy) {
		c = calloc(1, sizeof *c);
		if (!c)
			return NULL;
	} else {
		tls_busy = true;
	}
	c->sink = sink;
	c->nnotes = 0;
	c->err[0] = 0;
	return c;
}

static void pool_free(pj_pool *p)
{
	free(p->tok);
	free(p->buf);
	memset(p, 0, sizeof *p);
}

static void ctx_release(pj_ctx *c)
{
	if (c != &tls_ctx) {
		for (int i = 0; i < PJ_SLOT_COUNT; i++)
			pool_free(&c->pool[i]);
		free(c);
		return;
	}
	for (int i = 0; i < PJ_SLOT_COUNT; i++) {
		pj_pool *p = &c->pool[i];
		if (p->tok_cap * sizeof(jsmntok_t) + p->buf_cap > PJ_KEEP_BYTES)
			pool_free(p);
	}
	c->sink = NULL;
	tls_busy = false;
}

void parse_thread_release(void)
{
	if (tls_busy)
		return;
	for (int i = 0; i < PJ_SLOT_COUNT; i++)
		pool_free(&tls_ctx.pool[i]);
}

int pj_fail(pj_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

void pj_note(pj_ctx *c, const char *fmt, ...)
{
	if (c->nnotes >= PJ_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->note[c->nnotes++], PJ_ERR_CAP, fmt, ap);
	va_end(ap);
}

void pj_note_other(pj_ctx *c, const pj_doc *d, int i, const char *field)
{
	char ex[48];
	if (i < 0 || pj_is_null(d, i))
		snprintf(ex, sizeof ex, "missing");
	else
		pj_excerpt(d, i, ex, sizeof ex);
	pj_note(c, "%s %s kept as other", field, ex);
}

void pj_emit(pj_ctx *c, const tt_event *ev)
{
	if (c->sink && c->sink->note)
		for (int k = 0; k < c->nnotes; k++)
			c->sink->note(c->sink->ctx, -1, c->note[k]);
	c->nnotes = 0;
	if (c->sink && c->sink->event)
		c->sink->event(c->sink->ctx, ev);
}

void pj_reject(pj_ctx *c, int item, const char *reason)
{
	c->nnotes = 0;
	if (c->sink && c->sink->reject)
		c->sink->reject(c->sink->ctx, item, reason);
}

/* ---- syntax check over jsmn's tokens ---- */

typedef struct chk {
	pj_ctx *c;
	const char *prefix;
	const char *js;
	size_t len;
	const jsmntok_t *t;
	int n;
	int i;      /* next token */
	size_t pos; /* bytes before pos are checked */
} chk;

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

bool pj_is_number(const char *s, size_t len)
{
	size_t i = 0;
	if (i < len && s[i] == '-')
		i++;
	if (i >= len || !is_digit(s[i]))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (i < len && is_digit(s[i]))
			i++;
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || !is_digit(s[i]))
			return false;
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !is_digit(s[i]))
			return false;
		while (i < len && is_digit(s[i]))
			i++;
	}
	return i == len;
}

static bool is_literal(const char *s, size_t len)
{
	return (len == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0)) ||
	       (len == 5 && memcmp(s, "false", 5) == 0) || pj_is_number(s, len);
}

static int chk_fail_at(chk *k, size_t at)
{
	if (at >= k->len)
		return pj_fail(k->c, "%snot JSON: unexpected end of input at byte %zu", k->prefix,
		               k->len);
	unsigned char ch = (unsigned char)k->js[at];
	if (ch > 0x20 && ch < 0x7f)
		return pj_fail(k->c, "%snot JSON: unexpected '%c' at byte %zu", k->prefix, ch, at);
	return pj_fail(k->c, "%snot JSON: unexpected byte 0x%02x at byte %zu", k->prefix, ch, at);
}

/* Whitespace from k->pos to `to`, with exactly one `sep` among it when sep is set. */
static int chk_gap(chk *k, size_t to, char sep)
{
	bool seen = sep == 0;
	for (size_t p = k->pos; p < to; p++) {
		char ch = k->js[p];
		if (is_ws(ch))
			continue;
		if (!seen && ch == sep) {
			seen = true;
			continue;
		}
		return chk_fail_at(k, p);
	}
	if (!seen)
		return pj_fail(k->c, "%snot JSON: expected '%c' at byte %zu", k->prefix, sep, to);
	k->pos = to;
	return 0;
}

static size_t raw_start(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? (size_t)t->start - 1 : (size_t)t->start;
}

static int chk_value(chk *k, char sep, int depth)
{
	if (k->i >= k->n)
		return chk_fail_at(k, k->len);
	const jsmntok_t *t = &k->t[k->i];
	if (chk_gap(k, raw_start(t), sep) < 0)
		return -1;
	k->i++;
	switch (t->type) {
	case JSMN_STRING:
		if (t->size != 0)
			return chk_fail_at(k, (size_t)t->end + 1);
		k->pos = (size_t)t->end + 1;
		return 0;
	case JSMN_PRIMITIVE:
		if (t->size != 0 || !is_literal(k->js + t->start, (size_t)(t->end - t->start)))
			return pj_fail(k->c, "%snot JSON: bad literal at byte %d", k->prefix,
			               t->start);
		k->pos = (size_t)t->end;
		return 0;
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		break;
	default:
		return chk_fail_at(k, (size_t)t->start);
	}
	if (depth >= PJ_MAX_DEPTH)
		return pj_fail(k->c, "%snot JSON: nested deeper than %d levels", k->prefix,
		               PJ_MAX_DEPTH);
	k->pos = (size_t)t->start + 1;
	for (int m = 0; m < t->size; m++) {
		char s = m ? ',' : 0;
		if (t->type == JSMN_OBJECT) {
			if (k->i >= k->n)
				return chk_fail_at(k, k->len);
			const jsmntok_t *key = &k->t[k->i];
			if (key->type != JSMN_STRING)
				return chk_fail_at(k, raw_start(key));
			if (chk_gap(k, raw_start(key), s) < 0)
				return -1;
			if (key->size == 0)
				return pj_fail(k->c, "%snot JSON: expected ':' at byte %d",
				               k->prefix, key->end + 1);
			if (key->size > 1) {
				int at = key->end + 1;
				if (k->i + 1 < k->n)
					at = k->t[k->i + 1].end +
					     (k->t[k->i + 1].type == JSMN_STRING);
				return pj_fail(k->c, "%snot JSON: expected ',' at byte %d",
				               k->prefix, at);
			}
			k->i++;
			k->pos = (size_t)key->end + 1;
			s = ':';
		}
		if (chk_value(k, s, depth + 1) < 0)
			return -1;
	}
	if (t->end < 1 || chk_gap(k, (size_t)t->end - 1, 0) < 0)
		return -1;
	k->pos = (size_t)t->end;
	return 0;
}

/* jsmn's closing-bracket walk is quadratic in depth; refuse deep input before it runs. */
static size_t count_byte(const char *s, size_t len, char ch, size_t stop)
{
	size_t n = 0;
	const char *e = s + len;
	while (n <= stop && (s = memchr(s, ch, (size_t)(e - s))) != NULL) {
		n++;
		s++;
	}
	return n;
}

static int depth_ok(const char *s, size_t len)
{
	size_t opens = count_byte(s, len, '{', PJ_MAX_DEPTH);
	if (opens <= PJ_MAX_DEPTH)
		opens += count_byte(s, len, '[', PJ_MAX_DEPTH - opens);
	if (opens <= PJ_MAX_DEPTH)
		return 1;
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > PJ_MAX_DEPTH)
				return 0;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return 1;
}

int pj_parse(pj_ctx *c, int slot, const char *buf, size_t len, const char *prefix, pj_doc *d)
{
	pj_pool *p = &c->pool[slot];
	if (len > TT_RECORD_MAX)
		return pj_fail(c, "%srecord longer than %u bytes", prefix, TT_RECORD_MAX);
	if (!depth_ok(buf, len))
		return pj_fail(c, "%snot JSON: nested deeper than %d levels", prefix, PJ_MAX_DEPTH);
	size_t most = len / 2 + PJ_MAX_DEPTH + 2; /* no document has more tokens than this */
	if (p->tok_cap == 0) {
		size_t want = most < 256 ? most : 256;
		p->tok = malloc(want * sizeof *p->tok);
		if (!p->tok)
			return pj_fail(c, "%sout of memory", prefix);
		p->tok_cap = (unsigned)want;
	}
	jsmn_parser jp;
	jsmn_init(&jp);
	int r;
	while ((r = jsmn_parse(&jp, buf, len, p->tok, p->tok_cap)) == JSMN_ERROR_NOMEM) {
		size_t want = (size_t)p->tok_cap * 2;
		if (want > most)
			want = most;
		if (want <= p->tok_cap)
			return pj_fail(c, "%snot JSON: too many tokens", prefix);
		jsmntok_t *nt = realloc(p->tok, want * sizeof *nt);
		if (!nt)
			return pj_fail(c, "%sout of memory", prefix);
		p->tok = nt;
		p->tok_cap = (unsigned)want;
	}
	if (r == JSMN_ERROR_PART || r == JSMN_ERROR_INVAL) {
		const char *nul = memchr(buf, 0, len);
		if (nul)
			return pj_fail(c, "%snot JSON: NUL byte at byte %zu", prefix,
			               (size_t)(nul - buf));
		if (r == JSMN_ERROR_PART)
			return pj_fail(c, "%snot JSON: unexpected end of input at byte %zu", prefix,
			               len);
		return pj_fail(c, "%snot JSON: invalid character at byte %u", prefix, jp.pos);
	}
	if (r <= 0)
		return pj_fail(c, "%snot JSON: empty input", prefix);
	chk k = {c, prefix, buf, len, p->tok, r, 0, 0};
	if (chk_value(&k, 0, 0) < 0 || chk_gap(&k, len, 0) < 0)
		return -1;
	if (k.i != r)
		return chk_fail_at(&k, raw_start(&p->tok[k.i]));
	d->js = buf;
	d->t = p->tok;
	d->n = r;
	return 0;
}

int pj_parse_inner(pj_ctx *c, int slot, const pj_doc *outer, int i, const char *field, pj_doc *d)
{
	pj_pool *p = &c->pool[slot];
	size_t raw = pj_tok_len(outer, i);
	if (p->buf_cap < raw + 1) {
		char *nb = realloc(p->buf, raw + 1);
		if (!nb)
			return pj_fail(c, "%s: out of memory", field);
		p->buf = nb;
		p->buf_cap = raw + 1;
	}
	size_t n;
	int code = pj_decode(outer, i, p->buf, p->buf_cap, &n);
	if (code != PJ_STR_OK)
		return pj_str_fail(c, code, field, p->buf_cap);
	char prefix[96];
	snprintf(prefix, sizeof prefix, "%s: ", field);
	return pj_parse(c, slot, p->buf, n, prefix, d);
}

/* ---- token access ---- */

int pj_skip(const pj_doc *d, int i)
{
	int pending = 1;
	while (pending > 0 && i < d->n) {
		pending += d->t[i].size - 1;
		i++;
	}
	return i;
}

size_t pj_tok_len(const pj_doc *d, int i)
{
	return (size_t)(d->t[i].end - d->t[i].start);
}

const char *pj_tok_ptr(const pj_doc *d, int i)
{
	return d->js + d->t[i].start;
}

bool pj_tok_eq(const pj_doc *d, int i, const char *s, size_t len)
{
	return pj_tok_len(d, i) == len && memcmp(pj_tok_ptr(d, i), s, len) == 0;
}

bool pj_is_null(const pj_doc *d, int i)
{
	return d->t[i].type == JSMN_PRIMITIVE && d->js[d->t[i].start] == 'n';
}

bool pj_is_string(const pj_doc *d, int i)
{
	return d->t[i].type == JSMN_STRING;
}

int pj_find(const pj_doc *d, int obj, const char *key)
{
	if (d->t[obj].type != JSMN_OBJECT)
		return -1;
	size_t len = strlen(key);
	int i = obj + 1;
	for (int m = 0; m < d->t[obj].size && i + 1 < d->n; m++) {
		if (pj_tok_eq(d, i, key, len))
			return i + 1;
		i = pj_skip(d, i + 1);
	}
	return -1;
}

/* memcmp for short keys, without the call. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

int pj_collect(pj_ctx *c, const pj_doc *d, int obj, const pj_key *keys, int nkeys, int *idx,
               const char *prefix)
{
	for (int k = 0; k < nkeys; k++)
		idx[k] = -1;
	int i = obj + 1, hint = 0;
	for (int m = 0; m < d->t[obj].size && i + 1 < d->n; m++) {
		size_t len = pj_tok_len(d, i);
		const char *s = pj_tok_ptr(d, i);
		/* keys usually come in table order: start looking after the last match */
		for (int n = 0, k = hint; n < nkeys; n++, k = k + 1 < nkeys ? k + 1 : 0) {
			if (keys[k].len != len || !same_bytes(keys[k].name, s, len))
				continue;
			if (idx[k] >= 0)
				return pj_fail(c, "%s%s: duplicate key", prefix, keys[k].name);
			idx[k] = i + 1;
			hint = k + 1 < nkeys ? k + 1 : 0;
			break;
		}
		i = pj_skip(d, i + 1);
	}
	return 0;
}

void pj_excerpt(const pj_doc *d, int i, char *out, size_t cap)
{
	const jsmntok_t *t = &d->t[i];
	size_t start = raw_start(t), end = (size_t)t->end + (t->type == JSMN_STRING);
	size_t n = end - start, max = 40, o = 0;
	for (size_t k = 0; k < n && k < max && o + 1 < cap; k++) {
		unsigned char ch = (unsigned char)d->js[start + k];
		out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (n > max)
		for (int k = 0; k < 3 && o + 1 < cap; k++)
			out[o++] = '.';
	if (cap)
		out[o] = 0;
}

/* ---- strings ---- */

static int hex4(const char *s, const char *e, unsigned *out)
{
	if (e - s < 4)
		return -1;
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char ch = s[k];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static int utf8_seq(const unsigned char *s, const unsigned char *e)
{
	unsigned char b = s[0];
	int n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (e - s < n || s[1] < lo || s[1] > hi)
		return 0;
	for (int k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return n;
}

static size_t utf8_put(char *p, unsigned cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes one escape at s (just after the backslash); the code point or -1 / -2 (surrogate). */
static long unescape(const char **sp, const char *e)
{
	const char *s = *sp;
	if (s >= e)
		return -1;
	char ch = *s++;
	long cp;
	switch (ch) {
	case '"':
	case '\\':
	case '/':
		cp = ch;
		break;
	case 'b':
		cp = '\b';
		break;
	case 'f':
		cp = '\f';
		break;
	case 'n':
		cp = '\n';
		break;
	case 'r':
		cp = '\r';
		break;
	case 't':
		cp = '\t';
		break;
	case 'u': {
		unsigned u, lo;
		if (hex4(s, e, &u) < 0)
			return -1;
		s += 4;
		if (u >= 0xdc00 && u <= 0xdfff)
			return -2;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (e - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, e, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return -2;
			s += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		cp = (long)u;
		break;
	}
	default:
		return -1;
	}
	*sp = s;
	return cp;
}

int pj_decode(const pj_doc *d, int i, char *dst, size_t cap, size_t *out_len)
{
	const char *s = pj_tok_ptr(d, i), *e = s + pj_tok_len(d, i);
	size_t o = 0;
	if (cap == 0)
		return PJ_STR_LONG;
#define PJ_LONG()                                                                                  \
	do {                                                                                       \
		dst[o] = 0;                                                                        \
		if (out_len)                                                                       \
			*out_len = o;                                                              \
		return PJ_STR_LONG;                                                                \
	} while (0)
	/* plain ASCII prefix: decoding never makes text longer, so it fits when the raw does */
	if ((size_t)(e - s) < cap) {
		while (s < e && (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x80 && *s != '\\')
			dst[o++] = *s++;
	}
	while (s < e) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch < 0x80 && ch != '\\') {
			if (o + 1 >= cap)
				PJ_LONG();
			dst[o++] = (char)ch;
			s++;
		} else if (ch == '\\') {
			s++;
			long cp = unescape(&s, e);
			if (cp == -2)
				return PJ_STR_SURROGATE;
			if (cp < 0)
				return PJ_STR_UTF8;
			if (cp == 0)
				return PJ_STR_NUL;
			char tmp[4];
			size_t n = utf8_put(tmp, (unsigned)cp);
			if (o + n >= cap)
				PJ_LONG();
			memcpy(dst + o, tmp, n);
			o += n;
		} else if (ch < 0x20) {
			return PJ_STR_CONTROL;
		} else {
			int n = utf8_seq((const unsigned char *)s, (const unsigned char *)e);
			if (!n)
				return PJ_STR_UTF8;
			if (o + (size_t)n >= cap)
				PJ_LONG();
			memcpy(dst + o, s, (size_t)n);
			o += (size_t)n;
			s += n;
		}
	}
#undef PJ_LONG
	dst[o] = 0;
	if (out_len)
		*out_len = o;
	return PJ_STR_OK;
}

int pj_str_fail(pj_ctx *c, int code, const char *field, size_t cap)
{
	switch (code) {
	case PJ_STR_LONG:
		return pj_fail(c, "%s: longer than %zu bytes", field, cap - 1);
	case PJ_STR_SURROGATE:
		return pj_fail(c, "lone surrogate in %s", field);
	case PJ_STR_CONTROL:
		return pj_fail(c, "control character in %s", field);
	case PJ_STR_NUL:
		return pj_fail(c, "NUL character in %s", field);
	default:
		return pj_fail(c, "invalid UTF-8 in %s", field);
	}
}

int pj_get_str(pj_ctx *c, const pj_doc *d, int i, const char *field, char *dst, size_t cap)
{
	if (pj_is_null(d, i))
		return 1;
	if (!pj_is_string(d, i)) {
		char ex[48];
		pj_excerpt(d, i, ex, sizeof ex);
		return pj_fail(c, "%s: not a string (%s)", field, ex);
	}
	int code = pj_decode(d, i, dst, cap, NULL);
	if (code != PJ_STR_OK) {
		dst[0] = 0;
		return pj_str_fail(c, code, field, cap);
	}
	return 0;
}

void pj_set_name(pj_ctx *c, char *dst, size_t cap, const char *src, size_t len, const char *field)
{
	if (len >= cap) {
		len = cap - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--; /* src[len] would start the cut: step back to a character's first
			          byte */
		pj_note(c, "%s: longer than %zu bytes, kept cut to them", field, cap - 1);
	}
	memcpy(dst, src, len);
	dst[len] = 0;
}

int pj_get_name(pj_ctx *c, const pj_doc *d, int i, const char *field, char *dst, size_t cap)
{
	if (pj_is_null(d, i))
		return 1;
	if (!pj_is_string(d, i)) {
		if (d->t[i].type != JSMN_PRIMITIVE)
			return pj_get_str(c, d, i, field, dst,
			                  cap); /* an object or array: refused */
		size_t n = pj_tok_len(d, i);
		if (n >= cap)
			n = cap - 1;
		memcpy(dst, pj_tok_ptr(d, i), n);
		dst[n] = 0;
		pj_note(c, "%s: not a string, kept as its text", field);
		return 0;
	}
	int code = pj_decode(d, i, dst, cap, NULL);
	if (code == PJ_STR_LONG) {
		pj_note(c, "%s: longer than %zu bytes, kept cut to them", field, cap - 1);
		return 0;
	}
	if (code != PJ_STR_OK) {
		dst[0] = 0;
		return pj_str_fail(c, code, field, cap);
	}
	return 0;
}

/* ---- numbers ---- */

/* The token's text when it is a number, or a string of number syntax when allow_quoted. */
static int number_text(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
                       const char *what, const char **s, size_t *len)
{
	const jsmntok_t *t = &d->t[i];
	*s = pj_tok_ptr(d, i);
	*len = pj_tok_len(d, i);
	bool ok = (t->type == JSMN_PRIMITIVE && (is_digit(**s) || **s == '-')) ||
	          (t->type == JSMN_STRING && allow_quoted && pj_is_number(*s, *len));
	if (ok)
		return 0;
	char ex[48];
	pj_excerpt(d, i, ex, sizeof ex);
	return pj_fail(c, "%s: not %s (%s)", field, what, ex);
}

int pj_get_int(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
               int64_t *out)
{
	if (pj_is_null(d, i))
		return 1;
	const char *s;
	size_t len;
	if (number_text(c, d, i, field, allow_quoted, "an integer", &s, &len) < 0)
		return -1;
	char ex[48];
	size_t k = 0;
	bool neg = s[0] == '-';
	k += neg;
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; k < len; k++) {
		if (!is_digit(s[k])) {
			pj_excerpt(d, i, ex, sizeof ex);
			return pj_fail(c, "%s: not an integer (%s)", field, ex);
		}
		unsigned dg = (unsigned)(s[k] - '0');
		if (v > (limit - dg) / 10) {
			pj_excerpt(d, i, ex, sizeof ex);
			return pj_fail(c, "%s: out of range (%s)", field, ex);
		}
		v = v * 10 + dg;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int pj_get_count(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
                 int64_t *out)
{
	int64_t v;
	int r = pj_get_int(c, d, i, field, allow_quoted, &v);
	if (r != 0)
		return r;
	if (v < 0)
		return pj_fail(c, "%s: negative (%lld)", field, (long long)v);
	if (v > TT_COUNT_MAX)
		return pj_fail(c, "%s: too large (%lld > %lld)", field, (long long)v,
		               (long long)TT_COUNT_MAX);
	*out = v;
	return 0;
}

int pj_get_scaled(pj_ctx *c, const pj_doc *d, int i, const char *field, bool allow_quoted,
                  int scale, int64_t *out)
{
	if (pj_is_null(d, i))
		return 1;
	const char *s;
	size_t len;
	if (number_text(c, d, i, field, allow_quoted, "a number", &s, &len) < 0)
		return -1;
	if (money_parse_scaled(s, len, scale, out) < 0) {
		char ex[48];
		pj_excerpt(d, i, ex, sizeof ex);
		return pj_fail(c, "%s: out of range (%s)", field, ex);
	}
	return 0;
}

int pj_get_usd(pj_ctx *c, const pj_doc *d, int i, const char *field, int64_t *out)
{
	int64_t v;
	int r = pj_get_scaled(c, d, i, field, true, 9, &v);
	if (r != 0)
		return r;
	if (v < 0) {
		char ex[48];
		pj_excerpt(d, i, ex, sizeof ex);
		return pj_fail(c, "%s: negative (%s)", field, ex);
	}
	*out = v;
	return 0;
}

int pj_get_bool(pj_ctx *c, const pj_doc *d, int i, const char *field, bool *out)
{
	if (pj_is_null(d, i))
		return 1;
	if (d->t[i].type == JSMN_PRIMITIVE &&
	    (d->js[d->t[i].start] == 't' || d->js[d->t[i].start] == 'f')) {
		*out = d->js[d->t[i].start] == 't';
		return 0;
	}
	char ex[48];
	pj_excerpt(d, i, ex, sizeof ex);
	return pj_fail(c, "%s: not a boolean (%s)", field, ex);
}

int pj_get_time(pj_ctx *c, const pj_doc *d, int i, const char *field, int64_t *out)
{
	if (pj_is_null(d, i))
		return 1;
	char buf[64], ex[48];
	if (!pj_is_string(d, i) || pj_decode(d, i, buf, sizeof buf, NULL) != PJ_STR_OK ||
	    time_parse_iso(buf, strlen(buf), out) < 0) {
		pj_excerpt(d, i, ex, sizeof ex);
		return pj_fail(c, "%s: not an ISO 8601 time (%s)", field, ex);
	}
	return 0;
}

/* ---- detection and dispatch ---- */

static bool attrs_have_genai(const pj_doc *d, int arr)
{
	if (arr < 0 || d->t[arr].type != JSMN_ARRAY)
		return false;
	int i = arr + 1;
	for (int m = 0; m < d->t[arr].size && i < d->n; m++) {
		int key = pj_find(d, i, "key");
		if (key >= 0 && pj_is_string(d, key) && pj_tok_len(d, key) > 7 &&
		    memcmp(pj_tok_ptr(d, key), "gen_ai.", 7) == 0)
			return true;
		i = pj_skip(d, i);
	}
	return false;
}

tt_format parse_detect_doc(const pj_doc *d)
{
	if (d->t[0].type == JSMN_ARRAY)
		return TT_FORMAT_LITELLM;
	if (d->t[0].type != JSMN_OBJECT)
		return TT_FORMAT_AUTO;
	if (pj_find(d, 0, "resourceSpans") >= 0)
		return TT_FORMAT_OTEL;
	if (pj_find(d, 0, "ts") >= 0 && pj_find(d, 0, "request_id") >= 0)
		return TT_FORMAT_NATIVE;
	int data = pj_find(d, 0, "data");
	if (pj_find(d, 0, "spend") >= 0 || pj_find(d, 0, "startTime") >= 0 ||
	    (data >= 0 && d->t[data].type == JSMN_ARRAY))
		return TT_FORMAT_LITELLM;
	if ((pj_find(d, 0, "traceId") >= 0 && pj_find(d, 0, "spanId") >= 0) ||
	    attrs_have_genai(d, pj_find(d, 0, "attributes")))
		return TT_FORMAT_OTEL;
	return TT_FORMAT_AUTO;
}

static const char *skip_bom(const char *buf, size_t *len)
{
	if (*len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		*len -= 3;
		return buf + 3;
	}
	return buf;
}

tt_format parse_detect(const char *buf, size_t len)
{
	if (!buf)
		return TT_FORMAT_AUTO;
	pj_ctx *c = ctx_acquire(NULL);
	if (!c)
		return TT_FORMAT_AUTO;
	pj_doc d;
	buf = skip_bom(buf, &len);
	tt_format f = TT_FORMAT_AUTO;
	if (pj_parse(c, PJ_SLOT_RECORD, buf, len, "", &d) == 0)
		f = parse_detect_doc(&d);
	ctx_release(c);
	return f;
}

int parse_record(tt_format fmt, const char *buf, size_t len, const parse_sink *sink)
{
	pj_ctx *c = ctx_acquire(sink);
	if (!c) {
		if (sink && sink->reject)
			sink->reject(sink->ctx, -1, "out of memory");
		return -1;
	}
	if (!buf)
		len = 0;
	buf = buf ? skip_bom(buf, &len) : "";
	pj_doc d;
	int rc = -1;
	if (pj_parse(c, PJ_SLOT_RECORD, buf, len, "", &d) < 0) {
		pj_reject(c, -1, c->err);
		goto out;
	}
	if (fmt == TT_FORMAT_AUTO) {
		fmt = parse_detect_doc(&d);
		if (fmt == TT_FORMAT_AUTO) {
			pj_reject(c, -1,
			          "unknown format: no resourceSpans, ts+request_id, spend, "
			          "startTime or data[] key");
			goto out;
		}
	}
	switch (fmt) {
	case TT_FORMAT_NATIVE:
		rc = parse_native_doc(c, &d);
		break;
	case TT_FORMAT_LITELLM:
		rc = parse_litellm_doc(c, &d);
		break;
	case TT_FORMAT_OTEL:
		rc = parse_otel_doc(c, &d);
		break;
	default:
		pj_reject(c, -1, "unknown format");
		break;
	}
out:
	ctx_release(c);
	return rc;
}

/* Rejections of one element carry its position in the page. */
typedef struct page_item {
	const parse_sink *outer;
	int item;
} page_item;

static void page_event(void *ctx, const tt_event *ev)
{
	page_item *p = ctx;
	p->outer->event(p->outer->ctx, ev);
}

static void page_reject(void *ctx, int item, const char *reason)
{
	page_item *p = ctx;
	(void)item;
	if (p->outer->reject)
		p->outer->reject(p->outer->ctx, p->item, reason);
}

static void page_note(void *ctx, int item, const char *what)
{
	page_item *p = ctx;
	(void)item;
	if (p->outer->note)
		p->outer->note(p->outer->ctx, p->item, what);
}

int parse_native_page(const char *buf, size_t len, char *cursor, size_t cursor_cap,
                      const parse_sink *sink, char *why, size_t whylen)
{
	/* the page is tokenized in a context of its own, so that each element can be parsed as
	 * a record in the thread's context, with the jsmn checks every record gets */
	pj_ctx page = {0};
	pj_doc d;
	int rc = -1;
	static const pj_key keys[] = {PJ_KEY("events"), PJ_KEY("next_cursor")};
	int idx[2];
	if (pj_parse(&page, PJ_SLOT_RECORD, buf, len, "", &d) < 0) {
		snprintf(why, whylen, "malformed answer (%s)", page.err);
		goto out;
	}
	if (d.t[0].type != JSMN_OBJECT || pj_collect(&page, &d, 0, keys, 2, idx, "") < 0 ||
	    idx[0] < 0 || idx[1] < 0 || d.t[idx[0]].type != JSMN_ARRAY ||
	    !pj_is_string(&d, idx[1])) {
		snprintf(why, whylen, "malformed answer: expected {events: [...], next_cursor}");
		goto out;
	}
	size_t clen = 0;
	if (pj_decode(&d, idx[1], cursor, cursor_cap, &clen) || clen >= cursor_cap) {
		snprintf(why, whylen, "malformed answer: next_cursor is too long or badly escaped");
		goto out;
	}
	int n = d.t[idx[0]].size;
	page_item pi = {sink, 0};
	parse_sink each = {page_event, page_reject, &pi, page_note};
	for (int i = idx[0] + 1, k = 0; k < n; k++) {
		pi.item = k;
		parse_record(TT_FORMAT_NATIVE, d.js + d.t[i].start,
		             (size_t)(d.t[i].end - d.t[i].start), &each);
		i = pj_skip(&d, i);
	}
	rc = n;
out:
	for (int i = 0; i < PJ_SLOT_COUNT; i++)
		pool_free(&page.pool[i]);
	return rc;
}
