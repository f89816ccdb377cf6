/* Hold music: one shared stream per tenant, music and language. */
#ifndef OPENSEAT_CALL_MOH_H
#define OPENSEAT_CALL_MOH_H

struct call;
struct mport;

void call_moh_init(void);
int  call_moh_listen(struct call *call, const char *ref);
int  call_moh_port(struct call *call, struct mport *mp, const char *ref);
void call_moh_stop(struct call *call);
void call_moh_port_stop(struct mport *mp);
void call_moh_close(void);

#endif
