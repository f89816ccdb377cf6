/* Node kinds that wait for the caller: menu and collect. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "http/param.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"
#include "ivr/ivr_kinds.h"

#define P(t) t, ARRAY_SIZE(t)

/* --- menu: digit -> node, with retries on timeout and invalid keys ------ */

enum { MENU_PROMPT = 0, MENU_FEEDBACK = 1 };

static const struct param menu_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"prompts", PARAM_ARRAY, true, 1, IVR_PROMPTS_MAX, NULL, false},
	{"choices", PARAM_OBJECT, true, 0, 0, NULL, false},
	{"timeout_ms", PARAM_INT, false, 200, 60000, NULL, false},
	{"retries", PARAM_INT, false, 0, 9, NULL, false},
	{"invalid_prompt", PARAM_STRING, false, 1, 64, NULL, false},
	{"timeout_prompt", PARAM_STRING, false, 1, 64, NULL, false},
	{"fail", PARAM_STRING, false, 1, 64, NULL, false},
};


static void menu_check(struct ivr_check *c, const char *node,
		       const json_t *obj)
{
	const json_t *ch = json_object_get(obj, "choices");
	const char *k;
	json_t *v;

	ivr_check_prompts(c, node, "prompts", json_object_get(obj,
							      "prompts"));
	ivr_check_prompt(c, node, "invalid_prompt",
			 json_object_get(obj, "invalid_prompt"));
	ivr_check_prompt(c, node, "timeout_prompt",
			 json_object_get(obj, "timeout_prompt"));

	if (json_is_object(ch) && json_object_size(ch) == 0)
		(void)ivr_check_add(c, node, "choices", "field_range",
				    "choices: a menu needs at least one key");

	json_object_foreach((json_t *)ch, k, v) {
		char f[48];

		(void)re_snprintf(f, sizeof(f), "choices.%s", k);
		if (strlen(k) != 1 || !strchr("0123456789*#", k[0])) {
			(void)ivr_check_add(c, node, "choices", "bad_choice",
					    "choices: \"%s\" is not a key "
					    "(0-9, * or #)", k);
			continue;
		}
		ivr_check_edge(c, node, f, v, true);
	}

	ivr_check_edge(c, node, "fail", json_object_get(obj, "fail"), false);
}


static void menu_digit(struct ivr_exec *x, char d);


static void menu_prompt(struct ivr_exec *x)
{
	int d = ivr_take_ahead(x);

	if (d >= 0) {
		menu_digit(x, (char)d);
		return;
	}

	x->phase = MENU_PROMPT;
	ivr_play(x, json_object_get(x->node->obj, "prompts"), true);
}


static void menu_enter(struct ivr_exec *x)
{
	menu_prompt(x);
}


/* A wrong key or no key: say so and ask again, or give up. */
static void menu_miss(struct ivr_exec *x, const char *prompt_field,
		      const char *def)
{
	const char *p = ivr_str(x->node->obj, prompt_field);

	if (++x->tries > (unsigned)ivr_int(x->node->obj, "retries", 2)) {
		ivr_goto(x, "fail");
		return;
	}

	x->phase = MENU_FEEDBACK;
	ivr_play_one(x, p ? p : def, true);
}


static void menu_digit(struct ivr_exec *x, char d)
{
	const json_t *ch = json_object_get(x->node->obj, "choices");
	char key[2] = {d, '\0'};
	const char *to = json_string_value(json_object_get(ch, key));

	if (to) {
		ivr_goto_id(x, to);
		return;
	}

	menu_miss(x, "invalid_prompt", "builtin/invalid");
}


static void menu_played(struct ivr_exec *x, int err)
{
	(void)err;

	if (x->phase == MENU_FEEDBACK) {
		menu_prompt(x);
		return;
	}

	ivr_wait_input(x, (uint32_t)ivr_int(x->node->obj, "timeout_ms",
					    5000));
}


static void menu_timeout(struct ivr_exec *x)
{
	menu_miss(x, "timeout_prompt", "builtin/timeout");
}


const struct ivr_kind ivr_kind_menu = {
	"menu", P(menu_params), true, menu_check, menu_enter, menu_digit,
	menu_played, NULL, menu_timeout,
};

