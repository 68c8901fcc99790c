/* A source's state endpoints (health, routing, controls...), read in rounds between its polls. */
#include <stdio.h>
#include <string.h>

#include "statedoc.h"
#include "tokentop/timeutil.h"

void statedocs_init(statedocs *d, const statedoc_kind *kinds, size_t n, int64_t every_ms)
{
	d->kinds = kinds;
	d->n = n < STATEDOC_KINDS_MAX ? n : STATEDOC_KINDS_MAX;
	d->next = d->n;
	d->every_ms = every_ms;
	d->due_ms = 0;
	d->yield = false;
	memset(d->etag, 0, sizeof d->etag);
	d->rounds = d->refused = 0;
}

/* The round moves on to the next kind; the source's timer carries on from there. The pause
 * to the next round counts from the end of this one, and the source polls in between: a
 * round slowed by failures and their backoffs never starves the events. */
static void advance(statedocs *d)
{
	if (d->next < d->n && ++d->next == d->n) {
		d->rounds++;
		d->due_ms = time_now_ms() + d->every_ms;
		d->yield = true;
	}
}

static void on_answer(void *ctx, const http_response *r)
{
	statedocs *d = ctx;
	if (!poller_answer(d->p))
		return;
	const statedoc_kind *k = &d->kinds[d->next];
	char *etag = d->etag[d->next];
	if (r->error) {
		advance(d);
		poller_fail(d->p, false, "%s%s: %s", d->base, k->path, r->error);
		return;
	}
	if (r->status == 401 || r->status == 403) {
		d->next = d->n; /* the rest of the round would be refused too */
		poller_fail(d->p, true, "%s%s: %s (HTTP %ld); check token_env/token_file", d->base,
		            k->path, d->refused_auth, r->status);
		return;
	}
	if (r->status == 404) {
		/* not every gateway offers every endpoint: nothing to keep, nothing wrong */
		advance(d);
		poller_schedule(d->p, 0);
		return;
	}
	int rc = 0;
	if (r->status == 304 && k->conditional && etag[0]) {
		if (d->sink->gwstate)
			rc = d->sink->gwstate(d->sink->ctx, d->p->name, k->kind, NULL, 0, etag);
	} else if (r->status != 200) {
		advance(d);
		poller_fail(d->p, false, "%s%s: HTTP %ld", d->base, k->path, r->status);
		return;
	} else {
		json_error_t je;
		json_t *doc = json_loadb(r->body, r->len, JSON_DECODE_ANY, &je);
		const char *wrong = doc ? k->check(doc) : NULL;
		json_decref(doc);
		if (!doc || wrong) {
			d->refused++;
			advance(d);
			if (!doc)
				poller_fail(d->p, false,
				            "%s%s: answer refused: not JSON (%s at byte %d)",
				            d->base, k->path, je.text, je.position);
			else
				poller_fail(d->p, false, "%s%s: answer refused: %s", d->base,
				            k->path, wrong);
			return;
		}
		if (d->sink->gwstate)
			rc = d->sink->gwstate(d->sink->ctx, d->p->name, k->kind, r->body, r->len,
			                      r->etag && r->etag[0] ? r->etag : NULL);
		if (!rc && k->conditional)
			snprintf(etag, STATEDOC_ETAG_CAP, "%s", r->etag ? r->etag : "");
	}
	advance(d);
	if (rc) {
		poller_fail(d->p, false, "%s: could not store its %s", d->p->name, k->kind);
		return;
	}
	poller_schedule(d->p, 0);
}

bool statedocs_poll(statedocs *d, int64_t now_ms)
{
	if (d->next >= d->n) {
		if (d->yield || !d->n || now_ms < d->due_ms) {
			d->yield = false;
			return false;
		}
		d->next = 0;
	}
	const statedoc_kind *k = &d->kinds[d->next];
	char url[2048], inm[STATEDOC_ETAG_CAP + 32];
	snprintf(url, sizeof url, "%s%s", d->base, k->path);
	const char *headers[4] = {"Accept: application/json", NULL, NULL, NULL};
	int h = 1;
	if (d->auth)
		headers[h++] = d->auth;
	if (k->conditional && d->etag[d->next][0]) {
		snprintf(inm, sizeof inm, "If-None-Match: %s", d->etag[d->next]);
		headers[h++] = inm;
	}
	size_t cap =
	    d->max_body && d->max_body < STATEDOC_MAX_BODY ? d->max_body : STATEDOC_MAX_BODY;
	http_request req = {.url = url,
	                    .headers = headers,
	                    .timeout_ms = d->timeout_ms,
	                    .max_body = cap,
	                    .insecure = d->insecure,
	                    .userpwd = d->userpwd};
	if (http_client_send(d->http, &req, on_answer, d)) {
		advance(d);
		poller_fail(d->p, false, "%s: could not start a request", url);
		return true;
	}
	poller_sent(d->p);
	return true;
}
