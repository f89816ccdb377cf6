/* Node kinds: the registry, and the kinds that need no caller input. */
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

/* --- play: prompts, then next ------------------------------------------ */

static const struct param play_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"prompts", PARAM_ARRAY, true, 1, IVR_PROMPTS_MAX, NULL, false},
	{"next", PARAM_STRING, true, 1, 64, NULL, false},
	{"barge_in", PARAM_BOOL, false, 0, 0, NULL, false},
};


static void play_check(struct ivr_check *c, const char *node,
		       const json_t *obj)
{
	ivr_check_prompts(c, node, "prompts", json_object_get(obj,
							      "prompts"));
	ivr_check_edge(c, node, "next", json_object_get(obj, "next"), true);
}


static void play_enter(struct ivr_exec *x)
{
	ivr_play(x, json_object_get(x->node->obj, "prompts"),
		 json_is_true(json_object_get(x->node->obj, "barge_in")));
}


static void play_played(struct ivr_exec *x, int err)
{
	(void)err;
	ivr_goto(x, "next");
}


/* Barge-in skips the rest; the digit stays for the next input node. */
static void play_digit(struct ivr_exec *x, char d)
{
	size_t n = strlen(x->ahead);

	if (n < IVR_TYPEAHEAD) {
		memmove(x->ahead + 1, x->ahead, n + 1);
		x->ahead[0] = d;
	}

	ivr_goto(x, "next");
}


static const struct ivr_kind kind_play = {
	"play", P(play_params), false, play_check, play_enter, play_digit,
	play_played, NULL, NULL,
};

/* --- set: variables from templates -------------------------------------- */

static const struct param set_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"vars", PARAM_OBJECT, true, 0, 0, NULL, false},
	{"next", PARAM_STRING, true, 1, 64, NULL, false},
};


static void set_check(struct ivr_check *c, const char *node,
		      const json_t *obj)
{
	const json_t *vars = json_object_get(obj, "vars");
	const char *k;
	json_t *v;

	if (json_object_size(vars) < 1 || json_object_size(vars) > 16)
		(void)ivr_check_add(c, node, "vars", "field_range",
				    "vars: set 1 to 16 variables");

	json_object_foreach((json_t *)vars, k, v) {
		if (!ivr_var_name_ok(k))
			(void)ivr_check_add(c, node, "vars", "bad_var",
					    "vars: \"%s\" is not a variable "
					    "name (a-z, 0-9, _)", k);
		else if (!json_is_string(v) ||
			 strlen(json_string_value(v)) > 256)
			(void)ivr_check_add(c, node, "vars", "field_type",
					    "vars.%s: must be text of at "
					    "most 256 bytes", k);
	}

	ivr_check_edge(c, node, "next", json_object_get(obj, "next"), true);
}


static void set_enter(struct ivr_exec *x)
{
	const json_t *vars = json_object_get(x->node->obj, "vars");
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)vars, k, v) {
		struct mbuf *mb = mbuf_alloc(64);
		char *s = NULL;

		if (mb && !ivr_expand(mb, x, json_string_value(v), false)) {
			mb->pos = 0;
			(void)mbuf_strdup(mb, &s, mb->end);
			(void)ivr_var_set(x, k, s);
		}
		mem_deref(s);
		mem_deref(mb);
	}

	ivr_goto(x, "next");
}


static const struct ivr_kind kind_set = {
	"set", P(set_params), false, set_check, set_enter, NULL, NULL, NULL,
	NULL,
};

/* --- hangup ------------------------------------------------------------- */

static const struct param hangup_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
};


static void hangup_enter(struct ivr_exec *x)
{
	ivr_end(x, "hangup");
}


static const struct ivr_kind kind_hangup = {
	"hangup", P(hangup_params), false, NULL, hangup_enter, NULL, NULL,
	NULL, NULL,
};

/* --- voicemail: box, then next (or hang up) ------------------------------ */

static const struct param vm_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"box", PARAM_STRING, true, 1, 64, NULL, false},
	{"next", PARAM_STRING, false, 1, 64, NULL, false},
};


static void vm_check(struct ivr_check *c, const char *node,
		     const json_t *obj)
{
	ivr_check_edge(c, node, "next", json_object_get(obj, "next"), false);
}


static void vm_resumed(struct ivr_exec *x, int result)
{
	(void)result;
	ivr_goto(x, "next");
}


static void vm_enter(struct ivr_exec *x)
{
	int err = ENOSYS;

	x->wait = IVR_HOST;
	if (x->ops->voicemail)
		err = x->ops->voicemail(x->host, ivr_str(x->node->obj, "box"));
	if (ivr_gone(x) || !err)
		return;

	x->wait = IVR_IDLE;
	vm_resumed(x, err);
}


