/* The synthetic workload model: a bank, a retailer and a coding copilot, deterministic per seed. */
#include <stdlib.h>
#include <string.h>

#include "tokentop/workload.h"

/*
 * Determinism: every draw comes from one xoshiro256** stream seeded from opts.seed, and every
 * real number is computed with IEEE-754 double +, -, *, / only (no libm: exp is det_exp below),
 * so a seed gives the same bytes on every platform with IEEE doubles. Contraction into fused
 * multiply-adds would change roundings: GCC does not contract in ISO C mode (-std=c11), and
 * clang is told not to here.
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define MIN_MS      60000LL
#define HOUR_MS     3600000LL
#define DAY_MS      86400000LL
#define MAX_SPAN_MS (3660LL * DAY_MS)
#define SORT_CAP    65536   /* larger minutes are counted per millisecond instead of sorted */
#define PPM         1000000 /* probabilities are parts per million */

enum { W_SUPPORT, W_RETAIL, W_COPILOT, W_COUNT };

enum {
	M_GPT4O_MINI,
	M_GPT4O,
	M_O3,
	M_HAIKU,
	M_SONNET,
	M_OPUS,
	M_FLASH,
	M_PRO,
	M_LLAMA,
	M_QWEN,
	M_MINISTRAL,
	M_COUNT
};

/* Chances are parts per million; prices micro-dollars per million tokens, as on the rate card
 * (self-hosted models have one price; the experimental model has none). */
typedef struct model_spec {
	const char *provider, *model, *tier;
	int lat_ms;     /* median latency of a typical response */
	int queue_ms;   /* median wait in the gateway's queue */
	int timeout_ms; /* what a timed-out request reports */
	int p_timeout, p_server_error;
	int quality; /* typical quality, thousandths */
	int64_t price_in, price_out, price_cached;
} model_spec;

/* clang-format off */
static const model_spec models[M_COUNT] = {
	/*               provider     model                        tier      lat queue timeout  p_to  p_5xx  q   in        out       cached */
	[M_GPT4O_MINI] = {"openai",    "gpt-4o-mini",               "good",    900,  4,  30000,  4000,  4000, 820,   150000,   600000,   75000},
	[M_GPT4O]      = {"openai",    "gpt-4o",                    "better", 2200,  4,  60000,  4500,  4000, 870,  2500000, 10000000, 1250000},
	[M_O3]         = {"openai",    "o3",                        "best",   6000,  4, 120000,  9000,  4000, 930,  2000000,  8000000,  500000},
	[M_HAIKU]      = {"anthropic", "claude-haiku-4-5",          "good",    900,  4,  30000,  4000,  7000, 830,  1000000,  5000000,  100000},
	[M_SONNET]     = {"anthropic", "claude-sonnet-4-5",         "better", 2500,  4,  60000,  6000,  7000, 890,  3000000, 15000000,  300000},
	[M_OPUS]       = {"anthropic", "claude-opus-4-1",           "best",   6500,  4, 120000,  9000,  7000, 940, 15000000, 75000000, 1500000},
	[M_FLASH]      = {"google",    "gemini-2.5-flash",          "good",    700,  4,  30000,  4500,  5000, 810,   300000,  2500000,   75000},
	[M_PRO]        = {"google",    "gemini-2.5-pro",            "better", 2600,  4,  60000,  6000,  5000, 880,  1250000, 10000000,  310000},
	[M_LLAMA]      = {"vllm",      "llama-3.1-8b-instruct",     "good",    300, 20,  15000,  2500,  3000, 760,    50000,    50000,   50000},
	[M_QWEN]       = {"vllm",      "qwen2.5-coder-32b",         "better", 2500, 20,  60000,  7000,  3000, 860,   200000,   200000,  200000},
	[M_MINISTRAL]  = {"mistral",   "ministral-8b-experimental", "good",    450,  4,  30000, 20000, 30000, 740,        0,        0,       0},
};
/* clang-format on */

typedef struct pick {
	int model; /* index into models */
	int weight;
} pick;

/* One route of a workload: who calls it, with which prompt, and how its requests look.
 * Chances are parts per million unless noted. */
typedef struct flow {
	const char *team, *use_case, *prompt_id;
	const char *gateway; /* NULL: the tenant's home gateway */
	int weight;          /* share within the workload, per mille */
	/* The newer version's share moves from `from` to `to` (per mille) across the generated
	 * span, and its token medians are scaled by in_pct and out_pct; newer NULL: one version. */
	struct {
		const char *older, *newer;
		int from, to, in_pct, out_pct;
	} ver;
	struct {
		int in_med, in_sig, out_med, out_sig; /* medians; lognormal spreads, thousandths */
	} tok;
	struct {
		int p, lo, hi; /* chance of a provider-cached prefix; its percent of the input */
	} prefix;
	struct {
		int lo, hi; /* ms; 0: no retrieval */
	} retrieval;
	int p_hit; /* gateway response cache; -1: not looked up */
	pick primary[3];
	int p_elevate;
	pick elevated[2];
	int lat_pct; /* latency relative to the model's median */
	struct {
		int refusal, rate_limited, rate_limited_burst;
	} err;
	struct {
		int success, failure, abandoned; /* of an ok response, per mille; all 0: none */
	} outcome;
} flow;

typedef struct tenant {
	const char *name;
	int weight;
	const char *gateway;
} tenant;

