/* Unit tests for secrets sealed at rest (seal/seal.c): round trip, and
 * a box refused under another key, tenant, column or row, altered,
 * cut short or not a box at all; the keys of a master key rotation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#include "seal/seal.h"

#define TENANT_A "7b0a4a43-6c1e-4b8e-9d1a-0f6f7c1f0a01"
#define TENANT_B "7b0a4a43-6c1e-4b8e-9d1a-0f6f7c1f0a02"
#define ROW_1    "0d5bc9c6-3b7e-4f0e-8f55-5b3c1d2e0001"
#define ROW_2    "0d5bc9c6-3b7e-4f0e-8f55-5b3c1d2e0002"
#define SECRET   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static struct seal_key k1, k2;
static const struct seal_ad ad_a1 = {SEAL_COL_WEBHOOK, TENANT_A, ROW_1};


static int setup(void **state)
{
	uint8_t raw[SEAL_KEY_BYTES];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(raw, sizeof(raw));
	seal_key_set(&k1, raw);
	randombytes_buf(raw, sizeof(raw));
	seal_key_set(&k2, raw);

	return 0;
}


static int teardown(void **state)
{
	(void)state;
	seal_key_clear(&k1);
	seal_key_clear(&k2);
	return 0;
}


static char *box_of(const struct seal_key *k, const char *plain,
		    const struct seal_ad *ad)
{
	char *box = NULL;

	assert_int_equal(seal_box_with(k, &box, plain, ad), 0);
	assert_non_null(box);
	return box;
}


static int open_as(const struct seal_key *k, const char *box,
		   const struct seal_ad *ad)
{
	char out[256];

	return seal_open_with(k, out, sizeof(out), box, ad);
}


static void test_round_trip(void **state)
{
	char out[64], *box, *box2;

	(void)state;
	box = box_of(&k1, SECRET, &ad_a1);

	/* bytea text: "\x", then nonce, ciphertext and tag in hex */
	assert_memory_equal(box, "\\x", 2);
	assert_int_equal(strlen(box),
			 2 + 2 * (24 + strlen(SECRET) + 16));
	assert_null(strstr(box, SECRET));
	assert_null(strstr(box, "MfKQ9r8G"));

	assert_int_equal(seal_open_with(&k1, out, sizeof(out), box, &ad_a1),
			 0);
	assert_string_equal(out, SECRET);

	/* a fresh nonce every time: the same secret, another box */
	box2 = box_of(&k1, SECRET, &ad_a1);
	assert_string_not_equal(box, box2);
	assert_int_equal(open_as(&k1, box2, &ad_a1), 0);

	mem_deref(box);
	mem_deref(box2);

	/* an empty secret is a box too, and opens empty */
	box = box_of(&k1, "", &ad_a1);
	assert_int_equal(seal_open_with(&k1, out, sizeof(out), box, &ad_a1),
			 0);
	assert_string_equal(out, "");
	mem_deref(box);
}


/* The associated data: tenant, column and row are all bound. */
static void test_wrong_place(void **state)
{
	const struct seal_ad other_tenant = {SEAL_COL_WEBHOOK, TENANT_B,
					     ROW_1};
	const struct seal_ad other_row = {SEAL_COL_WEBHOOK, TENANT_A, ROW_2};
	const struct seal_ad other_col = {SEAL_COL_CRM, TENANT_A, ROW_1};
	const struct seal_ad crm_a = {SEAL_COL_CRM, TENANT_A, NULL};
	const struct seal_ad crm_b = {SEAL_COL_CRM, TENANT_B, NULL};
	char *box = box_of(&k1, SECRET, &ad_a1);
	char *tok = box_of(&k1, "Bearer t0ken", &crm_a);

	(void)state;
	assert_int_equal(open_as(&k1, box, &other_tenant), EBADMSG);
	assert_int_equal(open_as(&k1, box, &other_row), EBADMSG);
	assert_int_equal(open_as(&k1, box, &other_col), EBADMSG);
	assert_int_equal(open_as(&k1, tok, &crm_b), EBADMSG);
	assert_int_equal(open_as(&k1, tok, &ad_a1), EBADMSG);
	assert_int_equal(open_as(&k1, tok, &crm_a), 0);

	/* the parts are separated: "ab"+"c" is not "a"+"bc" */
	{
		const struct seal_ad x = {"t.c", "ab", "c"};
		const struct seal_ad y = {"t.c", "a", "bc"};
		char *b = box_of(&k1, "s", &x);

		assert_int_equal(open_as(&k1, b, &y), EBADMSG);
		mem_deref(b);
	}

	mem_deref(box);
	mem_deref(tok);
}


