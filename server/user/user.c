/* Tenant users: accounts of agents, supervisors and admins. */
#include <re_types.h>
#define LOG_MODULE "user"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "user/user.h"


static void revoked(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;

	if (err)
		log_warn("revoking sessions failed: %m", err);
}


/**
 * Revoke every refresh token of a user (after delete or password reset).
 * Sessions are a platform table, so this runs with the operator role.
 */
void user_revoke_sessions(struct app *app, const char *user_id)
{
	static const struct db_ctx op = {DB_OPERATOR, NULL};
	static const char sql[] =
		"UPDATE sessions SET revoked_at = now()"
		" WHERE principal_id = $1 AND revoked_at IS NULL";
	int err;

	err = db_query(app->db, &op, revoked, NULL, sql, 1, &user_id);
	if (err)
		log_warn("revoking sessions failed: %m", err);
}