/* Traffic bursts on top of the base shape: count per day in [lo, hi], starting inside a
 * local-time window (minutes of the day), each multiplying traffic by mag (tenths) for dur
 * minutes. */
typedef struct spike_spec {
	int count_lo, count_hi;
	int weekdays_only;
	int from_min, to_min;
	int dur_lo, dur_hi;
	int mag_lo, mag_hi;
} spike_spec;

typedef struct workload_spec {
	int share;    /* of all requests, per mille */
	int tz_hours; /* local time of the shape */
	double hour_weekday[24], hour_weekend[24];
	double day[7]; /* Monday first */
	spike_spec spikes;
	const tenant *tenants;
	int n_tenants;
	const flow *flows;
	int n_flows;
	const char *cost_gateway; /* events through it carry the gateway's cost */
} workload_spec;

static const tenant bank_tenants[] = {
    {"retail-banking", 55, "gw-eu-1"},
    {"wealth", 15, "gw-eu-1"},
    {"business-banking", 30, "gw-eu-1"},
};

static const tenant shop_tenants[] = {
    {"storefront-eu", 40, "gw-eu-1"},
    {"storefront-us", 45, "gw-us-1"},
    {"marketplace", 15, "gw-us-1"},
};

static const tenant copilot_tenants[] = {
    {"acme", 22, "gw-us-1"},     {"globex", 16, "gw-eu-1"}, {"initech", 12, "gw-eu-1"},
    {"umbrella", 10, "gw-eu-1"}, {"hooli", 9, "gw-eu-1"},   {"stark", 8, "gw-eu-1"},
    {"wayne", 7, "gw-eu-1"},     {"wonka", 6, "gw-us-1"},   {"tyrell", 5, "gw-eu-1"},
    {"cyberdyne", 5, "gw-us-1"},
};

static const flow bank_flows[] = {
    {"support", "support-bot", "answer-with-citations", "gw-eu-1", 620,
     .ver = {"v6", "v7", 300, 900, 125, 115}, .tok = {2400, 350, 190, 500},
     .prefix = {850000, 50, 80}, .retrieval = {40, 200}, .p_hit = 150000,
     .primary = {{M_GPT4O_MINI, 1}}, .p_elevate = 80000, .elevated = {{M_SONNET, 1}},
     .lat_pct = 100, .err = {3000, 500, 500}, .outcome = {740, 170, 90}},
    {"support", "support-bot", "smalltalk", "gw-eu-1", 200, .ver = {"v2"},
     .tok = {350, 300, 45, 500}, .p_hit = 150000, .primary = {{M_LLAMA, 1}}, .lat_pct = 100,
     .err = {3000, 500, 500}, .outcome = {800, 50, 150}},
    {"cx-analytics", "ticket-summary", "summarize-ticket", "gw-us-1", 180, .ver = {"v3"},
     .tok = {3200, 450, 250, 400}, .p_hit = -1, .primary = {{M_GPT4O_MINI, 60}, {M_GPT4O, 40}},
     .lat_pct = 120, .err = {0, 500, 500}},
};

static const flow shop_flows[] = {
    {"search", "product-search", "query-rewrite", NULL, 650, .ver = {"v3"},
     .tok = {160, 350, 35, 400}, .p_hit = 200000, .primary = {{M_FLASH, 1}}, .lat_pct = 60,
     .err = {0, 500, 3000}},
    {"catalog", "product-descriptions", "describe-product", NULL, 350,
     .ver = {"v12", "v13", 100, 700, 110, 130}, .tok = {900, 400, 420, 350},
     .prefix = {500000, 30, 60}, .p_hit = -1,
     .primary = {{M_GPT4O_MINI, 790}, {M_PRO, 200}, {M_MINISTRAL, 10}}, .lat_pct = 150,
     .err = {0, 500, 2000}, .outcome = {900, 100, 0}},
};

static const flow copilot_flows[] = {
    {"devex", "code-assist", "complete-inline", NULL, 700, .ver = {"v21"},
     .tok = {1400, 500, 48, 600}, .prefix = {800000, 40, 80}, .p_hit = -1,
     .primary = {{M_QWEN, 600}, {M_HAIKU, 400}}, .p_elevate = 80000,
     .elevated = {{M_OPUS, 1}, {M_O3, 1}}, .lat_pct = 30, .err = {0, 25000, 65000},
     .outcome = {300, 0, 700}},
    {"devex", "code-assist", "explain-diff", NULL, 150, .ver = {"v4"}, .tok = {3000, 500, 380, 500},
     .prefix = {500000, 20, 50}, .p_hit = -1, .primary = {{M_QWEN, 600}, {M_HAIKU, 400}},
     .p_elevate = 200000, .elevated = {{M_OPUS, 1}, {M_O3, 1}}, .lat_pct = 100,
     .err = {0, 25000, 65000}},
    {"platform", "code-review", "review-pr", NULL, 150, .ver = {"v2", "v3", 200, 800, 110, 130},
     .tok = {7500, 600, 850, 500}, .prefix = {300000, 10, 40}, .p_hit = -1,
     .primary = {{M_QWEN, 600}, {M_HAIKU, 400}}, .p_elevate = 250000,
     .elevated = {{M_OPUS, 1}, {M_O3, 1}}, .lat_pct = 150, .err = {0, 25000, 65000},
     .outcome = {800, 200, 0}},
};

