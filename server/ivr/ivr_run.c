/* The IVR interpreter: one call walking through one flow version. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"

/*
 * The host holds struct ivr_run; the state is struct ivr_exec, which may
 * outlive the handle while a query still owes it a callback. Entry
 * points take a reference on x for their own duration, so a host that
 * frees the run from inside an op leaves x valid but detached (x->run
 * NULL): ivr_gone() says so and the entry point unwinds without calling
 * the host again.
 */

static void exec_destructor(void *arg)
{
	struct ivr_exec *x = arg;

	tmr_cancel(&x->tmr);
	mem_deref(x->lookup);
	for (unsigned i = 0; i < x->varc; i++)
		mem_deref(x->varv[i].value);
	mem_deref(x->flow);
}


static void run_destructor(void *arg)
{
	struct ivr_run *run = arg;
	struct ivr_exec *x = run->x;

	/* cut the host off first: nothing below may call it */
	x->run = NULL;
	x->ops = NULL;
	x->host = NULL;
	x->wait = IVR_ENDED;
	tmr_cancel(&x->tmr);
	x->lookup = mem_deref(x->lookup);
	mem_deref(x);
}


/** True once the host let go of the run or the IVR ended. */
bool ivr_gone(const struct ivr_exec *x)
{
	return !x->run || x->wait == IVR_ENDED;
}


static int vars_load(struct ivr_exec *x, const json_t *vars)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)vars, k, v) {
		char num[32];
		const char *s = json_string_value(v);

		if (json_is_integer(v)) {
			(void)re_snprintf(num, sizeof(num), "%lld",
					  (long long)json_integer_value(v));
			s = num;
		}
		if (!s || !ivr_var_name_ok(k))
			continue;
		if (ivr_var_set(x, k, s))
			return ENOMEM;
	}

	return 0;
}


/**
 * Prepare a run of flow for one call. Nothing happens until
 * ivr_run_start().
 *
 * @param vars  JSON object of initial variables (strings or integers),
 *              e.g. {"caller": "13800138000", "callee": "4001000100"}
 *
 * @return 0 if success, otherwise errorcode
 */
int ivr_run_alloc(struct ivr_run **runp, struct ivr_flow *flow,
		  const struct ivr_host_ops *ops, void *host,
		  const json_t *vars)
{
	struct ivr_exec *x;
	struct ivr_run *run;

	if (!runp || !flow || !ops || !ops->play || !ops->end)
		return EINVAL;

	x = mem_zalloc(sizeof(*x), exec_destructor);
	if (!x)
		return ENOMEM;

	tmr_init(&x->tmr);
	x->flow = mem_ref(flow);
	x->ops = ops;
	x->host = host;
	x->lookup_timeout_ms = 3000;
	if (vars && vars_load(x, vars)) {
		mem_deref(x);
		return ENOMEM;
	}

	run = mem_zalloc(sizeof(*run), run_destructor);
	if (!run) {
		mem_deref(x);
		return ENOMEM;
	}

	run->x = x;
	x->run = run;
	*runp = run;

	return 0;
}


/** Cap for lookup nodes (the server's lookup_timeout_ms). */
void ivr_run_set_lookup_timeout(struct ivr_run *run, uint32_t ms)
{
	if (run && ms)
		run->x->lookup_timeout_ms = ms;
}


/** The application, for area switches (number_regions); may be NULL. */
void ivr_run_set_app(struct ivr_run *run, struct app *app)
{
	if (run)
		run->x->app = app;
}


/** Emit an event through the host (takes data). */
void ivr_emit(struct ivr_exec *x, const char *type, json_t *data)
{
	if (ivr_gone(x) || !x->ops->emit || !data) {
		json_decref(data);
		return;
	}

	x->ops->emit(x->host, type, data);
}


/** Start the flow at its start node. */
int ivr_run_start(struct ivr_run *run)
{
	struct ivr_exec *x;

	if (!run)
		return EINVAL;

	x = mem_ref(run->x);
	ivr_emit(x, "ivr.entered", json_pack("{s:s,s:i,s:s}", "flow_id",
			x->flow->flow_id, "version", x->flow->version,
			"start", x->flow->start->id));
	if (!ivr_gone(x))
		ivr_goto_id(x, x->flow->start->id);
	mem_deref(x);

	return 0;
}


/** End the IVR part of the call: "hangup", "transferred", "queued". */
void ivr_end(struct ivr_exec *x, const char *how)
{
	if (ivr_gone(x))
		return;

	tmr_cancel(&x->tmr);
	x->wait = IVR_ENDED;
	x->ops->end(x->host, how);
}


