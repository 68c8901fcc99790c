/* A source's state endpoints (health, routing, controls...), read in rounds between its polls. */
#ifndef TOKENTOP_SOURCE_STATEDOC_H
#define TOKENTOP_SOURCE_STATEDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "poller.h"
#include "tokentop/http.h"
#include "tokentop/source.h"

#define STATEDOC_KINDS_MAX 8
#define STATEDOC_ETAG_CAP  160
/* State answers are small; a larger one is refused rather than parsed and kept. */
#define STATEDOC_MAX_BODY (2u << 20)

/* One endpoint: where it is, what its answer is stored as, and the shape it must have. */
typedef struct statedoc_kind {
	const char *kind;
	const char *path; /* after the base URL */
	/* NULL when doc has the expected shape, else what is wrong with it (one line) */
	const char *(*check)(const json_t *doc);
	bool conditional; /* the endpoint honours If-None-Match with its ETag */
} statedoc_kind;

typedef struct statedocs {
	const statedoc_kind *kinds;
	size_t n;
	size_t next;              /* the kind the round asks next; n: no round under way */
	int64_t every_ms, due_ms; /* due: every_ms after the end of the last round */
	bool yield;               /* a round just ended: the source polls before the next */
	char etag[STATEDOC_KINDS_MAX][STATEDOC_ETAG_CAP]; /* of the answers delivered */
	uint64_t rounds, refused;
	/* the source's */
	poller *p;
	http_client *http;
	const source_sink *sink;
	const char *base, *auth;
	const char *userpwd;      /* the base URL's credentials, or NULL */
	const char *refused_auth; /* "the gateway refused the token" */
	long timeout_ms;
	size_t max_body;
	bool insecure;
} statedocs;

/* kinds (at most STATEDOC_KINDS_MAX) are read every every_ms, the first round at once. The
 * source fills in its own fields (p, http, sink, base...) before it starts. */
void statedocs_init(statedocs *d, const statedoc_kind *kinds, size_t n, int64_t every_ms);

/* From the source's poll: sends the round's next request when a round is due or under way,
 * and returns true (the source sends nothing itself); false: the source polls as usual.
 * Each answer is checked, delivered to sink->gwstate and the next poll scheduled at once;
 * a failure goes through poller_fail (backoff), and the round goes on with the next kind. */
bool statedocs_poll(statedocs *d, int64_t now_ms);

#endif