#define LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const workload_spec specs[W_COUNT] = {
    [W_SUPPORT] = {.share = 450,
                   .tz_hours = 1,
                   .hour_weekday = {0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.50, 1.00,
                                    1.80, 2.20, 2.30, 2.20, 1.90, 2.10, 2.20, 2.00,
                                    1.70, 1.30, 0.90, 0.70, 0.55, 0.45, 0.30, 0.20},
                   .hour_weekend = {0.20, 0.15, 0.10, 0.10, 0.10, 0.15, 0.25, 0.45,
                                    0.70, 0.95, 1.10, 1.15, 1.10, 1.05, 1.00, 0.95,
                                    0.90, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25},
                   .day = {1.10, 1.00, 1.00, 1.00, 0.95, 0.40, 0.30},
                   .tenants = bank_tenants,
                   .n_tenants = LEN(bank_tenants),
                   .flows = bank_flows,
                   .n_flows = LEN(bank_flows)},
    [W_RETAIL] = {.share = 250,
                  .tz_hours = 0,
                  .hour_weekday = {0.45, 0.30, 0.20, 0.15, 0.15, 0.20, 0.35, 0.55,
                                   0.70, 0.80, 0.85, 0.90, 1.00, 0.95, 0.90, 0.90,
                                   0.95, 1.10, 1.40, 1.80, 2.10, 2.00, 1.50, 0.90},
                  .hour_weekend = {0.55, 0.35, 0.25, 0.20, 0.15, 0.20, 0.30, 0.50,
                                   0.80, 1.10, 1.30, 1.40, 1.45, 1.40, 1.35, 1.35,
                                   1.40, 1.50, 1.70, 1.95, 2.10, 1.90, 1.45, 0.95},
                  .day = {0.85, 0.85, 0.90, 0.95, 1.05, 1.35, 1.30},
                  .spikes = {.count_hi = 2,
                             .to_min = 24 * 60,
                             .dur_lo = 10,
                             .dur_hi = 60,
                             .mag_lo = 30,
                             .mag_hi = 100},
                  .tenants = shop_tenants,
                  .n_tenants = LEN(shop_tenants),
                  .flows = shop_flows,
                  .n_flows = LEN(shop_flows)},
    [W_COPILOT] = {.share = 300,
                   .tz_hours = 0,
                   .hour_weekday = {0.10, 0.08, 0.08, 0.10, 0.15, 0.30, 0.70, 1.30,
                                    1.90, 2.20, 2.20, 2.00, 1.80, 2.10, 2.40, 2.40,
                                    2.20, 1.90, 1.40, 1.00, 0.70, 0.45, 0.25, 0.15},
                   .hour_weekend = {0.08, 0.06, 0.05, 0.05, 0.05, 0.06, 0.08, 0.12,
                                    0.18, 0.25, 0.30, 0.32, 0.32, 0.32, 0.32, 0.30,
                                    0.28, 0.25, 0.22, 0.20, 0.18, 0.15, 0.12, 0.10},
                   .day = {1.00, 1.05, 1.05, 1.00, 0.85, 0.60, 0.50},
                   .spikes = {2, 4, .weekdays_only = 1, .from_min = 8 * 60, .to_min = 20 * 60,
                              .dur_lo = 10, .dur_hi = 30, .mag_lo = 18, .mag_hi = 30},
                   .tenants = copilot_tenants,
                   .n_tenants = LEN(copilot_tenants),
                   .flows = copilot_flows,
                   .n_flows = LEN(copilot_flows),
                   .cost_gateway = "gw-us-1"},
};

/* A scenario's departures from steady traffic, from its start on (docs/gen.md). A NULL name
 * matches nothing; a 0 (p_hit: -1) leaves the steady value. Chances are parts per million. */
typedef struct scenario_spec {
	const char *name;
	const char *use_case; /* the route whose rate, elevations, cache or refusals change */
	int traffic_x;        /* that route's request rate, times */
	int p_elevate;
	int p_hit;
	int refusal_x;
	const char *prompt_id, *prompt_version; /* the prompt whose input grows */
	int in_x_lo, in_x_hi;                   /* input tokens times a uniform [lo, hi] */
	const char *provider;                   /* the provider that limits or fails */
	int p_rate_limited, p_timeout, p_server_error;
} scenario_spec;

static const scenario_spec scenarios[WL_SCENARIO_COUNT] = {
    [WL_STEADY] = {"steady", .p_hit = -1},
    [WL_429_STORM] = {"429-storm", .p_hit = -1, .provider = "anthropic", .p_rate_limited = 350000},
    [WL_TOKEN_SPIKE] = {"token-spike", .p_hit = -1, .prompt_id = "answer-with-citations",
                        .prompt_version = "v7", .in_x_lo = 4, .in_x_hi = 8},
    [WL_COST_RUNAWAY] = {"cost-runaway", "code-review", .traffic_x = 5, .p_elevate = 700000,
                         .p_hit = -1},
    [WL_PROVIDER_OUTAGE] = {"provider-outage", .p_hit = -1, .provider = "openai",
                            .p_timeout = 400000, .p_server_error = 300000},
    [WL_CACHE_MISS_SURGE] = {"cache-miss-surge", "support-bot", .p_hit = 10000},
    [WL_REFUSAL_RISE] = {"refusal-rise", "support-bot", .p_hit = -1, .refusal_x = 10},
};

/* The largest factor any scenario raises a workload's traffic by, for sizing buffers. */
#define MAX_TRAFFIC_X 5

typedef struct rng {
	uint64_t s[4];
} rng;

