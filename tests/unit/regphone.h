/*
 * Test helper for the registrar (tests/unit/test_registrar*.c): the
 * registrar's owner, a phone on a second libre stack that registers with
 * digest and answers OPTIONS (at once, late, or not at all), a loop made
 * to run late, and per-test fixtures. Include after <cmocka.h>, <re.h>
 * and media/registrar.h.
 */
#ifndef OPENSEAT_TEST_REGPHONE_H
#define OPENSEAT_TEST_REGPHONE_H

/* every name this helper exports is prefixed in the binary */
#define t          rp_t
#define stall      rp_stall
#define busy       rp_busy
#define wait_ev    rp_wait_ev
#define p_register rp_register
#define reg_start  rp_reg_start
#define setup      rp_setup
#define teardown   rp_teardown

#define SECRET "s3cret-phone"

/* The registrar under test, its owner's view, and the phone. */
struct regphone {
	struct sipedge *edge;
	struct registrar *reg;
	struct sip *sip;              /**< the phone's stack          */
	struct sip_lsnr *lsnr;
	struct sip_auth *auth;
	struct sip_request *req;
	struct sa laddr;              /**< the phone's address        */
	const char *user;
	const char *pass;
	char hdrs[512];               /**< of the REGISTER being sent */
	uint32_t cseq;
	unsigned tries;
	uint16_t scode;
	char resp_hdrs[256];          /**< Contact / Min-Expires seen */
	bool answer_options;
	unsigned options;
	unsigned options_want;        /**< stop the loop at this many */
	unsigned stall_ms;            /**< the loop, before answering */
	unsigned delay_ms;            /**< answer OPTIONS this late   */
	struct sip_msg *held;         /**< (ref) the one to answer    */
	struct tmr delay_tmr;
	unsigned answered;            /**< answers sent late          */
	unsigned answered_want;
	struct tmr busy_tmr;          /**< a loop always behind       */
	unsigned late_begun;
	unsigned late_over;
	uint32_t late_ms;
	unsigned late_skipped;
	bool banned;
	unsigned seen[REGISTRAR_RESTORED + 1];
	int want;
	unsigned want_n;
	char why[32];
	unsigned answers;
	bool tcp;                     /**< REGISTER over TCP          */
	bool not_ready;               /**< users not loaded yet       */
	bool remove_on_expiry;
};

extern struct regphone t;

/* Block the loop (the whole process) for ms: a loop running late. */
void stall(unsigned ms);
/* Timer handler: the loop busy 120 ms in every 150 (t.busy_tmr). */
void busy(void *arg);
/* Run the loop until ev was reported once more (or ms passed). */
bool wait_ev(enum registrar_ev ev, unsigned ms);
/* REGISTER as user/pass; fmt: the Contact and Expires headers. */
uint16_t p_register(const char *user, const char *pass, const char *fmt,
		    ...);
/* A new registrar on t.edge with these settings. */
void reg_start(uint32_t min_expires, uint32_t qualify_ms,
	       uint32_t timeout_ms);
int  setup(void **state);
int  teardown(void **state);

#endif
