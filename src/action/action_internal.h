/* What the action layer's files share and nothing outside it needs. */
#ifndef TOKENTOP_ACTION_INTERNAL_H
#define TOKENTOP_ACTION_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "tokentop/action.h"

/* The LiteLLM half of action_validate (after reason, actor and expiry are checked). */
int action_litellm_validate(const action_req *r, char *err, size_t errlen);

/* A LiteLLM control id ("kill-switch:team=t1", "cache-ttl:proxy") back into the action and
 * scope it names, in out (def and scope only). 0, or -1 with err. */
int action_litellm_parse_id(const char *id, action_req *out, char *err, size_t errlen);

/* The control id tokentop gives what r applies on a LiteLLM proxy. */
void action_litellm_control_id(const action_req *r, char *buf, size_t cap);

#endif
