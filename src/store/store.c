/* The SQLite cache: open and migrate, intern dimensions, insert events, upsert and scan rollups. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "store_internal.h"
#include "tokentop/strmap.h"

/* Numbered migrations: entry i takes the schema from version i to i+1. Never edit one that has
 * shipped; append a new one. */
#define ROLLUP_COUNTERS                                                                            \
	"(bucket INTEGER NOT NULL, dims_id INTEGER NOT NULL,"                                      \
	" requests INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,"           \
	" output_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,"     \
	" cost_micros INTEGER NOT NULL DEFAULT 0, saved_micros INTEGER NOT NULL DEFAULT 0,"        \
	" gateway_priced INTEGER NOT NULL DEFAULT 0, card_priced INTEGER NOT NULL DEFAULT 0,"      \
	" unpriced INTEGER NOT NULL DEFAULT 0, success INTEGER NOT NULL DEFAULT 0,"                \
	" failure INTEGER NOT NULL DEFAULT 0, abandoned INTEGER NOT NULL DEFAULT 0,"               \
	" elevated INTEGER NOT NULL DEFAULT 0, latency_ms_sum INTEGER NOT NULL DEFAULT 0,"         \
	" latency BLOB, ttft BLOB,"

static const char *const migrations[] = {
    /* 1: events, dimensions, hour rollups carrying their minutes, day rollups, cursors. */
    "CREATE TABLE dims (id INTEGER PRIMARY KEY, use_case TEXT NOT NULL, team TEXT NOT NULL,"
    " tenant TEXT NOT NULL, prompt_id TEXT NOT NULL, prompt_version TEXT NOT NULL,"
    " provider TEXT NOT NULL, model TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL,"
    " cache TEXT NOT NULL, UNIQUE (use_case, team, tenant, prompt_id, prompt_version,"
    " provider, model, tier, status, cache));"
    "CREATE TABLE events (request_id TEXT PRIMARY KEY NOT NULL, ts_ms INTEGER NOT NULL,"
    " dims_id INTEGER NOT NULL, gateway TEXT NOT NULL, elevated INTEGER NOT NULL,"
    " input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,"
    " cached_tokens INTEGER NOT NULL, latency_ms INTEGER, ttft_ms INTEGER,"
    " retrieval_ms INTEGER, queue_ms INTEGER, outcome TEXT, quality_milli INTEGER,"
    " cost_micros INTEGER NOT NULL, cost_source TEXT NOT NULL, saved_micros INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE rollup_hour " ROLLUP_COUNTERS
    " minutes BLOB NOT NULL, PRIMARY KEY (bucket, dims_id)) WITHOUT ROWID;"
    "CREATE TABLE rollup_day " ROLLUP_COUNTERS " PRIMARY KEY (bucket, dims_id)) WITHOUT ROWID;"
    "CREATE TABLE cursors (source TEXT PRIMARY KEY NOT NULL, cursor TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL) WITHOUT ROWID;",
    /* 2: what the inference servers' metrics endpoints said, scrape by scrape. */
    "CREATE TABLE inference_samples (source TEXT NOT NULL, model_name TEXT NOT NULL,"
    " ts_ms INTEGER NOT NULL, requests_running REAL, requests_waiting REAL,"
    " kv_cache_usage REAL, prompt_tokens_total REAL, generation_tokens_total REAL,"
    " ttft_buckets BLOB, PRIMARY KEY (source, model_name, ts_ms)) WITHOUT ROWID;",
    /* 3: series read from Prometheus-compatible query APIs. */
    "CREATE TABLE metric_samples (source TEXT NOT NULL, series TEXT NOT NULL,"
    " labels TEXT NOT NULL, ts_ms INTEGER NOT NULL, value REAL,"
    " PRIMARY KEY (source, series, labels, ts_ms)) WITHOUT ROWID;",
    /* 4: the latest answer of each gateway's state endpoints (health, routing, controls),
     * kept verbatim as JSON with its ETag, for the screens and the actions' blast radius. */
    "CREATE TABLE gateway_state (source TEXT NOT NULL, kind TEXT NOT NULL,"
    " body TEXT NOT NULL, etag TEXT, fetched_ms INTEGER NOT NULL,"
    " PRIMARY KEY (source, kind)) WITHOUT ROWID;",
    /* 5: the audit log. Append-only: a status change is a new record pointing at the one it
     * completes (ref_seq), and triggers refuse UPDATE and DELETE. */
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,"
    " actor TEXT NOT NULL, as_name TEXT NOT NULL, role TEXT NOT NULL, host TEXT NOT NULL,"
    " kind TEXT NOT NULL, action TEXT NOT NULL, gateway TEXT NOT NULL, scope TEXT NOT NULL,"
    " params TEXT NOT NULL, reason TEXT NOT NULL, state_before TEXT NOT NULL,"
    " state_after TEXT NOT NULL, status TEXT NOT NULL, ref_seq INTEGER NOT NULL,"
    " control_id TEXT NOT NULL, response TEXT NOT NULL, idem_key TEXT NOT NULL,"
    " prev_mac TEXT NOT NULL, mac TEXT NOT NULL);"
    "CREATE INDEX audit_ts ON audit (ts_ms);"
    "CREATE INDEX audit_ref ON audit (ref_seq) WHERE ref_seq <> 0;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 6: the spend of each hour row on its own: an hourly cost series over weeks reads this
     * narrow index instead of rows that carry their minute packs and sketches. */
    "CREATE INDEX rollup_hour_cost ON rollup_hour (bucket, dims_id, cost_micros);",
    /* 7: money in nano-dollars, so sub-micro-dollar prices (embeddings at 4.8e-07 USD) add
     * up exactly; every amount, the minute packs' included, times 1000, refused on overflow. */
    "ALTER TABLE events RENAME COLUMN cost_micros TO cost_nanos;"
    "ALTER TABLE events RENAME COLUMN saved_micros TO saved_nanos;"
    "UPDATE events SET cost_nanos = tt_nanos_of_micros(cost_nanos),"
    " saved_nanos = tt_nanos_of_micros(saved_nanos);"
    "ALTER TABLE rollup_hour RENAME COLUMN cost_micros TO cost_nanos;"
    "ALTER TABLE rollup_hour RENAME COLUMN saved_micros TO saved_nanos;"
    "UPDATE rollup_hour SET cost_nanos = tt_nanos_of_micros(cost_nanos),"
    " saved_nanos = tt_nanos_of_micros(saved_nanos), minutes = tt_pack_nanos_of_micros(minutes);"
    "ALTER TABLE rollup_day RENAME COLUMN cost_micros TO cost_nanos;"
    "ALTER TABLE rollup_day RENAME COLUMN saved_micros TO saved_nanos;"
    "UPDATE rollup_day SET cost_nanos = tt_nanos_of_micros(cost_nanos),"
    " saved_nanos = tt_nanos_of_micros(saved_nanos);",
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

static const char *const metric_names[TT_M_COUNT] = {
    "requests",    "input_tokens",   "output_tokens", "cached_tokens",  "cost_nanos",
    "saved_nanos", "gateway_priced", "card_priced",   "unpriced",       "success",
    "failure",     "abandoned",      "elevated",      "latency_ms_sum",
};
static const char *const sketch_cols[TT_SK_COUNT] = {"latency", "ttft"};
static const char *const dim_names[TT_D_COUNT] = {
    "use_case", "team",  "tenant", "prompt_id", "prompt_version",
    "provider", "model", "tier",   "status",    "cache",
};
static const char *const res_names[TT_RES_COUNT] = {"minute", "hour", "day"};
static const int64_t res_seconds[TT_RES_COUNT] = {60, 3600, 86400};

struct store {
	sqlite3 *db;
	char path[1024];
	store_opts opts;
	sqlite3_stmt *ins_event;
	sqlite3_stmt *ins_dims;
	sqlite3_stmt *ins_rollup[TT_RES_COUNT];     /* hour and day */
	sqlite3_stmt *scan_rollup[TT_RES_COUNT][2]; /* minute: hour rows with their packs */
	strmap *dims;                               /* dims_key -> id */
};

const char *store_metric_name(tt_metric m)
{
	return m < TT_M_COUNT ? metric_names[m] : NULL;
}

const char *store_dim_name(tt_dim d)
{
	return d < TT_D_COUNT ? dim_names[d] : NULL;
}

const char *store_res_name(tt_res r)
{
	return r < TT_RES_COUNT ? res_names[r] : NULL;
}

int64_t store_bucket_seconds(tt_res r)
{
	return res_seconds[r];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t store_bucket(tt_res r, int64_t ts_ms)
{
	return floor_div(ts_ms, res_seconds[r] * 1000) * res_seconds[r];
}

static int64_t single_int(store *s, const char *sql);

sqlite3 *store_sqlite(store *s)
{
	return s->db;
}

int64_t store_data_version(store *s)
{
	return single_int(s, "PRAGMA data_version");
}

const char *store_errmsg(store *s)
{
	return sqlite3_errmsg(s->db);
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int exec(store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int store_schema_version(store *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(store *s, char *err, size_t errlen)
{
	int v = store_schema_version(s);
	if (v < 0) {
		seterr(err, errlen, "%s: cannot read schema version: %s", s->path,
		       sqlite3_errmsg(s->db));
		return -1;
	}
	if (v > MIGRATION_COUNT) {
		seterr(err, errlen,
		       "%s: schema version %d is newer than this tokentop knows (%d); "
		       "upgrade tokentop or use another --db",
		       s->path, v, MIGRATION_COUNT);
		return -1;
	}
	if (v < MIGRATION_COUNT && s->opts.readonly) {
		seterr(err, errlen,
		       "%s: schema version %d needs migrating; open it read-write once", s->path,
		       v);
		return -1;
	}
	for (; v < MIGRATION_COUNT; v++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
		if (exec(s, "BEGIN IMMEDIATE") || exec(s, migrations[v]) || exec(s, bump) ||
		    exec(s, "COMMIT")) {
			seterr(err, errlen, "%s: migration %d failed: %s", s->path, v + 1,
			       sqlite3_errmsg(s->db));
			exec(s, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

/* tt_add(a, b): a rollup counter's sum, refused when it would leave 64 bits, where SQLite's
 * own + turns silently into a floating-point value and money into an approximation. */
static void sql_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int64_t r;
	if (__builtin_add_overflow(sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1]),
	                           &r)) {
		sqlite3_result_error(ctx, "a rollup sum would overflow 64 bits", -1);
		return;
	}
	sqlite3_result_int64(ctx, r);
}

static void sql_sketch_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	store *s = sqlite3_user_data(ctx);
	(void)argc;
	const void *a = sqlite3_value_blob(argv[0]);
	int alen = sqlite3_value_bytes(argv[0]);
	const void *b = sqlite3_value_blob(argv[1]);
	int blen = sqlite3_value_bytes(argv[1]);
	if (!a || alen == 0) {
		sqlite3_result_value(ctx, argv[1]);
		return;
	}
	if (!b || blen == 0) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	void *out = NULL;
	size_t outlen = 0;
	if (!s->opts.merge || s->opts.merge(a, (size_t)alen, b, (size_t)blen, &out, &outlen)) {
		sqlite3_result_error(ctx, "tt_sketch_merge: malformed sketch", -1);
		return;
	}
	sqlite3_result_blob64(ctx, out, outlen, free);
}

static int prepare(store *s, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK
	           ? 0
	           : -1;
}

/* Appends to a fixed buffer; the statements built here are far below its size. */
static void cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static int prepare_all(store *s)
{
	if (prepare(
	        s,
	        "INSERT OR IGNORE INTO events (request_id, ts_ms, dims_id, gateway, elevated,"
	        " input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, retrieval_ms,"
	        " queue_ms, outcome, quality_milli, cost_nanos, cost_source, saved_nanos)"
	        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        &s->ins_event) ||
	    prepare(s,
	            "INSERT INTO dims (use_case, team, tenant, prompt_id, prompt_version, provider,"
	            " model, tier, status, cache) VALUES (?,?,?,?,?,?,?,?,?,?)",
	            &s->ins_dims))
		return -1;
	for (int r = TT_RES_HOUR; r < TT_RES_COUNT; r++) {
		bool hour = r == TT_RES_HOUR;
		char sql[4096] = "";
		cat(sql, sizeof sql, "INSERT INTO rollup_%s (bucket, dims_id", res_names[r]);
		for (int m = 0; m < TT_M_COUNT; m++)
			cat(sql, sizeof sql, ", %s", metric_names[m]);
		for (int k = 0; k < TT_SK_COUNT; k++)
			cat(sql, sizeof sql, ", %s", sketch_cols[k]);
		cat(sql, sizeof sql, "%s) VALUES (?, ?", hour ? ", minutes" : "");
		for (int i = 0; i < TT_M_COUNT + TT_SK_COUNT + hour; i++)
			cat(sql, sizeof sql, ", ?");
		cat(sql, sizeof sql, ") ON CONFLICT (bucket, dims_id) DO UPDATE SET ");
		for (int m = 0; m < TT_M_COUNT; m++)
			cat(sql, sizeof sql, "%s = tt_add(%s, excluded.%s), ", metric_names[m],
			    metric_names[m], metric_names[m]);
		for (int k = 0; k < TT_SK_COUNT; k++)
			cat(sql, sizeof sql, "%s = tt_sketch_merge(%s, excluded.%s)%s",
			    sketch_cols[k], sketch_cols[k], sketch_cols[k],
			    k + 1 < TT_SK_COUNT ? ", " : "");
		if (hour)
			cat(sql, sizeof sql,
			    ", minutes = tt_minutes_merge(minutes, excluded.minutes)");
		if (prepare(s, sql, &s->ins_rollup[r]))
			return -1;
		for (int want = 0; want < 2; want++) {
			char q[2048] = "SELECT bucket, dims_id";
			for (int m = 0; m < TT_M_COUNT; m++)
				cat(q, sizeof q, ", %s", metric_names[m]);
			if (want)
				for (int k = 0; k < TT_SK_COUNT; k++)
					cat(q, sizeof q, ", %s", sketch_cols[k]);
			cat(q, sizeof q, " FROM rollup_%s WHERE bucket >= ? AND bucket < ?",
			    res_names[r]);
			if (prepare(s, q, &s->scan_rollup[r][want]))
				return -1;
		}
	}
	if (prepare(s,
	            "SELECT bucket, dims_id, minutes FROM rollup_hour"
	            " WHERE bucket >= ? AND bucket < ?",
	            &s->scan_rollup[TT_RES_MINUTE][0]))
		return -1;
	return 0;
}

/* ---- minute packs ---- */

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

void store_pack_reset(store_pack *p)
{
	p->len = 0;
}

void store_pack_free(store_pack *p)
{
	free(p->buf);
	memset(p, 0, sizeof *p);
}

int store_pack_add(store_pack *p, int minute, const int64_t m[TT_M_COUNT],
                   const void *const sk[TT_SK_COUNT], const size_t sklen[TT_SK_COUNT])
{
	if (minute < 0 || minute > 59)
		return -1;
	size_t need = 1 + 10 * TT_M_COUNT;
	for (int k = 0; k < TT_SK_COUNT; k++)
		need += 10 + (sk[k] ? sklen[k] : 0);
	if (p->len + need > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		while (cap < p->len + need)
			cap *= 2;
		uint8_t *nb = realloc(p->buf, cap);
		if (!nb)
			return -1;
		p->buf = nb;
		p->cap = cap;
	}
	uint8_t *q = p->buf + p->len;
	*q++ = (uint8_t)minute;
	for (int i = 0; i < TT_M_COUNT; i++) {
		if (m[i] < 0)
			return -1;
		q = put_varint(q, (uint64_t)m[i]);
	}
	for (int k = 0; k < TT_SK_COUNT; k++) {
		size_t n = sk[k] ? sklen[k] : 0;
		q = put_varint(q, n);
		if (n)
			memcpy(q, sk[k], n);
		q += n;
	}
	p->len = (size_t)(q - p->buf);
	return 0;
}

/* One decoded minute of a pack. */
typedef struct pack_entry {
	int minute;
	int64_t m[TT_M_COUNT];
	const uint8_t *sk[TT_SK_COUNT];
	size_t sklen[TT_SK_COUNT];
} pack_entry;

/* Reads the next entry; 1 read, 0 at the end, -1 malformed. Minutes must ascend. */
static int pack_next(const uint8_t **p, const uint8_t *end, int prev, pack_entry *e)
{
	if (*p == end)
		return 0;
	e->minute = *(*p)++;
	if (e->minute > 59 || e->minute <= prev)
		return -1;
	for (int i = 0; i < TT_M_COUNT; i++) {
		uint64_t v;
		if (get_varint(p, end, &v) || v > INT64_MAX)
			return -1;
		e->m[i] = (int64_t)v;
	}
	for (int k = 0; k < TT_SK_COUNT; k++) {
		uint64_t n;
		if (get_varint(p, end, &n) || n > (uint64_t)(end - *p))
			return -1;
		e->sk[k] = n ? *p : NULL;
		e->sklen[k] = (size_t)n;
		*p += n;
	}
	return 1;
}

/* Merges two packs minute by minute (sketches through the store's merge function). */
static int pack_merge(store *s, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                      store_pack *out)
{
	const uint8_t *pa = a, *pb = b, *ea = a + alen, *eb = b + blen;
	pack_entry x, y;
	int ra = pack_next(&pa, ea, -1, &x), rb = pack_next(&pb, eb, -1, &y);
	while (ra > 0 || rb > 0) {
		if (ra < 0 || rb < 0)
			return -1;
		int rc;
		if (rb == 0 || (ra > 0 && x.minute < y.minute)) {
			rc = store_pack_add(out, x.minute, x.m, (const void *const *)x.sk, x.sklen);
			ra = pack_next(&pa, ea, x.minute, &x);
		} else if (ra == 0 || y.minute < x.minute) {
			rc = store_pack_add(out, y.minute, y.m, (const void *const *)y.sk, y.sklen);
			rb = pack_next(&pb, eb, y.minute, &y);
		} else {
			int64_t m[TT_M_COUNT];
			void *sk[TT_SK_COUNT] = {NULL};
			size_t sklen[TT_SK_COUNT] = {0};
			const void *skc[TT_SK_COUNT];
			rc = 0;
			for (int i = 0; i < TT_M_COUNT; i++)
				if (__builtin_add_overflow(x.m[i], y.m[i], &m[i]))
					rc = -1;
			for (int k = 0; k < TT_SK_COUNT; k++) {
				if (!x.sk[k] || !y.sk[k]) {
					skc[k] = x.sk[k] ? x.sk[k] : y.sk[k];
					sklen[k] = x.sk[k] ? x.sklen[k] : y.sklen[k];
				} else if (!s->opts.merge ||
				           s->opts.merge(x.sk[k], x.sklen[k], y.sk[k], y.sklen[k],
				                         &sk[k], &sklen[k])) {
					rc = -1;
					skc[k] = NULL;
				} else {
					skc[k] = sk[k];
				}
			}
			if (!rc)
				rc = store_pack_add(out, x.minute, m, skc, sklen);
			for (int k = 0; k < TT_SK_COUNT; k++)
				free(sk[k]);
			int prev = x.minute;
			ra = pack_next(&pa, ea, prev, &x);
			rb = pack_next(&pb, eb, prev, &y);
		}
		if (rc)
			return -1;
	}
	return ra < 0 || rb < 0 ? -1 : 0;
}

/* Migration 7: a pack's money metrics from micro- to nano-dollars. */
static int pack_to_nanos(const uint8_t *a, size_t alen, store_pack *out)
{
	const uint8_t *p = a, *e = a + alen;
	pack_entry x;
	int r, prev = -1;
	while ((r = pack_next(&p, e, prev, &x)) > 0) {
		if (__builtin_mul_overflow(x.m[TT_M_COST_NANOS], 1000, &x.m[TT_M_COST_NANOS]) ||
		    __builtin_mul_overflow(x.m[TT_M_SAVED_NANOS], 1000, &x.m[TT_M_SAVED_NANOS]) ||
		    store_pack_add(out, x.minute, x.m, (const void *const *)x.sk, x.sklen))
			return -1;
		prev = x.minute;
	}
	return r;
}

static void sql_pack_nanos_of_micros(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	store_pack out = {0};
	if (pack_to_nanos(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]),
	                  &out)) {
		store_pack_free(&out);
		sqlite3_result_error(ctx,
		                     "a minute pack is malformed or its money does not fit in "
		                     "nano-dollars",
		                     -1);
		return;
	}
	sqlite3_result_blob64(ctx, out.buf ? (void *)out.buf : (void *)"", out.len,
	                      out.buf ? free : SQLITE_TRANSIENT);
}

static void sql_nanos_of_micros(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int64_t r;
	if (__builtin_mul_overflow(sqlite3_value_int64(argv[0]), 1000, &r)) {
		sqlite3_result_error(ctx,
		                     "an amount over 9.2 billion USD does not fit in nano-dollars; "
		                     "delete that row (tokentop now refuses such costs) and retry",
		                     -1);
		return;
	}
	sqlite3_result_int64(ctx, r);
}

static void sql_minutes_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	store *s = sqlite3_user_data(ctx);
	(void)argc;
	store_pack out = {0};
	if (pack_merge(s, sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]),
	               sqlite3_value_blob(argv[1]), (size_t)sqlite3_value_bytes(argv[1]), &out)) {
		store_pack_free(&out);
		sqlite3_result_error(
		    ctx,
		    "tt_minutes_merge: a minute pack is malformed or a sum would overflow 64 bits",
		    -1);
		return;
	}
	sqlite3_result_blob64(ctx, out.buf ? (void *)out.buf : (void *)"", out.len,
	                      out.buf ? free : SQLITE_TRANSIENT);
}

