/*
 * The ACD's routing core: queues of waiting calls, agents, and who is
 * offered which call. Pure logic on the loop: no I/O and no timers of its
 * own. Every operation takes the time `now` (monotonic ms) and
 * acd_tick() runs what is due (ring timeouts, max wait, wrap-up ends,
 * sticky waits), so tests drive it with a fake clock.
 *
 * What the core decides reaches the host through struct acd_ops. The
 * callbacks run after the operation that caused them is complete, never
 * in the middle of a change: each sees a consistent core and may call any
 * acd_* function (nested decisions queue behind it). An offer that was
 * withdrawn before its callback ran is never delivered. For every offer
 * delivered, exactly one of acd_offer_answered(), acd_offer_failed() or
 * ops->offer_cancel follows.
 *
 * Invariants (acd_check() verifies them, tests and the soak call it):
 *   - an agent is offered at most one call at a time, and only a call of
 *     a queue it is a member of;
 *   - at rest, no queue has both a waiting call and a ready member that
 *     may take it (nothing waits while someone could answer);
 *   - waiting calls are offered in priority order, then arrival; a call
 *     that comes back from a failed offer keeps its place;
 *   - a call is in the core until exactly one ops->call_left.
 */
#ifndef OPENSEAT_ACD_H
#define OPENSEAT_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acd;
struct acd_queue;
struct acd_agent;
struct acd_call;
struct re_printf;

enum acd_agent_state {
	ACD_LOGGED_OUT = 0,
	ACD_READY,
	ACD_NOT_READY,
	ACD_RINGING,        /**< reserved: offered a call                */
	ACD_ON_CALL,
	ACD_WRAP_UP,        /**< after-call work                         */
	ACD_OUTBOUND,       /**< busy with an outbound call (later)      */
};

/** Why an offer ended without an answer. */
enum acd_miss {
	ACD_MISS_NO_ANSWER = 0,  /**< ring timeout or device gave up      */
	ACD_MISS_BUSY,           /**< 486 / 600                           */
	ACD_MISS_REJECTED,       /**< 603, or the agent pressed reject    */
	ACD_MISS_UNREACHABLE,    /**< not registered, 404/408/480/5xx     */
};

/** Why the core withdrew an offer (ops->offer_cancel). */
enum acd_cancel {
	ACD_CANCEL_TIMEOUT = 0,  /**< ring timeout: counted as a miss     */
	ACD_CANCEL_CALLER_GONE,  /**< the caller left: agent back ready   */
	ACD_CANCEL_TAKEN,        /**< ring-all: another agent answered    */
	ACD_CANCEL_AGENT_GONE,   /**< agent logged out / went not ready   */
	ACD_CANCEL_NOT_MEMBER,   /**< skills or queue changed meanwhile   */
	ACD_CANCEL_QUEUE_GONE,   /**< the queue was deleted               */
};

/** Why a call left the core (ops->call_left). */
enum acd_left {
	ACD_LEFT_ANSWERED = 0,   /**< an agent answered: host bridges     */
	ACD_LEFT_ABANDONED,      /**< acd_call_leave(): caller hung up    */
	ACD_LEFT_TIMEOUT,        /**< max wait reached: host overflows    */
	ACD_LEFT_EMPTY,          /**< leave_empty and no member logged in */
	ACD_LEFT_DELETED,        /**< the queue was deleted               */
};

/** Who may join a queue with no agent to take the call. */
enum acd_join_empty {
	ACD_JOIN_ALWAYS = 0,
	ACD_JOIN_LOGGED_IN,      /**< some member logged in (any state)   */
	ACD_JOIN_READY,          /**< some member ready now               */
};

/**
 * A routing strategy: how a queue ranks its ready members. Strategies
 * are static descriptors (acd_strategy_find); the core never switches on
 * a name. rank() fills key (lower is better); ring_all offers the call
 * to every ready member at once.
 */
struct acd_rank_in {
	unsigned level;          /**< agent's level in the queue, 1 best  */
	uint64_t idle_since;     /**< ms: end of last call or ready time  */
	uint64_t last_offer;     /**< this queue's offer counter, 0 never */
	uint32_t calls;          /**< calls answered since login          */
	uint32_t order;          /**< host-given position (work number)   */
};

struct acd_strategy {
	const char *name;        /**< "longest_idle", "round_robin", ...  */
	bool ring_all;
	void (*rank)(uint64_t key[2], const struct acd_rank_in *in);
};

const struct acd_strategy *acd_strategy_find(const char *name);

