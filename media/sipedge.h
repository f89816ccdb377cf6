/*
 * The SIP edge: libre's SIP stack on UDP, TCP and (with a certificate)
 * TLS, and one sipcall per INVITE dialog. It decides nothing about
 * tenants: the owner's INVITE handler looks at the request and answers
 * it (reject, challenge, or accept with a leg).
 */
#ifndef OPENSEAT_SIPEDGE_H
#define OPENSEAT_SIPEDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sipedge;
struct sipcall;
struct sip_msg;
struct leg;
struct sa;
struct re_printf;

struct sipedge_cfg {
	const char *laddr;          /**< listen IP, e.g. "0.0.0.0"          */
	uint16_t port;              /**< UDP and TCP (TLS on port + 1)      */
	const char *public_addr;    /**< in Contact/Via; NULL = laddr       */
	const char *tls_cert;       /**< PEM with key; NULL = no TLS        */
	const char *user_agent;     /**< "OpenSeat"                         */
	uint32_t session_expires;   /**< RFC 4028 seconds; 0 = off          */
};

/** Which side ended a call. */
enum sipcall_side {
	SIPCALL_REMOTE = 0,
	SIPCALL_LOCAL,
};

/** Why a call ended, for the CDR's hangup cause. */
struct sipcall_end {
	enum sipcall_side side;
	uint16_t scode;             /**< final SIP status if not answered  */
	const char *reason;         /**< "bye", "cancel", "rtp_timeout",
					 "session_timer", "no_ack", ...   */
	int err;
};

/**
 * A new INVITE (never a re-INVITE). Answer it now or later with one of
 * sipcall_reject(), sipcall_challenge() or sipcall_accept(); the edge
 * keeps its own reference to sc until the dialog is over.
 */
typedef void (sipedge_invite_h)(struct sipcall *sc, const struct sip_msg *msg,
				void *arg);
/**
 * A REGISTER. The owner (media/registrar.c) answers it before returning.
 */
typedef void (sipedge_register_h)(const struct sip_msg *msg, void *arg);
/** Every SIP request received and every response sent, for metrics. */
typedef void (sipedge_count_h)(bool request, const char *method,
			       uint16_t scode, void *arg);

typedef void (sipcall_estab_h)(void *arg);
typedef void (sipcall_progress_h)(uint16_t scode, void *arg);
typedef void (sipcall_closed_h)(const struct sipcall_end *end, void *arg);

struct sipcall_handlers {
	sipcall_estab_h *estabh;        /**< ACK (in) or 200 OK (out)      */
	sipcall_progress_h *progressh;  /**< 18x on outbound calls         */
	sipcall_closed_h *closedh;      /**< exactly once                  */
	void *arg;
};

/** An outbound call through a trunk. */
struct sipcall_dial {
	const char *uri;            /**< sip:13800138000@carrier.example   */
	const char *from_uri;       /**< sip:4001000100@openseat           */
	const char *from_name;      /**< display name, may be NULL         */
	const char *auth_user;      /**< digest credentials, may be NULL   */
	const char *auth_pass;
	const char *proxy;          /**< outbound proxy URI, may be NULL   */
};

int  sipedge_alloc(struct sipedge **sep, const struct sipedge_cfg *cfg,
		   sipedge_invite_h *inviteh, sipedge_count_h *counth,
		   void *arg);
void sipedge_shutdown(struct sipedge *se);
void sipedge_set_register_handler(struct sipedge *se, sipedge_register_h *h,
				  void *arg);

/* Answering an INVITE. */
int  sipcall_reject(struct sipcall *sc, uint16_t scode, const char *reason);
int  sipcall_challenge(struct sipcall *sc, const char *realm);
int  sipcall_accept(struct sipcall *sc, struct leg *leg, bool early,
		    const struct sipcall_handlers *h);
int  sipcall_answer(struct sipcall *sc);

/**
 * Check the digest credentials of msg against user and password.
 *
 * @return 0 if they match, ENOENT if msg carries none for realm,
 * EACCES if they are wrong or stale
 */
int  sipedge_digest_check(const struct sip_msg *msg, const char *realm,
			  const char *user, const char *password);

int  sipedge_connect(struct sipcall **scp, struct sipedge *se,
		     const struct sipcall_dial *d, struct leg *leg,
		     const struct sipcall_handlers *h);

void sipcall_hangup(struct sipcall *sc, uint16_t scode, const char *reason);
const char *sipcall_call_id(const struct sipcall *sc);
int  sipcall_debug(struct re_printf *pf, const struct sipcall *sc);
unsigned sipedge_calls(const struct sipedge *se);

#endif