size_t store_dims_key(const tt_dims *d, char *buf, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < TT_D_COUNT; i++) {
		const char *v = d->v[i] ? d->v[i] : "";
		size_t l = strlen(v);
		if (n + l + 2 > cap)
			return 0;
		memcpy(buf + n, v, l);
		n += l;
		buf[n++] = '\x1f';
	}
	buf[n] = 0;
	return n;
}

static int load_dims_cb(void *ctx, int64_t id, const tt_dims *d)
{
	store *s = ctx;
	char key[TT_DIMS_KEY_CAP];
	size_t n = store_dims_key(d, key, sizeof key);
	return n ? strmap_put(s->dims, key, n, id) : 0;
}

int store_mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int store_xdg_path(const char *env, const char *fallback, const char *leaf, const char *hint,
                   char *buf, size_t cap, char *err, size_t errlen)
{
	const char *xdg = getenv(env);
	const char *home = getenv("HOME");
	int n;
	if (xdg && *xdg == '/')
		n = snprintf(buf, cap, "%s/tokentop/%s", xdg, leaf);
	else if (home && *home)
		n = snprintf(buf, cap, "%s/%s/tokentop/%s", home, fallback, leaf);
	else {
		seterr(err, errlen, "neither %s nor HOME is set; pass %s", env, hint);
		return -1;
	}
	if (n < 0 || (size_t)n >= cap) {
		seterr(err, errlen, "%s path too long; pass %s", leaf, hint);
		return -1;
	}
	return 0;
}

