/* The rate card: per provider and model, dated prices per million tokens; chargeback tiers. */
#ifndef TOKENTOP_RATECARD_H
#define TOKENTOP_RATECARD_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"

typedef struct ratecard ratecard;

/* One dated price. Prices are integer micro-dollars per million tokens, so that
 * tokens * price is an exact amount in pico-dollars (1e-12 USD). */
typedef struct tt_price {
	int64_t effective_from_ms;
	int64_t input_per_mtok;
	int64_t output_per_mtok;
	int64_t cached_input_per_mtok;
} tt_price;

/* Parses a rate card document (format: docs/ratecard.md). NULL on error, with err holding one
 * line that names the JSON path and what is wrong ("prices[3].effective_from: not a date"). */
ratecard *ratecard_parse(const char *buf, size_t len, char *err, size_t errlen);
void ratecard_free(ratecard *rc);

/* The price in force for provider/model at ts_ms (latest effective_from <= ts_ms);
 * NULL when the card has none. */
const tt_price *ratecard_lookup(const ratecard *rc, const char *provider, const char *model,
                                int64_t ts_ms);

/* The card's tier for a model ("good", "better", "best"), or NULL. */
const char *ratecard_model_tier(const ratecard *rc, const char *provider, const char *model);

/* Prices an event in place: cost_nanos, cost_source, saved_nanos; fills an empty tier
 * from the card. A cost given on the event wins; without it and without a price the event
 * is TT_COST_UNPRICED with cost 0. rc may be NULL (nothing is priced by card). */
void ratecard_price(const ratecard *rc, tt_event *ev);

/* Platform overhead in basis points (12.5% = 1250). */
int64_t ratecard_overhead_bp(const ratecard *rc);

/* Internal chargeback of cost_nanos spent on a tier: cost * (1 + overhead + tier markup),
 * rounded half away from zero. Unknown tiers get no markup. */
int64_t ratecard_chargeback(const ratecard *rc, const char *tier, int64_t cost_nanos);

/* Reads and parses a rate card file; NULL on error with err naming the file. */
ratecard *ratecard_load(const char *path, char *err, size_t errlen);

/* The card's contents, for printing it beside the figures it produced. */
size_t ratecard_tier_count(const ratecard *rc);
/* The i-th tier in the card's order; its markup in basis points. NULL past the end. */
const char *ratecard_tier_at(const ratecard *rc, size_t i, int64_t *markup_bp);

typedef struct ratecard_entry {
	const char *provider;
	const char *model;      /* without the '*' of a prefix entry */
	int prefix;             /* the entry matches models starting with model */
	const char *tier;       /* "" when none */
	const tt_price *prices; /* ascending effective_from */
	size_t nprices;
} ratecard_entry;

size_t ratecard_model_count(const ratecard *rc);
/* The i-th model entry: exact entries by provider and model, then prefix entries, longest
 * first. 0, or -1 past the end. */
int ratecard_model_at(const ratecard *rc, size_t i, ratecard_entry *out);

#endif
