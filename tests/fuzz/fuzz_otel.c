/* libFuzzer harness: OTel GenAI span parsing must accept or reject any bytes without faults. */
#include <stddef.h>
#include <stdint.h>

#include "tokentop/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *ctx, const tt_event *ev)
{
	(void)ctx;
	(void)ev;
}

static void on_reject(void *ctx, int item, const char *reason)
{
	(void)ctx;
	(void)item;
	(void)reason;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_sink sink = {on_event, on_reject, NULL};
	parse_record(TT_FORMAT_OTEL, (const char *)data, size, &sink);
	return 0;
}
