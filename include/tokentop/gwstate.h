/* The gateways view: per live source, health, routes with targets and weights, controls, ages. */
#ifndef TOKENTOP_GWSTATE_H
#define TOKENTOP_GWSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"
#include "tokentop/view.h"

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
	int64_t spend_nanos;
	int64_t max_budget_nanos; /* -1 when none */
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

/* ---- routes: what was observed beside what the gateways configure, and recent changes ---- */

#define VIEW_ROUTE_DIVERGE      0.10 /* a target this far (in share) from its weight is off */
#define VIEW_ROUTE_MIN_REQUESTS 20   /* fewer observed requests: too few to compare */
#define VIEW_ROUTE_CHANGES_MS   (24 * 3600000LL) /* how far back "recent" changes go */
#define VIEW_ROUTE_CHANGES_MAX  64

/* A target of a route: its observed traffic over the range beside its configured weight. */
typedef struct view_rtarget {
	const char *provider, *model, *tier; /* point into the views the routes were built from */
	int64_t requests, elevated, cost_nanos; /* observed; 0 when none in the range */
	double share;  /* of the route's observed requests; 0 without traffic */
	double config; /* weight over the route's weights at the gateway; NAN: no gateway says */
	bool off;      /* |share - config| > VIEW_ROUTE_DIVERGE, with enough traffic to tell */
} view_rtarget;

typedef struct view_rroute {
	const char *name;   /* the use case */
	const char *source; /* the gateway source that configures it; NULL: none does */
	int64_t requests, elevated, cost_nanos;
	size_t first, n;   /* its targets in view_routes.targets: observed first, most used first,
	                    * then configured ones without traffic */
	double divergence; /* the largest |share - config| of its targets; NAN: not comparable */
	bool diverges;     /* divergence > VIEW_ROUTE_DIVERGE */
} view_rroute;

/* A reroute or degrade in force on a route (from the gateway's controls). */
typedef struct view_rcontrol {
	const char *route, *source, *id, *kind, *reason, *actor; /* point into the gateways view */
	int64_t created_ms, expires_ms;                          /* 0: not given, no expiry */
} view_rcontrol;

/* A route-affecting action of the audit log: a reroute, a degrade, or the lift of one. */
typedef struct view_rchange {
	int64_t seq, ts_ms;
	char *route, *action, *status, *actor, *gateway, *reason, *control_id;
} view_rchange;

typedef struct view_routes {
	int64_t now_ms;
	view_rroute *routes; /* the observed ones in their order, then configured ones without
	                      * traffic in the range, in the gateways' order */
	size_t nroutes;
	view_rtarget *targets;
	size_t ntargets;
	size_t ndiverging;       /* routes that diverge */
	view_rcontrol *controls; /* in force, by gateway then as the gateway lists them */
	size_t ncontrols;
	view_rchange *changes; /* the last VIEW_ROUTE_CHANGES_MS, newest first, at most
	                        * VIEW_ROUTE_CHANGES_MAX; applied, failed or rolled back */
	size_t nchanges;
} view_routes;

/* Puts the observed routing (over its range) beside the gateways' configured routes and
 * controls, and reads the recent route actions from the audit log of st (NULL: none). The
 * result points into obs and gw, which must outlive it. 0, or -1 with err. */
int view_routes_build(store *st, const view_routing *obs, const view_gwstate *gw, int64_t now_ms,
                      view_routes *v, char *err, size_t errlen);
void view_routes_free(view_routes *v);

#endif