struct acd_queue_cfg {
	const struct acd_strategy *strategy;
	int priority;              /**< between an agent's queues: higher
					first                           */
	uint32_t ring_timeout_ms;
	uint32_t wrapup_ms;
	uint32_t max_wait_ms;      /**< 0 = no limit                    */
	uint32_t max_length;       /**< 0 = no limit                    */
	uint32_t sticky_wait_ms;   /**< how long a call waits for its
					sticky agent; 0 = off           */
	unsigned miss_limit;       /**< misses in a row before the agent
					goes not ready; 0 = never       */
	enum acd_join_empty join_empty;
	bool leave_empty;          /**< calls leave (EMPTY) when the last
					member logs out; no call joins
					while none is logged in (ENODEV) */
	const char *const *skillv; /**< skill ids the queue requires    */
	size_t skillc;
};

struct acd_skill {
	const char *skill_id;
	unsigned level;            /**< 1 = best ... 9                  */
};

/** One transition of an agent, as the host logs and pushes it. */
struct acd_transition {
	enum acd_agent_state from, to;
	const char *reason;        /**< not ready: tenant reason id or a
					system code ("no_answer",
					"device_offline"); else ""      */
	const char *forced_by;     /**< supervisor's user id or NULL    */
	struct acd_call *call;     /**< ringing/on call/wrap-up or NULL */
	struct acd_queue *queue;   /**< the call's queue or NULL        */
	uint64_t at;               /**< now of the operation            */
};

struct acd_ops {
	/** Ring agent for call. 0: ringing; an error is a miss
	 *  (ACD_MISS_UNREACHABLE) handled as if acd_offer_failed(), and
	 *  the agent goes not ready ("device_offline") so a device that
	 *  cannot be rung is not offered call after call. */
	int  (*offer)(struct acd_agent *agent, struct acd_call *call,
		      void *arg);
	/** Stop ringing agent for call; the core has already moved on. */
	void (*offer_cancel)(struct acd_agent *agent, struct acd_call *call,
			     enum acd_cancel why, void *arg);
	/** An agent changed state (every transition, in order). */
	void (*agent_state)(struct acd_agent *agent,
			    const struct acd_transition *t, void *arg);
	/** The call is out of the core; call is valid until this returns.
	 *  agent is who answered (ACD_LEFT_ANSWERED), else NULL. */
	void (*call_left)(struct acd_call *call, enum acd_left why,
			  struct acd_agent *agent, void *arg);
};

/* The core (one per node, all tenants). */
int  acd_alloc(struct acd **acdp, const struct acd_ops *ops, void *arg);
void acd_tick(struct acd *acd, uint64_t now);
uint64_t acd_next_deadline(const struct acd *acd);  /**< 0 = none   */
int  acd_check(const struct acd *acd, char *why, size_t sz);

/* Queues: created or replaced by id; removal makes its calls leave. */
int  acd_queue_set(struct acd *acd, const char *tenant_id,
		   const char *queue_id, const struct acd_queue_cfg *cfg,
		   uint64_t now);
void acd_queue_remove(struct acd *acd, const char *queue_id, uint64_t now);
struct acd_queue *acd_queue_find(const struct acd *acd,
				 const char *queue_id);
const char *acd_queue_id(const struct acd_queue *q);

/** What happened in a queue, or to an agent's offers, since it was
 *  created. */
struct acd_counters {
	uint64_t offered;        /**< offers made (ring-all: per agent)   */
	uint64_t answered;
	uint64_t abandoned;      /**< caller hung up before an answer     */
	uint64_t timeouts;       /**< max wait reached (host overflows)   */
	uint64_t refused;        /**< join refused: max length, join_empty */
	uint64_t emptied;        /**< left: no member logged in any more  */
	uint64_t misses[ACD_MISS_UNREACHABLE + 1];  /**< by cause         */
};

struct acd_queue_stats {
	unsigned waiting;          /**< calls in the queue, ringing too
					(callers: no consultation)      */
	uint64_t oldest_since;     /**< ms the longest waiting call
					joined; 0 = none waiting        */
	unsigned by_state[ACD_OUTBOUND + 1];  /**< members per state    */
	struct acd_counters cnt;
};
void acd_queue_stats(const struct acd_queue *q,
		     struct acd_queue_stats *st);

/* Agents: the host adds every agent of every tenant (logged out). */
int  acd_agent_add(struct acd *acd, struct acd_agent **agentp,
		   const char *tenant_id, const char *agent_id,
		   uint32_t order, void *arg);
void acd_agent_remove(struct acd_agent *agent, uint64_t now);
struct acd_agent *acd_agent_find(const struct acd *acd,
				 const char *agent_id);
