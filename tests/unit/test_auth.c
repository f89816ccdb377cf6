/* Unit tests for auth primitives: roles, tokens, passwords, secrets,
 * rate limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <pthread.h>
#include <sodium.h>
#include <re.h>
#include "auth/role.h"
#include "auth/token.h"
#include "auth/password.h"
#include "auth/secret.h"
#include "auth/ratelimit.h"
#include "worker/worker.h"
#include "loop.h"

#define USER   "5b0f7a52-6f0e-4a57-9a0b-2f4b1c0de0aa"
#define TENANT "7d1f3a52-6f0e-4a57-9a0b-2f4b1c0de001"
#define NOW    1700000000ULL

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(key) - 1)

static pthread_t loop_thread;


static void claims_init(struct token_claims *c, enum role r)
{
	memset(c, 0, sizeof(*c));
	str_ncpy(c->sub, USER, sizeof(c->sub));
	if (r != ROLE_OPERATOR)
		str_ncpy(c->tenant_id, TENANT, sizeof(c->tenant_id));
	c->role = r;
	c->iat = NOW;
	c->exp = NOW + 900;
}


/* base64url (no padding) of s appended to mb */
static void b64_append(struct mbuf *mb, const char *s)
{
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	char out[2048];

	sodium_bin2base64(out, sizeof(out), (const uint8_t *)s, strlen(s),
			  v);
	assert_int_equal(mbuf_write_str(mb, out), 0);
}


/* A token from raw header and payload JSON, HMAC-SHA256 signed with k
 * (or with an empty signature if k is NULL). */
static char *token_build(const char *hdr, const char *payload,
			 const uint8_t *k, size_t klen)
{
	const int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char sig[64];
	struct mbuf *mb = mbuf_alloc(256);
	char *tok = NULL;

	assert_non_null(mb);
	b64_append(mb, hdr);
	assert_int_equal(mbuf_write_u8(mb, '.'), 0);
	b64_append(mb, payload);

	if (k) {
		crypto_auth_hmacsha256_init(&st, k, klen);
		crypto_auth_hmacsha256_update(&st, mb->buf, mb->end);
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_bin2base64(sig, sizeof(sig), mac, sizeof(mac), v);
	}
	else {
		sig[0] = '\0';
	}

	assert_int_equal(mbuf_write_u8(mb, '.'), 0);
	assert_int_equal(mbuf_write_str(mb, sig), 0);
	mb->pos = 0;
	assert_int_equal(mbuf_strdup(mb, &tok, mb->end), 0);
	mem_deref(mb);

	return tok;
}


#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define GOOD_PAYLOAD \
	"{\"sub\":\"" USER "\",\"tid\":\"" TENANT "\",\"role\":\"agent\"," \
	"\"iat\":1700000000,\"exp\":1700000900}"


static void test_role(void **state)
{
	(void)state;

	assert_string_equal(role_name(ROLE_AGENT), "agent");
	assert_string_equal(role_name(ROLE_SUPERVISOR), "supervisor");
	assert_string_equal(role_name(ROLE_ADMIN), "admin");
	assert_string_equal(role_name(ROLE_OPERATOR), "operator");
	assert_string_equal(role_name((enum role)99), "none");

	assert_int_equal(role_parse("agent"), ROLE_AGENT);
	assert_int_equal(role_parse("supervisor"), ROLE_SUPERVISOR);
	assert_int_equal(role_parse("admin"), ROLE_ADMIN);
	assert_int_equal(role_parse("operator"), ROLE_OPERATOR);
	assert_int_equal(role_parse("none"), ROLE_NONE);
	assert_int_equal(role_parse("Admin"), ROLE_NONE);
	assert_int_equal(role_parse(""), ROLE_NONE);
	assert_int_equal(role_parse(NULL), ROLE_NONE);
	assert_true(ROLE_AGENT < ROLE_SUPERVISOR);
	assert_true(ROLE_ADMIN < ROLE_OPERATOR);
}


