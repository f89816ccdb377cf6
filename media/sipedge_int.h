/* The SIP edge's private state, shared by sipedge.c and sipcall*.c. */
#ifndef OPENSEAT_SIPEDGE_INT_H
#define OPENSEAT_SIPEDGE_INT_H

enum {
	SIPEDGE_HASH        = 4096,   /**< transactions, dialogs, calls */
	SIPEDGE_CONN_HASH   = 1024,   /**< TCP/TLS connections          */
	SIPEDGE_PENDING_MS  = 10000,  /**< owner must answer an INVITE  */
	SIPEDGE_NONCE_SECS  = 300,    /**< digest nonce stale after     */
};

struct sipedge {
	struct sip *sip;              /**< (ref)                        */
	struct sipsess_sock *sock;    /**< (ref)                        */
	struct sip_lsnr *lsnr;        /**< (ref) OPTIONS, UPDATE, ...   */
	struct tls *tls;              /**< (ref) NULL without a cert    */
	struct hash *calls;           /**< owning: the edge's reference */
	char *laddr;                  /**< (ref) listen IP              */
	char *public_addr;            /**< (ref) host in Contact        */
	uint16_t port;                /**< UDP/TCP; TLS on port + 1     */
	uint32_t session_expires;     /**< RFC 4028 seconds, 0 = off    */
	uint32_t pending_ms;          /**< owner's time to answer       */
	sipedge_invite_h *inviteh;
	sipedge_count_h *counth;
	void *arg;
	sipedge_register_h *regh;     /**< NULL: REGISTER gets 405      */
	void *regarg;
	unsigned ncalls;
	bool closing;                 /**< shutdown: new INVITEs 503    */
};

enum sipcall_state {
	SIPCALL_PENDING = 0,  /**< INVITE received, 100 sent, owner asked */
	SIPCALL_EARLY,        /**< 183 with SDP sent (or 18x received)    */
	SIPCALL_ANSWERED,     /**< 200 sent, waiting for the ACK          */
	SIPCALL_ESTAB,        /**< ACK received / 200 received            */
	SIPCALL_CLOSED,
};

struct sipcall {
	struct le he;                 /**< in se->calls while alive     */
	struct sipedge *se;           /**< borrowed; NULL once gone     */
	struct sipsess *sess;         /**< (ref) after accept/connect   */
	struct sip_strans *st;        /**< (ref) INVITE before accept   */
	const struct sip_msg *msg;    /**< (ref) the first INVITE       */
	struct leg *leg;              /**< (ref)                        */
	struct mbuf *sdp;             /**< (ref) our SDP: 183 then 200  */
	char *call_id;                /**< (ref)                        */
	char *cuser;                  /**< (ref) our Contact URI        */
	char *auth_user;              /**< (ref) outbound credentials   */
	char *auth_pass;              /**< (ref)                        */
	struct sipcall_handlers h;
	struct tmr tmr_pending;       /**< owner never answered         */
	struct tmr tmr_se;            /**< RFC 4028 session timer       */
	uint32_t se_secs;             /**< session interval, 0 = off    */
	enum sipcall_state state;
	bool outbound;
	bool offer_in_200;            /**< INVITE had no SDP            */
	bool early_media;             /**< far end's 183 gave an answer */
};

/* sipedge.c */
void sipedge_count(struct sipedge *se, bool request, const char *method,
		   uint16_t scode);
int  sipedge_contact(char **urip, const struct sipedge *se,
		     enum sip_transp tp);
void sipedge_pending_set(struct sipedge *se, uint32_t ms);

/* sipcall.c */
int  sipcall_alloc(struct sipcall **scp, struct sipedge *se,
		   const struct sip_msg *msg);
void sipcall_new_invite(struct sipedge *se, const struct sip_msg *msg);
void sipcall_close(struct sipcall *sc, enum sipcall_side side,
		   uint16_t scode, const char *reason, int err);
void sipcall_release(struct sipcall *sc);
struct sipcall *sipcall_find(const struct sipedge *se,
			     const struct sip_msg *msg);
int  sipcall_offer_handler(struct mbuf **descp, const struct sip_msg *msg,
			   void *arg);
int  sipcall_answer_handler(const struct sip_msg *msg, void *arg);
void sipcall_estab_handler(const struct sip_msg *msg, void *arg);
void sipcall_close_handler(int err, const struct sip_msg *msg, void *arg);

/* sip_timer.c: RFC 4028, the minimum */
uint32_t sip_timer_interval(const struct sip_msg *msg, uint32_t ours);
void sip_timer_start(struct sipcall *sc);
void sip_timer_refresh(struct sipcall *sc, const struct sip_msg *msg);
void sip_timer_reinvite(struct sipcall *sc);
int  sip_timer_hdrs(struct re_printf *pf, const struct sipcall *sc);
void sip_update_handler(struct sipedge *se, const struct sip_msg *msg);

/* sip_digest.c */
int  sip_digest_nonce(char *buf, size_t sz, const char *realm,
		      uint64_t now);
bool sip_digest_stale(const struct sip_msg *msg, const char *realm,
		      const char *user, const char *password);

#endif
