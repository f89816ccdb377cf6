/* Unit tests for who hears ticket and announcement events
 * (ws/ws_audience.c) and for ticket workflows (crm/ticket_flow.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include "auth/principal.h"
#include "http/param.h"
#include "ws/ws_audience.h"
#include "crm/ticket_int.h"

#define ME    "11111111-1111-4111-8111-111111111111"
#define OTHER "22222222-2222-4222-8222-222222222222"


static struct principal who(enum role role)
{
	struct principal p;

	memset(&p, 0, sizeof(p));
	p.kind = PRINCIPAL_USER;
	p.role = role;
	strcpy(p.id, ME);
	strcpy(p.tenant_id, OTHER);
	return p;
}


static bool hears(enum role role, const char *type, const char *data)
{
	struct principal p = who(role);
	json_t *d = json_loads(data, 0, NULL);
	bool ok;

	assert_non_null(d);
	ok = ws_audience_ok(&p, type, d);
	json_decref(d);
	return ok;
}


static void test_agent(void **state)
{
	(void)state;
	assert_true(hears(ROLE_AGENT, "ticket.assigned",
			  "{\"recipients\": {\"users\": [\"" OTHER "\", \""
			  ME "\"]}}"));
	assert_false(hears(ROLE_AGENT, "ticket.assigned",
			   "{\"recipients\": {\"users\": [\"" OTHER "\"]}}"));
	assert_false(hears(ROLE_AGENT, "ticket.updated",
			   "{\"recipients\": {\"users\": []}}"));
	assert_true(hears(ROLE_AGENT, "announcement.published",
			  "{\"recipients\": {\"all\": true}}"));
	assert_false(hears(ROLE_AGENT, "announcement.published",
			   "{\"recipients\": {\"all\": false, \"users\": "
			   "[\"" OTHER "\"]}}"));
	/* without recipients no agent hears it: nothing leaks by omission */
	assert_false(hears(ROLE_AGENT, "ticket.created", "{}"));
	assert_false(hears(ROLE_AGENT, "announcement.withdrawn",
			   "{\"recipients\": \"all\"}"));
	assert_false(hears(ROLE_AGENT, "ticket.created",
			   "{\"recipients\": {\"users\": [1, null, {}]}}"));
	/* an id that merely starts like mine is not mine */
	assert_false(hears(ROLE_AGENT, "ticket.created",
			   "{\"recipients\": {\"users\": [\"11111111\"]}}"));
}


static void test_other_topics_and_roles(void **state)
{
	(void)state;
	/* the filter is only about tickets and announcements */
	assert_true(hears(ROLE_AGENT, "agent.state_changed", "{}"));
	assert_true(hears(ROLE_AGENT, "queue.live", "{}"));
	assert_true(hears(ROLE_AGENT, "tickets.x", "{}"));
	/* supervisors and admins hear every ticket and announcement */
	assert_true(hears(ROLE_SUPERVISOR, "ticket.assigned",
			  "{\"recipients\": {\"users\": [\"" OTHER "\"]}}"));
	assert_true(hears(ROLE_ADMIN, "ticket.created", "{}"));
}


static int flow(const char *states, const char *trans,
		struct param_error *e)
{
	json_t *s = json_loads(states, 0, NULL);
	json_t *t = json_loads(trans, 0, NULL);
	int err;

	memset(e, 0, sizeof(*e));
	err = ticket_flow_check(s, t, e);
	json_decref(s);
	json_decref(t);
	return err;
}

#define ST(k, i, f) "{\"key\": \"" k "\", \"label\": \"" k "\"," \
	" \"initial\": " i ", \"final\": " f "}"
#define TR(a, b) "{\"from\": \"" a "\", \"to\": \"" b "\"}"
#define DEMO_S "[" ST("new", "true", "false") "," \
	ST("doing", "false", "false") "," ST("resolved", "false", "false") \
	"," ST("closed", "false", "true") "]"
#define DEMO_T "[" TR("new", "doing") "," TR("doing", "resolved") "," \
	TR("resolved", "closed") "," TR("doing", "new") "]"


static void test_flow_ok(void **state)
{
	struct param_error e;

	(void)state;
	assert_int_equal(flow(DEMO_S, DEMO_T, &e), 0);
}


static void expect(const char *states, const char *trans,
		   const char *field, const char *code, const char *word)
{
	struct param_error e;

	assert_int_equal(flow(states, trans, &e), EINVAL);
	assert_string_equal(e.field, field);
	assert_string_equal(e.code, code);
	if (word)
		assert_non_null(strstr(e.message, word));
}


static void test_flow_bad(void **state)
{
	(void)state;
	expect("[]", "[]", "states", "range", NULL);
	expect("{}", "[]", "states", "type", NULL);
	expect(DEMO_S, "{}", "transitions", "type", NULL);
	expect("[" ST("a", "false", "false") "," ST("z", "false", "true")
	       "]", "[" TR("a", "z") "]", "states", "initial", "none");
	expect("[" ST("a", "true", "false") "," ST("b", "true", "false")
	       "," ST("z", "false", "true") "]", "[" TR("a", "z") "]",
	       "states[1].initial", "initial", "\"a\" and \"b\"");
	expect("[" ST("a", "true", "false") "]", "[]", "states", "final",
	       NULL);
	expect("[" ST("Bad", "true", "false") "]", "[]", "states[0].key",
	       "format", NULL);
	expect("[{\"label\": \"x\"}]", "[]", "states[0].key", "format", NULL);
	expect(DEMO_S, "[" TR("new", "ghost") "]", "transitions[0].to",
	       "not_found", "\"ghost\"");
	expect(DEMO_S, "[" TR("new", "new") "]", "transitions[0].to",
	       "same", NULL);
	expect(DEMO_S, "[{\"to\": \"new\"}]", "transitions[0].from",
	       "not_found", NULL);
	/* resolved has no way on: a ticket would be stuck there */
	expect(DEMO_S, "[" TR("new", "doing") "," TR("doing", "resolved")
	       "," TR("doing", "closed") "]", "states[2]", "dead_end",
	       "\"resolved\"");
	/* doing cannot be reached */
	expect(DEMO_S, "[" TR("new", "closed") "," TR("doing", "closed") ","
	       TR("resolved", "closed") "]", "states[1]", "unreachable",
	       "\"doing\"");
	expect(DEMO_S, "[" TR("new", "doing") "," TR("new", "doing") "]",
	       "transitions[1]", "duplicate", NULL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_other_topics_and_roles),
		cmocka_unit_test(test_flow_ok),
		cmocka_unit_test(test_flow_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
