/* The browser softphone's presence: which console tab carries an
 * agent's device, and the grace period after it left. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "agent"
#include "log/log.h"
#include "agent/softphone.h"

/*
 * An entry lives while its agent has a tab or is in its grace period.
 * Tabs are opaque (the WebSocket client); this module never dereferences
 * one, and the owner unregisters a tab before it is freed.
 */
struct sp_ent {
	struct le he;                    /**< in st.ents (owning)       */
	char agent_id[37];
	char tenant_id[37];
	void *tab;                       /**< (borrowed) NULL: in grace */
	struct tmr grace;
};

static struct {
	struct hash *ents;
	uint32_t grace_ms;
	softphone_send_h *sendh;
	agent_reg_h *h;
	void *arg;
	unsigned count;
} st;


static void ent_destructor(void *arg)
{
	struct sp_ent *e = arg;

	tmr_cancel(&e->grace);
	hash_unlink(&e->he);
	--st.count;
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct sp_ent *e = le->data;

	return !strcmp(e->agent_id, arg);
}


static struct sp_ent *ent_find(const char *agent_id)
{
	struct le *le;

	if (!st.ents || !agent_id)
		return NULL;

	le = hash_lookup(st.ents, hash_joaat_str(agent_id), id_cmp,
			 (void *)agent_id);

	return le ? le->data : NULL;
}


static void tell(const struct sp_ent *e, bool reachable, const char *why)
{
	if (st.h)
		st.h(e->tenant_id, e->agent_id, reachable, why, st.arg);
}


/** Install the one handler told when a softphone comes or goes. */
void softphone_set_handler(agent_reg_h *h, void *arg)
{
	st.h = h;
	st.arg = arg;
}


int softphone_init(uint32_t grace_ms, softphone_send_h *sendh)
{
	st.grace_ms = grace_ms;
	st.sendh = sendh;

	return st.ents ? 0 : hash_alloc(&st.ents, 256);
}


void softphone_close(void)
{
	hash_flush(st.ents);
	st.ents = mem_deref(st.ents);
	st.h = NULL;
}


/**
 * The tab carries the agent's device from now on. A tab that carried it
 * before is told it was replaced (it stays connected, without the
 * device).
 */
int softphone_register(const char *tenant_id, const char *agent_id,
		       void *tab)
{
	struct sp_ent *e = ent_find(agent_id);
	bool was_online = e != NULL;

	if (!st.ents || !tenant_id || !agent_id || !tab)
		return EINVAL;

	if (e && e->tab && e->tab != tab && st.sendh) {
		log_info("agent %s: softphone taken over by another tab",
			 agent_id);
		st.sendh(e->tab, json_pack("{s:s}", "type",
					   "softphone.replaced"));
	}

	if (!e) {
		e = mem_zalloc(sizeof(*e), ent_destructor);
		if (!e)
			return ENOMEM;
		str_ncpy(e->agent_id, agent_id, sizeof(e->agent_id));
		hash_append(st.ents, hash_joaat_str(agent_id), &e->he, e);
		++st.count;
	}

	str_ncpy(e->tenant_id, tenant_id, sizeof(e->tenant_id));
	tmr_cancel(&e->grace);
	e->tab = tab;
	if (!was_online)
		tell(e, true, "registered");

	return 0;
}


static void grace_over(void *arg)
{
	struct sp_ent *e = arg;
	char tenant_id[37], agent_id[37];

	str_ncpy(tenant_id, e->tenant_id, sizeof(tenant_id));
	str_ncpy(agent_id, e->agent_id, sizeof(agent_id));
	mem_deref(e);
	if (st.h)
		st.h(tenant_id, agent_id, false, "disconnected", st.arg);
}


static bool tab_cmp(struct le *le, void *arg)
{
	const struct sp_ent *e = le->data;

	return e->tab == arg;
}


/** The tab closed or gave the device up: the grace period starts. */
void softphone_unregister(void *tab)
{
	struct le *le;

	if (!st.ents || !tab)
		return;

	while ((le = hash_apply(st.ents, tab_cmp, tab))) {
		struct sp_ent *e = le->data;

		e->tab = NULL;
		tmr_start(&e->grace, st.grace_ms, grace_over, e);
	}
}


/** Whether the agent's softphone can be rung (or is in its grace). */
bool softphone_online(const char *agent_id)
{
	return ent_find(agent_id) != NULL;
}


/** Whether tab is the one carrying the agent's device now. */
bool softphone_is_tab(const char *agent_id, const void *tab)
{
	const struct sp_ent *e = ent_find(agent_id);

	return e && tab && e->tab == tab;
}


/**
 * Send a message to the tab carrying the agent's device; takes the
 * reference to msg. ENOENT: no tab now (in its grace, or never).
 */
int softphone_send(const char *agent_id, json_t *msg)
{
	const struct sp_ent *e = ent_find(agent_id);

	if (!msg)
		return ENOMEM;

	if (!e || !e->tab || !st.sendh) {
		json_decref(msg);
		return ENOENT;
	}

	st.sendh(e->tab, msg);

	return 0;
}


unsigned softphone_count(void)
{
	return st.count;
}
