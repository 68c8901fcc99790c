/* Themes: one role table drives parsing, defaults, docs; resolution to the terminal's colours. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>
#include <ini.h>

#include "tokentop/theme.h"

#ifndef TT_DATADIR
#define TT_DATADIR "/usr/local/share/tokentop"
#endif

typedef struct role_info {
	theme_role role;
	const char *name;  /* as written in theme files */
	const char *def;   /* default style, in theme file syntax */
	unsigned mono;     /* attributes that carry the role without colour */
	const char *glyph; /* the word or glyph that carries a state without colour */
	const char *help;
} role_info;

enum { B = THEME_ATTR_BOLD, D = THEME_ATTR_DIM, R = THEME_ATTR_REVERSE, U = THEME_ATTR_UNDERLINE };

static const role_info roles[THEME_ROLE_COUNT] = {
    {THEME_BACKGROUND, "background", "default,default", 0, "",
     "Screen background; a role whose background is `default` takes this one's"},
    {THEME_TEXT, "text", "default", 0, "", "Ordinary text"},
    {THEME_DIM, "dim", "bright_black", D, "", "Secondary text: units, labels, hints"},
    {THEME_HEADER, "header", "bright_white,blue,bold", B, "",
     "Top bar: gateway, time range, source state"},
    {THEME_HEADER_PRODUCTION, "header_production", "bright_white,red,bold", B | R, "PROD",
     "Top bar when the gateway is marked production; always differs from `header`"},
    {THEME_TITLE, "title", "bright_white,default,bold", B | U, "", "Panel and table titles"},
    {THEME_BORDER, "border", "bright_black", D, "", "Panel borders and separators"},
    {THEME_SELECTION, "selection", "black,cyan", R, ">", "The selected row"},
    {THEME_TAB, "tab", "default", 0, "", "Screen tabs not shown"},
    {THEME_TAB_ACTIVE, "tab_active", "black,bright_white,bold", B | R, "*",
     "The tab of the screen shown"},
    {THEME_OK, "ok", "green", 0, "OK", "Healthy: within budget, SLO met, source fresh"},
    {THEME_WARN, "warn", "yellow,default,bold", B, "WARN", "Approaching a threshold"},
    {THEME_CRIT, "crit", "bright_white,red,bold", B | R, "CRIT", "Threshold crossed"},
    {THEME_STALE, "stale", "bright_black", D | U, "STALE",
     "Data older than its refresh interval, shown with its age"},
    {THEME_MONEY, "money", "bright_green", B, "$", "Spend figures"},
    {THEME_SPARK, "spark", "cyan", 0, "", "Sparklines and braille charts"},
    {THEME_BAR, "bar", "blue", 0, "", "Share and usage bars"},
    {THEME_ALERT_PAGE, "alert_page", "bright_white,red,bold", B | R, "PAGE",
     "An alert that pages someone now"},
    {THEME_ALERT_TICKET, "alert_ticket", "yellow", B, "TICKET", "An alert that opens a ticket"},
    {THEME_PALETTE, "palette", "default,bright_black", R, ":", "The command palette line"},
    {THEME_HELP_KEY, "help_key", "cyan,default,bold", B, "",
     "Key names in the help overlay and footer"},
};

