/* A gateway source (tokentop dialect): events by cursor, plus health, routing and controls. */
#ifndef TOKENTOP_GATEWAY_H
#define TOKENTOP_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tokentop/event.h"
#include "tokentop/http.h"
#include "tokentop/source.h"

typedef struct gateway gateway;

/* Default pause between two reads of the state endpoints. */
#define GATEWAY_STATE_MS 30000

typedef struct gateway_opts {
	const char *name;  /* the source's name: its cursor is stored under it */
	const char *url;   /* base URL, e.g. http://127.0.0.1:8080 */
	const char *token; /* bearer token, or NULL; never printed */
	long poll_ms;      /* pause when caught up; 0: 2000 */
	long idle_max_ms;  /* the pause doubles after the second empty page in a row up to this
	                    * (source_idle_ms); 0: 4 x poll_ms */
	long state_ms;     /* between reads of /v1/health, /v1/routing, /v1/controls; 0:
	                    * GATEWAY_STATE_MS; < 0: never */
	int page_limit;    /* events asked per page; 0: 1000 */
	long timeout_ms;   /* per request; 0: 15000 */
	size_t max_body;   /* largest page accepted; 0: 16 MiB */
	bool insecure;     /* skip TLS verification */
} gateway_opts;

/* cursor: where to resume (NULL or "" from the start). The strings in o are copied. */
gateway *gateway_new(uv_loop_t *loop, http_client *http, const gateway_opts *o, const char *cursor,
                     const source_sink *sink);
void gateway_start(gateway *g);
/* Stops polling; a request in flight completes into nothing. Free after the loop ran. */
void gateway_stop(gateway *g);
void gateway_free(gateway *g);

source_state gateway_state(const gateway *g);
/* The last page was short: everything the gateway had was stored. */
bool gateway_caught_up(const gateway *g);
int64_t gateway_last_success_ms(const gateway *g);
const char *gateway_cursor(const gateway *g);
uint64_t gateway_events(const gateway *g);
/* The pause the gateway took after its last page: 0 while catching up, poll_ms while events
 * come, more while it is idle. */
int64_t gateway_interval_ms(const gateway *g);
/* Rounds of the state endpoints completed (each answer stored, refused or failed). */
uint64_t gateway_state_rounds(const gateway *g);

#endif
