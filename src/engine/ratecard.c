/* The rate card: exact-decimal parsing, dated price lookup, event pricing, chargeback. */
#include "tokentop/ratecard.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "tokentop/money.h"
#include "tokentop/timeutil.h"

#define RC_MAX_BYTES  (64u << 20)
#define RC_MAX_PCT_BP 100000 /* 1000% */
#define RC_PATH_CAP   192
/* micro-dollars per million tokens: $1,000,000, far above any list price, and shown in
 * nano-dollars without overflow */
#define RC_MAX_PRICE 1000000000000LL

typedef struct rc_tier {
	char name[TT_TIER_CAP];
	int64_t markup_bp;
} rc_tier;

typedef struct rc_model {
	char provider[TT_NAME_CAP];
	char model[TT_MODEL_CAP]; /* without the trailing '*' of a prefix entry */
	size_t model_len;
	bool prefix;
	char tier[TT_TIER_CAP];
	tt_price *prices; /* ascending effective_from */
	size_t nprices;
	size_t index; /* position in "models", for messages */
} rc_model;

struct ratecard {
	int64_t overhead_bp;
	rc_tier *tiers;
	size_t ntiers;
	rc_model *exact; /* sorted by provider, then model */
	size_t nexact;
	rc_model *prefix; /* longest prefix first */
	size_t nprefix;
};

typedef struct rc_parser {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;
	char *err;
	size_t errlen;
} rc_parser;