/* The 16 ANSI names with xterm's default values, used to find the nearest of 16 or 8. */
static const struct {
	const char *name;
	uint32_t rgb;
} ansi[16] = {
    {"black", 0x000000},        {"red", 0xcd0000},
    {"green", 0x00cd00},        {"yellow", 0xcdcd00},
    {"blue", 0x0000ee},         {"magenta", 0xcd00cd},
    {"cyan", 0x00cdcd},         {"white", 0xe5e5e5},
    {"bright_black", 0x7f7f7f}, {"bright_red", 0xff0000},
    {"bright_green", 0x00ff00}, {"bright_yellow", 0xffff00},
    {"bright_blue", 0x5c5cff},  {"bright_magenta", 0xff00ff},
    {"bright_cyan", 0x00ffff},  {"bright_white", 0xffffff},
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
    {"bold", THEME_ATTR_BOLD},       {"dim", THEME_ATTR_DIM},
    {"reverse", THEME_ATTR_REVERSE}, {"underline", THEME_ATTR_UNDERLINE},
    {"italic", THEME_ATTR_ITALIC},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *theme_role_name(theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? roles[r].name : "";
}

const char *theme_role_glyph(theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? roles[r].glyph : "";
}

const char *theme_role_help(theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? roles[r].help : "";
}

unsigned theme_role_mono_attrs(theme_role r)
{
	return (unsigned)r < THEME_ROLE_COUNT ? roles[r].mono : 0;
}

int theme_role_find(const char *name)
{
	for (int i = 0; i < THEME_ROLE_COUNT; i++)
		if (!strcmp(roles[i].name, name))
			return i;
	return -1;
}

/* ---- parsing values ---- */

static int parse_color(const char *s, theme_color *c)
{
	if (!strcmp(s, "default")) {
		*c = (theme_color){THEME_COLOR_DEFAULT, 0};
		return 0;
	}
	for (unsigned i = 0; i < COUNT(ansi); i++) {
		if (!strcmp(s, ansi[i].name)) {
			*c = (theme_color){THEME_COLOR_INDEX, i};
			return 0;
		}
	}
	if (s[0] == '#') {
		if (strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
			return -1;
		*c = (theme_color){THEME_COLOR_RGB, (uint32_t)strtoul(s + 1, NULL, 16)};
		return 0;
	}
	if (*s && strlen(s) <= 3 && strspn(s, "0123456789") == strlen(s)) {
		unsigned long v = strtoul(s, NULL, 10);
		if (v > 255)
			return -1;
		*c = (theme_color){THEME_COLOR_INDEX, (uint32_t)v};
		return 0;
	}
	return -1;
}

static int parse_attr(const char *s, unsigned *bits)
{
	for (unsigned i = 0; i < COUNT(attr_names); i++) {
		if (!strcmp(s, attr_names[i].name)) {
			*bits |= attr_names[i].bit;
			return 0;
		}
	}
	return -1;
}

/* Copies the next comma-separated field of *p, trimmed, into tok. */
static void next_field(const char **p, char *tok, size_t cap)
{
	const char *s = *p, *e = strchr(s, ',');
	if (!e)
		e = s + strlen(s);
	*p = *e ? e + 1 : e;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
	memcpy(tok, s, n);
	tok[n] = 0;
}

int theme_parse_style(const char *value, theme_style *out, char *why, size_t whylen)
{
	theme_style st = {{THEME_COLOR_DEFAULT, 0}, {THEME_COLOR_DEFAULT, 0}, 0};
	const char *p = value;
	char tok[64];
	for (int field = 0; field == 0 || *p; field++) {
		next_field(&p, tok, sizeof tok);
		if (field == 0) {
			if (parse_color(tok, &st.fg)) {
				snprintf(why, whylen,
				         "'%s' is not a colour; use default, a name such as red or "
				         "bright_red, 0-255, or #rrggbb",
				         tok);
				return -1;
			}
		} else if (field == 1 && !parse_color(tok, &st.bg)) {
			continue;
		} else if (parse_attr(tok, &st.attrs)) {
			snprintf(
			    why, whylen,
			    "'%s' is neither a colour nor an attribute; use a colour (default, "
			    "red, 0-255, #rrggbb) then bold, dim, reverse, underline or italic",
			    tok);
			return -1;
		}
	}
	*out = st;
	return 0;
}

void theme_defaults(theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "builtin");
	char why[256];
	for (int i = 0; i < THEME_ROLE_COUNT; i++)
		theme_parse_style(roles[i].def, &t->style[i], why, sizeof why);
}

/* ---- theme files ---- */

typedef struct load_ctx {
	FILE *f;
	const char *path;
	int lineno;
	bool at_bol;
	theme *t;
	int err_line; /* 0 while no error */
	char *err;
	size_t errlen;
} load_ctx;

static void fail_at(load_ctx *c, const char *fmt, const char *a, const char *b)
{
	if (c->err_line)
		return;
	c->err_line = c->lineno;
	char msg[512];
	snprintf(msg, sizeof msg, fmt, a, b);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->path, c->lineno, msg);
}

