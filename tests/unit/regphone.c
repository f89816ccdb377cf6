/*
 * Test helper for the registrar: its owner, a phone on a second libre
 * stack, and fixtures that give each test a fresh edge and phone.
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
#include "loop.h"
#include "regphone.h"

struct regphone t;


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
void stall(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}


/* The loop busy 120 ms in every 150: each timer runs late. */
void busy(void *arg)
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
bool wait_ev(enum registrar_ev ev, unsigned ms)
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
uint16_t p_register(const char *user, const char *pass, const char *fmt,
		    ...)
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


void reg_start(uint32_t min_expires, uint32_t qualify_ms,
	       uint32_t timeout_ms)
{
	struct registrar_cfg cfg = {"openseat", min_expires, 3600,
				    qualify_ms, timeout_ms};
	struct registrar_handlers h = {o_secret, o_event, o_answer, o_late,
				       NULL};

	t.reg = mem_deref(t.reg);
	assert_int_equal(registrar_alloc(&t.reg, t.edge, &cfg, &h), 0);
}


int setup(void **state)
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


int teardown(void **state)
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
