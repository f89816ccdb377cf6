/* Sessions: access and refresh tokens, refresh rotation, logout, /me. */
#ifndef OPENSEAT_SESSION_H
#define OPENSEAT_SESSION_H

struct http_req;
struct ident;
struct json_t;

void session_issue(struct http_req *req, const struct ident *id,
		   const char *family_id);
struct json_t *session_me_json(const struct ident *id);
int  session_api_init(void);

#endif
