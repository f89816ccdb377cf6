/* Flow validation: shape per node kind, edges, reachability, loops. */
#include <stdarg.h>
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

/*
 * Validation runs in passes over the graph: the flow's own fields, then
 * each node's fields against its kind's table and check(), which records
 * edges (resolved at once: the node set is known first) and references
 * (tenant prompts and schedules, checked later in the database). Then
 * reachability from start, and loops that never wait for the caller.
 */

struct edge {
	unsigned from, to;
};

struct ivr_check {
	struct ivr_error errv[IVR_ERRORS_MAX];
	unsigned errc;
	bool truncated;
	const json_t *nodes;         /**< borrowed, during ivr_validate */
	const char *idv[IVR_NODES_MAX];
	const struct ivr_kind *kindv[IVR_NODES_MAX];
	unsigned idc;
	struct edge *edgev;
	unsigned edgec, edgemax;
	json_t *refs;                /**< (ref) [{node, kind, ref}]      */
};

static const char *const builtins[] = {
	"welcome", "demo_menu", "hold", "goodbye", "invalid", "timeout",
	"closed", "voicemail_greeting", "beep", "transfer", "error",
	"queue_unavailable", "digit_0", "digit_1", "digit_2", "digit_3",
	"digit_4", "digit_5", "digit_6", "digit_7", "digit_8", "digit_9",
	"queue_position_pre", "queue_position_post", "queue_wait_pre",
	"queue_wait_post", "agent_id_pre", "agent_id_post", "survey",
	"survey_thanks", NULL
};


static void destructor(void *arg)
{
	struct ivr_check *c = arg;

	mem_deref(c->edgev);
	json_decref(c->refs);
}


/** A fresh validation result. */
int ivr_check_alloc(struct ivr_check **cp)
{
	struct ivr_check *c;

	if (!cp)
		return EINVAL;

	c = mem_zalloc(sizeof(*c), destructor);
	if (!c)
		return ENOMEM;

	c->refs = json_array();
	if (!c->refs) {
		mem_deref(c);
		return ENOMEM;
	}

	*cp = c;
	return 0;
}


unsigned ivr_check_nerrors(const struct ivr_check *c)
{
	return c ? c->errc : 0;
}


const struct ivr_error *ivr_check_error(const struct ivr_check *c,
					unsigned i)
{
	return c && i < c->errc ? &c->errv[i] : NULL;
}


/**
 * Add an error about node ("" for the flow) and field ("" if none).
 *
 * @return EINVAL always, so callers can `return ivr_check_add(...)`
 */
int ivr_check_add(struct ivr_check *c, const char *node, const char *field,
		  const char *code, const char *fmt, ...)
{
	struct ivr_error *e;
	va_list ap;

	if (c->errc >= IVR_ERRORS_MAX) {
		c->truncated = true;
		return EINVAL;
	}

	e = &c->errv[c->errc++];
	str_ncpy(e->node, node ? node : "", sizeof(e->node));
	str_ncpy(e->field, field ? field : "", sizeof(e->field));
	str_ncpy(e->code, code, sizeof(e->code));
	va_start(ap, fmt);
	(void)re_vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);

	return EINVAL;
}


/** The errors as the API shows them: [{node, field, code, message}]. */
json_t *ivr_check_errors_json(const struct ivr_check *c)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && c && i < c->errc; i++) {
		const struct ivr_error *e = &c->errv[i];

		json_array_append_new(a, json_pack("{s:s?,s:s?,s:s,s:s}",
			"node", e->node[0] ? e->node : NULL,
			"field", e->field[0] ? e->field : NULL,
			"code", e->code, "message", e->message));
	}

	return a;
}


/** References to check in the tenant: [{node, kind, ref}] (borrowed). */
json_t *ivr_check_refs(const struct ivr_check *c)
{
	return c ? c->refs : NULL;
}


static int node_index(const struct ivr_check *c, const char *id)
{
	for (unsigned i = 0; i < c->idc; i++) {
		if (!strcmp(c->idv[i], id))
			return (int)i;
	}

	return -1;
}


/**
 * Record the edge node.field -> target; an error if the target is not a
 * node of the flow, or absent while required.
 */
void ivr_check_edge(struct ivr_check *c, const char *node,
		    const char *field, const json_t *target, bool required)
{
	const char *t = json_string_value(target);
	int from, to;

	if (!target) {
		if (required)
			(void)ivr_check_add(c, node, field, "field_required",
					    "%s: a next node is required",
					    field);
		return;
	}
	if (!t) {
		(void)ivr_check_add(c, node, field, "field_type",
				    "%s: must be the id of a node", field);
		return;
	}

	to = node_index(c, t);
	if (to < 0) {
		(void)ivr_check_add(c, node, field, "dangling_edge",
				    "%s: no node \"%s\" in this flow", field,
				    t);
		return;
	}

	from = node_index(c, node);
	if (from < 0)
		return;

	if (c->edgec == c->edgemax) {
		unsigned n = c->edgemax ? c->edgemax * 2 : 64;
		struct edge *ev = c->edgev ?
			mem_realloc(c->edgev, n * sizeof(*ev)) :
			mem_alloc(n * sizeof(*ev), NULL);

		if (!ev)
			return;
		c->edgev = ev;
		c->edgemax = n;
	}

	c->edgev[c->edgec].from = (unsigned)from;
	c->edgev[c->edgec].to = (unsigned)to;
	c->edgec++;
}


