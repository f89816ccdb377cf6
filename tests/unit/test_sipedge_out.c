/*
 * The SIP edge placing calls through a trunk (a libre peer), TLS,
 * Contact addresses and shutdown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/leg.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "loop.h"
#include "sippeer.h"

static void test_outbound(void **state)
{
	struct sipcall_dial d;
	struct sipcall_handlers h = { o_estab, NULL, o_closed, NULL };
	struct sipcall *sc;
	char uri[64];
	(void)state;

	peer.challenge = true;
	re_snprintf(uri, sizeof(uri), "sip:200@127.0.0.1:%u",
		    sa_port(&peer.laddr));
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = "sip:4001000100@openseat";
	d.auth_user = "trunk";
	d.auth_pass = "pw";

	assert_int_equal(leg_new(&own.leg), 0);
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_out_estab, 3000), 0);
	assert_true(peer.got_auth);
	assert_int_equal(sipedge_calls(edge), 1);

	peer.in = mem_deref(peer.in);          /* BYE from the callee */
	assert_int_equal(wait_for(c_oclosed, 3000), 0);
	assert_string_equal(own.reason, "bye");
	assert_int_equal(sipedge_calls(edge), 0);

	/* busy */
	peer_reset();
	peer.callee_scode = 486;
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_oclosed, 3000), 0);
	assert_int_equal(own.end.scode, 486);
	assert_string_equal(own.reason, "rejected");
}


static bool c_ringing(void) { return own.progress == 180; }
static bool c_out_cancelled(void) { return peer.closed; }


/* We hang up an outbound call while it rings: CANCEL. */
static void test_outbound_cancel(void **state)
{
	struct sipcall_handlers h = { o_estab, o_progress, o_closed, NULL };
	struct sipcall_dial d;
	struct sipcall *sc;
	char uri[64];
	(void)state;

	peer.callee_scode = 180;
	re_snprintf(uri, sizeof(uri), "sip:200@127.0.0.1:%u;transport=tcp",
		    sa_port(&peer.laddr));
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = "sip:4001000100@openseat";
	d.from_name = "OpenSeat";

	assert_int_equal(leg_new(&own.leg), 0);
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_ringing, 3000), 0);
	assert_non_null(sipcall_call_id(sc));

	sipcall_hangup(sc, 0, "caller_gone");
	assert_int_equal(own.nclosed, 1);
	assert_int_equal(own.end.side, SIPCALL_LOCAL);
	assert_int_equal(wait_for(c_out_cancelled, 3000), 0);
	assert_non_null(strstr(peer.rx, "CANCEL"));
	assert_int_equal(sipedge_calls(edge), 0);
}


static bool c_early(void) { return own.progress == 183; }


/* The callee's 183 carries its answer: media starts before the 200. */
static void test_outbound_early_media(void **state)
{
	struct sipcall_handlers h = { o_estab, o_progress, o_closed, NULL };
	struct sipcall_dial d;
	struct sipcall *sc;
	struct mbuf *sdp;
	char uri[64];
	(void)state;

	peer.callee_scode = 183;
	re_snprintf(uri, sizeof(uri), "sip:200@127.0.0.1:%u",
		    sa_port(&peer.laddr));
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = "sip:4001000100@openseat";

	assert_int_equal(leg_new(&own.leg), 0);
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_early, 3000), 0);
	assert_string_equal(leg_codec(own.leg), "PCMU");
	assert_int_equal(own.nestab, 0);

	assert_int_equal(sdp_make(&sdp, 1, "0", PCMU), 0);
	assert_int_equal(sipsess_answer(peer.in, 200, "OK", sdp, NULL), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_out_estab, 3000), 0);
	assert_int_equal(own.nclosed, 0);
}


static void test_shutdown(void **state)
{
	(void)state;

	call_up(NULL);
	sipedge_shutdown(edge);
	assert_int_equal(own.nclosed, 1);
	assert_int_equal(own.end.side, SIPCALL_LOCAL);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);

	peer_reset();
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_scode, 503);
	assert_int_equal(p_request("OPTIONS", NULL), 503);
}


