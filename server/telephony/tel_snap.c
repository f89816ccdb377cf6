/* Snapshots of the routing tables, swapped whole, and their lookups. */
#include <string.h>
#include <re.h>
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

/*
 * The installed snapshot is replaced by pointer on the loop thread, so a
 * lookup sees either the old tables or the new ones, never a mix. The
 * snapshot owns its entries (trunkl, numh); userh only indexes trunkl.
 * A lookup returns a reference to an entry, which therefore may outlive
 * its snapshot: entries hold nothing of the snapshot and unlink
 * themselves.
 *
 * Address lookup walks every allow-list entry and takes the longest
 * prefix: trunks are tens to hundreds, so a scan costs microseconds per
 * INVITE and keeps prefixes and single addresses one mechanism.
 */

struct tel_snap {
	struct list trunkl;     /**< struct trunk_ent, owning  */
	struct hash *userh;     /**< by auth_user, not owning  */
	struct hash *numh;      /**< struct num_ent, owning    */
	unsigned ntrunks;
	unsigned nnumbers;
	unsigned ndigest_only;  /**< trunks known by credentials only */
};

/* pub first: &ent->pub is the mem object the caller derefs */
struct trunk_ent {
	struct tel_trunk pub;
	struct le le;
	struct le he;
	struct tel_cidr *allowv;   /**< mem array */
	size_t allowc;
};

struct num_ent {
	struct tel_number pub;
	struct le he;
};

static struct tel_snap *cur;   /**< (ref) the installed snapshot */


static void snap_destructor(void *arg)
{
	struct tel_snap *snap = arg;

	hash_clear(snap->userh);
	mem_deref(snap->userh);
	list_flush(&snap->trunkl);
	hash_flush(snap->numh);
	mem_deref(snap->numh);
}


static void trunk_destructor(void *arg)
{
	struct trunk_ent *e = arg;

	list_unlink(&e->le);
	hash_unlink(&e->he);
	mem_deref(e->allowv);
}


static void num_destructor(void *arg)
{
	struct num_ent *e = arg;

	hash_unlink(&e->he);
	mem_deref(e->pub.routes_json);
}


/** Make an empty snapshot to fill and then install. */
int tel_snap_alloc(struct tel_snap **snapp)
{
	struct tel_snap *snap;
	int err;

	if (!snapp)
		return EINVAL;

	snap = mem_zalloc(sizeof(*snap), snap_destructor);
	if (!snap)
		return ENOMEM;

	err = hash_alloc(&snap->userh, 64);
	err = err ? err : hash_alloc(&snap->numh, 4096);
	if (err)
		mem_deref(snap);
	else
		*snapp = snap;

	return err;
}


static int allow_parse(struct trunk_ent *e, const char *allow_addrs)
{
	const char *p = allow_addrs;
	size_t n = 1;

	for (const char *q = p; *q; q++)
		n += *q == ',';

	e->allowv = mem_zalloc(n * sizeof(*e->allowv), NULL);
	if (!e->allowv)
		return ENOMEM;

	while (*p) {
		char one[TEL_ADDR_MAX];
		const char *why;
		size_t len = strcspn(p, ",");

		if (len && len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (!tel_cidr_parse(&e->allowv[e->allowc], one, &why))
				e->allowc++;
		}
		p += len;
		p += *p == ',';
	}

	return 0;
}


/**
 * Add an enabled trunk to a snapshot being built.
 *
 * @param allow_addrs  comma-separated addresses and prefixes; entries that
 *                     do not parse are skipped (the API refuses them)
 */
int tel_snap_add_trunk(struct tel_snap *snap, const struct tel_trunk *t,
		       const char *allow_addrs)
{
	struct trunk_ent *e;
	int err;

	if (!snap || !t)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), trunk_destructor);
	if (!e)
		return ENOMEM;

	e->pub = *t;
	err = allow_parse(e, allow_addrs ? allow_addrs : "");
	if (err) {
		mem_deref(e);
		return err;
	}

	list_append(&snap->trunkl, &e->le, e);
	if (e->pub.auth_user[0])
		hash_append(snap->userh, hash_joaat_str(e->pub.auth_user),
			    &e->he, e);
	if (e->pub.auth_user[0] && !e->allowc)
		++snap->ndigest_only;
	++snap->ntrunks;

	return 0;
}


/** Add an enabled number (its number already normalized). */
int tel_snap_add_number(struct tel_snap *snap, const struct tel_number *n,
			const char *routes_json)
{
	struct num_ent *e;
	int err;

	if (!snap || !n)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), num_destructor);
	if (!e)
		return ENOMEM;

	e->pub = *n;
	e->pub.routes_json = NULL;
	err = str_dup(&e->pub.routes_json, routes_json ? routes_json : "[]");
	if (err) {
		mem_deref(e);
		return err;
	}

	hash_append(snap->numh, hash_joaat_str(e->pub.number), &e->he, e);
	++snap->nnumbers;

	return 0;
}


