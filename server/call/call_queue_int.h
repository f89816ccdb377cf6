/* The queue side of a call, shared by call_queue.c and call_agent.c
 * (include re_list.h and re_tmr.h first). */
#ifndef OPENSEAT_CALL_QUEUE_INT_H
#define OPENSEAT_CALL_QUEUE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "queue/queue.h"

struct call;
struct call_agent;
struct mport;

enum cq_phase {
	CQ_PREP = 0,       /**< routes, VIP and sticky look-ups         */
	CQ_WAITING,        /**< in the core: music, announcements, offers */
	CQ_CONNECTING,     /**< answered: the work number is announced  */
	CQ_TALKING,        /**< caller and agent bridged                 */
	CQ_HELD,           /**< the agent put the caller on hold          */
	CQ_TRANSFER,       /**< blind transfer to a number dialling       */
	CQ_SURVEY,         /**< the agent left; the caller rates         */
	CQ_TAKEN,          /**< a supervisor took the call over          */
	CQ_OVERFLOW,       /**< out of the queue, overflow running        */
	CQ_DONE,
};

/*
 * Owned by the call (call->cq). Agent legs (ringing, or the one
 * answered) are owned by cq->agents; each knows its cq. Freed when the
 * call is freed; call_queue_end() has by then hung every leg up and
 * taken the call out of the core.
 */
struct call_queue {
	struct call *call;               /**< (borrowed) owner; NULL when
					    the call ended               */
	struct queue_info qi;
	struct acd_call *ac;             /**< in the core, or NULL      */
	struct acd_call *taken;          /**< (ref) answered: its agent
					    holds it through wrap-up     */
	struct list agents;              /**< struct call_agent         */
	struct call_agent *conn;         /**< answered leg (borrowed)   */
	struct tmr tmr;                  /**< announcements, survey     */
	enum cq_phase phase;
	int priority;
	char sticky[37];
	char xfer_agent[37];             /**< transferred to this agent */
	char agent_id[37];               /**< who answered              */
	char work_no[16];
	uint64_t queued_wall;            /**< wall ms the call joined   */
	uint64_t connected_wall;
	unsigned offers;
	unsigned hops;                   /**< overflows to other queues */
	bool announcing;                 /**< an announcement plays     */
};

/* call_agent.c */
int  call_agent_ring(struct call_queue *cq,
		     const struct queue_agent_info *agent);
void call_agent_cancel(struct call_queue *cq, const char *agent_id,
		       const char *why);
void call_agent_bridge(struct call_queue *cq);
void call_agent_hangup_all(struct call_queue *cq);
void call_agent_end_why(struct call_queue *cq, const char *why);
struct mport *call_agent_port(const struct call_queue *cq);

/* call_queue.c */
void call_queue_agent_answered(struct call_queue *cq,
			       struct call_agent *ca, const char *agent_id);
void call_queue_agent_left(struct call_queue *cq, const char *agent_id,
			   const char *cause);
void call_queue_left_event(struct call_queue *cq, const char *reason);
bool call_queue_connected(const struct call_queue *cq);
void call_queue_agent_done(struct call_queue *cq);

/* call_queue_join.c */
void call_queue_enter(struct call_queue *cq);
void call_queue_overflow(struct call_queue *cq, const char *result);

/* call_consult_queue.c: the ACD's host for a waiting consultation */
void call_consult_queue_left(void *arg, enum acd_left why,
			     const struct queue_agent_info *agent);

/* call_queue_hold.c */
#define PLAY_REFS_MAX 12
#define PLAY_REF_SZ   40    /* "builtin/queue_position_post" and longer */
void call_queue_play_hold(struct call_queue *cq);
void call_queue_announce_schedule(struct call_queue *cq);
size_t call_queue_digit_refs(char (*buf)[PLAY_REF_SZ], size_t max,
			     const char *digits);

#endif
