/* Unit tests for the verified-token cache: hits, expiry, tampering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "auth/token_cache.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(key) - 1)
enum { NOW = 1800000000 };


static char *signed_token(uint64_t exp)
{
	struct token_claims c;
	char *tok = NULL;

	memset(&c, 0, sizeof(c));
	str_ncpy(c.sub, "6f0d5b9e-3c1a-4f7e-9d2b-8a1c0e4f5b6a", sizeof(c.sub));
	str_ncpy(c.tenant_id, "0b8f2c4e-1d3a-4b5c-8e7f-9a0b1c2d3e4f",
		 sizeof(c.tenant_id));
	c.role = ROLE_AGENT;
	c.iat = NOW;
	c.exp = exp;
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), 0);

	return tok;
}


static void test_hit_gives_same_claims(void **state)
{
	char *tok = signed_token(NOW + 900);
	struct token_claims a, b;

	(void)state;
	assert_int_equal(token_cache_verify(&a, tok, key, KEYLEN, NOW), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(token_cache_verify(&b, tok, key, KEYLEN, NOW), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(b.role, ROLE_AGENT);

	/* a cached token is never valid past its own expiry */
	assert_int_equal(token_cache_verify(&b, tok, key, KEYLEN, NOW + 900),
			 ETIMEDOUT);
	assert_int_equal(token_cache_verify(&b, tok, key, KEYLEN, NOW + 901),
			 ETIMEDOUT);
	mem_deref(tok);
	token_cache_flush();
}


static void test_tampered_after_hit(void **state)
{
	char *tok = signed_token(NOW + 900);
	struct token_claims c;
	char *bad = NULL;
	size_t n;

	(void)state;
	assert_int_equal(token_cache_verify(&c, tok, key, KEYLEN, NOW), 0);

	/* the same token with one signature character changed */
	assert_int_equal(str_dup(&bad, tok), 0);
	n = strlen(bad);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(token_cache_verify(&c, bad, key, KEYLEN, NOW),
			 EINVAL);
	/* a longer string sharing the prefix */
	bad = mem_deref(bad);
	assert_int_equal(re_sdprintf(&bad, "%sx", tok), 0);
	assert_int_equal(token_cache_verify(&c, bad, key, KEYLEN, NOW),
			 EINVAL);
	assert_int_equal(token_cache_verify(&c, "", key, KEYLEN, NOW),
			 EINVAL);
	mem_deref(bad);
	mem_deref(tok);
	token_cache_flush();
}


static void test_many_tokens_bounded(void **state)
{
	struct token_claims c;

	(void)state;
	for (unsigned i = 0; i < 9000; i++) {
		char *tok = signed_token(NOW + 100 + i);

		assert_int_equal(token_cache_verify(&c, tok, key, KEYLEN,
						    NOW), 0);
		assert_int_equal(c.exp, NOW + 100 + i);
		mem_deref(tok);
	}
	token_cache_flush();
}


static int setup(void **state)
{
	(void)state;
	return libre_init();
}


static int teardown(void **state)
{
	(void)state;
	libre_close();
	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_gives_same_claims),
		cmocka_unit_test(test_tampered_after_hit),
		cmocka_unit_test(test_many_tokens_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