int store_default_path(char *buf, size_t cap, char *err, size_t errlen)
{
	if (store_xdg_path("XDG_DATA_HOME", ".local/share", "tokentop.db", "--db FILE", buf, cap,
	                   err, errlen))
		return -1;
	if (store_mkdirs(buf)) {
		seterr(err, errlen, "cannot create the directory of %s: %s", buf, strerror(errno));
		return -1;
	}
	return 0;
}

store *store_open(const char *path, const store_opts *o, char *err, size_t errlen)
{
	store *s = calloc(1, sizeof *s);
	if (!s) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (o)
		s->opts = *o;
	snprintf(s->path, sizeof s->path, "%s", path);
	int flags =
	    s->opts.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open database: %s", path,
		       s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, s->opts.busy_ms > 0 ? s->opts.busy_ms : 5000);
	sqlite3_extended_result_codes(s->db, 1);
	if (!s->opts.readonly &&
	    (exec(s, "PRAGMA journal_mode = WAL") || exec(s, "PRAGMA synchronous = NORMAL"))) {
		seterr(err, errlen, "%s: not a usable SQLite database: %s", path,
		       sqlite3_errmsg(s->db));
		store_close(s);
		return NULL;
	}
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%d",
	         s->opts.cache_kib > 0 ? s->opts.cache_kib : 65536);
	exec(s, pragma);
	exec(s, "PRAGMA temp_store = MEMORY");
	sqlite3_create_function(s->db, "tt_add", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                        sql_add, NULL, NULL);
	sqlite3_create_function(s->db, "tt_sketch_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, s,
	                        sql_sketch_merge, NULL, NULL);
	sqlite3_create_function(s->db, "tt_minutes_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, s,
	                        sql_minutes_merge, NULL, NULL);
	sqlite3_create_function(s->db, "tt_nanos_of_micros", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	                        NULL, sql_nanos_of_micros, NULL, NULL);
	sqlite3_create_function(s->db, "tt_pack_nanos_of_micros", 1,
	                        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_pack_nanos_of_micros,
	                        NULL, NULL);
	s->dims = strmap_new();
	if (!s->dims || migrate(s, err, errlen)) {
		if (!s->dims)
			seterr(err, errlen, "out of memory");
		store_close(s);
		return NULL;
	}
	if (prepare_all(s)) {
		seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		store_close(s);
		return NULL;
	}
	if (store_dims_each(s, load_dims_cb, s)) {
		seterr(err, errlen, "%s: cannot load dimensions: %s", path, sqlite3_errmsg(s->db));
		store_close(s);
		return NULL;
	}
	return s;
}

