/* Who is making a request: a user, the operator or an API key. */
#ifndef OPENSEAT_PRINCIPAL_H
#define OPENSEAT_PRINCIPAL_H

#include "auth/role.h"

#define UUID_LEN 37

enum principal_kind {
	PRINCIPAL_NONE = 0,
	PRINCIPAL_USER,
	PRINCIPAL_OPERATOR,
	PRINCIPAL_API_KEY,
};

struct principal {
	enum principal_kind kind;
	char id[UUID_LEN];          /**< user_id, operator_id or api_key_id */
	char tenant_id[UUID_LEN];   /**< empty for the operator             */
	enum role role;
	char name[72];              /**< username or key name, for audit   */
};

const char *principal_kind_name(enum principal_kind k);

#endif
