/* POST /api/v1/auth/login: password sign-in with failure limits. */
#ifndef OPENSEAT_LOGIN_H
#define OPENSEAT_LOGIN_H

int login_api_init(void);

#endif