/* What the sampler needs to know about the moment it draws at. */
typedef struct moment {
	uint32_t pick[W_COUNT - 1]; /* cumulative workload thresholds, fractions of 2^32 */
	int burst[W_COUNT];         /* inside a traffic spike */
	int rollout;                /* position in the span, per mille */
} moment;

struct workload {
	workload_opts o;
	rng r;
	uint64_t id_key, spike_key;
	double norm[W_COUNT];  /* 1 / weekly mean of the base shape */
	double coeff[W_COUNT]; /* share / expected mean intensity with spikes */
	int64_t minutes;
	uint64_t *cum; /* integer intensity summed up to each minute's start; minutes + 1 */
	uint64_t counter;

	int64_t minute; /* next minute to open */
	uint64_t done;  /* events before it */
	int64_t mstart;
	moment at;
	uint64_t left, pos;
	uint16_t *buf, *tmp;
	uint32_t *slots; /* per-millisecond counts, for minutes over SORT_CAP */
	int counting;
	size_t cap; /* of buf and tmp */

	workload_scenario scenario;
	int64_t sc_start;
	double sc_traffic[W_COUNT]; /* each workload's traffic multiple while it is active */
};

static int matches(const char *want, const char *have)
{
	return want && strcmp(want, have) == 0;
}

static const scenario_spec *scenario_at(const workload *w, int64_t ts)
{
	return w->scenario != WL_STEADY && ts >= w->sc_start ? &scenarios[w->scenario] : NULL;
}

/* A flow's weight, with a scenario's traffic multiple. */
static int flow_weight(const flow *fl, const scenario_spec *sc)
{
	return sc && sc->traffic_x && matches(sc->use_case, fl->use_case)
	           ? fl->weight * sc->traffic_x
	           : fl->weight;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x)
{
	*x += 0x9e3779b97f4a7c15ULL;
	return mix64(*x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n) for n < 2^32. */
static uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static int rng_chance(rng *r, int ppm)
{
	return (int)rng_below(r, PPM) < ppm;
}

static int rng_range(rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

static double rng_unit(rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* About N(0,1): the sum of four 16-bit uniforms, bounded at +-3.46. */
static double rng_normal(rng *r)
{
	uint64_t x = rng_next(r);
	int64_t s = (int64_t)(x & 0xffff) + (int64_t)((x >> 16) & 0xffff) +
	            (int64_t)((x >> 32) & 0xffff) + (int64_t)(x >> 48);
	return (double)(s - 131070) * (1.0 / 37837.2253);
}

/* e^x as 2^(k/32) * e^r with |r| <= ln2/64: a table and a short polynomial, basic operations
 * only, so the result is the same everywhere (relative error about 1e-10). */
static double det_exp(double x)
{
	/* clang-format off */
	static const double pow2_32nds[32] = {
		1.0,                1.0218971486541166, 1.0442737824274138, 1.0671404006768237,
		1.0905077326652577, 1.1143867425958924, 1.1387886347566916, 1.1637248587775775,
		1.189207115002721,  1.215247359980469,  1.241857812073484,  1.2690509571917332,
		1.2968395546510096, 1.3252366431597413, 1.3542555469368927, 1.383909881963832,
		1.4142135623730951, 1.4451808069770467, 1.4768261459394993, 1.5091644275934228,
		1.5422108254079407, 1.5759808451078865, 1.6104903319492543, 1.645755478153965,
		1.681792830507429,  1.718619298122478,  1.7562521603732995, 1.7947090750031072,
		1.8340080864093424, 1.8741676341103,    1.9152065613971474, 1.9571441241754002,
	};
	/* clang-format on */
	x = x > 40 ? 40 : x < -40 ? -40 : x;
	/* Biased by 4096 so that truncation rounds and the shift floors, without branches. */
	unsigned k = (unsigned)(x * 46.16624130844683 + 4096.5);
	double r = x - ((double)k - 4096.0) * 0.02166084939249829;
	double p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24))));
	uint64_t bits = (uint64_t)((k >> 5) - 128 + 1023) << 52;
	double scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * pow2_32nds[k & 31] * scale;
}

