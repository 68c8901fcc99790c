/* The gateways and metrics views and their reports (text, JSON, CSV) on a prepared database. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>

#include "tokentop/audit.h"
#include "tokentop/gwstate.h"
#include "tokentop/ingest.h"
#include "tokentop/metrics.h"
#include "tokentop/report.h"
#include "tokentop/rollup.h"
#include "tokentop/store.h"

#define T0  1795956000000LL /* 2026-11-29T12:40:00Z: when the answers were read */
#define NOW (T0 + 75000)

/* What tokentop-sim and a LiteLLM proxy answered, as the sources stored it. */
static const char health_v1[] = "{\"gateway\":\"tokentop-sim\",\"version\":\"0.1.0\","
                                "\"time\":\"2026-11-29T12:40:05.000Z\",\"events\":3001}";
static const char routing_v1[] =
    "{\"routes\":[{\"use_case\":\"support-bot\",\"targets\":["
    "{\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"tier\":\"good\",\"weight\":695,"
    "\"elevated\":false},"
    "{\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5\",\"tier\":\"better\","
    "\"weight\":305,\"elevated\":true}],\"controls\":[]},"
    "{\"use_case\":\"code-review\",\"targets\":[{\"provider\":\"vllm\",\"model\":\"qwen\","
    "\"tier\":\"good\",\"weight\":1000,\"elevated\":false}],\"controls\":[\"ctl-2\"]}]}";
static const char controls_v1[] =
    "{\"controls\":[{\"id\":\"ctl-1\",\"kind\":\"throttle\",\"scope\":{\"use_case\":"
    "\"code-assist\",\"tenant\":\"acme\"},\"params\":{\"rps\":5.0},\"reason\":\"INC-42: "
    "runaway loop\",\"actor\":\"alice\",\"created_at\":\"2026-11-29T12:30:00.000Z\","
    "\"expires_at\":\"2026-11-29T13:30:00.000Z\",\"state\":\"active\",\"ended_at\":null},"
    "{\"id\":\"ctl-2\",\"kind\":\"degrade\",\"scope\":{\"use_case\":\"code-review\"},"
    "\"params\":{},\"reason\":\"cost\",\"actor\":\"bob\",\"created_at\":"
    "\"2026-11-29T12:31:00.000Z\",\"expires_at\":null,\"state\":\"active\",\"ended_at\":null}],"
    "\"etag\":\"\\\"c2\\\"\"}";
static const char liveliness[] = "\"I'm alive!\"";
static const char global_spend[] = "{\"spend\": 1234.5678901, \"max_budget\": null}";
static const char model_info[] =
    "{\"data\": [{\"model_name\": \"gpt-4o\", \"litellm_params\": {\"model\": \"openai/gpt-4o\","
    " \"weight\": 3}}, {\"model_name\": \"claude\", \"litellm_params\": {\"model\":"
    " \"anthropic/claude-haiku-4-5\"}}, {\"model_name\": \"gpt-4o\", \"litellm_params\":"
    " {\"model\": \"azure/gpt-4o-eu\", \"custom_llm_provider\": \"azure\", \"weight\": 1}}]}";
static const char router_settings[] = "{\"fields\": [{\"field_name\": \"routing_strategy\", "
                                      "\"field_value\": \"latency-based-routing\"}],"
                                      " \"routing_strategy_descriptions\": {}}";