static void test_contact(void **state)
{
	char *uri = NULL;
	char exp[96];
	(void)state;

	assert_int_equal(str_dup(&edge->public_addr, "203.0.113.5"), 0);
	assert_int_equal(sipedge_contact(&uri, edge, SIP_TRANSP_UDP), 0);
	re_snprintf(exp, sizeof(exp), "sip:openseat@203.0.113.5:%u",
		    edge->port);
	assert_string_equal(uri, exp);
	uri = mem_deref(uri);

	assert_int_equal(sipedge_contact(&uri, edge, SIP_TRANSP_TLS), 0);
	re_snprintf(exp, sizeof(exp),
		    "sip:openseat@203.0.113.5:%u;transport=tls",
		    edge->port + 1);
	assert_string_equal(uri, exp);
	uri = mem_deref(uri);

	edge->public_addr = mem_deref(edge->public_addr);
	assert_int_equal(str_dup(&edge->public_addr, "2001:db8::1"), 0);
	assert_int_equal(sipedge_contact(&uri, edge, SIP_TRANSP_TCP), 0);
	re_snprintf(exp, sizeof(exp),
		    "sip:openseat@[2001:db8::1]:%u;transport=tcp",
		    edge->port);
	assert_string_equal(uri, exp);
	mem_deref(uri);
}


static const char tls_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBhzCCAS2gAwIBAgIUYY53ARFltupqm3cYgAU2qkUL7rEwCgYIKoZIzj0EAwIw\n"
	"GDEWMBQGA1UEAwwNb3BlbnNlYXQtdGVzdDAgFw0yNjExMjUxMDMxMTRaGA8yMTI2\n"
	"MTEwMTEwMzExNFowGDEWMBQGA1UEAwwNb3BlbnNlYXQtdGVzdDBZMBMGByqGSM49\n"
	"AgEGCCqGSM49AwEHA0IABH2JeNGJWwbdgH1gExg2t8++76tdpV+AA4WOR0CAs+Wx\n"
	"Eje0nW2+ifYWBxArXd6w1SThQ60m61zDiOV0kGSqpFujUzBRMB0GA1UdDgQWBBQp\n"
	"r6jr3vsp8/F3t0dkH8fw5BMN+jAfBgNVHSMEGDAWgBQpr6jr3vsp8/F3t0dkH8fw\n"
	"5BMN+jAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDEEgwIS+Vu\n"
	"1zIV7l0f0w8WC5/JVxb58ktrxr43yf9+6AIgPs+HZpzKyM3uqYbBfr953i82G7fV\n"
	"QT3Ln/q4gfSQX70=\n"
	"-----END CERTIFICATE-----\n"
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJNr+qvuEw/M1fhNA\n"
	"pUUGY0cW36mtfaCKrQXHF8EUQ4ihRANCAAR9iXjRiVsG3YB9YBMYNrfPvu+rXaVf\n"
	"gAOFjkdAgLPlsRI3tJ1tvon2FgcQK13esNUk4UOtJutcw4jldJBkqqRb\n"
	"-----END PRIVATE KEY-----\n";


/* TLS on port + 1 with a certificate; the peer does not verify it. */
static void test_tls(void **state)
{
	char path[] = "/tmp/sipedge-tls-XXXXXX";
	struct sipedge_cfg cfg;
	struct tls *tls = NULL;
	struct sa la;
	int fd;
	(void)state;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, tls_pem, sizeof(tls_pem) - 1),
			 (ssize_t)sizeof(tls_pem) - 1);
	close(fd);

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr = "127.0.0.1";
	cfg.tls_cert = path;
	edge = mem_deref(edge);
	assert_int_equal(sipedge_alloc(&edge, &cfg, o_invite, o_count, NULL),
			 0);

	/* the peer serves TLS too: our BYE goes to its Contact */
	assert_int_equal(tls_alloc(&tls, TLS_METHOD_SSLV23, path, NULL), 0);
	unlink(path);
	sa_set_str(&la, "127.0.0.1", 0);
	assert_int_equal(sip_transp_add(peer.sip, SIP_TRANSP_TLS, &la, tls),
			 0);
	mem_deref(tls);

	assert_int_equal(p_request("OPTIONS", ";transport=tls"), 200);
	call_up(";transport=tls");
	sipcall_hangup(own.sc, 0, NULL);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_outbound),
		T(test_outbound_cancel),
		T(test_outbound_early_media),
		T(test_shutdown),
		T(test_contact),
		T(test_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
