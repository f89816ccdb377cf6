/* Unit tests for the screen pop's templates and mapping (screenpop_map.c):
 * what a tenant may store, and what a CRM's answer becomes. */
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
#include "crm/screenpop.h"

static const struct screenpop_call call = {
	"t", "0f6e1c2a-1b2c-4d5e-8f90-123456789abc", "+86 138/0013&x=1#",
	"4001000500",
};


static void expand_is(const char *tmpl, const char *want)
{
	struct mbuf *mb = mbuf_alloc(64);
	char *s = NULL;

	assert_int_equal(screenpop_expand(mb, tmpl, &call), 0);
	mb->pos = 0;
	assert_int_equal(mbuf_strdup(mb, &s, mb->end), 0);
	assert_string_equal(s, want);
	mem_deref(s);
	mem_deref(mb);
}


static void test_expand(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);

	(void)state;
	/* a number cannot add a path, a query, a fragment or a space */
	expand_is("https://crm/x?tel={caller}&to={called}",
		  "https://crm/x?tel=%2B86%20138%2F0013%26x%3D1%23"
		  "&to=4001000500");
	expand_is("http://crm/c/{call_id}",
		  "http://crm/c/0f6e1c2a-1b2c-4d5e-8f90-123456789abc");
	expand_is("http://crm/none", "http://crm/none");

	assert_int_equal(screenpop_expand(mb, "http://crm/{phone}", &call),
			 EINVAL);
	assert_int_equal(screenpop_expand(mb, "http://crm/{caller", &call),
			 EINVAL);
	assert_int_equal(screenpop_expand(mb, "http://crm/{}", &call),
			 EINVAL);
	assert_int_equal(screenpop_expand(NULL, "x", &call), EINVAL);
	mem_deref(mb);
}


