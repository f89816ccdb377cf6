/* The agents with SIP phones, as one immutable snapshot. */
#include <string.h>
#include <re.h>
#include "db/db.h"
#include "agent/agent_reg_int.h"

/*
 * The snapshot owns an array of entries and indexes them twice. It is
 * replaced whole on reload (on the loop thread), so a lookup sees the
 * old agents or the new ones, never a mix; a pointer to an entry is
 * good until the loop runs again.
 */

struct snap_ent {
	struct agent_ent pub;
	struct le he_user;
	struct le he_agent;
};

struct agent_snap {
	struct snap_ent *v;        /**< (ref) mem array */
	unsigned n;
	struct hash *by_user;      /**< not owning      */
	struct hash *by_agent;     /**< not owning      */
};


static void destructor(void *arg)
{
	struct agent_snap *snap = arg;
	unsigned i;

	for (i = 0; i < snap->n; i++) {
		struct snap_ent *e = &snap->v[i];

		hash_unlink(&e->he_user);
		hash_unlink(&e->he_agent);
		memset(e->pub.secret, 0, sizeof(e->pub.secret));
	}

	mem_deref(snap->v);
	mem_deref(snap->by_user);
	mem_deref(snap->by_agent);
}


static const char *val(const struct db_res *res, unsigned row, unsigned col)
{
	const char *v = db_val(res, 0, row, col);

	return v ? v : "";
}


/**
 * A snapshot of the rows of res (statement 0: agent_id, tenant_id,
 * sip_user, sip_secret); res NULL makes an empty one.
 *
 * @return 0 if success, otherwise errorcode
 */
int agent_snap_build(struct agent_snap **snapp, const struct db_res *res)
{
	struct agent_snap *snap;
	unsigned i, rows = res ? db_nrows(res, 0) : 0;
	int err;

	if (!snapp)
		return EINVAL;

	snap = mem_zalloc(sizeof(*snap), destructor);
	if (!snap)
		return ENOMEM;

	err  = hash_alloc(&snap->by_user, 1024);
	err |= hash_alloc(&snap->by_agent, 1024);
	if (!err && rows) {
		snap->v = mem_zalloc(rows * sizeof(*snap->v), NULL);
		err = snap->v ? 0 : ENOMEM;
	}
	if (err) {
		mem_deref(snap);
		return ENOMEM;
	}

	for (i = 0; i < rows; i++) {
		struct snap_ent *e = &snap->v[snap->n];
		struct agent_ent *a = &e->pub;

		str_ncpy(a->agent_id, val(res, i, 0), sizeof(a->agent_id));
		str_ncpy(a->tenant_id, val(res, i, 1), sizeof(a->tenant_id));
		str_ncpy(a->sip_user, val(res, i, 2), sizeof(a->sip_user));
		str_ncpy(a->secret, val(res, i, 3), sizeof(a->secret));
		if (!a->sip_user[0] || !a->agent_id[0])
			continue;

		hash_append(snap->by_user, hash_joaat_str(a->sip_user),
			    &e->he_user, e);
		hash_append(snap->by_agent, hash_joaat_str(a->agent_id),
			    &e->he_agent, e);
		++snap->n;
	}

	*snapp = snap;

	return 0;
}


static bool user_cmp(struct le *le, void *arg)
{
	const struct snap_ent *e = le->data;

	return !strcmp(e->pub.sip_user, arg);
}


static bool agent_cmp(struct le *le, void *arg)
{
	const struct snap_ent *e = le->data;

	return !strcmp(e->pub.agent_id, arg);
}


/** The agent registering as sip_user, or NULL. */
const struct agent_ent *agent_snap_by_user(const struct agent_snap *snap,
					   const char *sip_user)
{
	struct le *le;

	if (!snap || !sip_user)
		return NULL;

	le = hash_lookup(snap->by_user, hash_joaat_str(sip_user), user_cmp,
			 (void *)sip_user);

	return le ? &((struct snap_ent *)le->data)->pub : NULL;
}


/** The agent agent_id if its device is a SIP phone, or NULL. */
const struct agent_ent *agent_snap_by_agent(const struct agent_snap *snap,
					    const char *agent_id)
{
	struct le *le;

	if (!snap || !agent_id)
		return NULL;

	le = hash_lookup(snap->by_agent, hash_joaat_str(agent_id),
			 agent_cmp, (void *)agent_id);

	return le ? &((struct snap_ent *)le->data)->pub : NULL;
}


unsigned agent_snap_count(const struct agent_snap *snap)
{
	return snap ? snap->n : 0;
}


/** Up to n entries from index from on, into v; returns how many. */
unsigned agent_snap_list(const struct agent_snap *snap, unsigned from,
			 struct agent_ent **v, unsigned n)
{
	unsigned i;

	if (!snap || !v)
		return 0;

	for (i = 0; i < n && from + i < snap->n; i++)
		v[i] = &snap->v[from + i].pub;

	return i;
}
