/* tokentop sync: runs the live sources headless into the cache, for collectors and tests. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "tokentop/app.h"
#include "tokentop/config.h"
#include "tokentop/gateway.h"
#include "tokentop/ingest.h"
#include "tokentop/litellm.h"
#include "tokentop/promsrc.h"
#include "tokentop/scrape.h"
#include "tokentop/timeutil.h"

#define MAX_SOURCES 256

/* What the command line says about one event source. */
typedef struct source_params {
	const char *name, *url, *token;
	int64_t poll_ms;
	int page_limit;
	int64_t state_ms; /* between reads of the state endpoints; 0: the source's default */
} source_params;

/* The kinds of event source sync runs, behind one table of operations. */
typedef struct source_kind {
	const char *option; /* --gateway, --litellm */
	void *(*make)(uv_loop_t *loop, http_client *http, const source_params *p,
	              const char *cursor, const source_sink *sink);
	void (*start)(void *s);
	void (*stop)(void *s);
	void (*free)(void *s);
	bool (*caught_up)(const void *s);
	uint64_t (*events)(const void *s);
	const char *(*cursor)(const void *s);
} source_kind;

static void *make_gateway(uv_loop_t *loop, http_client *http, const source_params *p,
                          const char *cursor, const source_sink *sink)
{
	gateway_opts o = {.name = p->name,
	                  .url = p->url,
	                  .token = p->token,
	                  .poll_ms = (long)p->poll_ms,
	                  .page_limit = p->page_limit,
	                  .state_ms = (long)p->state_ms};
	return gateway_new(loop, http, &o, cursor, sink);
}

static void *make_litellm(uv_loop_t *loop, http_client *http, const source_params *p,
                          const char *cursor, const source_sink *sink)
{
	litellm_opts o = {.name = p->name,
	                  .url = p->url,
	                  .token = p->token,
	                  .poll_ms = (long)p->poll_ms,
	                  .state_ms = (long)p->state_ms};
	return litellm_new(loop, http, &o, cursor, sink);
}

/* Adapters from each source's typed functions to the table's void pointers. */
#define SOURCE_OPS(pfx, T)                                                                         \
	static void pfx##_start_op(void *s)                                                        \
	{                                                                                          \
		pfx##_start(s);                                                                    \
	}                                                                                          \
	static void pfx##_stop_op(void *s)                                                         \
	{                                                                                          \
		pfx##_stop(s);                                                                     \
	}                                                                                          \
	static void pfx##_free_op(void *s)                                                         \
	{                                                                                          \
		pfx##_free(s);                                                                     \
	}                                                                                          \
	static bool pfx##_caught_up_op(const void *s)                                              \
	{                                                                                          \
		return pfx##_caught_up((const T *)s);                                              \
	}                                                                                          \
	static uint64_t pfx##_events_op(const void *s)                                             \
	{                                                                                          \
		return pfx##_events((const T *)s);                                                 \
	}                                                                                          \
	static const char *pfx##_cursor_op(const void *s)                                          \
	{                                                                                          \
		return pfx##_cursor((const T *)s);                                                 \
	}
SOURCE_OPS(gateway, gateway)
SOURCE_OPS(litellm, litellm_src)
#define KIND(name, pfx)                                                                            \
	{                                                                                          \
		name, make_##pfx, pfx##_start_op, pfx##_stop_op, pfx##_free_op,                    \
		    pfx##_caught_up_op, pfx##_events_op, pfx##_cursor_op                           \
	}

static const source_kind kinds[] = {KIND("gateway", gateway), KIND("litellm", litellm)};

typedef struct sync_ctx {
	uv_loop_t *loop;
	ingest *in;
	void *src[MAX_SOURCES];
	const source_kind *kind[MAX_SOURCES];
	int nsrc;
	store *st;
	scrape_src *scr[MAX_SOURCES];
	int nscr;
	promsrc *pq[MAX_SOURCES];
	int npq;
	uint64_t scrapes;
	bool once;
	int failed;     /* a source went down during --once */
	int stored_err; /* the database refused a page */
	uv_timer_t check, deadline;
	uv_signal_t sigint, sigterm;
	bool stopping;
} sync_ctx;