static bool known_section(const char *s, size_t n)
{
	return (n == 4 && !strncmp(s, "meta", n)) || (n == 6 && !strncmp(s, "colors", n));
}

/* inih's handler gets no line number: this reader counts lines, and checks section names
 * itself so that an empty unknown section is reported too. */
static char *read_line(char *str, int num, void *stream)
{
	load_ctx *c = stream;
	if (!fgets(str, num, c->f))
		return NULL;
	if (c->at_bol) {
		c->lineno++;
		const char *s = str + strspn(str, " \t");
		if (c->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
			s += 3;
		if (*s == '[') {
			const char *e = strchr(s, ']');
			size_t n = e ? (size_t)(e - s - 1) : strcspn(s + 1, "\r\n");
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), s + 1);
			if (!known_section(s + 1, n))
				fail_at(c, "unknown section [%s]; use [colors] or [meta]%s", name,
				        "");
		}
	}
	size_t len = strlen(str);
	c->at_bol = len > 0 && str[len - 1] == '\n';
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	load_ctx *c = user;
	if (!strcmp(section, "meta")) {
		if (!strcmp(name, "name"))
			snprintf(c->t->name, sizeof c->t->name, "%s", value);
		else if (!strcmp(name, "description"))
			snprintf(c->t->description, sizeof c->t->description, "%s", value);
		else
			fail_at(c, "unknown key '%s' in [meta]; use name or description%s", name,
			        "");
	} else if (!strcmp(section, "colors")) {
		int r = theme_role_find(name);
		char why[300];
		if (r < 0)
			fail_at(c, "unknown role '%s'; the roles are listed in docs/themes.md%s",
			        name, "");
		else if (theme_parse_style(value, &c->t->style[r], why, sizeof why))
			fail_at(c, "%s: %s", name, why);
	} else if (!*section) {
		fail_at(c, "'%s' is outside a section; put it under [colors] or [meta]%s", name,
		        "");
	}
	/* keys of an unknown section: the section line is already reported */
	return c->err_line == 0;
}

int theme_load(const char *path, theme *t, char *err, size_t errlen)
{
	load_ctx c = {.path = path, .at_bol = true, .t = t, .err = err, .errlen = errlen};
	c.f = fopen(path, "r");
	if (!c.f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	theme_defaults(t);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(t->name, sizeof t->name, "%.*s", (int)strcspn(base, "."), base);
	int rc = ini_parse_stream(read_line, &c, on_key, &c);
	fclose(c.f);
	if (c.err_line && (rc <= 0 || c.err_line <= rc))
		return -1;
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: expected 'role = colour' (missing '=')", path, rc);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	return 0;
}

int theme_default_dirs(char dirs[][THEME_PATH_CAP], int max)
{
	int n = 0;
	if (n < max)
		snprintf(dirs[n++], THEME_PATH_CAP, "./themes");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (n < max && xdg && *xdg == '/')
		snprintf(dirs[n++], THEME_PATH_CAP, "%s/tokentop/themes", xdg);
	else if (n < max && home && *home)
		snprintf(dirs[n++], THEME_PATH_CAP, "%s/.config/tokentop/themes", home);
	if (n < max)
		snprintf(dirs[n++], THEME_PATH_CAP, "%s/themes", TT_DATADIR);
	return n;
}

static int theme_cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Appends " a, b, c" (every NAME.ini in dirs, sorted, each once; " none" when there is
 * none) to err from used on. */
static void theme_list_names(const char *const *dirs, int ndirs, char *err, size_t errlen,
                             size_t used)
{
	enum { MAXN = 64 };
	char names[MAXN][THEME_NAME_CAP];
	int n = 0;
	for (int i = 0; i < ndirs; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) && n < MAXN) {
			size_t len = strlen(e->d_name);
			if (len <= 4 || len - 4 >= THEME_NAME_CAP || strcmp(e->d_name + len - 4, ".ini"))
				continue;
			char name[THEME_NAME_CAP];
			snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
			bool seen = false;
			for (int k = 0; k < n && !seen; k++)
				seen = !strcmp(names[k], name);
			if (!seen)
				snprintf(names[n++], THEME_NAME_CAP, "%s", name);
		}
		closedir(d);
	}
	qsort(names, (size_t)n, sizeof names[0], theme_cmp_names);
	if (!n && used < errlen)
		snprintf(err + used, errlen - used, " none");
	for (int k = 0; k < n && used < errlen; k++)
		used += (size_t)snprintf(err + used, errlen - used, "%s %s", k ? "," : "", names[k]);
}

