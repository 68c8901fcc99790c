/* Presentation mode: stable aliases that hide tenant names, key ids and request ids. */
#include <stdint.h>
#include <stdio.h>

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
