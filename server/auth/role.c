/* Roles: names on the wire and in the database, and their parsing. */
#include <string.h>
#include "auth/role.h"


static const char *const role_names[] = {
	[ROLE_NONE]       = "none",
	[ROLE_AGENT]      = "agent",
	[ROLE_SUPERVISOR] = "supervisor",
	[ROLE_ADMIN]      = "admin",
	[ROLE_OPERATOR]   = "operator",
};


/**
 * Name of a role as stored and sent.
 *
 * @param r  Role
 *
 * @return the name, "none" for ROLE_NONE or an unknown value
 */
const char *role_name(enum role r)
{
	if ((unsigned)r >= sizeof(role_names) / sizeof(role_names[0]))
		return "none";

	return role_names[r];
}


/**
 * Parse a role name (exact, case-sensitive).
 *
 * @param s  Name, may be NULL
 *
 * @return the role, ROLE_NONE if s is NULL or not a known role
 */
enum role role_parse(const char *s)
{
	unsigned i;

	if (!s)
		return ROLE_NONE;

	for (i = ROLE_AGENT; i <= ROLE_OPERATOR; i++) {
		if (!strcmp(s, role_names[i]))
			return (enum role)i;
	}

	return ROLE_NONE;
}
