/* The ACD runtime's objects, shared by the files of server/queue only
 * (include re_list.h first: the structs embed a struct le). */
#ifndef OPENSEAT_QUEUE_INT_H
#define OPENSEAT_QUEUE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "queue/queue.h"

struct app;
struct db_res;

/** A tenant's seat quota and how many of its agents are logged in. */
struct qtenant {
	struct le le;                    /**< in rt.tenants            */
	char tenant_id[37];
	unsigned seat_quota;
	unsigned logged_in;
};

struct qagent {
	struct le le;                    /**< in rt.agents (owning)    */
	char agent_id[37];
	char tenant_id[37];
	char work_no[16];
	char device[8];
	char phone[24];
	char name[65];
	struct acd_agent *a;             /**< in the core              */
	uint64_t since_wall;             /**< wall ms of last change   */
	uint64_t ready_at;               /**< core ms it went ready    */
	bool reachable;                  /**< device can be rung       */
	bool seen;                       /**< marked by a reload       */
	uint64_t answered, missed;       /**< today-ish counters       */
	char caller[65];                 /**< current call's caller    */
	char call_queue[65];             /**< its queue's name         */
	uint64_t call_since;             /**< wall ms it rang or began */
};

/* The wallboard's view of a queue (queue_live_push.c). */
#define QLIVE_SAMPLES  360     /**< waiting every 10 s: one hour     */
#define QLIVE_BUCKETS  12      /**< five-minute buckets: one hour    */

struct qlive_bucket {
	uint64_t slot;                   /**< wall ms / 300000          */
	uint32_t offered, answered, abandoned, overflowed;
};

/** What a queue.live message showed; a flush sends only changes. */
struct qlive_snap {
	unsigned waiting;
	uint64_t oldest;                 /**< core ms, 0 = none        */
	unsigned by_state[ACD_OUTBOUND + 1];
	uint64_t offered, answered, answered_in_sl, abandoned, overflowed;
	char label[101];
};

struct qlive {
	struct qlive_snap sent;
	bool pushed;                     /**< sent holds a message     */
	uint16_t waitv[QLIVE_SAMPLES];   /**< by sample number % N     */
	struct qlive_bucket bktv[QLIVE_BUCKETS];
};

struct qqueue {
	struct le le;                    /**< in rt.queues (owning)    */
	struct queue_info info;
	uint64_t aht_ms;                 /**< recent handle time (EWMA) */
	/* today's (local day): joined, and how they left */
	uint64_t answered, abandoned, overflowed, offered;
	uint64_t answered_in_sl;
	struct qlive live;
	bool seen;
};

struct queue_rt {
	struct app *app;
	struct acd *acd;
	const struct queue_host *host;
	struct hash *agents;             /**< qagent by agent_id       */
	struct hash *queues;             /**< qqueue by queue_id       */
	struct list tenants;             /**< qtenant                  */
	struct tmr tick;                 /**< the core's next deadline */
	struct tmr reload_tmr;
	bool loading, again, loaded, restored;
	bool notified;                   /**< a NOTIFY asked for it     */
};

extern struct queue_rt rt;

/* queue.c */
uint64_t queue_now(void);
void queue_schedule(void);
struct qagent *qagent_find(const char *agent_id);
struct qqueue *qqueue_find(const char *queue_id);
struct qtenant *qtenant_find(const char *tenant_id);
void qagent_info(const struct qagent *qa, struct queue_agent_info *info);

const char *queue_call_id(void *callarg);
const char *queue_call_caller(void *callarg);

/* queue_consult.c */
void queue_consult_left(struct acd_call *entry, enum acd_left why,
			struct qagent *qa);

/* queue_load.c */
int  queue_load_start(void);

/* queue_agent.c */
void queue_agent_transition(struct acd_agent *agent,
			    const struct acd_transition *t);
void queue_agent_restore(const struct db_res *res, unsigned stmt);
int  queue_agent_remove(struct qagent *qa);
bool queue_device_probe(const char *agent_id);

/* queue_metrics.c */
void queue_metrics_init(void);
void queue_count(const char *what);
void queue_offer_latency(uint64_t ms);

/* queue_live_push.c */
struct json_t;
int  queue_live_init(void);
void queue_live_close(void);
void queue_live_mark(void);
void queue_live_joined(struct qqueue *qq);
void queue_live_left(struct qqueue *qq, enum acd_left why,
		     uint64_t waited_ms);
void queue_live_loaded(void);
struct json_t *queue_live_json(const struct qqueue *qq);
uint64_t queue_live_sample_at(unsigned age, unsigned *idxp);
unsigned queue_live_samples(void);

/* queue_live_hist.c */
int  queue_live_hist_init(void);

#endif
