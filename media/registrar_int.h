/* The registrar's private parts: its state, the bindings, and request
 * parsing (shared with the unit test). Include <re.h> first. */
#ifndef OPENSEAT_REGISTRAR_INT_H
#define OPENSEAT_REGISTRAR_INT_H

/*
 * Bindings carry no timers of their own: one sweep timer per registrar
 * walks them every tick for expiry and qualify. libre keeps its timers
 * in one sorted list, so thousands of long per-phone timers would make
 * every short timer of the process (SIP transactions) slower to start.
 */
struct registrar {
	struct sipedge *se;           /**< (ref)                         */
	struct hash *bindings;        /**< struct binding, owning        */
	struct list all;              /**< the same bindings, not owning */
	struct tmr tmr;               /**< the sweep                     */
	uint32_t tick_ms;
	struct registrar_cfg cfg;
	char *realm;                  /**< (ref)                         */
	struct registrar_handlers h;
	unsigned nbindings;
	unsigned nreachable;
	struct mtick_entry *tick;     /**< (ref) watches the media tick  */
	uint64_t sweep_due;           /**< the sweep's due time (jiffies) */
	uint64_t tick_last;           /**< the last media tick (jiffies)  */
	uint64_t late_at;             /**< loop last seen late, 0: never  */
	uint32_t late_ms;             /**< worst lateness; 0: on time     */
	unsigned skipped;             /**< deadlines not counted so far   */
};

/*
 * One phone. Its OPTIONS in flight takes b as argument: the destructor
 * drops it, which ends it without a callback.
 */
struct binding {
	struct le he;                 /**< in reg->bindings              */
	struct le le;                 /**< in reg->all                   */
	struct registrar *reg;        /**< borrowed: owns us             */
	char *user;                   /**< (ref)                         */
	char *contact;                /**< (ref)                         */
	char *source;                 /**< (ref)                         */
	char *user_agent;             /**< (ref)                         */
	struct sip_request *req;      /**< (ref) OPTIONS in flight       */
	uint64_t q_at;                /**< next OPTIONS (jiffies), 0: no */
	uint64_t q_from;              /**< its window opened (jiffies)   */
	uint64_t q_deadline;          /**< ... and closes; 0: not sent   */
	uint64_t expires;             /**< unix seconds                  */
	uint32_t cseq;
	unsigned misses;              /**< windows unanswered in a row   */
	bool nat;
	bool reachable;
};


/* registrar_binding.c */
struct binding *registrar_binding_find(const struct registrar *reg,
				       const char *user);
int  registrar_binding_set(struct registrar *reg, const char *user,
			   const char *contact, const char *source,
			   const char *user_agent, bool nat,
			   uint64_t expires, uint64_t qualify_ms,
			   enum registrar_ev newev);
void registrar_binding_remove(struct binding *b, int ev);
void registrar_info_fill(struct registrar_info *info,
			 const struct binding *b);
uint64_t registrar_spread(uint64_t base, uint64_t range);
void registrar_sweep_start(struct registrar *reg);
void registrar_reachable_set(struct binding *b, bool reachable);

/* registrar_qualify.c */
void registrar_qualify_schedule(struct binding *b, uint64_t ms);
void registrar_qualify_due(struct binding *b, uint64_t now,
			   unsigned *budgetp);
int  registrar_late_start(struct registrar *reg);
void registrar_late_check(struct registrar *reg, uint64_t now);
void registrar_late_over(struct registrar *reg, uint64_t now);

/* registrar_parse.c */
/** What a REGISTER asks for. */
struct registrar_req {
	struct pl user;          /**< the AOR's user (To)                 */
	struct pl contact;       /**< Contact URI; unset: a query         */
	bool star;               /**< Contact: * (remove all)             */
	bool expires_set;        /**< Contact param or Expires header     */
	uint32_t expires;        /**< as asked; UINT32_MAX when beyond    */
};

int  registrar_parse(const struct sip_msg *msg, struct registrar_req *req,
		     const char **whyp);
int  registrar_expires(const struct registrar_req *req,
		       const struct registrar_cfg *cfg, uint32_t *expiresp);
int  registrar_source(char *buf, size_t sz, const struct sa *src,
		      enum sip_transp tp);
bool registrar_behind_nat(const struct pl *contact, const struct sa *src,
			  enum sip_transp tp);

#endif