static const struct ivr_kind kind_voicemail = {
	"voicemail", P(vm_params), false, vm_check, vm_enter, NULL, NULL,
	vm_resumed, NULL,
};

/* --- transfer: out through the trunk; fail on refusal -------------------- */

static const struct param xfer_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"number", PARAM_STRING, true, 1, 64, NULL, false},
	{"fail", PARAM_STRING, false, 1, 64, NULL, false},
};


static void xfer_check(struct ivr_check *c, const char *node,
		       const json_t *obj)
{
	const char *num = ivr_str(obj, "number");
	size_t digits = 0;

	for (const char *p = num; p && *p; p++) {
		if (p[0] == '$' && p[1] == '{' && strchr(p, '}')) {
			digits = 3;
			p = strchr(p, '}');
		}
		else if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr("+-() ", *p)) {
			digits = 0;
			break;
		}
	}
	if (num && (digits < 3 || digits > 32))
		(void)ivr_check_add(c, node, "number", "bad_number",
				    "number: must be a telephone number of "
				    "3 to 32 digits, or a ${variable}");

	ivr_check_edge(c, node, "fail", json_object_get(obj, "fail"), false);
}


static void xfer_resumed(struct ivr_exec *x, int result)
{
	if (!result)
		ivr_end(x, "transferred");
	else
		ivr_goto(x, "fail");
}


static void xfer_enter(struct ivr_exec *x)
{
	struct mbuf *mb = mbuf_alloc(64);
	char *num = NULL;
	int err = ENOSYS;

	if (mb && !ivr_expand(mb, x, ivr_str(x->node->obj, "number"), false)) {
		mb->pos = 0;
		(void)mbuf_strdup(mb, &num, mb->end);
	}
	mem_deref(mb);

	x->wait = IVR_HOST;
	if (num && x->ops->transfer)
		err = x->ops->transfer(x->host, num);
	mem_deref(num);
	if (ivr_gone(x) || !err)
		return;

	x->wait = IVR_IDLE;
	xfer_resumed(x, err);
}


static const struct ivr_kind kind_transfer = {
	"transfer", P(xfer_params), false, xfer_check, xfer_enter, NULL, NULL,
	xfer_resumed, NULL,
};

/* --- queue: until queues exist, "please hold" once, then fail ------------ */

static const struct param queue_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"queue", PARAM_STRING, true, 1, 64, NULL, false},
	{"fail", PARAM_STRING, true, 1, 64, NULL, false},
};


static void queue_check(struct ivr_check *c, const char *node,
			const json_t *obj)
{
	const char *queue = json_string_value(json_object_get(obj, "queue"));

	ivr_check_edge(c, node, "fail", json_object_get(obj, "fail"), true);
	if (queue)
		ivr_check_ref(c, node, "queue", queue);
}


static void queue_played(struct ivr_exec *x, int err)
{
	(void)err;
	ivr_goto(x, "fail");
}


static void queue_resumed(struct ivr_exec *x, int result)
{
	if (!result)
		ivr_end(x, "queued");
	else if (result == ENOSYS)
		ivr_play_one(x, "builtin/hold", false);
	else
		ivr_goto(x, "fail");
}


static void queue_enter(struct ivr_exec *x)
{
	int err = ENOSYS;

	x->wait = IVR_HOST;
	if (x->ops->queue)
		err = x->ops->queue(x->host, ivr_str(x->node->obj, "queue"));
	if (ivr_gone(x) || !err)
		return;

	x->wait = IVR_IDLE;
	queue_resumed(x, err);
}


static const struct ivr_kind kind_queue = {
	"queue", P(queue_params), false, queue_check, queue_enter, NULL,
	queue_played, queue_resumed, NULL,
};

/* --- the registry ------------------------------------------------------- */

const struct ivr_kind *const ivr_kinds[] = {
	&kind_play, &ivr_kind_menu, &ivr_kind_collect, &ivr_kind_time_switch,
	&ivr_kind_caller_switch, &ivr_kind_area_switch, &ivr_kind_lookup,
	&kind_set, &kind_voicemail, &kind_transfer, &kind_queue,
	&kind_hangup, NULL,
};


/** The kind registered under name, or NULL. */
const struct ivr_kind *ivr_kind_find(const char *name)
{
	for (const struct ivr_kind *const *k = ivr_kinds; name && *k; k++) {
		if (!strcmp((*k)->name, name))
			return *k;
	}

	return NULL;
}
