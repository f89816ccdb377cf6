/* IVR inside: parsed flows, node kind descriptors, the run's state. */
#ifndef OPENSEAT_IVR_INT_H
#define OPENSEAT_IVR_INT_H

/* The includer brings <jansson.h> and the re_*.h it needs (re_tmr.h). */

struct param;
struct ivr_exec;
struct ivr_node;
struct fetch;

/*
 * A node kind. Kinds are registered in one list (ivr_kind.c); nothing
 * switches on a kind's name. params is the node's declarative field
 * table (server/http/param.c); check() adds what a table cannot say
 * (edges, prompt references, patterns). The run calls enter() when the
 * call arrives at the node, and the optional handlers for what happens
 * while it is there.
 */
struct ivr_kind {
	const char *name;
	const struct param *params;
	size_t nparams;
	bool input;           /**< waits for the caller: breaks loops   */
	void (*check)(struct ivr_check *c, const char *node,
		      const json_t *obj);
	void (*enter)(struct ivr_exec *x);
	void (*digit)(struct ivr_exec *x, char d);
	void (*played)(struct ivr_exec *x, int err);
	void (*resumed)(struct ivr_exec *x, int result);
	void (*timeout)(struct ivr_exec *x);
};

const struct ivr_kind *ivr_kind_find(const char *name);
extern const struct ivr_kind *const ivr_kinds[];

struct ivr_node {
	const char *id;              /**< borrowed from graph             */
	const struct ivr_kind *kind;
	const json_t *obj;           /**< borrowed from graph             */
};

struct ivr_flow {
	json_t *graph;               /**< (ref) the validated graph       */
	struct ivr_node *nodev;
	unsigned nodec;
	const struct ivr_node *start;
	char lang[16];
	char tenant_id[37];
	char flow_id[37];
	unsigned version;
};

const struct ivr_node *ivr_flow_node(const struct ivr_flow *flow,
				     const char *id);

/* Validation helpers for kinds' check() */
void ivr_check_edge(struct ivr_check *c, const char *node,
		    const char *field, const json_t *target, bool required);
void ivr_check_prompts(struct ivr_check *c, const char *node,
		       const char *field, const json_t *v);
void ivr_check_prompt(struct ivr_check *c, const char *node,
		      const char *field, const json_t *v);
void ivr_check_ref(struct ivr_check *c, const char *node,
		   const char *kind, const char *ref);
bool ivr_prompt_ref_ok(const char *ref);
bool ivr_var_name_ok(const char *name);

enum ivr_wait {
	IVR_IDLE = 0,
	IVR_PLAYING,         /**< ops->play running                     */
	IVR_INPUT,           /**< timer running, digits wanted          */
	IVR_HOST,            /**< voicemail/transfer/queue running      */
	IVR_ASYNC,           /**< lookup, schedule or region pending    */
	IVR_ENDED,
};

enum {
	IVR_VARS_MAX = 64,
	IVR_TYPEAHEAD = 32,
	IVR_DIGITS_MAX = 32,
	IVR_STEPS_MAX = 1000,
};

struct ivr_var {
	char name[33];
	char *value;
};

/*
 * One call in a flow. The host's handle (struct ivr_run) owns one
 * reference; pending schedule and region queries own one each until
 * their callback ran. x->run is NULL once the host let go: every entry
 * point returns at once then, and every host op call is followed by
 * that check (the host may free the run from inside an op).
 */
struct ivr_exec {
	struct ivr_run *run;         /**< borrowed; NULL when released   */
	const struct ivr_host_ops *ops;
	void *host;
	struct app *app;             /**< borrowed, may be NULL          */
	struct ivr_flow *flow;       /**< (ref)                          */
	const struct ivr_node *node;
	enum ivr_wait wait;
	struct tmr tmr;
	struct fetch *lookup;        /**< (ref) in flight, or NULL       */
	struct ivr_var varv[IVR_VARS_MAX];
	unsigned varc;
	char ahead[IVR_TYPEAHEAD + 1];   /**< digits typed ahead         */
	char digits[IVR_DIGITS_MAX + 1]; /**< collect: so far            */
	unsigned tries;
	unsigned phase;              /**< kind-private sub-state         */
	bool barge;                  /**< the play may be interrupted    */
	unsigned steps;              /**< nodes entered since last input */
	unsigned seq;                /**< bumps on every node entry      */
	uint32_t lookup_timeout_ms;
};

struct ivr_run {
	struct ivr_exec *x;          /**< (ref)                          */
};

/* For kinds: moving on and talking to the host */
void ivr_goto(struct ivr_exec *x, const char *field);
void ivr_goto_id(struct ivr_exec *x, const char *id);
void ivr_end(struct ivr_exec *x, const char *how);
bool ivr_gone(const struct ivr_exec *x);
void ivr_play(struct ivr_exec *x, const json_t *prompts, bool barge_in);
void ivr_play_one(struct ivr_exec *x, const char *ref, bool barge_in);
void ivr_wait_input(struct ivr_exec *x, uint32_t ms);
int  ivr_take_ahead(struct ivr_exec *x);
void ivr_emit(struct ivr_exec *x, const char *type, json_t *data);
int  ivr_var_set(struct ivr_exec *x, const char *name, const char *value);
const char *ivr_var_get(const struct ivr_exec *x, const char *name);
int  ivr_expand(struct mbuf *mb, const struct ivr_exec *x, const char *tpl,
		bool urlenc);
int  ivr_int(const json_t *obj, const char *key, int def);
const char *ivr_str(const json_t *obj, const char *key);

/* The area switch's region query (ivr_region.c) */
typedef void (ivr_region_h)(int err, const char *region, void *arg);
int  ivr_region_lookup(struct app *app, const char *tenant_id,
		       const char *caller, ivr_region_h *h, void *arg);

#endif
