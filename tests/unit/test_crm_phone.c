/* Unit tests for the phone number spelling (crm_phone_norm, the same rule
 * as phone_norm() in PostgreSQL, compared on one list) and the lookup of
 * a customer by a caller's number against PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_main.h>
#include "app.h"
#include "db/db.h"
#include "crm/customer.h"
#include "dbt.h"
#include "loop.h"

static struct {
	struct dbt_env env;
	struct app app;
	struct db *admin;
	char tenant[40];
	char other[40];
} t;

struct answer {
	bool done;
	int err;
	char name[128];
	char phones[128];
};

/* Spellings of numbers as caller IDs, imports and forms carry them. */
static const char *const spellings[] = {
	"13800138000", "+86 138 0013 8000", "0086-138-0013-8000",
	"86 13800138000", "(010) 8888-6666", "010-88886666",
	"+8613800138000", "008613800138000", "8613800138000",
	"861380013800", "0086138001380001", "+86 10 8888 6666",
	"0086 23800138000", "86 23800138000", "4001000100", "sip:1001@x",
	"", "---", "１３８００１３８０００", "86", "0086", "12",
	"+1 (415) 555-0100", "  86-138-0013-8000  ", "00861380013800",
	"123456789012345678901234567890",
};


static int group_setup(void **state)
{
	struct dbt_answer a;
	char code[32];
	const char *pv[1] = {code};

	(void)state;
	if (dbt_setup(&t.env))
		return -1;

	cfg_defaults(&t.app.cfg);
	if (db_alloc(&t.app.db, t.env.app_url, 2, 64) ||
	    db_alloc(&t.admin, t.env.admin_url, 1, 64))
		return -1;
	if (!dbt_wait_ready(t.app.db, 5000) ||
	    !dbt_wait_ready(t.admin, 5000))
		return -1;

	(void)re_snprintf(code, sizeof(code), "cp%u",
			  (unsigned)getpid() % 100000);
	str_ncpy(t.tenant, dbt_val(t.admin, &dbt_none, &a, "INSERT INTO"
				   " tenants (code, name) VALUES ($1, $1)"
				   " RETURNING tenant_id", 1, pv),
		 sizeof(t.tenant));
	(void)re_snprintf(code, sizeof(code), "cq%u",
			  (unsigned)getpid() % 100000);
	str_ncpy(t.other, dbt_val(t.admin, &dbt_none, &a, "INSERT INTO"
				  " tenants (code, name) VALUES ($1, $1)"
				  " RETURNING tenant_id", 1, pv),
		 sizeof(t.other));

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	t.app.db = mem_deref(t.app.db);
	t.admin = mem_deref(t.admin);
	libre_close();

	return 0;
}


static void test_norm_examples(void **state)
{
	char out[CRM_PHONE_SZ];

	(void)state;
	assert_int_equal(crm_phone_norm(out, sizeof(out),
					"+86 138-0013-8000"), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(crm_phone_norm(out, sizeof(out),
					"0086 13800138000"), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(crm_phone_norm(out, sizeof(out), "010-88886666"),
			 0);
	assert_string_equal(out, "01088886666");
	assert_int_equal(crm_phone_norm(out, sizeof(out), "x"), 0);
	assert_string_equal(out, "");

	/* too long for the buffer: refused, never cut */
	assert_int_equal(crm_phone_norm(out, 5, "123456"), E2BIG);
	assert_string_equal(out, "");
	assert_int_equal(crm_phone_norm(out, 7, "+86 138 0013 8000"), E2BIG);
	assert_int_equal(crm_phone_norm(NULL, 7, "1"), EINVAL);
	assert_int_equal(crm_phone_norm(out, 0, "1"), EINVAL);
	assert_int_equal(crm_phone_norm(out, sizeof(out), NULL), EINVAL);
}


/* Both spellings agree on every example: C's and PostgreSQL's. */
static void test_norm_agrees_with_sql(void **state)
{
	(void)state;

	for (size_t i = 0; i < sizeof(spellings) / sizeof(*spellings); i++) {
		const char *pv[1] = {spellings[i]};
		struct dbt_answer a;
		char out[64];

		assert_int_equal(crm_phone_norm(out, sizeof(out),
						spellings[i]), 0);
		(void)dbt_val(t.admin, &dbt_none, &a,
			      "SELECT phone_norm($1)", 1, pv);
		if (strcmp(out, a.val))
			fail_msg("\"%s\": C %s, SQL %s", spellings[i], out,
				 a.val);
	}
}


static void answered(int err, const struct json_t *c, void *arg)
{
	struct answer *an = arg;
	const json_t *ph = json_object_get(c, "phones");

	an->done = true;
	an->err = err;
	if (c) {
		str_ncpy(an->name, json_string_value(json_object_get(c,
				"name")), sizeof(an->name));
		(void)re_snprintf(an->phones, sizeof(an->phones), "%s,%s",
				  json_string_value(json_array_get(ph, 0)),
				  json_string_value(json_array_get(ph, 1)));
	}
	re_cancel();
}


static int find(struct answer *an, const char *tenant, const char *phone)
{
	int err;

	memset(an, 0, sizeof(*an));
	err = customer_find_by_phone(&t.app, tenant, phone, answered, an);
	if (err)
		return err;

	assert_false(an->done);  /* never answered from inside the call */
	for (int i = 0; i < 250 && !an->done; i++)
		(void)loop_run(20);
	assert_true(an->done);

	return an->err;
}


static void test_find_by_phone(void **state)
{
	const char *pv[1] = {t.tenant};
	struct dbt_answer a;
	struct answer an;

	(void)state;
	(void)dbt_val(t.admin, &dbt_none, &a,
		      "WITH c AS (INSERT INTO customers (tenant_id, name)"
		      " VALUES ($1, '张三丰') RETURNING customer_id)"
		      " INSERT INTO customer_phones (tenant_id, phone,"
		      " customer_id, position) SELECT $1, v.p, c.customer_id,"
		      " v.n FROM c, (VALUES ('13800138000', 0),"
		      " ('01088886666', 1)) AS v (p, n) RETURNING phone",
		      1, pv);

	assert_int_equal(find(&an, t.tenant, "+86 138-0013-8000"), 0);
	assert_string_equal(an.name, "张三丰");
	assert_string_equal(an.phones, "13800138000,01088886666");
	assert_int_equal(find(&an, t.tenant, "010 8888 6666"), 0);
	assert_string_equal(an.name, "张三丰");

	assert_int_equal(find(&an, t.tenant, "13800138001"), ENOENT);
	assert_int_equal(find(&an, t.tenant, ""), ENOENT);
	assert_int_equal(find(&an, t.tenant, "anonymous"), ENOENT);

	/* another tenant never sees it */
	assert_int_equal(find(&an, t.other, "13800138000"), ENOENT);

	assert_int_equal(customer_find_by_phone(&t.app, t.tenant,
			 "1234567890123456789012345678901234567890123456789"
			 "0123456789012345", answered, &an), EINVAL);
	assert_int_equal(customer_find_by_phone(&t.app, NULL, "1", answered,
						&an), EINVAL);
	assert_int_equal(customer_find_by_phone(&t.app, t.tenant, "1", NULL,
						&an), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm_examples),
		cmocka_unit_test(test_norm_agrees_with_sql),
		cmocka_unit_test(test_find_by_phone),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
