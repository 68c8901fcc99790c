/* Shared internals of the store layer: the SQLite handle for sibling modules (audit). */
#ifndef TOKENTOP_STORE_INTERNAL_H
#define TOKENTOP_STORE_INTERNAL_H

#include <sqlite3.h>

#include "tokentop/store.h"

sqlite3 *store_sqlite(store *s);

/* Creates the directories above path (mode 0700), as the XDG defaults need. 0 or -1. */
int store_mkdirs(const char *path);

/* $ENV/tokentop/LEAF, else $HOME/FALLBACK/tokentop/LEAF (".local/share", ".config"). 0, or -1
 * with err ending in what to pass instead (hint, e.g. "--db FILE"). */
int store_xdg_path(const char *env, const char *fallback, const char *leaf, const char *hint,
                   char *buf, size_t cap, char *err, size_t errlen);

#endif
