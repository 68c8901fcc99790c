/* Writes FOCUS rows as a FinOps FOCUS 1.2 CSV file: the 21 mandatory columns, the conditional
 * ones tokentop can fill, then its own x_ columns (docs/focus.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tokentop/money.h"
#include "tokentop/report.h"
#include "tokentop/timeutil.h"

#define CELL_CAP 1024

typedef void (*cell_fn)(const focus_row *r, char *buf, size_t cap);

/* SkuMeter per token type, as the FOCUS working drafts' AI billing examples name them. */
static const char *const meters[FOCUS_TOKEN_COUNT] = {"Input Tokens", "Output Tokens",
                                                      "Cache Read Input Tokens"};
static const char *const token_types[FOCUS_TOKEN_COUNT] = {"Input", "Output", "CacheRead"};
static const char *const token_words[FOCUS_TOKEN_COUNT] = {"Input", "Output", "Cached input"};

static const char *or_unknown(const char *s)
{
	return *s ? s : "unknown";
}

/* UTC "YYYY-MM-DDTHH:MM:SSZ", the FOCUS date/time format (no fraction). */
static void focus_time(int64_t ms, char *buf, size_t cap)
{
	int64_t s = ms / 1000, days = s / 86400, rest = s % 86400;
	if (rest < 0) {
		rest += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(rest / 3600),
	         (int)(rest % 3600 / 60), (int)(rest % 60));
}

static int64_t month_start_ms(int64_t day, int months_after)
{
	int64_t y;
	unsigned m, d;
	time_civil_from_days(day, &y, &m, &d);
	int64_t mm = (int64_t)m - 1 + months_after;
	y += mm / 12;
	return time_days_from_civil(y, (unsigned)(mm % 12) + 1, 1) * 86400000LL;
}

/* tokens / 10^6 exactly, without trailing zeros: 8400000 -> "8.4", 812 -> "0.000812". */
static void per_million(int64_t v, char *buf, size_t cap)
{
	snprintf(buf, cap, "%" PRId64 ".%06" PRId64, v / 1000000, v % 1000000);
	char *e = buf + strlen(buf) - 1;
	while (*e == '0')
		*e-- = 0;
	if (*e == '.')
		*e = 0;
}

/* Appends s to buf as a JSON string. */
static void json_str(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	if (n + 1 < cap)
		buf[n++] = '"';
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	if (n + 1 < cap)
		buf[n++] = '"';
	buf[n < cap ? n : cap - 1] = 0;
}

static void c_cost(const focus_row *r, char *b, size_t n)
{
	money_format(r->cost_nanos, b, n);
}
static void c_account_id(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "tokentop:%s", or_unknown(r->provider));
}
static void c_provider(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", or_unknown(r->provider));
}
static void c_usd(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "USD");
}
static void c_billing_end(const focus_row *r, char *b, size_t n)
{
	focus_time(month_start_ms(r->day, 1), b, n);
}
static void c_billing_start(const focus_row *r, char *b, size_t n)
{
	focus_time(month_start_ms(r->day, 0), b, n);
}
static void c_usage(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "Usage");
}
static void c_null(const focus_row *r, char *b, size_t n)
{
	(void)r;
	if (n)
		b[0] = 0;
}
static void c_description(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s tokens of %s/%s", token_words[r->token], or_unknown(r->provider),
	         or_unknown(r->model));
}
static void c_charge_end(const focus_row *r, char *b, size_t n)
{
	focus_time(r->end_ms, b, n);
}
static void c_charge_start(const focus_row *r, char *b, size_t n)
{
	focus_time(r->start_ms, b, n);
}
static void c_pricing_quantity(const focus_row *r, char *b, size_t n)
{
	per_million(r->tokens, b, n);
}
static void c_pricing_unit(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "1000000 Tokens");
}
static void c_service_category(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "AI and Machine Learning");
}
static void c_service_name(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", or_unknown(r->model));
}
static void c_frequency(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "Usage-Based");
}
static void c_consumed_quantity(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%" PRId64, r->tokens);
}
static void c_consumed_unit(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "Tokens");
}
static void c_standard(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "Standard");
}
static void c_subcategory(const focus_row *r, char *b, size_t n)
{
	(void)r;
	snprintf(b, n, "Generative AI");
}
static void c_sku(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s/%s/%s", or_unknown(r->provider), or_unknown(r->model),
	         focus_token_name(r->token));
}
static void c_meter(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", meters[r->token]);
}
static void c_price_details(const focus_row *r, char *b, size_t n)
{
	/* ModelId and TokenType are FOCUS-defined only after 1.2: provider-defined (x_) here. */
	snprintf(b, n, "{\"x_ModelId\":");
	json_str(b, n, or_unknown(r->model));
	size_t l = strlen(b);
	snprintf(b + l, n - l, ",\"x_TokenType\":\"%s\"}", token_types[r->token]);
}
static void c_tags(const focus_row *r, char *b, size_t n)
{
	const char *keys[] = {"team", "tenant", "use_case"};
	const char *vals[] = {r->team, r->tenant, r->use_case};
	b[0] = 0;
	for (int i = 0; i < 3; i++) {
		if (!*vals[i])
			continue;
		size_t l = strlen(b);
		snprintf(b + l, n - l, "%s\"%s\":", l ? "," : "{", keys[i]);
		json_str(b, n, vals[i]);
	}
	if (*b) {
		size_t l = strlen(b);
		snprintf(b + l, n - l, "}");
	}
}
static void c_token(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", focus_token_name(r->token));
}
static void c_team(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", r->team);
}
static void c_use_case(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", r->use_case);
}
static void c_tenant(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", r->tenant);
}
static void c_cost_nanos(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%" PRId64, r->cost_nanos);
}
static void c_basis(const focus_row *r, char *b, size_t n)
{
	snprintf(b, n, "%s", focus_basis_name(r->basis));
}
static void c_card_price(const focus_row *r, char *b, size_t n)
{
	if (r->price_per_mtok < 0)
		b[0] = 0;
	else
		money_format(r->price_per_mtok * TT_NANOS_PER_MICRO, b, n);
}

