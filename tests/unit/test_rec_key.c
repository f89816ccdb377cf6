/* Unit tests for recording keys (recording/rec_key.c, rec_tkey.c,
 * rec_check.c) against PostgreSQL: first key race-safe, cache, rotation,
 * restart and master key rotation; master key and wrapped key parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "app.h"
#include "db/db.h"
#include "recording/rec_key.h"
#include "recording/rec_key_int.h"
#include "recording/rec_ops.h"
#include "dbt.h"
#include "loop.h"

#define KEY_A "5eed5eed00112233445566778899aabb" \
	"ccddeeff00112233445566778899aabb"
#define KEY_B "b0b0b0b00123456789abcdef01234567" \
	"89abcdef0123456789abcdef01234567"

/* What one rec_key_h call answered. */
struct got {
	bool done;
	int err;
	uint32_t key_no;
	uint8_t key[REC_KEY_BYTES];
};

static struct {
	struct dbt_env env;
	struct app app;
	struct db *admin;
	char tenant[40];
	unsigned waiting;
} t;

static const struct db_ctx *const none = &dbt_none;


static const char *admin_val(const char *sql, unsigned n, const char **pv)
{
	static struct dbt_answer a;

	return dbt_val(t.admin, none, &a, sql, n, pv);
}


static void got_key(int err, uint32_t key_no,
		    const uint8_t key[REC_KEY_BYTES], void *arg)
{
	struct got *g = arg;

	g->done = true;
	g->err = err;
	g->key_no = key_no;
	memcpy(g->key, key, REC_KEY_BYTES);
	if (t.waiting && --t.waiting == 0)
		re_cancel();
}


static void wait_for(unsigned n)
{
	t.waiting = n;
	(void)loop_run(5000);
	assert_int_equal(t.waiting, 0);
}


static bool ready(void *arg)
{
	(void)arg;
	return rec_key_ready();
}


static void start(const char *key, const char *old)
{
	char err[512] = "";

	str_ncpy(t.app.cfg.recording_master_key, key,
		 sizeof(t.app.cfg.recording_master_key));
	str_ncpy(t.app.cfg.recording_master_key_old, old ? old : "",
		 sizeof(t.app.cfg.recording_master_key_old));
	assert_int_equal(rec_key_init(&t.app, err, sizeof(err)), 0);
	assert_true(loop_until(ready, NULL, 5000));
}


static int group_setup(void **state)
{
	char code[32];
	const char *pv[1];

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

	/* the test database's keys are this test's alone */
	(void)admin_val("DELETE FROM recording_keys", 0, NULL);
	(void)admin_val("DELETE FROM recording_master", 0, NULL);
	(void)re_snprintf(code, sizeof(code), "rk%u",
			  (unsigned)getpid() % 100000);
	pv[0] = code;
	str_ncpy(t.tenant, admin_val("INSERT INTO tenants (code, name)"
				     " VALUES ($1, $1) RETURNING tenant_id",
				     1, pv), sizeof(t.tenant));
	start(KEY_A, NULL);

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	rec_key_close();
	t.app.db = mem_deref(t.app.db);
	t.admin = mem_deref(t.admin);
	libre_close();

	return 0;
}


static struct got key1;


/* Two requests at once for a tenant without a key: one key, both get
 * it, and neither callback runs inside the call. */
static void test_first_key(void **state)
{
	struct got a = {0}, b = {0};
	const char *pv[1] = {t.tenant};

	(void)state;
	assert_int_equal(rec_key_current(t.tenant, got_key, &a), 0);
	assert_int_equal(rec_key_current(t.tenant, got_key, &b), 0);
	assert_false(a.done || b.done);
	wait_for(2);
	assert_int_equal(a.err, 0);
	assert_int_equal(b.err, 0);
	assert_int_equal(a.key_no, 1);
	assert_int_equal(b.key_no, 1);
	assert_memory_equal(a.key, b.key, REC_KEY_BYTES);
	key1 = a;

	assert_string_equal(admin_val("SELECT count(*) FROM recording_keys"
				      " WHERE tenant_id = $1", 1, pv), "1");
	/* wrapped: nonce, MAC and key — never the key itself */
	assert_string_equal(admin_val("SELECT length(wrapped) FROM"
				      " recording_keys WHERE tenant_id = $1",
				      1, pv), "72");

	/* from the cache, still not inside the call */
	memset(&a, 0, sizeof(a));
	assert_int_equal(rec_key_current(t.tenant, got_key, &a), 0);
	assert_false(a.done);
	wait_for(1);
	assert_memory_equal(a.key, key1.key, REC_KEY_BYTES);
}