static void test_token_roundtrip(void **state)
{
	struct token_claims c, out;
	char *tok = NULL;
	(void)state;

	claims_init(&c, ROLE_SUPERVISOR);
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), 0);
	assert_non_null(tok);

	memset(&out, 0, sizeof(out));
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), 0);
	assert_string_equal(out.sub, USER);
	assert_string_equal(out.tenant_id, TENANT);
	assert_int_equal(out.role, ROLE_SUPERVISOR);
	assert_int_equal(out.iat, NOW);
	assert_int_equal(out.exp, NOW + 900);

	/* wrong key */
	assert_int_equal(token_verify(&out, tok, (const uint8_t *)"other",
				      5, NOW), EINVAL);
	tok = mem_deref(tok);

	/* operator: no tenant */
	claims_init(&c, ROLE_OPERATOR);
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), 0);
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), 0);
	assert_int_equal(out.role, ROLE_OPERATOR);
	assert_string_equal(out.tenant_id, "");
	tok = mem_deref(tok);
}


static void test_token_sign_bad(void **state)
{
	struct token_claims c;
	char *tok = NULL;
	(void)state;

	claims_init(&c, ROLE_AGENT);
	assert_int_equal(token_sign(NULL, &c, key, KEYLEN), EINVAL);
	assert_int_equal(token_sign(&tok, NULL, key, KEYLEN), EINVAL);
	assert_int_equal(token_sign(&tok, &c, NULL, KEYLEN), EINVAL);
	assert_int_equal(token_sign(&tok, &c, key, 0), EINVAL);

	c.tenant_id[0] = '\0';
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), EINVAL);
	claims_init(&c, ROLE_NONE);
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), EINVAL);
	claims_init(&c, ROLE_AGENT);
	c.sub[0] = '\0';
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), EINVAL);
	assert_null(tok);
}


static void test_token_expired(void **state)
{
	struct token_claims c, out;
	char *tok = NULL;
	(void)state;

	claims_init(&c, ROLE_AGENT);
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), 0);

	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW + 899), 0);

	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW + 900),
			 ETIMEDOUT);
	assert_int_equal(out.sub[0], 0x5a);   /* untouched */
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW + 5000),
			 ETIMEDOUT);
	mem_deref(tok);
}


static void test_token_tampered(void **state)
{
	struct token_claims c, out;
	char *tok = NULL, *dot1, *dot2;
	size_t i;
	char ch;
	(void)state;

	claims_init(&c, ROLE_AGENT);
	assert_int_equal(token_sign(&tok, &c, key, KEYLEN), 0);
	dot1 = strchr(tok, '.');
	dot2 = strrchr(tok, '.');
	assert_non_null(dot1);
	assert_true(dot2 > dot1);

	/* flip a character in the payload */
	i = (dot1 - tok) + 5;
	ch = tok[i];
	tok[i] = ch == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), EINVAL);
	tok[i] = ch;
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), 0);

	/* flip a character in the signature */
	i = (dot2 - tok) + 3;
	ch = tok[i];
	tok[i] = ch == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), EINVAL);
	tok[i] = ch;

	/* drop the signature */
	dot2[1] = '\0';
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), EINVAL);
	mem_deref(tok);

	/* a payload with a higher role, re-signed with another key */
	tok = token_build(HS256, GOOD_PAYLOAD, (const uint8_t *)"k", 1);
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), EINVAL);
	mem_deref(tok);

	/* our own builder is right: the same payload with our key passes */
	tok = token_build(HS256, GOOD_PAYLOAD, key, KEYLEN);
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), 0);
	mem_deref(tok);
}


static void test_token_alg(void **state)
{
	static const char *const hdrs[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\"}",
		"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
		"{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
		"{\"alg\":\"hs256\"}",
		"{\"typ\":\"JWT\"}",
		"{\"alg\":256}",
		"{\"alg\":\"HS256\",\"typ\":\"JWE\"}",
		"{\"alg\":\"HS256\",\"alg\":\"none\"}",
		"[\"HS256\"]",
		"not json",
	};
	struct token_claims out;
	size_t i;
	char *tok;
	(void)state;

	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		/* alg:none style: empty signature */
		tok = token_build(hdrs[i], GOOD_PAYLOAD, NULL, 0);
		assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW),
				 EINVAL);
		mem_deref(tok);

		/* even with a valid HMAC-SHA256 over the other alg */
		tok = token_build(hdrs[i], GOOD_PAYLOAD, key, KEYLEN);
		assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW),
				 EINVAL);
		mem_deref(tok);
	}
}


