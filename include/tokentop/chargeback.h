/* The chargeback view: per team, what providers charged plus the rate card's platform overhead
 * and tier markups (docs/ratecard.md), with the card it was computed from. */
#ifndef TOKENTOP_CHARGEBACK_H
#define TOKENTOP_CHARGEBACK_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/ratecard.h"
#include "tokentop/store.h"
#include "tokentop/view.h"

/* Money of one line. overhead and markup are parts of chargeback, so that
 * cost + overhead + markup == chargeback exactly. Each tier is charged back once on its whole
 * cost (as view_summary's chargeback_nanos) and apportioned over its teams by cost, so the
 * lines add up to that figure to the nano-dollar. */
typedef struct view_charge {
	int64_t requests;
	int64_t cost_nanos;       /* what the providers charged (the report's spend) */
	int64_t overhead_nanos;   /* the platform overhead on it */
	int64_t markup_nanos;     /* the tier's markup on it */
	int64_t chargeback_nanos; /* ratecard_chargeback of the cost, rounded once */
} view_charge;

/* A team's spend on one tier: the unit chargeback is computed for. */
typedef struct view_charge_tier {
	const char *team;  /* "" when events had none */
	const char *tier;  /* "" when events had none */
	int64_t markup_bp; /* 0 for a tier the card does not define */
	bool known;        /* the card defines the tier */
	view_charge c;
} view_charge_tier;

typedef struct view_charge_team {
	const char *team; /* "" when events had none */
	view_charge c;    /* the sum of its tiers */
	size_t first, n;  /* its tiers in view_chargeback.tiers, costliest first */
} view_charge_team;

typedef struct view_chargeback {
	int64_t since_ms, until_ms;
	const ratecard *card;
	int64_t overhead_bp;
	view_charge_team *teams; /* highest chargeback first, then name */
	size_t nteams;
	view_charge_tier *tiers;
	size_t ntiers;
	view_charge total; /* the sum of the teams */
	view_cube cube;
} view_chargeback;

/* card is required (borrowed: keep it until view_chargeback_free). */
int view_chargeback_build(store *st, int64_t since_ms, int64_t until_ms, const ratecard *card,
                          view_chargeback *v, char *err, size_t errlen);
void view_chargeback_free(view_chargeback *v);

/* Splits a chargeback into its overhead and markup parts (rounding the overhead once, the
 * markup taking the rest). */
void view_charge_parts(const ratecard *card, const char *tier, int64_t cost_nanos,
                       view_charge *out);

#endif
