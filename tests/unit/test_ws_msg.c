/* Unit tests for WebSocket client messages (ws/ws_msg.c), with fake seams. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_tmr.h>
#include <re_main.h>
#include "auth/authn.h"
#include "auth/principal.h"
#include "event/event.h"
#include "ws/ws_int.h"

#define T1 "11111111-1111-4111-8111-111111111111"
#define T2 "22222222-2222-4222-8222-222222222222"
#define MAX_SENT 64

/* What the fakes of ws.c and authn saw. */
static struct {
	char *sent[MAX_SENT];            /**< (own) replies, in order */
	unsigned nsent;
	unsigned next;                   /**< first not yet checked   */
	uint16_t close_code;
	unsigned ncalls_authn;
	authn_h *pending_h;              /**< a held authentication   */
	void *pending_arg;
	struct event *ev;                /**< (ref) last published    */
} fk;


int ws_send(struct ws_client *wsc, char *text, size_t len)
{
	assert_non_null(wsc);
	assert_int_equal(strlen(text), len);
	assert_true(fk.nsent < MAX_SENT);
	fk.sent[fk.nsent++] = text;

	return 0;
}


void ws_client_close(struct ws_client *wsc, uint16_t code,
		     const char *reason)
{
	assert_non_null(reason);
	if (wsc->closing)
		return;
	wsc->closing = true;
	fk.close_code = code;
}


void authn_bearer(struct app *app, const char *authz, authn_h *h,
		  void *arg)
{
	struct principal p;
	const char *tok;

	(void)app;
	++fk.ncalls_authn;
	assert_int_equal(strncmp(authz, "Bearer ", 7), 0);
	tok = authz + 7;

	memset(&p, 0, sizeof(p));
	p.kind = PRINCIPAL_USER;
	str_ncpy(p.id, "u1", sizeof(p.id));
	str_ncpy(p.tenant_id, T1, sizeof(p.tenant_id));

	if (!strcmp(tok, "admin")) {
		p.role = ROLE_ADMIN;
	}
	else if (!strcmp(tok, "supervisor")) {
		p.role = ROLE_SUPERVISOR;
	}
	else if (!strcmp(tok, "operator")) {
		p.kind = PRINCIPAL_OPERATOR;
		p.role = ROLE_OPERATOR;
		p.tenant_id[0] = '\0';
	}
	else if (!strcmp(tok, "pending")) {
		fk.pending_h = h;
		fk.pending_arg = arg;
		return;
	}
	else if (!strcmp(tok, "suspended")) {
		h(EPERM, "tenant_suspended", NULL, arg);
		return;
	}
	else if (!strcmp(tok, "down")) {
		h(EIO, NULL, NULL, arg);
		return;
	}
	else {
		h(EACCES, "unauthorized", NULL, arg);
		return;
	}

	h(0, NULL, &p, arg);
}


static void wsc_destructor(void *arg)
{
	struct ws_client *wsc = arg;

	tmr_cancel(&wsc->auth_tmr);
	mem_deref(wsc->rx);
	mem_deref(wsc->early);
	mem_deref(wsc->authz);
}


static void never(void *arg)
{
	(void)arg;
	fail();
}


static struct ws_client *client(void)
{
	struct ws_client *wsc = mem_zalloc(sizeof(*wsc), wsc_destructor);

	assert_non_null(wsc);
	tmr_init(&wsc->auth_tmr);
	tmr_start(&wsc->auth_tmr, 60000, never, wsc);

	return wsc;
}


static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));

	return 0;
}


static int teardown(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < fk.nsent; i++)
		mem_deref(fk.sent[i]);
	fk.ev = mem_deref(fk.ev);
	memset(&fk, 0, sizeof(fk));

	return 0;
}


static void msg(struct ws_client *wsc, const char *s)
{
	ws_msg_handle(wsc, (const uint8_t *)s, strlen(s));
}


/* The next reply, parsed; the caller json_decref()s it. */
static json_t *reply(void)
{
	json_t *j;

	assert_true(fk.next < fk.nsent);
	j = json_loads(fk.sent[fk.next++], 0, NULL);
	assert_non_null(j);

	return j;
}


static void expect(const char *type, const char *code)
{
	json_t *j = reply();

	assert_string_equal(json_string_value(json_object_get(j, "type")),
			    type);
	if (code)
		assert_string_equal(json_string_value(json_object_get(j,
								      "code")),
				    code);
	json_decref(j);
}