static void sync_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tokentop sync [--db FILE] [--config FILE] [--gateway NAME=URL] [--litellm NAME=URL]\n"
	    "                     [--scrape NAME=URL[,KIND]] [--prometheus NAME=URL --query S=Q]\n"
	    "                     [--token-file F | --token-env VAR]\n"
	    "                     [--once | --for DURATION] [--poll DURATION]\n"
	    "                     [--state-interval DURATION]\n\n"
	    "Pulls request events from gateways (the tokentop v1 API) and LiteLLM proxies\n"
	    "(/spend/logs/ui) into the database, each exactly once: a source's cursor is\n"
	    "committed with the events it covers, so a sync killed at any moment resumes where\n"
	    "it stopped. Prints a line when a source changes state.\n\n"
	    "  --db FILE          database (default $XDG_DATA_HOME/tokentop/tokentop.db)\n"
	    "  --config FILE      sources from [gateway], [scrape] and [prometheus] sections\n"
	    "                     (default $XDG_CONFIG_HOME/tokentop/tokentop.ini), used when\n"
	    "                     no source is given on the command line\n"
	    "  --gateway NAME=URL a tokentop-dialect gateway to pull from (repeatable)\n"
	    "  --litellm NAME=URL a LiteLLM proxy to pull spend logs from (repeatable)\n"
	    "  --scrape NAME=URL[,KIND]  an inference server's /metrics (KIND vllm, tgi or\n"
	    "                     generic; default generic), every --interval (repeatable)\n"
	    "  --interval DURATION   between scrapes (default 5s)\n"
	    "  --page-limit N     events asked per gateway page (default 1000)\n"
	    "  --prometheus NAME=URL  a Prometheus-compatible query API (repeatable)\n"
	    "  --query SERIES=PROMQL  a query every --prometheus source runs each --interval;\n"
	    "                     results are stored as the series SERIES (repeatable)\n"
	    "  --token-file F     bearer token read from F (first line)\n"
	    "  --token-env VAR    bearer token from the environment variable VAR\n"
	    "  --once             stop when every gateway is caught up and every scrape was\n"
	    "                     stored once (exit 1 if a source is down)\n"
	    "  --for DURATION     stop after DURATION (30s, 10m, 1h); default: until SIGINT\n"
	    "  --poll DURATION    pause between polls when caught up (default 2s); a gateway\n"
	    "                     with nothing new is asked less often, up to 4 times that\n"
	    "  --state-interval DURATION  between reads of each gateway's health, routing and\n"
	    "                     controls (LiteLLM: liveliness, spend, models, router\n"
	    "                     settings), kept in the database (default 30s)\n"
	    "  -h, --help         this help\n");
}

static int on_page(void *ctx, const char *source, tt_event *evs, size_t n, const char *cursor)
{
	sync_ctx *s = ctx;
	for (size_t i = 0; i < n; i++)
		if (ingest_event(s->in, &evs[i]))
			goto fail;
	if (ingest_commit(s->in, source, cursor))
		goto fail;
	return 0;
fail:
	s->stored_err = 1;
	return -1;
}

#define KEEP_INFERENCE_MS (8 * 86400000LL)

static int on_samples(void *ctx, const char *source, const scrape_sample *v, size_t n)
{
	sync_ctx *s = ctx;
	if (store_begin(s->st))
		return -1;
	for (size_t i = 0; i < n; i++) {
		tt_inference x = {.source = source,
		                  .model_name = v[i].model_name,
		                  .ts_ms = v[i].ts_ms,
		                  .requests_running = v[i].requests_running,
		                  .requests_waiting = v[i].requests_waiting,
		                  .kv_cache_usage = v[i].kv_cache_usage,
		                  .prompt_tokens_total = v[i].prompt_tokens_total,
		                  .generation_tokens_total = v[i].generation_tokens_total,
		                  .ttft = v[i].ttft,
		                  .ttft_len = v[i].nttft * sizeof *v[i].ttft};
		if (store_inference_add(s->st, &x)) {
			store_rollback(s->st);
			return -1;
		}
	}
	if (++s->scrapes % 1000 == 0)
		store_inference_prune(s->st, time_now_ms() - KEEP_INFERENCE_MS);
	return store_commit(s->st);
}

static int on_query(void *ctx, const char *source, const char *series, const promq_result *r)
{
	sync_ctx *s = ctx;
	if (store_begin(s->st))
		return -1;
	for (size_t i = 0; i < r->nseries; i++)
		for (size_t k = 0; k < r->series[i].npoints; k++)
			if (store_metric_add(s->st, source, series, r->series[i].labels,
			                     r->series[i].points[k].ts_ms,
			                     r->series[i].points[k].value)) {
				store_rollback(s->st);
				return -1;
			}
	return store_commit(s->st);
}

