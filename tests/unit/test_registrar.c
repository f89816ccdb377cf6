/*
 * The registrar (media/registrar.c, registrar_binding.c) against a phone
 * on a second libre stack: digest, refresh, unregister, refusals,
 * expiry, OPTIONS qualify (unreachable and back; a late loop counts no
 * miss), NAT, TCP, restore.
 * Its reading of REGISTER: test_registrar_parse.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "media/registrar.h"
#include "media/registrar_int.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "loop.h"

#define SECRET "s3cret-phone"


static struct {
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
} t;


static void o_invite(struct sipcall *sc, const struct sip_msg *msg,
		     void *arg)
{
	(void)msg;
	(void)arg;
	(void)sipcall_reject(sc, 603, NULL);
}


static int o_secret(const char *user, const struct sa *src, char *secret,
		    size_t sz, void *arg)
{
	(void)src;
	(void)arg;

	if (t.banned)
		return EPERM;
	if (t.not_ready)
		return EAGAIN;
	if (strcmp(user, "1001"))
		return ENOENT;

	str_ncpy(secret, SECRET, sz);

	return 0;
}


static void o_event(enum registrar_ev ev, const struct registrar_info *info,
		    void *arg)
{
	(void)arg;

	/* the owner removing others from inside a report */
	if (t.remove_on_expiry) {
		if (ev != REGISTRAR_EXPIRED)
			return;
		for (unsigned i = 0; i < 8; i++) {
			char u[16];

			(void)re_snprintf(u, sizeof(u), "u%u", i);
			(void)registrar_remove(t.reg, u);
		}
		++t.seen[ev];
		return;
	}

	assert_string_equal(info->user, "1001");
	++t.seen[ev];
	if ((int)ev == t.want && t.seen[ev] >= t.want_n)
		re_cancel();
}


static void o_answer(uint16_t scode, const char *why, const char *user,
		     const struct sa *src, void *arg)
{
	(void)scode;
	(void)user;
	(void)src;
	(void)arg;

	++t.answers;
	str_ncpy(t.why, why, sizeof(t.why));
}


static void o_late(bool over, uint32_t late_ms, unsigned skipped,
		   void *arg)
{
	(void)arg;

	if (over)
		++t.late_over;
	else
		++t.late_begun;
	t.late_ms = late_ms;
	t.late_skipped = skipped;
}


/* Block the loop (the whole process) for ms: a loop running late. */
static void stall(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}


/* The loop busy 120 ms in every 150: each timer runs late. */
static void busy(void *arg)
{
	(void)arg;

	stall(120);
	tmr_start(&t.busy_tmr, 30, busy, NULL);
}


static void delayed_answer(void *arg)
{
	(void)arg;

	(void)sip_reply(t.sip, t.held, 200, "OK");
	t.held = mem_deref(t.held);
	if (++t.answered >= t.answered_want)
		re_cancel();
}


/* Run the loop until ev was reported once more (or ms passed). */
static bool wait_ev(enum registrar_ev ev, unsigned ms)
{
	t.want = (int)ev;
	t.want_n = t.seen[ev] + 1;
	(void)loop_run(ms);
	t.want = -1;

	return t.seen[ev] >= t.want_n;
}


static bool p_request(const struct sip_msg *msg, void *arg)
{
	(void)arg;

	if (pl_strcmp(&msg->met, "OPTIONS"))
		return false;

	++t.options;
	if (t.options_want && t.options >= t.options_want)
		re_cancel();
	if (t.stall_ms)
		stall(t.stall_ms);
	if (t.delay_ms && !t.held) {
		/* retransmissions of the one held are not answered twice */
		t.held = mem_ref((struct sip_msg *)msg);
		tmr_start(&t.delay_tmr, t.delay_ms, delayed_answer, NULL);
		return true;
	}
	if (t.answer_options && !t.delay_ms)
		(void)sip_reply(t.sip, msg, 200, "OK");

	return true;
}


static int p_auth(char **user, char **pass, const char *realm, void *arg)
{
	int err;
	(void)realm;
	(void)arg;

	err  = str_dup(user, t.user);
	err |= str_dup(pass, t.pass);

	return err;
}


