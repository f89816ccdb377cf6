/* Unit tests for the event bus (event/event.c). */
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
#include "event/event.h"

#define TENANT "7d1f3a52-6f0e-4a57-9a0b-2f4b1c0de001"

struct rec {
	unsigned n;
	struct event *last;              /**< (ref) */
	const char *json;                /**< (borrowed) during dispatch */
	event_h *unsub_h;                /**< unsubscribe this on call   */
	void *unsub_arg;
	bool republish;
};


static void rec_reset(struct rec *r)
{
	r->last = mem_deref(r->last);
	memset(r, 0, sizeof(*r));
}


static void rec_h(const struct event *ev, void *arg)
{
	struct rec *r = arg;

	++r->n;
	mem_deref(r->last);
	r->last = event_ref(ev);
	r->json = event_json(ev);

	if (r->unsub_h) {
		event_unsubscribe(r->unsub_h, r->unsub_arg);
		r->unsub_h = NULL;
	}

	if (r->republish) {
		r->republish = false;
		assert_int_equal(event_publish(TENANT, "user.updated",
					       json_object()), 0);
	}
}


static void other_h(const struct event *ev, void *arg)
{
	rec_h(ev, arg);
}


static void test_publish_no_sink(void **state)
{
	(void)state;
	assert_int_equal(event_publish(TENANT, "user.created",
				       json_object()), 0);
	assert_int_equal(event_publish(NULL, "tenant.updated",
				       json_object()), 0);
}


static void assert_uuid_v4(const char *s)
{
	size_t i;

	assert_int_equal(strlen(s), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(s[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", s[i]));
	}
	assert_int_equal(s[14], '4');
	assert_non_null(strchr("89ab", s[19]));
}


static void assert_ts(const char *s)
{
	unsigned y, mo, d, h, mi, sec, ms;
	char z = 0;

	assert_int_equal(strlen(s), 24);
	assert_int_equal(sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u.%3u%c", &y, &mo,
				&d, &h, &mi, &sec, &ms, &z), 8);
	assert_int_equal(z, 'Z');
	assert_true(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
	assert_true(h < 24 && mi < 60 && sec < 61 && ms < 1000);
}


static void test_envelope(void **state)
{
	struct rec r = {0};
	json_t *data, *env;
	const char *js;

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &r), 0);

	data = json_pack("{s:s, s:i}", "username", "张三", "n", 7);
	assert_non_null(data);
	json_incref(data);   /* keep one to check the bus gives its back */
	assert_int_equal(event_publish(TENANT, "user.created", data), 0);
	assert_int_equal(r.n, 1);

	assert_string_equal(event_type(r.last), "user.created");
	assert_string_equal(event_tenant(r.last), TENANT);
	assert_uuid_v4(event_id(r.last));
	assert_ts(event_ts(r.last));
	assert_ptr_equal(event_data(r.last), data);

	js = event_json(r.last);
	assert_int_equal(event_json_len(r.last), strlen(js));
	env = json_loads(js, 0, NULL);
	assert_non_null(env);
	assert_int_equal(json_object_size(env), 5);
	assert_string_equal(json_string_value(json_object_get(env, "type")),
			    "user.created");
	assert_string_equal(json_string_value(json_object_get(env, "id")),
			    event_id(r.last));
	assert_string_equal(json_string_value(json_object_get(env, "ts")),
			    event_ts(r.last));
	assert_string_equal(json_string_value(json_object_get(env,
							      "tenant")),
			    TENANT);
	assert_true(json_equal(json_object_get(env, "data"), data));
	json_decref(env);

	/* the event (held by r) holds the other reference */
	assert_int_equal(data->refcount, 2);
	rec_reset(&r);
	assert_int_equal(data->refcount, 1);
	json_decref(data);

	event_unsubscribe(rec_h, &r);
}


/* An event whose id and time the database gave out with its change. */
static void test_create_as(void **state)
{
	static const char id[] = "0b8e4c1a-5d7f-4e2b-9c3a-6f1d2e3a4b5c";
	static const char ts[] = "2026-12-06T10:40:00.123Z";
	struct rec r = {0};
	struct event *ev = NULL;
	json_t *env;

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &r), 0);
	assert_int_equal(event_create_as(&ev, TENANT, "ticket.created",
					 json_object(), id, ts), 0);
	event_set_outboxed(ev);
	event_dispatch(ev);
	assert_int_equal(r.n, 1);
	assert_string_equal(event_id(r.last), id);
	assert_string_equal(event_ts(r.last), ts);
	assert_true(event_outboxed(r.last));
	env = json_loads(event_json(r.last), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(env, "id")),
			    id);
	assert_string_equal(json_string_value(json_object_get(env, "ts")), ts);
	json_decref(env);
	mem_deref(ev);

	/* an id or time that is no such thing, a bad type: refused */
	ev = NULL;
	assert_int_equal(event_create_as(&ev, TENANT, "ticket.created",
					 json_object(), "x", ts), EINVAL);
	assert_int_equal(event_create_as(&ev, TENANT, "ticket.created",
					 json_object(), id, NULL), EINVAL);
	assert_int_equal(event_create_as(&ev, TENANT, "ticket.created",
					 json_object(), id, "2026-12-06T10:40:"
					 "00.123456789+08:00"), EINVAL);
	assert_int_equal(event_create_as(&ev, TENANT, "Ticket!",
					 json_object(), id, ts), EINVAL);
	assert_null(ev);

	rec_reset(&r);
	event_unsubscribe(rec_h, &r);
}