static int rc_fail(rc_parser *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rc_fail(rc_parser *p, const char *path, const char *fmt, ...)
{
	if (!p->err || !p->errlen)
		return -1;
	size_t off = 0;
	if (path && *path) {
		int n = snprintf(p->err, p->errlen, "%s: ", path);
		off = n < 0 ? 0 : (size_t)n;
		if (off >= p->errlen)
			return -1;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - off, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- walking jsmn tokens ----
 *
 * jsmn (even strict) lets some malformed documents through, e.g. a missing ':' or ','. The
 * walkers below therefore check the bytes between sibling tokens themselves: only whitespace
 * and exactly the one separator JSON requires there.
 */

static size_t tok_outer_start(const rc_parser *p, int i)
{
	return (size_t)p->tok[i].start - (p->tok[i].type == JSMN_STRING);
}

static size_t tok_outer_end(const rc_parser *p, int i)
{
	return (size_t)p->tok[i].end + (p->tok[i].type == JSMN_STRING);
}

/* The token after i's subtree: children always start before their parent ends. */
static int tok_skip(const rc_parser *p, int i)
{
	int j = i + 1;
	while (j < p->ntok && p->tok[j].start < p->tok[i].end)
		j++;
	return j;
}

static bool gap_ok(const rc_parser *p, size_t from, size_t to, char sep)
{
	int seps = 0;
	for (size_t k = from; k < to; k++) {
		char c = p->js[k];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (sep && c == sep && !seps) {
			seps++;
			continue;
		}
		return false;
	}
	return seps == (sep ? 1 : 0);
}

/* Iterates the members of an object or the elements of an array. */
typedef struct rc_iter {
	int parent, next;
	size_t pos;
	bool first;
} rc_iter;

static void iter_init(const rc_parser *p, rc_iter *it, int parent)
{
	it->parent = parent;
	it->next = parent + 1;
	it->pos = (size_t)p->tok[parent].start + 1;
	it->first = true;
}

static bool iter_has_child(const rc_parser *p, const rc_iter *it)
{
	return it->next < p->ntok && p->tok[it->next].start < p->tok[it->parent].end;
}

static int json_error(rc_parser *p, size_t at)
{
	return rc_fail(p, NULL, "invalid JSON at offset %zu", at);
}

/* 1 with the key and value tokens of the next object member, 0 at the end, -1 on a syntax error. */
static int iter_member(rc_parser *p, rc_iter *it, int *key, int *val)
{
	size_t close = (size_t)p->tok[it->parent].end - 1;
	if (!iter_has_child(p, it))
		return gap_ok(p, it->pos, close, 0) ? 0 : json_error(p, it->pos);
	int k = it->next;
	if (!gap_ok(p, it->pos, tok_outer_start(p, k), it->first ? 0 : ',') ||
	    p->tok[k].type != JSMN_STRING)
		return json_error(p, it->pos);
	int v = k + 1;
	if (v >= p->ntok || p->tok[v].start >= p->tok[it->parent].end ||
	    !gap_ok(p, tok_outer_end(p, k), tok_outer_start(p, v), ':'))
		return json_error(p, tok_outer_end(p, k));
	it->next = tok_skip(p, v);
	it->pos = tok_outer_end(p, v);
	it->first = false;
	*key = k;
	*val = v;
	return 1;
}

/* 1 and *val for the next array element, 0 at the end, -1 on a syntax error. */
static int iter_element(rc_parser *p, rc_iter *it, int *val)
{
	size_t close = (size_t)p->tok[it->parent].end - 1;
	if (!iter_has_child(p, it))
		return gap_ok(p, it->pos, close, 0) ? 0 : json_error(p, it->pos);
	int v = it->next;
	if (!gap_ok(p, it->pos, tok_outer_start(p, v), it->first ? 0 : ','))
		return json_error(p, it->pos);
	it->next = tok_skip(p, v);
	it->pos = tok_outer_end(p, v);
	it->first = false;
	*val = v;
	return 1;
}

static bool key_is(const rc_parser *p, int k, const char *name)
{
	size_t n = (size_t)(p->tok[k].end - p->tok[k].start);
	return strlen(name) == n && memcmp(p->js + p->tok[k].start, name, n) == 0;
}

/* A key as it may appear in a message: raw bytes, unprintable ones as '?', cut at 40. */
static void key_show(const rc_parser *p, int k, char *out, size_t cap)
{
	size_t n = (size_t)(p->tok[k].end - p->tok[k].start), o = 0;
	for (size_t i = 0; i < n && o + 1 < cap && i < 40; i++) {
		unsigned char c = (unsigned char)p->js[p->tok[k].start + (int)i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = 0;
}

/* Paths longer than RC_PATH_CAP are cut: they only ever end up in messages. */
static void path_printf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void path_printf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, RC_PATH_CAP, fmt, ap);
	va_end(ap);
}

static void path_join(char *out, const char *path, const char *name)
{
	path_printf(out, "%s%s%s", path, *path ? "." : "", name);
}

/* Returns the bit for key k among names[], failing on an unknown or repeated key. */
static int member_bit(rc_parser *p, const char *path, int k, const char *const *names, int n,
                      unsigned *seen)
{
	for (int i = 0; i < n; i++) {
		if (!key_is(p, k, names[i]))
			continue;
		if (*seen & (1u << i)) {
			char sub[RC_PATH_CAP];
			path_join(sub, path, names[i]);
			return rc_fail(p, sub, "duplicate key");
		}
		*seen |= 1u << i;
		return i;
	}
	char shown[48], sub[RC_PATH_CAP];
	key_show(p, k, shown, sizeof shown);
	path_join(sub, path, shown);
	return rc_fail(p, sub, "unknown key");
}

/* ---- values ---- */

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Decodes a JSON string body into dst (NUL-terminated): 0, -1 malformed, -2 too long. */
static int json_unescape(const char *s, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char buf[4];
		size_t blen = 1;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			buf[0] = (char)c;
		} else {
			if (++i >= n)
				return -1;
			switch (s[i]) {
			case '"':
				buf[0] = '"';
				break;
			case '\\':
				buf[0] = '\\';
				break;
			case '/':
				buf[0] = '/';
				break;
			case 'b':
				buf[0] = '\b';
				break;
			case 'f':
				buf[0] = '\f';
				break;
			case 'n':
				buf[0] = '\n';
				break;
			case 'r':
				buf[0] = '\r';
				break;
			case 't':
				buf[0] = '\t';
				break;
			case 'u': {
				unsigned cp, lo;
				if (i + 4 >= n || hex4(s + i + 1, &cp) != 0)
					return -1;
				i += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (i + 6 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' ||
					    hex4(s + i + 3, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
						return -1;
					i += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					return -1;
				if (cp < 0x80) {
					buf[0] = (char)cp;
				} else if (cp < 0x800) {
					buf[0] = (char)(0xc0 | cp >> 6);
					buf[1] = (char)(0x80 | (cp & 0x3f));
					blen = 2;
				} else if (cp < 0x10000) {
					buf[0] = (char)(0xe0 | cp >> 12);
					buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
					buf[2] = (char)(0x80 | (cp & 0x3f));
					blen = 3;
				} else {
					buf[0] = (char)(0xf0 | cp >> 18);
					buf[1] = (char)(0x80 | (cp >> 12 & 0x3f));
					buf[2] = (char)(0x80 | (cp >> 6 & 0x3f));
					buf[3] = (char)(0x80 | (cp & 0x3f));
					blen = 4;
				}
				break;
			}
			default:
				return -1;
			}
		}
		if (o + blen >= cap)
			return -2;
		memcpy(dst + o, buf, blen);
		o += blen;
	}
	dst[o] = 0;
	return 0;
}

static int get_string(rc_parser *p, const char *path, int v, char *dst, size_t cap)
{
	if (p->tok[v].type != JSMN_STRING)
		return rc_fail(p, path, "expected a string");
	int r = json_unescape(p->js + p->tok[v].start, (size_t)(p->tok[v].end - p->tok[v].start),
	                      dst, cap);
	if (r == -2)
		return rc_fail(p, path, "longer than %zu bytes", cap - 1);
	if (r != 0)
		return rc_fail(p, path, "malformed string");
	return 0;
}

/* The grammar of a JSON number, which jsmn leaves to its caller. */
static bool json_number_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return false;
	}
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

/* Decimal places a JSON number needs once trailing zeros go: "1.50" 1, "15e-4" 4, "2e3" 0. */
static int64_t decimal_places(const char *s, size_t n)
{
	size_t i = s[0] == '-', mant_end = i;
	while (mant_end < n && s[mant_end] != 'e' && s[mant_end] != 'E')
		mant_end++;
	/* digit j (1-based, point skipped) of a mantissa with int_len integer digits stands for
	 * 10^(int_len - j); the last nonzero one sets the places */
	int64_t int_len = 0, j = 0, last = 0;
	bool after_point = false;
	for (size_t k = i; k < mant_end; k++) {
		if (s[k] == '.') {
			after_point = true;
			continue;
		}
		j++;
		if (!after_point)
			int_len++;
		if (s[k] != '0')
			last = j;
	}
	if (!last)
		return 0;
	int64_t exp = 0;
	if (mant_end < n) {
		size_t k = mant_end + 1;
		bool neg = false;
		if (s[k] == '+' || s[k] == '-')
			neg = s[k++] == '-';
		for (; k < n; k++)
			if (exp < 1000000000)
				exp = exp * 10 + (s[k] - '0');
		if (neg)
			exp = -exp;
	}
	int64_t p10 = int_len - last + exp;
	return p10 < 0 ? -p10 : 0;
}

/* A decimal, as a JSON number or a string holding one, as an integer scaled by 10^scale,
 * exactly: more decimals than scale is an error, never a rounding. */
static int get_decimal(rc_parser *p, const char *path, int v, int scale, int64_t *out)
{
	const char *s = p->js + p->tok[v].start;
	size_t n = (size_t)(p->tok[v].end - p->tok[v].start);
	if ((p->tok[v].type != JSMN_PRIMITIVE && p->tok[v].type != JSMN_STRING) ||
	    !json_number_ok(s, n))
		return rc_fail(p, path, "not a number");
	if (decimal_places(s, n) > scale)
		return rc_fail(p, path, "more than %d decimals", scale);
	if (money_parse_scaled(s, n, scale, out) != 0)
		return rc_fail(p, path, "out of range");
	return 0;
}

static int get_amount(rc_parser *p, const char *path, int v, int64_t *out)
{
	if (get_decimal(p, path, v, 6, out) != 0)
		return -1;
	if (*out < 0)
		return rc_fail(p, path, "negative price");
	return 0;
}

static int get_pct_bp(rc_parser *p, const char *path, int v, int64_t *bp)
{
	if (get_decimal(p, path, v, 2, bp) != 0)
		return -1;
	if (*bp < 0)
		return rc_fail(p, path, "negative");
	if (*bp > RC_MAX_PCT_BP)
		return rc_fail(p, path, "above %d", RC_MAX_PCT_BP / 100);
	return 0;
}

static int expect_type(rc_parser *p, const char *path, int v, jsmntype_t type)
{
	if (p->tok[v].type == type)
		return 0;
	return rc_fail(p, path, type == JSMN_OBJECT ? "expected an object" : "expected an array");
}

/* ---- sections ---- */

enum { PR_FROM, PR_INPUT, PR_OUTPUT, PR_CACHED, PR_COUNT };
static const char *const price_keys[PR_COUNT] = {"effective_from", "input_per_mtok",
                                                 "output_per_mtok", "cached_input_per_mtok"};

static int parse_price(rc_parser *p, const char *path, int v, tt_price *pr)
{
	if (expect_type(p, path, v, JSMN_OBJECT) != 0)
		return -1;
	rc_iter it;
	iter_init(p, &it, v);
	unsigned seen = 0;
	int k, val, r;
	while ((r = iter_member(p, &it, &k, &val)) == 1) {
		int which = member_bit(p, path, k, price_keys, PR_COUNT, &seen);
		if (which < 0)
			return -1;
		char sub[RC_PATH_CAP];
		path_join(sub, path, price_keys[which]);
		if (which == PR_FROM) {
			char date[64];
			if (p->tok[val].type != JSMN_STRING ||
			    json_unescape(p->js + p->tok[val].start,
			                  (size_t)(p->tok[val].end - p->tok[val].start), date,
			                  sizeof date) != 0 ||
			    time_parse_iso(date, strlen(date), &pr->effective_from_ms) != 0)
				return rc_fail(p, sub, "not a date");
		} else {
			int64_t *dst = which == PR_INPUT    ? &pr->input_per_mtok
			               : which == PR_OUTPUT ? &pr->output_per_mtok
			                                    : &pr->cached_input_per_mtok;
			if (get_amount(p, sub, val, dst) != 0)
				return -1;
			if (*dst > RC_MAX_PRICE)
				return rc_fail(p, sub, "above %lld USD per million tokens",
				               (long long)(RC_MAX_PRICE / 1000000));
		}
	}
	if (r < 0)
		return -1;
	for (int i = 0; i < PR_CACHED; i++)
		if (!(seen & (1u << i)))
			return rc_fail(p, path, "missing %s", price_keys[i]);
	if (!(seen & (1u << PR_CACHED)))
		pr->cached_input_per_mtok = pr->input_per_mtok;
	else if (pr->cached_input_per_mtok > pr->input_per_mtok)
		return rc_fail(p, path, "cached_input_per_mtok above input_per_mtok");
	return 0;
}

typedef struct rc_dated {
	tt_price price;
	size_t index;
} rc_dated;

static int dated_cmp(const void *a, const void *b)
{
	const rc_dated *x = a, *y = b;
	if (x->price.effective_from_ms != y->price.effective_from_ms)
		return x->price.effective_from_ms < y->price.effective_from_ms ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int parse_prices(rc_parser *p, const char *path, int v, rc_model *m)
{
	if (expect_type(p, path, v, JSMN_ARRAY) != 0)
		return -1;
	size_t n = (size_t)p->tok[v].size;
	if (n == 0)
		return rc_fail(p, path, "empty");
	rc_dated *d = calloc(n, sizeof *d);
	m->prices = calloc(n, sizeof *m->prices);
	if (!d || !m->prices) {
		free(d);
		return rc_fail(p, path, "out of memory");
	}
	rc_iter it;
	iter_init(p, &it, v);
	size_t i = 0;
	int val, r;
	while ((r = iter_element(p, &it, &val)) == 1) {
		char sub[RC_PATH_CAP];
		path_printf(sub, "%s[%zu]", path, i);
		if (i >= n || parse_price(p, sub, val, &d[i].price) != 0) {
			if (i >= n)
				json_error(p, (size_t)p->tok[val].start);
			free(d);
			return -1;
		}
		d[i].index = i;
		i++;
	}
	if (r < 0 || i != n) {
		if (r >= 0)
			json_error(p, (size_t)p->tok[v].start);
		free(d);
		return -1;
	}
	qsort(d, n, sizeof *d, dated_cmp);
	for (size_t k = 0; k < n; k++) {
		if (k > 0 && d[k].price.effective_from_ms == d[k - 1].price.effective_from_ms) {
			size_t a = d[k - 1].index, b = d[k].index;
			char sub[RC_PATH_CAP];
			path_printf(sub, "%s[%zu].effective_from", path, a > b ? a : b);
			free(d);
			return rc_fail(p, sub, "same date as prices[%zu]", a < b ? a : b);
		}
		m->prices[k] = d[k].price;
	}
	m->nprices = n;
	free(d);
	return 0;
}

static const rc_tier *find_tier(const rc_tier *tiers, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tiers[i].name, name) == 0)
			return &tiers[i];
	return NULL;
}

enum { MD_PROVIDER, MD_MODEL, MD_TIER, MD_PRICES, MD_COUNT };
static const char *const model_keys[MD_COUNT] = {"provider", "model", "tier", "prices"};

static int parse_model(rc_parser *p, const char *path, int v, rc_model *m, const ratecard *rc)
{
	if (expect_type(p, path, v, JSMN_OBJECT) != 0)
		return -1;
	rc_iter it;
	iter_init(p, &it, v);
	unsigned seen = 0;
	int k, val, r;
	while ((r = iter_member(p, &it, &k, &val)) == 1) {
		int which = member_bit(p, path, k, model_keys, MD_COUNT, &seen);
		if (which < 0)
			return -1;
		char sub[RC_PATH_CAP];
		path_join(sub, path, model_keys[which]);
		switch (which) {
		case MD_PROVIDER:
			if (get_string(p, sub, val, m->provider, sizeof m->provider) != 0)
				return -1;
			if (!m->provider[0])
				return rc_fail(p, sub, "empty");
			break;
		case MD_MODEL:
			if (get_string(p, sub, val, m->model, sizeof m->model) != 0)
				return -1;
			m->model_len = strlen(m->model);
			if (!m->model_len)
				return rc_fail(p, sub, "empty");
			if (m->model[m->model_len - 1] == '*') {
				m->prefix = true;
				m->model[--m->model_len] = 0;
			}
			break;
		case MD_TIER:
			if (get_string(p, sub, val, m->tier, sizeof m->tier) != 0)
				return -1;
			if (!find_tier(rc->tiers, rc->ntiers, m->tier))
				return rc_fail(p, sub, "unknown tier \"%s\"", m->tier);
			break;
		case MD_PRICES:
			if (parse_prices(p, sub, val, m) != 0)
				return -1;
			break;
		}
	}
	if (r < 0)
		return -1;
	for (int i = 0; i < MD_COUNT; i++)
		if (i != MD_TIER && !(seen & (1u << i)))
			return rc_fail(p, path, "missing %s", model_keys[i]);
	return 0;
}

/* Exact entries first, by provider then model; then prefix entries, longest first. */
static int model_cmp(const void *a, const void *b)
{
	const rc_model *x = a, *y = b;
	if (x->prefix != y->prefix)
		return x->prefix ? 1 : -1;
	int c = strcmp(x->provider, y->provider);
	if (c)
		return c;
	if (x->prefix && x->model_len != y->model_len)
		return x->model_len > y->model_len ? -1 : 1;
	c = strcmp(x->model, y->model);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int parse_models(rc_parser *p, int v, ratecard *rc)
{
	const char *path = "models";
	if (expect_type(p, path, v, JSMN_ARRAY) != 0)
		return -1;
	size_t n = (size_t)p->tok[v].size;
	rc_model *all = calloc(n ? n : 1, sizeof *all);
	if (!all)
		return rc_fail(p, path, "out of memory");
	/* owned by rc from here on, so that ratecard_free cleans up a half-parsed card */
	rc->exact = all;
	rc_iter it;
	iter_init(p, &it, v);
	size_t i = 0;
	int val, r;
	while ((r = iter_element(p, &it, &val)) == 1) {
		if (i >= n)
			return json_error(p, (size_t)p->tok[val].start);
		char sub[RC_PATH_CAP];
		path_printf(sub, "models[%zu]", i);
		all[i].index = i;
		rc->nexact = ++i;
		if (parse_model(p, sub, val, &all[i - 1], rc) != 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (i != n)
		return json_error(p, (size_t)p->tok[v].start);
	qsort(all, n, sizeof *all, model_cmp);
	size_t nexact = 0;
	for (size_t k = 0; k < n; k++) {
		nexact += !all[k].prefix;
		if (k == 0 || all[k].prefix != all[k - 1].prefix ||
		    strcmp(all[k].provider, all[k - 1].provider) != 0 ||
		    strcmp(all[k].model, all[k - 1].model) != 0)
			continue;
		char sub[RC_PATH_CAP];
		path_printf(sub, "models[%zu]", all[k].index);
		return rc_fail(p, sub, "same provider and model as models[%zu]", all[k - 1].index);
	}
	rc->nexact = nexact;
	rc->prefix = all + nexact;
	rc->nprefix = n - nexact;
	return 0;
}

enum { TR_MARKUP, TR_DESCRIPTION, TR_COUNT };
static const char *const tier_keys[TR_COUNT] = {"markup_pct", "description"};

static int parse_tiers(rc_parser *p, int v, ratecard *rc)
{
	if (expect_type(p, "tiers", v, JSMN_OBJECT) != 0)
		return -1;
	size_t n = (size_t)p->tok[v].size;
	rc->tiers = calloc(n ? n : 1, sizeof *rc->tiers);
	if (!rc->tiers)
		return rc_fail(p, "tiers", "out of memory");
	rc_iter it;
	iter_init(p, &it, v);
	int k, val, r;
	while ((r = iter_member(p, &it, &k, &val)) == 1) {
		char shown[48], path[RC_PATH_CAP];
		key_show(p, k, shown, sizeof shown);
		path_join(path, "tiers", shown);
		if (rc->ntiers >= n)
			return json_error(p, (size_t)p->tok[k].start);
		rc_tier *t = &rc->tiers[rc->ntiers];
		if (get_string(p, path, k, t->name, sizeof t->name) != 0)
			return -1;
		if (!t->name[0])
			return rc_fail(p, path, "empty tier name");
		if (find_tier(rc->tiers, rc->ntiers, t->name))
			return rc_fail(p, path, "duplicate tier");
		rc->ntiers++;
		if (expect_type(p, path, val, JSMN_OBJECT) != 0)
			return -1;
		rc_iter in;
		iter_init(p, &in, val);
		unsigned seen = 0;
		int tk, tv, tr;
		while ((tr = iter_member(p, &in, &tk, &tv)) == 1) {
			int which = member_bit(p, path, tk, tier_keys, TR_COUNT, &seen);
			if (which < 0)
				return -1;
			char sub[RC_PATH_CAP];
			path_join(sub, path, tier_keys[which]);
			if (which == TR_MARKUP) {
				if (get_pct_bp(p, sub, tv, &t->markup_bp) != 0)
					return -1;
			} else if (p->tok[tv].type != JSMN_STRING) {
				return rc_fail(p, sub, "expected a string");
			}
		}
		if (tr < 0)
			return -1;
		if (!(seen & (1u << TR_MARKUP)))
			return rc_fail(p, path, "missing markup_pct");
	}
	return r < 0 ? -1 : 0;
}

enum { TOP_VERSION, TOP_CURRENCY, TOP_OVERHEAD, TOP_TIERS, TOP_MODELS, TOP_COUNT };
static const char *const top_keys[TOP_COUNT] = {"version", "currency", "overhead_pct", "tiers",
                                                "models"};

static int parse_root(rc_parser *p, ratecard *rc)
{
	if (p->tok[0].type != JSMN_OBJECT)
		return rc_fail(p, NULL, "expected a JSON object");
	if (!gap_ok(p, 0, (size_t)p->tok[0].start, 0))
		return json_error(p, 0);
	if (!gap_ok(p, (size_t)p->tok[0].end, p->len, 0))
		return json_error(p, (size_t)p->tok[0].end);
	int at[TOP_COUNT];
	rc_iter it;
	iter_init(p, &it, 0);
	unsigned seen = 0;
	int k, val, r;
	while ((r = iter_member(p, &it, &k, &val)) == 1) {
		int which = member_bit(p, "", k, top_keys, TOP_COUNT, &seen);
		if (which < 0)
			return -1;
		at[which] = val;
	}
	if (r < 0)
		return -1;
	static const int required[] = {TOP_VERSION, TOP_CURRENCY, TOP_MODELS};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!(seen & (1u << required[i])))
			return rc_fail(p, NULL, "missing %s", top_keys[required[i]]);

	int64_t version;
	if (get_decimal(p, "version", at[TOP_VERSION], 0, &version) != 0)
		return -1;
	if (version != 1)
		return rc_fail(p, "version", "unsupported (this reads version 1)");
	char currency[8];
	if (get_string(p, "currency", at[TOP_CURRENCY], currency, sizeof currency) != 0)
		return -1;
	if (strcmp(currency, "USD") != 0)
		return rc_fail(p, "currency", "only USD is supported");
	if ((seen & (1u << TOP_OVERHEAD)) &&
	    get_pct_bp(p, "overhead_pct", at[TOP_OVERHEAD], &rc->overhead_bp) != 0)
		return -1;
	if ((seen & (1u << TOP_TIERS)) && parse_tiers(p, at[TOP_TIERS], rc) != 0)
		return -1;
	return parse_models(p, at[TOP_MODELS], rc);
}

ratecard *ratecard_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	rc_parser p = {.js = buf, .len = len, .err = err, .errlen = errlen};
	if (err && errlen)
		err[0] = 0;
	if (!buf || len == 0) {
		rc_fail(&p, NULL, "empty document");
		return NULL;
	}
	if (len > RC_MAX_BYTES) {
		rc_fail(&p, NULL, "larger than %u MiB", RC_MAX_BYTES >> 20);
		return NULL;
	}
	/* jsmn stops at a NUL byte; the document must not hide anything behind one */
	const char *nul = memchr(buf, 0, len);
	if (nul) {
		json_error(&p, (size_t)(nul - buf));
		return NULL;
	}
	jsmn_parser jp;
	jsmn_init(&jp);
	int n = jsmn_parse(&jp, buf, len, NULL, 0);
	if (n >= 0) {
		p.tok = calloc(n ? (size_t)n : 1, sizeof *p.tok);
		if (!p.tok) {
			rc_fail(&p, NULL, "out of memory");
			return NULL;
		}
		jsmn_init(&jp);
		n = jsmn_parse(&jp, buf, len, p.tok, (unsigned)n);
	}
	if (n < 0 || n == 0) {
		if (n == JSMN_ERROR_PART)
			rc_fail(&p, NULL, "truncated JSON");
		else if (n == 0)
			rc_fail(&p, NULL, "empty document");
		else
			json_error(&p, jp.pos);
		free(p.tok);
		return NULL;
	}
	p.ntok = n;
	ratecard *rc = calloc(1, sizeof *rc);
	if (!rc) {
		rc_fail(&p, NULL, "out of memory");
		free(p.tok);
		return NULL;
	}
	if (parse_root(&p, rc) != 0) {
		ratecard_free(rc);
		rc = NULL;
	}
	free(p.tok);
	return rc;
}

void ratecard_free(ratecard *rc)
{
	if (!rc)
		return;
	/* exact and prefix share one allocation that starts at exact */
	size_t n = rc->nexact + rc->nprefix;
	for (size_t i = 0; i < n; i++)
		free(rc->exact[i].prices);
	free(rc->exact);
	free(rc->tiers);
	free(rc);
}

/* ---- lookup and pricing ---- */

static const rc_model *find_model(const ratecard *rc, const char *provider, const char *model)
{
	size_t lo = 0, hi = rc->nexact;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const rc_model *m = &rc->exact[mid];
		int c = strcmp(provider, m->provider);
		if (!c)
			c = strcmp(model, m->model);
		if (!c)
			return m;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (size_t i = 0; i < rc->nprefix; i++) {
		const rc_model *m = &rc->prefix[i];
		if (strcmp(provider, m->provider) == 0 &&
		    strncmp(model, m->model, m->model_len) == 0)
			return m;
	}
	return NULL;
}

static const tt_price *price_at(const rc_model *m, int64_t ts_ms)
{
	/* the last price with effective_from <= ts_ms */
	size_t lo = 0, hi = m->nprices;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->prices[mid].effective_from_ms <= ts_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &m->prices[lo - 1] : NULL;
}

const tt_price *ratecard_lookup(const ratecard *rc, const char *provider, const char *model,
                                int64_t ts_ms)
{
	if (!rc || !provider || !model)
		return NULL;
	const rc_model *m = find_model(rc, provider, model);
	return m ? price_at(m, ts_ms) : NULL;
}

const char *ratecard_model_tier(const ratecard *rc, const char *provider, const char *model)
{
	if (!rc || !provider || !model)
		return NULL;
	const rc_model *m = find_model(rc, provider, model);
	return m && m->tier[0] ? m->tier : NULL;
}

/* Pico-dollars (1e-12 USD) to nano-dollars, half up; saturates. */
static int64_t pico_to_nanos(unsigned __int128 pico)
{
	unsigned __int128 nanos = (pico + 500) / 1000;
	return nanos > INT64_MAX ? INT64_MAX : (int64_t)nanos;
}

void ratecard_price(const ratecard *rc, tt_event *ev)
{
	const rc_model *m = rc ? find_model(rc, ev->provider, ev->model) : NULL;
	const tt_price *pr = m ? price_at(m, ev->ts_ms) : NULL;
	if (m && !ev->tier[0] && m->tier[0])
		memcpy(ev->tier, m->tier, sizeof ev->tier);

	int64_t card = 0;
	ev->saved_nanos = 0;
	if (pr) {
		/* tokens are at most 2^40 and prices below 2^63: products fit 128 bits */
		uint64_t in = ev->input_tokens > 0 ? (uint64_t)ev->input_tokens : 0;
		uint64_t out = ev->output_tokens > 0 ? (uint64_t)ev->output_tokens : 0;
		uint64_t cached = ev->cached_tokens > 0 ? (uint64_t)ev->cached_tokens : 0;
		if (cached > in)
			cached = in;
		unsigned __int128 pico =
		    (unsigned __int128)(in - cached) * (uint64_t)pr->input_per_mtok +
		    (unsigned __int128)cached * (uint64_t)pr->cached_input_per_mtok +
		    (unsigned __int128)out * (uint64_t)pr->output_per_mtok;
		card = pico_to_nanos(pico);
		if (ev->cache == TT_CACHE_HIT)
			ev->saved_nanos = card;
		else
			ev->saved_nanos = pico_to_nanos(
			    (unsigned __int128)cached *
			    (uint64_t)(pr->input_per_mtok - pr->cached_input_per_mtok));
	}
	if (ev->has_cost) {
		ev->cost_source = TT_COST_GATEWAY;
	} else if (pr) {
		ev->cost_source = TT_COST_CARD;
		ev->cost_nanos = ev->cache == TT_CACHE_HIT ? 0 : card;
	} else {
		ev->cost_source = TT_COST_UNPRICED;
		ev->cost_nanos = 0;
	}
}

int64_t ratecard_overhead_bp(const ratecard *rc)
{
	return rc ? rc->overhead_bp : 0;
}

int64_t ratecard_chargeback(const ratecard *rc, const char *tier, int64_t cost_nanos)
{
	if (!rc)
		return cost_nanos;
	int64_t bp = 10000 + rc->overhead_bp;
	const rc_tier *t = tier ? find_tier(rc->tiers, rc->ntiers, tier) : NULL;
	if (t)
		bp += t->markup_bp;
	int64_t out;
	if (money_muldiv(cost_nanos, bp, 10000, &out) != 0)
		return cost_nanos < 0 ? INT64_MIN : INT64_MAX;
	return out;
}

ratecard *ratecard_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len == cap) {
			if (cap > RC_MAX_BYTES)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	bool read_error = ferror(f);
	fclose(f);
	if (!buf || read_error || len > RC_MAX_BYTES) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
			         !buf         ? "out of memory"
			         : read_error ? "read error"
			                      : "larger than 64 MiB");
		free(buf);
		return NULL;
	}
	char inner[256];
	ratecard *rc = ratecard_parse(buf, len, inner, sizeof inner);
	free(buf);
	if (!rc && err && errlen)
		snprintf(err, errlen, "%s: %s", path, inner);
	return rc;
}

/* ---- the card's contents ---- */

size_t ratecard_tier_count(const ratecard *rc)
{
	return rc ? rc->ntiers : 0;
}

const char *ratecard_tier_at(const ratecard *rc, size_t i, int64_t *markup_bp)
{
	if (!rc || i >= rc->ntiers)
		return NULL;
	if (markup_bp)
		*markup_bp = rc->tiers[i].markup_bp;
	return rc->tiers[i].name;
}

size_t ratecard_model_count(const ratecard *rc)
{
	return rc ? rc->nexact + rc->nprefix : 0;
}

int ratecard_model_at(const ratecard *rc, size_t i, ratecard_entry *out)
{
	if (!rc || i >= rc->nexact + rc->nprefix)
		return -1;
	const rc_model *m = i < rc->nexact ? &rc->exact[i] : &rc->prefix[i - rc->nexact];
	*out = (ratecard_entry){m->provider, m->model, m->prefix, m->tier, m->prices, m->nprices};
	return 0;
}
