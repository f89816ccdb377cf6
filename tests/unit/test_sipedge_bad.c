/*
 * The SIP edge under bad input: garbage and truncated messages over UDP
 * and TCP, a flood of INVITEs, forged and stale digest credentials.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <re.h>
#include "media/mtick.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "loop.h"

enum { FLOOD = 400 };

static struct sipedge *edge;
static unsigned ninvite, nreq, nresp;

/* A raw UDP socket in the loop: what the edge answered. */
static struct {
	int fd;
	uint16_t port;
	unsigned run;
	uint8_t rejected[FLOOD];   /**< 403 seen per flood INVITE    */
	unsigned nrejected;
	uint16_t options;          /**< status of the last OPTIONS   */
} probe;


static void o_invite(struct sipcall *sc, const struct sip_msg *msg,
		     void *arg)
{
	(void)msg;
	(void)arg;
	++ninvite;
	assert_int_equal(sipcall_reject(sc, 403, NULL), 0);
}


static void o_count(bool request, const char *method, uint16_t scode,
		    void *arg)
{
	(void)method;
	(void)scode;
	(void)arg;

	if (request)
		++nreq;
	else
		++nresp;
}


static void probe_msg(const struct pl *pkt)
{
	struct pl code, met, run, idx;

	if (re_regex(pkt->p, pkt->l, "SIP/2.0 [0-9]+", &code))
		return;

	if (re_regex(pkt->p, pkt->l, "CSeq: [0-9]+ [A-Z]+", NULL, &met))
		return;

	if (!pl_strcmp(&met, "OPTIONS") && pl_u32(&code) >= 200) {
		probe.options = (uint16_t)pl_u32(&code);
		re_cancel();
		return;
	}

	if (pl_u32(&code) != 403 ||
	    re_regex(pkt->p, pkt->l, "Call-ID: flood-[0-9]+-[0-9]+",
		     &run, &idx) ||
	    pl_u32(&run) != probe.run || pl_u32(&idx) >= FLOOD ||
	    probe.rejected[pl_u32(&idx)])
		return;

	probe.rejected[pl_u32(&idx)] = 1;
	if (++probe.nrejected == FLOOD)
		re_cancel();
}


static void probe_read(int flags, void *arg)
{
	char buf[4096];
	struct pl pkt;
	ssize_t n;
	(void)flags;
	(void)arg;

	while ((n = recv(probe.fd, buf, sizeof(buf), 0)) > 0) {
		pkt.p = buf;
		pkt.l = (size_t)n;
		probe_msg(&pkt);
	}
}


