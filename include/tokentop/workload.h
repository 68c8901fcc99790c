/* The synthetic workload model: three companies' LLM traffic, deterministic per seed. */
#ifndef TOKENTOP_WORKLOAD_H
#define TOKENTOP_WORKLOAD_H

#include <stdint.h>

#include "tokentop/event.h"

typedef struct workload workload;

typedef struct workload_opts {
	uint64_t seed;
	int64_t start_ms; /* first event time, Unix ms */
	int64_t span_ms;  /* events spread over [start, start + span) */
	uint64_t events;  /* exactly this many */
} workload_opts;

workload *workload_new(const workload_opts *o);
void workload_free(workload *w);

/* Fills the next event, in time order; 1 when one was produced, 0 when all were. */
int workload_next(workload *w, tt_event *ev);

/* Relative traffic intensity at a time (diurnal and weekly shape, spikes), mean about 1. */
double workload_intensity(const workload *w, int64_t ts_ms);

/* One event at a given time, drawn from the same model (for live simulation). */
void workload_event_at(workload *w, int64_t ts_ms, tt_event *ev);

/* Scenarios: named departures from steady traffic (docs/gen.md), active from a time on.
 * They change what workload_next and workload_event_at produce from start_ms. */
typedef enum {
	WL_STEADY,
	WL_429_STORM,
	WL_TOKEN_SPIKE,
	WL_COST_RUNAWAY,
	WL_PROVIDER_OUTAGE,
	WL_CACHE_MISS_SURGE,
	WL_REFUSAL_RISE,
	WL_SCENARIO_COUNT
} workload_scenario;

/* "steady", "429-storm", "token-spike", "cost-runaway", "provider-outage",
 * "cache-miss-surge", "refusal-rise"; 0 or -1. */
int workload_scenario_parse(const char *name, workload_scenario *out);
const char *workload_scenario_name(workload_scenario s);
void workload_set_scenario(workload *w, workload_scenario s, int64_t start_ms);

#endif
