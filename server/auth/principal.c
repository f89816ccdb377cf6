/* Who is making a request: a user, the operator or an API key. */
#include "auth/principal.h"


/** The name stored in audit rows for a principal kind. */
const char *principal_kind_name(enum principal_kind k)
{
	switch (k) {

	case PRINCIPAL_USER:     return "user";
	case PRINCIPAL_OPERATOR: return "operator";
	case PRINCIPAL_API_KEY:  return "api_key";
	default:                 return "system";
	}
}