/** "builtin/<name>" of a known built-in, or a tenant prompt's UUID. */
bool ivr_prompt_ref_ok(const char *ref)
{
	if (!ref)
		return false;

	if (!strncmp(ref, "builtin/", 8)) {
		for (const char *const *b = builtins; *b; b++) {
			if (!strcmp(*b, ref + 8))
				return true;
		}
		return false;
	}

	return param_uuid_ok(ref);
}


/** Record a reference of kind ("prompt", "schedule") to check later. */
void ivr_check_ref(struct ivr_check *c, const char *node, const char *kind,
		   const char *ref)
{
	json_array_append_new(c->refs, json_pack("{s:s,s:s,s:s}", "node",
						 node, "kind", kind, "ref",
						 ref));
}


/** One prompt reference in field. */
void ivr_check_prompt(struct ivr_check *c, const char *node,
		      const char *field, const json_t *v)
{
	const char *ref = json_string_value(v);

	if (!v)
		return;

	if (!ref || !ivr_prompt_ref_ok(ref)) {
		(void)ivr_check_add(c, node, field, "missing_prompt",
				    "%s: \"%s\" is not a built-in prompt "
				    "(builtin/<name>) or a prompt id", field,
				    ref ? ref : "(not a string)");
		return;
	}

	ivr_check_ref(c, node, "prompt", ref);
}


/** A list of 1..IVR_PROMPTS_MAX prompt references in field. */
void ivr_check_prompts(struct ivr_check *c, const char *node,
		       const char *field, const json_t *v)
{
	const json_t *p;
	size_t i;

	if (!v)
		return;

	json_array_foreach(v, i, p) {
		char f[48];

		(void)re_snprintf(f, sizeof(f), "%s[%zu]", field, i);
		ivr_check_prompt(c, node, f, p);
	}
}


/** Variable names: [a-z_][a-z0-9_]{0,31}. */
bool ivr_var_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 32 || (name[0] >= '0' && name[0] <= '9'))
		return false;

	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '_'))
			return false;
	}

	return true;
}


static bool node_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return false;

	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}

	return true;
}


static void fields_check(struct ivr_check *c, const char *id,
			 const struct ivr_kind *k, const json_t *obj)
{
	struct param_error ev[8];
	size_t n = 0;

	if (!param_validate(obj, k->params, k->nparams, false, ev,
			    ARRAY_SIZE(ev), &n))
		return;

	for (size_t i = 0; i < n && i < ARRAY_SIZE(ev); i++) {
		char code[32];

		(void)re_snprintf(code, sizeof(code), "field_%s", ev[i].code);
		(void)ivr_check_add(c, id, ev[i].field, code, "%s: %s",
				    ev[i].field, ev[i].message);
	}
}


/* Pass 1: ids and kinds, so edges can be resolved in pass 2. */
static void nodes_index(struct ivr_check *c)
{
	const char *id;
	json_t *obj;

	json_object_foreach((json_t *)c->nodes, id, obj) {
		const char *kind = json_string_value(json_object_get(obj,
								    "kind"));
		const struct ivr_kind *k = kind ? ivr_kind_find(kind) : NULL;

		if (!node_id_ok(id)) {
			(void)ivr_check_add(c, id, "", "bad_node_id",
					    "node ids are 1 to 64 letters, "
					    "digits, '_' or '-'");
			continue;
		}
		if (!json_is_object(obj)) {
			(void)ivr_check_add(c, id, "", "node_shape",
					    "a node must be a JSON object");
			continue;
		}
		if (!k) {
			(void)ivr_check_add(c, id, "kind", "unknown_kind",
					    "kind \"%s\" is not a node kind",
					    kind ? kind : "(missing)");
			continue;
		}

		c->idv[c->idc] = id;
		c->kindv[c->idc] = k;
		c->idc++;
	}
}


static void reach(const struct ivr_check *c, bool *seen, unsigned start)
{
	unsigned stack[IVR_NODES_MAX], sp = 0;

	seen[start] = true;
	stack[sp++] = start;
	while (sp) {
		unsigned n = stack[--sp];

		for (unsigned i = 0; i < c->edgec; i++) {
			unsigned t = c->edgev[i].to;

			if (c->edgev[i].from != n || seen[t])
				continue;
			seen[t] = true;
			stack[sp++] = t;
		}
	}
}


