/* Who is making a request: a user, the operator or an API key. */
#ifndef OPENSEAT_PRINCIPAL_H
#define OPENSEAT_PRINCIPAL_H

#include <stdint.h>
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
	/* an API key's own request rate (0: the configured default) and,
	 * for an agent key, the agent it acts for ("" if none) */
	uint32_t rate_per_s;
	uint32_t rate_burst;
	char agent_id[UUID_LEN];
};

const char *principal_kind_name(enum principal_kind k);

#endif
