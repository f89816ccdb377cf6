/* An agent leg of a queued call, shared by call_agent.c (SIP phones and
 * PSTN numbers) and call_rtc.c (the browser softphone). Include
 * re_list.h and re_tmr.h first. */
#ifndef OPENSEAT_CALL_AGENT_INT_H
#define OPENSEAT_CALL_AGENT_INT_H

#include <stdbool.h>

struct call_queue;
struct leg;
struct sipcall;
struct tel_admission;
struct webrtc;
struct mport;
struct mixer;

/*
 * Owned by cq->agents. A SIP or PSTN device has a leg and a sipcall; the
 * browser has a webrtc session once the agent answered (and a new one
 * after each reconnect). end_why tells the browser why its offer or call
 * went away.
 */
struct call_agent {
	struct le le;                    /**< in cq->agents (owning)    */
	struct call_queue *cq;           /**< (borrowed)                */
	char agent_id[37];
	char work_no[16];
	char call_id[37];
	struct leg *leg;                 /**< (ref) SIP, PSTN           */
	struct sipcall *sc;              /**< (ref) SIP, PSTN           */
	struct tel_admission *adm;       /**< (ref) PSTN legs           */
	struct webrtc *rtc;              /**< (ref) browser             */
	struct tmr quality;              /**< browser: call.quality     */
	bool browser;
	bool answered;
	bool bridged;
	bool closing;                    /**< hung up by us: no report  */
	bool consult;                    /**< a colleague consulted: in
					    call->consult, not cq->agents */
	const char *end_why;             /**< static: for the browser   */
};

/* call_agent.c */
struct mport *call_agent_leg_port(const struct call_agent *ca);
int  call_agent_leg_attach(struct call_agent *ca, struct mixer *mx);
void call_agent_leg_answered(struct call_agent *ca);
void call_agent_leg_failed(struct call_agent *ca, int miss,
			   const char *cause);
void call_agent_rebridge(struct call_agent *ca);
struct queue_agent_info;
int  call_agent_ring_consult(struct call_queue *cq,
			     const struct queue_agent_info *agent,
			     struct call_agent **cap);

/* call_rtc.c */
int  call_rtc_ring(struct call_agent *ca);
void call_rtc_gone(struct call_agent *ca);
void call_rtc_connected(struct call_agent *ca);
struct principal;
int  call_rtc_hangup(const struct principal *p, const char *call_id);

#endif
