/* The gateways view: per live source, health, routes with targets and weights, controls, ages. */
#ifndef TOKENTOP_GWSTATE_H
#define TOKENTOP_GWSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"

typedef enum { VIEW_GW_TOKENTOP, VIEW_GW_LITELLM } view_gw_dialect;

/* Where a target of a route sends requests, and its share. */
typedef struct view_gw_target {
	char *provider, *model;
	char *tier;    /* "" when the gateway does not say */
	double weight; /* tokentop: per mille of the route; LiteLLM: the deployment's weight;
	                * NaN when not given (LiteLLM then spreads evenly) */
	bool elevated; /* the router escalates to it (tokentop) */
} view_gw_target;

/* A route: a use case (tokentop) or a model group (LiteLLM). */
typedef struct view_gw_route {
	char *name;
	view_gw_target *targets; /* in the gateway's order */
	size_t ntargets;
	char **controls; /* ids of the reroute/degrade controls shaping it (tokentop) */
	size_t ncontrols;
} view_gw_route;

/* A control in force when the controls were read. */
typedef struct view_gw_control {
	char *id, *kind;
	char *scope;  /* compact JSON object, as the gateway gave it */
	char *params; /* compact JSON object; "{}" when none */
	char *reason, *actor;
	int64_t created_ms; /* 0 when not given */
	int64_t expires_ms; /* 0: no expiry */
} view_gw_control;

typedef struct view_gateway {
	char *source; /* the live source's name */
	view_gw_dialect dialect;
	/* health: fetched_ms 0 when never read */
	int64_t health_ms;
	char *gateway, *version; /* tokentop: who answered; LiteLLM: NULL */
	char *status;            /* LiteLLM: what /health/liveliness said; tokentop: NULL */
	bool has_skew;
	int64_t skew_ms; /* the gateway's clock minus tokentop's at the read (tokentop) */
	/* routing (tokentop /v1/routing; LiteLLM /model/info) */
	int64_t routing_ms;
	view_gw_route *routes; /* tokentop: in the gateway's order; LiteLLM: by model group */
	size_t nroutes;
	char *strategy; /* LiteLLM's routing_strategy from /router/settings, else NULL */
	int64_t strategy_ms;
	/* controls (tokentop /v1/controls) */
	int64_t controls_ms;
	char *controls_etag;
	view_gw_control *controls;
	size_t ncontrols;
	/* spend (LiteLLM /global/spend) */
	int64_t spend_ms;
	int64_t spend_micros;
	int64_t max_budget_micros; /* -1 when none */
} view_gateway;

typedef struct view_gwstate {
	int64_t now_ms;
	view_gateway *gateways; /* by source name */
	size_t n;
	size_t unreadable; /* stored answers that no longer parse (kept out of the view) */
} view_gwstate;

/* Reads every stored state answer (store_gwstate_each) into the view. 0, or -1 with err. */
int view_gwstate_build(store *st, int64_t now_ms, view_gwstate *v, char *err, size_t errlen);
void view_gwstate_free(view_gwstate *v);

#endif
