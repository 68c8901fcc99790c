/* Prometheus text 0.0.4 / OpenMetrics 1.0 parser: line lexer, families, helpers, vLLM/TGI map. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tokentop/prom.h"
#include "tokentop/strmap.h"

#define T(t)        (1u << (t))
#define NUMBER_MAX  128 /* longest value, bound or timestamp token accepted */
#define BLOCK_BYTES (64u << 10)
#define EXCERPT_MAX 40

/* ---- names ---- */

static const char *const format_names[PROM_FORMAT_COUNT] = {"auto", "text", "openmetrics"};

static const char *const type_names[PROM_TYPE_COUNT] = {
    "untyped", "counter", "gauge", "histogram", "summary", "gaugehistogram", "info", "stateset"};

/* TYPE words; OpenMetrics' "unknown" is the classic "untyped". */
static const struct {
	const char *word;
	prom_type type;
	bool openmetrics; /* only OpenMetrics has it */
} type_words[] = {
    {"counter", PROM_COUNTER, false},
    {"gauge", PROM_GAUGE, false},
    {"histogram", PROM_HISTOGRAM, false},
    {"summary", PROM_SUMMARY, false},
    {"untyped", PROM_UNTYPED, false},
    {"unknown", PROM_UNTYPED, true},
    {"gaugehistogram", PROM_GAUGEHISTOGRAM, true},
    {"info", PROM_INFO, true},
    {"stateset", PROM_STATESET, true},
};

/* A sample named <family><suffix> belongs to a family of one of these types. */
static const struct {
	const char *suffix;
	prom_part part;
	unsigned types;
} suffixes[] = {
    {"_total", PROM_PART_TOTAL, T(PROM_COUNTER)},
    {"_bucket", PROM_PART_BUCKET, T(PROM_HISTOGRAM) | T(PROM_GAUGEHISTOGRAM)},
    {"_sum", PROM_PART_SUM, T(PROM_HISTOGRAM) | T(PROM_SUMMARY)},
    {"_count", PROM_PART_COUNT, T(PROM_HISTOGRAM) | T(PROM_SUMMARY)},
    {"_gsum", PROM_PART_GSUM, T(PROM_GAUGEHISTOGRAM)},
    {"_gcount", PROM_PART_GCOUNT, T(PROM_GAUGEHISTOGRAM)},
    {"_info", PROM_PART_INFO, T(PROM_INFO)},
};

/* Types whose samples may carry the family name itself. */
#define PLAIN_TYPES                                                                                \
	(T(PROM_UNTYPED) | T(PROM_COUNTER) | T(PROM_GAUGE) | T(PROM_SUMMARY) | T(PROM_INFO) |      \
	 T(PROM_STATESET))
/* Types whose X_created series are creation times, skipped. */
#define CREATED_TYPES                                                                              \
	(T(PROM_COUNTER) | T(PROM_HISTOGRAM) | T(PROM_SUMMARY) | T(PROM_GAUGEHISTOGRAM))

int prom_format_from_name(const char *name, prom_format *out)
{
	if (!name || !out)
		return -1;
	for (int i = 0; i < PROM_FORMAT_COUNT; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (prom_format)i;
			return 0;
		}
	}
	return -1;
}

const char *prom_format_name(prom_format f)
{
	return (unsigned)f < PROM_FORMAT_COUNT ? format_names[f] : NULL;
}

const char *prom_type_name(prom_type t)
{
	return (unsigned)t < PROM_TYPE_COUNT ? type_names[t] : NULL;
}

prom_format prom_format_from_content_type(const char *ct)
{
	if (!ct)
		return PROM_FORMAT_AUTO;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, "; \t");
	if (n == 28 && strncasecmp(ct, "application/openmetrics-text", n) == 0)
		return PROM_FORMAT_OPENMETRICS;
	if (n == 10 && strncasecmp(ct, "text/plain", n) == 0)
		return PROM_FORMAT_TEXT;
	return PROM_FORMAT_AUTO;
}

/* ---- the memory a scrape keeps ---- */

typedef struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
} block;

struct prom_store {
	block *blocks;
	strmap *family_index; /* name -> index in families */
	prom_family *families;
	prom_sample *samples;
};

