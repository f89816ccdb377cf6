/*
 * Test helper for the SIP edge (tests/unit/test_sipedge*.c): the edge's
 * owner, a far end on a second libre stack, conditions to wait for and
 * per-test fixtures. Include after <cmocka.h> and <re.h>.
 */
#ifndef OPENSEAT_TEST_SIPPEER_H
#define OPENSEAT_TEST_SIPPEER_H

/* every name this helper exports is prefixed in the binary */
#define edge           sp_edge
#define own            sp_own
#define peer           sp_peer
#define poke           sp_poke
#define wait_for       sp_wait_for
#define o_estab        sp_o_estab
#define o_closed       sp_o_closed
#define o_progress     sp_o_progress
#define o_invite       sp_o_invite
#define o_count        sp_o_count
#define leg_new        sp_leg_new
#define sdp_make       sp_sdp_make
#define p_call         sp_p_call
#define p_call_pcmu    sp_p_call_pcmu
#define peer_reset     sp_peer_reset
#define call_up        sp_call_up
#define p_request      sp_p_request
#define setup          sp_setup
#define teardown       sp_teardown
#define group_setup    sp_group_setup
#define group_teardown sp_group_teardown

#define SDP_FMT "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP %s\r\n%s"
#define PCMU "a=rtpmap:0 PCMU/8000\r\n"

enum mode { M_NONE = 0, M_REJECT, M_CHALLENGE, M_ACCEPT, M_EARLY };

/* The edge's owner: what it does with an INVITE and what it saw. */
struct owner {
	enum mode mode;
	uint16_t scode;              /**< for M_REJECT                   */
	const char *pass;            /**< digest: checked when set       */
	int digest_err;
	int accept_err;
	unsigned ninvite, nestab, nclosed;
	uint16_t progress;
	struct sipcall_end end;
	char reason[32];
	struct sipcall *sc;          /**< (ref) the last call            */
	struct leg *leg;             /**< (ref)                          */
	unsigned counted_req, counted_resp;
	char last_counted[64];
};

/* The far end: a second libre stack. */
struct peer {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sipsess *sess;        /**< (ref)                          */
	struct sa laddr;
	const char *user, *pass;
	bool estab, answered, closed, se_hdr;
	char contact[128];           /**< in the 200 of our INVITE      */
	unsigned offers;             /**< offers we were asked to answer */
	int close_err;
	uint16_t close_scode, progress;
	char rx[512];                /**< "INVITE 183 BYE 200 ..."       */
	/* as a callee, for outbound calls */
	uint16_t callee_scode;
	bool challenge;
	struct sipsess *in;          /**< (ref)                          */
	bool got_auth;
};


extern struct sipedge *edge;
extern struct owner own;
extern struct peer peer;

void poke(void);
int  wait_for(bool (*cond)(void), unsigned ms);
void o_estab(void *arg);
void o_closed(const struct sipcall_end *end, void *arg);
void o_progress(uint16_t scode, void *arg);
void o_invite(struct sipcall *sc, const struct sip_msg *msg, void *arg);
void o_count(bool request, const char *method, uint16_t scode, void *arg);
int  leg_new(struct leg **legp);
int  sdp_make(struct mbuf **mbp, unsigned ver, const char *pt,
	      const char *attrs);
int  p_call(const char *transp, struct mbuf *body, const char *hdrs);
int  p_call_pcmu(const char *transp, const char *hdrs);
void peer_reset(void);
void call_up(const char *transp);
uint16_t p_request(const char *met, const char *transp);
int  setup(void **state);
int  teardown(void **state);
int  group_setup(void **state);
int  group_teardown(void **state);


static inline bool c_estab(void) { return peer.estab && own.nestab; }
static inline bool c_oclosed(void) { return own.nclosed > 0; }
static inline bool c_pclosed(void) { return peer.closed; }
static inline bool c_progress(void) { return peer.progress == 183; }
static inline bool c_answered(void) { return peer.answered; }
static inline bool c_both_closed(void) { return peer.closed && own.nclosed; }
static inline bool c_out_estab(void) { return own.nestab && peer.estab; }
static inline bool c_cancelled_pending(void)
{
	return strstr(peer.rx, "487") != NULL;
}


static inline bool c_cancelled(void)
{
	return own.nclosed && strstr(peer.rx, "487");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
