/* A call's disposition from the agent's after-call work. */
#ifndef OPENSEAT_CALL_WRAP_H
#define OPENSEAT_CALL_WRAP_H

struct app;
struct principal;

typedef void (call_wrap_h)(int err, void *arg);

int call_wrap_save(struct app *app, const struct principal *p,
		   const char *call_id, const char *code, const char *notes,
		   call_wrap_h *h, void *arg);

#endif
