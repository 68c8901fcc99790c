/* The metrics view: the newest point of each series read from a Prometheus-compatible API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/metrics.h"

/* {"a":"x","b":"y \"q\""} -> {a="x",b="y \"q\""}: the form people know from PromQL. */
static char *labels_text(const char *labels)
{
	json_t *o = json_loads(labels, 0, NULL);
	if (!json_is_object(o) || !json_object_size(o)) {
		/* no labels; text that is not a JSON object is shown as it is */
		const char *as_is = json_is_object(o) ? "" : labels;
		json_decref(o);
		return strdup(as_is);
	}
	size_t cap = strlen(labels) * 2 + 8, len = 0;
	char *out = malloc(cap);
	if (!out) {
		json_decref(o);
		return NULL;
	}
	out[len++] = '{';
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val)
	{
		char *v = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
		size_t need = strlen(key) + (v ? strlen(v) : 2) + 4;
		if (len + need >= cap) {
			cap = (len + need) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(v);
				free(out);
				json_decref(o);
				return NULL;
			}
			out = n;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len > 1 ? "," : "", key,
		                        v ? v : "\"\"");
		free(v);
	}
	out[len++] = '}';
	out[len] = 0;
	json_decref(o);
	return out;
}

static int add_point(void *ctx, const tt_metric_point *p)
{
	view_metrics *v = ctx;
	view_metric *rows = realloc(v->rows, (v->n + 1) * sizeof *rows);
	if (!rows)
		return -1;
	v->rows = rows;
	view_metric *m = &rows[v->n++];
	memset(m, 0, sizeof *m);
	m->source = strdup(p->source);
	m->series = strdup(p->series);
	m->labels = strdup(p->labels);
	m->labels_text = labels_text(p->labels);
	m->ts_ms = p->ts_ms;
	m->value = p->value;
	m->points = p->points;
	return m->source && m->series && m->labels && m->labels_text ? 0 : -1;
}

int view_metrics_build(store *st, int64_t now_ms, view_metrics *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now_ms;
	if (store_metric_latest(st, add_point, v)) {
		snprintf(err, errlen, "reading metric samples: %s", store_errmsg(st));
		view_metrics_free(v);
		return -1;
	}
	return 0;
}

void view_metrics_free(view_metrics *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->rows[i].source);
		free(v->rows[i].series);
		free(v->rows[i].labels);
		free(v->rows[i].labels_text);
	}
	free(v->rows);
	memset(v, 0, sizeof *v);
}
