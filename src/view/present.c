/* Presentation mode: stable aliases that hide tenant names, key ids and request ids. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tokentop/present.h"

void present_alias(const char *kind, const char *name, char *buf, size_t cap)
{
	if (!name || !*name) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	/* FNV-1a: stable everywhere, no secret needed; an alias hides a name from a screen
	 * share, it is not meant to resist someone who can guess and hash candidate names. */
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(buf, cap, "%s-%06llx", kind, (unsigned long long)(h & 0xffffff));
}

bool present_hides(const char *key, size_t len)
{
	static const char *const hidden[] = {"tenant", "key", "request_id"};
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
		if (strlen(hidden[i]) == len && !strncmp(hidden[i], key, len))
			return true;
	return false;
}

/* Appends n bytes of s to buf (holding *at bytes), NUL-terminated, cut at cap. */
static void put(char *buf, size_t cap, size_t *at, const char *s, size_t n)
{
	if (!cap || *at >= cap - 1)
		return;
	if (n > cap - 1 - *at)
		n = cap - 1 - *at;
	memcpy(buf + *at, s, n);
	*at += n;
	buf[*at] = 0;
}

void present_scope(const char *scope, char *buf, size_t cap)
{
	size_t at = 0;
	if (cap)
		buf[0] = 0;
	for (const char *p = scope ? scope : ""; *p;) {
		size_t sp = strspn(p, " ");
		put(buf, cap, &at, p, sp);
		p += sp;
		size_t n = strcspn(p, " ");
		const char *eq = memchr(p, '=', n);
		if (eq && present_hides(p, (size_t)(eq - p)) && (size_t)(eq - p) + 1 < n) {
			char kind[32], value[512], alias[64];
			snprintf(kind, sizeof kind, "%.*s", (int)(eq - p), p);
			snprintf(value, sizeof value, "%.*s", (int)(n - (size_t)(eq - p) - 1),
			         eq + 1);
			present_alias(kind, value, alias, sizeof alias);
			put(buf, cap, &at, p, (size_t)(eq - p) + 1);
			put(buf, cap, &at, alias, strlen(alias));
		} else
			put(buf, cap, &at, p, n);
		p += n;
	}
}

static bool word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

void present_text(const char *text, const char *kind, const char *value, char *buf, size_t cap)
{
	size_t at = 0, vn = value ? strlen(value) : 0;
	if (cap)
		buf[0] = 0;
	char alias[64];
	present_alias(kind, value, alias, sizeof alias);
	for (const char *p = text ? text : ""; *p;) {
		const char *hit = vn ? strstr(p, value) : NULL;
		while (hit && ((hit > text && word_char(hit[-1])) || word_char(hit[vn])))
			hit = strstr(hit + 1, value);
		if (!hit) {
			put(buf, cap, &at, p, strlen(p));
			break;
		}
		put(buf, cap, &at, p, (size_t)(hit - p));
		put(buf, cap, &at, alias, strlen(alias));
		p = hit + vn;
	}
}

void present_text_scoped(const char *text, const char *scope, char *buf, size_t cap)
{
	char tmp[2048];
	snprintf(buf, cap, "%s", text ? text : "");
	for (const char *p = scope ? scope : ""; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		const char *eq = memchr(p, '=', n);
		if (eq && present_hides(p, (size_t)(eq - p)) && (size_t)(eq - p) + 1 < n) {
			char kind[32], value[512];
			snprintf(kind, sizeof kind, "%.*s", (int)(eq - p), p);
			snprintf(value, sizeof value, "%.*s", (int)(n - (size_t)(eq - p) - 1),
			         eq + 1);
			present_text(buf, kind, value, tmp, sizeof tmp);
			snprintf(buf, cap, "%s", tmp);
		}
		p += n;
	}
}