static store *prepared(void)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/state.db", tu_tmpdir());
	store_opts o = {.merge = rollup_sketch_blob_merge};
	store *st = store_open(path, &o, err, sizeof err);
	if (!st)
		fail_msg("%s", err);
	assert_int_equal(store_gwstate_put(st, "gw-eu-1", "health", health_v1, NULL, T0), 0);
	assert_int_equal(store_gwstate_put(st, "gw-eu-1", "routing", routing_v1, NULL, T0 + 1000),
	                 0);
	assert_int_equal(
	    store_gwstate_put(st, "gw-eu-1", "controls", controls_v1, "\"c2\"", T0 + 2000), 0);
	assert_int_equal(store_gwstate_put(st, "lite", "health", liveliness, NULL, T0), 0);
	assert_int_equal(store_gwstate_put(st, "lite", "global_spend", global_spend, NULL, T0), 0);
	assert_int_equal(
	    store_gwstate_put(st, "lite", "model_info", model_info, NULL, T0 - 3600000), 0);
	assert_int_equal(
	    store_gwstate_put(st, "lite", "router_settings", router_settings, NULL, T0), 0);
	assert_int_equal(store_metric_add(st, "prom", "spend_rate",
	                                  "{\"use_case\":\"support-bot\"}", T0 - 15000, 0.25),
	                 0);
	assert_int_equal(
	    store_metric_add(st, "prom", "spend_rate", "{\"use_case\":\"support-bot\"}", T0, 0.5),
	    0);
	assert_int_equal(store_metric_add(st, "prom", "latency_p95", "{}", T0, NAN), 0);
	return st;
}

static void test_view(void **state)
{
	(void)state;
	store *st = prepared();
	view_gwstate v;
	char err[256];
	assert_int_equal(view_gwstate_build(st, NOW, &v, err, sizeof err), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.unreadable, 0);
	const view_gateway *g = &v.gateways[0];
	assert_string_equal(g->source, "gw-eu-1");
	assert_int_equal(g->dialect, VIEW_GW_TOKENTOP);
	assert_string_equal(g->version, "0.1.0");
	assert_true(g->has_skew);
	assert_int_equal(g->skew_ms, 5000);
	assert_int_equal(g->nroutes, 2);
	assert_string_equal(g->routes[0].name, "support-bot"); /* the gateway's order */
	assert_int_equal(g->routes[0].ntargets, 2);
	assert_true(g->routes[0].targets[1].weight == 305);
	assert_true(g->routes[0].targets[1].elevated);
	assert_int_equal(g->routes[1].ncontrols, 1);
	assert_string_equal(g->routes[1].controls[0], "ctl-2");
	assert_int_equal(g->ncontrols, 2);
	assert_string_equal(g->controls[0].kind, "throttle");
	assert_int_equal(g->controls[0].expires_ms, T0 + 3000000);
	assert_int_equal(g->controls[1].expires_ms, 0);
	assert_string_equal(g->controls_etag, "\"c2\"");
	assert_int_equal(g->controls_ms, T0 + 2000);
	const view_gateway *l = &v.gateways[1];
	assert_string_equal(l->source, "lite");
	assert_int_equal(l->dialect, VIEW_GW_LITELLM);
	assert_string_equal(l->status, "I'm alive!");
	assert_int_equal(l->spend_nanos, 1234567890100);
	assert_int_equal(l->max_budget_nanos, -1);
	assert_string_equal(l->strategy, "latency-based-routing");
	assert_int_equal(l->nroutes, 2); /* model groups, by name */
	assert_string_equal(l->routes[0].name, "claude");
	assert_true(isnan(l->routes[0].targets[0].weight));
	assert_string_equal(l->routes[0].targets[0].provider, "anthropic");
	assert_string_equal(l->routes[1].name, "gpt-4o");
	assert_int_equal(l->routes[1].ntargets, 2);
	assert_string_equal(l->routes[1].targets[1].provider, "azure");
	assert_string_equal(l->routes[1].targets[1].model, "gpt-4o-eu");
	assert_int_equal(l->routing_ms, T0 - 3600000);
	view_gwstate_free(&v);
	store_close(st);
}

static char *render_gateways(store *st, report_format f)
{
	view_gwstate v;
	char err[256], *buf = NULL;
	size_t len = 0;
	assert_int_equal(view_gwstate_build(st, NOW, &v, err, sizeof err), 0);
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(report_gateways(out, &v, f), 0);
	fclose(out);
	view_gwstate_free(&v);
	return buf;
}

