/* The dimension tuples by id, and rollup scans held to a resolution. */
#include <stdlib.h>
#include <string.h>

#include "scan.h"

static int load_one(void *ctx, int64_t id, const tt_dims *dd)
{
	vdims *d = ctx;
	if (id <= 0)
		return 0;
	if ((size_t)id >= d->n) {
		size_t n = d->n ? d->n : 64;
		while (n <= (size_t)id)
			n *= 2;
		void *nv = realloc(d->v, n * sizeof *d->v);
		if (!nv)
			return -1;
		d->v = nv;
		void *ns = realloc(d->status, n * sizeof *d->status);
		if (!ns)
			return -1;
		d->status = ns;
		memset(d->v + d->n, 0, (n - d->n) * sizeof *d->v);
		for (size_t i = d->n; i < n; i++)
			d->status[i] = TT_STATUS_COUNT;
		d->n = n;
	}
	for (int i = 0; i < TT_D_COUNT; i++) {
		d->v[id][i] = strdup(dd->v[i] ? dd->v[i] : "");
		if (!d->v[id][i])
			return -1;
	}
	tt_status s;
	const char *name = d->v[id][TT_D_STATUS];
	if (event_status_parse(name, strlen(name), &s) == 0)
		d->status[id] = s;
	return 0;
}

int vdims_load(store *st, vdims *d)
{
	memset(d, 0, sizeof *d);
	if (store_dims_each(st, load_one, d)) {
		vdims_free(d);
		return -1;
	}
	return 0;
}

void vdims_free(vdims *d)
{
	for (size_t i = 0; i < d->n; i++)
		for (int k = 0; k < TT_D_COUNT; k++)
			free(d->v[i][k]);
	free(d->v);
	free(d->status);
	memset(d, 0, sizeof *d);
}

int vscan_steps(store *st, int64_t since_ms, int64_t until_ms, int64_t step_ms, bool sketches,
                store_rollup_fn fn, void *ctx)
{
	tt_res r = step_ms < 3600000    ? TT_RES_MINUTE
	           : step_ms < 86400000 ? TT_RES_HOUR
	                                : TT_RES_DAY;
	return store_rollup_scan_res(st, since_ms, until_ms, r, sketches, fn, ctx);
}
