/* Unit tests for a review's scores against its form (recording/qa_score.c):
 * the total, every refusal naming its field, a form that is not one, and
 * running out of memory at each of jansson's allocations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_mem.h>
#include "recording/qa_int.h"

/* 40·s0/5 + 60·s1/10 */
static const char form[] = "[{\"name\":\"开场白\",\"weight\":40,"
	"\"max_score\":5},{\"name\":\"解决问题\",\"weight\":60,"
	"\"max_score\":10}]";

static struct qa_score_error e;
static char total[24];
static char *stored;


static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("bad test JSON %s: %s", text, jerr.text);

	return j;
}


static int run(const char *criteria, const char *scores)
{
	json_t *c = parse(criteria);
	json_t *s = parse(scores);
	int err;

	memset(&e, 0, sizeof(e));
	memset(total, 0, sizeof(total));
	stored = mem_deref(stored);
	err = qa_score(c, s, &stored, total, sizeof(total), &e);
	json_decref(c);
	json_decref(s);

	return err;
}


static void refused(const char *scores, const char *field, const char *code)
{
	int err = run(form, scores);

	if (err != EINVAL || strcmp(e.field, field) || strcmp(e.code, code))
		fail_msg("%s: err=%d field=%s code=%s (%s), want %s/%s",
			 scores, err, e.field, e.code, e.message, field, code);
	assert_true(strlen(e.message) > 0);
	assert_null(stored);
}


static void test_total(void **state)
{
	(void)state;
	assert_int_equal(run(form, "[{\"criterion\":\"解决问题\",\"score\":10},"
			     "{\"criterion\":\"开场白\",\"score\":4}]"), 0);
	assert_string_equal(total, "92.00");
	/* the form's order, each with what it was scored under */
	assert_string_equal(stored, "[{\"criterion\":\"开场白\",\"weight\":40,"
			    "\"max_score\":5,\"score\":4},{\"criterion\":"
			    "\"解决问题\",\"weight\":60,\"max_score\":10,"
			    "\"score\":10}]");

	assert_int_equal(run(form, "[{\"criterion\":\"开场白\",\"score\":0},"
			     "{\"criterion\":\"解决问题\",\"score\":0}]"), 0);
	assert_string_equal(total, "0.00");
	assert_int_equal(run(form, "[{\"criterion\":\"开场白\",\"score\":5},"
			     "{\"criterion\":\"解决问题\",\"score\":10}]"), 0);
	assert_string_equal(total, "100.00");
}


static void test_rounding(void **state)
{
	static const char thirds[] = "[{\"name\":\"a\",\"weight\":33,"
		"\"max_score\":3},{\"name\":\"b\",\"weight\":33,"
		"\"max_score\":3},{\"name\":\"c\",\"weight\":34,"
		"\"max_score\":3}]";

	(void)state;
	/* 33·2/3 + 33·2/3 + 34·2/3 = 66.666… */
	assert_int_equal(run(thirds, "[{\"criterion\":\"a\",\"score\":2},"
			     "{\"criterion\":\"b\",\"score\":2},"
			     "{\"criterion\":\"c\",\"score\":2}]"), 0);
	assert_string_equal(total, "66.67");
	/* 33·1/3 = 11 exactly, plus 0 */
	assert_int_equal(run(thirds, "[{\"criterion\":\"a\",\"score\":1},"
			     "{\"criterion\":\"b\",\"score\":0},"
			     "{\"criterion\":\"c\",\"score\":0}]"), 0);
	assert_string_equal(total, "11.00");
}


static void test_refused(void **state)
{
	(void)state;
	refused("[{\"criterion\":\"开场白\",\"score\":4}]", "scores",
		"missing");
	refused("[]", "scores", "missing");
	refused("[{\"criterion\":\"开场白\",\"score\":6},"
		"{\"criterion\":\"解决问题\",\"score\":1}]", "scores[0].score",
		"range");
	refused("[{\"criterion\":\"开场白\",\"score\":-1},"
		"{\"criterion\":\"解决问题\",\"score\":1}]", "scores[0].score",
		"range");
	refused("[{\"criterion\":\"开场白\",\"score\":1.5},"
		"{\"criterion\":\"解决问题\",\"score\":1}]", "scores[0].score",
		"range");
	refused("[{\"criterion\":\"开场白\",\"score\":1},"
		"{\"criterion\":\"开场白\",\"score\":1}]",
		"scores[1].criterion", "duplicate");
	refused("[{\"criterion\":\"开场白\",\"score\":1},"
		"{\"criterion\":\"礼貌\",\"score\":1}]",
		"scores[1].criterion", "unknown");
	refused("[{\"criterion\":7,\"score\":1}]", "scores[0].criterion",
		"unknown");
	refused("[{\"criterion\":\"开场白 \",\"score\":1}]",
		"scores[0].criterion", "unknown");
}


/* A form row edited by hand is refused, never divided by zero. */
static void test_not_a_form(void **state)
{
	static const char ok[] = "[{\"criterion\":\"a\",\"score\":0}]";

	(void)state;
	assert_int_equal(run("[]", ok), EPROTO);
	assert_int_equal(run("{}", ok), EPROTO);
	assert_int_equal(run("[{\"name\":\"a\",\"weight\":100,"
			     "\"max_score\":0}]", ok), EPROTO);
	assert_int_equal(run("[{\"weight\":100,\"max_score\":1}]", ok),
			 EPROTO);
	assert_int_equal(run("[1]", ok), EPROTO);
	assert_null(stored);
}


/* jansson's allocations fail after N: ENOMEM, nothing leaked. */
static int budget = -1;

static void *limited_malloc(size_t n)
{
	if (budget == 0)
		return NULL;
	if (budget > 0)
		--budget;
	return malloc(n);  /* ccheck: foreign */
}


static void limited_free(void *p)
{
	free(p);  /* ccheck: foreign */
}


static void test_out_of_memory(void **state)
{
	static const char scores[] = "[{\"criterion\":\"开场白\","
		"\"score\":4},{\"criterion\":\"解决问题\",\"score\":10}]";
	json_t *c = parse(form);
	json_t *s = parse(scores);
	int err = ENOMEM;

	(void)state;
	json_set_alloc_funcs(limited_malloc, limited_free);
	for (int n = 0; err == ENOMEM && n < 1000; n++) {
		budget = n;
		stored = mem_deref(stored);
		err = qa_score(c, s, &stored, total, sizeof(total), &e);
		if (err == ENOMEM)
			assert_null(stored);
	}
	budget = -1;
	json_set_alloc_funcs(malloc, free);  /* ccheck: foreign */
	assert_int_equal(err, 0);
	assert_string_equal(total, "92.00");
	json_decref(c);
	json_decref(s);
}


static int teardown(void **state)
{
	(void)state;
	stored = mem_deref(stored);
	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_total, teardown),
		cmocka_unit_test_teardown(test_rounding, teardown),
		cmocka_unit_test_teardown(test_refused, teardown),
		cmocka_unit_test_teardown(test_not_a_form, teardown),
		cmocka_unit_test_teardown(test_out_of_memory, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
