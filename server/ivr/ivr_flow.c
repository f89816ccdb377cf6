/* Parsed flow versions: the validated graph with its nodes indexed. */
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


static void destructor(void *arg)
{
	struct ivr_flow *flow = arg;

	mem_deref(flow->nodev);
	json_decref(flow->graph);
}


/**
 * Parse a graph into an immutable flow (takes a reference on graph). The
 * graph must pass ivr_validate(); references to prompts and schedules
 * are not looked up here.
 *
 * @return 0 if success, EINVAL if the graph is not valid
 */
int ivr_flow_parse(struct ivr_flow **flowp, json_t *graph,
		   const char *tenant_id, const char *flow_id,
		   unsigned version)
{
	struct ivr_check *c = NULL;
	struct ivr_flow *flow;
	const char *id, *lang;
	json_t *obj;
	int err;

	if (!flowp || !graph)
		return EINVAL;

	err = ivr_check_alloc(&c);
	err = err ? err : ivr_validate(c, graph);
	mem_deref(c);
	if (err)
		return err;

	flow = mem_zalloc(sizeof(*flow), destructor);
	if (!flow)
		return ENOMEM;

	flow->graph = json_incref(graph);
	flow->version = version;
	str_ncpy(flow->tenant_id, tenant_id ? tenant_id : "",
		 sizeof(flow->tenant_id));
	str_ncpy(flow->flow_id, flow_id ? flow_id : "",
		 sizeof(flow->flow_id));
	lang = ivr_str(graph, "lang");
	str_ncpy(flow->lang, lang ? lang : "zh-CN", sizeof(flow->lang));

	obj = json_object_get(graph, "nodes");
	flow->nodev = mem_zalloc(sizeof(*flow->nodev) *
				 json_object_size(obj), NULL);
	if (!flow->nodev) {
		mem_deref(flow);
		return ENOMEM;
	}

	json_object_foreach(obj, id, graph) {
		struct ivr_node *n = &flow->nodev[flow->nodec++];

		n->id = id;
		n->obj = graph;
		n->kind = ivr_kind_find(ivr_str(graph, "kind"));
	}

	flow->start = ivr_flow_node(flow, ivr_str(flow->graph, "start"));
	*flowp = flow;

	return 0;
}


/** The node with this id, or NULL. */
const struct ivr_node *ivr_flow_node(const struct ivr_flow *flow,
				     const char *id)
{
	for (unsigned i = 0; flow && id && i < flow->nodec; i++) {
		if (!strcmp(flow->nodev[i].id, id))
			return &flow->nodev[i];
	}

	return NULL;
}


const char *ivr_flow_id(const struct ivr_flow *flow)
{
	return flow ? flow->flow_id : NULL;
}


const char *ivr_flow_tenant(const struct ivr_flow *flow)
{
	return flow ? flow->tenant_id : NULL;
}


unsigned ivr_flow_version(const struct ivr_flow *flow)
{
	return flow ? flow->version : 0;
}
