/* Asynchronous HTTP on the libuv loop: libcurl's multi interface driven by uv polls and a timer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "tokentop/http.h"

#define DEFAULT_CONNECT_MS    3000
#define DEFAULT_TIMEOUT_MS    15000
#define DEFAULT_MAX_BODY      (16u << 20)
#define HTTP_KEEP_CONNECTIONS 1024

typedef struct transfer {
	http_client *client;
	CURL *easy;
	struct curl_slist *headers;
	http_done_fn done;
	void *ctx;
	char *buf;
	size_t len, cap, max;
	bool too_big;
	char etag[160];
	char content_type[160];
	char errbuf[CURL_ERROR_SIZE];
	struct transfer *next, *prev;
} transfer;

/* One per socket curl watches. */
typedef struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	http_client *client;
} sock_ctx;

struct http_client {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	transfer *active;
	int pending;
	bool closing;
};

static void check_done(http_client *c);

void http_url_escape(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	if (!cap)
		return;
	for (; *s && o + 4 <= cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

int http_url_split(const char *url, char *clean, size_t ccap, char *userpwd, size_t ucap)
{
	if (!ccap || !ucap)
		return -1;
	userpwd[0] = 0;
	const char *s = strstr(url, "://");
	const char *host = s ? s + 3 : NULL;
	/* the authority ends at the first '/', '?' or '#'; credentials end at its last '@' */
	const char *end = host ? host + strcspn(host, "/?#") : NULL, *at = NULL;
	for (const char *p = host; p && p < end; p++)
		if (*p == '@')
			at = p;
	if (!at) {
		if ((size_t)snprintf(clean, ccap, "%s", url) >= ccap)
			return -1;
		return 0;
	}
	size_t o = 0;
	for (const char *p = host; p < at; p++) {
		int hi, lo;
		char ch = *p;
		if (ch == '%' && p + 2 < at && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			ch = (char)(hi * 16 + lo);
			p += 2;
		}
		if (o + 1 >= ucap)
			return -1;
		userpwd[o++] = ch;
	}
	userpwd[o] = 0;
	if ((size_t)snprintf(clean, ccap, "%.*s%s", (int)(host - url), url, at + 1) >= ccap)
		return -1;
	return 1;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	transfer *t = userp;
	size_t add = size * n;
	if (t->len + add > t->max) {
		t->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (t->len + add + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16384;
		while (cap < t->len + add + 1)
			cap *= 2;
		char *nb = realloc(t->buf, cap);
		if (!nb)
			return 0;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, data, add);
	t->len += add;
	return add;
}

/* Copies a header's value when the line is that header. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0)
		return;
	const char *v = line + nl;
	size_t vl = len - nl;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl < cap) {
		memcpy(out, v, vl);
		out[vl] = 0;
	}
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	transfer *t = userp;
	size_t len = size * n;
	header_value(data, len, "etag:", t->etag, sizeof t->etag);
	header_value(data, len, "content-type:", t->content_type, sizeof t->content_type);
	return len;
}

static void unlink_transfer(http_client *c, transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		c->active = t->next;
	if (t->next)
		t->next->prev = t->prev;
	c->pending--;
}

static void finish(http_client *c, transfer *t, CURLcode code)
{
	http_response r = {0};
	char msg[CURL_ERROR_SIZE + 64];
	long status = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &r.elapsed_s);
	r.status = status;
	r.body = t->buf ? t->buf : "";
	r.len = t->len;
	r.etag = t->etag;
	r.content_type = t->content_type;
	if (t->buf)
		t->buf[t->len] = 0;
	if (c->closing) {
		r.error = "cancelled";
	} else if (t->too_big) {
		snprintf(msg, sizeof msg, "answer larger than %zu bytes, refused", t->max);
		r.error = msg;
	} else if (code != CURLE_OK) {
		snprintf(msg, sizeof msg, "%s",
		         t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
		r.error = msg;
	}
	unlink_transfer(c, t);
	curl_multi_remove_handle(c->multi, t->easy);
	t->done(t->ctx, &r);
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t->buf);
	free(t);
}

static void check_done(http_client *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		transfer *t = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		CURLcode code = m->data.result;
		if (t)
			finish(c, t, code);
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	sock_ctx *s = h->data;
	int flags = 0, running;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	http_client *c = s->client;
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	check_done(c);
}

static void free_sock(uv_handle_t *h)
{
	free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
	(void)easy;
	http_client *c = userp;
	sock_ctx *s = socketp;
	if (action == CURL_POLL_REMOVE) {
		if (s) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, free_sock);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s || uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->fd = fd;
		s->client = c;
		s->poll.data = s;
		curl_multi_assign(c->multi, fd, s);
	}
	int events = 0;
	if (action != CURL_POLL_IN)
		events |= UV_WRITABLE;
	if (action != CURL_POLL_OUT)
		events |= UV_READABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static void on_timer(uv_timer_t *h)
{
	http_client *c = h->data;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int on_timeout_change(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	http_client *c = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, timeout_ms ? (uint64_t)timeout_ms : 1, 0);
	return 0;
}

http_client *http_client_new(uv_loop_t *loop)
{
	static bool global_done;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = true;
	}
	http_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->loop = loop;
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return NULL;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timeout_change);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* libcurl sizes its connection cache by the transfers added at once; sources polled in
	 * turn have few out at a time, so their idle connections were closed and every poll paid
	 * a new TCP (and TLS) handshake. Keep one per gateway. */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_KEEP_CONNECTIONS);
	return c;
}

int http_client_pending(const http_client *c)
{
	return c->pending;
}

int http_client_send(http_client *c, const http_request *req, http_done_fn done, void *ctx)
{
	if (c->closing)
		return -1;
	transfer *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	t->easy = curl_easy_init();
	if (!t->easy) {
		free(t);
		return -1;
	}
	t->client = c;
	t->done = done;
	t->ctx = ctx;
	t->max = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = curl_slist_append(t->headers, *h);
		if (!n) {
			curl_slist_free_all(t->headers);
			curl_easy_cleanup(t->easy);
			free(t);
			return -1;
		}
		t->headers = n;
	}
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	if (req->userpwd && *req->userpwd) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERPWD, req->userpwd);
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 req->connect_timeout_ms ? req->connect_timeout_ms : DEFAULT_CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "tokentop");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (req->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (t->headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	const char *method = req->method ? req->method : "GET";
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body);
	}
	t->next = c->active;
	if (c->active)
		c->active->prev = t;
	c->active = t;
	c->pending++;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		unlink_transfer(c, t);
		curl_slist_free_all(t->headers);
		curl_easy_cleanup(e);
		free(t);
		return -1;
	}
	return 0;
}

static void free_client(uv_handle_t *h)
{
	http_client *c = h->data;
	curl_multi_cleanup(c->multi);
	free(c);
}

void http_client_free(http_client *c)
{
	if (!c)
		return;
	c->closing = true;
	while (c->active)
		finish(c, c->active, CURLE_ABORTED_BY_CALLBACK);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, free_client);
}
