/* The metrics view: the newest point of each series read from a Prometheus-compatible API. */
#ifndef TOKENTOP_METRICS_H
#define TOKENTOP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "tokentop/store.h"

typedef struct view_metric {
	char *source, *series;
	char *labels; /* compact JSON object, as stored */
	char
	    *labels_text; /* the same as Prometheus writes it: {model="a",le="0.5"}; "" when none */
	int64_t ts_ms;    /* of the newest point */
	double value;     /* NaN when the API said NaN */
	int64_t points;   /* points kept of this series */
} view_metric;

typedef struct view_metrics {
	int64_t now_ms;
	view_metric *rows; /* by source, series, labels */
	size_t n;
} view_metrics;

int view_metrics_build(store *st, int64_t now_ms, view_metrics *v, char *err, size_t errlen);
void view_metrics_free(view_metrics *v);

#endif
