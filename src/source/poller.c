/* The retry-and-state machinery every polling source shares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poller.h"
#include "tokentop/http.h"
#include "tokentop/timeutil.h"

#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS  60000
/* a refused token is not fixed by retrying fast */
#define AUTH_BACKOFF_EXTRA 4

static void set_state(poller *p, source_state st, const char *detail)
{
	if (st == p->state && st == SRC_OK)
		return;
	p->state = st;
	if (p->on_state)
		p->on_state(p->ctx, p->name, st, detail);
}

static void on_timer(uv_timer_t *t)
{
	poller *p = t->data;
	if (p->running && !p->in_flight && !p->freed)
		p->poll(p);
}

int poller_init(poller *p, uv_loop_t *loop, const char *name, void (*poll)(poller *),
                void (*destroy)(poller *), poller_state_fn on_state, void *ctx)
{
	memset(p, 0, sizeof *p);
	p->name = strdup(name);
	if (!p->name)
		return -1;
	p->poll = poll;
	p->destroy = destroy;
	p->on_state = on_state;
	p->ctx = ctx;
	p->state = SRC_STARTING;
	p->rng = (uint64_t)(uintptr_t)p ^ (uint64_t)time_now_ms();
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	return 0;
}

void poller_schedule(poller *p, int64_t ms)
{
	if (p->running && !p->freed)
		uv_timer_start(&p->timer, on_timer, (uint64_t)(ms > 0 ? ms : 0), 0);
}

void poller_start(poller *p)
{
	p->running = true;
	poller_schedule(p, 0);
}

void poller_stop(poller *p)
{
	p->running = false;
	uv_timer_stop(&p->timer);
}

void poller_sent(poller *p)
{
	p->in_flight = true;
}

static void on_closed(uv_handle_t *h)
{
	poller *p = h->data;
	free(p->name);
	p->destroy(p);
}

void poller_free(poller *p)
{
	poller_stop(p);
	p->freed = true;
	if (!p->in_flight)
		uv_close((uv_handle_t *)&p->timer, on_closed);
}

bool poller_answer(poller *p)
{
	p->in_flight = false;
	if (p->freed) {
		uv_close((uv_handle_t *)&p->timer, on_closed);
		return false;
	}
	return p->running;
}

void poller_fail(poller *p, bool auth, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	p->failures++;
	set_state(p, auth || p->failures >= SOURCE_DOWN_AFTER ? SRC_DOWN : SRC_DEGRADED, detail);
	poller_schedule(p, source_backoff_ms(p->failures + (auth ? AUTH_BACKOFF_EXTRA : 0),
	                                     BACKOFF_BASE_MS, BACKOFF_CAP_MS, &p->rng));
}

void poller_ok(poller *p, int64_t next_ms)
{
	p->failures = 0;
	p->last_success_ms = time_now_ms();
	set_state(p, SRC_OK, "");
	poller_schedule(p, next_ms);
}

int poller_bearer(const char *token, char **out)
{
	*out = NULL;
	if (!token || !*token)
		return 0;
	size_t n = strlen(token) + 32;
	*out = malloc(n);
	if (!*out)
		return -1;
	snprintf(*out, n, "Authorization: Bearer %s", token);
	return 0;
}

int poller_url(const char *url, char **clean, char **userpwd)
{
	size_t cap = strlen(url) + 1;
	*clean = malloc(cap);
	*userpwd = NULL;
	char *up = malloc(cap);
	int r = *clean && up ? http_url_split(url, *clean, cap, up, cap) : -1;
	if (r == 1) {
		*userpwd = up;
		return 0;
	}
	poller_wipe(up);
	if (r < 0) {
		free(*clean);
		*clean = NULL;
		return -1;
	}
	return 0;
}

void poller_wipe(char *secret)
{
	if (!secret)
		return;
	memset(secret, 0, strlen(secret)); /* the token does not outlive the source */
	free(secret);
}
