/* The tamper-evident audit log: append-only records in the store, chained by HMAC-SHA256. */
#ifndef TOKENTOP_AUDIT_H
#define TOKENTOP_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"

/* One record. Strings are never NULL once read back (empty when unset); on append a NULL
 * string is stored as "". A status change is a new record whose ref_seq names the record it
 * completes (pending -> applied | failed) or undoes (a lift points at the control's record). */
typedef struct audit_record {
	int64_t seq;              /* 1, 2, 3, ... assigned on append */
	int64_t ts_ms;            /* UTC; 0 on append means now */
	const char *actor;        /* the OS user */
	const char *as_name;      /* --as NAME, recorded beside the OS user */
	const char *role;         /* viewer | operator | admin */
	const char *host;
	const char *kind;         /* action | signoff | incident | note | reconcile */
	const char *action;       /* kill-switch, throttle, ..., lift; or the item/incident verb */
	const char *gateway;      /* the gateway's configured name */
	const char *scope;        /* "use_case=support-bot" */
	const char *params;       /* a JSON object */
	const char *reason;
	const char *state_before; /* JSON */
	const char *state_after;  /* JSON */
	const char *status;       /* pending | applied | failed | rolled_back | recorded */
	int64_t ref_seq;          /* 0 when none */
	const char *control_id;   /* the gateway's id of the control, when known */
	const char *response;     /* the gateway's answer, verbatim */
	const char *idem_key;     /* the Idempotency-Key sent */
	char prev_mac[65];        /* hex; the previous record's mac ("" for the first) */
	char mac[65];             /* hex HMAC-SHA256 over every field above and prev_mac */
} audit_record;

typedef struct audit audit;

/* The default secret file: $XDG_CONFIG_HOME/tokentop/audit.key (~/.config fallback). */
int audit_default_secret_path(char *buf, size_t cap, char *err, size_t errlen);

/* Opens the log in s with the key in secret_path (NULL: the default). The file is created
 * with mode 0600 and 32 random bytes when absent; it is refused when group or others may
 * read it, naming the file and the chmod that fixes it. NULL with err on failure. */
audit *audit_open(store *s, const char *secret_path, char *err, size_t errlen);
void audit_close(audit *a);

/* How audit_open_mode treats the key file. */
typedef enum {
	AUDIT_KEY_CREATE,   /* create it when absent (what audit_open does) */
	AUDIT_KEY_EXISTING, /* refuse when absent: verifying with a fresh key proves nothing */
	AUDIT_KEY_NONE,     /* no key at all: reading only; audit_append and audit_verify fail */
} audit_key_mode;
audit *audit_open_mode(store *s, const char *secret_path, audit_key_mode mode, char *err,
                       size_t errlen);

/* The key file in use; NULL when opened with AUDIT_KEY_NONE. */
const char *audit_key_path(const audit *a);

/* Appends r in one transaction: sets r->seq, r->ts_ms (when 0), r->prev_mac and r->mac. */
int audit_append(audit *a, audit_record *r, char *err, size_t errlen);

/* Records with ts_ms >= since_ms, oldest first. fn returning non-zero stops (and is returned). */
typedef int (*audit_fn)(void *ctx, const audit_record *r);
int audit_each(audit *a, int64_t since_ms, audit_fn fn, void *ctx);
/* Records with seq > after_seq, oldest first; as audit_each. */
int audit_each_after(audit *a, int64_t after_seq, audit_fn fn, void *ctx);
/* The record numbered seq, if there is one; as audit_each. */
int audit_get(audit *a, int64_t seq, audit_fn fn, void *ctx);

/* Pending action records that no later record completes (for reconciliation after a crash). */
int audit_each_open_pending(audit *a, audit_fn fn, void *ctx);

/* Checks every record's MAC and the chain: ok, or the first bad sequence number and why.
 * 0 when the log could be read to a verdict; -1 when it could not (v->why says why). */
typedef struct audit_verdict {
	bool ok;
	int64_t records;
	int64_t bad_seq;
	char why[256];
	char last_mac[65]; /* when ok: the last record's mac, an anchor to keep elsewhere (a
	                      log cut short at its end still verifies; the anchor shows it) */
} audit_verdict;
int audit_verify(audit *a, audit_verdict *v);

#endif
