/* Unit tests for JSON body validation tables (http/param.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "http/param.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const roles[] = {"admin", "supervisor", "agent", NULL};

static const struct param table[] = {
	{"name",    PARAM_STRING, true,  1, 5,    NULL,  false},
	{"count",   PARAM_INT,    false, 0, 100,  NULL,  false},
	{"on",      PARAM_BOOL,   false, 0, 0,    NULL,  false},
	{"role",    PARAM_ENUM,   false, 0, 0,    roles, false},
	{"ref",     PARAM_UUID,   false, 0, 0,    NULL,  true},
	{"opts",    PARAM_OBJECT, false, 0, 0,    NULL,  false},
	{"tags",    PARAM_ARRAY,  false, 0, 3,    NULL,  false},
	{"email",   PARAM_EMAIL,  false, 0, 254,  NULL,  true},
	{"note",    PARAM_STRING, false, 0, 0,    NULL,  false},
};

static struct param_error errv[8];
static size_t errc;


static int run(const char *text, bool allow_unknown)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &jerr);
	int err;

	if (!j)
		fail_msg("bad test JSON %s: %s", text, jerr.text);

	memset(errv, 0, sizeof(errv));
	errc = 99;
	err = param_validate(j, table, N(table), allow_unknown, errv,
			     N(errv), &errc);
	json_decref(j);

	return err;
}


/* Exactly one error, on field with code. */
static void expect1(const char *text, const char *field, const char *code)
{
	int err = run(text, false);

	if (err != EINVAL || errc != 1 || strcmp(errv[0].field, field) ||
	    strcmp(errv[0].code, code))
		fail_msg("%s: got err=%d errc=%zu field=%s code=%s (%s), "
			 "want %s/%s", text, err, errc, errv[0].field,
			 errv[0].code, errv[0].message, field, code);
	assert_true(strlen(errv[0].message) > 0);
}


static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(run("{\"name\":\"ab\"}", false), 0);
	assert_int_equal(errc, 0);

	assert_int_equal(run("{\"name\":\"abcde\",\"count\":100,\"on\":true,"
			     "\"role\":\"agent\",\"ref\":"
			     "\"3f2a0c1e-9b7d-4c55-8a1e-0123456789AB\","
			     "\"opts\":{\"x\":1},\"tags\":[1,2,3],"
			     "\"email\":\"a.b+c@example.co.uk\","
			     "\"note\":\"tab\\tand\\nnewline\"}", false), 0);
	assert_int_equal(errc, 0);

	/* nullable fields take null */
	assert_int_equal(run("{\"name\":\"a\",\"ref\":null,\"email\":null}",
			     false), 0);

	/* five Chinese characters are five characters, not 15 bytes */
	assert_int_equal(run("{\"name\":\"\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8"
			     "\x96\xe7\x95\x8c\xe5\x95\x8a\"}", false), 0);
	/* an emoji outside the BMP is one character */
	assert_int_equal(run("{\"name\":\"\\ud83d\\ude00\"}", false), 0);
}


static void test_required_and_unknown(void **state)
{
	(void)state;
	expect1("{}", "name", "required");
	expect1("{\"name\":null}", "name", "required");
	expect1("{\"name\":\"a\",\"bogus\":1}", "bogus", "unknown");
	assert_int_equal(run("{\"name\":\"a\",\"bogus\":1}", true), 0);
	expect1("{\"name\":\"a\",\"count\":null}", "count", "type");

	/* several errors at once, in table order then unknown */
	assert_int_equal(run("{\"count\":\"1\",\"x\":1}", false), EINVAL);
	assert_int_equal(errc, 3);
	assert_string_equal(errv[0].field, "name");
	assert_string_equal(errv[1].field, "count");
	assert_string_equal(errv[2].field, "x");
}


