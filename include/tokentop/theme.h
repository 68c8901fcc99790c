/* Themes: colour roles read from INI files, resolved for the terminal's colour depth. */
#ifndef TOKENTOP_THEME_H
#define TOKENTOP_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Every role the UI paints with; the table in src/ui/theme.c gives each its name in theme
 * files, default, monochrome attribute, glyph or word, and help text. */
typedef enum theme_role {
	THEME_BACKGROUND,
	THEME_TEXT,
	THEME_DIM,
	THEME_HEADER,
	THEME_HEADER_PRODUCTION,
	THEME_TITLE,
	THEME_BORDER,
	THEME_SELECTION,
	THEME_TAB,
	THEME_TAB_ACTIVE,
	THEME_OK,
	THEME_WARN,
	THEME_CRIT,
	THEME_STALE,
	THEME_MONEY,
	THEME_SPARK,
	THEME_BAR,
	THEME_ALERT_PAGE,
	THEME_ALERT_TICKET,
	THEME_PALETTE,
	THEME_HELP_KEY,
	THEME_ROLE_COUNT
} theme_role;

/* Attribute bits (mapped to curses attributes only by theme_curses_attr). */
enum {
	THEME_ATTR_BOLD = 1 << 0,
	THEME_ATTR_DIM = 1 << 1,
	THEME_ATTR_REVERSE = 1 << 2,
	THEME_ATTR_UNDERLINE = 1 << 3,
	THEME_ATTR_ITALIC = 1 << 4,
};

typedef enum theme_color_kind {
	THEME_COLOR_DEFAULT, /* the terminal's own colour */
	THEME_COLOR_INDEX,   /* 0-255: names are 0-15 */
	THEME_COLOR_RGB,     /* 0xRRGGBB */
} theme_color_kind;

typedef struct theme_color {
	theme_color_kind kind;
	uint32_t value;
} theme_color;

typedef struct theme_style {
	theme_color fg, bg;
	unsigned attrs;
} theme_style;

#define THEME_NAME_CAP 64
#define THEME_DESC_CAP 256
#define THEME_PATH_CAP 4096
#define THEME_DIRS_MAX 3

typedef struct theme {
	char name[THEME_NAME_CAP];
	char description[THEME_DESC_CAP];
	theme_style style[THEME_ROLE_COUNT];
} theme;

/* One role ready to paint: curses colour numbers (-1 = terminal default), attribute bits and
 * the pair number theme_apply gives it (0 when the role carries no colour). */
typedef struct theme_slot {
	short fg, bg;
	short pair;
	unsigned attrs;
} theme_slot;

typedef struct theme_resolved {
	int colors; /* 256, 88, 16, 8 or 0 */
	theme_slot slot[THEME_ROLE_COUNT];
} theme_resolved;

/* The role table, read-only. */
const char *theme_role_name(theme_role r);
const char *theme_role_glyph(theme_role r); /* "" when the role is not a state */
const char *theme_role_help(theme_role r);
unsigned theme_role_mono_attrs(theme_role r);
/* The role named `name`, or -1. */
int theme_role_find(const char *name);

/* Fills t with the built-in defaults (the dark look). */
void theme_defaults(theme *t);

/* Reads a theme file over the defaults. 0, or -1 with "file:line: what; fix" in err. */
int theme_load(const char *path, theme *t, char *err, size_t errlen);

/* Parses "fg[,bg][,attr...]" as written in a theme file. 0, or -1 with the reason in why. */
int theme_parse_style(const char *value, theme_style *out, char *why, size_t whylen);

/* The theme directories in search order: ./themes, $XDG_CONFIG_HOME/tokentop/themes (or
 * ~/.config/tokentop/themes), TT_DATADIR/themes. Returns how many were written. */
int theme_default_dirs(char dirs[][THEME_PATH_CAP], int max);

/* Finds NAME.ini in dirs (or takes name as a path when it contains '/').
 * 0 with the path in out, or -1 with the places looked in err. */
int theme_find(const char *name, const char *const *dirs, int ndirs, char *out, size_t outlen,
               char *err, size_t errlen);

/* True when NO_COLOR is set and not empty (no-color.org). */
bool theme_no_color_env(void);

/* Maps every role to curses colour numbers for a terminal with `colors` colours (256, 88, 16,
 * 8; 0 = monochrome). With no_color or 0 colours every role is attributes only. The
 * production header always differs from the normal header. */
void theme_resolve(const theme *t, int colors, bool no_color, theme_resolved *out);

/* Nearest colour among the first `colors` of the xterm palette (for 256 and 88 the colour cube
 * and grey ramp; for 16 and 8 the ANSI colours) to 0xRRGGBB. */
int theme_nearest(uint32_t rgb, int colors);

/* Writes the role table as a Markdown table (the one in docs/themes.md). */
void theme_write_doc_table(FILE *f);

/* Needs an initialised curses screen: sets one colour pair per coloured role.
 * 0, or -1 when there is no screen or a pair cannot be set. */
int theme_apply(const theme_resolved *r);

/* The curses attributes (colour pair included) to draw role r with. */
unsigned long theme_curses_attr(const theme_resolved *r, theme_role role);

#endif
