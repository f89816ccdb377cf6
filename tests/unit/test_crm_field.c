/* Unit tests for custom field values (crm/crm_field.c): each type, text
 * conversions, required, unknown and disabled fields, bad input, and
 * the check run from several threads at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <jansson.h>
#include "crm/crm_field.h"

static const char defs_text[] =
	"[{\"key\":\"level\",\"label\":\"等级\",\"type\":\"select\","
	"\"options\":[\"金卡\",\"银卡\"],\"required\":true,"
	"\"max_length\":200,\"enabled\":true},"
	"{\"key\":\"nick\",\"label\":\"昵称\",\"type\":\"text\","
	"\"options\":[],\"required\":false,\"max_length\":4,"
	"\"enabled\":true},"
	"{\"key\":\"score\",\"label\":\"积分\",\"type\":\"number\","
	"\"options\":[],\"required\":false,\"max_length\":200,"
	"\"enabled\":true},"
	"{\"key\":\"born\",\"label\":\"生日\",\"type\":\"date\","
	"\"options\":[],\"required\":false,\"max_length\":200,"
	"\"enabled\":true},"
	"{\"key\":\"vip\",\"label\":\"VIP\",\"type\":\"boolean\","
	"\"options\":[],\"required\":false,\"max_length\":200,"
	"\"enabled\":true},"
	"{\"key\":\"mail\",\"label\":\"邮箱\",\"type\":\"email\","
	"\"options\":[],\"required\":false,\"max_length\":200,"
	"\"enabled\":true},"
	"{\"key\":\"site\",\"label\":\"网站\",\"type\":\"url\","
	"\"options\":[],\"required\":false,\"max_length\":200,"
	"\"enabled\":true},"
	"{\"key\":\"old\",\"label\":\"旧字段\",\"type\":\"text\","
	"\"options\":[],\"required\":true,\"max_length\":200,"
	"\"enabled\":false}]";

static json_t *defs;
static struct crm_field_err e;
static json_t *out;


static int setup(void **state)
{
	(void)state;
	defs = json_loads(defs_text, 0, NULL);

	return defs ? 0 : -1;
}


static int teardown(void **state)
{
	(void)state;
	json_decref(defs);
	json_decref(out);
	out = NULL;

	return 0;
}


/* Check text as values; out keeps them (converted) for the asserts. */
static int run(const char *text, unsigned flags)
{
	json_error_t jerr;

	json_decref(out);
	out = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!out)
		fail_msg("bad test JSON %s: %s", text, jerr.text);

	return crm_fields_check_flags(defs, out, flags, &e);
}


static void assert_refused(const char *text, unsigned flags,
			   const char *field, const char *code)
{
	assert_int_equal(run(text, flags), EINVAL);
	assert_string_equal(e.field, field);
	assert_string_equal(e.code, code);
	assert_true(e.message[0] != '\0');
}


static void test_valid_each_type(void **state)
{
	(void)state;
	assert_int_equal(run("{\"level\":\"金卡\",\"nick\":\"小王\","
			     "\"score\":3.5,\"born\":\"2000-02-29\","
			     "\"vip\":true,\"mail\":\"a@b.cn\","
			     "\"site\":\"https://x.cn/a\"}", 0), 0);
	assert_int_equal(json_object_size(out), 7);
	assert_int_equal(run("{\"level\":\"银卡\",\"score\":-7}", 0), 0);
}


static void test_wrong_types(void **state)
{
	(void)state;
	assert_refused("{\"level\":\"金卡\",\"score\":\"3.5\"}", 0, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"vip\":\"true\"}", 0, "vip",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"vip\":1}", 0, "vip", "type");
	assert_refused("{\"level\":\"金卡\",\"nick\":12}", 0, "nick", "type");
	assert_refused("{\"level\":\"金卡\",\"born\":20000101}", 0, "born",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"nick\":[\"a\"]}", 0, "nick",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"mail\":{}}", 0, "mail",
		       "type");
	assert_true(strstr(e.message, "邮箱") != NULL);
}


static void test_bad_values(void **state)
{
	(void)state;
	assert_refused("{\"level\":\"铜卡\"}", 0, "level", "enum");
	assert_refused("{\"level\":\"金卡 \"}", 0, "level", "enum");
	assert_refused("{\"level\":\"金卡\",\"nick\":\"一二三四五\"}", 0,
		       "nick", "length");
	assert_refused("{\"level\":\"金卡\",\"nick\":\"a\\u0001\"}", 0,
		       "nick", "format");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2001-02-29\"}", 0,
		       "born", "type");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2001-13-01\"}", 0,
		       "born", "type");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2001/01/01\"}", 0,
		       "born", "type");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2001-01-01x\"}", 0,
		       "born", "type");
	assert_refused("{\"level\":\"金卡\",\"mail\":\"a@\"}", 0, "mail",
		       "format");
	assert_refused("{\"level\":\"金卡\",\"mail\":\"a b@c.cn\"}", 0,
		       "mail", "format");
	assert_refused("{\"level\":\"金卡\",\"site\":\"javascript:x\"}", 0,
		       "site", "format");
	assert_refused("{\"level\":\"金卡\",\"site\":\"http://\"}", 0,
		       "site", "format");
	assert_refused("{\"level\":\"金卡\",\"site\":\"http://a b\"}", 0,
		       "site", "format");
}