static void test_types(void **state)
{
	(void)state;
	expect1("{\"name\":5}", "name", "type");
	expect1("{\"name\":[\"a\"]}", "name", "type");
	expect1("{\"name\":\"a\",\"count\":\"5\"}", "count", "type");
	expect1("{\"name\":\"a\",\"count\":1.5}", "count", "type");
	expect1("{\"name\":\"a\",\"count\":2.0}", "count", "type");
	expect1("{\"name\":\"a\",\"count\":1e300}", "count", "type");
	expect1("{\"name\":\"a\",\"count\":true}", "count", "type");
	expect1("{\"name\":\"a\",\"on\":1}", "on", "type");
	expect1("{\"name\":\"a\",\"on\":\"true\"}", "on", "type");
	expect1("{\"name\":\"a\",\"role\":1}", "role", "type");
	expect1("{\"name\":\"a\",\"ref\":123}", "ref", "type");
	expect1("{\"name\":\"a\",\"opts\":[]}", "opts", "type");
	expect1("{\"name\":\"a\",\"opts\":\"{}\"}", "opts", "type");
	expect1("{\"name\":\"a\",\"tags\":{}}", "tags", "type");
	expect1("{\"name\":\"a\",\"email\":{\"a\":1}}", "email", "type");
	assert_string_equal(errv[0].message, "must be a string");
}


static void test_ranges(void **state)
{
	(void)state;
	expect1("{\"name\":\"a\",\"count\":101}", "count", "range");
	assert_string_equal(errv[0].message, "must be between 0 and 100");
	expect1("{\"name\":\"a\",\"count\":-1}", "count", "range");
	expect1("{\"name\":\"a\",\"count\":9223372036854775807}", "count",
		"range");
	expect1("{\"name\":\"a\",\"count\":-9223372036854775808}", "count",
		"range");
	assert_int_equal(run("{\"name\":\"a\",\"count\":0}", false), 0);

	expect1("{\"name\":\"\"}", "name", "length");
	assert_string_equal(errv[0].message, "must be at least 1 character");
	expect1("{\"name\":\"abcdef\"}", "name", "length");
	assert_string_equal(errv[0].message, "must be at most 5 characters");
	/* six Chinese characters: too long by characters */
	expect1("{\"name\":\"\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c"
		"\xe5\x95\x8a\xe5\x95\x8a\"}", "name", "length");
	expect1("{\"name\":\"a\",\"tags\":[1,2,3,4]}", "tags", "length");
	assert_string_equal(errv[0].message, "must have at most 3 items");
}


static void test_strings(void **state)
{
	(void)state;
	expect1("{\"name\":\"a\\u0000b\"}", "name", "format");
	assert_string_equal(errv[0].message,
			    "must not contain NUL characters");
	expect1("{\"name\":\"a\\u0001\"}", "name", "format");
	expect1("{\"name\":\"a\\rb\"}", "name", "format");
	expect1("{\"name\":\"a\\u007f\"}", "name", "format");
	expect1("{\"name\":\"a\\u0085\"}", "name", "format");
	expect1("{\"name\":\"a\",\"note\":\"\\u001b[31m\"}", "note",
		"format");

	expect1("{\"name\":\"a\",\"role\":\"root\"}", "role", "enum");
	assert_string_equal(errv[0].message,
			    "must be one of: admin, supervisor, agent");
	expect1("{\"name\":\"a\",\"role\":\"Admin\"}", "role", "enum");
	expect1("{\"name\":\"a\",\"role\":\"admin\\u0000x\"}", "role",
		"enum");
}