static void expect_raw(const char *text)
{
	assert_true(fk.next < fk.nsent);
	assert_string_equal(fk.sent[fk.next++], text);
}


static void expect_none(void)
{
	assert_int_equal(fk.next, fk.nsent);
}


static void test_auth_ok(void **state)
{
	struct ws_client *wsc = client();
	json_t *j;

	(void)state;
	msg(wsc, "{\"type\":\"auth\",\"token\":\"admin\"}");
	assert_int_equal(wsc->state, WS_AUTHED);
	assert_false(tmr_isrunning(&wsc->auth_tmr));
	assert_string_equal(wsc->principal.tenant_id, T1);

	j = reply();
	assert_string_equal(json_string_value(json_object_get(j, "type")),
			    "auth.ok");
	assert_string_equal(json_string_value(json_object_get(j, "role")),
			    role_name(ROLE_ADMIN));
	assert_int_equal(json_object_size(j), 2);   /* the contract's */
	json_decref(j);
	expect_none();
	assert_false(wsc->closing);

	/* a second auth is refused, the session stays */
	msg(wsc, "{\"type\":\"auth\",\"token\":\"admin\"}");
	expect("error", "already_authenticated");
	assert_int_equal(fk.ncalls_authn, 1);
	assert_false(wsc->closing);

	mem_deref(wsc);
}


static void test_auth_bad_first(void **state)
{
	static const char *bad[] = {
		"{\"type\":\"ping\"}",
		"{\"token\":\"admin\"}",
		"{\"type\":\"auth\"}",
		"{\"type\":\"auth\",\"token\":7}",
		"{\"type\":\"auth\",\"token\":\"\"}",
		"{\"type\":\"auth\",\"token\":null}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ws_client *wsc = client();

		fk.close_code = 0;
		msg(wsc, bad[i]);
		expect("error", "unauthorized");
		assert_int_equal(fk.close_code, WS_CLOSE_UNAUTHORIZED);
		assert_int_equal(wsc->state, WS_AWAIT_AUTH);

		/* input after the refusal is ignored */
		msg(wsc, "{\"type\":\"auth\",\"token\":\"admin\"}");
		expect_none();
		mem_deref(wsc);
	}
	assert_int_equal(fk.ncalls_authn, 0);
}


