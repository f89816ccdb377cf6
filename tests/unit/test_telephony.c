/* Unit tests for the routing cache (telephony/): addresses, numbers,
 * snapshots, limits and bans. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "metrics/metrics.h"
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

static uint64_t fake_ms;


static uint64_t fake_now(void)
{
	return fake_ms;
}


static struct sa addr(const char *s)
{
	struct sa sa;

	assert_int_equal(sa_set_str(&sa, s, 5060), 0);

	return sa;
}


static bool in(const char *cidr, const char *ip)
{
	struct tel_cidr c;
	const char *why;
	struct sa sa = addr(ip);

	assert_int_equal(tel_cidr_parse(&c, cidr, &why), 0);

	return tel_cidr_match(&c, &sa);
}


static void test_cidr_match(void **state)
{
	(void)state;

	assert_true(in("192.0.2.10", "192.0.2.10"));
	assert_false(in("192.0.2.10", "192.0.2.11"));
	assert_true(in("198.51.100.0/24", "198.51.100.255"));
	assert_false(in("198.51.100.0/24", "198.51.101.0"));
	assert_true(in("10.0.0.0/8", "10.255.1.2"));
	assert_true(in("172.16.0.0/12", "172.31.255.255"));
	assert_false(in("172.16.0.0/12", "172.32.0.0"));
	assert_true(in("192.0.2.128/25", "192.0.2.200"));
	assert_false(in("192.0.2.128/25", "192.0.2.127"));
	assert_true(in("0.0.0.0/0", "203.0.113.1"));
	assert_false(in("0.0.0.0/0", "2001:db8::1"));

	assert_true(in("2001:db8::1", "2001:db8::1"));
	assert_false(in("2001:db8::1", "2001:db8::2"));
	assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("2001:db8:0:80::/57", "2001:db8:0:ff::1"));
	assert_false(in("2001:db8:0:80::/57", "2001:db8:0:7f::1"));
	assert_false(in("2001:db8::/32", "192.0.2.1"));

	/* an IPv4 peer seen on a dual-stack socket */
	assert_true(in("192.0.2.0/24", "::ffff:192.0.2.7"));
	assert_false(in("2001:db8::/32", "::ffff:192.0.2.7"));
}


static void test_cidr_bad(void **state)
{
	static const char *const bad[] = {
		"", "x", "192.0.2", "192.0.2.1.5", "300.1.1.1", "192.0.2.1/",
		"192.0.2.1/33", "192.0.2.1/-1", "192.0.2.1/8x", "192.0.2.1/08",
		"192.0.2.1/24", "10.0.0.1/8", "2001:db8::/129",
		"2001:db8::1/64",
		"gateway.example.com", "2001:db8::g", "::ffff:192.0.2.1",
		"fe80::1%eth0", " 192.0.2.1", "192.0.2.1 ",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999/128xxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxx",
	};
	struct tel_cidr c;
	const char *why;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		if (tel_cidr_parse(&c, bad[i], &why) != EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(why);
	}

	assert_int_equal(tel_cidr_parse(&c, NULL, &why), EINVAL);
	assert_int_equal(tel_cidr_parse(&c, "192.0.2.0/24", &why), 0);
	assert_int_equal(c.bits, 24);
	assert_int_equal(tel_cidr_parse(&c, "2001:db8::", &why), 0);
	assert_int_equal(c.bits, 128);
	assert_false(tel_cidr_match(NULL, NULL));
}