static int probe_open(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	probe.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (probe.fd < 0)
		return errno;

	if (bind(probe.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(probe.fd, (struct sockaddr *)&sin, &len) < 0)
		return errno;

	probe.port = ntohs(sin.sin_port);
	(void)fcntl(probe.fd, F_SETFL, O_NONBLOCK);

	return fd_listen(probe.fd, FD_READ, probe_read, NULL);
}


static int probe_send(const char *buf, size_t len)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(edge->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	return sendto(probe.fd, buf, len, 0, (struct sockaddr *)&sin,
		      sizeof(sin)) < 0 ? errno : 0;
}


/* OPTIONS from the probe: the status, 0 if no answer within 2 s. */
static uint16_t probe_options(void)
{
	char buf[512];
	int n;

	n = re_snprintf(buf, sizeof(buf),
			"OPTIONS sip:127.0.0.1:%u SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%x\r\n"
			"To: <sip:127.0.0.1>\r\n"
			"From: <sip:probe@127.0.0.1>;tag=%x\r\n"
			"Call-ID: opt-%x\r\nCSeq: 1 OPTIONS\r\n"
			"Content-Length: 0\r\n\r\n", edge->port, probe.port,
			rand_u32(), rand_u32(), rand_u32());
	probe.options = 0;
	assert_int_equal(probe_send(buf, (size_t)n), 0);
	(void)loop_run(2000);

	return probe.options;
}
static const char *const garbage[] = {
	"\r\n\r\n",
	"INVITE",
	"INVITE sip:100@127.0.0.1 SIP/2.0\r\n",
	"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP\r\n\r\n",
	"INVITE sip:100@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n"
	"To: <sip:100@127.0.0.1>\r\nFrom: <sip:x@y>;tag=1\r\n"
	"Call-ID: g1\r\nCSeq: 1 INVITE\r\n"
	"Content-Type: application/sdp\r\nContent-Length: 900\r\n\r\nv=0\r\n",
	"INVITE sip:100@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\n"
	"To: <sip:100@127.0.0.1>\r\nFrom: garbage\r\n"
	"Call-ID: g2\r\nCSeq: x INVITE\r\nContent-Length: 0\r\n\r\n",
	"BYE sip:100@127.0.0.1 SIP/2.0\r\nVia: \r\nCall-ID:\r\n\r\n",
	"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n",
	"ACK sip:x SIP/2.0\r\n\r\n",
	"CANCEL sip:100@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnone\r\n"
	"To: <sip:100@127.0.0.1>\r\nFrom: <sip:x@y>;tag=1\r\n"
	"Call-ID: g3\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe",
};


static const char options_tcp[] =
	"OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp\r\n"
	"To: <sip:127.0.0.1>\r\nFrom: <sip:x@y>;tag=1\r\n"
	"Call-ID: t1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";


/* Send buf on a new socket; *reply gets what came back meanwhile. */
static int raw_xchg(int type, const void *buf, size_t len, char *reply,
		    size_t rsz)
{
	struct sockaddr_in sin;
	ssize_t n;
	int fd, err = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(edge->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return errno;

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    send(fd, buf, len, 0) < 0)
		err = errno;

	(void)loop_run(20);
	if (reply) {
		n = recv(fd, reply, rsz - 1, MSG_DONTWAIT);
		reply[n > 0 ? n : 0] = '\0';
	}
	close(fd);

	return err;
}


static int raw_send(int type, const void *buf, size_t len)
{
	return raw_xchg(type, buf, len, NULL, 0);
}


static void test_garbage(void **state)
{
	char reply[1024];
	uint8_t junk[600];
	size_t i, cut;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(garbage); i++) {
		assert_int_equal(raw_send(SOCK_DGRAM, garbage[i],
					  strlen(garbage[i])), 0);
		assert_int_equal(raw_send(SOCK_STREAM, garbage[i],
					  strlen(garbage[i])), 0);
	}

	/* every prefix of a good INVITE, and random bytes */
	for (cut = 1; cut < strlen(garbage[4]); cut += 7)
		assert_int_equal(raw_send(SOCK_DGRAM, garbage[4], cut), 0);
	rand_bytes(junk, sizeof(junk));
	assert_int_equal(raw_send(SOCK_DGRAM, junk, sizeof(junk)), 0);
	assert_int_equal(raw_send(SOCK_STREAM, junk, sizeof(junk)), 0);

	(void)loop_run(100);
	assert_int_equal(probe_options(), 200);
	assert_int_equal(raw_xchg(SOCK_STREAM, options_tcp,
				  strlen(options_tcp), reply, sizeof(reply)),
			 0);
	assert_memory_equal(reply, "SIP/2.0 200 OK", 14);
	assert_int_equal(sipedge_calls(edge), 0);
}


/* An INVITE carrying Authorization; resp computed for pass unless set. */
static int auth_msg(struct sip_msg **msgp, const char *realm,
		    const char *user, const char *pass, const char *nonce)
{
	static const char ruri[] = "sip:100@127.0.0.1";
	uint8_t ha1[16], ha2[16], resp[16];
	struct mbuf *mb = mbuf_alloc(1024);
	int err;

	md5_printf(ha1, "%s:%s:%s", user, realm, pass);
	md5_printf(ha2, "INVITE:%s", ruri);
	md5_printf(resp, "%w:%s:00000001:abc:auth:%w", ha1, sizeof(ha1),
		   nonce, ha2, sizeof(ha2));

	mbuf_printf(mb, "INVITE %s SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa\r\n"
		    "To: <%s>\r\nFrom: <sip:x@y>;tag=1\r\n"
		    "Call-ID: a1\r\nCSeq: 2 INVITE\r\n"
		    "Authorization: Digest username=\"%s\", realm=\"%s\","
		    " nonce=\"%s\", uri=\"%s\", response=\"%w\","
		    " qop=auth, nc=00000001, cnonce=\"abc\"\r\n"
		    "Content-Length: 0\r\n\r\n",
		    ruri, ruri, user, realm, nonce, ruri, resp, sizeof(resp));
	mb->pos = 0;
	err = sip_msg_decode(msgp, mb);
	mem_deref(mb);

	return err;
}


