/* What every live source shares: its health state and the retry schedule after failures. */
#include "tokentop/source.h"

static const char *const state_names[SRC_STATE_COUNT] = {"starting", "ok", "degraded", "down"};

const char *source_state_name(source_state s)
{
	return (unsigned)s < SRC_STATE_COUNT ? state_names[s] : "unknown";
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

int64_t source_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *rng)
{
	int64_t ceiling = base_ms;
	for (unsigned i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	/* full jitter, but never under a tenth of the ceiling: no tight retry loops */
	int64_t floor = ceiling / 10;
	return floor + (int64_t)(xorshift(rng) % (uint64_t)(ceiling - floor + 1));
}

int64_t source_idle_ms(unsigned empty, int64_t poll_ms, int64_t cap_ms)
{
	int64_t wait = poll_ms;
	for (unsigned i = 1; i < empty && wait < cap_ms; i++)
		wait *= 2;
	if (wait > cap_ms)
		wait = cap_ms;
	return wait > poll_ms ? wait : poll_ms;
}