static void test_report_json(void **state)
{
	(void)state;
	store *st = prepared();
	char *text = render_gateways(st, REPORT_JSON);
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "view")), "gateways");
	assert_string_equal(json_string_value(json_object_get(doc, "now")),
	                    "2026-11-29T12:41:15.000Z");
	json_t *gw = json_array_get(json_object_get(doc, "gateways"), 0);
	json_t *h = json_object_get(gw, "health");
	assert_string_equal(json_string_value(json_object_get(h, "version")), "0.1.0");
	assert_int_equal(json_integer_value(json_object_get(h, "clock_skew_ms")), 5000);
	assert_int_equal(json_integer_value(json_object_get(h, "age_s")), 75);
	json_t *routing = json_object_get(gw, "routing");
	assert_int_equal(json_integer_value(json_object_get(routing, "age_s")), 74);
	assert_true(json_is_null(json_object_get(routing, "strategy")));
	json_t *t = json_array_get(
	    json_object_get(json_array_get(json_object_get(routing, "routes"), 0), "targets"), 1);
	assert_string_equal(json_string_value(json_object_get(t, "model")), "claude-sonnet-4-5");
	assert_true(json_is_integer(json_object_get(t, "weight")));
	assert_int_equal(json_integer_value(json_object_get(t, "weight")), 305);
	assert_true(json_is_true(json_object_get(t, "elevated")));
	json_t *controls = json_object_get(gw, "controls");
	assert_string_equal(json_string_value(json_object_get(controls, "etag")), "\"c2\"");
	assert_int_equal(json_integer_value(json_object_get(controls, "age_s")), 73);
	json_t *c = json_array_get(json_object_get(controls, "active"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "id")), "ctl-1");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(c, "scope"), "tenant")), "acme");
	assert_true(json_real_value(json_object_get(json_object_get(c, "params"), "rps")) == 5.0);
	assert_string_equal(json_string_value(json_object_get(c, "expires_at")),
	                    "2026-11-29T13:30:00.000Z");
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(controls, "active"), 1), "expires_at")));
	assert_true(json_is_null(json_object_get(gw, "spend")));
	json_t *lite = json_array_get(json_object_get(doc, "gateways"), 1);
	assert_string_equal(json_string_value(json_object_get(lite, "dialect")), "litellm");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(lite, "health"), "status")),
	    "I'm alive!");
	json_t *spend = json_object_get(lite, "spend");
	assert_int_equal(json_integer_value(json_object_get(spend, "spend_micros")), 1234567890);
	assert_string_equal(json_string_value(json_object_get(spend, "spend_usd")), "1234.5678901");
	assert_true(json_is_null(json_object_get(spend, "max_budget_micros")));
	json_t *lr = json_object_get(lite, "routing");
	assert_string_equal(json_string_value(json_object_get(lr, "strategy")),
	                    "latency-based-routing");
	assert_int_equal(json_integer_value(json_object_get(lr, "age_s")), 3675);
	json_t *claude = json_array_get(
	    json_object_get(json_array_get(json_object_get(lr, "routes"), 0), "targets"), 0);
	assert_true(json_is_null(json_object_get(claude, "weight")));
	assert_true(json_is_null(json_object_get(lite, "controls")));
	json_decref(doc);
	free(text);
	store_close(st);
}