static int check(const struct sip_msg *msg, const char *realm,
		 const char *user, const char *pass)
{
	return sipedge_digest_check(msg, realm, user, pass);
}


static void test_digest_check(void **state)
{
	struct sip_msg *msg;
	char nonce[64], old[64];
	uint64_t now = (uint64_t)time(NULL);
	(void)state;

	assert_int_equal(sip_digest_nonce(nonce, sizeof(nonce), "r", now), 0);
	assert_int_equal(sip_digest_nonce(old, sizeof(old), "r", now - 400),
			 0);

	assert_int_equal(auth_msg(&msg, "r", "alice", "pw", nonce), 0);
	assert_int_equal(sipedge_digest_check(msg, "r", "alice", "pw"), 0);
	assert_int_equal(check(msg, "r", "alice", "x"), EACCES);
	assert_int_equal(sipedge_digest_check(msg, "r", "bob", "pw"), EACCES);
	assert_int_equal(sipedge_digest_check(msg, "other", "alice", "pw"),
			 ENOENT);
	mem_deref(msg);

	assert_int_equal(auth_msg(&msg, "r", "alice", "pw", old), 0);
	assert_int_equal(check(msg, "r", "alice", "pw"), EACCES);
	mem_deref(msg);

	/* a nonce of the right shape but not ours */
	nonce[12] = nonce[12] == 'a' ? 'b' : 'a';
	assert_int_equal(auth_msg(&msg, "r", "alice", "pw", nonce), 0);
	assert_int_equal(check(msg, "r", "alice", "pw"), EACCES);
	mem_deref(msg);

	assert_int_equal(auth_msg(&msg, "r", "alice", "pw", "zz"), 0);
	assert_int_equal(check(msg, "r", "alice", "pw"), EACCES);
	assert_int_equal(sipedge_digest_check(NULL, "r", "a", "b"), EINVAL);
	mem_deref(msg);
}




static void flood_send(unsigned i)
{
	char buf[700];
	int n;

	n = re_snprintf(buf, sizeof(buf),
			"INVITE sip:100@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:%u"
			";branch=z9hG4bKf%u-%u;rport\r\n"
			"Max-Forwards: 70\r\n"
			"To: <sip:100@127.0.0.1>\r\n"
			"From: <sip:flood@127.0.0.1>;tag=%u\r\n"
			"Call-ID: flood-%u-%u\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:flood@127.0.0.1:%u>\r\n"
			"Content-Length: 0\r\n\r\n",
			probe.port, probe.run, i, i, probe.run, i,
			probe.port);
	assert_int_equal(probe_send(buf, (size_t)n), 0);
}


/*
 * A flood of INVITEs from one source: every one gets its answer and
 * the edge still answers OPTIONS at once afterwards. Like any UAC the
 * probe retransmits what went unanswered (UDP may drop on a busy host).
 */
static void test_flood(void **state)
{
	unsigned i, round;
	(void)state;

	++probe.run;
	memset(probe.rejected, 0, sizeof(probe.rejected));
	probe.nrejected = 0;

	for (i = 0; i < FLOOD; i++) {
		flood_send(i);

		/* a burst at a time, as the socket buffer allows */
		if (i % 50 == 49)
			(void)loop_run(5);
	}

	for (round = 0; round < 6 && probe.nrejected < FLOOD; round++) {
		(void)loop_run(500);
		for (i = 0; i < FLOOD; i++) {
			if (!probe.rejected[i])
				flood_send(i);
		}
	}

	if (probe.nrejected < FLOOD)
		(void)loop_run(1000);
	assert_int_equal(probe.nrejected, FLOOD);
	assert_true(ninvite >= FLOOD);
	assert_int_equal(probe_options(), 200);
	assert_int_equal(sipedge_calls(edge), 0);
	assert_true(nreq >= FLOOD && nresp >= 2 * FLOOD);
}


