/* The screen pop of a queued call (include re_list.h first). */
#ifndef OPENSEAT_CALL_CTI_H
#define OPENSEAT_CALL_CTI_H

struct call;
struct call_queue;
struct json_t;

void call_cti_prepare(struct call *call);
void call_cti_pop(struct call *call);
int  call_pop_api_init(void);
struct json_t *call_cti_offer(const struct call_queue *cq);

#endif
