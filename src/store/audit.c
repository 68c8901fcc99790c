/* The audit log: records chained by HMAC-SHA256 over a length-prefixed encoding (docs/audit.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "store_internal.h"
#include "tokentop/audit.h"
#include "tokentop/timeutil.h"

#define KEY_MIN   32   /* bytes: the size of the digest, as RFC 2104 recommends */
#define KEY_MAX   1024 /* bytes: anything longer is not a key file */
#define MAC_BYTES 32

/* The first field of every encoded record: a new encoding gets a new tag, never a reuse. */
static const char encoding_tag[] = "tokentop-audit-v1";

/* The columns in MAC order; the encoding, the insert and every SELECT follow this table. */
enum col {
	C_SEQ,
	C_TS_MS,
	C_ACTOR,
	C_AS_NAME,
	C_ROLE,
	C_HOST,
	C_KIND,
	C_ACTION,
	C_GATEWAY,
	C_SCOPE,
	C_PARAMS,
	C_REASON,
	C_STATE_BEFORE,
	C_STATE_AFTER,
	C_STATUS,
	C_REF_SEQ,
	C_CONTROL_ID,
	C_RESPONSE,
	C_IDEM_KEY,
	C_PREV_MAC,
	NFIELDS,         /* the MAC'd columns */
	C_MAC = NFIELDS, /* and the MAC after them */
	COL_COUNT
};
typedef enum { F_INT, F_TEXT } ftype;
static const struct field {
	const char *name;
	ftype type;
} fields[NFIELDS] = {
    [C_SEQ] = {"seq", F_INT},
    [C_TS_MS] = {"ts_ms", F_INT},
    [C_ACTOR] = {"actor", F_TEXT},
    [C_AS_NAME] = {"as_name", F_TEXT},
    [C_ROLE] = {"role", F_TEXT},
    [C_HOST] = {"host", F_TEXT},
    [C_KIND] = {"kind", F_TEXT},
    [C_ACTION] = {"action", F_TEXT},
    [C_GATEWAY] = {"gateway", F_TEXT},
    [C_SCOPE] = {"scope", F_TEXT},
    [C_PARAMS] = {"params", F_TEXT},
    [C_REASON] = {"reason", F_TEXT},
    [C_STATE_BEFORE] = {"state_before", F_TEXT},
    [C_STATE_AFTER] = {"state_after", F_TEXT},
    [C_STATUS] = {"status", F_TEXT},
    [C_REF_SEQ] = {"ref_seq", F_INT},
    [C_CONTROL_ID] = {"control_id", F_TEXT},
    [C_RESPONSE] = {"response", F_TEXT},
    [C_IDEM_KEY] = {"idem_key", F_TEXT},
    [C_PREV_MAC] = {"prev_mac", F_TEXT},
};

static const char *const kinds[] = {"action", "signoff", "incident", "note", "reconcile"};
static const char *const statuses[] = {"pending", "applied", "failed", "rolled_back", "recorded"};

