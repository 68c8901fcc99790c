/* The configuration file (tokentop.ini, docs/config.md): SLOs and budgets, table-driven. */
#ifndef TOKENTOP_CONFIG_H
#define TOKENTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokentop/budget.h"
#include "tokentop/policy.h"
#include "tokentop/slo.h"

/* Where a source's token comes from: an environment variable or a file (first line). */
#define CONFIG_NAME_CAP 64
#define CONFIG_URL_CAP 512
#define CONFIG_PATH_CAP 512
#define CONFIG_QUERY_CAP 1024

typedef enum { GATEWAY_TOKENTOP, GATEWAY_LITELLM } gateway_dialect;

typedef struct gateway_spec {
	char name[CONFIG_NAME_CAP];
	char url[CONFIG_URL_CAP];
	gateway_dialect dialect;
	char token_env[CONFIG_NAME_CAP];
	char token_file[CONFIG_PATH_CAP];
	int64_t poll_ms;
	int64_t page_limit;
	int64_t state_ms; /* between reads of the state endpoints (health, routing, ...) */
	char since[CONFIG_NAME_CAP]; /* LiteLLM: the first read's start (time_parse_since); "" */
	int64_t reread_ms;           /* LiteLLM: the re-read age; 0: the default */
	bool production;
	bool insecure;
} gateway_spec;

typedef struct scrape_spec {
	char name[CONFIG_NAME_CAP];
	char url[CONFIG_URL_CAP];
	int kind; /* prom_kind */
	char token_env[CONFIG_NAME_CAP];
	char token_file[CONFIG_PATH_CAP];
	int64_t interval_ms;
	bool insecure;
} scrape_spec;

typedef struct prometheus_spec {
	char name[CONFIG_NAME_CAP];
	char url[CONFIG_URL_CAP];
	char token_env[CONFIG_NAME_CAP];
	char token_file[CONFIG_PATH_CAP];
	int64_t interval_ms;
	bool insecure;
	/* PromQL per series; defaults read the gateway counters tokentop-sim exposes */
	char spend_rate[CONFIG_QUERY_CAP];
	char request_rate[CONFIG_QUERY_CAP];
	char latency_p95[CONFIG_QUERY_CAP];
} prometheus_spec;

/* [console]: how the console opens (the command line wins). */
typedef struct console_spec {
	char theme[CONFIG_PATH_CAP]; /* a theme name or path; "" for the default */
	bool present;
} console_spec;

typedef struct tt_config {
	char path[1024]; /* the file read; "" when there was none */
	slo_spec *slos;
	size_t nslos;
	budget_spec *budgets;
	size_t nbudgets;
	gateway_spec *gateways;
	size_t ngateways;
	scrape_spec *scrapes;
	size_t nscrapes;
	prometheus_spec *prometheus;
	size_t nprometheus;
	policy_access *access; /* the [access] section, or NULL (naccess 0) */
	size_t naccess;
	console_spec *console; /* the [console] section, or NULL (nconsole 0) */
	size_t nconsole;
} tt_config;

/* Reads a source's token (from token_env or token_file) into buf ("" when it has none).
 * 0, or -1 with err naming the variable or file. */
int config_token(const char *token_env, const char *token_file, char *buf, size_t cap, char *err,
                 size_t errlen);

/* Reads a file. 0, or -1 with err naming the file, line and key, what is wrong and the fix. */
int config_load(const char *path, tt_config *c, char *err, size_t errlen);

/* The same from text; `name` stands for the file in messages. */
int config_parse_string(const char *text, const char *name, tt_config *c, char *err,
                        size_t errlen);

void config_free(tt_config *c);

/* For the commands: loads explicit_path (--config FILE) or else the default file when it exists
 * (no file: an empty configuration). Prints what is wrong; 0 or -1. */
int config_open(const char *explicit_path, tt_config *c);

/* $XDG_CONFIG_HOME/tokentop/tokentop.ini, or ~/.config/tokentop/tokentop.ini when
 * XDG_CONFIG_HOME is unset or not absolute. 0, or -1 when neither can be formed. */
int config_default_path(char *buf, size_t cap);

#endif