static void test_rotate(void **state)
{
	struct got r = {0}, c = {0}, g = {0}, none99 = {0};

	(void)state;
	assert_int_equal(rec_key_rotate(t.tenant, got_key, &r), 0);
	wait_for(1);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.key_no, 2);
	assert_memory_not_equal(r.key, key1.key, REC_KEY_BYTES);

	assert_int_equal(rec_key_current(t.tenant, got_key, &c), 0);
	assert_int_equal(rec_key_get(t.tenant, 1, got_key, &g), 0);
	assert_int_equal(rec_key_get(t.tenant, 99, got_key, &none99), 0);
	wait_for(3);
	assert_int_equal(c.key_no, 2);
	assert_memory_equal(c.key, r.key, REC_KEY_BYTES);
	assert_int_equal(g.key_no, 1);
	assert_memory_equal(g.key, key1.key, REC_KEY_BYTES);
	assert_int_equal(none99.err, ENOENT);
}


static void test_bad_args(void **state)
{
	struct got g = {0};

	(void)state;
	assert_int_equal(rec_key_current("not-a-uuid", got_key, &g), EINVAL);
	assert_int_equal(rec_key_current(NULL, got_key, &g), EINVAL);
	assert_int_equal(rec_key_current(t.tenant, NULL, &g), EINVAL);
	assert_int_equal(rec_key_get(t.tenant, 0, got_key, &g), EINVAL);
	assert_int_equal(rec_key_rotate("", got_key, &g), EINVAL);
}


/* A restart reads the keys back from the database (no cache); a new
 * master key with the old one rewraps them, and they still open. */
static void test_restart_and_master_rotation(void **state)
{
	struct got g = {0};

	(void)state;
	rec_key_close();
	start(KEY_A, NULL);
	assert_int_equal(rec_key_get(t.tenant, 1, got_key, &g), 0);
	wait_for(1);
	assert_memory_equal(g.key, key1.key, REC_KEY_BYTES);

	rec_key_close();
	start(KEY_B, KEY_A);
	assert_string_equal(admin_val("SELECT count(DISTINCT master_id) FROM"
				      " (SELECT master_id FROM recording_keys"
				      " UNION ALL SELECT master_id FROM"
				      " recording_master) m", 0, NULL), "1");
	assert_string_equal(admin_val("SELECT master_id FROM"
				      " recording_master", 0, NULL),
			    rec_key_master()->id);
	memset(&g, 0, sizeof(g));
	assert_int_equal(rec_key_get(t.tenant, 1, got_key, &g), 0);
	wait_for(1);
	assert_int_equal(g.err, 0);
	assert_memory_equal(g.key, key1.key, REC_KEY_BYTES);

	rec_key_close();
	start(KEY_B, NULL);
}


/* Another node rotates: this one hears it and stops using its cached
 * key for new recordings. */
static void test_other_node_rotation(void **state)
{
	char box[REC_WRAP_HEXLEN + 1];
	uint8_t key[REC_KEY_BYTES];
	const char *pv[3] = {t.tenant, box, rec_key_master()->id};
	struct got g = {0};
	uint64_t end;

	(void)state;
	assert_int_equal(rec_key_current(t.tenant, got_key, &g), 0);
	wait_for(1);
	assert_int_equal(g.key_no, 2);

	randombytes_buf(key, sizeof(key));
	rec_wrap(box, rec_key_master(), key, sizeof(key));
	(void)admin_val("INSERT INTO recording_keys (tenant_id, key_no,"
			" wrapped, master_id) VALUES ($1, 3, $2::bytea, $3)"
			" RETURNING key_no", 3, pv);
	(void)admin_val("SELECT pg_notify('openseat_recording_keys', $1)",
			1, pv);

	for (end = tmr_jiffies() + 5000; tmr_jiffies() < end;) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(rec_key_current(t.tenant, got_key, &g), 0);
		wait_for(1);
		if (g.key_no == 3)
			break;
	}
	assert_int_equal(g.key_no, 3);
	assert_memory_equal(g.key, key, REC_KEY_BYTES);
}