static double lognormal(rng *r, double median, int sig_milli)
{
	return median * det_exp(rng_normal(r) * (double)sig_milli * 0.001);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Monday = 0 (1970-01-01 was a Thursday). */
static int weekday(int64_t day)
{
	return (int)(((day + 3) % 7 + 7) % 7);
}

static double hour_value(const workload_spec *s, int64_t hour)
{
	int64_t day = floor_div(hour, 24);
	int wd = weekday(day);
	const double *prof = wd >= 5 ? s->hour_weekend : s->hour_weekday;
	return s->day[wd] * prof[hour - day * 24];
}

/* The base shape at local time: hourly values at half past, interpolated linearly. */
static double base_shape(const workload_spec *s, int64_t local_ms)
{
	int64_t t = local_ms - HOUR_MS / 2;
	int64_t h = floor_div(t, HOUR_MS);
	double frac = (double)(t - h * HOUR_MS) / (double)HOUR_MS;
	double a = hour_value(s, h), b = hour_value(s, h + 1);
	return a + (b - a) * frac;
}

/* Uniform in [lo, hi] from a splitmix64 stream. */
static int64_t hash_between(uint64_t *x, int lo, int hi)
{
	return lo + (int64_t)(((splitmix64(x) >> 32) * (uint64_t)(hi - lo + 1)) >> 32);
}

/* The spikes of local day `day` are a pure function of (seed, workload, day), so the shape can
 * be evaluated at any time in any order. Returns the added multiple (mag - 1) active at local. */
static double day_spikes(const workload *w, int k, int64_t day, int64_t local)
{
	const spike_spec *sp = &specs[k].spikes;
	if (sp->count_hi == 0 || (sp->weekdays_only && weekday(day) >= 5))
		return 0;
	uint64_t x = mix64(w->spike_key ^ ((uint64_t)day * 0xd1b54a32d192ed03ULL) ^ (uint64_t)k);
	int64_t n = hash_between(&x, sp->count_lo, sp->count_hi);
	double extra = 0;
	for (int64_t i = 0; i < n; i++) {
		int64_t from =
		    day * DAY_MS + hash_between(&x, sp->from_min, sp->to_min - 1) * MIN_MS;
		int64_t dur = hash_between(&x, sp->dur_lo, sp->dur_hi);
		int64_t mag = hash_between(&x, sp->mag_lo, sp->mag_hi);
		if (local >= from && local < from + dur * MIN_MS)
			extra += (double)mag / 10.0 - 1.0;
	}
	return extra;
}

/* Per-workload intensity at ts (base shape, weekly mean 1, times spikes); returns the total. */
static double shape_at(const workload *w, int64_t ts, double out[W_COUNT], int burst[W_COUNT])
{
	double total = 0;
	for (int k = 0; k < W_COUNT; k++) {
		int64_t local = ts + (int64_t)specs[k].tz_hours * HOUR_MS;
		int64_t day = floor_div(local, DAY_MS);
		const spike_spec *sp = &specs[k].spikes;
		double extra = day_spikes(w, k, day, local);
		/* only spikes starting late enough can last past midnight */
		if ((sp->to_min + sp->dur_hi - 1440) * MIN_MS > local - day * DAY_MS)
			extra += day_spikes(w, k, day - 1, local);
		out[k] = base_shape(&specs[k], local) * w->norm[k] * (1.0 + extra);
		if (scenario_at(w, ts))
			out[k] *= w->sc_traffic[k];
		burst[k] = extra > 0;
		total += w->coeff[k] * out[k];
	}
	return total;
}

/* Normalises each base shape to a weekly mean of 1 and sets the share coefficients, counting
 * the spikes at their expected volume, so that the long-run mix is the specified one. The
 * result does not depend on the span, so history and live simulation share one shape. */
static void calibrate(workload *w)
{
	for (int k = 0; k < W_COUNT; k++) {
		const workload_spec *s = &specs[k];
		const spike_spec *sp = &s->spikes;
		double sum = 0, in_window = 0;
		int64_t window_minutes = 0;
		/* 1970-01-05 was a Monday: one week of minutes from there. */
		for (int64_t m = 0; m < 7 * 1440; m++) {
			int64_t local = 4 * DAY_MS + m * MIN_MS + MIN_MS / 2;
			double v = base_shape(s, local);
			int mod = (int)(m % 1440);
			sum += v;
			if (sp->count_hi && !(sp->weekdays_only && m / 1440 >= 5) &&
			    mod >= sp->from_min && mod < sp->to_min) {
				in_window += v;
				window_minutes++;
			}
		}
		w->norm[k] = 7.0 * 1440.0 / sum;
		double extra = 0;
		if (window_minutes) {
			double days = sp->weekdays_only ? 5.0 : 7.0;
			double count = (sp->count_lo + sp->count_hi) / 2.0;
			double dur = (sp->dur_lo + sp->dur_hi) / 2.0;
			double mag = (sp->mag_lo + sp->mag_hi) / 20.0 - 1.0;
			double level = in_window / (double)window_minutes * w->norm[k];
			extra = days * count * dur * mag * level / (7.0 * 1440.0);
		}
		w->coeff[k] = (double)s->share / 1000.0 / (1.0 + extra);
	}
}

static void moment_at(const workload *w, int64_t ts, moment *m)
{
	double v[W_COUNT];
	double total = shape_at(w, ts, v, m->burst);
	double acc = 0;
	for (int k = 0; k < W_COUNT - 1; k++) {
		acc += w->coeff[k] * v[k];
		m->pick[k] = (uint32_t)(acc / total * 4294967295.0);
	}
	int64_t pos = ts - w->o.start_ms;
	if (pos < 0)
		pos = 0;
	if (pos > w->o.span_ms)
		pos = w->o.span_ms;
	m->rollout = (int)(pos * 1000 / w->o.span_ms);
}

static uint64_t share_of(const workload *w, int64_t minute)
{
	unsigned __int128 n = (unsigned __int128)w->o.events * w->cum[minute];
	return (uint64_t)(n / w->cum[w->minutes]);
}

/* The integer intensity summed minute by minute, which places the events. */
static void build_cum(workload *w)
{
	const workload_opts *o = &w->o;
	w->cum[0] = 0;
	for (int64_t i = 0; i < w->minutes; i++) {
		int64_t a = o->start_ms + i * MIN_MS;
		int64_t len = i + 1 < w->minutes ? MIN_MS : o->start_ms + o->span_ms - a;
		double v[W_COUNT];
		int burst[W_COUNT];
		double total = shape_at(w, a + len / 2, v, burst);
		w->cum[i + 1] = w->cum[i] + (uint64_t)(total * (double)len * 64.0) + 1;
	}
}

workload *workload_new(const workload_opts *o)
{
	if (!o || o->start_ms < 0 || o->span_ms <= 0 || o->span_ms > MAX_SPAN_MS)
		return NULL;
	workload *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->o = *o;
	uint64_t x = o->seed;
	for (int i = 0; i < 4; i++)
		w->r.s[i] = splitmix64(&x);
	w->id_key = splitmix64(&x);
	w->spike_key = splitmix64(&x);
	calibrate(w);

	w->minutes = (o->span_ms + MIN_MS - 1) / MIN_MS;
	w->cum = malloc(((size_t)w->minutes + 1) * sizeof *w->cum);
	if (!w->cum) {
		workload_free(w);
		return NULL;
	}
	build_cum(w);

	uint64_t most = 0;
	for (int64_t i = 0; i < w->minutes; i++) {
		uint64_t c = share_of(w, i + 1) - share_of(w, i);
		if (c > most)
			most = c;
	}
	/* A scenario raising traffic from a time on moves events there: no minute gets more than
	 * MAX_TRAFFIC_X times its steady count (plus rounding), so its buffers are made now. */
	most = most * MAX_TRAFFIC_X + 2;
	w->cap = most < SORT_CAP ? (size_t)most : SORT_CAP;
	w->buf = malloc(w->cap * sizeof *w->buf);
	w->tmp = malloc(w->cap * sizeof *w->tmp);
	if (most > SORT_CAP)
		w->slots = calloc(MIN_MS, sizeof *w->slots);
	if (!w->buf || !w->tmp || (most > SORT_CAP && !w->slots)) {
		workload_free(w);
		return NULL;
	}
	return w;
}

void workload_free(workload *w)
{
	if (!w)
		return;
	free(w->cum);
	free(w->buf);
	free(w->tmp);
	free(w->slots);
	free(w);
}

double workload_intensity(const workload *w, int64_t ts_ms)
{
	double v[W_COUNT];
	int burst[W_COUNT];
	return shape_at(w, ts_ms, v, burst);
}

static void sort_offsets(uint16_t *a, uint16_t *tmp, size_t n)
{
	if (n <= 32) {
		for (size_t i = 1; i < n; i++) {
			uint16_t v = a[i];
			size_t j = i;
			for (; j > 0 && a[j - 1] > v; j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	for (int shift = 0; shift < 16; shift += 8) {
		size_t count[257] = {0};
		for (size_t i = 0; i < n; i++)
			count[((a[i] >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
		memcpy(a, tmp, n * sizeof *a);
	}
}

/* Every name in the tables fits every field it is put in. */
static void put(char *dst, const char *s)
{
	strcpy(dst, s);
}

static void put_hex(char *dst, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = digits - 1; i >= 0; i--) {
		dst[i] = hex[v & 15];
		v >>= 4;
	}
}

/* "r-" + 12 hex digits of the time (so ids sort by time) + "-" + 16 hex digits that are a
 * bijection of the event counter keyed by the seed (so ids are unique). */
static void put_request_id(char *dst, int64_t ts, uint64_t n, uint64_t key)
{
	dst[0] = 'r';
	dst[1] = '-';
	put_hex(dst + 2, (uint64_t)ts, 12);
	dst[14] = '-';
	put_hex(dst + 15, mix64(n + key), 16);
	dst[31] = 0;
}

static int pick_model(rng *r, const pick *p, int n)
{
	int total = 0;
	for (int i = 0; i < n && p[i].weight; i++)
		total += p[i].weight;
	int u = (int)rng_below(r, (uint32_t)total);
	for (int i = 0;; i++) {
		u -= p[i].weight;
		if (u < 0)
			return p[i].model;
	}
}

static const flow *pick_flow(rng *r, const workload_spec *s, const scenario_spec *sc)
{
	int total = 0;
	for (int i = 0; i < s->n_flows; i++)
		total += flow_weight(&s->flows[i], sc);
	int u = (int)rng_below(r, (uint32_t)total);
	for (int i = 0; i < s->n_flows - 1; i++) {
		u -= flow_weight(&s->flows[i], sc);
		if (u < 0)
			return &s->flows[i];
	}
	return &s->flows[s->n_flows - 1];
}

static const tenant *pick_tenant(rng *r, const workload_spec *s)
{
	int total = 0;
	for (int i = 0; i < s->n_tenants; i++)
		total += s->tenants[i].weight;
	int u = (int)rng_below(r, (uint32_t)total);
	for (int i = 0; i < s->n_tenants - 1; i++) {
		u -= s->tenants[i].weight;
		if (u < 0)
			return &s->tenants[i];
	}
	return &s->tenants[s->n_tenants - 1];
}

static tt_status pick_status(rng *r, const flow *fl, const model_spec *m, int burst,
                             const scenario_spec *sc)
{
	struct {
		tt_status status;
		int ppm;
	} chances[] = {
	    {TT_STATUS_CLIENT_ERROR, 2000},
	    {TT_STATUS_SAFETY_REFUSAL, fl->err.refusal},
	    {TT_STATUS_RATE_LIMITED, burst ? fl->err.rate_limited_burst : fl->err.rate_limited},
	    {TT_STATUS_TIMEOUT, m->p_timeout},
	    {TT_STATUS_SERVER_ERROR, m->p_server_error},
	};
	if (sc && sc->refusal_x && matches(sc->use_case, fl->use_case))
		chances[1].ppm *= sc->refusal_x;
	if (sc && matches(sc->provider, m->provider)) {
		if (sc->p_rate_limited)
			chances[2].ppm = sc->p_rate_limited;
		if (sc->p_timeout)
			chances[3].ppm = sc->p_timeout;
		if (sc->p_server_error)
			chances[4].ppm = sc->p_server_error;
	}
	int u = (int)rng_below(r, PPM);
	for (size_t i = 0; i < sizeof chances / sizeof chances[0]; i++) {
		u -= chances[i].ppm;
		if (u < 0)
			return chances[i].status;
	}
	return TT_STATUS_OK;
}

static tt_outcome pick_outcome(rng *r, const flow *fl, tt_status st)
{
	if (fl->outcome.success + fl->outcome.failure + fl->outcome.abandoned == 0)
		return TT_OUTCOME_NONE;
	int u = (int)rng_below(r, 1000);
	if (st != TT_STATUS_OK)
		return u < 700 ? TT_OUTCOME_FAILURE : TT_OUTCOME_ABANDONED;
	if (u < fl->outcome.success)
		return TT_OUTCOME_SUCCESS;
	if (u < fl->outcome.success + fl->outcome.failure)
		return TT_OUTCOME_FAILURE;
	return TT_OUTCOME_ABANDONED;
}

/* Nano-dollars, rounded half up: tokens times micro-dollars per million tokens. */
static int64_t cost_nanos(const model_spec *m, const tt_event *ev)
{
	int64_t pico = (ev->input_tokens - ev->cached_tokens) * m->price_in +
	               ev->cached_tokens * m->price_cached + ev->output_tokens * m->price_out;
	return (pico + 500) / 1000;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Latencies by status; errors end without output at the time they failed. */
static void put_timings(rng *r, tt_event *ev, const model_spec *m, int64_t latency)
{
	switch (ev->status) {
	case TT_STATUS_OK:
		ev->latency_ms = latency;
		ev->ttft_ms = latency * rng_range(r, 12, 40) / 100;
		break;
	case TT_STATUS_TIMEOUT:
		ev->latency_ms = m->timeout_ms;
		break;
	case TT_STATUS_SERVER_ERROR:
		ev->latency_ms = latency * rng_range(r, 10, 100) / 100;
		break;
	case TT_STATUS_RATE_LIMITED:
		ev->latency_ms = rng_range(r, 20, 150);
		break;
	case TT_STATUS_SAFETY_REFUSAL:
		ev->latency_ms = rng_range(r, 150, 600);
		break;
	default:
		ev->latency_ms = rng_range(r, 5, 40);
		break;
	}
}

static void draw_event(workload *w, const moment *at, int64_t ts, tt_event *ev)
{
	rng *r = &w->r;
	uint32_t u = (uint32_t)(rng_next(r) >> 32);
	int k = 0;
	while (k < W_COUNT - 1 && u >= at->pick[k])
		k++;
	const workload_spec *s = &specs[k];
	const scenario_spec *sc = scenario_at(w, ts);
	const flow *fl = pick_flow(r, s, sc);
	int on_route = sc && matches(sc->use_case, fl->use_case);
	const tenant *tn = pick_tenant(r, s);
	const char *gateway = fl->gateway ? fl->gateway : tn->gateway;

	event_init(ev);
	put_request_id(ev->request_id, ts, w->counter++, w->id_key);
	ev->ts_ms = ts;
	put(ev->gateway, gateway);
	put(ev->tenant, tn->name);
	put(ev->team, fl->team);
	put(ev->use_case, fl->use_case);
	put(ev->prompt_id, fl->prompt_id);

	int newer = 0;
	if (fl->ver.newer) {
		int share = fl->ver.from + (fl->ver.to - fl->ver.from) * at->rollout / 1000;
		newer = (int)rng_below(r, 1000) < share;
	}
	put(ev->prompt_version, newer ? fl->ver.newer : fl->ver.older);

	int p_elevate = on_route && sc->p_elevate ? sc->p_elevate : fl->p_elevate;
	ev->elevated = p_elevate && rng_chance(r, p_elevate);
	int mi = ev->elevated ? pick_model(r, fl->elevated, 2) : pick_model(r, fl->primary, 3);
	const model_spec *m = &models[mi];
	put(ev->provider, m->provider);
	put(ev->model, m->model);
	put(ev->tier, m->tier);

	double in_med = fl->tok.in_med * (newer ? fl->ver.in_pct : 100) / 100.0;
	double out_med = fl->tok.out_med * (newer ? fl->ver.out_pct : 100) / 100.0;
	if (sc && sc->in_x_hi && matches(sc->prompt_id, fl->prompt_id) &&
	    matches(sc->prompt_version, ev->prompt_version))
		in_med *= sc->in_x_lo + (sc->in_x_hi - sc->in_x_lo) * rng_unit(r);
	ev->input_tokens = clamp64((int64_t)lognormal(r, in_med, fl->tok.in_sig), 8, 200000);
	int64_t out = clamp64((int64_t)lognormal(r, out_med, fl->tok.out_sig), 1, 32000);
	if (fl->prefix.p && rng_chance(r, fl->prefix.p))
		ev->cached_tokens =
		    ev->input_tokens * rng_range(r, fl->prefix.lo, fl->prefix.hi) / 100;

	int p_hit = on_route && sc->p_hit >= 0 ? sc->p_hit : fl->p_hit;
	if (p_hit >= 0)
		ev->cache = rng_chance(r, p_hit) ? TT_CACHE_HIT : TT_CACHE_MISS;
	/* A cache hit never reaches a provider, so it cannot fail there. */
	ev->status =
	    ev->cache == TT_CACHE_HIT ? TT_STATUS_OK : pick_status(r, fl, m, at->burst[k], sc);
	int served = ev->status == TT_STATUS_OK;
	int reached =
	    served || ev->status == TT_STATUS_TIMEOUT || ev->status == TT_STATUS_SERVER_ERROR;
	if (served)
		ev->output_tokens = out;
	if (!reached || ev->cache == TT_CACHE_HIT)
		ev->cached_tokens = 0;

	double lat = m->lat_ms * fl->lat_pct / 100.0 * (0.6 + 0.4 * (double)out / out_med) *
	             det_exp(rng_normal(r) * 0.4);
	if (rng_below(r, 1000) < 25) /* the heavy tail */
		lat *= 1.5 + 6.0 * rng_unit(r) * rng_unit(r);
	put_timings(r, ev, m, clamp64((int64_t)lat, 20, m->timeout_ms - 1));
	if (ev->cache == TT_CACHE_HIT) {
		ev->latency_ms = rng_range(r, 8, 40);
		ev->ttft_ms = ev->latency_ms;
	}
	double qmed = m->queue_ms * (at->burst[k] ? 4.0 : 1.0);
	ev->queue_ms = (int64_t)lognormal(r, qmed, 800);
	if (fl->retrieval.hi && ev->cache != TT_CACHE_HIT && ev->status != TT_STATUS_CLIENT_ERROR)
		ev->retrieval_ms = rng_range(r, fl->retrieval.lo, fl->retrieval.hi);

	ev->outcome = pick_outcome(r, fl, ev->status);
	if (served)
		ev->quality_milli =
		    (int32_t)clamp64(m->quality + rng_range(r, -150, 150), 600, 1000);

	if (s->cost_gateway && strcmp(gateway, s->cost_gateway) == 0 && m->price_in) {
		ev->has_cost = true;
		ev->cost_source = TT_COST_GATEWAY;
		ev->cost_nanos = ev->cache == TT_CACHE_HIT ? 0 : cost_nanos(m, ev);
	}
}

/* Opens the next minute that has events: draws and sorts its time stamps. */
static int open_minute(workload *w)
{
	while (w->minute < w->minutes) {
		int64_t i = w->minute++;
		uint64_t upto = share_of(w, i + 1);
		uint64_t c = upto - w->done;
		w->done = upto;
		if (c == 0)
			continue;
		w->mstart = w->o.start_ms + i * MIN_MS;
		int64_t len =
		    i + 1 < w->minutes ? MIN_MS : w->o.start_ms + w->o.span_ms - w->mstart;
		moment_at(w, w->mstart + len / 2, &w->at);
		w->left = c;
		w->pos = 0;
		w->counting = c > SORT_CAP;
		if (w->counting) {
			memset(w->slots, 0, MIN_MS * sizeof *w->slots);
			for (uint64_t j = 0; j < c; j++)
				w->slots[rng_below(&w->r, (uint32_t)len)]++;
		} else {
			for (uint64_t j = 0; j < c; j++)
				w->buf[j] = (uint16_t)rng_below(&w->r, (uint32_t)len);
			sort_offsets(w->buf, w->tmp, (size_t)c);
		}
		return 1;
	}
	return 0;
}

int workload_next(workload *w, tt_event *ev)
{
	if (w->left == 0 && !open_minute(w))
		return 0;
	int64_t off;
	if (w->counting) {
		while (w->slots[w->pos] == 0)
			w->pos++;
		w->slots[w->pos]--;
		off = (int64_t)w->pos;
	} else {
		off = w->buf[w->pos++];
	}
	w->left--;
	draw_event(w, &w->at, w->mstart + off, ev);
	return 1;
}

void workload_event_at(workload *w, int64_t ts_ms, tt_event *ev)
{
	moment at;
	moment_at(w, ts_ms, &at);
	draw_event(w, &at, ts_ms, ev);
}

int workload_scenario_parse(const char *name, workload_scenario *out)
{
	for (int i = 0; i < WL_SCENARIO_COUNT; i++)
		if (strcmp(name, scenarios[i].name) == 0) {
			*out = (workload_scenario)i;
			return 0;
		}
	return -1;
}

const char *workload_scenario_name(workload_scenario s)
{
	return s >= 0 && s < WL_SCENARIO_COUNT ? scenarios[s].name : NULL;
}

/* The traffic placement is rebuilt only before the first workload_next: after that the events
 * already placed stay where they are (live simulation reads workload_intensity instead). */
void workload_set_scenario(workload *w, workload_scenario s, int64_t start_ms)
{
	if (s < 0 || s >= WL_SCENARIO_COUNT)
		s = WL_STEADY;
	w->scenario = s;
	w->sc_start = start_ms;
	const scenario_spec *sc = &scenarios[s];
	for (int k = 0; k < W_COUNT; k++) {
		int base = 0, now = 0;
		for (int i = 0; i < specs[k].n_flows; i++) {
			base += specs[k].flows[i].weight;
			now += flow_weight(&specs[k].flows[i], sc);
		}
		w->sc_traffic[k] = (double)now / (double)base;
	}
	if (w->minute == 0 && w->left == 0)
		build_cum(w);
}