static void test_report_text(void **state)
{
	(void)state;
	store *st = prepared();
	char *text = render_gateways(st, REPORT_TEXT);
	static const char *const want[] = {
	    "tokentop gateways  at 2026-11-29T12:41:15.000Z\n",
	    "\ngw-eu-1 (tokentop): tokentop-sim 0.1.0, health read 1m15s ago; its clock is +5.0 s "
	    "off ours\n",
	    "  routes, read 1m14s ago\n",
	    "    support-bot  openai     gpt-4o-mini        good     69.5%",
	    "                 anthropic  claude-sonnet-4-5  better   30.5%  yes",
	    "    code-review  vllm       qwen               good    100.0%            ctl-2",
	    "  controls in force: 2, read 1m13s ago, ETag \"c2\"\n",
	    "    ctl-1  throttle  use_case=code-assist,tenant=acme  rps=5.0  "
	    "2026-11-29T13:30:00.000Z  alice  INC-42: runaway loop",
	    "    ctl-2  degrade   use_case=code-review                       never",
	    "\nlite (litellm): \"I'm alive!\", liveliness read 1m15s ago\n",
	    "  spend $1,234.57 of no budget (read 1m15s ago)\n",
	    "  routes, read 1h01m ago (strategy latency-based-routing)\n",
	    "    claude  anthropic  claude-haiku-4-5             -",
	    "    gpt-4o  openai     gpt-4o                       3",
	    "            azure      gpt-4o-eu                    1",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(text, want[i])) {
			fprintf(stderr, "%s", text);
			fail_msg("missing from the text report: [%s]", want[i]);
		}
	free(text);
	text = render_gateways(st, REPORT_CSV); /* RFC 4180: CRLF */
	assert_non_null(strstr(text, "gateway,section,name,provider,model,tier,weight,kind,scope,"
	                             "params,expires_at,age_s\r\n"));
	assert_non_null(strstr(text, "gw-eu-1,route,support-bot,anthropic,claude-sonnet-4-5,"
	                             "better,305,,,,,74\r\n"));
	assert_non_null(strstr(text, "gw-eu-1,control,ctl-1,,,,,throttle,"
	                             "\"use_case=code-assist,tenant=acme\",rps=5.0,"
	                             "2026-11-29T13:30:00.000Z,73\r\n"));
	assert_non_null(strstr(text, "lite,spend,spend 1234.5678901 of no budget,,,,,,,,,75\r\n"));
	free(text);
	text = render_gateways(st, REPORT_MD);
	assert_non_null(strstr(text, "## Gateways at 2026-11-29T12:41:15.000Z\n"));
	assert_non_null(
	    strstr(text, "\n### lite (litellm): \"I'm alive!\", liveliness read 1m15s ago\n"));
	free(text);
	store_close(st);
}

static void test_metrics(void **state)
{
	(void)state;
	store *st = prepared();
	view_metrics v;
	char err[256], *buf = NULL;
	size_t len = 0;
	assert_int_equal(view_metrics_build(st, NOW, &v, err, sizeof err), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.rows[0].series, "latency_p95");
	assert_string_equal(v.rows[0].labels_text, "");
	assert_true(isnan(v.rows[0].value));
	assert_string_equal(v.rows[1].labels_text, "{use_case=\"support-bot\"}");
	assert_true(v.rows[1].value == 0.5);
	assert_int_equal(v.rows[1].points, 2);
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(report_metrics(out, &v, REPORT_TEXT), 0);
	fclose(out);
	assert_non_null(strstr(buf, "tokentop metrics  at 2026-11-29T12:41:15.000Z\n"));
	assert_non_null(strstr(buf, "  prom    spend_rate   {use_case=\"support-bot\"}    0.5  "
	                            "2026-11-29T12:40:00.000Z  1m15s       2"));
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	assert_int_equal(report_metrics(out, &v, REPORT_JSON), 0);
	fclose(out);
	json_t *doc = json_loads(buf, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "view")), "metrics");
	json_t *s0 = json_array_get(json_object_get(doc, "series"), 0);
	json_t *s1 = json_array_get(json_object_get(doc, "series"), 1);
	assert_true(json_is_null(json_object_get(s0, "value")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(s1, "labels"), "use_case")),
	    "support-bot");
	assert_true(json_real_value(json_object_get(s1, "value")) == 0.5);
	assert_int_equal(json_integer_value(json_object_get(s1, "age_s")), 75);
	assert_int_equal(json_integer_value(json_object_get(s1, "points")), 2);
	assert_string_equal(json_string_value(json_object_get(s1, "time")),
	                    "2026-11-29T12:40:00.000Z");
	json_decref(doc);
	free(buf);
	view_metrics_free(&v);
	store_close(st);
}

/* A stored answer that no longer reads (hand-edited, or from a gateway of another shape) is
 * counted and kept out; the rest of the view stands. */
static void test_unreadable(void **state)
{
	(void)state;
	store *st = prepared();
	assert_int_equal(store_gwstate_put(st, "gw-eu-1", "routing", "{\"routes\": 3}", NULL, T0),
	                 0);
	assert_int_equal(store_gwstate_put(st, "zz", "controls", "not json", NULL, T0), 0);
	assert_int_equal(store_gwstate_put(st, "zz", "future_kind", "{}", NULL, T0), 0);
	view_gwstate v;
	char err[256];
	assert_int_equal(view_gwstate_build(st, NOW, &v, err, sizeof err), 0);
	assert_int_equal(v.unreadable, 2);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.gateways[0].nroutes, 0);
	assert_int_equal(v.gateways[0].ncontrols, 2);
	view_gwstate_free(&v);
	store_close(st);
}

