/* Click-to-dial's two legs, shared by call_dial.c (the call, the
 * customer, the browser) and call_dial_dev.c (a SIP phone or a PSTN
 * number as the agent's leg). Include re_list.h first. */
#ifndef OPENSEAT_CALL_DIAL_INT_H
#define OPENSEAT_CALL_DIAL_INT_H

#include <stdbool.h>

struct call;
struct leg;
struct sipcall;
struct tel_admission;
struct tel_trunk;
struct webrtc;
struct mport;

/*
 * The agent's leg is either the browser (rtc) or a device leg (aleg +
 * asc: a registered SIP phone, or a PSTN number through the trunk); the
 * customer is dialled once the agent's leg is up.
 */
struct call_out {
	struct call *call;               /**< (borrowed) owner          */
	struct webrtc *rtc;              /**< (ref) the agent's browser */
	struct leg *aleg;                /**< (ref) the agent's device  */
	struct sipcall *asc;             /**< (ref) its INVITE          */
	struct tel_admission *aadm;      /**< (ref) PSTN agent leg      */
	struct sipcall *sc;              /**< (ref) the customer        */
	struct tel_admission *adm;       /**< (ref)                     */
	struct tel_trunk *trunk;         /**< (ref)                     */
	char tenant_id[37];
	char agent_id[37];
	char call_id[37];
	const char *end_why;             /**< static, for the console   */
	bool dialled, answered, closing, outbound_set, agent_up;
};

/* call_dial.c */
void call_dial_customer(struct call_out *o);
void call_dial_end(struct call_out *o, const char *disposition,
		   const char *side, const char *cause);
struct mport *call_dial_out_port(const struct call_out *o);

/* call_dial_dev.c */
int  call_dial_ring_device(struct call_out *o, const char *device,
			   const char *phone);
void call_dial_device_gone(struct call_out *o);

#endif
