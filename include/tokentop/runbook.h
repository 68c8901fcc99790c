/* The console's runbook: the action table, policy and sending handed to the screens. */
#ifndef TOKENTOP_RUNBOOK_H
#define TOKENTOP_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "tokentop/config.h"
#include "tokentop/store.h"
#include "tokentop/ui.h"

typedef struct runbook runbook;

/* The actions of the action table for the console on loop: each bound to its key, marked
 * unavailable when read-only or above the user's role; sends go to cfg's gateways and are
 * written to the audit log (audit_key NULL: the default key file). Pending records left by
 * a crash are reconciled against each gateway first. NULL with err. */
runbook *runbook_new(uv_loop_t *loop, store *st, const tt_config *cfg, const char *audit_key,
                     char *err, size_t errlen);
const ui_runbook_ops *runbook_ops(runbook *r);
/* Cancels what is in flight; run the loop after so the HTTP handles close. */
void runbook_free(runbook *r);

#endif