static void test_template(void **state)
{
	static const char *const bad[] = {
		"", "crm.example.com/{caller}", "ftp://crm/{caller}",
		"javascript:alert(1)", "http://", "http:///x",
		"http://{caller}.crm/x", "http://crm{caller}/x",
		"https://crm/a b", "https://crm/a\r\nHost: x",
		"https://crm/{callerx}", "https://crm/{caller",
		"https://crm/{ caller }",
	};
	static const char *const ok[] = {
		"http://crm/x", "https://crm.example.com:8443/c?p={caller}",
		"https://crm/{caller}/{called}/{call_id}",
		"http://10.0.0.5/pop#tel={caller}",
	};
	char why[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		assert_false(screenpop_template_ok(bad[i], why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		assert_true(screenpop_template_ok(ok[i], why, sizeof(why)));
	assert_false(screenpop_template_ok(NULL, why, sizeof(why)));
}


/* The lookup URL must also be one the outgoing client will request, so a
 * saved setting does not fail only when a call comes */
static void test_fetch_url(void **state)
{
	static const char *const bad[] = {
		"http://crm_server/x?c={caller}", "http://user@crm/x",
		"http://10.0.0.5/pop#tel={caller}", "ftp://crm/{caller}",
		"http://crm:99999/x", "https://crm/{callerx}",
	};
	static const char *const ok[] = {
		"https://crm.example.com:8443/c?p={caller}",
		"http://127.0.0.1:8080/lookup/{caller}?d={called}",
		"http://[::1]:8080/x/{call_id}",
	};
	char why[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		assert_false(screenpop_fetch_url_ok(bad[i], why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		assert_true(screenpop_fetch_url_ok(ok[i], why, sizeof(why)));
	/* a page URL may keep what the browser understands */
	assert_true(screenpop_template_ok("http://10.0.0.5/pop#tel={caller}",
					  why, sizeof(why)));
}


static bool mapping_ok(const char *json, const char *want_field)
{
	char field[64] = "", why[160] = "";
	json_t *m = json_loads(json, 0, NULL);
	bool ok;

	assert_non_null(m);
	ok = screenpop_mapping_ok(m, field, sizeof(field), why, sizeof(why));
	if (!ok) {
		assert_string_equal(field, want_field);
		assert_true(why[0] != '\0');
	}
	json_decref(m);

	return ok;
}


static void test_mapping_check(void **state)
{
	(void)state;
	assert_true(mapping_ok("{}", ""));
	assert_true(mapping_ok("{\"name\": \"/a/b\", \"company\": \"\","
			       " \"tags\": \"/t\", \"level\": \"/l\", \"url\":"
			       " \"/u\", \"extra\": [{\"label\": \"余额\","
			       " \"pointer\": \"/b\"}]}", ""));
	assert_false(mapping_ok("{\"name\": \"a/b\"}", "mapping.name"));
	assert_false(mapping_ok("{\"name\": 3}", "mapping.name"));
	assert_false(mapping_ok("{\"phone\": \"/p\"}", "mapping.phone"));
	assert_false(mapping_ok("{\"extra\": {}}", "mapping.extra"));
	assert_false(mapping_ok("{\"extra\": [{\"label\": \"\", \"pointer\":"
				" \"/a\"}]}", "mapping.extra"));
	assert_false(mapping_ok("{\"extra\": [{\"label\": \"x\"}]}",
				"mapping.extra"));
	assert_false(mapping_ok("{\"extra\": [{\"label\": \"x\", \"pointer\":"
				" \"/a\", \"more\": 1}]}", "mapping.extra"));
	assert_false(mapping_ok("{\"extra\": [1,1,1,1,1,1,1,1,1,1,1]}",
				"mapping.extra"));
}


static void test_pointer(void **state)
{
	json_t *d = json_loads("{\"a\": {\"b/c\": 1, \"m~n\": 2, \"l\":"
			       " [10, 20]}, \"\": 3}", 0, NULL);

	(void)state;
	assert_ptr_equal(screenpop_pointer(d, ""), d);
	assert_int_equal(json_integer_value(screenpop_pointer(d,
						"/a/b~1c")), 1);
	assert_int_equal(json_integer_value(screenpop_pointer(d,
						"/a/m~0n")), 2);
	assert_int_equal(json_integer_value(screenpop_pointer(d,
						"/a/l/1")), 20);
	assert_int_equal(json_integer_value(screenpop_pointer(d, "/")), 3);
	assert_null(screenpop_pointer(d, "/a/l/2"));
	assert_null(screenpop_pointer(d, "/a/l/x"));
	assert_null(screenpop_pointer(d, "/a/l/"));
	assert_null(screenpop_pointer(d, "/a/l/-1"));
	assert_null(screenpop_pointer(d, "/a/b~1c/deeper"));
	assert_null(screenpop_pointer(d, "a"));
	assert_null(screenpop_pointer(d, NULL));
	assert_null(screenpop_pointer(NULL, "/a"));
	json_decref(d);
}


static void test_map(void **state)
{
	json_t *map = json_loads("{\"name\": \"/d/n\", \"company\": \"/d/c\","
				 " \"tags\": \"/d/t\", \"level\": \"/d/l\","
				 " \"extra\": [{\"label\": \"bal\","
				 " \"pointer\": \"/bal\"}, {\"label\": \"no\","
				 " \"pointer\": \"/none\"}]}", 0, NULL);
	json_t *ans = json_loads("{\"d\": {\"n\": \"Li\", \"c\": {\"x\": 1},"
				 " \"t\": [\"VIP\", 3, null, true],"
				 " \"l\": 2.5}, \"bal\": 12}", 0, NULL);
	json_t *empty = json_loads("{\"d\": {\"n\": \"\", \"t\": \"one\"}}", 0,
				   NULL);
	bool found = false;
	json_t *c;
	char *s;

	(void)state;
	c = screenpop_map(map, ans, &found);
	assert_true(found);
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	/* an object is no text: company left out; null dropped from tags */
	assert_string_equal(s, "{\"extra\":[{\"label\":\"bal\",\"value\":"
			    "\"12\"}],\"level\":\"2.5\",\"name\":\"Li\","
			    "\"tags\":[\"VIP\",\"3\",\"true\"]}");
	free(s);
	json_decref(c);

	/* an empty name is no customer; one string is one tag */
	c = screenpop_map(map, empty, &found);
	assert_false(found);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(c, "tags"), 0)), "one");
	json_decref(c);

	json_decref(map);
	json_decref(ans);
	json_decref(empty);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_fetch_url),
		cmocka_unit_test(test_mapping_check),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
