/* The Prometheus HTTP query API (/api/v1/query, /api/v1/query_range): requests and answers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokentop/promq.h"

/* A sample value arrives as a string ("1.5", "NaN", "+Inf"). */
static int parse_value(json_t *v, double *out)
{
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	if (!strcmp(s, "NaN")) {
		*out = NAN;
		return 0;
	}
	if (!strcmp(s, "+Inf") || !strcmp(s, "Inf")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcmp(s, "-Inf")) {
		*out = -INFINITY;
		return 0;
	}
	char *end;
	*out = strtod(s, &end);
	return *s && !*end ? 0 : -1;
}

/* [ <unix seconds, number>, "<value>" ] */
static int parse_point(json_t *pair, promq_point *p)
{
	if (!json_is_array(pair) || json_array_size(pair) != 2)
		return -1;
	json_t *t = json_array_get(pair, 0);
	if (!json_is_number(t))
		return -1;
	p->ts_ms = (int64_t)llround(json_number_value(t) * 1000.0);
	return parse_value(json_array_get(pair, 1), &p->value);
}

static int parse_series(json_t *item, bool matrix, promq_series *s)
{
	json_t *metric = json_object_get(item, "metric");
	if (!json_is_object(metric))
		return -1;
	s->labels = json_dumps(metric, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s->labels)
		return -1;
	json_t *vals = matrix ? json_object_get(item, "values") : NULL;
	size_t n = matrix ? json_array_size(vals) : 1;
	if (matrix && !json_is_array(vals))
		return -1;
	s->points = calloc(n ? n : 1, sizeof *s->points);
	if (!s->points)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *pair = matrix ? json_array_get(vals, i) : json_object_get(item, "value");
		if (parse_point(pair, &s->points[i]))
			return -1;
	}
	s->npoints = n;
	return 0;
}

int promq_parse(const char *body, size_t len, promq_result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *doc = json_loadb(body, len, 0, &je);
	if (!doc) {
		snprintf(err, errlen, "not JSON: %s at byte %d", je.text, je.position);
		return -1;
	}
	int rc = -1;
	const char *status = json_string_value(json_object_get(doc, "status"));
	if (!status) {
		snprintf(err, errlen, "not a Prometheus API answer (no status)");
		goto out;
	}
	if (strcmp(status, "success")) {
		const char *et = json_string_value(json_object_get(doc, "errorType"));
		const char *e = json_string_value(json_object_get(doc, "error"));
		snprintf(err, errlen, "query failed: %s%s%s", et ? et : "", et ? ": " : "",
		         e ? e : "(no message)");
		goto out;
	}
	json_t *data = json_object_get(doc, "data");
	const char *type = json_string_value(json_object_get(data, "resultType"));
	json_t *res = json_object_get(data, "result");
	if (!type || !res) {
		snprintf(err, errlen, "malformed answer: no data.resultType or data.result");
		goto out;
	}
	snprintf(out->type, sizeof out->type, "%s", type);
	if (!strcmp(type, "string")) {
		/* a string holds no number to chart: skipped, the answer is still good */
		out->nskipped = 1;
		rc = 0;
		goto out;
	}
	if (!strcmp(type, "scalar")) {
		out->series = calloc(1, sizeof *out->series);
		if (!out->series) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		out->nseries = 1;
		out->series->labels = strdup("{}");
		out->series->points = calloc(1, sizeof *out->series->points);
		if (!out->series->labels || !out->series->points) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		out->series->npoints = 1;
		if (parse_point(res, out->series->points)) {
			promq_result_free(out);
			snprintf(out->type, sizeof out->type, "%s", type);
			out->nskipped = 1;
		}
		rc = 0;
		goto out;
	}
	bool matrix = !strcmp(type, "matrix");
	if ((!matrix && strcmp(type, "vector")) || !json_is_array(res)) {
		snprintf(err, errlen, "unexpected result type \"%s\"", type);
		goto out;
	}
	size_t n = json_array_size(res);
	out->series = calloc(n ? n : 1, sizeof *out->series);
	if (!out->series) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		promq_series *sr = &out->series[out->nseries++];
		if (parse_series(json_array_get(res, i), matrix, sr)) {
			/* one malformed series never costs the others */
			free(sr->labels);
			free(sr->points);
			memset(sr, 0, sizeof *sr);
			out->nseries--;
			out->nskipped++;
		}
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc)
		promq_result_free(out);
	return rc;
}

void promq_result_free(promq_result *r)
{
	for (size_t i = 0; i < r->nseries; i++) {
		free(r->series[i].labels);
		free(r->series[i].points);
	}
	free(r->series);
	memset(r, 0, sizeof *r);
}

int promq_label(const promq_series *s, const char *name, char *buf, size_t cap)
{
	json_t *m = json_loads(s->labels, 0, NULL);
	const char *v = json_string_value(json_object_get(m, name));
	int rc = v ? 0 : -1;
	if (v)
		snprintf(buf, cap, "%s", v);
	json_decref(m);
	return rc;
}

typedef struct pending {
	promq_done_fn done;
	void *ctx;
} pending;

static void on_answer(void *ctx, const http_response *r)
{
	pending *p = ctx;
	char err[512];
	promq_result res;
	if (r->error) {
		snprintf(err, sizeof err, "%s", r->error);
		p->done(p->ctx, NULL, err);
	} else if (promq_parse(r->body, r->len, &res, err, sizeof err)) {
		if (r->status != 200 && !strstr(err, "query failed")) {
			snprintf(err, sizeof err, "HTTP %ld", r->status);
		}
		p->done(p->ctx, NULL, err);
	} else {
		p->done(p->ctx, &res, NULL);
		promq_result_free(&res);
	}
	free(p);
}

int promq_send(http_client *http, const promq_request *q, promq_done_fn done, void *ctx)
{
	char url[8192], esc[6144], auth[4200];
	if (strlen(q->query) * 3 + 1 > sizeof esc)
		return -1;
	http_url_escape(q->query, esc, sizeof esc);
	size_t bl = strlen(q->base_url);
	while (bl && q->base_url[bl - 1] == '/')
		bl--;
	int n;
	if (q->step_ms > 0)
		n = snprintf(url, sizeof url,
		             "%.*s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.3f",
		             (int)bl, q->base_url, esc, (double)q->start_ms / 1000.0,
		             (double)q->end_ms / 1000.0, (double)q->step_ms / 1000.0);
	else if (q->time_ms)
		n = snprintf(url, sizeof url, "%.*s/api/v1/query?query=%s&time=%.3f", (int)bl,
		             q->base_url, esc, (double)q->time_ms / 1000.0);
	else
		n = snprintf(url, sizeof url, "%.*s/api/v1/query?query=%s", (int)bl, q->base_url,
		             esc);
	if (n < 0 || (size_t)n >= sizeof url)
		return -1;
	const char *headers[3] = {"Accept: application/json", NULL, NULL};
	if (q->token && *q->token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", q->token);
		headers[1] = auth;
	}
	pending *p = malloc(sizeof *p);
	if (!p)
		return -1;
	p->done = done;
	p->ctx = ctx;
	http_request req = {.url = url,
	                    .headers = headers,
	                    .timeout_ms = q->timeout_ms,
	                    .insecure = q->insecure,
	                    .userpwd = q->userpwd};
	int rc = http_client_send(http, &req, on_answer, p);
	memset(auth, 0, sizeof auth);
	if (rc)
		free(p);
	return rc;
}