void store_close(store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->ins_event);
	sqlite3_finalize(s->ins_dims);
	for (int r = 0; r < TT_RES_COUNT; r++) {
		sqlite3_finalize(s->ins_rollup[r]);
		sqlite3_finalize(s->scan_rollup[r][0]);
		sqlite3_finalize(s->scan_rollup[r][1]);
	}
	strmap_free(s->dims);
	sqlite3_close(s->db);
	free(s);
}

int store_begin(store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int store_commit(store *s)
{
	return exec(s, "COMMIT");
}

bool store_busy(store *s)
{
	int rc = sqlite3_extended_errcode(s->db) & 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

bool store_in_txn(store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

/* Dimension ids interned inside the abandoned transaction are gone: reload the cache. */
int store_rollback(store *s)
{
	int rc = exec(s, "ROLLBACK");
	strmap_clear(s->dims);
	if (store_dims_each(s, load_dims_cb, s))
		rc = -1;
	return rc;
}

void store_dims_of(const tt_event *ev, tt_dims *d)
{
	d->v[TT_D_USE_CASE] = ev->use_case;
	d->v[TT_D_TEAM] = ev->team;
	d->v[TT_D_TENANT] = ev->tenant;
	d->v[TT_D_PROMPT_ID] = ev->prompt_id;
	d->v[TT_D_PROMPT_VERSION] = ev->prompt_version;
	d->v[TT_D_PROVIDER] = ev->provider;
	d->v[TT_D_MODEL] = ev->model;
	d->v[TT_D_TIER] = ev->tier;
	d->v[TT_D_STATUS] = event_status_name(ev->status);
	d->v[TT_D_CACHE] = event_cache_name(ev->cache);
}

int64_t store_dims_intern(store *s, const tt_dims *d)
{
	char key[TT_DIMS_KEY_CAP];
	size_t n = store_dims_key(d, key, sizeof key);
	if (!n)
		return -1;
	int64_t id = strmap_get(s->dims, key, n);
	if (id >= 0)
		return id;
	sqlite3_stmt *st = s->ins_dims;
	for (int i = 0; i < TT_D_COUNT; i++)
		sqlite3_bind_text(st, i + 1, d->v[i] ? d->v[i] : "", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return -1;
	id = sqlite3_last_insert_rowid(s->db);
	if (strmap_put(s->dims, key, n, id))
		return -1;
	return id;
}

int store_dims_each(store *s, store_dims_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	        s->db,
	        "SELECT id, use_case, team, tenant, prompt_id, prompt_version, provider,"
	        " model, tier, status, cache FROM dims ORDER BY id",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tt_dims d;
		for (int i = 0; i < TT_D_COUNT; i++)
			d.v[i] = (const char *)sqlite3_column_text(st, i + 1);
		if (fn(ctx, sqlite3_column_int64(st, 0), &d)) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

int store_event_insert(store *s, const tt_event *ev, int64_t dims_id)
{
	sqlite3_stmt *st = s->ins_event;
	const char *outcome =
	    ev->outcome == TT_OUTCOME_NONE ? NULL : event_outcome_name(ev->outcome);
	sqlite3_bind_text(st, 1, ev->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ev->ts_ms);
	sqlite3_bind_int64(st, 3, dims_id);
	sqlite3_bind_text(st, 4, ev->gateway, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, ev->elevated);
	sqlite3_bind_int64(st, 6, ev->input_tokens);
	sqlite3_bind_int64(st, 7, ev->output_tokens);
	sqlite3_bind_int64(st, 8, ev->cached_tokens);
	bind_opt(st, 9, ev->latency_ms);
	bind_opt(st, 10, ev->ttft_ms);
	bind_opt(st, 11, ev->retrieval_ms);
	bind_opt(st, 12, ev->queue_ms);
	if (outcome)
		sqlite3_bind_text(st, 13, outcome, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 13);
	bind_opt(st, 14, ev->quality_milli);
	sqlite3_bind_int64(st, 15, ev->cost_nanos);
	sqlite3_bind_text(st, 16, event_cost_source_name(ev->cost_source), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 17, ev->saved_nanos);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(s->db) == 1 ? 1 : 0;
}

static int64_t single_int(store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t store_event_count(store *s)
{
	return single_int(s, "SELECT count(*) FROM events");
}

int store_rollup_add(store *s, tt_res r, const tt_rollup *row)
{
	if (r == TT_RES_MINUTE || (r == TT_RES_HOUR && !row->minutes))
		return -1;
	sqlite3_stmt *st = s->ins_rollup[r];
	int i = 1;
	sqlite3_bind_int64(st, i++, row->bucket);
	sqlite3_bind_int64(st, i++, row->dims_id);
	for (int m = 0; m < TT_M_COUNT; m++)
		sqlite3_bind_int64(st, i++, row->m[m]);
	for (int k = 0; k < TT_SK_COUNT; k++, i++) {
		if (row->sk[k] && row->sklen[k])
			sqlite3_bind_blob64(st, i, row->sk[k], row->sklen[k], SQLITE_STATIC);
		else
			sqlite3_bind_null(st, i);
	}
	if (r == TT_RES_HOUR)
		sqlite3_bind_blob64(st, i, row->minutes, row->minutes_len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Minutes [a, b) from the packs of the hour rows that hold them. */
static int scan_minutes(store *s, int64_t a, int64_t b, bool want, store_rollup_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->scan_rollup[TT_RES_MINUTE][0];
	sqlite3_bind_int64(st, 1, floor_div(a, 3600) * 3600);
	sqlite3_bind_int64(st, 2, b);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t hour = sqlite3_column_int64(st, 0);
		const uint8_t *p = sqlite3_column_blob(st, 2);
		const uint8_t *end = p + sqlite3_column_bytes(st, 2);
		pack_entry e;
		int prev = -1, got;
		tt_rollup row = {.dims_id = sqlite3_column_int64(st, 1)};
		while (!stop && (got = pack_next(&p, end, prev, &e)) > 0) {
			prev = e.minute;
			row.bucket = hour + 60 * e.minute;
			if (row.bucket < a || row.bucket >= b)
				continue;
			memcpy(row.m, e.m, sizeof row.m);
			for (int k = 0; k < TT_SK_COUNT; k++) {
				row.sk[k] = want ? e.sk[k] : NULL;
				row.sklen[k] = want ? e.sklen[k] : 0;
			}
			stop = fn(ctx, TT_RES_MINUTE, &row);
		}
		if (!stop && got < 0) {
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int scan_range(store *s, tt_res r, int64_t a, int64_t b, bool want, store_rollup_fn fn,
                      void *ctx)
{
	if (a >= b)
		return 0;
	if (r == TT_RES_MINUTE)
		return scan_minutes(s, a, b, want, fn, ctx);
	sqlite3_stmt *st = s->scan_rollup[r][want];
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		tt_rollup row;
		row.bucket = sqlite3_column_int64(st, 0);
		row.dims_id = sqlite3_column_int64(st, 1);
		for (int m = 0; m < TT_M_COUNT; m++)
			row.m[m] = sqlite3_column_int64(st, 2 + m);
		for (int k = 0; k < TT_SK_COUNT; k++) {
			row.sk[k] = want ? sqlite3_column_blob(st, 2 + TT_M_COUNT + k) : NULL;
			row.sklen[k] =
			    want ? (size_t)sqlite3_column_bytes(st, 2 + TT_M_COUNT + k) : 0;
		}
		stop = fn(ctx, r, &row);
	}
	sqlite3_reset(st);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int64_t ceil_to(int64_t v, int64_t step)
{
	return -floor_div(-v, step) * step;
}

/* Tiles [a, b) (seconds, minute-aligned) with resolution r and finer ones at the edges. */
static int tile(store *s, int r, int64_t a, int64_t b, bool want, store_rollup_fn fn, void *ctx)
{
	if (a >= b)
		return 0;
	if (r == TT_RES_MINUTE)
		return scan_range(s, TT_RES_MINUTE, a, b, want, fn, ctx);
	int64_t step = res_seconds[r];
	int64_t lo = ceil_to(a, step), hi = floor_div(b, step) * step;
	if (lo >= hi)
		return tile(s, r - 1, a, b, want, fn, ctx);
	int rc = tile(s, r - 1, a, lo, want, fn, ctx);
	if (!rc)
		rc = scan_range(s, (tt_res)r, lo, hi, want, fn, ctx);
	if (!rc)
		rc = tile(s, r - 1, hi, b, want, fn, ctx);
	return rc;
}

int store_rollup_scan(store *s, int64_t since_ms, int64_t until_ms, bool want_sketches,
                      store_rollup_fn fn, void *ctx)
{
	return store_rollup_scan_res(s, since_ms, until_ms, TT_RES_DAY, want_sketches, fn, ctx);
}

int store_rollup_scan_res(store *s, int64_t since_ms, int64_t until_ms, tt_res coarsest,
                          bool want_sketches, store_rollup_fn fn, void *ctx)
{
	int64_t a = floor_div(since_ms, 60000) * 60;
	int64_t b = ceil_to(until_ms, 60000) / 1000;
	if (coarsest >= TT_RES_COUNT)
		return -1;
	return tile(s, coarsest, a, b, want_sketches, fn, ctx);
}

int store_rollup_costs(store *s, tt_res r, int64_t since_ms, int64_t until_ms, store_cost_fn fn,
                       void *ctx)
{
	if (r != TT_RES_HOUR && r != TT_RES_DAY)
		return -1;
	char sql[128];
	snprintf(
	    sql, sizeof sql,
	    "SELECT bucket, dims_id, cost_nanos FROM rollup_%s WHERE bucket >= ? AND bucket < ?",
	    res_names[r]);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	/* a bucket starting at t seconds lies in the range when t * 1000 does */
	sqlite3_bind_int64(st, 1, -floor_div(-since_ms, 1000));
	sqlite3_bind_int64(st, 2, -floor_div(-until_ms, 1000));
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		          sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_time_bounds(store *s, int64_t *first_ms, int64_t *last_ms)
{
	int64_t n = single_int(s, "SELECT count(*) FROM (SELECT 1 FROM rollup_day LIMIT 1)");
	if (n < 0)
		return -1;
	if (n == 0) {
		*first_ms = *last_ms = 0;
		return 0;
	}
	*first_ms = single_int(s, "SELECT min(bucket) FROM rollup_hour") * 1000;
	*last_ms = (single_int(s, "SELECT max(bucket) FROM rollup_hour") + 3600) * 1000;
	return 0;
}

int store_cursor_get(store *s, const char *source, char *buf, size_t cap)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT cursor FROM cursors WHERE source = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	} else if (cap) {
		buf[0] = 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

int store_cursor_set(store *s, const char *source, const char *cursor)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	        s->db,
	        "INSERT INTO cursors (source, cursor, updated_ms)"
	        " VALUES (?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"
	        " ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor,"
	        " updated_ms = excluded.updated_ms",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cursor, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- inference samples ---- */

static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

int store_inference_add(store *s, const tt_inference *x)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	        s->db,
	        "INSERT OR REPLACE INTO inference_samples (source, model_name, ts_ms,"
	        " requests_running, requests_waiting, kv_cache_usage,"
	        " prompt_tokens_total, generation_tokens_total, ttft_buckets)"
	        " VALUES (?,?,?,?,?,?,?,?,?)",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, x->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, x->model_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, x->ts_ms);
	bind_real(st, 4, x->requests_running);
	bind_real(st, 5, x->requests_waiting);
	bind_real(st, 6, x->kv_cache_usage);
	bind_real(st, 7, x->prompt_tokens_total);
	bind_real(st, 8, x->generation_tokens_total);
	if (x->ttft_len)
		sqlite3_bind_blob64(st, 9, x->ttft, x->ttft_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_inference_prune(store *s, int64_t before_ms)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM inference_samples WHERE ts_ms < ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, before_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static double column_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void read_inference(sqlite3_stmt *st, tt_inference *x)
{
	x->source = (const char *)sqlite3_column_text(st, 0);
	x->model_name = (const char *)sqlite3_column_text(st, 1);
	x->ts_ms = sqlite3_column_int64(st, 2);
	x->requests_running = column_real(st, 3);
	x->requests_waiting = column_real(st, 4);
	x->kv_cache_usage = column_real(st, 5);
	x->prompt_tokens_total = column_real(st, 6);
	x->generation_tokens_total = column_real(st, 7);
	x->ttft = sqlite3_column_blob(st, 8);
	x->ttft_len = (size_t)sqlite3_column_bytes(st, 8);
}

int store_inference_latest(store *s, store_inference_fn fn, void *ctx)
{
	sqlite3_stmt *pairs, *last;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT DISTINCT source, model_name FROM inference_samples"
	                       " ORDER BY source, model_name",
	                       -1, &pairs, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(
	        s->db,
	        "SELECT source, model_name, ts_ms, requests_running, requests_waiting,"
	        " kv_cache_usage, prompt_tokens_total, generation_tokens_total,"
	        " ttft_buckets FROM inference_samples WHERE source = ? AND"
	        " model_name = ? ORDER BY ts_ms DESC LIMIT 2",
	        -1, &last, NULL) != SQLITE_OK) {
		sqlite3_finalize(pairs);
		return -1;
	}
	int rc = 0;
	while (!rc && sqlite3_step(pairs) == SQLITE_ROW) {
		sqlite3_bind_value(last, 1, sqlite3_column_value(pairs, 0));
		sqlite3_bind_value(last, 2, sqlite3_column_value(pairs, 1));
		tt_inference a = {0}, b = {0};
		int got = 0;
		/* the newest row is copied out: stepping to the second invalidates its text */
		char src[256], model[256];
		void *blob = NULL;
		while (got < 2 && sqlite3_step(last) == SQLITE_ROW) {
			if (got == 0) {
				read_inference(last, &a);
				snprintf(src, sizeof src, "%s", a.source);
				snprintf(model, sizeof model, "%s", a.model_name);
				a.source = src;
				a.model_name = model;
				if (a.ttft_len) {
					blob = malloc(a.ttft_len);
					if (blob)
						memcpy(blob, a.ttft, a.ttft_len);
					a.ttft = blob;
					if (!blob)
						a.ttft_len = 0;
				}
			} else {
				read_inference(last, &b);
			}
			got++;
		}
		if (got)
			rc = fn(ctx, &a, got > 1 ? &b : NULL);
		free(blob);
		sqlite3_reset(last);
	}
	sqlite3_finalize(pairs);
	sqlite3_finalize(last);
	return rc;
}

int store_inference_range(store *s, const char *source, const char *model_name, int64_t since_ms,
                          int64_t until_ms, store_inference_each_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	        s->db,
	        "SELECT source, model_name, ts_ms, requests_running, requests_waiting,"
	        " kv_cache_usage, prompt_tokens_total, generation_tokens_total, NULL"
	        " FROM inference_samples WHERE source = ? AND model_name = ? AND ts_ms >= ?"
	        " AND ts_ms < ? ORDER BY ts_ms",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, model_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, since_ms);
	sqlite3_bind_int64(st, 4, until_ms);
	int rc = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		tt_inference x;
		read_inference(st, &x);
		if ((rc = fn(ctx, &x)))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(st);
	return rc;
}

/* ---- metric samples ---- */

int store_metric_add(store *s, const char *source, const char *series, const char *labels,
                     int64_t ts_ms, double value)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	        s->db,
	        "INSERT OR REPLACE INTO metric_samples (source, series, labels, ts_ms,"
	        " value) VALUES (?,?,?,?,?)",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, series, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ts_ms);
	bind_real(st, 5, value);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- gateway state ---- */

int store_gwstate_put(store *s, const char *source, const char *kind, const char *body,
                      const char *etag, int64_t fetched_ms)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO gateway_state (source, kind, body, etag,"
	                       " fetched_ms) VALUES (?,?,?,?,?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	if (etag && *etag)
		sqlite3_bind_text(st, 4, etag, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, fetched_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_gwstate_touch(store *s, const char *source, const char *kind, int64_t fetched_ms)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "UPDATE gateway_state SET fetched_ms = ? WHERE source = ? AND"
	                       " kind = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, fetched_ms);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(s->db) ? 1 : 0;
}

static char *dup_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

int store_gwstate_get(store *s, const char *source, const char *kind, char **body, char **etag,
                      int64_t *fetched_ms)
{
	*body = NULL;
	if (etag)
		*etag = NULL;
	if (fetched_ms)
		*fetched_ms = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT body, etag, fetched_ms FROM gateway_state WHERE source = ?"
	                       " AND kind = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		found = 1;
		*body = dup_text(st, 0);
		if (etag && sqlite3_column_type(st, 1) != SQLITE_NULL)
			*etag = dup_text(st, 1);
		if (fetched_ms)
			*fetched_ms = sqlite3_column_int64(st, 2);
		if (!*body || (etag && sqlite3_column_type(st, 1) != SQLITE_NULL && !*etag)) {
			free(*body);
			*body = NULL;
			if (etag) {
				free(*etag);
				*etag = NULL;
			}
			found = -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

int store_gwstate_each(store *s, store_gwstate_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT source, kind, body, etag, fetched_ms FROM gateway_state"
	                       " ORDER BY source, kind",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = 0, step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		tt_gwstate g = {.source = (const char *)sqlite3_column_text(st, 0),
		                .kind = (const char *)sqlite3_column_text(st, 1),
		                .body = (const char *)sqlite3_column_text(st, 2),
		                .len = (size_t)sqlite3_column_bytes(st, 2),
		                .etag = (const char *)sqlite3_column_text(st, 3),
		                .fetched_ms = sqlite3_column_int64(st, 4)};
		rc = fn(ctx, &g);
	}
	if (!rc && step != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(st);
	return rc;
}

/* ---- latest metric samples ---- */

int store_metric_latest(store *s, store_metric_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	/* SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT source, series, labels, MAX(ts_ms), value, COUNT(*)"
	                       " FROM metric_samples GROUP BY source, series, labels"
	                       " ORDER BY source, series, labels",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = 0, step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		tt_metric_point p = {.source = (const char *)sqlite3_column_text(st, 0),
		                     .series = (const char *)sqlite3_column_text(st, 1),
		                     .labels = (const char *)sqlite3_column_text(st, 2),
		                     .ts_ms = sqlite3_column_int64(st, 3),
		                     .value = column_real(st, 4),
		                     .points = sqlite3_column_int64(st, 5)};
		rc = fn(ctx, &p);
	}
	if (!rc && step != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(st);
	return rc;
}
