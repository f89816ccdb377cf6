/* Roles: who may do what. Ordered so that a higher role includes lower. */
#ifndef OPENSEAT_ROLE_H
#define OPENSEAT_ROLE_H

#include <stdbool.h>

enum role {
	ROLE_NONE = 0,
	ROLE_AGENT,
	ROLE_SUPERVISOR,
	ROLE_ADMIN,        /**< tenant admin                         */
	ROLE_OPERATOR,     /**< platform operator, belongs to no tenant */
};

const char *role_name(enum role r);
enum role   role_parse(const char *s);   /* ROLE_NONE if unknown */

#endif