int  acd_agent_set_skills(struct acd_agent *agent,
			  const struct acd_skill *skillv, size_t skillc,
			  uint64_t now);
int  acd_agent_login(struct acd_agent *agent, bool ready,
		     const char *reason, uint64_t now);
int  acd_agent_logout(struct acd_agent *agent, const char *forced_by,
		      uint64_t now);
int  acd_agent_ready(struct acd_agent *agent, const char *forced_by,
		     uint64_t now);
int  acd_agent_outbound(struct acd_agent *agent, bool on, uint64_t now);
int  acd_agent_not_ready(struct acd_agent *agent, const char *reason,
			 const char *forced_by, uint64_t now);
int  acd_agent_wrapup_end(struct acd_agent *agent, uint64_t now);
int  acd_agent_wrapup_extend(struct acd_agent *agent, uint32_t ms,
			     uint64_t now);
int  acd_agent_call_ended(struct acd_agent *agent, uint64_t now);
enum acd_agent_state acd_agent_state(const struct acd_agent *agent);
const char *acd_agent_reason(const struct acd_agent *agent);
uint64_t acd_agent_since(const struct acd_agent *agent);
const char *acd_agent_id(const struct acd_agent *agent);
void *acd_agent_arg(const struct acd_agent *agent);
struct acd_call *acd_agent_call(const struct acd_agent *agent);
const char *acd_state_name(enum acd_agent_state state);
bool acd_agent_serves(const struct acd_agent *agent,
		      const struct acd_queue *q);
void acd_agent_stats(const struct acd_agent *agent,
		     struct acd_counters *cnt);
int  acd_agent_debug(struct re_printf *pf, const struct acd_agent *agent);
int  acd_queue_debug(struct re_printf *pf, const struct acd_queue *q);

/*
 * Calls. acd_call_join() returns ENOENT (no such queue), ENOSPC (the
 * queue is at max_length) or ENODEV (join_empty refuses: no member
 * logged in / ready); the host then overflows. On 0 the call is waiting
 * or already offered; *callp stays valid until ops->call_left.
 */
struct acd_join {
	int priority;              /**< higher first; 0 normal          */
	const char *sticky_agent_id;  /**< wait for this agent first    */
	void *arg;                 /**< the host's call                 */
	uint32_t sticky_wait_ms;   /**< how long; 0 = the queue's       */
	struct acd_call *consult;  /**< a consultation about this call
					(acd_consult.c), not a caller   */
};
int  acd_call_join(struct acd *acd, struct acd_call **callp,
		   const char *queue_id, const struct acd_join *j,
		   uint64_t now);
void acd_call_leave(struct acd_call *call, uint64_t now);
int  acd_offer_answered(struct acd_agent *agent, struct acd_call *call,
			uint64_t now);
int  acd_offer_failed(struct acd_agent *agent, struct acd_call *call,
		      enum acd_miss why, uint64_t now);
void *acd_call_arg(const struct acd_call *call);
void acd_call_forget_arg(struct acd_call *call);
struct acd_queue *acd_call_queue(const struct acd_call *call);
unsigned acd_call_position(const struct acd_call *call);
uint64_t acd_call_joined(const struct acd_call *call);

/*
 * Consultations (acd_consult.c): an agent on a call reserves a ready
 * colleague — ringing, then on the call, offered nothing meanwhile —
 * until released (ready again, or a miss if it rang unanswered) or
 * until it takes the call over. call is the consulting agent's call.
 * With nobody ready, a consultation may wait in the queue instead
 * (acd_call_join with j->consult): ahead of the queue's callers, never
 * offered; its routing reserves the agent as acd_consult_reserve would
 * and it leaves ANSWERED with that agent (or TIMEOUT, EMPTY, DELETED,
 * ABANDONED as a caller would).
 */
enum { ACD_CONSULT_WAIT_MS = 120000 };  /**< a consultation's cap when
					       the queue has no max wait */
struct acd_agent *acd_consult_pick(const struct acd_queue *q);
struct acd_call *acd_call_consult(const struct acd_call *entry);
int  acd_consult_reserve(struct acd_agent *agent, struct acd_call *call,
			 uint64_t now);
int  acd_consult_answered(struct acd_agent *agent, uint64_t now);
int  acd_consult_release(struct acd_agent *agent, const enum acd_miss *miss,
			 uint64_t now);
int  acd_consult_take(struct acd_agent *agent, uint64_t now);
bool acd_agent_consulted(const struct acd_agent *agent);

#endif
