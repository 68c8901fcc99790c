/* Odd or refused input counted by reason, with the first places each was seen: one summary
 * instead of a line per record. */
#ifndef TOKENTOP_TALLY_H
#define TOKENTOP_TALLY_H

#include <stdint.h>
#include <stdio.h>

/* Distinct reasons kept; the rest are counted together as "other reasons". */
#define TALLY_REASONS 64
/* Places remembered for each reason. */
#define TALLY_PLACES 3

typedef struct tally tally;

tally *tally_new(void);
void tally_free(tally *t);

/* Counts one occurrence. The reason is grouped by its text before any " (": so
 * "input_tokens: negative (-5)" and "input_tokens: negative (-7)" are one reason. where is a
 * place such as "events.jsonl:12" (may be NULL). */
void tally_add(tally *t, const char *reason, const char *where);

uint64_t tally_total(const tally *t);

/* One line per reason, most frequent first, under a heading line:
 *   "<heading>: N lines" then "  N: REASON (first at A, B, C)". Nothing when empty. */
void tally_write(const tally *t, FILE *out, const char *heading);

#endif