static void test_auth_token_too_long(void **state)
{
	struct ws_client *wsc = client();
	char *m = NULL;
	char tok[5000];

	(void)state;
	memset(tok, 'a', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	assert_int_equal(re_sdprintf(&m, "{\"type\":\"auth\",\"token\":"
				     "\"%s\"}", tok), 0);
	msg(wsc, m);
	expect("error", "unauthorized");
	assert_int_equal(fk.close_code, WS_CLOSE_UNAUTHORIZED);
	assert_int_equal(fk.ncalls_authn, 0);
	mem_deref(m);
	mem_deref(wsc);
}


static void test_auth_refused(void **state)
{
	static const struct {
		const char *token;
		const char *code;
		uint16_t close;
	} cases[] = {
		{"nope",      "unauthorized",        WS_CLOSE_UNAUTHORIZED},
		{"suspended", "tenant_suspended",    WS_CLOSE_FORBIDDEN},
		{"down",      "service_unavailable", 1011},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ws_client *wsc = client();
		char m[128];

		fk.close_code = 0;
		(void)re_snprintf(m, sizeof(m), "{\"type\":\"auth\","
				  "\"token\":\"%s\"}", cases[i].token);
		msg(wsc, m);
		expect("error", cases[i].code);
		assert_int_equal(fk.close_code, cases[i].close);
		assert_true(wsc->state != WS_AUTHED);
		assert_int_equal(mem_nrefs(wsc), 1);
		mem_deref(wsc);
	}
}


static void test_invalid_json(void **state)
{
	struct ws_client *wsc = client();

	(void)state;
	/* before auth: an error, and the client may still authenticate */
	msg(wsc, "{nope");
	expect("error", "invalid_json");
	assert_false(wsc->closing);
	ws_msg_handle(wsc, (const uint8_t *)"", 0);
	expect("error", "invalid_json");
	msg(wsc, "{\"type\":\"auth\",\"token\":\"admin\"}");
	expect("auth.ok", NULL);

	msg(wsc, "[1,2]");
	expect("error", "invalid_json");
	msg(wsc, "\"ping\"");
	expect("error", "invalid_json");
	msg(wsc, "{\"type\":\"ping\",\"type\":\"ping\"}");
	expect("error", "invalid_json");
	msg(wsc, "{\"type\":\"frob\"}");
	expect("error", "unknown_type");
	msg(wsc, "{\"type\":5}");
	expect("error", "unknown_type");
	msg(wsc, "{}");
	expect("error", "unknown_type");
	msg(wsc, "{\"type\":\"ping\"}");
	expect_raw("{\"type\":\"pong\"}");
	expect_none();
	assert_false(wsc->closing);

	mem_deref(wsc);
}


static void test_subscribe(void **state)
{
	struct ws_client *wsc = client();
	json_t *j;

	(void)state;
	msg(wsc, "{\"type\":\"auth\",\"token\":\"supervisor\"}");
	expect("auth.ok", NULL);

	msg(wsc, "{\"type\":\"subscribe\",\"topics\":[\"user\",\"tenant\","
	    "\"no such\"]}");
	j = reply();
	assert_string_equal(json_string_value(json_object_get(j, "code")),
			    "forbidden");
	assert_string_equal(json_string_value(json_object_get(j, "topic")),
			    "tenant");
	json_decref(j);
	expect("error", "forbidden");
	expect_raw("{\"type\":\"subscribed\",\"topics\":[\"user\"]}");

	/* again, plus a narrower one: no duplicates */
	msg(wsc, "{\"type\":\"subscribe\",\"topics\":[\"user\","
	    "\"user.created\"]}");
	expect_raw("{\"type\":\"subscribed\",\"topics\":[\"user\","
		   "\"user.created\"]}");

	msg(wsc, "{\"type\":\"unsubscribe\",\"topics\":[\"user\","
	    "\"tenant\"]}");
	expect_raw("{\"type\":\"subscribed\",\"topics\":[\"user.created\"]}");
	assert_int_equal(wsc->ntopics, 1);
	expect_none();
	assert_false(wsc->closing);

	mem_deref(wsc);
}


static void test_subscribe_bad(void **state)
{
	static const char *bad[] = {
		"{\"type\":\"subscribe\"}",
		"{\"type\":\"subscribe\",\"topics\":\"user\"}",
		"{\"type\":\"subscribe\",\"topics\":[]}",
		"{\"type\":\"subscribe\",\"topics\":[1]}",
		"{\"type\":\"subscribe\",\"topics\":[\"user\",null]}",
		"{\"type\":\"subscribe\",\"topics\":[\"a\",\"a\",\"a\",\"a\","
		"\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
		"\"a\",\"a\",\"a\"]}",
		"{\"type\":\"unsubscribe\",\"topics\":{}}",
	};
	struct ws_client *wsc = client();
	size_t i;

	(void)state;
	msg(wsc, "{\"type\":\"auth\",\"token\":\"admin\"}");
	expect("auth.ok", NULL);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		msg(wsc, bad[i]);
		expect("error", "validation_failed");
	}
	assert_int_equal(wsc->ntopics, 0);
	expect_none();
	assert_false(wsc->closing);

	mem_deref(wsc);
}


/* Messages sent right after auth wait for it, then run in order. */
static void test_early_messages(void **state)
{
	struct ws_client *wsc = client();
	struct principal p;

	(void)state;
	msg(wsc, "{\"type\":\"auth\",\"token\":\"pending\"}");
	assert_int_equal(wsc->state, WS_AUTHING);
	assert_non_null(fk.pending_h);
	assert_int_equal(mem_nrefs(wsc), 2);

	msg(wsc, "{\"type\":\"subscribe\",\"topics\":[\"user\"]}");
	msg(wsc, "{\"type\":\"ping\"}");
	msg(wsc, "{bad");
	expect_none();

	memset(&p, 0, sizeof(p));
	p.kind = PRINCIPAL_API_KEY;
	p.role = ROLE_SUPERVISOR;
	str_ncpy(p.tenant_id, T2, sizeof(p.tenant_id));
	fk.pending_h(0, NULL, &p, fk.pending_arg);

	expect("auth.ok", NULL);
	expect_raw("{\"type\":\"subscribed\",\"topics\":[\"user\"]}");
	expect_raw("{\"type\":\"pong\"}");
	expect("error", "invalid_json");
	expect_none();
	assert_null(wsc->early);
	assert_int_equal(mem_nrefs(wsc), 1);

	mem_deref(wsc);
}