/* A fresh LiteLLM proxy's /global/spend, {"spend": null, "max_budget": 0.0}, reads as no
 * spend and no budget; a budget of 0 is never "of $0.00". */
static void test_fresh_litellm_spend(void **state)
{
	(void)state;
	store *st = prepared();
	assert_int_equal(store_gwstate_put(st, "lite", "global_spend",
	                                   "{\"spend\": null, \"max_budget\": 0.0}", NULL, T0 + 1),
	                 0);
	view_gwstate v;
	char err[256];
	assert_int_equal(view_gwstate_build(st, NOW, &v, err, sizeof err), 0);
	assert_int_equal(v.unreadable, 0);
	const view_gateway *l = &v.gateways[1];
	assert_string_equal(l->source, "lite");
	assert_int_equal(l->spend_nanos, 0);
	assert_int_equal(l->max_budget_nanos, -1);
	assert_int_equal(l->spend_ms, T0 + 1);
	view_gwstate_free(&v);
	/* a real budget still reads as one */
	assert_int_equal(store_gwstate_put(st, "lite", "global_spend",
	                                   "{\"spend\": 0.04, \"max_budget\": 25}", NULL, T0 + 2),
	                 0);
	assert_int_equal(view_gwstate_build(st, NOW, &v, err, sizeof err), 0);
	assert_int_equal(v.gateways[1].spend_nanos, 40000000);
	assert_int_equal(v.gateways[1].max_budget_nanos, 25000000000);
	view_gwstate_free(&v);
	store_close(st);
}

/* n requests of use_case to provider/model/tier, a minute before T0. */
static void add_traffic(ingest *in, const char *use_case, const char *provider, const char *model,
                        const char *tier, int n)
{
	static int seq;
	for (int i = 0; i < n; i++) {
		tt_event ev;
		event_init(&ev);
		snprintf(ev.request_id, sizeof ev.request_id, "r-%d", ++seq);
		ev.ts_ms = T0 - 60000 + i;
		snprintf(ev.use_case, sizeof ev.use_case, "%s", use_case);
		snprintf(ev.provider, sizeof ev.provider, "%s", provider);
		snprintf(ev.model, sizeof ev.model, "%s", model);
		snprintf(ev.tier, sizeof ev.tier, "%s", tier);
		ev.input_tokens = 100;
		ev.output_tokens = 10;
		assert_int_equal(ingest_event(in, &ev), 0);
	}
}

/* The record's sequence number; ref (0: none) is the record it completes or undoes. */
static int64_t record_ref(audit *a, int64_t ts, const char *action, const char *scope,
                          const char *status, const char *control_id, const char *reason,
                          int64_t ref)
{
	char err[512];
	audit_record r = {.ts_ms = ts,
	                  .ref_seq = ref,
	                  .actor = "alice",
	                  .role = "admin",
	                  .host = "h1",
	                  .kind = "action",
	                  .action = action,
	                  .gateway = "gw-eu-1",
	                  .scope = scope,
	                  .params = "{}",
	                  .reason = reason,
	                  .state_before = "{}",
	                  .state_after = "{}",
	                  .status = status,
	                  .control_id = control_id,
	                  .response = "{}",
	                  .idem_key = "k"};
	if (audit_append(a, &r, err, sizeof err))
		fail_msg("audit_append: %s", err);
	return r.seq;
}

static void record(audit *a, int64_t ts, const char *action, const char *scope, const char *status,
                   const char *control_id, const char *reason)
{
	record_ref(a, ts, action, scope, status, control_id, reason, 0);
}

static const view_rroute *route_named(const view_routes *v, const char *name)
{
	for (size_t i = 0; i < v->nroutes; i++)
		if (strcmp(v->routes[i].name, name) == 0)
			return &v->routes[i];
	fail_msg("no route %s", name);
	return NULL;
}

