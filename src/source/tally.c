/* Counts of odd or refused input by reason, with the first few places of each. */
#include "tokentop/tally.h"

#include <stdlib.h>
#include <string.h>

#define REASON_CAP 160
#define PLACE_CAP 160

typedef struct reason {
	char text[REASON_CAP];
	uint64_t n;
	int nplaces;
	char place[TALLY_PLACES][PLACE_CAP];
} reason;

struct tally {
	reason r[TALLY_REASONS + 1]; /* the last one: "other reasons" */
	int n;
	uint64_t total;
};

tally *tally_new(void)
{
	return calloc(1, sizeof(tally));
}

void tally_free(tally *t)
{
	free(t);
}

static reason *find(tally *t, const char *text, size_t len)
{
	for (int i = 0; i < t->n; i++)
		if (strlen(t->r[i].text) == len && memcmp(t->r[i].text, text, len) == 0)
			return &t->r[i];
	if (t->n < TALLY_REASONS) {
		reason *r = &t->r[t->n++];
		memcpy(r->text, text, len);
		r->text[len] = 0;
		return r;
	}
	reason *r = &t->r[TALLY_REASONS];
	if (!r->text[0])
		strcpy(r->text, "other reasons");
	return r;
}

void tally_add(tally *t, const char *why, const char *where)
{
	if (!t || !why)
		return;
	const char *cut = strstr(why, " (");
	size_t len = cut ? (size_t)(cut - why) : strlen(why);
	if (len >= REASON_CAP)
		len = REASON_CAP - 1;
	reason *r = find(t, why, len);
	r->n++;
	t->total++;
	if (where && r->nplaces < TALLY_PLACES)
		snprintf(r->place[r->nplaces++], PLACE_CAP, "%s", where);
}

uint64_t tally_total(const tally *t)
{
	return t ? t->total : 0;
}

static int by_count(const void *a, const void *b)
{
	const reason *x = *(const reason *const *)a, *y = *(const reason *const *)b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->text, y->text);
}

void tally_write(const tally *t, FILE *out, const char *heading)
{
	if (!t || !t->total)
		return;
	const reason *order[TALLY_REASONS + 1];
	int n = 0;
	for (int i = 0; i < t->n; i++)
		order[n++] = &t->r[i];
	if (t->r[TALLY_REASONS].n)
		order[n++] = &t->r[TALLY_REASONS];
	qsort(order, (size_t)n, sizeof *order, by_count);
	fprintf(out, "%s: %llu\n", heading, (unsigned long long)t->total);
	for (int i = 0; i < n; i++) {
		const reason *r = order[i];
		fprintf(out, "  %llu: %s", (unsigned long long)r->n, r->text);
		for (int k = 0; k < r->nplaces; k++)
			fprintf(out, "%s%s", k ? ", " : " (first at ", r->place[k]);
		fprintf(out, "%s\n", r->nplaces ? (r->n > (uint64_t)r->nplaces ? ", ...)" : ")") : "");
	}
}