static uint32_t interval(const char *hdrs, uint32_t ours)
{
	struct sip_msg *msg;
	struct mbuf *mb = mbuf_alloc(512);
	uint32_t ival;

	mbuf_printf(mb, "INVITE sip:100@127.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKs\r\n"
		    "To: <sip:100@127.0.0.1>\r\nFrom: <sip:x@y>;tag=1\r\n"
		    "Call-ID: s1\r\nCSeq: 1 INVITE\r\n%s"
		    "Content-Length: 0\r\n\r\n", hdrs);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	ival = sip_timer_interval(msg, ours);
	mem_deref(msg);
	mem_deref(mb);

	return ival;
}


/* Session-Expires and Min-SE as callers send them, and worse. */
static void test_timer_headers(void **state)
{
	(void)state;

	assert_int_equal(interval("Supported: timer\r\n", 1800), 1800);
	assert_int_equal(interval("Supported: timer\r\n", 0), 0);
	assert_int_equal(interval("", 1800), 0);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Session-Expires: 600\r\n", 1800), 600);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Session-Expires: 600;refresher=uac\r\n",
				  1800), 600);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Session-Expires: 600;refresher=uas\r\n",
				  1800), 0);
	assert_int_equal(interval("Require: timer\r\n"
				  "Session-Expires: 5\r\n", 1800), 90);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Session-Expires: 600\r\nMin-SE: 3600\r\n",
				  1800), 3600);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Session-Expires: abc;;;=\r\n"
				  "Min-SE: -1\r\n", 1800), 1800);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Session-Expires: 99999999999999999999\r\n",
				  1800), 1800);
	assert_int_equal(interval("Supported: timer\r\n"
				  "Min-SE: 4000000000\r\n", 1800), 86400);
	assert_int_equal(sip_timer_interval(NULL, 1800), 0);
}


/* Misuse of the API: clear errors, nothing happens. */
static void test_api_misuse(void **state)
{
	struct sipedge_cfg cfg;
	struct sipedge *se2 = NULL;
	struct sipcall *sc = NULL;
	struct sipcall_dial d;
	struct sipcall_handlers h;
	(void)state;

	memset(&cfg, 0, sizeof(cfg));
	memset(&d, 0, sizeof(d));
	memset(&h, 0, sizeof(h));

	assert_int_equal(sipedge_alloc(NULL, &cfg, o_invite, NULL, NULL),
			 EINVAL);
	assert_int_equal(sipedge_alloc(&se2, &cfg, o_invite, NULL, NULL),
			 EINVAL);
	cfg.laddr = "not an address";
	assert_int_equal(sipedge_alloc(&se2, &cfg, o_invite, NULL, NULL),
			 EINVAL);

	/* the port is taken by the edge of this test */
	cfg.laddr = "127.0.0.1";
	cfg.port = edge->port;
	assert_int_equal(sipedge_alloc(&se2, &cfg, o_invite, NULL, NULL),
			 EADDRINUSE);
	assert_null(se2);

	assert_int_equal(sipcall_reject(NULL, 404, NULL), EINVAL);
	assert_int_equal(sipcall_challenge(NULL, "r"), EINVAL);
	assert_int_equal(sipcall_accept(NULL, NULL, false, &h), EINVAL);
	assert_int_equal(sipcall_answer(NULL), EINVAL);
	assert_int_equal(sipedge_connect(&sc, edge, &d, NULL, &h), EINVAL);
	sipcall_hangup(NULL, 0, NULL);
	assert_null(sipcall_call_id(NULL));
	assert_int_equal(sipedge_calls(NULL), 0);
	sipedge_shutdown(NULL);
}


static int setup(void **state)
{
	struct sipedge_cfg cfg;
	int err;
	(void)state;

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr = "127.0.0.1";
	ninvite = nreq = nresp = 0;

	err = sipedge_alloc(&edge, &cfg, o_invite, o_count, NULL);
	if (err)
		return err;

	return probe_open();
}


static int teardown(void **state)
{
	(void)state;

	fd_close(probe.fd);
	close(probe.fd);
	sipedge_shutdown(edge);
	edge = mem_deref(edge);
	(void)loop_run(20);

	return 0;
}


static int group_setup(void **state)
{
	(void)state;

	return libre_init() || mtick_init();
}


static int group_teardown(void **state)
{
	(void)state;
	mtick_close();
	libre_close();

	return 0;
}


#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_garbage),
		T(test_flood),
		T(test_api_misuse),
		cmocka_unit_test(test_digest_check),
		cmocka_unit_test(test_timer_headers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