static void test_early_overflow(void **state)
{
	struct ws_client *wsc = client();
	unsigned i;

	(void)state;
	msg(wsc, "{\"type\":\"auth\",\"token\":\"pending\"}");
	for (i = 0; i < WS_MAX_EARLY; i++)
		msg(wsc, "{\"type\":\"ping\"}");
	assert_false(wsc->closing);
	msg(wsc, "{\"type\":\"ping\"}");
	assert_true(wsc->closing);
	assert_int_equal(fk.close_code, 1008);

	/* the authentication ends later: nothing is sent any more */
	fk.pending_h(EACCES, "unauthorized", NULL, fk.pending_arg);
	expect_none();
	assert_int_equal(mem_nrefs(wsc), 1);
	mem_deref(wsc);
}


/* The connection went away while authn ran: the late answer is dropped. */
static void test_closed_during_auth(void **state)
{
	struct ws_client *wsc = client();
	struct principal p;

	(void)state;
	msg(wsc, "{\"type\":\"auth\",\"token\":\"pending\"}");
	msg(wsc, "{\"type\":\"ping\"}");

	wsc->closed = true;           /* what ws_client_closed() sets */
	mem_deref(wsc);               /* the lws callback's reference */

	memset(&p, 0, sizeof(p));
	p.role = ROLE_ADMIN;
	fk.pending_h(0, NULL, &p, fk.pending_arg);   /* frees wsc */
	expect_none();
}


static void keep_h(const struct event *ev, void *arg)
{
	(void)arg;
	mem_deref(fk.ev);
	fk.ev = event_ref(ev);
}


static const struct event *publish(const char *tenant, const char *type)
{
	assert_int_equal(event_publish(tenant, type, json_object()), 0);
	assert_non_null(fk.ev);

	return fk.ev;
}


static void test_wants(void **state)
{
	struct ws_client *adm = client(), *sup = client(), *op = client();

	(void)state;
	assert_int_equal(event_subscribe(keep_h, NULL), 0);

	msg(adm, "{\"type\":\"auth\",\"token\":\"admin\"}");
	msg(sup, "{\"type\":\"auth\",\"token\":\"supervisor\"}");

	/* authenticated but not subscribed: nothing */
	assert_false(ws_wants(adm, publish(T1, "user.created")));

	msg(adm, "{\"type\":\"subscribe\",\"topics\":[\"*\"]}");
	msg(sup, "{\"type\":\"subscribe\",\"topics\":[\"user\"]}");
	msg(op, "{\"type\":\"auth\",\"token\":\"operator\"}");
	msg(op, "{\"type\":\"subscribe\",\"topics\":[\"tenant\"]}");
	assert_false(ws_wants(op, publish(T1, "user.created")));

	assert_true(ws_wants(adm, publish(T1, "user.created")));
	assert_true(ws_wants(sup, fk.ev));
	assert_true(ws_wants(adm, publish(T1, "api_key.revoked")));
	assert_false(ws_wants(sup, fk.ev));     /* not his role's topic */
	assert_true(ws_wants(adm, publish(T1, "tenant.updated")));
	assert_false(ws_wants(sup, fk.ev));
	assert_true(ws_wants(op, fk.ev));

	/* another tenant's events reach only the operator */
	assert_false(ws_wants(adm, publish(T2, "user.created")));
	assert_false(ws_wants(sup, fk.ev));
	assert_true(ws_wants(op, publish(T2, "tenant.updated")));
	assert_false(ws_wants(adm, fk.ev));
	assert_false(ws_wants(adm, publish(NULL, "tenant.updated")));
	assert_true(ws_wants(op, fk.ev));

	/* a topic outside every table: nobody */
	assert_false(ws_wants(adm, publish(T1, "unknown.created")));

	/* a closing client gets nothing more */
	adm->closing = true;
	assert_false(ws_wants(adm, publish(T1, "user.created")));

	event_unsubscribe(keep_h, NULL);
	mem_deref(adm);
	mem_deref(sup);
	mem_deref(op);
}


#define WS_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WS_TEST(test_auth_ok),
		WS_TEST(test_auth_bad_first),
		WS_TEST(test_auth_token_too_long),
		WS_TEST(test_auth_refused),
		WS_TEST(test_invalid_json),
		WS_TEST(test_subscribe),
		WS_TEST(test_subscribe_bad),
		WS_TEST(test_early_messages),
		WS_TEST(test_early_overflow),
		WS_TEST(test_closed_during_auth),
		WS_TEST(test_wants),
	};
	int r;

	if (libre_init())
		return 1;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return r;
}
