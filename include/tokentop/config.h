/* The configuration file (tokentop.ini, docs/config.md): SLOs and budgets, table-driven. */
#ifndef TOKENTOP_CONFIG_H
#define TOKENTOP_CONFIG_H

#include <stddef.h>

#include "tokentop/budget.h"
#include "tokentop/slo.h"

typedef struct tt_config {
	char path[1024]; /* the file read; "" when there was none */
	slo_spec *slos;
	size_t nslos;
	budget_spec *budgets;
	size_t nbudgets;
} tt_config;

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
