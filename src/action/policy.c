/* Policy: roles from the [access] section, each action's least role, the read-only latch. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tokentop/action.h"
#include "tokentop/policy.h"

static const char *const role_names[ROLE_COUNT] = {"viewer", "operator", "admin"};

/* Process-wide and one-way: a flag that could be cleared would be one bug away from a write
 * path in a session the operator opened read-only. */
static atomic_bool readonly_latch;

const char *policy_role_name(policy_role r)
{
	return r < ROLE_COUNT ? role_names[r] : "unknown";
}

int policy_role_parse(const char *s, policy_role *out)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (s && strcmp(s, role_names[i]) == 0) {
			*out = (policy_role)i;
			return 0;
		}
	return -1;
}

policy_role policy_role_of(const policy_access *a, const char *user)
{
	if (!a || a->nusers == 0)
		return ROLE_OPERATOR;
	for (size_t i = 0; i < a->nusers; i++)
		if (user && strcmp(a->users[i].name, user) == 0)
			return a->users[i].role;
	return ROLE_VIEWER;
}

void policy_set_readonly(void)
{
	atomic_store(&readonly_latch, true);
}

bool policy_readonly(void)
{
	return atomic_load(&readonly_latch);
}

int policy_check(const action_def *a, policy_role role, const char *user, char *err, size_t errlen)
{
	if (policy_readonly()) {
		snprintf(err, errlen,
		         "read-only: this tokentop was started with --readonly (or readonly = yes "
		         "in [access]); %s is not available",
		         a ? a->name : "no action");
		return -1;
	}
	if (!a) {
		snprintf(err, errlen, "no such action");
		return -1;
	}
	if (role < a->min_role) {
		snprintf(err, errlen,
		         "%s needs the role %s; %s is %s (the [access] section of the config "
		         "maps users to roles)",
		         a->name, policy_role_name(a->min_role), user && *user ? user : "this user",
		         policy_role_name(role));
		return -1;
	}
	return 0;
}