/** Enter node id (validated flows only name existing nodes). */
void ivr_goto_id(struct ivr_exec *x, const char *id)
{
	const struct ivr_node *n = id ? ivr_flow_node(x->flow, id) : NULL;

	if (ivr_gone(x))
		return;

	tmr_cancel(&x->tmr);
	x->wait = IVR_IDLE;
	if (!n) {
		ivr_end(x, "hangup");
		return;
	}

	/* a guard behind validation: never spin without the caller */
	if (++x->steps > IVR_STEPS_MAX) {
		ivr_emit(x, "ivr.error", json_pack("{s:s,s:s}", "node", id,
						   "error", "too many steps "
						   "without input"));
		ivr_end(x, "hangup");
		return;
	}

	x->node = n;
	x->seq++;
	x->tries = 0;
	x->phase = 0;
	x->digits[0] = '\0';
	ivr_emit(x, "ivr.node", json_pack("{s:s,s:s,s:s,s:i}", "node", n->id,
					  "kind", n->kind->name, "flow_id",
					  x->flow->flow_id, "version",
					  x->flow->version));
	if (!ivr_gone(x))
		n->kind->enter(x);
}


/** Follow the current node's edge field; none -> hang up. */
void ivr_goto(struct ivr_exec *x, const char *field)
{
	const char *id = ivr_str(x->node->obj, field);

	if (!id) {
		ivr_end(x, "hangup");
		return;
	}

	ivr_goto_id(x, id);
}


/* Play refs; a host that refuses counts as a play that failed. */
static void play_refs(struct ivr_exec *x, const char *const *refv,
		      size_t refc, bool barge_in)
{
	int err;

	if (ivr_gone(x))
		return;

	x->wait = IVR_PLAYING;
	x->barge = barge_in;
	err = x->ops->play(x->host, refv, refc, x->flow->lang, barge_in);
	if (ivr_gone(x) || !err)
		return;

	x->wait = IVR_IDLE;
	if (x->node->kind->played)
		x->node->kind->played(x, err);
}


/** Play a list of prompt refs for the current node. */
void ivr_play(struct ivr_exec *x, const json_t *prompts, bool barge_in)
{
	const char *refv[IVR_PROMPTS_MAX];
	size_t refc = 0, i;
	const json_t *p;

	json_array_foreach(prompts, i, p) {
		if (refc < IVR_PROMPTS_MAX && json_is_string(p))
			refv[refc++] = json_string_value(p);
	}

	play_refs(x, refv, refc, barge_in);
}


/** Play one prompt ref for the current node. */
void ivr_play_one(struct ivr_exec *x, const char *ref, bool barge_in)
{
	play_refs(x, &ref, 1, barge_in);
}


static void timeout_h(void *arg)
{
	struct ivr_exec *x = mem_ref(arg);

	if (!ivr_gone(x) && x->wait == IVR_INPUT) {
		x->wait = IVR_IDLE;
		if (x->node->kind->timeout)
			x->node->kind->timeout(x);
	}

	mem_deref(x);
}


/** Wait up to ms for a digit (then the kind's timeout()). */
void ivr_wait_input(struct ivr_exec *x, uint32_t ms)
{
	if (ivr_gone(x))
		return;

	x->wait = IVR_INPUT;
	tmr_start(&x->tmr, ms, timeout_h, x);
}


/** The oldest digit typed ahead, or -1. */
int ivr_take_ahead(struct ivr_exec *x)
{
	size_t n = strlen(x->ahead);
	int d;

	if (!n)
		return -1;

	d = x->ahead[0];
	memmove(x->ahead, x->ahead + 1, n);

	return d;
}


static bool digit_ok(char d)
{
	return (d >= '0' && d <= '9') || d == '*' || d == '#' ||
		(d >= 'A' && d <= 'D');
}


/**
 * A DTMF digit from the caller. While an input node plays with barge-in
 * the prompt stops and the digit counts; while it waits the digit
 * counts; otherwise it is kept (up to 32) for the next input node.
 */
void ivr_run_digit(struct ivr_run *run, char digit)
{
	char key[2] = {digit, '\0'};
	struct ivr_exec *x;
	size_t n;

	if (!run || !digit_ok(digit) || ivr_gone(run->x))
		return;

	x = mem_ref(run->x);
	x->steps = 0;
	ivr_emit(x, "dtmf.received", json_pack("{s:s,s:s?}", "digit", key,
			"node", x->node ? x->node->id : NULL));
	if (ivr_gone(x))
		goto out;

	if (x->node && x->node->kind->digit) {
		if (x->wait == IVR_PLAYING && x->barge) {
			x->wait = IVR_IDLE;
			if (x->ops->stop_play)
				x->ops->stop_play(x->host);
			if (ivr_gone(x))
				goto out;
			x->node->kind->digit(x, digit);
			goto out;
		}
		if (x->wait == IVR_INPUT) {
			tmr_cancel(&x->tmr);
			x->wait = IVR_IDLE;
			x->node->kind->digit(x, digit);
			goto out;
		}
	}

	n = strlen(x->ahead);
	if (n < IVR_TYPEAHEAD) {
		x->ahead[n] = digit;
		x->ahead[n + 1] = '\0';
	}

 out:
	mem_deref(x);
}


