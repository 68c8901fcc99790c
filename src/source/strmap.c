/* A string-keyed hash map to integers: open addressing, FNV-1a, keys copied. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/strmap.h"

typedef struct slot {
	char *key; /* NULL: empty */
	size_t len;
	uint64_t hash;
	int64_t value;
} slot;

struct strmap {
	slot *slots;
	size_t cap, used;
};

static uint64_t hash_bytes(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

strmap *strmap_new(void)
{
	return calloc(1, sizeof(strmap));
}

void strmap_clear(strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->used = 0;
}

void strmap_free(strmap *m)
{
	if (!m)
		return;
	strmap_clear(m);
	free(m);
}

size_t strmap_count(const strmap *m)
{
	return m->used;
}

static slot *find(const strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);
	for (;;) {
		slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

int64_t strmap_get(const strmap *m, const char *key, size_t len)
{
	if (!m->cap)
		return -1;
	slot *s = find(m, key, len, hash_bytes(key, len));
	return s->key ? s->value : -1;
}

static int grow(strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	slot *old = m->slots;
	size_t oldcap = m->cap;
	m->slots = calloc(ncap, sizeof *m->slots);
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->cap = ncap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
	return 0;
}

int strmap_put(strmap *m, const char *key, size_t len, int64_t value)
{
	if ((m->used + 1) * 2 > m->cap && grow(m))
		return -1;
	uint64_t h = hash_bytes(key, len);
	slot *s = find(m, key, len, h);
	if (!s->key) {
		s->key = malloc(len ? len : 1);
		if (!s->key)
			return -1;
		memcpy(s->key, key, len);
		s->len = len;
		s->hash = h;
		m->used++;
	}
	s->value = value;
	return 0;
}