static void *store_alloc(struct prom_store *st, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	block *b = st->blocks;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > BLOCK_BYTES ? size : BLOCK_BYTES;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = st->blocks;
		st->blocks = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

static char *store_strdup(struct prom_store *st, const char *s, size_t n)
{
	char *d = store_alloc(st, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

void prom_scrape_free(prom_scrape *s)
{
	if (!s)
		return;
	struct prom_store *st = s->store;
	if (st) {
		for (block *b = st->blocks, *next; b; b = next) {
			next = b->next;
			free(b);
		}
		strmap_free(st->family_index);
		free(st->families);
		free(st->samples);
		free(st);
	}
	free(s);
}

/* ---- the parser ---- */

typedef struct bfamily {
	const char *name, *help, *unit;
	prom_type type;
	bool typed;
	size_t nsamples;
} bfamily;

typedef enum { TS_NONE, TS_INT, TS_FLOAT } ts_kind;

typedef struct bsample {
	prom_sample s;
	uint32_t family;
	ts_kind ts;
	int64_t ts_int;
	double ts_float;
	uint64_t hash;
} bsample;

/* A label while its line is lexed: the value is in the parser's scratch. */
typedef struct tlabel {
	const char *name; /* interned */
	size_t off, len;
} tlabel;

struct prom_parser {
	prom_format hint;
	prom_limits lim;
	prom_scrape *out;
	struct prom_store *st;

	strmap *names; /* interned sample and label names -> index in name_ptr */
	const char **name_ptr;
	size_t nnames, capnames;
	const char *le, *quantile; /* interned, compared by pointer */

	bfamily *fams;
	size_t nfams, capfams;
	bsample *smp;
	size_t nsmp, capsmp;
	uint32_t *seen; /* open addressing: sample index + 1, 0 empty */
	size_t capseen;

	tlabel *tl;
	size_t captl;
	char *scratch; /* unescaped strings of the current line */
	size_t capscratch;
	char *tmp; /* a name with a suffix swapped */
	size_t captmp;

	char *part; /* a line spanning chunks */
	size_t npart, cappart;
	size_t bytes;
	bool overlong;  /* inside a line past max_line: dropped up to its newline */
	bool stopped;   /* the rest of the input is ignored */
	bool after_eof; /* an OpenMetrics # EOF was seen */
	bool saw_om;    /* something only OpenMetrics has */
};

static void add_error(prom_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(prom_parser *p, const char *fmt, ...)
{
	prom_scrape *o = p->out;
	if (o->nerrors < PROM_ERRORS_KEPT) {
		char *e = o->errors[o->nerrors];
		int k = snprintf(e, PROM_ERROR_MAX, "line %zu: ", o->nlines);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e + k, PROM_ERROR_MAX - (size_t)k, fmt, ap);
		va_end(ap);
	}
	o->nerrors++;
}

/* Errors are reported through here so that every skipped line is counted once. */
static int bad(prom_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(prom_parser *p, const char *fmt, ...)
{
	char msg[PROM_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->out->nbad++;
	add_error(p, "%s", msg);
	return -1;
}

static void stop(prom_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void stop(prom_parser *p, const char *fmt, ...)
{
	char msg[PROM_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	add_error(p, "%s", msg);
	p->stopped = true;
	p->out->truncated = true;
	snprintf(p->out->incomplete, sizeof p->out->incomplete, "line %zu: %s", p->out->nlines,
	         msg);
}

static int oom(prom_parser *p)
{
	stop(p, "out of memory: the rest is ignored");
	return -1;
}

/* Grows *v (elements of size sz) to hold at least want. */
static int grow(void **v, size_t *cap, size_t want, size_t sz)
{
	if (want <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < want)
		n *= 2;
	void *nv = realloc(*v, n * sz);
	if (!nv)
		return -1;
	*v = nv;
	*cap = n;
	return 0;
}

/* A short quotable view of untrusted text: printable ASCII kept, other bytes as \xNN. */
static const char *excerpt(char *buf, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (o + 8 >= cap || o >= EXCERPT_MAX) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
	}
	buf[o] = 0;
	return buf;
}

/* excerpt() of a NUL-terminated name. */
static const char *name_ex(char *buf, size_t cap, const char *name)
{
	return excerpt(buf, cap, name, strlen(name));
}

static const char *intern(prom_parser *p, const char *s, size_t n)
{
	int64_t i = strmap_get(p->names, s, n);
	if (i >= 0)
		return p->name_ptr[i];
	if (grow((void **)&p->name_ptr, &p->capnames, p->nnames + 1, sizeof *p->name_ptr) < 0)
		return NULL;
	char *d = store_strdup(p->st, s, n);
	if (!d || strmap_put(p->names, s, n, (int64_t)p->nnames) < 0)
		return NULL;
	p->name_ptr[p->nnames++] = d;
	return d;
}

static int64_t family_get(const prom_parser *p, const char *name, size_t n)
{
	return strmap_get(p->st->family_index, name, n);
}

static int64_t family_add(prom_parser *p, const char *name, size_t n)
{
	if (p->nfams >= p->lim.max_samples) {
		stop(p, "more than %zu families: the rest is ignored", p->lim.max_samples);
		return -1;
	}
	const char *in = intern(p, name, n);
	if (!in || grow((void **)&p->fams, &p->capfams, p->nfams + 1, sizeof *p->fams) < 0 ||
	    strmap_put(p->st->family_index, name, n, (int64_t)p->nfams) < 0)
		return oom(p);
	p->fams[p->nfams] = (bfamily){in, "", "", PROM_UNTYPED, false, 0};
	return (int64_t)p->nfams++;
}

prom_parser *prom_parser_new(prom_format hint, const prom_limits *lim)
{
	prom_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->hint = (unsigned)hint < PROM_FORMAT_COUNT ? hint : PROM_FORMAT_AUTO;
	if (lim)
		p->lim = *lim;
	if (!p->lim.max_line)
		p->lim.max_line = PROM_MAX_LINE;
	if (!p->lim.max_labels)
		p->lim.max_labels = PROM_MAX_LABELS;
	if (!p->lim.max_samples)
		p->lim.max_samples = PROM_MAX_SAMPLES;
	if (!p->lim.max_bytes)
		p->lim.max_bytes = PROM_MAX_BYTES;
	p->out = calloc(1, sizeof *p->out);
	p->names = strmap_new();
	if (p->out)
		p->out->store = p->st = calloc(1, sizeof *p->st);
	if (p->st)
		p->st->family_index = strmap_new();
	if (!p->out || !p->st || !p->names || !p->st->family_index ||
	    !(p->le = intern(p, "le", 2)) || !(p->quantile = intern(p, "quantile", 8))) {
		prom_parser_free(p);
		return NULL;
	}
	return p;
}

static void parser_release(prom_parser *p)
{
	strmap_free(p->names);
	free(p->name_ptr);
	free(p->fams);
	free(p->smp);
	free(p->seen);
	free(p->tl);
	free(p->scratch);
	free(p->tmp);
	free(p->part);
	free(p);
}

void prom_parser_free(prom_parser *p)
{
	if (!p)
		return;
	prom_scrape_free(p->out);
	parser_release(p);
}

/* ---- lexing one line ---- */

typedef struct cur {
	const char *s;
	size_t i, n;
} cur;

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static void skip_blanks(cur *c)
{
	while (c->i < c->n && is_blank(c->s[c->i]))
		c->i++;
}

static bool at_end(const cur *c)
{
	return c->i >= c->n;
}

static char peek(const cur *c)
{
	return c->i < c->n ? c->s[c->i] : 0;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, without ':' for label names. */
static size_t lex_ident(cur *c, bool colon)
{
	size_t start = c->i;
	while (c->i < c->n) {
		char ch = c->s[c->i];
		if (!(is_alpha(ch) || (colon && ch == ':') || (c->i > start && is_digit(ch))))
			break;
		c->i++;
	}
	return c->i - start;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	static const struct {
		unsigned char mask, lead;
		unsigned len;
		uint32_t min;
	} seq[] = {{0xe0, 0xc0, 2, 0x80}, {0xf0, 0xe0, 3, 0x800}, {0xf8, 0xf0, 4, 0x10000}};
	size_t i = 0;
	while (i < n) {
		unsigned char ch = s[i];
		if (ch < 0x80) {
			i++;
			continue;
		}
		size_t k = 0;
		while (k < 3 && (ch & seq[k].mask) != seq[k].lead)
			k++;
		if (k == 3 || n - i < seq[k].len)
			return false;
		uint32_t cp = ch & (0x7fu >> seq[k].len);
		for (unsigned j = 1; j < seq[k].len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3fu);
		}
		if (cp < seq[k].min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += seq[k].len;
	}
	return true;
}

/* Unescapes the quoted string at c (on its opening quote) into the scratch: \\, \" and \n; any
 * other backslash pair is kept as it is, as Prometheus does. NULL, or what is wrong. */
static const char *lex_quoted(prom_parser *p, cur *c, size_t *off, size_t *len)
{
	char *out = p->scratch + *off;
	size_t o = 0;
	c->i++;
	for (;;) {
		if (at_end(c))
			return "unterminated quote";
		char ch = c->s[c->i++];
		if (ch == '"')
			break;
		if (ch == 0)
			return "NUL byte";
		if (ch == '\\') {
			if (at_end(c))
				return "unterminated quote";
			char e = c->s[c->i++];
			if (e != 'n' && e != '\\' && e != '"')
				out[o++] = '\\'; /* kept with the pair's second byte */
			ch = e == 'n' ? '\n' : e;
			if (ch == 0)
				return "NUL byte";
		}
		out[o++] = ch;
	}
	if (!utf8_valid((const unsigned char *)out, o))
		return "invalid UTF-8";
	out[o] = 0;
	*len = o;
	return NULL;
}

/* A token up to the next blank. */
static size_t lex_token(cur *c)
{
	size_t start = c->i;
	while (c->i < c->n && !is_blank(c->s[c->i]))
		c->i++;
	return c->i - start;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* Go's ParseFloat syntax as Prometheus accepts it: decimal with an optional exponent, Inf, Infinity
 * (either signed) and NaN, case-insensitive; no hex, no underscores. */
static bool float_syntax(const char *s, size_t n, bool special)
{
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (special && (word_is(s + i, n - i, "inf") || word_is(s + i, n - i, "infinity")))
		return true;
	if (special && i == 0 && word_is(s, n, "nan"))
		return true;
	size_t digits = 0;
	while (i < n && is_digit(s[i]))
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && is_digit(s[i]))
			i++, digits++;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i == n;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The number in s (checked by float_syntax): strtod in the C locale, whatever the process's
 * LC_NUMERIC says. */
static double to_double(const char *s, size_t n)
{
	char buf[NUMBER_MAX + 1];
	memcpy(buf, s, n);
	buf[n] = 0;
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
}

static bool parse_float(const char *s, size_t n, bool special, double *out)
{
	if (n == 0 || n > NUMBER_MAX || !float_syntax(s, n, special))
		return false;
	*out = to_double(s, n);
	return true;
}

static bool parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i >= n)
		return false;
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* A metric name, bare or quoted; its text in *name / *len (quoted ones land in the scratch at
 * *off). NULL or what is wrong. */
static const char *lex_metric_name(prom_parser *p, cur *c, size_t *off, const char **name,
                                   size_t *len)
{
	if (peek(c) == '"') {
		size_t o = *off;
		const char *err = lex_quoted(p, c, &o, len);
		if (err)
			return err;
		if (*len == 0)
			return "empty name";
		*name = p->scratch + o;
		*off = o + *len + 1;
		return NULL;
	}
	*name = c->s + c->i;
	*len = lex_ident(c, true);
	return *len ? NULL : "expected a name";
}

/* ---- metadata lines ---- */

/* Whether name is the _created series of a counter, histogram or summary seen before. In 0.0.4 a
 * counter's family is x_total and its creation time x_created. */
static bool is_created(prom_parser *p, const char *name, size_t n)
{
	static const char sfx[] = "_created";
	const size_t sl = sizeof sfx - 1;
	if (n <= sl || memcmp(name + n - sl, sfx, sl) != 0)
		return false;
	size_t stem = n - sl;
	int64_t f = family_get(p, name, stem);
	if (f >= 0 && (T(p->fams[f].type) & CREATED_TYPES))
		return true;
	if (grow((void **)&p->tmp, &p->captmp, stem + 7, 1) < 0)
		return false;
	memcpy(p->tmp, name, stem);
	memcpy(p->tmp + stem, "_total", 6);
	f = family_get(p, p->tmp, stem + 6);
	return f >= 0 && p->fams[f].type == PROM_COUNTER;
}

/* HELP text: \\ and \n (and OpenMetrics' \") unescaped, other pairs kept. */
static size_t unescape_help(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 1 < n) {
			char e = s[i + 1];
			if (e == 'n' || e == '\\' || e == '"') {
				ch = e == 'n' ? '\n' : e;
				i++;
			}
		}
		out[o++] = ch;
	}
	out[o] = 0;
	return o;
}

typedef enum { META_HELP, META_TYPE, META_UNIT, META_EOF, META_NONE } meta_kind;

static const char *const meta_words[] = {"HELP", "TYPE", "UNIT", "EOF"};

static int do_meta(prom_parser *p, cur *c)
{
	char ex[64];
	c->i++; /* '#' */
	if (!is_blank(peek(c)))
		return 0; /* a comment */
	skip_blanks(c);
	size_t ws = c->i, wl = lex_token(c);
	meta_kind k = META_HELP;
	while (k < META_NONE &&
	       !(strlen(meta_words[k]) == wl && memcmp(c->s + ws, meta_words[k], wl) == 0))
		k++;
	if (k == META_NONE)
		return 0;
	if (k == META_EOF) {
		skip_blanks(c);
		if (!at_end(c) || p->hint == PROM_FORMAT_TEXT)
			return 0;
		p->after_eof = true;
		p->out->eof = true;
		p->saw_om = true;
		return 0;
	}
	const char *what = meta_words[k];
	if (!is_blank(peek(c)))
		return bad(p, "%s: expected a metric name", what);
	skip_blanks(c);
	size_t off = 0, len;
	const char *name, *err = lex_metric_name(p, c, &off, &name, &len);
	if (err)
		return bad(p, "%s: metric name: %s", what, err);
	if (!at_end(c) && !is_blank(peek(c)))
		return bad(p, "%s: metric name: unexpected '%s'", what,
		           excerpt(ex, sizeof ex, c->s + c->i, 1));
	if (is_created(p, name, len))
		return 0;
	skip_blanks(c);
	const char *rest = c->s + c->i;
	size_t rn = c->n - c->i;

	int64_t f = family_get(p, name, len);
	bfamily *fam = f >= 0 ? &p->fams[f] : NULL;
	prom_type type = PROM_UNTYPED;
	size_t word = 0;
	if (k == META_TYPE) {
		word = lex_token(c);
		skip_blanks(c);
		size_t t = 0, nt = sizeof type_words / sizeof type_words[0];
		while (t < nt && !(strlen(type_words[t].word) == word &&
		                   memcmp(rest, type_words[t].word, word) == 0))
			t++;
		if (word == 0)
			return bad(p, "TYPE: expected a type");
		if (t == nt)
			return bad(p, "TYPE: unknown type \"%s\"",
			           excerpt(ex, sizeof ex, rest, word));
		if (!at_end(c))
			return bad(p, "TYPE: unexpected text after the type");
		if (fam && fam->typed)
			return bad(p, "TYPE: second TYPE line for %s",
			           name_ex(ex, sizeof ex, fam->name));
		if (fam && fam->nsamples)
			return bad(p, "TYPE: %s comes after its samples",
			           name_ex(ex, sizeof ex, fam->name));
		type = type_words[t].type;
		p->saw_om |= type_words[t].openmetrics;
	} else if (k == META_UNIT) {
		word = lex_token(c);
		skip_blanks(c);
		if (!at_end(c) || !utf8_valid((const unsigned char *)rest, word) ||
		    memchr(rest, 0, word))
			return bad(p, "UNIT: expected one word");
		if (fam && fam->unit[0])
			return bad(p, "UNIT: second UNIT line for %s",
			           name_ex(ex, sizeof ex, fam->name));
		p->saw_om = true;
	} else {
		if (!utf8_valid((const unsigned char *)rest, rn))
			return bad(p, "HELP: invalid UTF-8");
		if (memchr(rest, 0, rn))
			return bad(p, "HELP: NUL byte");
		if (fam && fam->help[0])
			return bad(p, "HELP: second HELP line for %s",
			           name_ex(ex, sizeof ex, fam->name));
	}
	if (!fam) {
		f = family_add(p, name, len);
		if (f < 0)
			return -1;
		fam = &p->fams[f];
	}
	if (k == META_TYPE) {
		fam->type = type;
		fam->typed = true;
	} else if (k == META_UNIT) {
		if (!(fam->unit = store_strdup(p->st, rest, word)))
			return oom(p);
	} else {
		char *h = store_alloc(p->st, rn + 1);
		if (!h)
			return oom(p);
		unescape_help(rest, rn, h);
		fam->help = h;
	}
	return 0;
}

/* ---- sample lines ---- */

static uint64_t mix(uint64_t h, const void *data, size_t n)
{
	const unsigned char *b = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static int lex_labels(prom_parser *p, cur *c, size_t *off, const char **name, size_t *nlen,
                      size_t *nl)
{
	char ex[64];
	const char *err;
	c->i++; /* '{' */
	skip_blanks(c);
	for (;;) {
		if (at_end(c))
			return bad(p, "labels: no closing '}'");
		if (peek(c) == '}') {
			c->i++;
			return 0;
		}
		const char *lname;
		size_t llen;
		if (peek(c) == '"') {
			size_t o = *off;
			if ((err = lex_quoted(p, c, &o, &llen)))
				return bad(p, "quoted name: %s", err);
			*off = o + llen + 1;
			lname = p->scratch + o;
			skip_blanks(c);
			if (peek(c) != '=') {
				if (*name)
					return bad(p, "labels: a second metric name");
				if (!llen)
					return bad(p, "metric name: empty name");
				*name = lname;
				*nlen = llen;
				goto next;
			}
			if (!llen)
				return bad(p, "label name: empty name");
		} else {
			lname = c->s + c->i;
			llen = lex_ident(c, false);
			if (!llen)
				return bad(p, "labels: unexpected '%s'",
				           excerpt(ex, sizeof ex, c->s + c->i, 1));
			skip_blanks(c);
			if (peek(c) != '=')
				return bad(p, "label %s: expected '='",
				           excerpt(ex, sizeof ex, lname, llen));
		}
		c->i++; /* '=' */
		skip_blanks(c);
		if (peek(c) != '"')
			return bad(p, "label %s: expected a quoted value",
			           excerpt(ex, sizeof ex, lname, llen));
		if (*nl >= p->lim.max_labels)
			return bad(p, "more than %zu labels", p->lim.max_labels);
		size_t o = *off, vlen;
		if ((err = lex_quoted(p, c, &o, &vlen)))
			return bad(p, "label %s: value: %s", excerpt(ex, sizeof ex, lname, llen),
			           err);
		*off = o + vlen + 1;
		const char *in = intern(p, lname, llen);
		if (!in || grow((void **)&p->tl, &p->captl, *nl + 1, sizeof *p->tl) < 0)
			return oom(p);
		p->tl[(*nl)++] = (tlabel){in, o, vlen};
	next:
		skip_blanks(c);
		if (peek(c) == ',') {
			c->i++;
			skip_blanks(c);
		} else if (peek(c) != '}' && !at_end(c)) {
			return bad(p, "labels: expected ',' or '}', got '%s'",
			           excerpt(ex, sizeof ex, c->s + c->i, 1));
		}
	}
}

/* The family a sample belongs to, and which of its series it is (docs/prometheus.md). */
static int resolve(prom_parser *p, const char *name, size_t n, uint32_t *fam, prom_part *part)
{
	int64_t f = family_get(p, name, n);
	if (f >= 0 && (T(p->fams[f].type) & PLAIN_TYPES)) {
		*fam = (uint32_t)f;
		*part = PROM_PART_VALUE;
		return 0;
	}
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t sl = strlen(suffixes[i].suffix);
		if (n <= sl || memcmp(name + n - sl, suffixes[i].suffix, sl) != 0)
			continue;
		int64_t g = family_get(p, name, n - sl);
		if (g >= 0 && (T(p->fams[g].type) & suffixes[i].types)) {
			*fam = (uint32_t)g;
			*part = suffixes[i].part;
			return 0;
		}
	}
	if (f >= 0) {
		char ex[64];
		return bad(p, "%s: a %s has no sample of that name",
		           excerpt(ex, sizeof ex, name, n), type_names[p->fams[f].type]);
	}
	f = family_add(p, name, n);
	if (f < 0)
		return -1;
	*fam = (uint32_t)f;
	*part = PROM_PART_VALUE;
	return 0;
}

static void sort_labels(tlabel *tl, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		tlabel x = tl[i];
		size_t j = i;
		while (j > 0 && strcmp(tl[j - 1].name, x.name) > 0) {
			tl[j] = tl[j - 1];
			j--;
		}
		tl[j] = x;
	}
}

/* The numeric value of the label named by the interned pointer key; 1 found, 0 absent, -1 bad. */
static int label_bound(prom_parser *p, size_t nl, const char *key, double *out)
{
	for (size_t i = 0; i < nl; i++) {
		if (p->tl[i].name != key)
			continue;
		const char *v = p->scratch + p->tl[i].off;
		char ex[64];
		if (!parse_float(v, p->tl[i].len, true, out))
			return bad(p, "%s: not a number (\"%s\")", key,
			           excerpt(ex, sizeof ex, v, p->tl[i].len));
		if (isnan(*out) && key == p->le)
			return bad(p, "le: NaN is not a bucket bound");
		return 1;
	}
	return 0;
}

static bool same_series(const prom_parser *p, const bsample *b, const char *name, size_t nl)
{
	if (b->s.name != name || b->s.nlabels != nl)
		return false;
	for (size_t i = 0; i < nl; i++)
		if (b->s.labels[i].name != p->tl[i].name ||
		    strcmp(b->s.labels[i].value, p->scratch + p->tl[i].off) != 0)
			return false;
	return true;
}

/* Index of the slot for hash h: a sample of the same series, or an empty one. */
static size_t seen_slot(const prom_parser *p, uint64_t h, const char *name, size_t nl)
{
	size_t mask = p->capseen - 1, i = (size_t)h & mask;
	while (p->seen[i]) {
		const bsample *b = &p->smp[p->seen[i] - 1];
		if (b->hash == h && same_series(p, b, name, nl))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int seen_grow(prom_parser *p)
{
	if ((p->nsmp + 1) * 2 <= p->capseen)
		return 0;
	size_t cap = p->capseen ? p->capseen * 2 : 1024;
	uint32_t *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (size_t k = 0; k < p->nsmp; k++) {
		size_t i = (size_t)p->smp[k].hash & (cap - 1);
		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = (uint32_t)k + 1;
	}
	free(p->seen);
	p->seen = t;
	p->capseen = cap;
	return 0;
}

static int lex_timestamp(prom_parser *p, const char *s, size_t n, bsample *b)
{
	char ex[64];
	if (p->hint != PROM_FORMAT_OPENMETRICS && parse_int64(s, n, &b->ts_int)) {
		b->ts = TS_INT;
		return 0;
	}
	if (p->hint == PROM_FORMAT_TEXT)
		return bad(p, "timestamp: not an integer of milliseconds (\"%s\")",
		           excerpt(ex, sizeof ex, s, n));
	if (!parse_float(s, n, false, &b->ts_float))
		return bad(p, "timestamp: not a number of seconds (\"%s\")",
		           excerpt(ex, sizeof ex, s, n));
	if (fabs(b->ts_float) >= 9e15)
		return bad(p, "timestamp: out of range (\"%s\")", excerpt(ex, sizeof ex, s, n));
	b->ts = TS_FLOAT;
	p->saw_om = true; /* 0.0.4 has only integers of milliseconds */
	return 0;
}

static int do_sample(prom_parser *p, cur *c)
{
	char ex[64];
	size_t off = 0, nl = 0, nlen = 0;
	const char *name = NULL, *err;
	if (peek(c) != '{' && (err = lex_metric_name(p, c, &off, &name, &nlen)))
		return bad(p, "metric name: %s", err);
	bool gap = is_blank(peek(c));
	skip_blanks(c);
	if (peek(c) == '{') {
		if (lex_labels(p, c, &off, &name, &nlen, &nl) < 0)
			return -1;
		skip_blanks(c);
	} else if (!gap && !at_end(c)) {
		return bad(p, "metric name: unexpected '%s'",
		           excerpt(ex, sizeof ex, c->s + c->i, 1));
	}
	if (!name)
		return bad(p, "no metric name");
	if (at_end(c))
		return bad(p, "%s: no value", excerpt(ex, sizeof ex, name, nlen));

	bsample b = {0};
	size_t vs = c->i, vl = lex_token(c);
	if (!parse_float(c->s + vs, vl, true, &b.s.value))
		return bad(p, "value: not a number (\"%s\")",
		           excerpt(ex, sizeof ex, c->s + vs, vl));
	skip_blanks(c);
	if (!at_end(c) && peek(c) != '#') {
		size_t ts = c->i, tl = lex_token(c);
		if (lex_timestamp(p, c->s + ts, tl, &b) < 0)
			return -1;
		skip_blanks(c);
	}
	if (!at_end(c)) {
		if (peek(c) != '#')
			return bad(p, "unexpected '%s' after the value",
			           excerpt(ex, sizeof ex, c->s + c->i, c->n - c->i));
		p->saw_om = true; /* an exemplar: ignored */
	}

	if (is_created(p, name, nlen)) {
		p->out->ncreated++;
		return 0;
	}
	if (resolve(p, name, nlen, &b.family, &b.s.part) < 0)
		return -1;
	bfamily *fam = &p->fams[b.family];
	sort_labels(p->tl, nl);
	for (size_t i = 1; i < nl; i++)
		if (p->tl[i].name == p->tl[i - 1].name)
			return bad(p, "label %s: given twice",
			           name_ex(ex, sizeof ex, p->tl[i].name));
	b.s.bound = NAN;
	const char *need = b.s.part == PROM_PART_BUCKET                               ? p->le
	                   : fam->type == PROM_SUMMARY && b.s.part == PROM_PART_VALUE ? p->quantile
	                                                                              : NULL;
	if (need) {
		int r = label_bound(p, nl, need, &b.s.bound);
		if (r < 0)
			return -1;
		if (r == 0)
			return bad(p, "%s: missing on a %s sample", need, type_names[fam->type]);
	}

	if (p->nsmp >= p->lim.max_samples) {
		stop(p, "more than %zu samples: the rest is ignored", p->lim.max_samples);
		return -1;
	}
	const char *iname = intern(p, name, nlen);
	if (!iname || seen_grow(p) < 0 ||
	    grow((void **)&p->smp, &p->capsmp, p->nsmp + 1, sizeof *p->smp) < 0)
		return oom(p);
	uint64_t h = mix(1469598103934665603ULL, &iname, sizeof iname);
	for (size_t i = 0; i < nl; i++) {
		h = mix(h, &p->tl[i].name, sizeof p->tl[i].name);
		h = mix(h, p->scratch + p->tl[i].off, p->tl[i].len + 1);
	}
	size_t slot = seen_slot(p, h, iname, nl);
	if (p->seen[slot])
		return bad(p, "%s: the same series again (first on line %u)",
		           name_ex(ex, sizeof ex, iname), p->smp[p->seen[slot] - 1].s.line);

	prom_label *labels = nl ? store_alloc(p->st, nl * sizeof *labels) : NULL;
	if (nl && !labels)
		return oom(p);
	for (size_t i = 0; i < nl; i++) {
		labels[i].name = p->tl[i].name;
		labels[i].value = store_strdup(p->st, p->scratch + p->tl[i].off, p->tl[i].len);
		if (!labels[i].value)
			return oom(p);
	}
	b.s.name = iname;
	b.s.labels = labels;
	b.s.nlabels = (uint32_t)nl;
	b.s.line = (uint32_t)p->out->nlines;
	b.hash = h;
	p->smp[p->nsmp++] = b;
	p->seen[slot] = (uint32_t)p->nsmp;
	fam->nsamples++;
	return 0;
}

/* ---- lines and chunks ---- */

static void do_line(prom_parser *p, const char *s, size_t n)
{
	p->out->nlines++;
	if (n && s[n - 1] == '\r')
		n--;
	cur c = {s, 0, n};
	skip_blanks(&c);
	if (at_end(&c))
		return;
	if (p->after_eof) {
		p->out->nbad++;
		stop(p, "content after # EOF: the rest is ignored");
		return;
	}
	if (grow((void **)&p->scratch, &p->capscratch, n + 1, 1) < 0) {
		oom(p);
		return;
	}
	if (peek(&c) == '#')
		do_meta(p, &c);
	else
		do_sample(p, &c);
}

static void line_too_long(prom_parser *p)
{
	p->out->nlines++;
	bad(p, "longer than %zu bytes", p->lim.max_line);
}

int prom_parser_feed(prom_parser *p, const char *buf, size_t len)
{
	if (!p || p->stopped)
		return -1;
	size_t room = p->lim.max_bytes - p->bytes;
	bool over = len > room;
	if (over)
		len = room;
	p->bytes += len;
	while (len && !p->stopped) {
		const char *nl = memchr(buf, '\n', len);
		size_t seg = nl ? (size_t)(nl - buf) : len;
		if (p->overlong) {
			if (nl) {
				p->overlong = false;
				line_too_long(p);
			}
		} else if (seg > p->lim.max_line - p->npart) {
			p->npart = 0;
			if (nl)
				line_too_long(p);
			else
				p->overlong = true;
		} else if (!nl || p->npart) {
			if (grow((void **)&p->part, &p->cappart, p->npart + seg, 1) < 0) {
				oom(p);
				break;
			}
			memcpy(p->part + p->npart, buf, seg);
			p->npart += seg;
			if (nl) {
				do_line(p, p->part, p->npart);
				p->npart = 0;
			}
		} else {
			do_line(p, buf, seg);
		}
		if (!nl)
			break;
		buf = nl + 1;
		len -= seg + 1;
	}
	if (over && !p->stopped)
		stop(p, "more than %zu bytes: the rest is ignored", p->lim.max_bytes);
	return p->stopped ? -1 : 0;
}

static bool is_eof_line(const char *s, size_t n)
{
	while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	return n == 5 && memcmp(s, "# EOF", 5) == 0;
}

static int64_t sample_ts(const bsample *b, prom_format f)
{
	if (b->ts == TS_NONE)
		return PROM_NO_TS;
	if (f == PROM_FORMAT_OPENMETRICS) {
		if (b->ts == TS_FLOAT)
			return llround(b->ts_float * 1000);
		return b->ts_int > -9000000000000000 && b->ts_int < 9000000000000000
		           ? b->ts_int * 1000
		           : PROM_NO_TS;
	}
	return b->ts == TS_INT ? b->ts_int : llround(b->ts_float);
}

prom_scrape *prom_parser_finish(prom_parser *p)
{
	if (!p)
		return NULL;
	if (!p->stopped) {
		if (p->overlong) {
			line_too_long(p);
			snprintf(p->out->incomplete, sizeof p->out->incomplete,
			         "cut mid-line: line %zu has no newline", p->out->nlines);
		} else if (p->npart && p->hint != PROM_FORMAT_TEXT &&
		           is_eof_line(p->part, p->npart)) {
			do_line(p, p->part, p->npart);
		} else if (p->npart) {
			p->out->nlines++;
			bad(p, "no newline at the end (truncated?)");
			snprintf(p->out->incomplete, sizeof p->out->incomplete,
			         "cut mid-line: line %zu has no newline", p->out->nlines);
		}
	}
	prom_scrape *o = p->out;
	struct prom_store *st = p->st;
	prom_format fmt = p->hint;
	if (fmt == PROM_FORMAT_AUTO)
		fmt = p->saw_om ? PROM_FORMAT_OPENMETRICS : PROM_FORMAT_TEXT;
	o->format = fmt;
	if (fmt == PROM_FORMAT_OPENMETRICS && !o->eof && !p->stopped) {
		add_error(p, "no # EOF at the end (truncated?)");
		if (!o->incomplete[0])
			snprintf(o->incomplete, sizeof o->incomplete,
			         "OpenMetrics without # EOF at the end");
	}

	size_t nf = p->nfams, ns = p->nsmp;
	st->families = calloc(nf ? nf : 1, sizeof *st->families);
	st->samples = calloc(ns ? ns : 1, sizeof *st->samples);
	size_t *end = calloc(nf + 1, sizeof *end);
	if (!st->families || !st->samples || !end) {
		free(end);
		prom_parser_free(p);
		return NULL;
	}
	/* group by family, keeping exposition order inside each */
	for (size_t i = 0; i < ns; i++)
		end[p->smp[i].family + 1]++;
	for (size_t f = 0; f < nf; f++)
		end[f + 1] += end[f];
	for (size_t i = 0; i < ns; i++) {
		prom_sample *s = &st->samples[end[p->smp[i].family]++];
		*s = p->smp[i].s;
		s->ts_ms = sample_ts(&p->smp[i], fmt);
	}
	for (size_t f = 0; f < nf; f++) {
		const bfamily *b = &p->fams[f];
		size_t n = b->nsamples;
		st->families[f] = (prom_family){
		    b->name, b->help, b->unit, b->type, n ? &st->samples[end[f] - n] : NULL, n};
	}
	free(end);
	o->families = st->families;
	o->nfamilies = nf;
	o->nsamples = ns;
	parser_release(p);
	return o;
}

prom_scrape *prom_parse(const char *buf, size_t len, prom_format hint)
{
	prom_parser *p = prom_parser_new(hint, NULL);
	if (!p)
		return NULL;
	if (buf)
		prom_parser_feed(p, buf, len);
	return prom_parser_finish(p);
}

/* ---- reading a scrape ---- */

const prom_family *prom_find(const prom_scrape *s, const char *name)
{
	if (!s || !name)
		return NULL;
	const strmap *m = s->store->family_index;
	size_t n = strlen(name);
	int64_t i = strmap_get(m, name, n);
	if (i >= 0)
		return &s->families[i];
	if (n > 6 && memcmp(name + n - 6, "_total", 6) == 0) {
		i = strmap_get(m, name, n - 6);
	} else {
		char *t = malloc(n + 7);
		if (!t)
			return NULL;
		memcpy(t, name, n);
		memcpy(t + n, "_total", 7);
		i = strmap_get(m, t, n + 6);
		free(t);
	}
	return i >= 0 && s->families[i].type == PROM_COUNTER ? &s->families[i] : NULL;
}

const char *prom_label_get(const prom_sample *smp, const char *name)
{
	for (uint32_t i = 0; i < smp->nlabels; i++)
		if (strcmp(smp->labels[i].name, name) == 0)
			return smp->labels[i].value;
	return NULL;
}

/* As in PromQL, an absent label matches the empty value. */
bool prom_sample_matches(const prom_sample *smp, const prom_label *match, size_t nmatch)
{
	for (size_t i = 0; i < nmatch; i++) {
		const char *v = prom_label_get(smp, match[i].name);
		if (strcmp(v ? v : "", match[i].value) != 0)
			return false;
	}
	return true;
}

static bool is_plain(prom_part part)
{
	return part == PROM_PART_VALUE || part == PROM_PART_TOTAL || part == PROM_PART_INFO;
}

double prom_value(const prom_family *f, const prom_label *match, size_t nmatch, prom_agg agg)
{
	double v = NAN;
	bool any = false;
	for (size_t i = 0; f && i < f->nsamples; i++) {
		const prom_sample *s = &f->samples[i];
		if (!is_plain(s->part) || !prom_sample_matches(s, match, nmatch))
			continue;
		if (!any)
			v = s->value;
		else if (agg == PROM_AGG_SUM)
			v += s->value;
		else if (s->value > v || isnan(v))
			v = s->value;
		any = true;
	}
	return v;
}

static int bucket_cmp(const void *a, const void *b)
{
	double x = ((const prom_bucket *)a)->le, y = ((const prom_bucket *)b)->le;
	return (x > y) - (x < y);
}

static void add_to(double *acc, double v)
{
	*acc = isnan(*acc) ? v : *acc + v;
}

int prom_histogram(const prom_family *f, const prom_label *match, size_t nmatch, prom_hist *h)
{
	*h = (prom_hist){NULL, 0, NAN, NAN};
	if (!f)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < f->nsamples; i++) {
		const prom_sample *s = &f->samples[i];
		if (!prom_sample_matches(s, match, nmatch))
			continue;
		if (s->part == PROM_PART_BUCKET)
			n++;
		else if (s->part == PROM_PART_SUM || s->part == PROM_PART_GSUM)
			add_to(&h->sum, s->value);
		else if (s->part == PROM_PART_COUNT || s->part == PROM_PART_GCOUNT)
			add_to(&h->count, s->value);
	}
	if (!n)
		return 0;
	h->buckets = malloc(n * sizeof *h->buckets);
	if (!h->buckets)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < f->nsamples; i++) {
		const prom_sample *s = &f->samples[i];
		if (s->part == PROM_PART_BUCKET && prom_sample_matches(s, match, nmatch))
			h->buckets[k++] = (prom_bucket){s->bound, s->value};
	}
	qsort(h->buckets, n, sizeof *h->buckets, bucket_cmp);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && h->buckets[k - 1].le == h->buckets[i].le)
			h->buckets[k - 1].count += h->buckets[i].count;
		else
			h->buckets[k++] = h->buckets[i];
	}
	h->n = k;
	return 0;
}

void prom_hist_free(prom_hist *h)
{
	if (!h)
		return;
	free(h->buckets);
	h->buckets = NULL;
	h->n = 0;
}

/* ---- inference servers ---- */

static const char *const kind_names[PROM_KIND_COUNT] = {"generic", "vllm", "tgi"};

int prom_kind_from_name(const char *name, prom_kind *out)
{
	if (!name || !out)
		return -1;
	for (int i = 0; i < PROM_KIND_COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (prom_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *prom_kind_name(prom_kind k)
{
	return (unsigned)k < PROM_KIND_COUNT ? kind_names[k] : NULL;
}

typedef enum { M_RUNNING, M_WAITING, M_KV, M_PROMPT, M_GEN, M_TTFT, M_E2E, M_NFIELDS } map_field;

#define NO_SHOWN ((size_t)-1)

/* Where each field lives in prom_server, and where the name of its source is kept. */
static const struct {
	size_t off;
	size_t shown;
} map_fields[M_NFIELDS] = {
    [M_RUNNING] = {offsetof(prom_server, requests_running), NO_SHOWN},
    [M_WAITING] = {offsetof(prom_server, requests_waiting), NO_SHOWN},
    [M_KV] = {offsetof(prom_server, kv_cache_usage), offsetof(prom_server, kv_metric)},
    [M_PROMPT] = {offsetof(prom_server, prompt_tokens_total), NO_SHOWN},
    [M_GEN] = {offsetof(prom_server, generation_tokens_total), NO_SHOWN},
    [M_TTFT] = {offsetof(prom_server, ttft), offsetof(prom_server, ttft_metric)},
    [M_E2E] = {offsetof(prom_server, e2e), NO_SHOWN},
};

typedef enum { READ_VALUE, READ_HIST_SUM, READ_HIST } map_read;

typedef struct map_row {
	prom_kind kind;
	map_field field;
	map_read read;
	prom_agg agg; /* over vLLM engines */
	const char *family;
	const char *label, *value; /* one more matcher, or NULL */
	const char *shown;
} map_row;

/* For each field the first row whose family has a matching sample wins: newer vLLM names come
 * before the ones they replace. */
static const map_row map_rows[] = {
    {PROM_KIND_VLLM, M_RUNNING, READ_VALUE, PROM_AGG_SUM, "vllm:num_requests_running"},
    {PROM_KIND_VLLM, M_WAITING, READ_VALUE, PROM_AGG_SUM, "vllm:num_requests_waiting"},
    {PROM_KIND_VLLM, M_KV, READ_VALUE, PROM_AGG_MAX, "vllm:kv_cache_usage_perc", NULL, NULL,
     "vllm:kv_cache_usage_perc"},
    {PROM_KIND_VLLM, M_KV, READ_VALUE, PROM_AGG_MAX, "vllm:gpu_cache_usage_perc", NULL, NULL,
     "vllm:gpu_cache_usage_perc"},
    {PROM_KIND_VLLM, M_PROMPT, READ_VALUE, PROM_AGG_SUM, "vllm:prompt_tokens_total"},
    {PROM_KIND_VLLM, M_GEN, READ_VALUE, PROM_AGG_SUM, "vllm:generation_tokens_total"},
    {PROM_KIND_VLLM, M_TTFT, READ_HIST, PROM_AGG_SUM, "vllm:time_to_first_token_seconds", NULL,
     NULL, "vllm:time_to_first_token_seconds"},
    {PROM_KIND_VLLM, M_E2E, READ_HIST, PROM_AGG_SUM, "vllm:e2e_request_latency_seconds"},
    {PROM_KIND_TGI, M_RUNNING, READ_VALUE, PROM_AGG_SUM, "tgi_batch_current_size"},
    {PROM_KIND_TGI, M_WAITING, READ_VALUE, PROM_AGG_SUM, "tgi_queue_size"},
    {PROM_KIND_TGI, M_PROMPT, READ_HIST_SUM, PROM_AGG_SUM, "tgi_request_input_length"},
    {PROM_KIND_TGI, M_GEN, READ_HIST_SUM, PROM_AGG_SUM, "tgi_request_generated_tokens"},
    {PROM_KIND_TGI, M_TTFT, READ_HIST, PROM_AGG_SUM, "tgi_batch_inference_duration", "method",
     "prefill", "tgi_batch_inference_duration{method=\"prefill\"}"},
    {PROM_KIND_TGI, M_E2E, READ_HIST, PROM_AGG_SUM, "tgi_request_duration"},
};

/* model is the whole model_name of a vLLM server, NULL for TGI. */
static int fill_server(const prom_scrape *s, prom_server *v, const char *model)
{
	unsigned filled = 0;
	for (size_t r = 0; r < sizeof map_rows / sizeof map_rows[0]; r++) {
		const map_row *row = &map_rows[r];
		if (row->kind != v->kind || (filled & (1u << row->field)))
			continue;
		const prom_family *f = prom_find(s, row->family);
		if (!f)
			continue;
		prom_label match[2];
		size_t n = 0;
		if (model)
			match[n++] = (prom_label){"model_name", model};
		if (row->label)
			match[n++] = (prom_label){row->label, row->value};
		char *at = (char *)v + map_fields[row->field].off;
		if (row->read == READ_HIST) {
			prom_hist *h = (prom_hist *)(void *)at;
			if (prom_histogram(f, match, n, h) < 0)
				return -1;
			if (!h->n)
				continue;
		} else {
			double x;
			if (row->read == READ_VALUE) {
				x = prom_value(f, match, n, row->agg);
			} else {
				prom_hist h;
				if (prom_histogram(f, match, n, &h) < 0)
					return -1;
				x = h.sum;
				prom_hist_free(&h);
			}
			if (isnan(x))
				continue;
			*(double *)(void *)at = x;
		}
		filled |= 1u << row->field;
		if (map_fields[row->field].shown != NO_SHOWN)
			*(const char **)(void *)((char *)v + map_fields[row->field].shown) =
			    row->shown;
	}
	return 0;
}

static prom_server server_blank(prom_kind kind)
{
	prom_server v = {0};
	v.kind = kind;
	v.requests_running = v.requests_waiting = v.kv_cache_usage = NAN;
	v.prompt_tokens_total = v.generation_tokens_total = NAN;
	v.ttft = v.e2e = (prom_hist){NULL, 0, NAN, NAN};
	return v;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One server per distinct model_name among the vllm: samples, in order of first appearance; one
 * unnamed server when no sample has that label (early exporters). models[i] keeps the whole name
 * (model_name may be cut short). */
static int vllm_servers(const prom_scrape *s, prom_server **out, const char ***models, size_t *n,
                        size_t *cap)
{
	strmap *seen = strmap_new(), *engines = strmap_new();
	size_t capm = 0;
	bool any = false;
	int rc = seen && engines ? 0 : -1;
	for (size_t f = 0; rc == 0 && f < s->nfamilies; f++) {
		const prom_family *fam = &s->families[f];
		if (!has_prefix(fam->name, "vllm:"))
			continue;
		any |= fam->nsamples > 0;
		for (size_t i = 0; rc == 0 && i < fam->nsamples; i++) {
			const char *m = prom_label_get(&fam->samples[i], "model_name");
			const char *e = prom_label_get(&fam->samples[i], "engine");
			if (!m)
				continue;
			size_t ml = strlen(m);
			int64_t k = strmap_get(seen, m, ml);
			if (k < 0) {
				k = (int64_t)*n;
				if (strmap_put(seen, m, ml, k) < 0 ||
				    grow((void **)out, cap, *n + 1, sizeof **out) < 0 ||
				    grow((void **)models, &capm, *n + 1, sizeof **models) < 0) {
					rc = -1;
					break;
				}
				(*models)[*n] = m;
				prom_server *v = &(*out)[(*n)++];
				*v = server_blank(PROM_KIND_VLLM);
				snprintf(v->model_name, sizeof v->model_name, "%s", m);
			}
			if (!e)
				continue;
			/* engines are counted per model: the key is "<model index> <engine>" */
			char key[256];
			int kl = snprintf(key, sizeof key, "%lld %s", (long long)k, e);
			size_t klen = (size_t)kl < sizeof key ? (size_t)kl : sizeof key - 1;
			if (strmap_get(engines, key, klen) >= 0)
				continue;
			if (strmap_put(engines, key, klen, 1) < 0)
				rc = -1;
			else
				(*out)[k].engines++;
		}
	}
	if (rc == 0 && any && *n == 0) {
		if (grow((void **)out, cap, 1, sizeof **out) < 0 ||
		    grow((void **)models, &capm, 1, sizeof **models) < 0) {
			rc = -1;
		} else {
			(*models)[0] = "";
			(*out)[(*n)++] = server_blank(PROM_KIND_VLLM);
		}
	}
	strmap_free(seen);
	strmap_free(engines);
	return rc;
}

static bool any_samples(const prom_scrape *s, const char *prefix)
{
	for (size_t f = 0; f < s->nfamilies; f++)
		if (s->families[f].nsamples && has_prefix(s->families[f].name, prefix))
			return true;
	return false;
}

int prom_servers(const prom_scrape *s, prom_kind kind, prom_server **out)
{
	*out = NULL;
	const char **models = NULL;
	size_t n = 0, cap = 0, nvllm = 0;
	int rc = 0;
	if (s && kind != PROM_KIND_TGI)
		rc = vllm_servers(s, out, &models, &n, &cap);
	nvllm = n;
	if (s && rc == 0 && kind != PROM_KIND_VLLM && any_samples(s, "tgi_")) {
		if (grow((void **)out, &cap, n + 1, sizeof **out) < 0)
			rc = -1;
		else
			(*out)[n++] = server_blank(PROM_KIND_TGI);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = fill_server(s, &(*out)[i], i < nvllm ? models[i] : NULL);
	free(models);
	if (rc < 0) {
		prom_servers_free(*out, n);
		*out = NULL;
		return -1;
	}
	return (int)n;
}

void prom_servers_free(prom_server *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		prom_hist_free(&v[i].ttft);
		prom_hist_free(&v[i].e2e);
	}
	free(v);
}