static int p_send(void);


static bool hdr_keep(const struct sip_hdr *hdr, const struct sip_msg *msg,
		     void *arg)
{
	(void)msg;
	(void)arg;

	(void)re_snprintf(t.resp_hdrs + strlen(t.resp_hdrs),
			  sizeof(t.resp_hdrs) - strlen(t.resp_hdrs),
			  "%r: %r\n", &hdr->name, &hdr->val);

	return false;
}


static void p_resp(int err, const struct sip_msg *msg, void *arg)
{
	(void)arg;

	if (msg && msg->scode < 200)
		return;

	if (msg && msg->scode == 401 && !t.tries++ &&
	    !sip_auth_authenticate(t.auth, msg) && !p_send())
		return;

	t.scode = err ? 0 : msg->scode;
	t.resp_hdrs[0] = '\0';
	if (msg) {
		(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, hdr_keep,
					NULL);
		(void)sip_msg_xhdr_apply(msg, true, "Min-Expires", hdr_keep,
					 NULL);
		(void)sip_msg_xhdr_apply(msg, true, "Retry-After", hdr_keep,
					 NULL);
	}
	re_cancel();
}


static int p_send(void)
{
	char uri[64];

	(void)re_snprintf(uri, sizeof(uri), "sip:127.0.0.1:%u%s",
			  t.edge->port, t.tcp ? ";transport=tcp" : "");

	return sip_requestf(&t.req, t.sip, true, "REGISTER", uri, NULL,
			    t.auth, NULL, p_resp, NULL,
			    "To: <sip:%s@openseat>\r\n"
			    "From: <sip:%s@openseat>;tag=phone\r\n"
			    "Call-ID: reg@phone\r\n"
			    "CSeq: %u REGISTER\r\n"
			    "User-Agent: Phone\x01 1.0 \xe8\xaf\x9d\r\n"
			    "Max-Forwards: 70\r\n"
			    "%s"
			    "Content-Length: 0\r\n\r\n",
			    t.user, t.user, ++t.cseq, t.hdrs);
}


/*
 * REGISTER from the phone as user with password pass; hdrs carries the
 * Contact and Expires. A 401 is answered once with credentials.
 */
static uint16_t p_register(const char *user, const char *pass,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(t.hdrs, sizeof(t.hdrs), fmt, ap);
	va_end(ap);

	t.user = user;
	t.pass = pass;
	t.tries = 0;
	t.scode = 0;
	sip_auth_reset(t.auth);
	assert_int_equal(p_send(), 0);
	assert_int_equal(loop_run(3000), 0);

	return t.scode;
}


static void reg_start(uint32_t min_expires, uint32_t qualify_ms,
		      uint32_t timeout_ms)
{
	struct registrar_cfg cfg = {"openseat", min_expires, 3600,
				    qualify_ms, timeout_ms};
	struct registrar_handlers h = {o_secret, o_event, o_answer, o_late,
				       NULL};

	t.reg = mem_deref(t.reg);
	assert_int_equal(registrar_alloc(&t.reg, t.edge, &cfg, &h), 0);
}


static int setup(void **state)
{
	struct sipedge_cfg cfg;
	int err;
	(void)state;

	memset(&t, 0, sizeof(t));
	t.want = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr = "127.0.0.1";

	err = sipedge_alloc(&t.edge, &cfg, o_invite, NULL, NULL);
	err = err ? err : sip_alloc(&t.sip, NULL, 32, 32, 32, "phone", NULL,
				    NULL);
	if (err)
		return err;

	(void)sa_set_str(&t.laddr, "127.0.0.1", 0);
	err  = sip_transp_add(t.sip, SIP_TRANSP_UDP, &t.laddr);
	err |= sip_transp_laddr(t.sip, &t.laddr, SIP_TRANSP_UDP, NULL);
	err |= sip_transp_add(t.sip, SIP_TRANSP_TCP, &t.laddr);
	err |= sip_listen(&t.lsnr, t.sip, true, p_request, NULL);
	err |= sip_auth_alloc(&t.auth, p_auth, NULL, false);

	return err;
}


