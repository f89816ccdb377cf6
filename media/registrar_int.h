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
	uint64_t q_deadline;          /**< OPTIONS in flight times out   */
	uint64_t expires;             /**< unix seconds                  */
	uint32_t cseq;
	unsigned misses;              /**< OPTIONS unanswered in a row   */
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