static void test_uuid_email(void **state)
{
	static const char *const bad_uuids[] = {
		"", "3f2a0c1e", "3f2a0c1e9b7d4c558a1e0123456789ab",
		"3f2a0c1e-9b7d-4c55-8a1e-0123456789a",
		"3f2a0c1e-9b7d-4c55-8a1e-0123456789abc",
		"3f2a0c1e-9b7d-4c55-8a1e_0123456789ab",
		"3f2a0c1g-9b7d-4c55-8a1e-0123456789ab",
		"{3f2a0c1e-9b7d-4c55-8a1e-0123456789ab}",
		" 3f2a0c1e-9b7d-4c55-8a1e-0123456789a",
	};
	static const char *const bad_emails[] = {
		"", "a", "a@", "@b.c", "a@b", "a@@b.c", "a b@c.d", "a@b..c",
		"a@.b.c", "a@b.c.", "a@-b.c", "a@b-.c", ".a@b.c", "a.@b.c",
		"a..b@c.d", "a@b_c.d", "a<b@c.d", "a@b@c.d",
	};
	char text[200];

	(void)state;
	for (size_t i = 0; i < N(bad_uuids); i++) {
		assert_false(param_uuid_ok(bad_uuids[i]));
		(void)snprintf(text, sizeof(text),
			       "{\"name\":\"a\",\"ref\":\"%s\"}",
			       bad_uuids[i]);
		expect1(text, "ref", "format");
	}
	assert_true(param_uuid_ok("00000000-0000-0000-0000-000000000000"));
	assert_false(param_uuid_ok(NULL));

	for (size_t i = 0; i < N(bad_emails); i++) {
		assert_false(param_email_ok(bad_emails[i]));
		(void)snprintf(text, sizeof(text),
			       "{\"name\":\"a\",\"email\":\"%s\"}",
			       bad_emails[i]);
		expect1(text, "email", "format");
	}
	assert_true(param_email_ok("x@b\xc3\xa9.example"));
	assert_false(param_email_ok(NULL));
}


static void test_bad_root(void **state)
{
	json_t *j;
	size_t n = 99;

	(void)state;
	assert_int_equal(param_validate(NULL, table, N(table), false, errv,
					N(errv), &n), EINVAL);
	assert_int_equal(n, 1);
	assert_string_equal(errv[0].code, "type");

	j = json_array();
	assert_int_equal(param_validate(j, table, N(table), false, errv,
					N(errv), &n), EINVAL);
	json_decref(j);

	j = json_string("{}");
	assert_int_equal(param_validate(j, table, N(table), false, NULL, 0,
					NULL), EINVAL);
	json_decref(j);

	/* empty table: only {} passes */
	j = json_object();
	assert_int_equal(param_validate(j, NULL, 0, false, errv, N(errv),
					&n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(json_object_set_new(j, "a", json_true()), 0);
	assert_int_equal(param_validate(j, NULL, 0, false, errv, N(errv),
					&n), EINVAL);
	assert_int_equal(param_validate(j, NULL, 3, false, errv, N(errv),
					&n), EINVAL);
	json_decref(j);
}


static void test_error_limits(void **state)
{
	struct param_error one[1];
	char key[200];
	json_t *j = json_object();
	size_t n = 99;

	(void)state;
	/* more errors than room: EINVAL, only errmax written */
	assert_int_equal(json_object_set_new(j, "x", json_true()), 0);
	assert_int_equal(json_object_set_new(j, "y", json_true()), 0);
	assert_int_equal(param_validate(j, table, N(table), false, one, 1,
					&n), EINVAL);
	assert_int_equal(n, 1);
	assert_string_equal(one[0].field, "name");

	/* a long non-ASCII unknown key is cut on a character boundary */
	json_object_clear(j);
	key[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(key, "\xe4\xbd\xa0");
	assert_int_equal(json_object_set_new(j, key, json_true()), 0);
	assert_int_equal(json_object_set_new(j, "name", json_string("a")),
			 0);
	assert_int_equal(param_validate(j, table, N(table), false, errv,
					N(errv), &n), EINVAL);
	assert_int_equal(n, 1);
	assert_string_equal(errv[0].code, "unknown");
	assert_int_equal(strlen(errv[0].field), 63);
	assert_memory_equal(errv[0].field, key, 63);
	json_decref(j);
}


static void test_huge_numbers(void **state)
{
	json_error_t jerr;

	(void)state;
	/* jansson refuses integers beyond 64 bits: the edge answers 400 */
	assert_null(json_loads("{\"count\":99999999999999999999999}", 0,
			       &jerr));
	assert_null(json_loads("{\"count\":1e999}", 0, &jerr));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_required_and_unknown),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_uuid_email),
		cmocka_unit_test(test_bad_root),
		cmocka_unit_test(test_error_limits),
		cmocka_unit_test(test_huge_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