static int teardown(void **state)
{
	(void)state;

	tmr_cancel(&t.busy_tmr);
	tmr_cancel(&t.delay_tmr);
	t.held = mem_deref(t.held);
	t.reg = mem_deref(t.reg);
	t.req = mem_deref(t.req);
	t.auth = mem_deref(t.auth);
	t.lsnr = mem_deref(t.lsnr);
	if (t.sip)
		sip_close(t.sip, true);
	t.sip = mem_deref(t.sip);
	t.edge = mem_deref(t.edge);
	(void)loop_run(50);

	return 0;
}


static void test_register_cycle(void **state)
{
	struct registrar_info info;
	unsigned reachable = 9;
	char contact[64];
	(void)state;

	reg_start(60, 0, 0);
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);

	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n"
				    "Expires: 120\r\n", contact), 200);
	assert_int_equal(t.seen[REGISTRAR_REGISTERED], 1);
	assert_string_equal(t.why, "registered");
	assert_non_null(strstr(t.resp_hdrs, contact));
	assert_non_null(strstr(t.resp_hdrs, "expires=120"));

	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_string_equal(info.contact, contact);
	assert_false(info.nat);
	assert_true(info.reachable);
	assert_string_equal(info.user_agent, "Phone  1.0 ???");
	assert_true(info.expires >= (uint64_t)time(NULL) + 119);
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 1);

	/* the same again: a refresh, still one binding */
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>"
				    ";expires=600\r\n", contact), 200);
	assert_int_equal(t.seen[REGISTRAR_REFRESHED], 1);
	assert_int_equal(registrar_count(t.reg, NULL), 1);

	/* a query lists it and changes nothing */
	assert_int_equal(p_register("1001", SECRET, ""), 200);
	assert_non_null(strstr(t.resp_hdrs, contact));
	assert_string_equal(t.why, "query");

	/* another contact's Expires: 0 does not remove ours */
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.9>\r\n"
				    "Expires: 0\r\n"), 200);
	assert_int_equal(registrar_count(t.reg, NULL), 1);

	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n"
				    "Expires: 0\r\n", contact), 200);
	assert_int_equal(t.seen[REGISTRAR_UNREGISTERED], 1);
	assert_int_equal(registrar_count(t.reg, &reachable), 0);
	assert_int_equal(reachable, 0);
	assert_int_equal(registrar_find(t.reg, "1001", &info), ENOENT);
	assert_null(strstr(t.resp_hdrs, "Contact"));

	/* Contact: * removes whatever there is */
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	assert_int_equal(p_register("1001", SECRET, "Contact: *\r\n"
				    "Expires: 0\r\n"), 200);
	assert_int_equal(t.seen[REGISTRAR_UNREGISTERED], 2);
	assert_int_equal(registrar_count(t.reg, NULL), 0);
}


static void test_register_refused(void **state)
{
	struct registrar_info info;
	(void)state;

	reg_start(60, 0, 0);

	assert_int_equal(p_register("1001", "wrong", "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"), 403);
	assert_string_equal(t.why, "bad_credentials");
	assert_int_equal(p_register("1999", SECRET, "Contact: "
				    "<sip:1999@127.0.0.1:5999>\r\n"), 403);
	assert_string_equal(t.why, "unknown_user");

	/* a banned source is refused before any challenge */
	t.banned = true;
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"), 403);
	assert_string_equal(t.why, "banned");
	assert_int_equal(t.tries, 0);
	t.banned = false;

	/* before the owner knows its users: come back later */
	t.not_ready = true;
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"), 503);
	assert_non_null(strstr(t.resp_hdrs, "Retry-After: 5"));
	assert_string_equal(t.why, "not_ready");
	t.not_ready = false;

	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: 30\r\n"), 423);
	assert_non_null(strstr(t.resp_hdrs, "Min-Expires: 60"));

	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: never\r\n"), 400);
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<ftp://x>\r\n"), 400);
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>;expires=x\r\n"),
			 400);
	assert_string_equal(t.why, "bad_request");

	/* a huge expiry is cut to the maximum */
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: 4294967296000\r\n"), 200);
	assert_non_null(strstr(t.resp_hdrs, "expires=3600"));
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_int_equal(t.seen[REGISTRAR_REGISTERED], 1);
}


