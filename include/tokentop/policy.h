/* Who may act: roles from the [access] config section, and the process-wide read-only latch. */
#ifndef TOKENTOP_POLICY_H
#define TOKENTOP_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* Ordered: a role may do everything the roles below it may. */
typedef enum { ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN, ROLE_COUNT } policy_role;

const char *policy_role_name(policy_role r); /* "viewer", "operator", "admin" */
/* 0, or -1 when s names no role. */
int policy_role_parse(const char *s, policy_role *out);

#define POLICY_USERS_MAX 64
#define POLICY_NAME_CAP  64

typedef struct policy_user {
	char name[POLICY_NAME_CAP];
	policy_role role;
} policy_user;

/* The [access] section (docs/actions.md): readonly = yes, and USER = ROLE lines. */
typedef struct policy_access {
	bool readonly;
	policy_user users[POLICY_USERS_MAX];
	size_t nusers;
} policy_access;

/* The role of an OS user. No mapping at all (no [access] section, or one without users):
 * operator, so that a single-user install can act. With mappings: the user's role, and
 * viewer for anyone not listed. a may be NULL (no section). */
policy_role policy_role_of(const policy_access *a, const char *user);

/* Read-only: once set, no control request can leave the process, for its whole life.
 * There is deliberately no way to clear it. */
void policy_set_readonly(void);
bool policy_readonly(void);

struct action_def;

/* Whether role may run the action now: 0, or -1 with err saying why (read-only, or the
 * role it needs and the role user has). */
int policy_check(const struct action_def *a, policy_role role, const char *user, char *err,
                 size_t errlen);

#endif
