/*
 * The SIP registrar for agent phones: REGISTER with digest, one contact
 * per user, expiry, and OPTIONS qualify for NAT keepalive and liveness.
 * It knows users and secrets only through its owner's handler; what a
 * user means (an agent, a tenant) is the owner's business.
 */
#ifndef OPENSEAT_REGISTRAR_H
#define OPENSEAT_REGISTRAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct registrar;
struct sipedge;
struct sa;

enum {
	REGISTRAR_CONTACT_MAX = 512,   /**< longest Contact URI kept     */
	REGISTRAR_SOURCE_MAX  = 80,    /**< "sip:[v6]:port;transport=x"  */
	REGISTRAR_UA_MAX      = 128,   /**< User-Agent, cut to this      */
};

struct registrar_cfg {
	const char *realm;          /**< digest realm, "openseat"          */
	uint32_t min_expires;       /**< shorter asks get 423, e.g. 60     */
	uint32_t max_expires;       /**< longer asks are cut to this       */
	uint32_t qualify_ms;        /**< OPTIONS interval; 0 = never       */
	uint32_t qualify_timeout_ms; /**< no answer by then: unreachable   */
};

/** What happened to a binding. */
enum registrar_ev {
	REGISTRAR_REGISTERED = 0,   /**< a new binding or a new contact    */
	REGISTRAR_REFRESHED,        /**< the same contact registered again */
	REGISTRAR_UNREGISTERED,     /**< Expires: 0, or Contact: *         */
	REGISTRAR_EXPIRED,
	REGISTRAR_UNREACHABLE,      /**< OPTIONS unanswered                */
	REGISTRAR_REACHABLE,        /**< OPTIONS answered again            */
	REGISTRAR_RESTORED,         /**< registrar_restore()               */
};

/** A binding as the owner sees it (strings valid during the call). */
struct registrar_info {
	const char *user;
	const char *contact;        /**< the Contact URI as registered     */
	const char *source;         /**< "sip:1.2.3.4:5060;transport=udp"  */
	const char *user_agent;     /**< printable ASCII, cut to _UA_MAX  */
	uint64_t expires;           /**< unix seconds                      */
	bool nat;                   /**< requests go to source             */
	bool reachable;
};

/**
 * The secret of user, for digest. Return 0 with it in secret, ENOENT for
 * an unknown user, EPERM to refuse the source (banned), EAGAIN when the
 * users are not known yet (503 with Retry-After).
 */
typedef int (registrar_secret_h)(const char *user, const struct sa *src,
				 char *secret, size_t sz, void *arg);
typedef void (registrar_event_h)(enum registrar_ev ev,
				 const struct registrar_info *info,
				 void *arg);
/**
 * Every final answer to a REGISTER: why is "registered",
 * "unregistered", "query", "challenged", "bad_credentials",
 * "unknown_user", "banned", "forbidden", "bad_request",
 * "interval_too_brief", "not_ready" or "error". user may be "".
 */
typedef void (registrar_answer_h)(uint16_t scode, const char *why,
				  const char *user, const struct sa *src,
				  void *arg);
/**
 * The loop ran late while OPTIONS were out, so their deadlines were not
 * counted as misses. Called at the first such deadline (over false,
 * skipped 1) and once more when the loop has been on time for a qualify
 * timeout (over true, skipped: how many in all). late_ms: the worst
 * lateness seen.
 */
typedef void (registrar_late_h)(bool over, uint32_t late_ms,
				unsigned skipped, void *arg);

struct registrar_handlers {
	registrar_secret_h *secreth;
	registrar_event_h *eventh;     /**< may be NULL */
	registrar_answer_h *answerh;   /**< may be NULL */
	registrar_late_h *lateh;       /**< may be NULL */
	void *arg;
};

int  registrar_alloc(struct registrar **regp, struct sipedge *se,
		     const struct registrar_cfg *cfg,
		     const struct registrar_handlers *h);
int  registrar_restore(struct registrar *reg, const char *user,
		       const char *contact, const char *source,
		       const char *user_agent, uint64_t expires);
int  registrar_find(const struct registrar *reg, const char *user,
		    struct registrar_info *info);
int  registrar_remove(struct registrar *reg, const char *user);
unsigned registrar_count(const struct registrar *reg, unsigned *reachablep);

#endif