static void test_tampered(void **state)
{
	char *box = box_of(&k1, SECRET, &ad_a1);
	size_t n = strlen(box);
	size_t at[] = {2, 2 + 2 * 24, n / 2, n - 1};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(at); i++) {
		char c = box[at[i]];

		/* one nibble changed: in the nonce, the text or the tag */
		box[at[i]] = c == '0' ? '1' : '0';
		assert_int_equal(open_as(&k1, box, &ad_a1), EBADMSG);
		box[at[i]] = c;
	}
	assert_int_equal(open_as(&k1, box, &ad_a1), 0);

	/* cut short by a byte, and by everything but the nonce */
	box[n - 2] = '\0';
	assert_int_equal(open_as(&k1, box, &ad_a1), EBADMSG);
	box[2 + 2 * 24 + 2 * 16 - 2] = '\0';
	assert_int_equal(open_as(&k1, box, &ad_a1), EPROTO);

	mem_deref(box);
}


static void test_not_a_box(void **state)
{
	static const char *const bad[] = {
		"", "\\", "\\x", "x00", SECRET, "\\x0", "\\xzz",
		"\\x00112233", "\\X0011", " \\x00",
	};
	char out[16], *box, *plain = NULL;
	size_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(open_as(&k1, bad[i], &ad_a1), EPROTO);
	assert_int_equal(open_as(&k1, NULL, &ad_a1), EPROTO);

	/* a box longer than anything we seal is not read at all */
	n = 2 + 2 * (24 + SEAL_PLAIN_MAX + 16 + 1);
	box = mem_zalloc(n + 1, NULL);
	memcpy(box, "\\x", 2);
	memset(box + 2, 'a', n - 2);
	assert_int_equal(open_as(&k1, box, &ad_a1), EPROTO);
	assert_int_equal(seal_open_dup(&plain, &k1, box, &ad_a1), EPROTO);
	mem_deref(box);

	/* a place left out, an output too small */
	box = box_of(&k1, SECRET, &ad_a1);
	{
		const struct seal_ad no_tenant = {SEAL_COL_WEBHOOK, NULL,
						  ROW_1};
		const struct seal_ad no_col = {NULL, TENANT_A, ROW_1};

		assert_int_equal(open_as(&k1, box, &no_tenant), EINVAL);
		assert_int_equal(open_as(&k1, box, &no_col), EINVAL);
		assert_int_equal(seal_box_with(&k1, &box, SECRET, &no_col),
				 EINVAL);
	}
	assert_int_equal(seal_open_with(&k1, out, sizeof(out), box, &ad_a1),
			 ENOSPC);
	mem_deref(box);
}


/* Rotation: a box opens under the key that sealed it only; the sweep
 * opens with the old key and seals with the new. */
static void test_rotation(void **state)
{
	struct seal_key none;
	char out[64], *old_box, *new_box = NULL;

	(void)state;
	assert_string_not_equal(k1.id, k2.id);
	assert_int_equal(strlen(k1.id), SEAL_ID_LEN);
	assert_int_equal(strspn(k1.id, "0123456789abcdef"), SEAL_ID_LEN);

	old_box = box_of(&k1, SECRET, &ad_a1);
	assert_int_equal(open_as(&k2, old_box, &ad_a1), EBADMSG);

	assert_int_equal(seal_open_with(&k1, out, sizeof(out), old_box,
					&ad_a1), 0);
	assert_int_equal(seal_box_with(&k2, &new_box, out, &ad_a1), 0);
	assert_int_equal(open_as(&k2, new_box, &ad_a1), 0);
	assert_int_equal(open_as(&k1, new_box, &ad_a1), EBADMSG);

	/* the id is the key's: the same bytes, the same id */
	{
		struct seal_key again;

		seal_key_set(&again, k1.key);
		assert_string_equal(again.id, k1.id);
		assert_int_equal(open_as(&again, old_box, &ad_a1), 0);
		seal_key_clear(&again);
		assert_false(again.set);
	}

	/* no key set: nothing seals or opens */
	memset(&none, 0, sizeof(none));
	assert_int_equal(open_as(&none, old_box, &ad_a1), ENOENT);
	assert_int_equal(seal_box_with(&none, &new_box, SECRET, &ad_a1),
			 ENOENT);

	mem_deref(old_box);
	mem_deref(new_box);
}


/* A reply stored for an Idempotency-Key may be large: it is opened
 * into a string of its own size. */
static void test_large(void **state)
{
	const size_t n = 300000;
	char *text = mem_zalloc(n + 1, NULL), *box, *plain = NULL;

	(void)state;
	assert_non_null(text);
	memset(text, 'j', n);
	box = box_of(&k1, text, &ad_a1);
	assert_int_equal(seal_open_dup(&plain, &k1, box, &ad_a1), 0);
	assert_string_equal(plain, text);
	mem_deref(plain);
	plain = NULL;
	assert_int_equal(seal_open_dup(&plain, &k2, box, &ad_a1), EBADMSG);
	assert_null(plain);

	mem_deref(box);
	mem_deref(text);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_place),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_not_a_box),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
