/* A review's scores against its form's criteria: the checks, the total. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "recording/qa_int.h"

/*
 * Every criterion is scored exactly once, 0 up to its max_score; the
 * total is Σ weight·score/max_score, which the form's weights (summing
 * to 100) keep within 0..100. No HTTP here, so the rules can be tested
 * on their own (tests/unit/test_qa_score.c).
 */


static int fail(struct qa_score_error *e, const char *field,
		const char *code, const char *fmt, ...)
{
	va_list ap;

	(void)re_snprintf(e->field, sizeof(e->field), "%s", field);
	(void)re_snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	(void)re_vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);

	return EINVAL;
}


static json_int_t int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}


/* The criterion called name, or -1. */
static int criterion_index(const json_t *criteria, const char *name)
{
	for (size_t i = 0; i < json_array_size(criteria); i++) {
		const json_t *c = json_array_get(criteria, i);
		const char *s = json_string_value(json_object_get(c, "name"));

		if (s && name && !strcmp(s, name))
			return (int)i;
	}

	return -1;
}


/* The stored scores: the form's criteria in order, not yet scored. */
static int stored_alloc(json_t **storedp, const json_t *criteria)
{
	json_t *stored = json_array();

	if (!stored)
		return ENOMEM;

	for (size_t i = 0; i < json_array_size(criteria); i++) {
		const json_t *c = json_array_get(criteria, i);
		json_t *o;

		/* the form was checked on save; a row edited by hand is not
		 * scored against */
		if (!json_is_string(json_object_get(c, "name")) ||
		    int_of(c, "max_score") < 1 || int_of(c, "weight") < 0) {
			json_decref(stored);
			return EPROTO;
		}

		o = json_pack("{s:O,s:I,s:I}", "criterion",
			      json_object_get(c, "name"), "weight",
			      int_of(c, "weight"), "max_score",
			      int_of(c, "max_score"));
		if (!o || json_array_append_new(stored, o)) {
			json_decref(stored);
			return ENOMEM;
		}
	}

	*storedp = stored;
	return 0;
}


/* Score item i into its criterion's stored entry. */
static int score_one(json_t *stored, const json_t *criteria, size_t i,
		     const json_t *item, struct qa_score_error *e)
{
	const char *name = json_string_value(json_object_get(item,
							     "criterion"));
	json_int_t score = int_of(item, "score");
	int k = criterion_index(criteria, name);
	json_t *o = k < 0 ? NULL : json_array_get(stored, (size_t)k);
	char field[48];

	(void)re_snprintf(field, sizeof(field), "scores[%zu].criterion", i);
	if (!o)
		return fail(e, field, "unknown",
			    "the form has no criterion of this name");

	if (json_object_get(o, "score"))
		return fail(e, field, "duplicate",
			    "scores this criterion a second time");

	(void)re_snprintf(field, sizeof(field), "scores[%zu].score", i);
	if (!json_is_integer(json_object_get(item, "score")) || score < 0)
		return fail(e, field, "range",
			    "must be a whole number from 0");

	if (score > int_of(o, "max_score"))
		return fail(e, field, "range", "must be at most %lld, this "
			    "criterion's max_score",
			    (long long)int_of(o, "max_score"));

	return json_object_set_new(o, "score", json_integer(score)) ?
		ENOMEM : 0;
}


/* Σ weight·score/max_score; EINVAL naming a criterion not scored. */
static int total_of(const json_t *stored, double *totalp,
		    struct qa_score_error *e)
{
	double total = 0;

	for (size_t i = 0; i < json_array_size(stored); i++) {
		const json_t *o = json_array_get(stored, i);

		if (!json_object_get(o, "score"))
			return fail(e, "scores", "missing", "criterion \"%s\" "
				    "is not scored", json_string_value(
				    json_object_get(o, "criterion")));

		total += (double)int_of(o, "weight") *
			(double)int_of(o, "score") /
			(double)int_of(o, "max_score");
	}

	*totalp = total > 100 ? 100 : total;
	return 0;
}


/**
 * Check a review's scores against its form and compute the total.
 *
 * @param criteria  the form's criteria [{name, weight, max_score}]
 * @param scores    the body's scores [{criterion, score}]
 * @param storedp   the scores to store, as JSON text: the form's order,
 *                  each with the weight and max_score it was scored under
 * @param total     the total with two decimals, e.g. "92.00"
 * @param e         what is wrong, for an EINVAL
 *
 * @return 0 if success, EINVAL (e names the field), EPROTO for a form
 *         that is not one, otherwise errorcode
 */
int qa_score(const struct json_t *criteria, const struct json_t *scores,
	     char **storedp, char *total, size_t tsz,
	     struct qa_score_error *e)
{
	json_t *stored = NULL;
	double t = 0;
	char *s = NULL;
	long h;
	int err;

	if (!json_is_array(criteria) || !json_array_size(criteria))
		return EPROTO;

	err = stored_alloc(&stored, criteria);
	for (size_t i = 0; !err && i < json_array_size(scores); i++)
		err = score_one(stored, criteria, i,
				json_array_get(scores, i), e);

	err = err ? err : total_of(stored, &t, e);
	if (!err) {
		s = json_dumps(stored, JSON_COMPACT);
		err = s ? str_dup(storedp, s) : ENOMEM;
	}

	/* two decimals, as numeric(5, 2) keeps it */
	h = (long)(t * 100 + 0.5);
	if (!err && re_snprintf(total, tsz, "%ld.%02ld", h / 100,
				h % 100) < 0)
		err = ENOMEM;

	free(s);  /* ccheck: foreign */
	json_decref(stored);
	return err;
}
