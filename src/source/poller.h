/* The retry-and-state machinery every polling source shares (private to the source layer). */
#ifndef TOKENTOP_SOURCE_POLLER_H
#define TOKENTOP_SOURCE_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/source.h"

typedef struct poller poller;

typedef void (*poller_state_fn)(void *ctx, const char *source, source_state st, const char *detail);

struct poller {
	uv_timer_t timer;
	char *name;
	void (*poll)(poller *p);    /* start one request; call poller_sent when it is out */
	void (*destroy)(poller *p); /* free the source that embeds this poller */
	poller_state_fn on_state;
	void *ctx;
	bool running, in_flight, freed;
	source_state state;
	unsigned failures;
	uint64_t rng;
	int64_t last_success_ms;
};

/* 0, or -1 out of memory. name is copied. */
int poller_init(poller *p, uv_loop_t *loop, const char *name, void (*poll)(poller *),
                void (*destroy)(poller *), poller_state_fn on_state, void *ctx);
void poller_start(poller *p);
void poller_stop(poller *p);
/* Stops, then destroys once no request is in flight and the timer is closed. */
void poller_free(poller *p);

void poller_schedule(poller *p, int64_t ms);
void poller_sent(poller *p);

/* At the top of every answer callback: false when the answer must be dropped (the source
 * stopped, or was freed and is destroyed now). */
bool poller_answer(poller *p);

/* A failed attempt: state degraded or down (auth: down at once), retry after backoff. */
void poller_fail(poller *p, bool auth, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A successful attempt: state ok, next poll after next_ms. */
void poller_ok(poller *p, int64_t next_ms);

/* The "Authorization: Bearer TOKEN" header for a token (NULL or "": *out is NULL).
 * 0, or -1 out of memory. */
int poller_bearer(const char *token, char **out);
/* Wipes and frees a string that held a secret. */
void poller_wipe(char *secret);
/* A source's URL without its credentials (*clean, what messages show) and the credentials
 * ("user:password", or NULL when the URL has none) for http_request.userpwd. 0, or -1 out
 * of memory or too long. */
int poller_url(const char *url, char **clean, char **userpwd);

#endif