static void test_no_tenant(void **state)
{
	struct rec r = {0};
	json_t *env;

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &r), 0);
	assert_int_equal(event_publish("", "tenant.updated", json_object()),
			 0);
	assert_null(event_tenant(r.last));
	env = json_loads(event_json(r.last), 0, NULL);
	assert_non_null(env);
	assert_true(json_is_null(json_object_get(env, "tenant")));
	assert_true(json_is_object(json_object_get(env, "data")));
	json_decref(env);

	event_unsubscribe(rec_h, &r);
	rec_reset(&r);
}


/* Every sink sees the very same serialized text. */
static void test_serialized_once(void **state)
{
	struct rec a = {0}, b = {0};

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &a), 0);
	assert_int_equal(event_subscribe(rec_h, &b), 0);
	assert_int_equal(event_publish(TENANT, "api_key.created",
				       json_object()), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 1);
	assert_ptr_equal(a.last, b.last);
	assert_ptr_equal(a.json, b.json);

	event_unsubscribe(rec_h, &a);
	event_unsubscribe(rec_h, &b);
	rec_reset(&a);
	rec_reset(&b);
}


static void test_bad_input(void **state)
{
	static const char *bad_types[] = {
		"", ".user", "user.", "user..created", "User.created",
		"user created", "user/created", "*",
		"a123456789012345678901234567890123456789012345678901234567890"
		"123",
	};
	struct rec r = {0};
	char long_tenant[80];
	size_t i;

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &r), 0);

	/* each takes the data reference even when refused: ASan counts */
	for (i = 0; i < ARRAY_SIZE(bad_types); i++)
		assert_int_equal(event_publish(TENANT, bad_types[i],
					       json_object()), EINVAL);
	assert_int_equal(event_publish(TENANT, NULL, json_object()), EINVAL);
	assert_int_equal(event_publish(TENANT, "user.created", NULL),
			 EINVAL);

	memset(long_tenant, 'a', sizeof(long_tenant) - 1);
	long_tenant[sizeof(long_tenant) - 1] = '\0';
	assert_int_equal(event_publish(long_tenant, "user.created",
				       json_object()), EINVAL);

	assert_int_equal(r.n, 0);
	assert_int_equal(event_subscribe(NULL, &r), EINVAL);
	assert_int_equal(event_subscribe(rec_h, &r), EALREADY);

	event_unsubscribe(rec_h, &r);
	event_unsubscribe(rec_h, &r);          /* twice: nothing happens */
	event_unsubscribe(other_h, NULL);      /* never registered */
	assert_int_equal(event_publish(TENANT, "user.created",
				       json_object()), 0);
	assert_int_equal(r.n, 0);
	assert_null(event_type(NULL));
	assert_int_equal(event_json_len(NULL), 0);
}


static void test_order_and_unsubscribe(void **state)
{
	struct rec a = {0}, b = {0};

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &a), 0);
	assert_int_equal(event_subscribe(other_h, &b), 0);
	assert_int_equal(event_publish(TENANT, "user.deleted",
				       json_object()), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 1);

	event_unsubscribe(rec_h, &a);
	assert_int_equal(event_publish(TENANT, "user.deleted",
				       json_object()), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 2);

	/* the same handler with another arg is another sink */
	assert_int_equal(event_subscribe(other_h, &a), 0);
	assert_int_equal(event_publish(TENANT, "user.deleted",
				       json_object()), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 3);

	event_unsubscribe(other_h, &a);
	event_unsubscribe(other_h, &b);
	rec_reset(&a);
	rec_reset(&b);
}


/* A sink removing a later sink during dispatch: the later one is skipped
 * and freed afterwards (ASan reports a leak or use after free if not). */
