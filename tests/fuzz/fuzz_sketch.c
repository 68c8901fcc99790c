/* libFuzzer harness: merging any blob into a sketch either works or leaves the sketch as it was. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sketch s;
	sketch_init(&s);
	sketch_add(&s, 0.0, 1);
	sketch_add(&s, 42.0, 3);
	uint8_t before[64];
	size_t nb = sketch_encode(&s, before, sizeof before);
	if (sketch_merge_blob(&s, data, size) != 0) {
		uint8_t after[64];
		size_t na = sketch_encode(&s, after, sizeof after);
		if (na != nb || memcmp(before, after, nb) != 0 || s.count != 4)
			abort();
	} else {
		/* an accepted blob must survive a round trip */
		size_t n = sketch_encode(&s, NULL, 0);
		uint8_t *buf = malloc(n);
		if (!buf)
			abort();
		sketch_encode(&s, buf, n);
		sketch t;
		sketch_init(&t);
		if (sketch_merge_blob(&t, buf, n) != 0 || t.count != s.count)
			abort();
		sketch_quantile(&t, 0.99);
		sketch_count_below(&t, 100.0);
		sketch_free(&t);
		free(buf);
	}
	sketch_free(&s);
	return 0;
}
