/* Customers for other modules: the customer of a caller's number. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "db/db.h"
#include "crm/customer.h"

/* A number with more digits than this is nobody's (E.164 has 15). */
#define PHONE_IN_MAX 64

struct find {
	customer_found_h *h;
	void *arg;
};


static void found(int err, const struct db_res *res, void *arg)
{
	struct find *f = arg;
	const char *j = NULL;
	json_t *c = NULL;

	if (!err && (db_nrows(res, 0) < 1 || !(j = db_val(res, 0, 0, 0))))
		err = ENOENT;

	if (!err) {
		c = json_loads(j, 0, NULL);
		if (!c)
			err = EPROTO;
	}

	f->h(err, c, f->arg);
	json_decref(c);
	mem_deref(f);
}


/**
 * Find the customer of the tenant with this phone number (any of its
 * numbers), in the spelling crm_phone_norm() gives.
 *
 * @param app        Application (its database)
 * @param tenant_id  Tenant
 * @param phone      Number as a caller ID, an import or a form has it
 * @param h          Called once with the answer (unless an error is
 *                   returned)
 * @param arg        Handler argument
 *
 * @return 0 if h will be called, otherwise errorcode (EINVAL: missing
 *         argument or a number longer than any phone number)
 */
int customer_find_by_phone(struct app *app, const char *tenant_id,
			   const char *phone, customer_found_h *h,
			   void *arg)
{
	static const char sql[] =
		"SELECT " CUSTOMER_JSON("c") " FROM customer_phones p"
		" JOIN customers c ON c.customer_id = p.customer_id"
		" WHERE p.tenant_id = $1::uuid AND p.phone = $2";
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	char num[PHONE_IN_MAX];
	const char *pv[2];
	struct find *f;
	int err;

	if (!app || !app->db || !tenant_id || !phone || !h)
		return EINVAL;

	if (crm_phone_norm(num, sizeof(num), phone))
		return EINVAL;

	f = mem_zalloc(sizeof(*f), NULL);
	if (!f)
		return ENOMEM;

	f->h = h;
	f->arg = arg;
	pv[0] = tenant_id;
	pv[1] = num;
	err = db_query(app->db, &ctx, found, f, sql, 2, pv);
	if (err)
		mem_deref(f);

	return err;
}