#define SUB "\"sub\":\"" USER "\""
#define TID "\"tid\":\"" TENANT "\""
#define ROLE(r) "\"role\":\"" r "\""
#define EXP "\"exp\":1800000000"


static void test_token_claims(void **state)
{
	static const char *const bad[] = {
		/* no sub */
		"{" TID "," ROLE("agent") "," EXP "}",
		/* no role, unknown role */
		"{" SUB "," TID "," EXP "}",
		"{" SUB "," TID "," ROLE("root") "," EXP "}",
		/* no tenant for a tenant role */
		"{" SUB "," ROLE("admin") "," EXP "}",
		/* operator with a tenant */
		"{" SUB "," TID "," ROLE("operator") "," EXP "}",
		/* no exp, exp a string, exp a float, exp zero */
		"{" SUB "," TID "," ROLE("agent") "}",
		"{" SUB "," TID "," ROLE("agent") ",\"exp\":\"1800000000\"}",
		"{" SUB "," TID "," ROLE("agent") ",\"exp\":1800000000.5}",
		"{" SUB "," TID "," ROLE("agent") ",\"exp\":0}",
		/* sub not a string, too long, empty */
		"{\"sub\":7," TID "," ROLE("agent") "," EXP "}",
		"{\"sub\":\"" USER "x\"," TID "," ROLE("agent") "," EXP "}",
		"{\"sub\":\"\"," TID "," ROLE("agent") "," EXP "}",
		/* iat not a number */
		"{" SUB "," TID "," ROLE("agent") ",\"iat\":\"x\"," EXP "}",
		"[1,2,3]",
	};
	struct token_claims out;
	size_t i;
	char *tok;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tok = token_build(HS256, bad[i], key, KEYLEN);
		assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW),
				 EINVAL);
		mem_deref(tok);
	}

	/* operator without tenant, hand-built */
	tok = token_build(HS256, "{\"sub\":\"" USER "\",\"role\":\"operator\","
			  "\"exp\":1800000000}", key, KEYLEN);
	assert_int_equal(token_verify(&out, tok, key, KEYLEN, NOW), 0);
	assert_int_equal(out.role, ROLE_OPERATOR);
	mem_deref(tok);
}


static void test_token_garbage(void **state)
{
	static const char *const junk[] = {
		"", ".", "..", "...", "a.b", "a.b.c", "a.b.c.d", "a..c",
		"eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9..",
		"eyJhbGciOiJIUzI1NiJ9.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.!!!",
		"Bearer x.y.z", "\xff\xfe.\x01.\x02", "a b.c d.e f",
		"eyJhbGciOiJIUzI1NiJ9.e30.c2ln=",
	};
	struct token_claims out;
	char *huge;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(token_verify(&out, junk[i], key, KEYLEN, NOW),
				 EINVAL);

	assert_int_equal(token_verify(NULL, "a.b.c", key, KEYLEN, NOW),
			 EINVAL);
	assert_int_equal(token_verify(&out, NULL, key, KEYLEN, NOW), EINVAL);
	assert_int_equal(token_verify(&out, "a.b.c", NULL, KEYLEN, NOW),
			 EINVAL);
	assert_int_equal(token_verify(&out, "a.b.c", key, 0, NOW), EINVAL);

	/* a huge token of valid characters */
	huge = mem_zalloc(1 << 20, NULL);
	assert_non_null(huge);
	memset(huge, 'A', (1 << 20) - 1);
	huge[1000] = '.';
	huge[2000] = '.';
	assert_int_equal(token_verify(&out, huge, key, KEYLEN, NOW), EINVAL);
	mem_deref(huge);
}


