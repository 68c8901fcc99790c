/* SLO burn rates and the multiwindow, multi-burn-rate alert rule (SRE Workbook, ch. 5). */
#include <string.h>

#include "tokentop/slo.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

static const struct {
	const char *name;
	int64_t ms;
} windows[SLO_WINDOW_COUNT] = {
    [SLO_W5M] = {"5m", 5 * MIN_MS},  [SLO_W30M] = {"30m", 30 * MIN_MS}, [SLO_W1H] = {"1h", HOUR_MS},
    [SLO_W2H] = {"2h", 2 * HOUR_MS}, [SLO_W6H] = {"6h", 6 * HOUR_MS},   [SLO_W1D] = {"1d", DAY_MS},
    [SLO_W3D] = {"3d", 3 * DAY_MS},
};

/* Table 5-8 of the Workbook plus its 24h/2h ticket, as the share of the period's budget each
 * rule's long window spends (basis points); a rule fires when both windows burn at least at
 * share x period / long window: 14.4, 6, 3 and 1 for 30 days. */
static const struct {
	slo_alert alert;
	slo_window long_w, short_w;
	int64_t share_bp;
} rules[] = {
    {SLO_ALERT_PAGE, SLO_W1H, SLO_W5M, 200},
    {SLO_ALERT_PAGE, SLO_W6H, SLO_W30M, 500},
    {SLO_ALERT_TICKET, SLO_W1D, SLO_W2H, 1000},
    {SLO_ALERT_TICKET, SLO_W3D, SLO_W6H, 1000},
};

static const char *const sli_names[SLO_SLI_COUNT] = {"availability", "latency"};

int64_t slo_window_ms(slo_window w)
{
	return windows[w].ms;
}

const char *slo_window_name(slo_window w)
{
	return windows[w].name;
}

const char *slo_alert_name(slo_alert a)
{
	return a == SLO_ALERT_PAGE ? "page" : a == SLO_ALERT_TICKET ? "ticket" : NULL;
}

const char *slo_sli_name(slo_sli s)
{
	return s >= 0 && s < SLO_SLI_COUNT ? sli_names[s] : NULL;
}

int slo_sli_parse(const char *s, slo_sli *out)
{
	for (int i = 0; i < SLO_SLI_COUNT; i++)
		if (strcmp(s, sli_names[i]) == 0) {
			*out = (slo_sli)i;
			return 0;
		}
	return -1;
}

/* One division of exact integers, so that the Workbook's numbers come out exactly. */
double slo_burn_rate(slo_counts c, int64_t objective_ppm)
{
	if (c.total <= 0 || objective_ppm >= 1000000)
		return 0;
	return (double)c.bad * 1e6 / ((double)c.total * (double)(1000000 - objective_ppm));
}

/* One division of exact integers, as the burn rates are: 14.4 for 30 days is exactly 14.4. */
_Static_assert(sizeof rules / sizeof rules[0] == SLO_RULE_COUNT, "SLO_RULE_COUNT");

void slo_rule_windows(int rule, slo_alert *alert, slo_window *long_w, slo_window *short_w)
{
	*alert = rules[rule].alert;
	*long_w = rules[rule].long_w;
	*short_w = rules[rule].short_w;
}

double slo_alert_rate(int rule, int64_t period_ms)
{
	return (double)(rules[rule].share_bp * period_ms) /
	       (double)(10000 * windows[rules[rule].long_w].ms);
}

slo_alert slo_alert_of(const double burn[SLO_WINDOW_COUNT], int64_t period_ms)
{
	slo_alert a = SLO_ALERT_NONE;
	for (int i = 0; i < (int)(sizeof rules / sizeof rules[0]); i++) {
		double rate = slo_alert_rate(i, period_ms);
		if (burn[rules[i].long_w] >= rate && burn[rules[i].short_w] >= rate &&
		    rules[i].alert > a)
			a = rules[i].alert;
	}
	return a;
}

void slo_evaluate(const slo_spec *s, const slo_counts win[SLO_WINDOW_COUNT], slo_counts period,
                  slo_status *out)
{
	memset(out, 0, sizeof *out);
	for (int w = 0; w < SLO_WINDOW_COUNT; w++)
		out->burn[w] = slo_burn_rate(win[w], s->objective_ppm);
	out->alert = slo_alert_of(out->burn, s->period_ms);
	out->period = period;
	out->budget_remaining = 1.0 - slo_burn_rate(period, s->objective_ppm);
	/* A burn rate of 1 spends the budget exactly as fast as the rolling period earns it back:
	 * at or below it the budget is never exhausted. */
	double b = out->burn[SLO_W1H];
	if (out->budget_remaining <= 0)
		out->exhausted_in_ms = 0;
	else if (b <= 1.0)
		out->exhausted_in_ms = -1;
	else
		out->exhausted_in_ms = (int64_t)(out->budget_remaining * (double)s->period_ms / b);
}