/* A state endpoint's answer (health, routing, controls...), kept as the gateway sent it. */
static int on_gwstate(void *ctx, const char *source, const char *kind, const char *body, size_t len,
                      const char *etag)
{
	sync_ctx *s = ctx;
	(void)len;
	int64_t now = time_now_ms();
	if (!body) {
		int rc = store_gwstate_touch(s->st, source, kind, now);
		return rc < 0 ? -1 : 0;
	}
	return store_gwstate_put(s->st, source, kind, body, etag, now);
}

static void on_reject(void *ctx, const char *source, const char *reason)
{
	(void)ctx;
	fprintf(stderr, "sync: %s: event rejected: %s\n", source, reason);
}

static void stop_all(sync_ctx *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	for (int i = 0; i < s->nsrc; i++)
		s->kind[i]->stop(s->src[i]);
	for (int i = 0; i < s->nscr; i++)
		scrape_stop(s->scr[i]);
	for (int i = 0; i < s->npq; i++)
		promsrc_stop(s->pq[i]);
	uv_timer_stop(&s->check);
	uv_timer_stop(&s->deadline);
	uv_signal_stop(&s->sigint);
	uv_signal_stop(&s->sigterm);
	uv_stop(s->loop);
}

static void on_state(void *ctx, const char *source, source_state st, const char *detail)
{
	sync_ctx *s = ctx;
	printf("sync: %s: %s%s%s\n", source, source_state_name(st), *detail ? ": " : "", detail);
	fflush(stdout);
	if (s->once && st == SRC_DOWN) {
		s->failed = 1;
		stop_all(s);
	}
}

static void on_check(uv_timer_t *t)
{
	sync_ctx *s = t->data;
	for (int i = 0; i < s->nsrc; i++)
		if (!s->kind[i]->caught_up(s->src[i]))
			return;
	for (int i = 0; i < s->nscr; i++)
		if (!scrape_count(s->scr[i]))
			return;
	for (int i = 0; i < s->npq; i++)
		if (!promsrc_rounds(s->pq[i]))
			return;
	stop_all(s);
}

static void on_deadline(uv_timer_t *t)
{
	stop_all(t->data);
}

static void on_signal(uv_signal_t *h, int sig)
{
	(void)sig;
	stop_all(h->data);
}

static int read_token(const char *file, const char *env, char *buf, size_t cap)
{
	buf[0] = 0;
	if (env) {
		const char *v = getenv(env);
		if (!v || !*v) {
			fprintf(stderr, "tokentop sync: --token-env: %s is not set\n", env);
			return -1;
		}
		snprintf(buf, cap, "%s", v);
	} else if (file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			fprintf(stderr, "tokentop sync: %s: cannot open the token file: %s\n", file,
			        strerror(errno));
			return -1;
		}
		if (!fgets(buf, (int)cap, f))
			buf[0] = 0;
		fclose(f);
		buf[strcspn(buf, "\r\n")] = 0;
		if (!buf[0]) {
			fprintf(stderr, "tokentop sync: %s: the token file is empty\n", file);
			return -1;
		}
	}
	return 0;
}