static void test_password(void **state)
{
	char hash[PASSWORD_HASH_LEN];
	char hash2[PASSWORD_HASH_LEN];
	(void)state;

	assert_int_equal(password_hash(hash, "correct horse 1"), 0);
	assert_true(strlen(hash) < PASSWORD_HASH_LEN);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_int_equal(password_verify(hash, "correct horse 1"), 0);
	assert_int_equal(password_verify(hash, "correct horse 2"), EACCES);
	assert_int_equal(password_verify(hash, ""), EACCES);

	/* salted: same password, different hash */
	assert_int_equal(password_hash(hash2, "correct horse 1"), 0);
	assert_string_not_equal(hash, hash2);

	assert_int_equal(password_hash(NULL, "x"), EINVAL);
	assert_int_equal(password_hash(hash2, NULL), EINVAL);
	assert_int_equal(password_verify(NULL, "x"), EINVAL);
	assert_int_equal(password_verify(hash, NULL), EINVAL);
	assert_int_equal(password_verify("", "x"), EINVAL);
	assert_int_equal(password_verify("$2y$10$abcdefgh", "x"), EINVAL);
	assert_int_equal(password_verify("$argon2id$garbage", "x"), EACCES);
}


static void test_password_policy(void **state)
{
	char longpw[PASSWORD_MAX_LEN + 2];
	(void)state;

	assert_int_equal(password_check_policy("abcdefg1"), 0);
	assert_int_equal(password_check_policy("Pa55word with spaces"), 0);
	assert_int_equal(password_check_policy("\xe5\xaf\x86\xe7\xa0\x81"
					       "12345"), 0);   /* CJK */

	assert_int_equal(password_check_policy(NULL), EINVAL);
	assert_int_equal(password_check_policy(""), EINVAL);
	assert_int_equal(password_check_policy("abcde1"), EINVAL);
	assert_int_equal(password_check_policy("abcdefgh"), EINVAL);
	assert_int_equal(password_check_policy("12345678"), EINVAL);
	assert_int_equal(password_check_policy("!@#$%^&*()"), EINVAL);
	assert_int_equal(password_check_policy("abcdefg1\xff"), EINVAL);
	assert_int_equal(password_check_policy("abcdefg1\xc0\xaf"), EINVAL);
	assert_int_equal(password_check_policy("abcdefg1\xed\xa0\x80"),
			 EINVAL);          /* surrogate */
	assert_int_equal(password_check_policy("abcdefg1\xe5\xaf"), EINVAL);
	assert_int_equal(password_check_policy("abcd\tefg1"), EINVAL);

	memset(longpw, 'a', sizeof(longpw));
	longpw[0] = '1';
	longpw[PASSWORD_MAX_LEN] = '\0';
	assert_int_equal(password_check_policy(longpw), 0);
	longpw[PASSWORD_MAX_LEN] = 'a';
	longpw[PASSWORD_MAX_LEN + 1] = '\0';
	assert_int_equal(password_check_policy(longpw), EINVAL);
}


struct pwtest {
	struct worker_pool *wp;
	char hash[PASSWORD_HASH_LEN];
	int err;
	bool match;
	unsigned calls;
	bool wrong_thread;
};


static void verify_h(int err, bool match, void *arg)
{
	struct pwtest *t = arg;

	if (!pthread_equal(pthread_self(), loop_thread))
		t->wrong_thread = true;
	t->err = err;
	t->match = match;
	++t->calls;
	re_cancel();
}


static void hash_h(int err, const char *hash, void *arg)
{
	struct pwtest *t = arg;

	if (!pthread_equal(pthread_self(), loop_thread))
		t->wrong_thread = true;
	t->err = err;
	++t->calls;
	if (!err)
		str_ncpy(t->hash, hash, sizeof(t->hash));
	re_cancel();
}