/**
 * Make snap the tables every lookup uses (takes the reference; NULL
 * empties them). Entries handed out earlier stay valid.
 */
void tel_snap_install(struct tel_snap *snap)
{
	struct tel_snap *old = cur;

	cur = snap;
	mem_deref(old);
}


unsigned tel_snap_ntrunks(const struct tel_snap *snap)
{
	return snap ? snap->ntrunks : 0;
}


unsigned tel_snap_nnumbers(const struct tel_snap *snap)
{
	return snap ? snap->nnumbers : 0;
}


/**
 * The trunk whose allow-list holds src, the longest prefix winning (the
 * first loaded on a tie).
 *
 * @return a reference the caller mem_deref()s, or NULL
 */
struct tel_trunk *tel_trunk_by_addr(const struct sa *src)
{
	struct trunk_ent *best = NULL;
	int best_bits = -1;
	struct le *le;

	if (!cur || !src)
		return NULL;

	LIST_FOREACH(&cur->trunkl, le) {
		struct trunk_ent *e = le->data;

		for (size_t i = 0; i < e->allowc; i++) {
			const struct tel_cidr *c = &e->allowv[i];

			if (c->bits > best_bits && tel_cidr_match(c, src)) {
				best = e;
				best_bits = c->bits;
			}
		}
	}

	return best ? mem_ref(&best->pub) : NULL;
}


static bool user_cmp(struct le *le, void *arg)
{
	const struct trunk_ent *e = le->data;

	return 0 == strcmp(e->pub.auth_user, arg);
}


/** The trunk with this digest user; a reference, or NULL. */
/**
 * Whether some trunk is known by digest credentials alone (no address
 * list): only then is an INVITE from an unknown address worth a
 * challenge rather than a plain 403.
 */
bool tel_digest_only_trunks(void)
{
	return cur && cur->ndigest_only > 0;
}


struct tel_trunk *tel_trunk_by_user(const char *auth_user)
{
	struct trunk_ent *e;

	if (!cur || !auth_user || !auth_user[0])
		return NULL;

	e = list_ledata(hash_lookup(cur->userh, hash_joaat_str(auth_user),
				    user_cmp, (void *)auth_user));

	return e ? mem_ref(&e->pub) : NULL;
}


static bool num_cmp(struct le *le, void *arg)
{
	const struct num_ent *e = le->data;

	return 0 == strcmp(e->pub.number, arg);
}


/**
 * The enabled number that number (in any spelling tel_normalize()
 * accepts) names; a reference, or NULL.
 */
struct tel_number *tel_number_find(const char *number)
{
	char norm[33];
	struct num_ent *e;

	if (!cur || tel_normalize(norm, sizeof(norm), number))
		return NULL;

	e = list_ledata(hash_lookup(cur->numh, hash_joaat_str(norm),
				    num_cmp, norm));

	return e ? mem_ref(&e->pub) : NULL;
}


struct tenant_min {
	const char *tenant_id;
	struct num_ent *best;
};


static bool tenant_min(struct le *le, void *arg)
{
	struct num_ent *e = le->data;
	struct tenant_min *tm = arg;

	if (!strcmp(e->pub.tenant_id, tm->tenant_id) && (!tm->best ||
	    strcmp(e->pub.number, tm->best->pub.number) < 0))
		tm->best = e;

	return false;
}


/**
 * The tenant's number an agent's outbound call shows by default (the
 * lowest, so the choice is stable); a reference, or NULL.
 */
struct tel_number *tel_number_of_tenant(const char *tenant_id)
{
	struct tenant_min tm = {tenant_id, NULL};

	if (!cur || !tenant_id)
		return NULL;

	(void)hash_apply(cur->numh, tenant_min, &tm);

	return tm.best ? mem_ref(&tm.best->pub) : NULL;
}


/**
 * The trunk a tenant's number calls out through: the number's own trunk,
 * else the first of the tenant's or the shared trunks with an outbound
 * route; a reference, or NULL.
 */
struct tel_trunk *tel_trunk_for_number(const struct tel_number *num)
{
	struct le *le;

	if (!cur || !num)
		return NULL;

	LIST_FOREACH(&cur->trunkl, le) {
		struct trunk_ent *e = le->data;

		if (num->trunk_id[0] && !strcmp(e->pub.trunk_id,
						num->trunk_id))
			return e->pub.outbound_uri[0] ? mem_ref(&e->pub) :
				NULL;
	}

	LIST_FOREACH(&cur->trunkl, le) {
		struct trunk_ent *e = le->data;

		if (e->pub.outbound_uri[0] && (!e->pub.tenant_id[0] ||
		    !strcmp(e->pub.tenant_id, num->tenant_id)))
			return mem_ref(&e->pub);
	}

	return NULL;
}