int cmd_sync(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'D'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"litellm", required_argument, NULL, 'l'},
	    {"scrape", required_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {"page-limit", required_argument, NULL, 'P'},
	    {"prometheus", required_argument, NULL, 'Q'},
	    {"query", required_argument, NULL, 'q'},
	    {"token-file", required_argument, NULL, 'T'},
	    {"token-env", required_argument, NULL, 'E'},
	    {"once", no_argument, NULL, 'o'},
	    {"for", required_argument, NULL, 'f'},
	    {"poll", required_argument, NULL, 'p'},
	    {"state-interval", required_argument, NULL, 'S'},
	    {"config", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *db = NULL, *token_file = NULL, *token_env = NULL, *cfg_path = NULL;
	/* per source: its token and timings (from the command line or the config file) */
	char *etok[MAX_SOURCES] = {0}, *stok[MAX_SOURCES] = {0}, *ptok[MAX_SOURCES] = {0};
	int64_t epoll[MAX_SOURCES], eplimit[MAX_SOURCES], sint[MAX_SOURCES], pint[MAX_SOURCES];
	int64_t estate[MAX_SOURCES];
	const promsrc_query *pqs[MAX_SOURCES];
	size_t pnq[MAX_SOURCES];
	promsrc_query cfgq[MAX_SOURCES][3];
	tt_config cfg;
	memset(&cfg, 0, sizeof cfg);
	char *names[MAX_SOURCES], *urls[MAX_SOURCES];
	const source_kind *kind_of[MAX_SOURCES];
	char *snames[MAX_SOURCES], *surls[MAX_SOURCES];
	prom_kind skinds[MAX_SOURCES];
	int ns = 0;
	int64_t interval_ms = 5000;
	long page_limit = 0;
	char *pnames[MAX_SOURCES], *purls[MAX_SOURCES];
	int np = 0;
	promsrc_query queries[MAX_SOURCES];
	int nq = 0;
	int n = 0;
	bool once = false;
	int64_t for_ms = 0, poll_ms = 2000, state_ms = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'C':
			cfg_path = optarg;
			break;
		case 'g':
		case 'l': {
			const source_kind *k = &kinds[c == 'l'];
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1]) {
				fprintf(stderr,
				        "tokentop sync: --%s: expected NAME=URL, got '%s'\n",
				        k->option, optarg);
				return EXIT_USAGE;
			}
			if (n == MAX_SOURCES) {
				fprintf(stderr, "tokentop sync: at most %d sources\n", MAX_SOURCES);
				return EXIT_USAGE;
			}
			*eq = 0;
			names[n] = optarg;
			kind_of[n] = k;
			urls[n++] = eq + 1;
			break;
		}
		case 's': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1] || ns == MAX_SOURCES) {
				fprintf(
				    stderr,
				    "tokentop sync: --scrape: expected NAME=URL[,KIND], got '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			*eq = 0;
			char *comma = strrchr(eq + 1, ',');
			skinds[ns] = PROM_KIND_GENERIC;
			if (comma) {
				*comma = 0;
				if (prom_kind_from_name(comma + 1, &skinds[ns])) {
					fprintf(stderr,
					        "tokentop sync: --scrape: unknown kind '%s' "
					        "(expected vllm, tgi or generic)\n",
					        comma + 1);
					return EXIT_USAGE;
				}
			}
			snames[ns] = optarg;
			surls[ns++] = eq + 1;
			break;
		}
		case 'Q':
		case 'q': {
			char *eq = strchr(optarg, '=');
			int *cnt = c == 'Q' ? &np : &nq;
			if (!eq || eq == optarg || !eq[1] || *cnt == MAX_SOURCES) {
				fprintf(stderr, "tokentop sync: --%s: expected %s, got '%s'\n",
				        c == 'Q' ? "prometheus" : "query",
				        c == 'Q' ? "NAME=URL" : "SERIES=PROMQL", optarg);
				return EXIT_USAGE;
			}
			*eq = 0;
			if (c == 'Q') {
				pnames[np] = optarg;
				purls[np++] = eq + 1;
			} else {
				queries[nq].series = optarg;
				queries[nq++].promql = eq + 1;
			}
			break;
		}
		case 'P':
			page_limit = strtol(optarg, NULL, 10);
			if (page_limit < 1 || page_limit > 5000) {
				fprintf(stderr, "tokentop sync: --page-limit: expected 1..5000\n");
				return EXIT_USAGE;
			}
			break;
		case 'i':
			if (time_parse_duration(optarg, &interval_ms)) {
				fprintf(stderr,
				        "tokentop sync: --interval: expected a duration like 5s\n");
				return EXIT_USAGE;
			}
			break;
		case 'T':
			token_file = optarg;
			break;
		case 'E':
			token_env = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'f':
			if (time_parse_duration(optarg, &for_ms)) {
				fprintf(
				    stderr,
				    "tokentop sync: --for: expected a duration like 30s or 10m\n");
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (time_parse_duration(optarg, &poll_ms)) {
				fprintf(stderr,
				        "tokentop sync: --poll: expected a duration like 2s\n");
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (time_parse_duration(optarg, &state_ms) || state_ms <= 0) {
				fprintf(stderr, "tokentop sync: --state-interval: expected a "
				                "duration like 30s\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			sync_usage(stdout);
			return EXIT_OK;
		default:
			sync_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tokentop sync: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (np && !nq) {
		fprintf(stderr,
		        "tokentop sync: --prometheus needs at least one --query SERIES=PROMQL\n");
		return EXIT_USAGE;
	}
	if (once && for_ms) {
		fprintf(stderr, "tokentop sync: --once and --for exclude each other\n");
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	ratecard *card = NULL;
	store *st = NULL;
	char token[4096];
	if (read_token(token_file, token_env, token, sizeof token))
		return EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		etok[i] = strdup(token);
		epoll[i] = poll_ms;
		eplimit[i] = page_limit;
		estate[i] = state_ms;
	}
	for (int i = 0; i < ns; i++) {
		stok[i] = strdup(token);
		sint[i] = interval_ms;
	}
	for (int i = 0; i < np; i++) {
		ptok[i] = strdup(token);
		pint[i] = interval_ms;
		pqs[i] = queries;
		pnq[i] = (size_t)nq;
	}
	memset(token, 0, sizeof token);
	if (!n && !ns && !np) {
		/* no sources on the command line: the configuration file's */
		char err[1200];
		if (config_open(cfg_path, &cfg))
			return EXIT_FAIL;
		for (size_t i = 0; i < cfg.ngateways && n < MAX_SOURCES; i++, n++) {
			gateway_spec *g = &cfg.gateways[i];
			names[n] = g->name;
			urls[n] = g->url;
			kind_of[n] = &kinds[g->dialect == GATEWAY_LITELLM];
			epoll[n] = g->poll_ms;
			eplimit[n] = g->page_limit;
			estate[n] = state_ms ? state_ms : g->state_ms;
			if (config_token(g->token_env, g->token_file, token, sizeof token, err,
			                 sizeof err)) {
				fprintf(stderr, "tokentop sync: [gateway %s]: %s\n", g->name, err);
				rc = EXIT_FAIL;
			}
			etok[n] = strdup(token);
		}
		for (size_t i = 0; i < cfg.nscrapes && ns < MAX_SOURCES; i++, ns++) {
			scrape_spec *sc = &cfg.scrapes[i];
			snames[ns] = sc->name;
			surls[ns] = sc->url;
			skinds[ns] = (prom_kind)sc->kind;
			sint[ns] = sc->interval_ms;
			if (config_token(sc->token_env, sc->token_file, token, sizeof token, err,
			                 sizeof err)) {
				fprintf(stderr, "tokentop sync: [scrape %s]: %s\n", sc->name, err);
				rc = EXIT_FAIL;
			}
			stok[ns] = strdup(token);
		}
		for (size_t i = 0; i < cfg.nprometheus && np < MAX_SOURCES; i++, np++) {
			prometheus_spec *ps = &cfg.prometheus[i];
			pnames[np] = ps->name;
			purls[np] = ps->url;
			pint[np] = ps->interval_ms;
			cfgq[np][0] = (promsrc_query){"spend_rate", ps->spend_rate};
			cfgq[np][1] = (promsrc_query){"request_rate", ps->request_rate};
			cfgq[np][2] = (promsrc_query){"latency_p95", ps->latency_p95};
			pqs[np] = cfgq[np];
			pnq[np] = 3;
			if (config_token(ps->token_env, ps->token_file, token, sizeof token, err,
			                 sizeof err)) {
				fprintf(stderr, "tokentop sync: [prometheus %s]: %s\n", ps->name,
				        err);
				rc = EXIT_FAIL;
			}
			ptok[np] = strdup(token);
		}
		memset(token, 0, sizeof token);
		if (rc == EXIT_OK && !n && !ns && !np) {
			fprintf(
			    stderr,
			    "tokentop sync: no sources: give --gateway, --litellm, --scrape or "
			    "--prometheus NAME=URL, or configure [gateway NAME] sections in %s\n\n",
			    cfg.path[0] ? cfg.path : "the config file (docs/config.md)");
			sync_usage(stderr);
			rc = EXIT_USAGE;
		}
		if (rc != EXIT_OK)
			goto early;
	}
	if (app_load_ratecard(NULL, &card, NULL) || !(st = app_open_store(db, false))) {
		rc = EXIT_FAIL;
		goto early;
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client *http = http_client_new(&loop);
	ingest_opts io = {.card = card, .errors = stderr};
	sync_ctx s = {.loop = &loop, .in = ingest_new(st, &io), .once = once, .st = st};
	if (!http || !s.in) {
		fprintf(stderr, "tokentop sync: out of memory\n");
		rc = EXIT_FAIL;
		goto out;
	}
	source_sink sink = {.page = on_page,
	                    .reject = on_reject,
	                    .state = on_state,
	                    .gwstate = on_gwstate,
	                    .ctx = &s};
	for (int i = 0; i < n; i++) {
		char cursor[512];
		if (store_cursor_get(st, names[i], cursor, sizeof cursor) < 0) {
			fprintf(stderr, "tokentop sync: %s: cannot read its cursor: %s\n", names[i],
			        store_errmsg(st));
			rc = EXIT_FAIL;
			goto out;
		}
		s.kind[s.nsrc] = kind_of[i];
		source_params sp = {names[i], urls[i],         etok[i],
		                    epoll[i], (int)eplimit[i], estate[i]};
		s.src[s.nsrc] = kind_of[i]->make(&loop, http, &sp, cursor, &sink);
		if (!s.src[s.nsrc]) {
			fprintf(stderr, "tokentop sync: out of memory\n");
			rc = EXIT_FAIL;
			goto out;
		}
		kind_of[i]->start(s.src[s.nsrc++]);
	}
	scrape_sink ssink = {on_samples, on_state, &s};
	for (int i = 0; i < ns; i++) {
		scrape_opts so = {.name = snames[i],
		                  .url = surls[i],
		                  .kind = skinds[i],
		                  .token = stok[i],
		                  .interval_ms = (long)sint[i]};
		s.scr[s.nscr] = scrape_new(&loop, http, &so, &ssink);
		if (!s.scr[s.nscr]) {
			fprintf(stderr, "tokentop sync: out of memory\n");
			rc = EXIT_FAIL;
			goto out;
		}
		scrape_start(s.scr[s.nscr++]);
	}
	promsrc_sink psink = {on_query, on_state, &s};
	for (int i = 0; i < np; i++) {
		promsrc_opts po = {.name = pnames[i],
		                   .url = purls[i],
		                   .token = ptok[i],
		                   .queries = pqs[i],
		                   .nqueries = pnq[i],
		                   .interval_ms = (long)pint[i]};
		s.pq[s.npq] = promsrc_new(&loop, http, &po, &psink);
		if (!s.pq[s.npq]) {
			fprintf(stderr, "tokentop sync: out of memory\n");
			rc = EXIT_FAIL;
			goto out;
		}
		promsrc_start(s.pq[s.npq++]);
	}
	uv_timer_init(&loop, &s.check);
	uv_timer_init(&loop, &s.deadline);
	s.check.data = s.deadline.data = &s;
	if (once)
		uv_timer_start(&s.check, on_check, 50, 50);
	if (for_ms)
		uv_timer_start(&s.deadline, on_deadline, (uint64_t)for_ms, 0);
	uv_signal_init(&loop, &s.sigint);
	uv_signal_init(&loop, &s.sigterm);
	s.sigint.data = s.sigterm.data = &s;
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (int i = 0; i < s.nsrc; i++)
		printf("sync: %s: %llu events stored, cursor %s\n", names[i],
		       (unsigned long long)s.kind[i]->events(s.src[i]),
		       s.kind[i]->cursor(s.src[i]));
	if (s.failed || s.stored_err)
		rc = EXIT_FAIL;
	if (s.stored_err)
		fprintf(stderr, "tokentop sync: database error: %s\n", store_errmsg(st));
	uv_close((uv_handle_t *)&s.check, NULL);
	uv_close((uv_handle_t *)&s.deadline, NULL);
	uv_close((uv_handle_t *)&s.sigint, NULL);
	uv_close((uv_handle_t *)&s.sigterm, NULL);
out:
	for (int i = 0; i < s.nsrc; i++)
		s.kind[i]->free(s.src[i]);
	for (int i = 0; i < s.nscr; i++)
		scrape_free(s.scr[i]);
	for (int i = 0; i < s.npq; i++)
		promsrc_free(s.pq[i]);
	if (http)
		http_client_free(http);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ingest_free(s.in);
early:
	store_close(st);
	ratecard_free(card);
	for (int i = 0; i < MAX_SOURCES; i++) {
		char **toks[] = {&etok[i], &stok[i], &ptok[i]};
		for (int k = 0; k < 3; k++)
			if (*toks[k]) {
				memset(*toks[k], 0, strlen(*toks[k])); /* tokens do not linger */
				free(*toks[k]);
			}
	}
	config_free(&cfg);
	return rc;
}
