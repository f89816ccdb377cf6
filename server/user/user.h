/* Tenant users: accounts of agents, supervisors and admins. */
#ifndef OPENSEAT_USER_H
#define OPENSEAT_USER_H

struct app;

int  user_api_init(void);
void user_revoke_sessions(struct app *app, const char *user_id);

#endif