struct audit {
	sqlite3 *db;
	EVP_MAC *hmac;
	EVP_MAC_CTX *keyed; /* initialised with the key when first needed; duplicated per record */
	unsigned char key[KEY_MAX]; /* read (and so checked) at open: OpenSSL's HMAC costs */
	size_t keylen;              /* megabytes of memory a console that never writes saves */
	bool has_key;
	char select_cols[512];
	char key_path[1024];
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int audit_default_secret_path(char *buf, size_t cap, char *err, size_t errlen)
{
	return store_xdg_path("XDG_CONFIG_HOME", ".config", "audit.key", "--secret FILE", buf, cap,
	                      err, errlen);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void hex_encode(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes a fresh key beside path and links it into place: link() fails if another process got
 * there first, so no reader ever sees a half-written key and no key is ever replaced. 1 when
 * created, 0 when another process created it meanwhile, -1 on error. */
static int key_create(const char *path, char *err, size_t errlen)
{
	if (store_mkdirs(path)) {
		seterr(err, errlen, "%s: cannot create its directory: %s", path, strerror(errno));
		return -1;
	}
	unsigned char raw[KEY_MIN];
	char hex[2 * KEY_MIN + 2];
	if (RAND_bytes(raw, sizeof raw) != 1) {
		seterr(err, errlen, "%s: no random bytes for a new audit key", path);
		return -1;
	}
	hex_encode(raw, sizeof raw, hex);
	OPENSSL_cleanse(raw, sizeof raw);
	strcat(hex, "\n");
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		seterr(err, errlen, "%s: cannot create the audit key: %s", tmp, strerror(errno));
		OPENSSL_cleanse(hex, sizeof hex);
		return -1;
	}
	int bad = fchmod(fd, 0600) || write_all(fd, hex, strlen(hex)) || fsync(fd);
	int saved = errno;
	OPENSSL_cleanse(hex, sizeof hex);
	if (close(fd) && !bad) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		unlink(tmp);
		seterr(err, errlen, "%s: cannot write the audit key: %s", tmp, strerror(saved));
		return -1;
	}
	int rc = link(tmp, path);
	saved = errno;
	unlink(tmp);
	if (rc == 0)
		return 1;
	if (saved == EEXIST)
		return 0;
	seterr(err, errlen, "%s: cannot create the audit key: %s", path, strerror(saved));
	return -1;
}

/* Reads and checks the key file: private to its owner, hex, at least KEY_MIN bytes. */
static int key_read(const char *path, unsigned char *key, size_t *keylen, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		seterr(err, errlen, "%s: cannot open the audit key: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		seterr(err, errlen, "%s: the audit key is not a regular file", path);
		close(fd);
		return -1;
	}
	if (sb.st_mode & 077) {
		seterr(err, errlen,
		       "%s: the audit key is open to group or others (mode %04o); "
		       "fix it with: chmod 600 %s",
		       path, (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	char buf[2 * KEY_MAX + 16];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(err, errlen, "%s: cannot read the audit key: %s", path,
			       strerror(errno));
			close(fd);
			OPENSSL_cleanse(buf, sizeof buf);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	int rc = -1;
	if (n == sizeof buf || n / 2 > KEY_MAX)
		seterr(err, errlen, "%s: the audit key is too long (at most %d hex digits)", path,
		       2 * KEY_MAX);
	else if (n % 2)
		seterr(err, errlen, "%s: the audit key is not hex (an odd number of digits)", path);
	else if (n / 2 < KEY_MIN)
		seterr(err, errlen,
		       "%s: the audit key is too short (%zu bytes; at least %d, as %d hex "
		       "digits); move it aside to have a new one made",
		       path, n / 2, KEY_MIN, 2 * KEY_MIN);
	else {
		rc = 0;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				seterr(err, errlen,
				       "%s: the audit key is not hex (expected %d or more hex "
				       "digits on one line)",
				       path, 2 * KEY_MIN);
				rc = -1;
				break;
			}
			key[i] = (unsigned char)(hi << 4 | lo);
		}
		*keylen = n / 2;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

static int key_load(audit *a, const char *path, audit_key_mode mode, char *err, size_t errlen)
{
	if (mode == AUDIT_KEY_CREATE && access(path, F_OK) != 0 && errno == ENOENT &&
	    key_create(path, err, errlen) < 0)
		return -1;
	if (mode == AUDIT_KEY_EXISTING && access(path, F_OK) != 0 && errno == ENOENT) {
		seterr(err, errlen,
		       "%s: no audit key; verify with the key the log was written with "
		       "(--secret FILE)",
		       path);
		return -1;
	}
	unsigned char key[KEY_MAX];
	size_t keylen = 0;
	if (key_read(path, key, &keylen, err, errlen))
		return -1;
	memcpy(a->key, key, keylen);
	a->keylen = keylen;
	a->has_key = true;
	OPENSSL_cleanse(key, sizeof key);
	snprintf(a->key_path, sizeof a->key_path, "%s", path);
	return 0;
}

audit *audit_open_mode(store *s, const char *secret_path, audit_key_mode mode, char *err,
                       size_t errlen)
{
	audit *a = calloc(1, sizeof *a);
	if (!a) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	a->db = store_sqlite(s);
	size_t off = 0;
	for (int i = 0; i < COL_COUNT; i++)
		off += (size_t)snprintf(a->select_cols + off, sizeof a->select_cols - off, "%s%s",
		                        i ? ", " : "", i < NFIELDS ? fields[i].name : "mac");
	if (mode == AUDIT_KEY_NONE)
		return a;
	char def[1024];
	if (!secret_path) {
		if (audit_default_secret_path(def, sizeof def, err, errlen)) {
			audit_close(a);
			return NULL;
		}
		secret_path = def;
	}
	if (key_load(a, secret_path, mode, err, errlen)) {
		audit_close(a);
		return NULL;
	}
	return a;
}

audit *audit_open(store *s, const char *secret_path, char *err, size_t errlen)
{
	return audit_open_mode(s, secret_path, AUDIT_KEY_CREATE, err, errlen);
}

void audit_close(audit *a)
{
	if (!a)
		return;
	EVP_MAC_CTX_free(a->keyed);
	EVP_MAC_free(a->hmac);
	OPENSSL_cleanse(a->key, sizeof a->key);
	free(a);
}

const char *audit_key_path(const audit *a)
{
	return a->has_key ? a->key_path : NULL;
}

/* One field of the encoding: its length as 4 bytes big-endian, then its bytes. */
static int mac_field(EVP_MAC_CTX *c, const void *p, size_t n)
{
	if (n > 0xffffffffu)
		return -1;
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
	                        (unsigned char)(n >> 8), (unsigned char)n};
	return EVP_MAC_update(c, len, 4) == 1 && (!n || EVP_MAC_update(c, p, n) == 1) ? 0 : -1;
}

/* The values of one record in fields[] order: integers as decimal text, strings as bytes. */
typedef struct fvals {
	const char *p[NFIELDS];
	size_t n[NFIELDS];
	char num[NFIELDS][24];
} fvals;

static void fvals_int(fvals *v, int i, int64_t x)
{
	v->n[i] = (size_t)snprintf(v->num[i], sizeof v->num[i], "%lld", (long long)x);
	v->p[i] = v->num[i];
}

/* HMAC-SHA256 keyed with the audit key, made on first use. */
static int mac_ready(audit *a)
{
	if (a->keyed)
		return 0;
	if (!a->has_key)
		return -1;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	if (!a->hmac)
		a->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	a->keyed = a->hmac ? EVP_MAC_CTX_new(a->hmac) : NULL;
	if (a->keyed && EVP_MAC_init(a->keyed, a->key, a->keylen, params) == 1)
		return 0;
	EVP_MAC_CTX_free(a->keyed);
	a->keyed = NULL;
	return -1;
}

static int mac_compute(audit *a, const fvals *v, char out[65])
{
	if (mac_ready(a))
		return -1;
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(a->keyed);
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	int rc = c ? mac_field(c, encoding_tag, strlen(encoding_tag)) : -1;
	for (int i = 0; !rc && i < NFIELDS; i++)
		rc = mac_field(c, v->p[i], v->n[i]);
	if (!rc && (EVP_MAC_final(c, md, &mdlen, sizeof md) != 1 || mdlen != MAC_BYTES))
		rc = -1;
	EVP_MAC_CTX_free(c);
	if (!rc)
		hex_encode(md, MAC_BYTES, out);
	return rc;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static bool in_table(const char *s, const char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, t[i]) == 0)
			return true;
	return false;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The last record (seq 0, mac "" when empty), and whether ref names an earlier record. */
static int chain_tail(sqlite3 *db, int64_t ref, int64_t *seq, char mac[65], bool *ref_ok)
{
	sqlite3_stmt *st;
	*seq = 0;
	mac[0] = 0;
	*ref_ok = ref == 0;
	if (sqlite3_prepare_v2(db, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(mac, 65, "%s", nz((const char *)sqlite3_column_text(st, 1)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (ref > 0) {
		if (sqlite3_prepare_v2(db, "SELECT 1 FROM audit WHERE seq = ?", -1, &st, NULL) !=
		    SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, ref);
		rc = sqlite3_step(st);
		*ref_ok = rc == SQLITE_ROW;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int insert(audit *a, audit_record *r, char *err, size_t errlen)
{
	int64_t last;
	bool ref_ok;
	if (chain_tail(a->db, r->ref_seq, &last, r->prev_mac, &ref_ok)) {
		seterr(err, errlen, "reading the audit log: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	if (!ref_ok) {
		seterr(err, errlen, "ref_seq %lld names no record of the audit log",
		       (long long)r->ref_seq);
		return -1;
	}
	r->seq = last + 1;
	if (!r->ts_ms)
		r->ts_ms = time_now_ms();
	const char *text[NFIELDS] = {
	    [C_ACTOR] = r->actor,
	    [C_AS_NAME] = r->as_name,
	    [C_ROLE] = r->role,
	    [C_HOST] = r->host,
	    [C_KIND] = r->kind,
	    [C_ACTION] = r->action,
	    [C_GATEWAY] = r->gateway,
	    [C_SCOPE] = r->scope,
	    [C_PARAMS] = r->params,
	    [C_REASON] = r->reason,
	    [C_STATE_BEFORE] = r->state_before,
	    [C_STATE_AFTER] = r->state_after,
	    [C_STATUS] = r->status,
	    [C_CONTROL_ID] = r->control_id,
	    [C_RESPONSE] = r->response,
	    [C_IDEM_KEY] = r->idem_key,
	    [C_PREV_MAC] = r->prev_mac,
	};
	const int64_t ints[NFIELDS] = {
	    [C_SEQ] = r->seq, [C_TS_MS] = r->ts_ms, [C_REF_SEQ] = r->ref_seq};
	fvals v;
	for (int i = 0; i < NFIELDS; i++) {
		if (fields[i].type == F_INT) {
			fvals_int(&v, i, ints[i]);
			continue;
		}
		v.p[i] = nz(text[i]);
		v.n[i] = strlen(v.p[i]);
	}
	if (mac_compute(a, &v, r->mac)) {
		seterr(err, errlen, "computing the record's HMAC-SHA256 failed (is OpenSSL's default provider available?)");
		return -1;
	}
	char sql[1024];
	size_t off =
	    (size_t)snprintf(sql, sizeof sql, "INSERT INTO audit (%s) VALUES (", a->select_cols);
	for (int i = 0; i < COL_COUNT; i++)
		off += (size_t)snprintf(sql + off, sizeof sql - off, "%s?", i ? ", " : "");
	snprintf(sql + off, sizeof sql - off, ")");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		seterr(err, errlen, "writing the audit log: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	for (int i = 0; i < NFIELDS; i++) {
		if (fields[i].type == F_INT)
			sqlite3_bind_int64(st, i + 1, ints[i]);
		else
			sqlite3_bind_text(st, i + 1, v.p[i], (int)v.n[i], SQLITE_STATIC);
	}
	sqlite3_bind_text(st, C_MAC + 1, r->mac, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		seterr(err, errlen, "writing the audit log: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	return 0;
}

int audit_append(audit *a, audit_record *r, char *err, size_t errlen)
{
	if (!a->has_key) {
		seterr(err, errlen, "the audit log was opened without its key");
		return -1;
	}
	if (!r->kind || !in_table(r->kind, kinds, sizeof kinds / sizeof kinds[0])) {
		seterr(err, errlen,
		       "audit record kind '%s' is not one of action, signoff, incident, "
		       "note, reconcile",
		       nz(r->kind));
		return -1;
	}
	if (!r->status || !in_table(r->status, statuses, sizeof statuses / sizeof statuses[0])) {
		seterr(err, errlen,
		       "audit record status '%s' is not one of pending, applied, "
		       "failed, rolled_back, recorded",
		       nz(r->status));
		return -1;
	}
	/* IMMEDIATE takes the write lock before the tail is read, so a concurrent appender waits
	 * and then chains onto this record. Inside a caller's transaction a savepoint keeps its
	 * atomicity; the caller's BEGIN IMMEDIATE (store_begin) provides the lock. */
	bool own = sqlite3_get_autocommit(a->db) != 0;
	if (exec_sql(a->db, own ? "BEGIN IMMEDIATE" : "SAVEPOINT audit_append")) {
		seterr(err, errlen, "locking the audit log: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	if (insert(a, r, err, errlen)) {
		exec_sql(a->db, own ? "ROLLBACK" : "ROLLBACK TO audit_append");
		if (!own)
			exec_sql(a->db, "RELEASE audit_append");
		return -1;
	}
	if (exec_sql(a->db, own ? "COMMIT" : "RELEASE audit_append")) {
		seterr(err, errlen, "committing the audit record: %s", sqlite3_errmsg(a->db));
		if (own)
			exec_sql(a->db, "ROLLBACK");
		return -1;
	}
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return nz((const char *)sqlite3_column_text(st, i));
}

/* Reads the current row; the strings live until the next step. */
static void row_read(sqlite3_stmt *st, audit_record *r)
{
	memset(r, 0, sizeof *r);
	r->seq = sqlite3_column_int64(st, C_SEQ);
	r->ts_ms = sqlite3_column_int64(st, C_TS_MS);
	r->ref_seq = sqlite3_column_int64(st, C_REF_SEQ);
	const char **text[NFIELDS] = {
	    [C_ACTOR] = &r->actor,
	    [C_AS_NAME] = &r->as_name,
	    [C_ROLE] = &r->role,
	    [C_HOST] = &r->host,
	    [C_KIND] = &r->kind,
	    [C_ACTION] = &r->action,
	    [C_GATEWAY] = &r->gateway,
	    [C_SCOPE] = &r->scope,
	    [C_PARAMS] = &r->params,
	    [C_REASON] = &r->reason,
	    [C_STATE_BEFORE] = &r->state_before,
	    [C_STATE_AFTER] = &r->state_after,
	    [C_STATUS] = &r->status,
	    [C_CONTROL_ID] = &r->control_id,
	    [C_RESPONSE] = &r->response,
	    [C_IDEM_KEY] = &r->idem_key,
	};
	for (int i = 0; i < NFIELDS; i++)
		if (text[i])
			*text[i] = col_text(st, i);
	snprintf(r->prev_mac, sizeof r->prev_mac, "%s", col_text(st, C_PREV_MAC));
	snprintf(r->mac, sizeof r->mac, "%s", col_text(st, C_MAC));
}

static int each(audit *a, const char *where, int64_t arg, audit_fn fn, void *ctx)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT %s FROM audit AS a WHERE %s ORDER BY seq", a->select_cols,
	         where);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (strchr(where, '?'))
		sqlite3_bind_int64(st, 1, arg);
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_record r;
		row_read(st, &r);
		if ((out = fn(ctx, &r)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (out)
		return out;
	return rc == SQLITE_DONE ? 0 : -1;
}

int audit_each(audit *a, int64_t since_ms, audit_fn fn, void *ctx)
{
	return each(a, "ts_ms >= ?", since_ms, fn, ctx);
}

int audit_each_after(audit *a, int64_t after_seq, audit_fn fn, void *ctx)
{
	return each(a, "seq > ?", after_seq, fn, ctx);
}

int audit_get(audit *a, int64_t seq, audit_fn fn, void *ctx)
{
	return each(a, "seq = ?", seq, fn, ctx);
}

int audit_each_open_pending(audit *a, audit_fn fn, void *ctx)
{
	return each(a,
	            "kind = 'action' AND status = 'pending' AND NOT EXISTS"
	            " (SELECT 1 FROM audit AS b WHERE b.ref_seq = a.seq AND b.seq > a.seq)",
	            0, fn, ctx);
}

static void bad(audit_verdict *v, int64_t seq, const char *fmt, ...)
{
	v->ok = false;
	v->bad_seq = seq;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
}

/* Recomputes the MAC from the stored bytes, not from C strings: a NUL smuggled into a field
 * changes what is hashed, and so is caught. */
static int verify_row(audit *a, sqlite3_stmt *st, int64_t seq, const char *prev, audit_verdict *v)
{
	fvals fv;
	for (int i = 0; i < NFIELDS; i++) {
		if (fields[i].type == F_INT) {
			if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
				bad(v, seq, "seq %lld: %s is not an integer", (long long)seq,
				    fields[i].name);
				return 1;
			}
			fvals_int(&fv, i, sqlite3_column_int64(st, i));
		} else {
			fv.p[i] = col_text(st, i);
			fv.n[i] = (size_t)sqlite3_column_bytes(st, i);
		}
	}
	char want[65];
	if (mac_compute(a, &fv, want))
		return -1;
	const char *mac = col_text(st, C_MAC);
	if ((size_t)sqlite3_column_bytes(st, C_MAC) != 64 || CRYPTO_memcmp(want, mac, 64)) {
		bad(v, seq, "seq %lld: mac does not match its fields", (long long)seq);
		return 1;
	}
	if (fv.n[C_PREV_MAC] != strlen(prev) || memcmp(fv.p[C_PREV_MAC], prev, fv.n[C_PREV_MAC])) {
		if (seq == 1)
			bad(v, seq, "seq 1: prev_mac is not empty (the first record has none)");
		else
			bad(v, seq, "seq %lld: prev_mac is not seq %lld's mac", (long long)seq,
			    (long long)(seq - 1));
		return 1;
	}
	return 0;
}

int audit_verify(audit *a, audit_verdict *v)
{
	memset(v, 0, sizeof *v);
	if (!a->has_key) {
		bad(v, 0, "the audit log was opened without its key");
		return -1;
	}
	char sql[640];
	snprintf(sql, sizeof sql, "SELECT %s FROM audit ORDER BY seq", a->select_cols);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		bad(v, 0, "reading the audit log: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	char prev[65] = "";
	int64_t expect = 1;
	int rc, out = 0;
	v->ok = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, C_SEQ);
		if (seq != expect) {
			if (expect == 1)
				bad(v, 1, "seq 1 missing (the log starts at seq %lld)",
				    (long long)seq);
			else
				bad(v, expect, "seq %lld missing (after %lld)", (long long)expect,
				    (long long)(expect - 1));
			break;
		}
		v->records++;
		int r = verify_row(a, st, seq, prev, v);
		if (r) {
			out = r < 0 ? -1 : 0;
			if (r < 0)
				bad(v, seq, "seq %lld: computing its HMAC failed", (long long)seq);
			break;
		}
		snprintf(prev, sizeof prev, "%s", col_text(st, C_MAC));
		expect++;
	}
	if (v->ok && rc != SQLITE_DONE) {
		bad(v, 0, "reading the audit log: %s", sqlite3_errmsg(a->db));
		out = -1;
	}
	sqlite3_finalize(st);
	if (v->ok)
		snprintf(v->last_mac, sizeof v->last_mac, "%s", prev);
	return out;
}
