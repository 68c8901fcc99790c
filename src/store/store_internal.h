/* Shared internals of the store layer: the SQLite handle for sibling modules (audit). */
#ifndef TOKENTOP_STORE_INTERNAL_H
#define TOKENTOP_STORE_INTERNAL_H

#include <sqlite3.h>

#include "tokentop/store.h"

sqlite3 *store_sqlite(store *s);

#endif
