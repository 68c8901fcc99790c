/* Presentation mode: stable aliases that hide tenant names, key ids and request ids. */
#ifndef TOKENTOP_PRESENT_H
#define TOKENTOP_PRESENT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes "KIND-xxxxxx" for name: the same name always gets the same alias (in every run and
 * on every machine), different names almost never share one. An empty name stays empty. */
void present_alias(const char *kind, const char *name, char *buf, size_t cap);

/* Whether a scope key's values are hidden: tenant, key (an API key's id) and request_id. */
bool present_hides(const char *key, size_t len);

/* A scope as recorded ("tenant=acme use_case=x", "key=sk-1"), with the values present_hides
 * names replaced by their aliases; other keys and words as they are. */
void present_scope(const char *scope, char *buf, size_t cap);

/* text with every whole-word occurrence of value (not inside a longer name) replaced by
 * kind's alias of it: for free text that quotes a hidden value (a request body, a prompt). */
void present_text(const char *text, const char *kind, const char *value, char *buf, size_t cap);

/* text with the hidden values scope names ("tenant=acme key=sk-1") replaced, as present_text
 * does for each. */
void present_text_scoped(const char *text, const char *scope, char *buf, size_t cap);

#endif
