/* Sums over stored events: the cost of elevated requests, which no rollup counter carries. */
#include "tokentop/evsum.h"

#include "store_internal.h"

int evsum_elevated(store *s, int64_t since_ms, int64_t until_ms, evsum_fn fn, void *ctx)
{
	/* The events table has no time index (ingest speed matters more): this is one pass over
	 * it, acceptable for a report that runs once a week. */
	static const char sql[] = "SELECT dims_id, count(*), sum(cost_nanos) FROM events"
	                          " WHERE elevated <> 0 AND ts_ms >= ?1 AND ts_ms < ?2"
	                          " GROUP BY dims_id ORDER BY dims_id";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		         sqlite3_column_int64(st, 2));
		if (out)
			break;
	}
	sqlite3_finalize(st);
	if (out)
		return out;
	return rc == SQLITE_DONE ? 0 : -1;
}
