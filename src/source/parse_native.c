/* Native JSONL: one tokentop request event per line (docs/events.md). */
#include "parse_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef enum {
	K_ID,      /* required non-empty string */
	K_TS,      /* required ISO 8601 time */
	K_STR,     /* optional string */
	K_BOOL,    /* elevated */
	K_COUNT,   /* token count, absent 0 */
	K_MS,      /* latency, absent -1 */
	K_STATUS,  /* required */
	K_CACHE,   /* absent none */
	K_OUTCOME, /* absent or null: none */
	K_QUALITY, /* number 0..1 */
	K_COST,    /* non-negative USD */
} kind;

/* In the order of the DESIGN example; fields are checked in this order. */
#define NATIVE_FIELDS(X)                                                                           \
	X("request_id", K_ID, request_id)                                                          \
	X("ts", K_TS, ts_ms)                                                                       \
	X("gateway", K_STR, gateway)                                                               \
	X("tenant", K_STR, tenant)                                                                 \
	X("team", K_STR, team)                                                                     \
	X("use_case", K_STR, use_case)                                                             \
	X("prompt_id", K_STR, prompt_id)                                                           \
	X("prompt_version", K_STR, prompt_version)                                                 \
	X("provider", K_STR, provider)                                                             \
	X("model", K_STR, model)                                                                   \
	X("tier", K_STR, tier)                                                                     \
	X("elevated", K_BOOL, elevated)                                                            \
	X("input_tokens", K_COUNT, input_tokens)                                                   \
	X("output_tokens", K_COUNT, output_tokens)                                                 \
	X("cached_tokens", K_COUNT, cached_tokens)                                                 \
	X("latency_ms", K_MS, latency_ms)                                                          \
	X("ttft_ms", K_MS, ttft_ms)                                                                \
	X("retrieval_ms", K_MS, retrieval_ms)                                                      \
	X("queue_ms", K_MS, queue_ms)                                                              \
	X("status", K_STATUS, status)                                                              \
	X("cache", K_CACHE, cache)                                                                 \
	X("outcome", K_OUTCOME, outcome)                                                           \
	X("quality", K_QUALITY, quality_milli)                                                     \
	X("cost_usd", K_COST, cost_nanos)

typedef struct field {
	const char *name;
	kind kind;
	size_t off; /* of the tt_event member */
	size_t cap; /* its size: the capacity of strings */
} field_spec;

#define AS_KEY(n, k, m)   PJ_KEY(n),
#define AS_FIELD(n, k, m) {n, k, offsetof(tt_event, m), sizeof(((tt_event *)0)->m)},
static const pj_key keys[] = {NATIVE_FIELDS(AS_KEY)};
static const field_spec fields[] = {NATIVE_FIELDS(AS_FIELD)};
#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

/* Decodes a short enum value into buf; empty when it is not a string or does not fit, which no
 * name in a list matches. */
static void get_enum(const pj_doc *d, int i, char *buf, size_t cap)
{
	if (!pj_is_string(d, i) || pj_decode(d, i, buf, cap, NULL) != PJ_STR_OK)
		buf[0] = 0;
}

static int read_field(pj_ctx *c, const pj_doc *d, const field_spec *f, int i, tt_event *ev)
{
	char *base = (char *)ev + f->off;
	const char *name = f->name;
	char buf[32];
	int r;
	switch (f->kind) {
	case K_ID:
		if (i < 0 || pj_is_null(d, i))
			return pj_fail(c, "%s: missing", name);
		if (pj_get_str(c, d, i, name, base, f->cap) < 0)
			return -1;
		if (!base[0])
			return pj_fail(c, "%s: empty", name);
		return 0;
	case K_TS:
		if (i < 0 || pj_is_null(d, i))
			return pj_fail(c, "%s: missing", name);
		return pj_get_time(c, d, i, name, &ev->ts_ms);
	case K_STATUS:
		if (i < 0 || pj_is_null(d, i)) {
			ev->status = TT_STATUS_OTHER;
			pj_note_other(c, d, i, name);
			return 0;
		}
		break;
	default:
		if (i < 0)
			return 0;
	}
	switch (f->kind) {
	case K_STR:
		return pj_get_name(c, d, i, name, base, f->cap) < 0 ? -1 : 0;
	case K_BOOL:
		return pj_get_bool(c, d, i, name, &ev->elevated) < 0 ? -1 : 0;
	case K_COUNT:
	case K_MS:
		return pj_get_count(c, d, i, name, false, (int64_t *)(void *)base) < 0 ? -1 : 0;
	case K_STATUS:
		get_enum(d, i, buf, sizeof buf);
		if (event_status_parse(buf, strlen(buf), &ev->status) < 0) {
			ev->status = TT_STATUS_OTHER;
			pj_note_other(c, d, i, name);
		}
		return 0;
	case K_CACHE:
		if (pj_is_null(d, i))
			return 0;
		get_enum(d, i, buf, sizeof buf);
		if (event_cache_parse(buf, strlen(buf), &ev->cache) < 0) {
			ev->cache = TT_CACHE_OTHER;
			pj_note_other(c, d, i, name);
		}
		return 0;
	case K_OUTCOME:
		if (pj_is_null(d, i))
			return 0;
		get_enum(d, i, buf, sizeof buf);
		if (event_outcome_parse(buf, strlen(buf), &ev->outcome) < 0) {
			ev->outcome = TT_OUTCOME_OTHER;
			pj_note_other(c, d, i, name);
		}
		return 0;
	case K_QUALITY: {
		int64_t micro;
		r = pj_get_scaled(c, d, i, name, false, 6, &micro);
		if (r != 0)
			return r < 0 ? -1 : 0;
		if (micro < 0 || micro > 1000000) {
			char ex[48];
			pj_excerpt(d, i, ex, sizeof ex);
			return pj_fail(c, "%s: out of range (%s), expected 0..1", name, ex);
		}
		ev->quality_milli = (int32_t)((micro + 500) / 1000);
		return 0;
	}
	case K_COST:
		r = pj_get_usd(c, d, i, name, &ev->cost_nanos);
		if (r == 0) {
			ev->has_cost = true;
			ev->cost_source = TT_COST_GATEWAY;
		}
		return r < 0 ? -1 : 0;
	default:
		return 0;
	}
}

int parse_native_doc(pj_ctx *c, const pj_doc *d)
{
	if (d->t[0].type != JSMN_OBJECT) {
		pj_reject(c, -1, "expected a JSON object");
		return -1;
	}
	int idx[NFIELDS];
	tt_event ev;
	event_init(&ev);
	if (pj_collect(c, d, 0, keys, NFIELDS, idx, "") < 0)
		goto bad;
	for (int k = 0; k < NFIELDS; k++)
		if (read_field(c, d, &fields[k], idx[k], &ev) < 0)
			goto bad;
	if (ev.cached_tokens > ev.input_tokens) {
		pj_fail(c, "cached_tokens: greater than input_tokens (%lld > %lld)",
		        (long long)ev.cached_tokens, (long long)ev.input_tokens);
		goto bad;
	}
	pj_emit(c, &ev);
	return 1;
bad:
	pj_reject(c, -1, c->err);
	return -1;
}
