/* Blast radius: what a scope carries now ($/min, requests/s, share), read through the cube. */
#include <stdio.h>
#include <string.h>

#include "tokentop/action.h"
#include "tokentop/view.h"

/* The cache's dimension for each scope key; -1 where events do not carry it. */
static const int dim_of[ACTION_SCOPE_COUNT] = {
    [ACTION_SCOPE_GATEWAY] = -1,
    [ACTION_SCOPE_TENANT] = TT_D_TENANT,
    [ACTION_SCOPE_TEAM] = TT_D_TEAM,
    [ACTION_SCOPE_USE_CASE] = TT_D_USE_CASE,
    [ACTION_SCOPE_PROVIDER] = TT_D_PROVIDER,
    [ACTION_SCOPE_MODEL] = TT_D_MODEL,
    [ACTION_SCOPE_TOOL] = -1,
    [ACTION_SCOPE_KEY] = -1,
};

static bool in_scope(const action_req *r, char *const dims[TT_D_COUNT])
{
	for (int k = 0; k < ACTION_SCOPE_COUNT; k++)
		if (r->scope[k][0] && dim_of[k] >= 0 &&
		    (!dims[dim_of[k]] || strcmp(dims[dim_of[k]], r->scope[k]) != 0))
			return false;
	return true;
}

int action_blast_radius(store *st, const action_req *r, int64_t now_ms, action_blast *b, char *err,
                        size_t errlen)
{
	memset(b, 0, sizeof *b);
	b->since_ms = now_ms - ACTION_BLAST_WINDOW_MS;
	b->until_ms = now_ms;
	b->known = true;
	if (r->scope[ACTION_SCOPE_TOOL][0] || r->scope[ACTION_SCOPE_KEY][0]) {
		b->known = false;
		snprintf(b->note, sizeof b->note,
		         "requests in the cache do not record the %s; the blast radius is unknown",
		         r->scope[ACTION_SCOPE_TOOL][0] ? "tool" : "virtual key");
	} else if (r->scope[ACTION_SCOPE_GATEWAY][0]) {
		snprintf(b->note, sizeof b->note,
		         "the cache does not keep which gateway served a request: the figures "
		         "cover every gateway");
	}
	view_cube c;
	if (view_cube_build(st, b->since_ms, now_ms + 1, false, &c, err, errlen))
		return -1;
	for (size_t id = 1; id < c.ndims; id++) {
		if (!c.dims[id][0])
			continue;
		if (b->known && in_scope(r, c.dims[id])) {
			b->requests += c.m[id][TT_M_REQUESTS];
			b->cost_nanos += c.m[id][TT_M_COST_NANOS];
		}
	}
	b->total_requests = c.total[TT_M_REQUESTS];
	b->total_cost_nanos = c.total[TT_M_COST_NANOS];
	view_cube_free(&c);
	int64_t minutes = ACTION_BLAST_WINDOW_MS / 60000;
	b->cost_per_min_nanos = view_ratio_round(b->cost_nanos, minutes);
	b->requests_per_s = (double)b->requests / (double)(ACTION_BLAST_WINDOW_MS / 1000);
	b->share = b->total_requests ? (double)b->requests / (double)b->total_requests : 0;
	if (!b->total_requests && !b->note[0])
		snprintf(b->note, sizeof b->note,
		         "the cache has no requests in the last %lld minutes (is tokentop sync "
		         "running?)",
		         (long long)(ACTION_BLAST_WINDOW_MS / 60000));
	return 0;
}