static void test_normalize(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} ok[] = {
		{"4001000100", "4001000100"},
		{"400-100-0100", "4001000100"},
		{"400 100 0100", "4001000100"},
		{"+86 10-1234", "101234"},
		{"+86 (10) 8888-0002", "1088880002"},
		{"+86 010 8888 0002", "1088880002"},
		{"010-88880002", "1088880002"},
		{"01088880002", "1088880002"},
		{"1088880002", "1088880002"},
		{"0086 10 8888 0002", "1088880002"},
		{"13800138000", "13800138000"},
		{"+8613800138000", "13800138000"},
		{"8613800138000", "13800138000"},
		{"008613800138000", "13800138000"},
		{"013800138000", "13800138000"},
		{"138.0013.8000", "13800138000"},
		{"0755-2345678", "7552345678"},
		{"95555", "95555"},
		{"110", "110"},
		{"010", "010"},
		{"861234", "861234"},
		{"+1 415 555 0100", "0014155550100"},
		{"0014155550100", "0014155550100"},
		{"+44 20 7946 0000", "00442079460000"},
		{"+86 0086 10 8888 0002", "1088880002"},
	};
	static const char *const bad[] = {
		"", "12", "+", "+86", "abc", "400*100", "400#", "4001000100;x",
		"++8613800138000", "138+00138000",
		"123456789012345678901234567890123", "一二三", "\t",
		"tel:4001000100",
	};
	char out[33];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(tel_normalize(out, sizeof(out), ok[i].in), 0);
		assert_string_equal(out, ok[i].out);
		/* a stored number finds itself */
		assert_int_equal(tel_normalize(out, sizeof(out), ok[i].out),
				 0);
		assert_string_equal(out, ok[i].out);
	}

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(tel_normalize(out, sizeof(out), bad[i]),
				 EINVAL);

	assert_int_equal(tel_normalize(out, 5, "4001000100"), ENOMEM);
	assert_int_equal(tel_normalize(out, sizeof(out), NULL), EINVAL);
	assert_int_equal(tel_normalize(NULL, 0, "110"), EINVAL);
	assert_int_equal(tel_normalize(out, sizeof(out),
				       "12345678901234567890123456789012"), 0);
}


static void trunk_fill(struct tel_trunk *t, const char *id,
		       const char *name, const char *user)
{
	memset(t, 0, sizeof(*t));
	str_ncpy(t->trunk_id, id, sizeof(t->trunk_id));
	str_ncpy(t->name, name, sizeof(t->name));
	str_ncpy(t->auth_user, user, sizeof(t->auth_user));
	str_ncpy(t->codecs, "PCMA,PCMU", sizeof(t->codecs));
}


static struct tel_snap *snap_make(const char *tag)
{
	struct tel_snap *snap = NULL;
	struct tel_number n;
	struct tel_trunk t;

	assert_int_equal(tel_snap_alloc(&snap), 0);

	trunk_fill(&t, "t-wide", tag, "");
	assert_int_equal(tel_snap_add_trunk(snap, &t, "198.51.100.0/24"), 0);
	trunk_fill(&t, "t-host", "host", "pbx1");
	assert_int_equal(tel_snap_add_trunk(snap, &t,
			 "198.51.100.7,2001:db8::/48,bogus,"), 0);
	trunk_fill(&t, "t-user", "digest", "carrier");
	assert_int_equal(tel_snap_add_trunk(snap, &t, ""), 0);

	memset(&n, 0, sizeof(n));
	str_ncpy(n.number_id, "n-1", sizeof(n.number_id));
	str_ncpy(n.number, "4001000100", sizeof(n.number));
	str_ncpy(n.tenant_id, "tenant-a", sizeof(n.tenant_id));
	str_ncpy(n.flow_id, tag, sizeof(n.flow_id));
	n.tenant_active = true;
	assert_int_equal(tel_snap_add_number(snap, &n,
			 "[{\"schedule_id\":\"s\",\"flow_id\":\"f\"}]"), 0);
	str_ncpy(n.number, "1088880002", sizeof(n.number));
	assert_int_equal(tel_snap_add_number(snap, &n, NULL), 0);

	assert_int_equal(tel_snap_ntrunks(snap), 3);
	assert_int_equal(tel_snap_nnumbers(snap), 2);

	return snap;
}


static void test_lookups(void **state)
{
	struct tel_trunk *t;
	struct tel_number *n;
	struct sa sa;

	(void)state;
	assert_null(tel_number_find("4001000100"));
	tel_snap_install(snap_make("v1"));

	/* the longest prefix wins: the host entry over the /24 */
	sa = addr("198.51.100.7");
	t = tel_trunk_by_addr(&sa);
	assert_non_null(t);
	assert_string_equal(t->trunk_id, "t-host");
	mem_deref(t);
	sa = addr("198.51.100.8");
	t = tel_trunk_by_addr(&sa);
	assert_string_equal(t->trunk_id, "t-wide");
	mem_deref(t);
	sa = addr("2001:db8:0:1::5");
	t = tel_trunk_by_addr(&sa);
	assert_string_equal(t->trunk_id, "t-host");
	mem_deref(t);
	sa = addr("203.0.113.1");
	assert_null(tel_trunk_by_addr(&sa));
	assert_null(tel_trunk_by_addr(NULL));

	t = tel_trunk_by_user("carrier");
	assert_string_equal(t->trunk_id, "t-user");
	mem_deref(t);
	assert_null(tel_trunk_by_user("nobody"));
	assert_null(tel_trunk_by_user(""));

	n = tel_number_find("+86 400-100-0100");
	assert_non_null(n);
	assert_string_equal(n->number_id, "n-1");
	assert_string_equal(n->routes_json,
			    "[{\"schedule_id\":\"s\",\"flow_id\":\"f\"}]");
	mem_deref(n);
	n = tel_number_find("010-88880002");
	assert_string_equal(n->routes_json, "[]");
	mem_deref(n);
	assert_null(tel_number_find("4001000101"));
	assert_null(tel_number_find("garbage"));

	tel_snap_install(NULL);
	assert_null(tel_number_find("4001000100"));
}


