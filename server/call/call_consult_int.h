/* The agent's second line, shared by call_consult.c (an outside number)
 * and call_consult_agent.c (a colleague, by name or from a queue).
 * Include re_list.h and re_tmr.h first. */
#ifndef OPENSEAT_CALL_CONSULT_INT_H
#define OPENSEAT_CALL_CONSULT_INT_H

#include <stdbool.h>

struct acd_call;
struct call;
struct call_agent;
struct queue_agent_info;
struct leg;
struct sipcall;
struct tel_admission;

enum consult_state { CS_RINGING = 0, CS_TALKING, CS_CONFERENCE, CS_DONE,
		     CS_QUEUED };

/*
 * Owned by the call (call->consult). A number has a trunk leg and its
 * sipcall; a colleague has an agent leg (struct call_agent, consult set,
 * in no cq->agents list until it takes the call over) and a reservation
 * in the ACD, released exactly once (reserved says whether it still is).
 * A queue with nobody ready holds the consultation as an entry of its
 * own (ac, CS_QUEUED) until it reserves someone (call_consult_queue.c).
 */
struct call_consult {
	struct call *call;               /**< (borrowed) owner          */
	struct leg *leg;                 /**< (ref) number              */
	struct sipcall *sc;              /**< (ref) number              */
	struct tel_admission *adm;       /**< (ref) number              */
	struct call_agent *ca;           /**< (ref) colleague's device  */
	struct acd_call *ac;             /**< waiting in the queue: the
					    core's until it left         */
	struct tmr tmr;                  /**< colleague: ring timeout   */
	char number[33];
	char agent_id[37];               /**< who consults              */
	char work_no[16];
	char name[65];
	char to_id[37];                  /**< the colleague consulted   */
	char to_work_no[16];
	char to_name[65];
	char queue[65];                  /**< picked from this queue    */
	unsigned ring_s;
	enum consult_state state;
	bool reserved;                   /**< the colleague's ACD hold  */
	bool closing;                    /**< hung up by us: no report  */
};

/* call_consult.c */
void call_consult_tell(struct call_consult *cs, const char *state,
		       int scode);
void call_consult_drop(struct call *call);

/* call_consult_agent.c */
int  call_consult_agent_start(struct call_consult *cs, const char *agent,
			      const char *queue);
int  call_consult_agent_complete(struct call_consult *cs);
void call_consult_agent_free(struct call_consult *cs);
int  call_consult_agent_ring(struct call_consult *cs,
			     const struct queue_agent_info *info);

/* call_consult_queue.c */
int  call_consult_queue_wait(struct call_consult *cs);
void call_consult_queue_free(struct call_consult *cs);

#endif
