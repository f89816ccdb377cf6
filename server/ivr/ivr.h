/*
 * IVR: flows (JSON graphs of nodes, stored per tenant in versions), their
 * validation, a cache of parsed versions, and the interpreter that runs
 * one call through a flow. docs/IVR.md describes the flow format.
 *
 * How the call engine uses it:
 *
 *  1. ivr_flow_for_number(tenant, the number's flow_id, its routes JSON,
 *     clock_wall_ms(), h, arg), or ivr_flow_get(tenant, flow_id, h, arg),
 *     gives a reference to the immutable parsed current version. The
 *     call keeps that reference, so a tenant editing the flow does not
 *     change a running call.
 *  2. ivr_run_alloc(&run, flow, &ops, host, vars) with ops implemented by
 *     the engine (below) and vars such as {"caller": "13800138000"};
 *     ivr_run_set_app() (area switches read number_regions) and
 *     ivr_run_set_lookup_timeout(cfg.lookup_timeout_ms); then
 *     ivr_run_start(run). The run emits ivr.entered, then ivr.node for
 *     every node it enters, through ops->emit.
 *  3. The engine reports back: ivr_run_digit() for every DTMF digit,
 *     ivr_run_played() when a play asked by ops->play finished (not for
 *     a play it was told to stop), ivr_run_resume() when voicemail,
 *     transfer or queue finished.
 *  4. The run ends the IVR part of the call through ops->end ("hangup",
 *     "transferred", "queued"). The engine may mem_deref(run) at any
 *     moment, also from inside an op or on caller hangup: no op and no
 *     callback is called after that, and timers and lookups are
 *     cancelled.
 *
 * All calls happen on the loop thread.
 */
#ifndef OPENSEAT_IVR_H
#define OPENSEAT_IVR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct json_t;
struct ivr_flow;
struct ivr_run;

enum {
	IVR_NODES_MAX = 500,
	IVR_PROMPTS_MAX = 16,
	IVR_ERRORS_MAX = 100,
};

/** One validation error: node ("" for the whole flow), stable code,
 *  English message. The admin page translates by code. */
struct ivr_error {
	char node[65];
	char field[48];
	char code[32];
	char message[160];
};

/** Validation result: errors, and references to check in the database. */
struct ivr_check;

int  ivr_check_alloc(struct ivr_check **cp);
unsigned ivr_check_nerrors(const struct ivr_check *c);
const struct ivr_error *ivr_check_error(const struct ivr_check *c,
					unsigned i);
int  ivr_check_add(struct ivr_check *c, const char *node,
		   const char *field, const char *code, const char *fmt, ...);
int  ivr_validate(struct ivr_check *c, const struct json_t *graph);
struct json_t *ivr_check_refs(const struct ivr_check *c);
struct json_t *ivr_check_errors_json(const struct ivr_check *c);

/* Parsed flows (immutable, refcounted with mem_ref/mem_deref) */
int  ivr_flow_parse(struct ivr_flow **flowp, struct json_t *graph,
		    const char *tenant_id, const char *flow_id,
		    unsigned version);
const char *ivr_flow_id(const struct ivr_flow *flow);
const char *ivr_flow_tenant(const struct ivr_flow *flow);
unsigned    ivr_flow_version(const struct ivr_flow *flow);

/* The cache of parsed current versions; loads from the database. */
typedef void (ivr_flow_h)(int err, struct ivr_flow *flow, void *arg);

int  ivr_init(struct app *app);
void ivr_close(void);
int  ivr_flow_get(const char *tenant_id, const char *flow_id,
		  ivr_flow_h *h, void *arg);
void ivr_flow_forget(const char *flow_id);
int  ivr_api_init(void);

/* Which flow answers a number now (its routes by schedule, else its
 * own flow_id); the time is passed in (clock_wall_ms() in the server). */
typedef void (ivr_route_h)(int err, const char *flow_id, void *arg);

int  ivr_route_pick(const char *tenant_id, const char *flow_id,
		    const char *routes_json, int64_t now_ms, ivr_route_h *h,
		    void *arg);
int  ivr_flow_for_number(const char *tenant_id, const char *flow_id,
			 const char *routes_json, int64_t now_ms,
			 ivr_flow_h *h, void *arg);

/** What the call engine does for a run; host is passed back as is. */
struct ivr_host_ops {
	/** Play prompt refs in order; report with ivr_run_played(). */
	int  (*play)(void *host, const char *const *refv, size_t refc,
		     const char *lang, bool barge_in);
	/** Stop the current play; its completion is not reported. */
	void (*stop_play)(void *host);
	/** Record a voicemail in box; report with ivr_run_resume(). */
	int  (*voicemail)(void *host, const char *box);
	/** Transfer out through the trunk under the tenant's outbound
	 *  limits; ivr_run_resume(0) = bridged, an error = refused or not
	 *  answered (the flow's fail branch). */
	int  (*transfer)(void *host, const char *number);
	/** Put the call in a queue; ENOSYS until queues exist. */
	int  (*queue)(void *host, const char *queue);
	/** The IVR is over: "hangup", "transferred" or "queued". */
	void (*end)(void *host, const char *how);
	/** An event for the call's timeline (takes the data reference). */
	void (*emit)(void *host, const char *type, struct json_t *data);
};

int  ivr_run_alloc(struct ivr_run **runp, struct ivr_flow *flow,
		   const struct ivr_host_ops *ops, void *host,
		   const struct json_t *vars);
int  ivr_run_start(struct ivr_run *run);
void ivr_run_digit(struct ivr_run *run, char digit);
void ivr_run_played(struct ivr_run *run, int err);
void ivr_run_resume(struct ivr_run *run, int result);
int  ivr_run_jump(struct ivr_run *run, const char *node_id);
const char *ivr_run_var(const struct ivr_run *run, const char *name);
const char *ivr_run_node(const struct ivr_run *run);
struct json_t *ivr_run_vars(const struct ivr_run *run);
void ivr_run_set_lookup_timeout(struct ivr_run *run, uint32_t ms);
void ivr_run_set_app(struct ivr_run *run, struct app *app);

#endif