int theme_find(const char *name, const char *const *dirs, int ndirs, char *out, size_t outlen,
               char *err, size_t errlen)
{
	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return 0;
	}
	size_t used = (size_t)snprintf(err, errlen, "no theme '%s' in", name);
	for (int i = 0; i < ndirs; i++) {
		char path[THEME_PATH_CAP + THEME_NAME_CAP + 8];
		snprintf(path, sizeof path, "%s/%s.ini", dirs[i], name);
		FILE *f = fopen(path, "r");
		if (f) {
			fclose(f);
			snprintf(out, outlen, "%s", path);
			return 0;
		}
		if (used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, "%s %s", i ? "," : "",
			                         dirs[i]);
	}
	if (used < errlen)
		used += (size_t)snprintf(err + used, errlen - used, "; available:");
	theme_list_names(dirs, ndirs, err, errlen, used);
	used = strlen(err);
	if (used < errlen)
		snprintf(err + used, errlen - used, "; or give a path to a .ini file");
	return -1;
}

bool theme_no_color_env(void)
{
	const char *v = getenv("NO_COLOR");
	return v && *v;
}

/* ---- resolution ---- */

static const uint8_t cube256[6] = {0, 95, 135, 175, 215, 255};
static const uint8_t cube88[4] = {0, 139, 205, 255};
static const uint8_t grey88[8] = {46, 92, 115, 139, 162, 185, 208, 231};

static uint32_t rgb_of(unsigned idx, int colors)
{
	if (idx < 16)
		return ansi[idx].rgb;
	if (colors == 88) {
		if (idx >= 80) {
			uint32_t g = grey88[idx - 80];
			return g << 16 | g << 8 | g;
		}
		unsigned i = idx - 16;
		return (uint32_t)cube88[i / 16] << 16 | (uint32_t)cube88[i / 4 % 4] << 8 |
		       cube88[i % 4];
	}
	if (idx >= 232) {
		uint32_t g = (uint32_t)(8 + 10 * (idx - 232));
		return g << 16 | g << 8 | g;
	}
	unsigned i = idx - 16;
	return (uint32_t)cube256[i / 36] << 16 | (uint32_t)cube256[i / 6 % 6] << 8 | cube256[i % 6];
}

static long dist2(uint32_t a, uint32_t b)
{
	long dr = (long)(a >> 16 & 255) - (long)(b >> 16 & 255);
	long dg = (long)(a >> 8 & 255) - (long)(b >> 8 & 255);
	long db = (long)(a & 255) - (long)(b & 255);
	return dr * dr + dg * dg + db * db;
}

int theme_nearest(uint32_t rgb, int colors)
{
	/* the first 16 of 256 and 88 are whatever the user's terminal makes them: skip them */
	int lo = colors >= 88 ? 16 : 0, hi = colors >= 256 ? 256 : colors >= 88 ? 88 : colors;
	int best = lo;
	long bestd = -1;
	for (int i = lo; i < hi; i++) {
		long d = dist2(rgb, rgb_of((unsigned)i, hi));
		if (bestd < 0 || d < bestd) {
			best = i;
			bestd = d;
		}
	}
	return best;
}

static short map_color(theme_color c, int colors)
{
	switch (c.kind) {
	case THEME_COLOR_DEFAULT:
		return -1;
	case THEME_COLOR_INDEX:
		if (c.value < 16)
			return (short)(colors >= 16 ? c.value : c.value & 7);
		if (colors >= 256)
			return (short)c.value;
		return (short)theme_nearest(rgb_of(c.value, 256), colors);
	case THEME_COLOR_RGB:
		return (short)theme_nearest(c.value, colors);
	}
	return -1;
}

