/* tokentop-sim: a gateway that serves the v1 admin API and /metrics with simulated traffic. */
#ifndef TOKENTOP_SIM_H
#define TOKENTOP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/event.h"
#include "tokentop/ratecard.h"
#include "tokentop/workload.h"

typedef struct sim sim;

/* Transport faults for client tests; at most one per request (docs/sim.md). */
typedef enum {
	SIM_FAULT_NONE,
	SIM_FAULT_5XX,      /* a 500 answer, nothing done */
	SIM_FAULT_SLOW,     /* the answer is held back 1 to 5 seconds */
	SIM_FAULT_TRUNCATE, /* the body is cut in half (Content-Length says the cut length) */
	SIM_FAULT_OVERSIZE, /* the body is followed by 8 MiB of blanks */
	SIM_FAULT_DROP,     /* the connection is closed without an answer */
	SIM_FAULT_COUNT
} sim_fault;

/* Chance of each fault per request in parts per million; ppm[SIM_FAULT_NONE] is unused. */
typedef struct sim_faults {
	int32_t ppm[SIM_FAULT_COUNT];
} sim_faults;

typedef struct sim_opts {
	const char *listen; /* "HOST:PORT" or "[V6]:PORT"; NULL: "127.0.0.1:0" (a free port) */
	uint64_t seed;
	double rate;        /* mean live requests a second, shaped by the workload; 0: none */
	int64_t history_ms; /* events backfilled over [start - history, start) before serving */
	bool has_scenario;
	workload_scenario scenario;
	int64_t scenario_at_ms; /* scenario start relative to the simulator's start (may be < 0) */
	const char *token;      /* bearer token every request must carry; NULL: no auth */
	sim_faults faults;
	const ratecard *card; /* prices /v1/stats, /metrics and rerouted costs; borrowed; NULL ok */
	uint64_t max_events;  /* generation stops at this many events; 0: 16M */
	const char *version;  /* reported by /v1/health; NULL: "dev" */
	/* Milliseconds since the epoch; NULL: the wall clock. For tests. */
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
} sim_opts;

/* Creates a simulator and backfills its history; NULL with err on bad options. */
sim *sim_new(const sim_opts *o, char *err, size_t errlen);

/* Serves HTTP in background threads (libmicrohttpd). 0, or -1 with err. */
int sim_start(sim *s, char *err, size_t errlen);

/* The bound port (the chosen one for port 0); 0 before sim_start. */
uint16_t sim_port(const sim *s);

/* Stops serving; slow answers in flight are cut short. Safe to call twice. */
void sim_stop(sim *s);

/* Stops and frees. */
void sim_free(sim *s);

/* One HTTP exchange without a socket: what sim_start serves, callable directly. */
typedef struct sim_request {
	const char *method;
	const char *path; /* without the query string */
	/* Query argument and header (case-insensitive name) lookups; NULL when absent. */
	const char *(*arg)(void *ctx, const char *name);
	const char *(*header)(void *ctx, const char *name);
	void *ctx;
	const char *body;
	size_t body_len;
} sim_request;

#define SIM_HEADERS_MAX 4

typedef struct sim_response {
	int status;
	char *body; /* malloc'd, not NUL-terminated in general */
	size_t len;
	const char *content_type;
	struct {
		const char *name;
		char value[160];
	} headers[SIM_HEADERS_MAX];
	int n_headers;
	sim_fault fault; /* what the transport must still do to the answer (SLOW ... DROP) */
	int delay_ms;    /* SLOW: how long to hold it */
} sim_response;

void sim_handle(sim *s, const sim_request *rq, sim_response *rs);
void sim_response_free(sim_response *rs);

/* Waits up to ms unless the simulator stops first (for the SLOW fault). */
void sim_pause(sim *s, int64_t ms);

/* "5xx=0.2,slow=0.1,truncate=0.05,oversize=0.01,drop=0.05": each 0..1, summing to at most 1.
 * 0, or -1 with err. */
int sim_faults_parse(const char *spec, sim_faults *out, char *err, size_t errlen);

/* The fault for a uniform draw u in [0, 1000000). */
sim_fault sim_faults_pick(const sim_faults *f, uint32_t u);

/* Splits "NAME", "NAME@+10m" or "NAME@-2h" into the name and the start offset. 0 or -1. */
int sim_scenario_split(const char *spec, char *name, size_t cap, int64_t *at_ms);

/* Parses "127.0.0.1:8080", "[::1]:0", "localhost:0" into a numeric host and a port. 0 or -1. */
int sim_listen_parse(const char *spec, char *host, size_t cap, uint16_t *port, bool *v6);

/* Event cursors: opaque strings naming a position in one simulator run. */
#define SIM_CURSOR_CAP 48
void sim_cursor_format(uint64_t instance, uint64_t seq, char *buf, size_t cap);
/* 0 when s is a well-formed cursor of this instance; -1 otherwise. */
int sim_cursor_parse(const char *s, uint64_t instance, uint64_t *seq);

/* Compares in time that depends only on the expected value's length. */
bool sim_token_equal(const char *given, size_t glen, const char *want, size_t wlen);

/* A control as POST /v1/controls takes it (docs/api.md). */
typedef struct sim_control sim_control;

/* Validates a request body; NULL with err naming the field. Expiry must be after now_ms. */
sim_control *sim_control_parse(const char *body, size_t len, int64_t now_ms, char *err,
                               size_t errlen);
void sim_control_free(sim_control *c);

/* True when every field the control's scope names equals the event's. */
bool sim_control_matches(const sim_control *c, const tt_event *ev);

#endif
