/* FinOps FOCUS rows: spend per UTC day, provider, model, team, use case, tenant and token type,
 * each rollup's cost split exactly over its token types (docs/focus.md). */
#ifndef TOKENTOP_FOCUS_H
#define TOKENTOP_FOCUS_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/daycube.h"
#include "tokentop/ratecard.h"
#include "tokentop/store.h"

typedef enum { FOCUS_INPUT, FOCUS_OUTPUT, FOCUS_CACHED_INPUT, FOCUS_TOKEN_COUNT } focus_token;

/* "input", "output", "cached_input". */
const char *focus_token_name(focus_token t);

/* What a row's share of its group's cost was weighed by. */
typedef enum {
	FOCUS_BASIS_CARD,   /* tokens x the card's price for the model at the period's start */
	FOCUS_BASIS_TOKENS, /* tokens alone: no price in the card (or every price 0) */
	FOCUS_BASIS_COUNT
} focus_basis;

const char *focus_basis_name(focus_basis b); /* "card", "tokens" */

typedef struct focus_row {
	int64_t day;              /* Unix days (UTC) */
	int64_t start_ms, end_ms; /* the charge period: the day, clipped to the range read */
	const char *provider, *model, *team, *use_case, *tenant; /* "" when events had none */
	focus_token token;
	int64_t tokens; /* input: without the cached ones */
	int64_t cost_nanos;
	int64_t price_per_mtok; /* the card's price for this token type (micro-USD); -1 none */
	focus_basis basis;
} focus_row;

typedef struct view_focus {
	int64_t since_ms, until_ms;
	focus_row *rows; /* by day, provider, model, team, use case, tenant, token type */
	size_t n;
	int64_t total_cost_nanos; /* the range's spend; the rows' costs add up to it exactly */
	view_daycube dc;          /* owns the strings the rows point to */
} view_focus;

/* card may be NULL (every split is by tokens). */
int view_focus_build(store *st, int64_t since_ms, int64_t until_ms, const ratecard *card,
                     view_focus *v, char *err, size_t errlen);
void view_focus_free(view_focus *v);

/* Splits cost over the token types in proportion to w: the parts are whole nano-dollars
 * that add up to cost exactly (largest remainders first, ties to the lower type; all of it
 * to input when every weight is 0). */
void focus_split(int64_t cost, const unsigned __int128 w[FOCUS_TOKEN_COUNT],
                 int64_t out[FOCUS_TOKEN_COUNT]);

#endif
