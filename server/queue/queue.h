/*
 * The ACD at run time: the routing core (acd/) fed with every tenant's
 * queues and agents from the database, agent states written through to
 * agent_state_log and pushed as events, and a host — the call engine —
 * that rings agents and bridges the calls the core hands out.
 *
 * The core decides; this module keeps it loaded, timed and recorded.
 */
#ifndef OPENSEAT_QUEUE_H
#define OPENSEAT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acd/acd.h"

struct app;

/** Everything the call engine needs about a queue, copied at join. */
struct queue_info {
	char queue_id[37];
	char tenant_id[37];
	char name[65];
	char label[101];
	char overflow_action[16];    /**< voicemail|queue|ivr|hangup     */
	char overflow_target[65];
	char overflow_prompt[81];
	char hold_music[81];         /**< prompt ref, "" = default       */
	char routes[2048];           /**< JSON array text                */
	uint32_t announce_every_s;
	bool announce_position;
	bool announce_wait;
	bool announce_work_no;
	bool survey;
	uint32_t sticky_days;
	uint32_t sl_threshold_s;
	uint32_t ring_timeout_s;     /**< for the console's countdown    */
	char recording[12];          /**< policy override, "" = inherit  */
};

/** The agent an offer or an answer is about (borrowed strings). */
struct queue_agent_info {
	const char *agent_id;
	const char *tenant_id;
	const char *work_no;
	const char *device;          /**< "sip", "pstn", "webrtc"        */
	const char *phone;           /**< PSTN number for device pstn     */
	const char *name;            /**< display name                    */
};

/**
 * The call engine's side of a waiting call. Every callback gets the
 * callarg given to queue_join().
 */
struct queue_host {
	/** Ring this agent for the call; 0 when ringing. */
	int  (*offer)(void *callarg, const struct queue_agent_info *agent);
	/** Stop ringing the agent; the core has moved on. */
	void (*offer_cancel)(void *callarg, const char *agent_id,
			     enum acd_cancel why);
	/** The call's id, for logs and events. */
	const char *(*call_id)(void *callarg);
	/** The call left its queue (agent set only when answered). */
	void (*left)(void *callarg, enum acd_left why,
		     const struct queue_agent_info *agent);
	/** The caller's number, for the wallboard (NULL: not known). */
	const char *(*caller)(void *callarg);
	/** A waiting consultation left its queue (queue_consult_wait's
	 *  arg; agent set, and reserved for it, only when answered). */
	void (*consult_left)(void *arg, enum acd_left why,
			     const struct queue_agent_info *agent);
};

int  queue_init(struct app *app);
int  queue_live_api_init(void);
void queue_close(void);
void queue_set_host(const struct queue_host *host);
int  queue_reload(void);
bool queue_loaded(void);

/* For the call engine. */
int  queue_lookup(struct queue_info *info, const char *tenant_id,
		  const char *name_or_id);
int  queue_join(struct acd_call **callp, const char *queue_id,
		int priority, const char *sticky_agent_id,
		uint32_t sticky_wait_ms, void *callarg);
int  queue_agent_serves(const char *tenant_id, const char *agent_id,
			const char *queue_id);
void queue_leave(struct acd_call *call);
int  queue_answered(struct acd_call *call, const char *agent_id);
void queue_offer_failed(struct acd_call *call, const char *agent_id,
			enum acd_miss why);
void queue_agent_call_ended(const char *agent_id);
unsigned queue_position(const struct acd_call *call);

/* Consultations (queue_consult.c): call is the consulting agent's. */
int  queue_consult_reserve(struct acd_call *call, const char *tenant_id,
			   const char *who, struct queue_agent_info *info);
int  queue_consult_pick(struct acd_call *call, const char *queue_id,
			struct queue_agent_info *info);
int  queue_consult_wait(struct acd_call **entryp, struct acd_call *call,
			const char *queue_id, void *arg);
int  queue_consult_answered(const char *agent_id);
int  queue_consult_release(const char *agent_id, int miss);
int  queue_consult_take(const char *agent_id);

/** The queue a call joins after the routes: h(0, queue_id) or err. */
typedef void (queue_route_h)(int err, const char *queue_id, void *arg);
int  queue_route_pick(const struct queue_info *qi, const char *caller,
		      int64_t now_ms, queue_route_h *h, void *arg);
uint32_t queue_expected_wait_s(const char *queue_id);
void queue_note_handle_time(const char *queue_id, uint64_t ms);

/* Agent actions (REST, WebSocket, devices). */
struct queue_agent_state {
	char state[16];
	char reason[65];
	uint64_t since_ms;           /**< wall ms of the last change     */
	char call_id[37];
	char queue_id[37];
	char work_no[16];
	char device[8];              /**< "sip", "pstn", "webrtc"        */
	char name[65];
	char caller[65];             /**< current call's caller, or ""   */
	char call_queue[65];         /**< its queue's name               */
	uint64_t call_since_ms;      /**< wall ms it rang, 0 = no call   */
	bool reachable;
};

int  queue_agent_set_state(const char *tenant_id, const char *agent_id,
			   const char *state, const char *reason,
			   const char *by_user_id);
int  queue_agent_outbound(const char *tenant_id, const char *agent_id,
			  bool on);
int  queue_agent_wrapup(const char *tenant_id, const char *agent_id,
			bool extend, uint32_t seconds);
int  queue_agent_get(const char *tenant_id, const char *agent_id,
		     struct queue_agent_state *st);
void queue_device_reachable(const char *tenant_id, const char *agent_id,
			    bool reachable, const char *why);
void queue_device_changed(const char *tenant_id, const char *agent_id,
			  bool reachable, const char *why, void *arg);

#endif