/* The 21 mandatory FOCUS 1.2 columns first (alphabetical, as the spec's samples), then the
 * conditional and recommended ones, then tokentop's own. */
static const struct {
	const char *name;
	cell_fn fn;
} columns[] = {
    {"BilledCost", c_cost},
    {"BillingAccountId", c_account_id},
    {"BillingAccountName", c_provider},
    {"BillingCurrency", c_usd},
    {"BillingPeriodEnd", c_billing_end},
    {"BillingPeriodStart", c_billing_start},
    {"ChargeCategory", c_usage},
    {"ChargeClass", c_null},
    {"ChargeDescription", c_description},
    {"ChargePeriodEnd", c_charge_end},
    {"ChargePeriodStart", c_charge_start},
    {"ContractedCost", c_cost},
    {"EffectiveCost", c_cost},
    {"InvoiceIssuerName", c_provider},
    {"ListCost", c_cost},
    {"PricingQuantity", c_pricing_quantity},
    {"PricingUnit", c_pricing_unit},
    {"ProviderName", c_provider},
    {"PublisherName", c_provider},
    {"ServiceCategory", c_service_category},
    {"ServiceName", c_service_name},
    {"ChargeFrequency", c_frequency},
    {"ConsumedQuantity", c_consumed_quantity},
    {"ConsumedUnit", c_consumed_unit},
    {"PricingCategory", c_standard},
    {"ServiceSubcategory", c_subcategory},
    {"SkuId", c_sku},
    {"SkuMeter", c_meter},
    {"SkuPriceDetails", c_price_details},
    {"SkuPriceId", c_sku},
    {"Tags", c_tags},
    {"x_TokenType", c_token},
    {"x_Team", c_team},
    {"x_UseCase", c_use_case},
    {"x_Tenant", c_tenant},
    {"x_CostNanos", c_cost_nanos},
    {"x_CostSplitBasis", c_basis},
    {"x_RateCardUnitPrice", c_card_price},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

static void csv_cell(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int report_focus(FILE *out, const view_focus *v)
{
	for (size_t c = 0; c < NCOLUMNS; c++) {
		if (c)
			fputc(',', out);
		fputs(columns[c].name, out);
	}
	fputs("\r\n", out);
	char cell[CELL_CAP];
	for (size_t i = 0; i < v->n; i++) {
		for (size_t c = 0; c < NCOLUMNS; c++) {
			if (c)
				fputc(',', out);
			cell[0] = 0;
			columns[c].fn(&v->rows[i], cell, sizeof cell);
			csv_cell(out, cell);
		}
		fputs("\r\n", out);
	}
	return ferror(out) ? -1 : 0;
}
