/* SLO burn rates: multiwindow, multi-burn-rate alerting as in the Google SRE Workbook. */
#ifndef TOKENTOP_SLO_H
#define TOKENTOP_SLO_H

#include <stdbool.h>
#include <stdint.h>

#include "tokentop/event.h"

#define SLO_NAME_CAP 64

typedef enum { SLO_AVAILABILITY, SLO_LATENCY, SLO_SLI_COUNT } slo_sli;

/* One objective, as configured ([slo NAME] in docs/config.md). */
typedef struct slo_spec {
	char name[SLO_NAME_CAP];
	char use_case[TT_NAME_CAP]; /* "*": every use case */
	slo_sli sli;
	int64_t objective_ppm; /* good requests, parts per million: 99.5% is 995000 */
	int64_t period_ms;     /* the error budget's rolling period (30 days by default) */
	uint32_t bad_statuses; /* availability: bit (1 << tt_status) per status that is bad */
	int64_t threshold_ms;  /* latency: good when served faster than this */
} slo_spec;

/* The windows burn rates are computed over, all ending at "now". */
typedef enum {
	SLO_W5M,
	SLO_W30M,
	SLO_W1H,
	SLO_W2H,
	SLO_W6H,
	SLO_W1D,
	SLO_W3D,
	SLO_WINDOW_COUNT
} slo_window;

int64_t slo_window_ms(slo_window w);
const char *slo_window_name(slo_window w); /* "5m", "30m", "1h", "2h", "6h", "1d", "3d" */

typedef enum { SLO_ALERT_NONE, SLO_ALERT_TICKET, SLO_ALERT_PAGE } slo_alert;
const char *slo_alert_name(slo_alert a); /* NULL, "ticket", "page" */
const char *slo_sli_name(slo_sli s);     /* "availability", "latency" */
int slo_sli_parse(const char *s, slo_sli *out);

/* Requests counted by an SLI over one window: bad of total. */
typedef struct slo_counts {
	int64_t bad, total;
} slo_counts;

/* bad ratio / (1 - objective); 0 when nothing was counted. */
double slo_burn_rate(slo_counts c, int64_t objective_ppm);

/* For a 30-day period: page when the 1h and 5m burn rates both reach 14.4 or the 6h and 30m
 * both reach 6; ticket when the 1d and 2h both reach 3 or the 3d and 6h both reach 1. The
 * stronger alert wins. "Reach" (>=): burning at exactly 14.4 for an hour has spent the 2% the
 * rule is for. Other periods scale the rates to spend the same shares (2%, 5%, 10%, 10%):
 * rate = share x period / long window (7 days: 3.36, 1.4, 0.7, 0.23). */
slo_alert slo_alert_of(const double burn[SLO_WINDOW_COUNT], int64_t period_ms);
/* The rate rule (0..3, in the order above) fires at for a period. */
double slo_alert_rate(int rule, int64_t period_ms);
#define SLO_RULE_COUNT 4
/* Rule i's alert and windows. */
void slo_rule_windows(int rule, slo_alert *alert, slo_window *long_w, slo_window *short_w);

typedef struct slo_status {
	double burn[SLO_WINDOW_COUNT];
	double
	    budget_remaining; /* of the period's error budget: 1 - period burn rate (may be < 0) */
	slo_alert alert;
	int64_t exhausted_in_ms; /* at the 1h burn rate; -1 when the 1h burn rate is at most 1 */
	slo_counts period;
} slo_status;

void slo_evaluate(const slo_spec *s, const slo_counts win[SLO_WINDOW_COUNT], slo_counts period,
                  slo_status *out);

/* Whether a status spends an availability SLO's budget. */
static inline bool slo_is_bad_status(const slo_spec *s, tt_status st)
{
	return (s->bad_statuses >> st) & 1u;
}

#endif
