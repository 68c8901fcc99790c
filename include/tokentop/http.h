/* Asynchronous HTTP on the libuv loop: libcurl's multi interface driven by uv polls and a timer. */
#ifndef TOKENTOP_HTTP_H
#define TOKENTOP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

typedef struct http_client http_client;

typedef struct http_request {
	const char *method; /* "GET" (default), "POST", "DELETE" */
	const char *url;
	const char *body; /* NULL: none */
	size_t body_len;
	const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
	long connect_timeout_ms;    /* 0: 3000 */
	long timeout_ms;            /* whole request; 0: 15000 */
	size_t max_body;            /* larger answers are refused; 0: 16 MiB */
	bool insecure;              /* skip TLS verification (the operator said so) */
	const char *userpwd;        /* "user:password" for basic auth (from http_url_split) */
} http_request;

typedef struct http_response {
	long status;      /* HTTP status; 0 when no answer came */
	const char *body; /* NUL-terminated; valid during the callback only */
	size_t len;
	const char *error; /* NULL on a complete answer, else one line saying what failed */
	double elapsed_s;
	const char *etag;         /* the ETag header, or "" */
	const char *content_type; /* the Content-Type header, or "" */
} http_response;

typedef void (*http_done_fn)(void *ctx, const http_response *r);

/* Percent-encodes s for a URL query value (RFC 3986 unreserved characters kept); the output
 * is cut at cap, which 3 * strlen(s) + 1 always fits. */
void http_url_escape(const char *s, char *out, size_t cap);

/* Takes the credentials out of a URL ("http://admin:PW@host/x"): clean gets the URL without
 * them ("http://host/x"), which is what may be printed, logged or recorded; userpwd gets
 * "admin:PW" percent-decoded, for http_request.userpwd. 1 when the URL had credentials, 0
 * when not (clean is a copy, userpwd ""), -1 when a result does not fit. */
int http_url_split(const char *url, char *clean, size_t ccap, char *userpwd, size_t ucap);

/* A client on loop; every request it sends completes through its callback on that loop. */
http_client *http_client_new(uv_loop_t *loop);

/* Starts a request; done is called exactly once (also when the client is freed first, with
 * an error). 0, or -1 when it could not be started (done is not called). */
int http_client_send(http_client *c, const http_request *req, http_done_fn done, void *ctx);

/* Requests in flight. */
int http_client_pending(const http_client *c);

/* Cancels what is in flight (each callback gets error "cancelled") and frees the client once
 * its handles are closed; the loop must run on for that. */
void http_client_free(http_client *c);

#endif