/* A lookup's reference outlives the snapshot it came from. */
static void test_swap_holds_ref(void **state)
{
	struct tel_number *old_n, *new_n;
	struct tel_trunk *old_t, *new_t;

	(void)state;
	tel_snap_install(snap_make("v1"));
	old_n = tel_number_find("4001000100");
	old_t = tel_trunk_by_user("carrier");
	assert_non_null(old_n);

	tel_snap_install(snap_make("v2"));
	assert_string_equal(old_n->flow_id, "v1");
	assert_string_equal(old_n->routes_json,
			    "[{\"schedule_id\":\"s\",\"flow_id\":\"f\"}]");
	assert_string_equal(old_t->auth_user, "carrier");

	new_n = tel_number_find("4001000100");
	assert_string_equal(new_n->flow_id, "v2");
	assert_ptr_not_equal(new_n, old_n);
	new_t = tel_trunk_by_user("carrier");
	assert_ptr_not_equal(new_t, old_t);

	tel_snap_install(NULL);
	assert_string_equal(new_n->flow_id, "v2");
	mem_deref(old_n);
	mem_deref(old_t);
	mem_deref(new_n);
	mem_deref(new_t);
}


static int limits_setup(void **state)
{
	(void)state;
	fake_ms = 1000000;
	tel_clock_set(fake_now);

	return tel_limits_init(3, 60000, 600000);
}


static int limits_teardown(void **state)
{
	(void)state;
	tel_limits_close();
	tel_clock_set(NULL);
	metrics_reset();

	return 0;
}


static bool rendered(const char *line)
{
	struct mbuf *mb = mbuf_alloc(4096);
	bool found;

	assert_non_null(mb);
	assert_int_equal(metrics_render(mb), 0);
	assert_int_equal(mbuf_write_u8(mb, 0), 0);
	found = strstr((const char *)mb->buf, line) != NULL;
	if (!found)
		fprintf(stderr, "%s", (const char *)mb->buf);
	mem_deref(mb);

	return found;
}


static void test_limit_concurrent(void **state)
{
	struct tel_admission *a[4] = {NULL}, *x = NULL;
	struct tel_trunk t;
	struct tel_number n;

	(void)state;
	trunk_fill(&t, "t-1", "t", "");
	t.max_calls = 2;
	memset(&n, 0, sizeof(n));
	str_ncpy(n.tenant_id, "ten-1", sizeof(n.tenant_id));
	n.tenant_max_calls = 3;

	assert_int_equal(tel_admit(&a[0], &t, &n), 0);
	assert_int_equal(tel_admit(&a[1], &t, &n), 0);
	assert_int_equal(tel_admit(&x, &t, &n), EBUSY);
	assert_null(x);
	assert_int_equal(tel_active_trunk("t-1"), 2);
	assert_int_equal(tel_active_tenant("ten-1"), 2);
	assert_true(rendered("openseat_trunk_active_calls{trunk_id=\"t-1\"}"
			     " 2"));
	assert_true(rendered("openseat_call_admissions_refused_total"
			     "{reason=\"trunk_calls\"} 1"));

	/* the tenant's third call fits through another path, not a fourth */
	assert_int_equal(tel_admit(&a[2], NULL, &n), 0);
	assert_int_equal(tel_admit(&x, NULL, &n), EBUSY);
	assert_int_equal(tel_active_tenant("ten-1"), 3);
	assert_int_equal(tel_active_trunk("t-1"), 2);

	/* release gives both counts back, once */
	a[0] = mem_deref(a[0]);
	assert_int_equal(tel_active_trunk("t-1"), 1);
	assert_int_equal(tel_active_tenant("ten-1"), 2);
	assert_int_equal(tel_admit(&a[3], &t, &n), 0);
	assert_int_equal(tel_admit(&x, &t, &n), EBUSY);

	/* unlimited: 0 */
	t.max_calls = 0;
	n.tenant_max_calls = 0;
	assert_int_equal(tel_admit(&a[0], &t, &n), 0);
	assert_int_equal(tel_active_trunk("t-1"), 3);

	for (size_t i = 0; i < ARRAY_SIZE(a); i++)
		a[i] = mem_deref(a[i]);
	assert_int_equal(tel_active_trunk("t-1"), 0);
	assert_int_equal(tel_active_tenant("ten-1"), 0);
	assert_true(rendered("openseat_trunk_active_calls{trunk_id=\"t-1\"}"
			     " 0"));
	assert_true(rendered("{reason=\"tenant_calls\"} 2"));
	assert_int_equal(tel_admit(NULL, &t, &n), EINVAL);
}


