/*
 * Agent SIP phones: the registrar's server side. Knows which agent a
 * sip_user is (a platform-wide cache of agents with device 'sip'),
 * verifies digest with the agent's sip_secret, keeps sip_registrations
 * so a restart can still ring a phone, and tells one owner (the queue
 * runtime) when a phone becomes reachable or not.
 */
#ifndef OPENSEAT_AGENT_REG_H
#define OPENSEAT_AGENT_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct sipcall_dial;

/**
 * A phone's reachability changed. why: "registered", "restored"
 * (reachable), "unregistered", "expired", "unreachable" (OPTIONS not
 * answered), "reachable" (answering again), "removed" (the agent was
 * deleted or its device is no longer a SIP phone).
 */
typedef void (agent_reg_h)(const char *tenant_id, const char *agent_id,
			   bool reachable, const char *why, void *arg);

/** A registration, for the admin API. */
struct agent_reg_info {
	char contact[513];           /**< the Contact URI registered      */
	char source[81];             /**< "sip:1.2.3.4:5060;transport=udp" */
	char user_agent[129];
	uint64_t expires_at;         /**< unix seconds                    */
	bool reachable;              /**< answering OPTIONS               */
	bool nat;                    /**< INVITEs go to source            */
};

int  agent_reg_init(struct app *app);   /* after call_init: needs the
					   sipedge */
void agent_reg_close(void);
void agent_reg_set_handler(agent_reg_h *h, void *arg);  /* one handler */

/**
 * Fill d (uri = the registered Contact, proxy = NAT source if needed)
 * for an INVITE to the agent's phone; strings live in buf (room for
 * AGENT_REG_DIAL_MAX always suffices). ENOENT: not registered,
 * EHOSTUNREACH: registered but not answering OPTIONS, EOVERFLOW: buf
 * too small for this Contact.
 */
int  agent_reg_dial(const char *agent_id, struct sipcall_dial *d,
		    char *buf, size_t sz);
bool agent_reg_reachable(const char *agent_id);
int  agent_reg_info(const char *agent_id, struct agent_reg_info *info);

/** Reload the agents (after a change made through this node's API). */
int  agent_reg_reload(void);

/** Longest Contact (512) and source (80), each with its NUL. */
#define AGENT_REG_DIAL_MAX 594

/** NOTIFY channel that makes every node reload its agents. */
#define AGENT_REG_CHANNEL "openseat_acd"

#endif