static void test_expiry(void **state)
{
	(void)state;

	reg_start(1, 0, 0);
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: 1\r\n"), 200);
	assert_int_equal(registrar_count(t.reg, NULL), 1);
	assert_true(wait_ev(REGISTRAR_EXPIRED, 3000));
	assert_int_equal(registrar_count(t.reg, NULL), 0);
}


static void test_qualify(void **state)
{
	struct registrar_info info;
	unsigned reachable = 9;
	char contact[64];
	(void)state;

	reg_start(60, 200, 400);
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);

	/* a silent phone becomes unreachable, and back when it answers */
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 2000));
	assert_true(t.options > 0);
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_false(info.reachable);
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 0);

	t.answer_options = true;
	assert_true(wait_ev(REGISTRAR_REACHABLE, 2000));
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 1);

	/* silent again: a refresh proves only that the phone's packets
	   get out; it stays unreachable until it answers OPTIONS */
	t.answer_options = false;
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 2000));
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	assert_int_equal(t.seen[REGISTRAR_REFRESHED], 1);
	assert_int_equal(t.seen[REGISTRAR_REACHABLE], 1);
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 0);

	t.answer_options = true;
	assert_true(wait_ev(REGISTRAR_REACHABLE, 2000));
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 1);
}


/*
 * The loop is behind (busy 120 ms in every 150) and the phone's answers
 * come only after a second (as if waiting in the socket), past two
 * windows of 400 ms: no miss is counted, every late 200 counts, and the
 * spell is reported once. Then the phone falls silent on a loop that
 * keeps time: that is still found out.
 */
static void test_qualify_late_loop(void **state)
{
	char contact[64];
	(void)state;

	reg_start(60, 200, 400);
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);

	t.delay_ms = 1000;
	t.answered_want = 3;
	tmr_start(&t.busy_tmr, 30, busy, NULL);
	assert_int_equal(loop_run(15000), 0);
	tmr_cancel(&t.busy_tmr);
	t.delay_ms = 0;
	(void)loop_run(50);     /* the last answer is read */

	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);
	assert_int_equal(t.late_begun, 1);
	assert_int_equal(t.late_over, 0);
	assert_true(t.late_ms >= 50);
	assert_int_equal(t.reg->nreachable, 1);

	/* silent now, the loop on time: unreachable as before, and the
	   spell of lateness is over with what it skipped */
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 3000));
	assert_true(t.late_over >= 1);
	assert_true(t.late_skipped >= 3);
	assert_int_equal(t.reg->nreachable, 0);
}


/*
 * A stall that ends before a window opened excuses nothing; one inside
 * the window of a silent phone only delays the verdict.
 */
static void test_qualify_late_silent(void **state)
{
	struct binding *b;
	char contact[64];
	(void)state;

	reg_start(60, 200, 400);
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	b = registrar_binding_find(t.reg, "1001");
	assert_non_null(b);

	/* the first OPTIONS reaches the silent phone, which stalls the
	   loop once: its window is not counted */
	t.stall_ms = 600;
	t.options_want = 1;
	assert_int_equal(loop_run(3000), 0);
	t.stall_ms = 0;
	t.options_want = 0;
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 3000));
	assert_true(t.late_begun >= 1);
	assert_true(b->misses >= 2);
}


/* A gap between two media ticks is the loop running late. */
static void test_qualify_tick_gap(void **state)
{
	(void)state;

	reg_start(60, 200, 400);
	assert_int_equal(t.reg->late_at, 0);

	mtick_run(0);
	stall(10);
	mtick_run(1);
	assert_int_equal(t.reg->late_at, 0);

	stall(150);
	mtick_run(2);
	assert_true(t.reg->late_at > 0);
	assert_true(t.reg->late_ms >= 100);
}


