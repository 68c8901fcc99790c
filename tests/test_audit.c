/* The audit log: the chain round trip, each kind of tampering named, the key file, concurrency. */
#include "testutil.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "../src/store/store_internal.h"
#include "tokentop/audit.h"
#include "tokentop/rollup.h"

static char dir[256];

static void path_of(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static store *open_store(const char *path)
{
	char err[512];
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *s = store_open(path, &o, err, sizeof err);
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

static audit *open_audit(store *s, const char *key)
{
	char err[1400];
	audit *a = audit_open(s, key, err, sizeof err);
	if (!a)
		fail_msg("audit_open: %s", err);
	return a;
}

/* A key file holding the given hex. */
static void write_key(const char *path, const char *hex, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, hex, strlen(hex)), (ssize_t)strlen(hex));
	fchmod(fd, mode);
	close(fd);
}

static const char key_a[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
static const char key_b[] = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void append_n(audit *a, int n, const char *tag)
{
	char err[512], reason[64];
	for (int i = 0; i < n; i++) {
		snprintf(reason, sizeof reason, "%s %d", tag, i);
		audit_record r = {.actor = "alice",
		                  .role = "operator",
		                  .host = "h1",
		                  .kind = "action",
		                  .action = "throttle",
		                  .gateway = "prod",
		                  .scope = "use_case=support-bot",
		                  .params = "{\"rps\":5}",
		                  .reason = reason,
		                  .state_before = "{}",
		                  .state_after = "{\"rps\":5}",
		                  .status = "applied",
		                  .control_id = "c1",
		                  .response = "{\"ok\":true}",
		                  .idem_key = "k"};
		if (audit_append(a, &r, err, sizeof err))
			fail_msg("audit_append: %s", err);
	}
}

/* A log of n records in a fresh file, keyed by key_a. */
static void make_log(const char *db, const char *key, int n)
{
	char side[600];
	unlink(db);
	snprintf(side, sizeof side, "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", db);
	unlink(side);
	write_key(key, key_a, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	append_n(a, n, "r");
	audit_close(a);
	store_close(s);
}

static void verify_path(const char *db, const char *key, audit_verdict *v)
{
	store *s = open_store(db);
	char err[1400];
	audit *a = audit_open_mode(s, key, AUDIT_KEY_EXISTING, err, sizeof err);
	if (!a)
		fail_msg("audit_open_mode: %s", err);
	assert_int_equal(audit_verify(a, v), 0);
	audit_close(a);
	store_close(s);
}

/* Runs SQL on its own connection with the append-only triggers dropped: what someone with
 * write access to the file, but not the key, can do. */
static void tamper(const char *db, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(h,
	                      "DROP TRIGGER IF EXISTS audit_no_update;"
	                      "DROP TRIGGER IF EXISTS audit_no_delete;",
	                      NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("tamper '%s': %s", sql, msg ? msg : "?");
	sqlite3_close(h);
}

static void assert_broken(const char *db, const char *key, int64_t seq, const char *why)
{
	audit_verdict v;
	verify_path(db, key, &v);
	if (v.ok || v.bad_seq != seq || strcmp(v.why, why))
		fail_msg("expected seq %lld '%s', got ok=%d seq %lld '%s'", (long long)seq, why,
		         v.ok, (long long)v.bad_seq, v.why);
}

/* The records a walk saw; the strings it needs are copied (the walk's live only in its call). */
typedef struct collected {
	audit_record r[64];
	char reason[64][64], as_name[64][64], gateway[64][64];
	int n;
} collected;

static int collect(void *ctx, const audit_record *r)
{
	collected *c = ctx;
	if (c->n == 64)
		return 1;
	audit_record *x = &c->r[c->n];
	memset(x, 0, sizeof *x);
	x->seq = r->seq;
	x->ts_ms = r->ts_ms;
	x->ref_seq = r->ref_seq;
	memcpy(x->prev_mac, r->prev_mac, sizeof x->prev_mac);
	memcpy(x->mac, r->mac, sizeof x->mac);
	snprintf(c->reason[c->n], sizeof c->reason[0], "%s", r->reason);
	snprintf(c->as_name[c->n], sizeof c->as_name[0], "%s", r->as_name);
	snprintf(c->gateway[c->n], sizeof c->gateway[0], "%s", r->gateway);
	x->reason = c->reason[c->n];
	x->as_name = c->as_name[c->n];
	x->gateway = c->gateway[c->n];
	c->n++;
	return 0;
}

static void test_round_trip(void **state)
{
	(void)state;
	char db[512], key[512], err[512];
	path_of(db, sizeof db, "rt.db");
	path_of(key, sizeof key, "rt.key");
	write_key(key, key_a, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	audit_record first = {.actor = "alice",
	                      .kind = "incident",
	                      .action = "open",
	                      .status = "recorded",
	                      .params = "{\"kind\":\"cost\"}"};
	assert_int_equal(audit_append(a, &first, err, sizeof err), 0);
	assert_int_equal(first.seq, 1);
	assert_true(first.ts_ms > 1700000000000LL); /* 0 means now */
	assert_string_equal(first.prev_mac, "");
	assert_int_equal(strlen(first.mac), 64);
	audit_record second = {.ts_ms = 1234,
	                       .actor = "bob",
	                       .as_name = "carol",
	                       .kind = "note",
	                       .action = "note",
	                       .status = "recorded",
	                       .ref_seq = 1};
	assert_int_equal(audit_append(a, &second, err, sizeof err), 0);
	assert_int_equal(second.seq, 2);
	assert_int_equal(second.ts_ms, 1234);
	assert_string_equal(second.prev_mac, first.mac);
	append_n(a, 3, "more");

	collected c = {0};
	assert_int_equal(audit_each(a, INT64_MIN, collect, &c), 0);
	assert_int_equal(c.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(c.r[i].seq, i + 1);
	assert_string_equal(c.r[0].mac, first.mac);
	assert_string_equal(c.r[1].as_name, "carol");
	assert_string_equal(c.r[1].gateway, ""); /* NULL is stored as "" */
	assert_int_equal(c.r[1].ref_seq, 1);
	assert_string_equal(c.r[4].reason, "more 2");
	for (int i = 1; i < 5; i++)
		assert_string_equal(c.r[i].prev_mac, c.r[i - 1].mac);

	memset(&c, 0, sizeof c); /* since the first: record 2, dated 1234 ms, is left out */
	assert_int_equal(audit_each(a, first.ts_ms, collect, &c), 0);
	assert_int_equal(c.n, 4);
	memset(&c, 0, sizeof c);
	assert_int_equal(audit_each_after(a, 3, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].seq, 4);

	audit_verdict v;
	assert_int_equal(audit_verify(a, &v), 0);
	assert_true(v.ok);
	assert_int_equal(v.records, 5);
	audit_close(a);
	store_close(s);
	verify_path(db, key, &v);
	assert_true(v.ok);

	/* a callback's non-zero stops the walk and is returned */
	s = open_store(db);
	a = open_audit(s, key);
	memset(&c, 0, sizeof c);
	c.n = 64;
	assert_int_equal(audit_each(a, INT64_MIN, collect, &c), 1);
	audit_close(a);
	store_close(s);
}

/* The MAC is HMAC-SHA256 over the encoding docs/audit.md gives: recomputed here by hand. */
static void put_field(unsigned char *buf, size_t *n, const char *s)
{
	size_t len = strlen(s);
	buf[(*n)++] = (unsigned char)(len >> 24);
	buf[(*n)++] = (unsigned char)(len >> 16);
	buf[(*n)++] = (unsigned char)(len >> 8);
	buf[(*n)++] = (unsigned char)len;
	memcpy(buf + *n, s, len);
	*n += len;
}

static void test_documented_encoding(void **state)
{
	(void)state;
	char db[512], key[512], err[512];
	path_of(db, sizeof db, "enc.db");
	path_of(key, sizeof key, "enc.key");
	write_key(key, key_a, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	audit_record r = {.ts_ms = 1764000000000LL,
	                  .actor = "alice",
	                  .role = "admin",
	                  .kind = "action",
	                  .action = "kill-switch",
	                  .scope = "use_case=x",
	                  .params = "{}",
	                  .reason = "r,\"q\"",
	                  .status = "pending"};
	assert_int_equal(audit_append(a, &r, err, sizeof err), 0);
	audit_record r2 = {
	    .ts_ms = -5, .kind = "action", .action = "lift", .status = "applied", .ref_seq = 1};
	assert_int_equal(audit_append(a, &r2, err, sizeof err), 0);
	audit_close(a);
	store_close(s);

	unsigned char k[32];
	for (int i = 0; i < 32; i++)
		k[i] = (unsigned char)i;
	const char *vals[][21] = {
	    {"tokentop-audit-v1",
	     "1",
	     "1764000000000",
	     "alice",
	     "",
	     "admin",
	     "",
	     "action",
	     "kill-switch",
	     "",
	     "use_case=x",
	     "{}",
	     "r,\"q\"",
	     "",
	     "",
	     "pending",
	     "0",
	     "",
	     "",
	     "",
	     ""},
	    {"tokentop-audit-v1",
	     "2",
	     "-5",
	     "",
	     "",
	     "",
	     "",
	     "action",
	     "lift",
	     "",
	     "",
	     "",
	     "",
	     "",
	     "",
	     "applied",
	     "1",
	     "",
	     "",
	     "",
	     r.mac},
	};
	const char *macs[] = {r.mac, r2.mac};
	for (int j = 0; j < 2; j++) {
		unsigned char buf[1024], md[32];
		size_t n = 0;
		unsigned int mdlen = 0;
		for (int i = 0; i < 21; i++)
			put_field(buf, &n, vals[j][i]);
		HMAC(EVP_sha256(), k, 32, buf, n, md, &mdlen);
		char hex[65];
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		assert_string_equal(hex, macs[j]);
	}
}

/* Length prefixes: moving a byte from one field to the next changes the MAC. */
static void test_fields_do_not_run_together(void **state)
{
	(void)state;
	char db[512], key[512], err[512], macs[2][65];
	path_of(key, sizeof key, "sep.key");
	write_key(key, key_a, 0600);
	const char *actors[] = {"ab", "a"}, *as[] = {"", "b"};
	for (int i = 0; i < 2; i++) {
		snprintf(db, sizeof db, "%s/sep%d.db", dir, i);
		store *s = open_store(db);
		audit *a = open_audit(s, key);
		audit_record r = {.ts_ms = 1,
		                  .actor = actors[i],
		                  .as_name = as[i],
		                  .kind = "note",
		                  .status = "recorded"};
		assert_int_equal(audit_append(a, &r, err, sizeof err), 0);
		memcpy(macs[i], r.mac, 65);
		audit_close(a);
		store_close(s);
	}
	assert_string_not_equal(macs[0], macs[1]);
}

static void test_refused_records(void **state)
{
	(void)state;
	char db[512], key[512], err[512];
	path_of(db, sizeof db, "refuse.db");
	path_of(key, sizeof key, "refuse.key");
	write_key(key, key_a, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	audit_record r = {.kind = "frobnicate", .status = "recorded"};
	assert_int_equal(audit_append(a, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "frobnicate"));
	audit_record r2 = {.kind = "note", .status = "done"};
	assert_int_equal(audit_append(a, &r2, err, sizeof err), -1);
	assert_non_null(strstr(err, "'done'"));
	audit_record r3 = {.kind = "note", .status = "recorded", .ref_seq = 7};
	assert_int_equal(audit_append(a, &r3, err, sizeof err), -1);
	assert_non_null(strstr(err, "ref_seq 7"));
	audit_verdict v;
	assert_int_equal(audit_verify(a, &v), 0);
	assert_true(v.ok);
	assert_int_equal(v.records, 0); /* nothing was half-written */
	audit_close(a);

	/* without the key: reading only */
	a = audit_open_mode(s, NULL, AUDIT_KEY_NONE, err, sizeof err);
	assert_non_null(a);
	assert_null(audit_key_path(a));
	audit_record r4 = {.kind = "note", .status = "recorded"};
	assert_int_equal(audit_append(a, &r4, err, sizeof err), -1);
	assert_int_equal(audit_verify(a, &v), -1);
	audit_close(a);
	store_close(s);
}

static void test_append_inside_a_transaction(void **state)
{
	(void)state;
	char db[512], key[512], err[512];
	path_of(db, sizeof db, "tx.db");
	path_of(key, sizeof key, "tx.key");
	write_key(key, key_a, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	assert_int_equal(store_begin(s), 0);
	append_n(a, 1, "gone");
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_begin(s), 0);
	audit_record r = {.kind = "note", .status = "recorded"};
	assert_int_equal(audit_append(a, &r, err, sizeof err), 0);
	assert_int_equal(r.seq, 1);
	assert_int_equal(store_commit(s), 0);
	audit_verdict v;
	assert_int_equal(audit_verify(a, &v), 0);
	assert_true(v.ok);
	assert_int_equal(v.records, 1);
	audit_close(a);
	store_close(s);
}

static void test_key_created_private(void **state)
{
	(void)state;
	char db[512], key[512], err[1400];
	path_of(db, sizeof db, "new.db");
	snprintf(key, sizeof key, "%s/cfg/deeper/audit.key", dir);
	store *s = open_store(db);

	/* verifying never makes a key: a fresh one would only fail every record */
	assert_null(audit_open_mode(s, key, AUDIT_KEY_EXISTING, err, sizeof err));
	assert_non_null(strstr(err, key));
	assert_int_equal(access(key, F_OK), -1);

	mode_t old = umask(0); /* a careless umask does not widen the key */
	audit *a = open_audit(s, key);
	umask(old);
	struct stat sb;
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 65); /* 64 hex digits and a newline */
	char dpath[512];
	snprintf(dpath, sizeof dpath, "%s/cfg/deeper", dir);
	assert_int_equal(stat(dpath, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_string_equal(audit_key_path(a), key);
	append_n(a, 2, "x");
	audit_close(a);

	/* the same key is read back, not replaced */
	char *before = tu_slurp(key, NULL);
	a = open_audit(s, key);
	char *after = tu_slurp(key, NULL);
	assert_string_equal(before, after);
	audit_verdict v;
	assert_int_equal(audit_verify(a, &v), 0);
	assert_true(v.ok);
	free(before);
	free(after);
	audit_close(a);

	/* the default: $XDG_CONFIG_HOME/tokentop/audit.key */
	char xdg[400], buf[512];
	snprintf(xdg, sizeof xdg, "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_int_equal(audit_default_secret_path(buf, sizeof buf, err, sizeof err), 0);
	snprintf(dpath, sizeof dpath, "%s/tokentop/audit.key", xdg);
	assert_string_equal(buf, dpath);
	a = open_audit(s, NULL);
	assert_string_equal(audit_key_path(a), dpath);
	audit_close(a);
	store_close(s);
}

static void test_key_refused(void **state)
{
	(void)state;
	char db[512], key[512], err[1400], want[600];
	path_of(db, sizeof db, "kr.db");
	path_of(key, sizeof key, "kr.key");
	store *s = open_store(db);
	static const mode_t open_modes[] = {0644, 0640, 0604, 0660, 0602};
	for (size_t i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
		write_key(key, key_a, open_modes[i]);
		assert_null(audit_open(s, key, err, sizeof err));
		snprintf(want, sizeof want, "chmod 600 %s", key);
		assert_non_null(strstr(err, want));
		assert_true(strncmp(err, key, strlen(key)) == 0); /* names the file first */
	}
	write_key(key, "00112233445566778899aabbccddeeff", 0600); /* 16 bytes */
	assert_null(audit_open(s, key, err, sizeof err));
	assert_non_null(strstr(err, "too short"));
	assert_non_null(strstr(err, key));
	write_key(key, "", 0600);
	assert_null(audit_open(s, key, err, sizeof err));
	assert_non_null(strstr(err, "too short"));
	write_key(key, "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600);
	assert_null(audit_open(s, key, err, sizeof err));
	assert_non_null(strstr(err, "not hex"));
	unlink(key);
	assert_int_equal(mkdir(key, 0700), 0); /* a directory is not a key */
	assert_null(audit_open(s, key, err, sizeof err));
	assert_non_null(strstr(err, key));
	rmdir(key);
	store_close(s);
}

static void test_edited_fields(void **state)
{
	(void)state;
	char db[512], key[512], sql[512], why[128];
	path_of(db, sizeof db, "edit.db");
	path_of(key, sizeof key, "edit.key");
	/* a changed byte in any field of a record, first, middle or last */
	static const char *const text[] = {
	    "actor",   "as_name",    "role",     "host",     "kind",         "action",
	    "gateway", "scope",      "params",   "reason",   "state_before", "state_after",
	    "status",  "control_id", "response", "idem_key", "prev_mac",     "mac",
	};
	static const int seqs[] = {1, 3, 5};
	for (size_t s = 0; s < sizeof seqs / sizeof seqs[0]; s++) {
		for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
			make_log(db, key, 5);
			snprintf(sql, sizeof sql,
			         "UPDATE audit SET %s = CASE WHEN substr(%s, 1, 1) = 'X' THEN 'Y'"
			         " ELSE 'X' END || substr(%s, 2) WHERE seq = %d",
			         text[i], text[i], text[i], seqs[s]);
			tamper(db, sql);
			snprintf(why, sizeof why, "seq %d: mac does not match its fields", seqs[s]);
			assert_broken(db, key, seqs[s], why);
		}
		static const char *const ints[] = {"ts_ms", "ref_seq"};
		for (size_t i = 0; i < 2; i++) {
			make_log(db, key, 5);
			snprintf(sql, sizeof sql, "UPDATE audit SET %s = %s + 1 WHERE seq = %d",
			         ints[i], ints[i], seqs[s]);
			tamper(db, sql);
			snprintf(why, sizeof why, "seq %d: mac does not match its fields", seqs[s]);
			assert_broken(db, key, seqs[s], why);
		}
	}
	/* a NUL smuggled into a field, behind text that still reads the same */
	make_log(db, key, 5);
	tamper(db, "UPDATE audit SET reason = CAST(reason || X'00' || 'hidden' AS TEXT)"
	           " WHERE seq = 2");
	assert_broken(db, key, 2, "seq 2: mac does not match its fields");
	/* a number stored as text */
	make_log(db, key, 5);
	tamper(db, "UPDATE audit SET ts_ms = CAST(ts_ms AS TEXT) || 'x' WHERE seq = 4");
	assert_broken(db, key, 4, "seq 4: ts_ms is not an integer");
}

static void test_deleted_records(void **state)
{
	(void)state;
	char db[512], key[512];
	path_of(db, sizeof db, "del.db");
	path_of(key, sizeof key, "del.key");
	make_log(db, key, 10);
	tamper(db, "DELETE FROM audit WHERE seq = 9");
	assert_broken(db, key, 9, "seq 9 missing (after 8)");
	make_log(db, key, 10);
	tamper(db, "DELETE FROM audit WHERE seq IN (4, 5)");
	assert_broken(db, key, 4, "seq 4 missing (after 3)");
	make_log(db, key, 3);
	tamper(db, "DELETE FROM audit WHERE seq = 1");
	assert_broken(db, key, 1, "seq 1 missing (the log starts at seq 2)");
	/* renumbering the rest down does not hide a deletion: seq is in the MAC */
	make_log(db, key, 5);
	tamper(db, "DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3");
	assert_broken(db, key, 3, "seq 3: mac does not match its fields");
}

static void test_reordered_records(void **state)
{
	(void)state;
	char db[512], key[512];
	path_of(db, sizeof db, "swap.db");
	path_of(key, sizeof key, "swap.key");
	/* the sequence numbers of 6 and 7 swapped */
	make_log(db, key, 8);
	tamper(db, "UPDATE audit SET seq = -7 WHERE seq = 7;"
	           "UPDATE audit SET seq = 7 WHERE seq = 6;"
	           "UPDATE audit SET seq = 6 WHERE seq = -7");
	assert_broken(db, key, 6, "seq 6: mac does not match its fields");
	/* everything but the numbers swapped */
	make_log(db, key, 8);
	tamper(db, "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (2, 3);"
	           "UPDATE audit SET (ts_ms, reason, prev_mac, mac) = (SELECT ts_ms, reason,"
	           " prev_mac, mac FROM t WHERE t.seq = 5 - audit.seq) WHERE seq IN (2, 3)");
	assert_broken(db, key, 2, "seq 2: mac does not match its fields");
}

/* A record that is genuine, but from another log under the same key. */
static void test_spliced_record(void **state)
{
	(void)state;
	char db[512], other[512], key[512], sql[1200];
	path_of(db, sizeof db, "splice.db");
	path_of(other, sizeof other, "splice-other.db");
	path_of(key, sizeof key, "splice.key");
	make_log(other, key, 5);
	/* the other log differs from its second record on */
	unlink(db);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	append_n(a, 1, "r");
	append_n(a, 4, "different");
	audit_close(a);
	store_close(s);
	snprintf(sql, sizeof sql,
	         "ATTACH '%s' AS o; DELETE FROM audit WHERE seq = 3;"
	         "INSERT INTO audit SELECT * FROM o.audit WHERE seq = 3",
	         other);
	tamper(db, sql);
	assert_broken(db, key, 3, "seq 3: prev_mac is not seq 2's mac");
	/* and a first record that claims a predecessor */
	make_log(other, key, 2);
	snprintf(sql, sizeof sql,
	         "ATTACH '%s' AS o; DELETE FROM audit; INSERT INTO audit SELECT 1, ts_ms, actor,"
	         " as_name, role, host, kind, action, gateway, scope, params, reason,"
	         " state_before, state_after, status, ref_seq, control_id, response, idem_key,"
	         " prev_mac, mac FROM o.audit WHERE seq = 2",
	         other);
	tamper(db, sql);
	assert_broken(db, key, 1, "seq 1: mac does not match its fields");
}

static void test_rekeyed(void **state)
{
	(void)state;
	char db[512], key[512], key2[512];
	path_of(db, sizeof db, "rekey.db");
	path_of(key, sizeof key, "rekey.key");
	path_of(key2, sizeof key2, "rekey2.key");
	make_log(db, key, 3);
	write_key(key2, key_b, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key2);
	append_n(a, 2, "other key");
	audit_close(a);
	store_close(s);
	assert_broken(db, key, 4, "seq 4: mac does not match its fields");
	assert_broken(db, key2, 1, "seq 1: mac does not match its fields");
}

static void test_triggers_refuse(void **state)
{
	(void)state;
	char db[512], key[512];
	path_of(db, sizeof db, "trig.db");
	path_of(key, sizeof key, "trig.key");
	make_log(db, key, 3);
	store *s = open_store(db);
	sqlite3 *h = store_sqlite(s);
	char *msg = NULL;
	assert_int_not_equal(
	    sqlite3_exec(h, "UPDATE audit SET reason = 'x' WHERE seq = 2", NULL, NULL, &msg),
	    SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM audit WHERE seq = 3", NULL, NULL, &msg),
	                     SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	store_close(s);
	audit_verdict v;
	verify_path(db, key, &v);
	assert_true(v.ok);
	assert_int_equal(v.records, 3);
}

/* Two processes appending to one file at once: each record chains onto the one before. */
static void test_concurrent_appends(void **state)
{
	(void)state;
	char db[512], key[512];
	path_of(db, sizeof db, "conc.db");
	path_of(key, sizeof key, "conc.key");
	make_log(db, key, 1);
	enum { PER_CHILD = 60 };
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			char err[1400];
			store_opts o = {.merge = rollup_sketch_blob_merge};
			store *s = store_open(db, &o, err, sizeof err);
			audit *a = s ? audit_open(s, key, err, sizeof err) : NULL;
			int bad = !a;
			for (int i = 0; !bad && i < PER_CHILD; i++) {
				audit_record r = {.actor = k ? "child1" : "child0",
				                  .kind = "note",
				                  .status = "recorded"};
				bad = audit_append(a, &r, err, sizeof err) != 0;
			}
			if (bad)
				fprintf(stderr, "child %d: %s\n", k, err);
			audit_close(a);
			store_close(s);
			_exit(bad);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	audit_verdict v;
	verify_path(db, key, &v);
	assert_true(v.ok);
	assert_int_equal(v.records, 1 + 2 * PER_CHILD);

	/* two handles in one process, alternately */
	store *s1 = open_store(db), *s2 = open_store(db);
	audit *a1 = open_audit(s1, key), *a2 = open_audit(s2, key);
	for (int i = 0; i < 10; i++)
		append_n(i % 2 ? a1 : a2, 1, "alt");
	audit_close(a1);
	audit_close(a2);
	store_close(s1);
	store_close(s2);
	verify_path(db, key, &v);
	assert_true(v.ok);
	assert_int_equal(v.records, 11 + 2 * PER_CHILD);
}

static void test_open_pending(void **state)
{
	(void)state;
	char db[512], key[512], err[512];
	path_of(db, sizeof db, "pend.db");
	path_of(key, sizeof key, "pend.key");
	write_key(key, key_a, 0600);
	store *s = open_store(db);
	audit *a = open_audit(s, key);
	static const struct {
		const char *kind, *status;
		int64_t ref;
	} recs[] = {
	    {"action", "pending", 0},  /* 1: completed by 3 */
	    {"action", "pending", 0},  /* 2: open */
	    {"action", "applied", 1},  /* 3 */
	    {"signoff", "pending", 0}, /* 4: not an action */
	    {"action", "pending", 0},  /* 5: failed by 6 */
	    {"action", "failed", 5},   /* 6 */
	    {"action", "pending", 0},  /* 7: open */
	    {"note", "recorded", 7},   /* 8: a note does not complete it */
	    {"action", "applied", 0},  /* 9 */
	};
	for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
		audit_record r = {.kind = recs[i].kind,
		                  .action = "throttle",
		                  .status = recs[i].status,
		                  .ref_seq = recs[i].ref};
		assert_int_equal(audit_append(a, &r, err, sizeof err), 0);
	}
	collected c = {0};
	assert_int_equal(audit_each_open_pending(a, collect, &c), 0);
	/* any later record naming a pending one answers it, the note on 7 too (docs/audit.md) */
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].seq, 2);
	audit_close(a);
	store_close(s);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_documented_encoding),
	    cmocka_unit_test(test_fields_do_not_run_together),
	    cmocka_unit_test(test_refused_records),
	    cmocka_unit_test(test_append_inside_a_transaction),
	    cmocka_unit_test(test_key_created_private),
	    cmocka_unit_test(test_key_refused),
	    cmocka_unit_test(test_edited_fields),
	    cmocka_unit_test(test_deleted_records),
	    cmocka_unit_test(test_reordered_records),
	    cmocka_unit_test(test_spliced_record),
	    cmocka_unit_test(test_rekeyed),
	    cmocka_unit_test(test_triggers_refuse),
	    cmocka_unit_test(test_concurrent_appends),
	    cmocka_unit_test(test_open_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