/*
 * Loops that never wait for the caller would spin forever: find a cycle
 * among nodes whose kind takes no input (edges into or out of input
 * nodes break it). Iterative DFS with colours; reports each cycle once
 * at the node where it closes.
 */
static void loops_check(struct ivr_check *c)
{
	uint8_t colour[IVR_NODES_MAX] = {0};   /* 0 new, 1 open, 2 done */
	unsigned stack[IVR_NODES_MAX], pos[IVR_NODES_MAX];

	for (unsigned s = 0; s < c->idc; s++) {
		unsigned sp = 0;

		if (colour[s] || c->kindv[s]->input)
			continue;
		stack[sp] = s;
		pos[sp++] = 0;
		colour[s] = 1;
		while (sp) {
			unsigned n = stack[sp - 1], i = pos[sp - 1];

			for (; i < c->edgec; i++) {
				unsigned t = c->edgev[i].to;

				if (c->edgev[i].from != n ||
				    c->kindv[t]->input || colour[t] == 2)
					continue;
				if (colour[t] == 1) {
					(void)ivr_check_add(c, c->idv[n], "",
						"cycle_without_input",
						"goes back to \"%s\" without "
						"waiting for the caller (add "
						"a menu or collect)",
						c->idv[t]);
					continue;
				}
				break;
			}
			pos[sp - 1] = i + 1;
			if (i >= c->edgec) {
				colour[n] = 2;
				sp--;
				continue;
			}
			colour[c->edgev[i].to] = 1;
			stack[sp] = c->edgev[i].to;
			pos[sp++] = 0;
		}
	}
}


static int flow_fields(struct ivr_check *c, const json_t *graph)
{
	static const char *const langs[] = {"zh-CN", "en", NULL};
	static const struct param params[] = {
		{"start", PARAM_STRING, true, 1, 64, NULL, false},
		{"nodes", PARAM_OBJECT, true, 0, 0, NULL, false},
		{"lang", PARAM_ENUM, false, 0, 0, langs, false},
		{"description", PARAM_STRING, false, 0, 500, NULL, false},
	};
	struct param_error ev[4];
	size_t n = 0;

	if (!json_is_object(graph))
		return ivr_check_add(c, "", "", "flow_shape",
				     "a flow must be a JSON object with "
				     "start and nodes");

	if (param_validate(graph, params, ARRAY_SIZE(params), false, ev,
			   ARRAY_SIZE(ev), &n)) {
		for (size_t i = 0; i < n && i < ARRAY_SIZE(ev); i++) {
			char code[32];

			(void)re_snprintf(code, sizeof(code), "field_%s",
					  ev[i].code);
			(void)ivr_check_add(c, "", ev[i].field, code,
					    "%s: %s", ev[i].field,
					    ev[i].message);
		}
		return EINVAL;
	}

	c->nodes = json_object_get(graph, "nodes");
	if (json_object_size(c->nodes) == 0)
		return ivr_check_add(c, "", "nodes", "no_nodes",
				     "a flow needs at least one node");
	if (json_object_size(c->nodes) > IVR_NODES_MAX)
		return ivr_check_add(c, "", "nodes", "too_many_nodes",
				     "a flow has at most %u nodes",
				     IVR_NODES_MAX);

	return 0;
}


/**
 * Validate a flow graph; errors go to c. References to tenant prompts
 * and schedules are only collected (ivr_check_refs): whether they exist
 * is the database's to say.
 *
 * @return 0 if valid so far, EINVAL if c has errors
 */
int ivr_validate(struct ivr_check *c, const json_t *graph)
{
	bool seen[IVR_NODES_MAX] = {false};
	const char *start;
	int s;

	if (!c)
		return EINVAL;

	if (flow_fields(c, graph))
		return EINVAL;

	nodes_index(c);
	for (unsigned i = 0; i < c->idc; i++) {
		const json_t *obj = json_object_get(c->nodes, c->idv[i]);

		fields_check(c, c->idv[i], c->kindv[i], obj);
		if (c->kindv[i]->check)
			c->kindv[i]->check(c, c->idv[i], obj);
	}

	start = json_string_value(json_object_get(graph, "start"));
	s = node_index(c, start);
	if (s < 0) {
		(void)ivr_check_add(c, "", "start", "start_missing",
				    "start: no node \"%s\" in this flow",
				    start);
	}
	else {
		reach(c, seen, (unsigned)s);
		for (unsigned i = 0; i < c->idc; i++) {
			if (!seen[i])
				(void)ivr_check_add(c, c->idv[i], "",
						    "unreachable",
						    "no path from start leads "
						    "here");
		}
	}

	loops_check(c);
	c->nodes = NULL;

	return c->errc ? EINVAL : 0;
}