static void test_nat(void **state)
{
	struct registrar_info info;
	char source[64];
	unsigned before;
	(void)state;

	reg_start(60, 200, 2000);
	t.answer_options = true;

	/* the Contact names a private address the packet did not come
	   from: OPTIONS go to where the REGISTER came from */
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@10.0.0.5:5062>\r\n"), 200);
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_true(info.nat);
	(void)re_snprintf(source, sizeof(source),
			  "sip:%J;transport=udp", &t.laddr);
	assert_string_equal(info.source, source);

	before = t.options;
	(void)loop_run(1500);
	assert_true(t.options >= before + 2);
	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);
}


static void test_tcp(void **state)
{
	struct registrar_info info;
	unsigned before;
	char contact[80];
	(void)state;

	reg_start(60, 200, 2000);
	t.answer_options = true;
	t.tcp = true;
	(void)re_snprintf(contact, sizeof(contact),
			  "sip:1001@%J;transport=tcp", &t.laddr);

	/* over TCP the phone is reached on its own connection, whatever
	   port its Contact names */
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_true(info.nat);
	assert_non_null(strstr(info.source, ";transport=tcp"));
	assert_string_equal(info.contact, contact);

	before = t.options;
	(void)loop_run(1500);
	assert_true(t.options >= before + 2);
	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);
}


static void test_restore(void **state)
{
	char contact[64], source[64];
	uint64_t now = (uint64_t)time(NULL);
	(void)state;

	reg_start(60, 60000, 2000);
	t.answer_options = true;
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);
	(void)re_snprintf(source, sizeof(source), "sip:%J;transport=udp",
			  &t.laddr);

	assert_int_equal(registrar_restore(t.reg, "1001", contact, source,
					   "Phone", now - 1), ETIMEDOUT);
	assert_int_equal(registrar_restore(t.reg, "1001", contact, "junk",
					   "Phone", now + 60), EINVAL);
	assert_int_equal(registrar_restore(t.reg, "1001", contact, source,
					   "Phone", now + 60), 0);
	assert_int_equal(t.seen[REGISTRAR_RESTORED], 1);
	assert_int_equal(registrar_restore(t.reg, "1001", contact, source,
					   "Phone", now + 60), EEXIST);

	/* the first OPTIONS goes out soon after a restart, not after the
	   whole interval */
	(void)loop_run(2500);
	assert_int_equal(t.options, 1);
	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);

	assert_int_equal(registrar_remove(t.reg, "1001"), 0);
	assert_int_equal(registrar_remove(t.reg, "1001"), ENOENT);
	assert_int_equal(registrar_count(t.reg, NULL), 0);

	/* a source saved as IPv6 reads back */
	assert_int_equal(registrar_restore(t.reg, "1001",
					   "sip:1001@[2001:db8::5]:5062",
					   "sip:[2001:db8::7]:5070;"
					   "transport=tcp", "", now + 60), 0);
	assert_int_equal(registrar_remove(t.reg, "1001"), 0);
}


static void test_remove_in_report(void **state)
{
	uint64_t now = (uint64_t)time(NULL);
	unsigned i;
	(void)state;

	/* eight bindings expiring in the same sweep; the first report
	   removes them all: the sweep must not touch a freed one */
	reg_start(1, 0, 0);
	t.remove_on_expiry = true;
	for (i = 0; i < 8; i++) {
		char u[16];

		(void)re_snprintf(u, sizeof(u), "u%u", i);
		assert_int_equal(registrar_restore(t.reg, u,
						   "sip:u@127.0.0.1:9",
						   "sip:127.0.0.1:9;"
						   "transport=udp", "",
						   now + 1), 0);
	}
	assert_int_equal(registrar_count(t.reg, NULL), 8);

	(void)loop_run(2500);
	assert_int_equal(registrar_count(t.reg, NULL), 0);
	assert_int_equal(t.seen[REGISTRAR_EXPIRED], 1);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_cycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qualify, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qualify_late_loop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qualify_late_silent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_qualify_tick_gap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_in_report, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup,
						teardown),
	};
	int err;

	err = libre_init();
	if (err)
		return err;

	err = cmocka_run_group_tests(tests, NULL, NULL);

	libre_close();
	tmr_debug();
	mem_debug();

	return err;
}
