/* Presentation mode: stable aliases that hide tenant names, key ids and request ids. */
#ifndef TOKENTOP_PRESENT_H
#define TOKENTOP_PRESENT_H

#include <stddef.h>

/* Writes "KIND-xxxxxx" for name: the same name always gets the same alias (in every run and
 * on every machine), different names almost never share one. An empty name stays empty. */
void present_alias(const char *kind, const char *name, char *buf, size_t cap);

#endif