static void test_limit_cps(void **state)
{
	struct tel_admission *a[12] = {NULL}, *x = NULL;
	struct tel_trunk t;
	size_t k = 0;

	(void)state;
	trunk_fill(&t, "t-cps", "t", "");
	t.max_cps = 4;

	/* a full bucket: a burst of 4, then nothing in the same ms */
	for (int i = 0; i < 4; i++)
		assert_int_equal(tel_admit(&a[k++], &t, NULL), 0);
	assert_int_equal(tel_admit(&x, &t, NULL), EBUSY);

	/* 4 per second is one per 250 ms */
	fake_ms += 249;
	assert_int_equal(tel_admit(&x, &t, NULL), EBUSY);
	fake_ms += 1;
	assert_int_equal(tel_admit(&a[k++], &t, NULL), 0);
	assert_int_equal(tel_admit(&x, &t, NULL), EBUSY);

	/* a long pause refills to one second's worth, no more */
	fake_ms += 60000;
	for (int i = 0; i < 4; i++)
		assert_int_equal(tel_admit(&a[k++], &t, NULL), 0);
	assert_int_equal(tel_admit(&x, &t, NULL), EBUSY);

	/* releasing calls does not return tokens */
	for (size_t i = 0; i < k; i++)
		a[i] = mem_deref(a[i]);
	assert_int_equal(tel_admit(&x, &t, NULL), EBUSY);
	assert_int_equal(tel_active_trunk("t-cps"), 0);
}


/* Admissions may outlive the module (shutdown with calls up). */
static void test_limit_after_close(void **state)
{
	struct tel_admission *adm = NULL;
	struct tel_trunk t;

	(void)state;
	trunk_fill(&t, "t-late", "t", "");
	assert_int_equal(tel_admit(&adm, &t, NULL), 0);
	tel_limits_close();
	mem_deref(adm);
	assert_int_equal(tel_limits_init(3, 60000, 600000), 0);
	assert_int_equal(tel_active_trunk("t-late"), 0);
}


static void test_ban(void **state)
{
	struct sa bad = addr("192.0.2.66");
	struct sa mapped = addr("::ffff:192.0.2.66");
	struct sa good = addr("192.0.2.67");
	struct sa six = addr("2001:db8::66");

	(void)state;
	assert_false(tel_banned(&bad));
	tel_auth_failed(&bad);
	tel_auth_failed(&bad);
	assert_false(tel_banned(&bad));
	/* the same host over IPv4-mapped IPv6 counts as the same source */
	tel_auth_failed(&mapped);
	assert_true(tel_banned(&bad));
	assert_true(tel_banned(&mapped));
	assert_false(tel_banned(&good));

	fake_ms += 600000 - 1;
	assert_true(tel_banned(&bad));
	fake_ms += 1;
	assert_false(tel_banned(&bad));

	/* failures spread wider than the window never ban */
	for (int i = 0; i < 10; i++) {
		tel_auth_failed(&six);
		fake_ms += 30001;
	}
	assert_false(tel_banned(&six));
	tel_auth_failed(&six);
	tel_auth_failed(&six);
	tel_auth_failed(&six);
	assert_true(tel_banned(&six));
	assert_false(tel_banned(NULL));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_match),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_swap_holds_ref),
		cmocka_unit_test_setup_teardown(test_limit_concurrent,
						limits_setup, limits_teardown),
		cmocka_unit_test_setup_teardown(test_limit_cps,
						limits_setup, limits_teardown),
		cmocka_unit_test_setup_teardown(test_limit_after_close,
						limits_setup, limits_teardown),
		cmocka_unit_test_setup_teardown(test_ban,
						limits_setup, limits_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
