/* Customers for other modules: a caller's customer, the phone spelling. */
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


/**
 * The one spelling of a phone number, the rule of phone_norm() in
 * migrations/0014: its ASCII digits only, without the country code of a
 * Chinese mobile number (+86 138..., 0086 138... and 86 138... are
 * 138...). Everything else keeps all its digits: a fixed line's 010...
 * is not shortened.
 *
 * @param out  Buffer for the digits
 * @param sz   Size of out
 * @param in   Number as written
 *
 * @return 0 if success, EINVAL without input, E2BIG if out is too small
 */
int crm_phone_norm(char *out, size_t sz, const char *in)
{
	char head[5];
	size_t n = 0, skip = 0, o = 0;

	if (!out || !sz || !in)
		return EINVAL;

	for (const char *p = in; *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		if (n < sizeof(head))
			head[n] = *p;
		++n;
	}

	if (n == 15 && !memcmp(head, "00861", 5))
		skip = 4;
	else if (n == 13 && !memcmp(head, "861", 3))
		skip = 2;

	if (n - skip >= sz) {
		out[0] = '\0';
		return E2BIG;
	}

	for (const char *p = in; *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		if (skip)
			--skip;
		else
			out[o++] = *p;
	}
	out[o] = '\0';

	return 0;
}


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