static void test_password_async(void **state)
{
	char longpw[PASSWORD_MAX_LEN + 2];
	struct pwtest t;
	(void)state;

	memset(&t, 0, sizeof(t));
	assert_int_equal(worker_pool_alloc(&t.wp, 2, 8), 0);

	assert_int_equal(password_hash_async(t.wp, "s3cret pass", hash_h,
					     &t), 0);
	assert_int_equal(loop_run(20000), 0);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.err, 0);
	assert_memory_equal(t.hash, "$argon2id$", 10);

	assert_int_equal(password_verify_async(t.wp, t.hash, "s3cret pass",
					       verify_h, &t), 0);
	assert_int_equal(loop_run(20000), 0);
	assert_int_equal(t.err, 0);
	assert_true(t.match);

	assert_int_equal(password_verify_async(t.wp, t.hash, "s3cret pasS",
					       verify_h, &t), 0);
	assert_int_equal(loop_run(20000), 0);
	assert_int_equal(t.err, 0);
	assert_false(t.match);

	assert_int_equal(password_verify_async(t.wp, "bogus", "x",
					       verify_h, &t), 0);
	assert_int_equal(loop_run(20000), 0);
	assert_int_equal(t.err, EINVAL);
	assert_false(t.match);
	assert_int_equal(t.calls, 4);
	assert_false(t.wrong_thread);

	/* refused up front: handler never called */
	memset(longpw, 'a', sizeof(longpw));
	longpw[PASSWORD_MAX_LEN + 1] = '\0';
	assert_int_equal(password_hash_async(t.wp, longpw, hash_h, &t),
			 EINVAL);
	assert_int_equal(password_hash_async(t.wp, NULL, hash_h, &t),
			 EINVAL);
	assert_int_equal(password_hash_async(NULL, "x", hash_h, &t), EINVAL);
	assert_int_equal(password_verify_async(t.wp, NULL, "x", verify_h,
					       &t), EINVAL);
	assert_int_equal(password_verify_async(t.wp, t.hash, NULL,
					       verify_h, &t), EINVAL);
	assert_int_equal(t.calls, 4);

	mem_deref(t.wp);
}


static void test_secret(void **state)
{
	char a[64], b[64], h[SECRET_HASH_LEN], h2[SECRET_HASH_LEN];
	(void)state;

	assert_int_equal(secret_random(a, sizeof(a), 32), 0);
	assert_int_equal(secret_random(b, sizeof(b), 32), 0);
	assert_int_equal(strlen(a), 43);   /* ceil(32 * 4 / 3) */
	assert_string_not_equal(a, b);
	assert_null(strpbrk(a, "+/="));

	assert_int_equal(secret_random(a, sizeof(a), 12), 0);
	assert_int_equal(strlen(a), 16);

	/* 43 chars + NUL needed for 32 bytes */
	assert_int_equal(secret_random(a, 43, 32), EINVAL);
	assert_int_equal(secret_random(a, 44, 32), 0);
	assert_int_equal(secret_random(a, sizeof(a), 0), EINVAL);
	assert_int_equal(secret_random(NULL, sizeof(a), 8), EINVAL);

	secret_hash(h, "abc");
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
	secret_hash(h2, "abd");
	assert_string_not_equal(h, h2);
	secret_hash(h2, NULL);
	assert_string_equal(h2, "e3b0c44298fc1c149afbf4c8996fb924"
			    "27ae41e4649b934ca495991b7852b855");

	assert_int_equal(secret_equal("abc", "abc"), 1);
	assert_int_equal(secret_equal("", ""), 1);
	assert_int_equal(secret_equal("abc", "abd"), 0);
	assert_int_equal(secret_equal("abc", "abcd"), 0);
	assert_int_equal(secret_equal("abcd", "abc"), 0);
	assert_int_equal(secret_equal(NULL, "abc"), 0);
	assert_int_equal(secret_equal("abc", NULL), 0);
}