/* --- collect: digits into a variable, ended by # or max_digits ---------- */

static const char *const terms[] = {"#", "*", "", NULL};

static const struct param collect_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"var", PARAM_STRING, true, 1, 32, NULL, false},
	{"prompts", PARAM_ARRAY, false, 0, IVR_PROMPTS_MAX, NULL, false},
	{"min_digits", PARAM_INT, false, 1, IVR_DIGITS_MAX, NULL, false},
	{"max_digits", PARAM_INT, false, 1, IVR_DIGITS_MAX, NULL, false},
	{"terminator", PARAM_ENUM, false, 0, 0, terms, false},
	{"timeout_ms", PARAM_INT, false, 200, 60000, NULL, false},
	{"inter_digit_ms", PARAM_INT, false, 200, 30000, NULL, false},
	{"next", PARAM_STRING, true, 1, 64, NULL, false},
	{"fail", PARAM_STRING, false, 1, 64, NULL, false},
};


static void collect_check(struct ivr_check *c, const char *node,
			  const json_t *obj)
{
	const char *var = ivr_str(obj, "var");

	if (var && !ivr_var_name_ok(var))
		(void)ivr_check_add(c, node, "var", "bad_var",
				    "var: \"%s\" is not a variable name "
				    "(a-z, 0-9, _)", var);
	if (ivr_int(obj, "min_digits", 1) >
	    ivr_int(obj, "max_digits", IVR_DIGITS_MAX))
		(void)ivr_check_add(c, node, "min_digits", "field_range",
				    "min_digits: must not exceed "
				    "max_digits");

	ivr_check_prompts(c, node, "prompts", json_object_get(obj,
							      "prompts"));
	ivr_check_edge(c, node, "next", json_object_get(obj, "next"), true);
	ivr_check_edge(c, node, "fail", json_object_get(obj, "fail"), false);
}


static void collect_finish(struct ivr_exec *x)
{
	const json_t *o = x->node->obj;
	bool enough = strlen(x->digits) >= (size_t)ivr_int(o, "min_digits",
							     1);

	if (!enough && ivr_str(o, "fail")) {
		ivr_goto(x, "fail");
		return;
	}

	(void)ivr_var_set(x, ivr_str(o, "var"), enough ? x->digits : "");
	ivr_goto(x, "next");
}


static void collect_digit(struct ivr_exec *x, char d)
{
	const json_t *o = x->node->obj;
	const char *term = ivr_str(o, "terminator");
	size_t n = strlen(x->digits);

	if (!term)
		term = "#";

	if (term[0] && d == term[0]) {
		collect_finish(x);
		return;
	}

	x->digits[n++] = d;
	x->digits[n] = '\0';
	if (n >= (size_t)ivr_int(o, "max_digits", IVR_DIGITS_MAX)) {
		collect_finish(x);
		return;
	}

	ivr_wait_input(x, (uint32_t)ivr_int(o, "inter_digit_ms", 3000));
}


static void collect_enter(struct ivr_exec *x)
{
	const json_t *prompts = json_object_get(x->node->obj, "prompts");
	unsigned seq = x->seq;
	int d;

	/* digits typed ahead count first, until they finish the node */
	while (x->seq == seq && !ivr_gone(x) && (d = ivr_take_ahead(x)) >= 0)
		collect_digit(x, (char)d);
	if (x->seq != seq || ivr_gone(x) || x->digits[0])
		return;

	if (json_array_size(prompts)) {
		ivr_play(x, prompts, true);
		return;
	}

	ivr_wait_input(x, (uint32_t)ivr_int(x->node->obj, "timeout_ms",
					    5000));
}


static void collect_played(struct ivr_exec *x, int err)
{
	(void)err;
	ivr_wait_input(x, (uint32_t)ivr_int(x->node->obj, "timeout_ms",
					    5000));
}


static void collect_timeout(struct ivr_exec *x)
{
	collect_finish(x);
}


const struct ivr_kind ivr_kind_collect = {
	"collect", P(collect_params), true, collect_check, collect_enter,
	collect_digit, collect_played, NULL, collect_timeout,
};