/** The host finished the play it was asked for (err: it failed). */
void ivr_run_played(struct ivr_run *run, int err)
{
	struct ivr_exec *x;

	if (!run || ivr_gone(run->x) || run->x->wait != IVR_PLAYING)
		return;

	x = mem_ref(run->x);
	x->wait = IVR_IDLE;
	if (x->node->kind->played)
		x->node->kind->played(x, err);
	mem_deref(x);
}


/** Voicemail, transfer or queue finished with result (0 = success). */
void ivr_run_resume(struct ivr_run *run, int result)
{
	struct ivr_exec *x;

	if (!run || ivr_gone(run->x) || run->x->wait != IVR_HOST)
		return;

	x = mem_ref(run->x);
	x->wait = IVR_IDLE;
	if (x->node->kind->resumed)
		x->node->kind->resumed(x, result);
	mem_deref(x);
}


/**
 * Continue a run that waits on the host at another node of its flow
 * (a queue overflowing to an IVR node).
 *
 * @return 0 if it went there, ENOENT if the flow has no such node,
 * EINVAL if the run is not waiting on the host
 */
int ivr_run_jump(struct ivr_run *run, const char *node_id)
{
	struct ivr_exec *x;

	if (!run || ivr_gone(run->x) || run->x->wait != IVR_HOST)
		return EINVAL;
	if (!node_id || !ivr_flow_node(run->x->flow, node_id))
		return ENOENT;

	x = mem_ref(run->x);
	ivr_goto_id(x, node_id);
	mem_deref(x);

	return 0;
}


/** Set a variable (copied); at most IVR_VARS_MAX names. */
int ivr_var_set(struct ivr_exec *x, const char *name, const char *value)
{
	struct ivr_var *v = NULL;
	char *s = NULL;
	int err;

	for (unsigned i = 0; i < x->varc; i++) {
		if (!strcmp(x->varv[i].name, name))
			v = &x->varv[i];
	}

	if (!v) {
		if (x->varc >= IVR_VARS_MAX)
			return ENOSPC;
		v = &x->varv[x->varc++];
		str_ncpy(v->name, name, sizeof(v->name));
	}

	err = str_dup(&s, value ? value : "");
	if (err)
		return err;

	mem_deref(v->value);
	v->value = s;

	return 0;
}


/** A variable's value, or NULL. */
const char *ivr_var_get(const struct ivr_exec *x, const char *name)
{
	for (unsigned i = 0; i < x->varc; i++) {
		if (!strcmp(x->varv[i].name, name))
			return x->varv[i].value;
	}

	return NULL;
}


const char *ivr_run_var(const struct ivr_run *run, const char *name)
{
	return run && name ? ivr_var_get(run->x, name) : NULL;
}


/** Every variable as a JSON object of strings (new reference). */
json_t *ivr_run_vars(const struct ivr_run *run)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && run && i < run->x->varc; i++) {
		const struct ivr_var *v = &run->x->varv[i];

		(void)json_object_set_new(o, v->name,
					  json_string(v->value ? v->value :
						      ""));
	}

	return o;
}


/** The id of the node the run is in, or NULL before the start. */
const char *ivr_run_node(const struct ivr_run *run)
{
	return run && run->x->node ? run->x->node->id : NULL;
}


static int urlenc(struct mbuf *mb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int err = 0;

	for (; *s && !err; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			err = mbuf_write_u8(mb, ch);
		else
			err = mbuf_printf(mb, "%%%c%c", hex[ch >> 4],
					  hex[ch & 15]);
	}

	return err;
}


/**
 * Write tpl with every ${name} replaced by the variable's value (empty
 * when unset), URL-encoded if urlenc.
 */
int ivr_expand(struct mbuf *mb, const struct ivr_exec *x, const char *tpl,
	       bool url)
{
	int err = 0;

	while (*tpl && !err) {
		const char *end;
		char name[33];
		const char *v;
		size_t n;

		if (tpl[0] != '$' || tpl[1] != '{' ||
		    !(end = strchr(tpl + 2, '}'))) {
			err = mbuf_write_u8(mb, (uint8_t)*tpl++);
			continue;
		}

		n = (size_t)(end - tpl - 2);
		if (n >= sizeof(name)) {
			err = mbuf_write_u8(mb, (uint8_t)*tpl++);
			continue;
		}
		memcpy(name, tpl + 2, n);
		name[n] = '\0';
		v = ivr_var_get(x, name);
		if (v)
			err = url ? urlenc(mb, v) : mbuf_write_str(mb, v);
		tpl = end + 1;
	}

	return err;
}


/** An integer field of a node, or def. */
int ivr_int(const json_t *obj, const char *key, int def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}


/** A string field of a node, or NULL. */
const char *ivr_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