static int depth_of(int colors)
{
	return colors >= 256 ? 256 : colors >= 88 ? 88 : colors >= 16 ? 16 : colors >= 8 ? 8 : 0;
}

static bool same_slot(const theme_slot *a, const theme_slot *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs;
}

void theme_resolve(const theme *t, int colors, bool no_color, theme_resolved *out)
{
	int depth = no_color ? 0 : depth_of(colors);
	out->colors = depth;
	short screen_bg = depth ? map_color(t->style[THEME_BACKGROUND].bg, depth) : -1;
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		theme_slot *s = &out->slot[i];
		const theme_style *st = &t->style[i];
		if (!depth) {
			*s = (theme_slot){-1, -1, 0, st->attrs | roles[i].mono};
			continue;
		}
		s->fg = map_color(st->fg, depth);
		s->bg = st->bg.kind == THEME_COLOR_DEFAULT ? screen_bg : map_color(st->bg, depth);
		s->attrs = st->attrs;
		s->pair = (short)(i + 1);
	}
	theme_slot *prod = &out->slot[THEME_HEADER_PRODUCTION];
	if (same_slot(prod, &out->slot[THEME_HEADER]))
		prod->attrs ^= THEME_ATTR_REVERSE;
}

/* ---- docs ---- */

static void attrs_words(unsigned bits, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < COUNT(attr_names) && n < cap; i++)
		if (bits & attr_names[i].bit)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "",
			                      attr_names[i].name);
	if (!n)
		snprintf(buf, cap, "-");
}

void theme_write_doc_table(FILE *f)
{
	fprintf(f, "| role | default | without colour | glyph or word | what it paints |\n");
	fprintf(f, "|---|---|---|---|---|\n");
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		char attrs[80];
		attrs_words(roles[i].mono, attrs, sizeof attrs);
		fprintf(f, "| `%s` | `%s` | %s | %s%s%s | %s |\n", roles[i].name, roles[i].def,
		        attrs, *roles[i].glyph ? "`" : "", *roles[i].glyph ? roles[i].glyph : "-",
		        *roles[i].glyph ? "`" : "", roles[i].help);
	}
}

/* ---- curses ---- */

int theme_apply(const theme_resolved *r)
{
	if (!stdscr)
		return -1;
	if (!r->colors || !has_colors())
		return 0;
	short def_fg = -1, def_bg = -1;
	/* without default-colour support, -1 is not a colour: use what pair 0 shows */
	if (use_default_colors() == ERR)
		pair_content(0, &def_fg, &def_bg);
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		const theme_slot *s = &r->slot[i];
		if (!s->pair)
			continue;
		if (s->pair >= COLOR_PAIRS || s->fg >= COLORS || s->bg >= COLORS)
			return -1;
		if (init_pair(s->pair, s->fg < 0 ? def_fg : s->fg, s->bg < 0 ? def_bg : s->bg) ==
		    ERR)
			return -1;
	}
	return 0;
}

unsigned long theme_curses_attr(const theme_resolved *r, theme_role role)
{
	static const struct {
		unsigned bit;
		unsigned long attr;
	} map[] = {
	    {THEME_ATTR_BOLD, A_BOLD},       {THEME_ATTR_DIM, A_DIM},
	    {THEME_ATTR_REVERSE, A_REVERSE}, {THEME_ATTR_UNDERLINE, A_UNDERLINE},
	    {THEME_ATTR_ITALIC, A_ITALIC},
	};
	if ((unsigned)role >= THEME_ROLE_COUNT)
		return A_NORMAL;
	const theme_slot *s = &r->slot[role];
	unsigned long a = s->pair ? (unsigned long)COLOR_PAIR(s->pair) : A_NORMAL;
	for (unsigned i = 0; i < COUNT(map); i++)
		if (s->attrs & map[i].bit)
			a |= map[i].attr;
	return a;
}