static void test_ratelimit(void **state)
{
	struct ratelimit *rl = NULL;
	uint64_t retry = 0;
	(void)state;

	/* 3 failures within 1 s ban for 10 s */
	assert_int_equal(ratelimit_alloc(&rl, 3, 1000, 10000, 100), 0);

	assert_int_equal(ratelimit_check(rl, "u", 0, &retry), 0);
	ratelimit_fail(rl, "u", 0);
	ratelimit_fail(rl, "u", 100);
	assert_int_equal(ratelimit_check(rl, "u", 200, &retry), 0);
	ratelimit_fail(rl, "u", 900);
	assert_int_equal(ratelimit_check(rl, "u", 1000, &retry), EBUSY);
	assert_int_equal(retry, 9900);
	assert_int_equal(ratelimit_check(rl, "v", 1000, &retry), 0);

	/* failures during the ban do not extend it */
	ratelimit_fail(rl, "u", 5000);
	assert_int_equal(ratelimit_check(rl, "u", 10899, &retry), EBUSY);
	assert_int_equal(retry, 1);
	assert_int_equal(ratelimit_check(rl, "u", 10900, &retry), 0);

	/* failures spread wider than the window never ban */
	ratelimit_fail(rl, "w", 0);
	ratelimit_fail(rl, "w", 600);
	ratelimit_fail(rl, "w", 1200);
	ratelimit_fail(rl, "w", 1800);
	assert_int_equal(ratelimit_check(rl, "w", 1800, &retry), 0);
	ratelimit_fail(rl, "w", 1900);   /* 1200, 1800, 1900 */
	assert_int_equal(ratelimit_check(rl, "w", 1900, &retry), EBUSY);

	/* reset lifts a ban */
	ratelimit_reset(rl, "w");
	assert_int_equal(ratelimit_check(rl, "w", 1900, &retry), 0);
	ratelimit_reset(rl, "never-seen");

	mem_deref(rl);
}


static void test_ratelimit_evict(void **state)
{
	struct ratelimit *rl = NULL;
	uint64_t retry;
	char k[16];
	unsigned i;
	(void)state;

	assert_int_equal(ratelimit_alloc(&rl, 1, 1000, 10000, 4), 0);

	/* one failure bans; a, b, c, d banned */
	ratelimit_fail(rl, "a", 0);
	ratelimit_fail(rl, "b", 1);
	ratelimit_fail(rl, "c", 2);
	ratelimit_fail(rl, "d", 3);
	assert_int_equal(ratelimit_check(rl, "a", 10, &retry), EBUSY);

	/* "a" touched last now; "b" idle longest and evicted by "e" */
	ratelimit_fail(rl, "a", 11);
	ratelimit_fail(rl, "e", 12);
	assert_int_equal(ratelimit_check(rl, "b", 13, &retry), 0);
	assert_int_equal(ratelimit_check(rl, "a", 13, &retry), EBUSY);
	assert_int_equal(ratelimit_check(rl, "c", 13, &retry), EBUSY);
	assert_int_equal(ratelimit_check(rl, "e", 13, &retry), EBUSY);

	/* many keys: memory stays bounded, last ones tracked */
	for (i = 0; i < 1000; i++) {
		re_snprintf(k, sizeof(k), "k%u", i);
		ratelimit_fail(rl, k, 100 + i);
	}
	assert_int_equal(ratelimit_check(rl, "k999", 2000, &retry), EBUSY);
	assert_int_equal(ratelimit_check(rl, "k996", 2000, &retry), EBUSY);
	assert_int_equal(ratelimit_check(rl, "k995", 2000, &retry), 0);
	assert_int_equal(ratelimit_check(rl, "a", 2000, &retry), 0);

	/* bad input */
	assert_int_equal(ratelimit_check(NULL, "a", 0, &retry), EINVAL);
	assert_int_equal(ratelimit_check(rl, NULL, 0, &retry), EINVAL);
	ratelimit_fail(NULL, "a", 0);
	ratelimit_fail(rl, NULL, 0);
	ratelimit_reset(rl, NULL);
	mem_deref(rl);

	assert_int_equal(ratelimit_alloc(NULL, 3, 1, 1, 1), EINVAL);
	rl = NULL;
	assert_int_equal(ratelimit_alloc(&rl, 0, 1, 1, 1), EINVAL);
	assert_int_equal(ratelimit_alloc(&rl, 3, 0, 1, 1), EINVAL);
	assert_int_equal(ratelimit_alloc(&rl, 3, 1, 0, 1), EINVAL);
	assert_int_equal(ratelimit_alloc(&rl, 3, 1, 1, 0), EINVAL);
	assert_null(rl);
}


static int setup(void **state)
{
	(void)state;
	loop_thread = pthread_self();

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
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_sign_bad),
		cmocka_unit_test(test_token_expired),
		cmocka_unit_test(test_token_tampered),
		cmocka_unit_test(test_token_alg),
		cmocka_unit_test(test_token_claims),
		cmocka_unit_test(test_token_garbage),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_password_async),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_ratelimit_evict),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
