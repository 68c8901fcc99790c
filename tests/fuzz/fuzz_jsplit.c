/* libFuzzer harness: the record splitter cuts any bytes the same way whatever the chunks. */
#include <stddef.h>
#include <stdint.h>

#include "jsplit_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jsplit_check((const char *)data, size);
	return 0;
}