static void test_unsubscribe_in_dispatch(void **state)
{
	struct rec a = {0}, b = {0}, c = {0};

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &a), 0);
	assert_int_equal(event_subscribe(rec_h, &b), 0);
	assert_int_equal(event_subscribe(rec_h, &c), 0);

	a.unsub_h = rec_h;
	a.unsub_arg = &b;
	b.unsub_h = NULL;
	assert_int_equal(event_publish(TENANT, "user.updated",
				       json_object()), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 0);
	assert_int_equal(c.n, 1);

	/* a sink removing itself */
	c.unsub_h = rec_h;
	c.unsub_arg = &c;
	assert_int_equal(event_publish(TENANT, "user.updated",
				       json_object()), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(event_publish(TENANT, "user.updated",
				       json_object()), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(c.n, 2);

	/* b may subscribe again after its removal was swept */
	assert_int_equal(event_subscribe(rec_h, &b), 0);
	event_unsubscribe(rec_h, &a);
	event_unsubscribe(rec_h, &b);
	rec_reset(&a);
	rec_reset(&b);
	rec_reset(&c);
}


/* A sink publishing from inside its handler (nested dispatch). */
static void test_nested_publish(void **state)
{
	struct rec a = {0}, b = {0};

	(void)state;
	assert_int_equal(event_subscribe(rec_h, &a), 0);
	assert_int_equal(event_subscribe(rec_h, &b), 0);
	a.republish = true;
	b.unsub_h = rec_h;     /* b leaves during the nested dispatch */
	b.unsub_arg = &b;

	assert_int_equal(event_publish(TENANT, "user.created",
				       json_object()), 0);
	/* a: outer + nested; b: nested only, then gone for the outer */
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 1);
	assert_string_equal(event_type(a.last), "user.updated");
	assert_string_equal(event_type(b.last), "user.updated");

	event_unsubscribe(rec_h, &a);
	rec_reset(&a);
	rec_reset(&b);
}


static void test_topic_match(void **state)
{
	(void)state;
	assert_true(event_topic_match("user.created", "user"));
	assert_true(event_topic_match("user.created", "user.created"));
	assert_true(event_topic_match("user.created", "*"));
	assert_true(event_topic_match("user", "user"));
	assert_false(event_topic_match("user.created", "use"));
	assert_false(event_topic_match("username.set", "user"));
	assert_false(event_topic_match("user.created", "user.deleted"));
	assert_false(event_topic_match("user.created", "user.created.x"));
	assert_false(event_topic_match("user.created", "tenant"));
	assert_false(event_topic_match("user.created", ""));
	assert_false(event_topic_match(NULL, "user"));
	assert_false(event_topic_match("user.created", NULL));
}


static void test_topic_allowed(void **state)
{
	(void)state;
	assert_false(event_topic_allowed(ROLE_AGENT, "user"));
	assert_false(event_topic_allowed(ROLE_AGENT, "tenant"));
	/* agents see agent states and queues (their wallboard), no more */
	assert_true(event_topic_allowed(ROLE_AGENT, "agent.state_changed"));
	assert_true(event_topic_allowed(ROLE_AGENT, "queue"));
	assert_true(event_topic_allowed(ROLE_AGENT, "*"));
	assert_false(event_topic_allowed(ROLE_AGENT, "survey"));
	assert_false(event_topic_allowed(ROLE_AGENT, "voicemail"));

	assert_true(event_topic_allowed(ROLE_SUPERVISOR, "user"));
	assert_true(event_topic_allowed(ROLE_SUPERVISOR, "call.ended"));
	assert_true(event_topic_allowed(ROLE_SUPERVISOR, "voicemail"));
	assert_false(event_topic_allowed(ROLE_SUPERVISOR, "api_key"));
	assert_false(event_topic_allowed(ROLE_AGENT, "call"));
	assert_true(event_topic_allowed(ROLE_SUPERVISOR, "user.created"));
	assert_true(event_topic_allowed(ROLE_SUPERVISOR, "*"));
	assert_false(event_topic_allowed(ROLE_SUPERVISOR, "tenant"));
	assert_false(event_topic_allowed(ROLE_SUPERVISOR, "api_key"));

	assert_true(event_topic_allowed(ROLE_ADMIN, "user"));
	assert_true(event_topic_allowed(ROLE_ADMIN, "tenant.updated"));
	assert_true(event_topic_allowed(ROLE_ADMIN, "api_key"));
	assert_true(event_topic_allowed(ROLE_ADMIN, "call"));
	assert_true(event_topic_allowed(ROLE_ADMIN, "survey.completed"));
	assert_false(event_topic_allowed(ROLE_ADMIN, "unknown"));

	assert_true(event_topic_allowed(ROLE_OPERATOR, "tenant"));
	assert_false(event_topic_allowed(ROLE_OPERATOR, "user"));

	assert_false(event_topic_allowed(ROLE_NONE, "user"));
	assert_false(event_topic_allowed(ROLE_ADMIN, "users"));
	assert_false(event_topic_allowed(ROLE_ADMIN, "User"));
	assert_false(event_topic_allowed(ROLE_ADMIN, ""));
	assert_false(event_topic_allowed(ROLE_ADMIN, NULL));
	assert_false(event_topic_allowed(ROLE_ADMIN, "user."));

	assert_true(event_topic_valid("*"));
	assert_true(event_topic_valid("api_key.revoked"));
	assert_false(event_topic_valid("a b"));
	assert_false(event_topic_valid("**"));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_no_sink),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_create_as),
		cmocka_unit_test(test_no_tenant),
		cmocka_unit_test(test_serialized_once),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_order_and_unsubscribe),
		cmocka_unit_test(test_unsubscribe_in_dispatch),
		cmocka_unit_test(test_nested_publish),
		cmocka_unit_test(test_topic_match),
		cmocka_unit_test(test_topic_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