static void test_master_parse(void **state)
{
	static const char *const bad[] = {
		"", "abc", KEY_A "0", " " KEY_A,
		"xeed5eed00112233445566778899aabb"
		"ccddeeff00112233445566778899aabb",
		"5eed5eed00112233445566778899aabb"
		"ccddeeff00112233445566778899aab ",
	};
	struct rec_master m, m2;
	char err[512], file[64];
	FILE *f;

	(void)state;
	assert_int_equal(rec_master_parse(&m, NULL, NULL, err, sizeof(err)),
			 ENOENT);
	assert_non_null(strstr(err, "openssl rand -hex 32"));
	for (size_t i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rec_master_parse(&m, bad[i], NULL, err,
						  sizeof(err)), EINVAL);
		assert_false(m.set);
	}

	/* from a file: a trailing CRLF is fine; the key wins over it */
	(void)snprintf(file, sizeof(file), "/tmp/openseat-rk-%d",
		       (int)getpid());
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(KEY_A "\r\n", f);
	fclose(f);
	assert_int_equal(rec_master_parse(&m, "", file, err, sizeof(err)), 0);
	assert_int_equal(rec_master_parse(&m2, KEY_A, NULL, err,
					  sizeof(err)), 0);
	assert_memory_equal(m.key, m2.key, sizeof(m.key));
	assert_string_equal(m.id, m2.id);
	assert_int_equal(strlen(m.id), REC_MASTER_ID_LEN);
	assert_null(strstr(KEY_A, m.id));
	unlink(file);
	assert_int_equal(rec_master_parse(&m, "", file, err, sizeof(err)),
			 ENOENT);
}


static void test_wrap(void **state)
{
	char hex[REC_WRAP_HEXLEN + 1], bad[REC_WRAP_HEXLEN + 1];
	uint8_t in[REC_KEY_BYTES], out[REC_KEY_BYTES];
	struct rec_master a, b;
	char err[256];

	(void)state;
	assert_int_equal(rec_master_parse(&a, KEY_A, NULL, err,
					  sizeof(err)), 0);
	assert_int_equal(rec_master_parse(&b, KEY_B, NULL, err,
					  sizeof(err)), 0);
	randombytes_buf(in, sizeof(in));
	rec_wrap(hex, &a, in, sizeof(in));
	assert_int_equal(strlen(hex), REC_WRAP_HEXLEN);
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, hex), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(rec_unwrap(out, sizeof(out), &b, hex), EBADMSG);

	/* bytea text from the database, checked before it is decoded */
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, NULL), EPROTO);
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, ""), EPROTO);
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, "\\x"), EPROTO);
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, hex + 2), EPROTO);
	memcpy(bad, hex, sizeof(bad));
	bad[10] = 'z';
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, bad), EPROTO);
	bad[REC_WRAP_HEXLEN - 2] = '\0';
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, bad), EPROTO);
	memcpy(bad, hex, sizeof(bad));
	bad[60] = bad[60] == '0' ? '1' : '0';
	assert_int_equal(rec_unwrap(out, sizeof(out), &a, bad), EBADMSG);
	/* a bigger plaintext than the box holds */
	assert_int_equal(rec_unwrap(out, 100, &a, hex), EPROTO);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_key),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_restart_and_master_rotation),
		cmocka_unit_test(test_other_node_rotation),
		cmocka_unit_test(test_master_parse),
		cmocka_unit_test(test_wrap),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