static void test_required_unknown(void **state)
{
	(void)state;
	assert_refused("{}", 0, "level", "required");
	assert_true(strstr(e.message, "等级") != NULL);
	assert_refused("{\"level\":null}", 0, "level", "required");
	assert_refused("{\"level\":\"金卡\",\"color\":\"红\"}", 0, "color",
		       "unknown");
	assert_refused("{\"level\":\"金卡\",\"\":1}", 0, "", "unknown");

	/* a change leaves an absent required field as stored */
	assert_int_equal(run("{\"score\":1}", CRM_FIELD_PARTIAL), 0);
	assert_refused("{\"level\":null}", CRM_FIELD_PARTIAL, "level",
		       "required");

	/* a null of an optional field removes it; it stays for a PATCH */
	assert_int_equal(run("{\"level\":\"金卡\",\"nick\":null}", 0), 0);
	assert_null(json_object_get(out, "nick"));
	assert_int_equal(run("{\"nick\":null}", CRM_FIELD_PARTIAL), 0);
	assert_true(json_is_null(json_object_get(out, "nick")));
}


static void test_disabled_field(void **state)
{
	(void)state;

	/* not required while disabled; its value is dropped, not refused */
	assert_int_equal(run("{\"level\":\"金卡\",\"old\":5}", 0), 0);
	assert_null(json_object_get(out, "old"));
}


static void test_from_text(void **state)
{
	const unsigned t = CRM_FIELD_FROM_TEXT;

	(void)state;
	assert_int_equal(run("{\"level\":\" 金卡 \",\"score\":\"3.5\","
			     "\"vip\":\"是\",\"born\":\"2024/1/5\","
			     "\"nick\":\"\"}", t), 0);
	assert_string_equal(json_string_value(json_object_get(out, "level")),
			    "金卡");
	assert_true(json_is_real(json_object_get(out, "score")));
	assert_true(json_real_value(json_object_get(out, "score")) == 3.5);
	assert_true(json_is_true(json_object_get(out, "vip")));
	assert_string_equal(json_string_value(json_object_get(out, "born")),
			    "2024-01-05");
	assert_null(json_object_get(out, "nick"));

	assert_int_equal(run("{\"level\":\"银卡\",\"score\":\"-12\","
			     "\"vip\":\"FALSE\"}", t), 0);
	assert_true(json_is_integer(json_object_get(out, "score")));
	assert_int_equal(json_integer_value(json_object_get(out, "score")),
			 -12);
	assert_true(json_is_false(json_object_get(out, "vip")));
}


static void test_from_text_bad(void **state)
{
	const unsigned t = CRM_FIELD_FROM_TEXT;

	(void)state;
	assert_refused("{\"level\":\"\"}", t, "level", "required");
	assert_refused("{\"level\":\"金卡\",\"score\":\"3,5\"}", t, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"score\":\"nan\"}", t, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"score\":\"inf\"}", t, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"score\":\"0x10\"}", t, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"score\":\"1e999\"}", t,
		       "score", "type");
	assert_refused("{\"level\":\"金卡\",\"score\":\"1e\"}", t, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"score\":\".\"}", t, "score",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"vip\":\"maybe\"}", t, "vip",
		       "type");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2024/1-5\"}", t,
		       "born", "type");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2023/2/29\"}", t,
		       "born", "type");
	assert_refused("{\"level\":\"金卡\",\"born\":\"2023/02/300\"}", t,
		       "born", "type");
}


static void test_bad_arguments(void **state)
{
	json_t *bad_defs = json_object();

	(void)state;
	assert_refused("[]", 0, "", "type");
	assert_refused("\"x\"", 0, "", "type");
	assert_refused("null", 0, "", "type");
	assert_int_equal(crm_fields_check(bad_defs, out, &e), EINVAL);
	assert_int_equal(crm_fields_check(defs, out, NULL), EINVAL);
	json_decref(bad_defs);

	/* the plain check is the strict one */
	json_decref(out);
	out = json_loads("{\"level\":\"金卡\",\"score\":\"1\"}", 0, NULL);
	assert_int_equal(crm_fields_check(defs, out, &e), EINVAL);
	assert_string_equal(e.field, "score");
}


/* Definitions of odd shape are refused or ignored, never a crash. */
static void test_odd_definitions(void **state)
{
	json_t *d = json_loads("[{\"key\":\"x\",\"type\":\"weird\"},"
			       "{\"key\":\"y\"},7,{\"type\":\"text\"}]", 0,
			       NULL);
	json_t *v = json_loads("{\"x\":\"a\",\"y\":\"b\"}", 0, NULL);

	(void)state;
	assert_int_equal(crm_fields_check(d, v, &e), EINVAL);
	assert_string_equal(e.code, "type");
	json_decref(v);
	json_decref(d);
}


static void *thread_main(void *arg)
{
	unsigned bad = 0;

	for (int i = 0; i < 2000; i++) {
		json_t *v = json_pack("{s:s,s:s,s:s}", "level", "金卡",
				      "score", "4.25", "born", "2024/2/29");
		struct crm_field_err te;

		if (!v || crm_fields_check_flags(defs, v, CRM_FIELD_FROM_TEXT,
						 &te) ||
		    json_real_value(json_object_get(v, "score")) != 4.25)
			++bad;
		json_decref(v);
	}

	*(unsigned *)arg = bad;
	return NULL;
}


/* Import workers share one definitions array. */
static void test_threads(void **state)
{
	pthread_t th[4];
	unsigned bad[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_main,
						&bad[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_each_type),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_required_unknown),
		cmocka_unit_test(test_disabled_field),
		cmocka_unit_test(test_from_text),
		cmocka_unit_test(test_from_text_bad),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_odd_definitions),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