static const view_rtarget *target_of(const view_routes *v, const view_rroute *r,
                                     const char *provider)
{
	for (size_t k = r->first; k < r->first + r->n; k++)
		if (strcmp(v->targets[k].provider, provider) == 0)
			return &v->targets[k];
	fail_msg("no target %s on %s", provider, r->name);
	return NULL;
}

/* Observed shares beside the configured weights; the controls and audited changes per route. */
static void test_routes(void **state)
{
	(void)state;
	store *st = prepared();
	ingest_opts io = {0};
	ingest *in = ingest_new(st, &io);
	assert_non_null(in);
	/* support-bot: half and half against 69.5/30.5 configured: diverges by 19.5 points */
	add_traffic(in, "support-bot", "openai", "gpt-4o-mini", "good", 50);
	add_traffic(in, "support-bot", "anthropic", "claude-sonnet-4-5", "better", 50);
	/* code-review: all on its only target */
	add_traffic(in, "code-review", "vllm", "qwen", "good", 30);
	/* copilot: no gateway configures it */
	add_traffic(in, "copilot", "openai", "gpt-4o", "best", 5);
	assert_int_equal(ingest_commit(in, NULL, NULL), 0);
	ingest_free(in);

	char key[512], err[512];
	snprintf(key, sizeof key, "%s/routes.key", tu_tmpdir());
	audit *a = audit_open(st, key, err, sizeof err);
	if (!a)
		fail_msg("%s", err);
	/* a reroute two days ago (not recent, nor read), lifted an hour ago: the lift names its
	 * route, found through the records it points at, as tokentop action writes them */
	int64_t p = record_ref(a, T0 - 2 * 86400000LL, "reroute", "use_case=support-bot", "pending",
	                       "", "old", 0);
	int64_t ap = record_ref(a, T0 - 2 * 86400000LL + 1, "reroute", "use_case=support-bot",
	                        "applied", "ctl-7", "old", p);
	int64_t lp =
	    record_ref(a, T0 - 3600001, "lift", "id=ctl-7", "pending", "ctl-7", "drill over", ap);
	record_ref(a, T0 - 3600000, "lift", "id=ctl-7", "applied", "ctl-7", "drill over", lp);
	record(a, T0 - 1800000, "degrade", "use_case=code-review", "failed", "", "cost");
	record(a, T0 - 600000, "throttle", "use_case=support-bot", "applied", "ctl-8",
	       "not routing");
	record(a, T0 - 60000, "degrade", "use_case=code-review", "pending", "", "cost again");
	record(a, T0 - 59000, "degrade", "use_case=code-review", "applied", "ctl-2", "cost again");
	audit_close(a);

	view_routing obs;
	view_gwstate gw;
	view_routes v;
	assert_int_equal(view_routing_build(st, T0 - 3600000, NOW, &obs, err, sizeof err), 0);
	assert_int_equal(view_gwstate_build(st, NOW, &gw, err, sizeof err), 0);
	assert_int_equal(view_routes_build(st, &obs, &gw, NOW, &v, err, sizeof err), 0);

	/* observed routes in their order (by name), none configured-only */
	assert_int_equal(v.nroutes, 3);
	assert_string_equal(v.routes[0].name, "code-review");
	assert_string_equal(v.routes[1].name, "copilot");
	assert_string_equal(v.routes[2].name, "support-bot");
	assert_int_equal(v.ndiverging, 1);

	const view_rroute *sb = route_named(&v, "support-bot");
	assert_string_equal(sb->source, "gw-eu-1");
	assert_int_equal(sb->requests, 100);
	assert_int_equal(sb->n, 2);
	const view_rtarget *oa = target_of(&v, sb, "openai");
	assert_true(fabs(oa->share - 0.5) < 1e-9);
	assert_true(fabs(oa->config - 0.695) < 1e-9);
	assert_true(oa->off);
	assert_true(fabs(target_of(&v, sb, "anthropic")->config - 0.305) < 1e-9);
	assert_true(fabs(sb->divergence - 0.195) < 1e-9);
	assert_true(sb->diverges);

	const view_rroute *cr = route_named(&v, "code-review");
	assert_true(fabs(cr->divergence) < 1e-9);
	assert_false(cr->diverges);
	assert_false(target_of(&v, cr, "vllm")->off);

	const view_rroute *cp = route_named(&v, "copilot");
	assert_null(cp->source);
	assert_true(isnan(cp->divergence));
	assert_true(isnan(target_of(&v, cp, "openai")->config));

	/* the degrade in force shapes code-review; the throttle is not a routing control */
	assert_int_equal(v.ncontrols, 1);
	assert_string_equal(v.controls[0].route, "code-review");
	assert_string_equal(v.controls[0].id, "ctl-2");
	assert_string_equal(v.controls[0].kind, "degrade");
	assert_string_equal(v.controls[0].actor, "bob");
	assert_int_equal(v.controls[0].expires_ms, 0);

	/* recent changes, newest first: outcomes only, the lift named by its reroute's route */
	assert_int_equal(v.nchanges, 3);
	assert_string_equal(v.changes[0].action, "degrade");
	assert_string_equal(v.changes[0].status, "applied");
	assert_string_equal(v.changes[0].reason, "cost again");
	assert_string_equal(v.changes[1].status, "failed");
	assert_string_equal(v.changes[1].route, "code-review");
	assert_string_equal(v.changes[2].action, "lift");
	assert_string_equal(v.changes[2].route, "support-bot");
	assert_string_equal(v.changes[2].actor, "alice");
	assert_int_equal(v.changes[2].ts_ms, T0 - 3600000);

	/* the routing report carries the configured shares */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_routing_config(f, &obs, &v, REPORT_JSON), 0);
	fclose(f);
	json_error_t je;
	json_t *doc = json_loads(buf, 0, &je);
	assert_non_null(doc);
	json_t *routes = json_object_get(doc, "routes");
	assert_int_equal(json_array_size(routes), 3);
	json_t *jsb = json_array_get(routes, 2);
	assert_string_equal(json_string_value(json_object_get(jsb, "use_case")), "support-bot");
	assert_string_equal(json_string_value(json_object_get(jsb, "configured_by")), "gw-eu-1");
	assert_true(json_is_true(json_object_get(jsb, "diverges")));
	assert_true(fabs(json_real_value(json_object_get(jsb, "divergence")) - 0.195) < 1e-9);
	json_t *t0 = json_array_get(json_object_get(jsb, "targets"), 0);
	assert_true(json_is_real(json_object_get(t0, "config")));
	assert_true(json_is_true(json_object_get(t0, "off")));
	json_t *jcp = json_array_get(routes, 1);
	assert_true(json_is_null(json_object_get(jcp, "configured_by")));
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(jcp, "targets"), 0), "config")));
	json_decref(doc);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(report_routing_config(f, &obs, &v, REPORT_TEXT), 0);
	fclose(f);
	assert_non_null(strstr(buf, "config"));
	assert_non_null(strstr(buf, "69.5% off"));
	free(buf);
	/* without the configured side, no config column */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(report_routing(f, &obs, REPORT_TEXT), 0);
	fclose(f);
	assert_null(strstr(buf, "config"));
	free(buf);
	view_routes_free(&v);

	/* a range without traffic: the configured routes still show, nothing to compare */
	view_routing_free(&obs);
	assert_int_equal(view_routing_build(st, NOW, NOW + 60000, &obs, err, sizeof err), 0);
	assert_int_equal(view_routes_build(NULL, &obs, &gw, NOW, &v, err, sizeof err), 0);
	assert_int_equal(v.nroutes, 2);
	assert_string_equal(v.routes[0].name, "support-bot");
	assert_int_equal(v.routes[0].n, 2);
	assert_true(isnan(v.routes[0].divergence));
	assert_true(fabs(v.targets[v.routes[0].first].config - 0.695) < 1e-9);
	assert_int_equal(v.ndiverging, 0);
	assert_int_equal(v.nchanges, 0);
	view_routes_free(&v);
	view_routing_free(&obs);
	view_gwstate_free(&gw);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_view),
	    cmocka_unit_test(test_report_json),
	    cmocka_unit_test(test_report_text),
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_fresh_litellm_spend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
