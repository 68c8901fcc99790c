/* libFuzzer harness: rate card parsing must reject or accept any bytes without faults or leaks. */
#include <stddef.h>
#include <stdint.h>

#include "tokentop/ratecard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	ratecard *rc = ratecard_parse((const char *)data, size, err, sizeof err);
	if (rc) {
		tt_event ev;
		event_init(&ev);
		ev.input_tokens = 1000;
		ev.cached_tokens = 10;
		ev.output_tokens = 100;
		ratecard_price(rc, &ev);
		ratecard_chargeback(rc, "good", 123456);
		ratecard_free(rc);
	}
	return 0;
}
