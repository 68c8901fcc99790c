/* A string-keyed hash map to integers: interning dimension tuples and the like. */
#ifndef TOKENTOP_STRMAP_H
#define TOKENTOP_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap strmap;

strmap *strmap_new(void);
void strmap_free(strmap *m);
void strmap_clear(strmap *m);

/* The value stored for key (len bytes, may hold any byte), or -1. */
int64_t strmap_get(const strmap *m, const char *key, size_t len);

/* Stores a non-negative value for key (copied), replacing any. 0, or -1 out of memory. */
int strmap_put(strmap *m, const char *key, size_t len, int64_t value);

size_t strmap_count(const strmap *m);

#endif
