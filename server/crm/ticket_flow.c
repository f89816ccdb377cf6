/* The workflow of a ticket type: its states and transitions checked
 * before a save, each error naming the state it is about. */
#include <stdarg.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include "http/param.h"
#include "crm/ticket_int.h"

/* The parameter table caps states at this many (ticket_type_api.c). */
#define STATES_MAX 30

struct flow {
	const char *key[STATES_MAX];
	bool initial[STATES_MAX];
	bool final[STATES_MAX];
	bool edge[STATES_MAX][STATES_MAX];   /**< [from][to] allowed   */
	size_t n;
};


static int fail(struct param_error *e, const char *code, const char *fmt,
		const char *field, ...)
{
	va_list ap;

	str_ncpy(e->field, field, sizeof(e->field));
	str_ncpy(e->code, code, sizeof(e->code));
	va_start(ap, field);
	(void)re_vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);

	return EINVAL;
}


static bool key_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0;

	if (n < 1 || n > 32 || k[0] < 'a' || k[0] > 'z')
		return false;

	for (size_t i = 1; i < n; i++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_", k[i]))
			return false;
	}

	return true;
}


static int find(const struct flow *f, const char *key)
{
	for (size_t i = 0; key && i < f->n; i++) {
		if (!strcmp(f->key[i], key))
			return (int)i;
	}

	return -1;
}


/* Keys well formed and unique, exactly one initial state (not final),
 * at least one final state. */
static int states_read(struct flow *f, const json_t *states,
		       struct param_error *e)
{
	size_t i, n = json_array_size(states);
	int first = -1;
	char fld[64];

	if (!n || n > STATES_MAX)
		return fail(e, "range", "must have 1 to 30 states", "states");

	for (i = 0; i < n; i++) {
		const json_t *s = json_array_get(states, i);
		const char *k = json_string_value(json_object_get(s, "key"));

		(void)re_snprintf(fld, sizeof(fld), "states[%zu].key", i);
		if (!key_ok(k))
			return fail(e, "format", "a state key is 1 to 32 of "
				    "a-z, 0-9 and _, starting with a letter",
				    fld);
		if (find(f, k) >= 0)
			return fail(e, "duplicate", "state \"%s\" appears "
				    "twice", fld, k);

		f->key[f->n] = k;
		f->initial[f->n] = json_is_true(json_object_get(s,
								"initial"));
		f->final[f->n] = json_is_true(json_object_get(s, "final"));
		++f->n;
	}

	for (i = 0; i < n; i++) {
		(void)re_snprintf(fld, sizeof(fld), "states[%zu].initial", i);
		if (f->initial[i] && first >= 0)
			return fail(e, "initial", "both \"%s\" and \"%s\" "
				    "are initial; exactly one may be", fld,
				    f->key[first], f->key[i]);
		if (f->initial[i] && f->final[i])
			return fail(e, "initial", "the initial state \"%s\" "
				    "may not be final", fld, f->key[i]);
		if (f->initial[i])
			first = (int)i;
	}

	if (first < 0)
		return fail(e, "initial", "exactly one state must be initial;"
			    " none is", "states");

	for (i = 0; i < n && !f->final[i]; i++)
		;
	if (i == n)
		return fail(e, "final", "at least one state must be final",
			    "states");

	return 0;
}


/* Each transition between two different states of the type, once. */
static int edges_read(struct flow *f, const json_t *transitions,
		      struct param_error *e)
{
	size_t i;
	json_t *t;
	char fld[64];

	json_array_foreach(transitions, i, t) {
		const char *from = json_string_value(json_object_get(t,
								     "from"));
		const char *to = json_string_value(json_object_get(t, "to"));
		int a = find(f, from), b = find(f, to);

		(void)re_snprintf(fld, sizeof(fld), "transitions[%zu].%s", i,
				  a < 0 ? "from" : "to");
		if (a < 0 || b < 0)
			return fail(e, "not_found", "no state \"%s\" in this "
				    "type", fld, a < 0 ? (from ? from : "") :
				    (to ? to : ""));
		if (a == b)
			return fail(e, "same", "a transition goes from \"%s\" "
				    "to another state", fld, from);

		(void)re_snprintf(fld, sizeof(fld), "transitions[%zu]", i);
		if (f->edge[a][b])
			return fail(e, "duplicate", "\"%s\" to \"%s\" is "
				    "given twice", fld, from, to);

		f->edge[a][b] = true;
	}

	return 0;
}


/* Mark what can be reached from start (forward) or reach it (back). */
static void walk(const struct flow *f, size_t start, bool back,
		 bool seen[STATES_MAX])
{
	size_t stack[STATES_MAX], top = 0;

	memset(seen, 0, STATES_MAX * sizeof(*seen));
	seen[start] = true;
	stack[top++] = start;

	while (top) {
		size_t s = stack[--top];

		for (size_t t = 0; t < f->n; t++) {
			bool e = back ? f->edge[t][s] : f->edge[s][t];

			if (e && !seen[t]) {
				seen[t] = true;
				stack[top++] = t;
			}
		}
	}
}


/* Every state reachable from the initial one; every state that is not
 * final leads on to a final one (no ticket can get stuck). */
static int paths_check(const struct flow *f, struct param_error *e)
{
	bool from_initial[STATES_MAX], to_final[STATES_MAX] = {false};
	bool seen[STATES_MAX];
	size_t i, init = 0;
	char fld[64];

	while (!f->initial[init])
		++init;

	walk(f, init, false, from_initial);
	for (i = 0; i < f->n; i++) {
		if (!f->final[i])
			continue;

		walk(f, i, true, seen);
		for (size_t j = 0; j < f->n; j++)
			to_final[j] = to_final[j] || seen[j];
	}

	for (i = 0; i < f->n; i++) {
		(void)re_snprintf(fld, sizeof(fld), "states[%zu]", i);
		if (!from_initial[i])
			return fail(e, "unreachable", "state \"%s\" cannot be"
				    " reached from the initial state \"%s\"",
				    fld, f->key[i], f->key[init]);
		if (!to_final[i])
			return fail(e, "dead_end", "no transition leads from "
				    "state \"%s\" to a final state", fld,
				    f->key[i]);
	}

	return 0;
}


/**
 * Check a workflow: 1 to 30 states with unique keys, exactly one
 * initial (not final), at least one final, transitions only between two
 * of its states, every state reachable from the initial one and every
 * state leading to a final one.
 *
 * @param states       JSON array of {key, label, initial, final}
 * @param transitions  JSON array of {from, to}
 * @param e            The first error, naming the state's field
 *
 * @return 0 if valid, otherwise EINVAL
 */
int ticket_flow_check(const json_t *states, const json_t *transitions,
		      struct param_error *e)
{
	struct flow f;
	int err;

	memset(&f, 0, sizeof(f));
	if (!json_is_array(states))
		return fail(e, "type", "must be an array", "states");
	if (!json_is_array(transitions))
		return fail(e, "type", "must be an array", "transitions");

	err = states_read(&f, states, e);
	err = err ? err : edges_read(&f, transitions, e);
	err = err ? err : paths_check(&f, e);

	return err;
}
