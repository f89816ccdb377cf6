/* /api/v1/customers: list and search, read one, look up by phone,
 * delete; creating and changing are in customer_write.c. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "crm/customer.h"
#include "crm/crm_int.h"

/*
 * Newest first, keyset pagination on (created_at, customer_id)
 * descending: the customers_tenant_created index read backwards.
 *
 * q finds a word of the name, company, e-mail, region or notes through
 * the 'simple' text search, and any part of the name or company (a
 * Chinese name has no spaces to split on) through ILIKE, which the
 * pg_trgm indexes serve from three characters on.
 *
 * Under Row Level Security PostgreSQL uses an index only for conditions
 * it knows leak nothing (LEAKPROOF), and @@ and ILIKE are not: in the
 * tenant's scope every search would read all the tenant's customers.
 * So the list runs in the operator's role, and names the tenant (the
 * principal's) in every table it reads instead.
 */

#define LIST_SQL \
	"SELECT " CUSTOMER_JSON("c") ", c.created_at::text," \
	" c.customer_id::text FROM customers c" \
	" WHERE c.tenant_id = $8::uuid" \
	" AND ($1::text IS NULL OR c.search @@ plainto_tsquery('simple'," \
	" $1) OR c.name ILIKE $2 OR c.company ILIKE $2)" \
	" AND ($3::text IS NULL OR c.tags @> ARRAY[$3::text])" \
	" AND ($4::text IS NULL OR c.customer_id IN (SELECT p.customer_id" \
	" FROM customer_phones p WHERE p.tenant_id = $8::uuid" \
	" AND p.phone = $4))" \
	" AND ($5::timestamptz IS NULL OR (c.created_at, c.customer_id)" \
	" < ($5::timestamptz, $6::uuid))" \
	" ORDER BY c.created_at DESC, c.customer_id DESC" \
	" LIMIT $7::int + 1"

/* Longest q: a search is a few words, not a document. */
#define Q_MAX 100

struct list_args {
	const char *pv[8];
	char like[2 * Q_MAX + 3];
	char phone[CRM_PHONE_SZ];
	char ts[64], id[64], lim[16];
	unsigned limit;
};


/* q as an ILIKE pattern: %q% with its own % _ \ taken literally. */
static void like_pattern(char *out, const char *q)
{
	size_t o = 0;

	out[o++] = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			out[o++] = '\\';
		out[o++] = *q;
	}
	out[o++] = '%';
	out[o] = '\0';
}


static bool q_arg(struct http_req *req, struct list_args *a)
{
	const char *q = http_req_query(req, "q");

	if (!q || !q[0])
		return true;

	if (strlen(q) > Q_MAX) {
		api_reply_invalid(req, "q", "length",
				  "must be at most 100 bytes");
		return false;
	}

	like_pattern(a->like, q);
	a->pv[0] = q;
	a->pv[1] = a->like;
	return true;
}


/* A phone filter in the stored spelling; no digits matches nobody. */
static bool phone_arg(struct http_req *req, const char *s, char *buf,
		      const char **pvp)
{
	size_t n;

	*pvp = NULL;
	if (!s)
		return true;

	n = crm_phone_norm(buf, CRM_PHONE_SZ, s) ? 0 : strlen(buf);
	if (n < 3) {
		api_reply_invalid(req, "phone", "format",
				  "must be a telephone number of 3 to 20 "
				  "digits");
		return false;
	}

	*pvp = buf;
	return true;
}


static void customer_list(struct http_req *req)
{
	static const struct db_ctx op = {DB_OPERATOR, NULL};
	const char *tag = http_req_query(req, "tag");
	struct list_args a;

	memset(&a, 0, sizeof(a));
	if (!crm_page(req, &a.limit, a.ts, a.id, a.lim) || !q_arg(req, &a) ||
	    !phone_arg(req, http_req_query(req, "phone"), a.phone, &a.pv[3]))
		return;

	a.pv[2] = tag && tag[0] ? tag : NULL;
	a.pv[4] = a.ts[0] ? a.ts : NULL;
	a.pv[5] = a.id[0] ? a.id : NULL;
	a.pv[6] = a.lim;
	a.pv[7] = http_req_principal(req)->tenant_id;
	api_query(req, &op, LIST_SQL, 8, a.pv, crm_list_done);
}


static void customer_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CUSTOMER_JSON("c") " FROM customers c"
		" WHERE c.customer_id = $1";
	struct db_ctx ctx = api_ctx(req);
	char buf[UUID_STRLEN];
	const char *id = crm_path_id(req, "customer_id", buf);

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


/* The screen pop's question over REST: whose number is this? */
static void customer_lookup(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CUSTOMER_JSON("c") " FROM customer_phones p"
		" JOIN customers c ON c.customer_id = p.customer_id"
		" WHERE p.tenant_id = $1::uuid AND p.phone = $2";
	const char *phone = http_req_query(req, "phone");
	struct db_ctx ctx = api_ctx(req);
	char buf[CRM_PHONE_SZ];
	const char *pv[2];

	if (!phone) {
		api_reply_invalid(req, "phone", "required",
				  "name the number to look up");
		return;
	}

	if (!phone_arg(req, phone, buf, &pv[1]))
		return;

	pv[0] = http_req_principal(req)->tenant_id;
	api_query(req, &ctx, sql, 2, pv, api_row_200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	char json[96];
	const char *id;

	if (db_nrows(res, 0) < 1 || !(id = db_val(res, 0, 0, 0))) {
		http_reply_error(req, ENOENT);
		return;
	}

	(void)re_snprintf(json, sizeof(json), "{\"customer_id\":\"%s\","
			  "\"changed\":[]}", id);
	api_publish(http_req_principal(req)->tenant_id, "customer.deleted",
		    json);
	http_reply_empty(req, 204);
}


/* Its numbers go with it (ON DELETE CASCADE); its calls stay. */
static void customer_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM customers WHERE customer_id = $1"
		" RETURNING customer_id";
	char buf[UUID_STRLEN];
	const char *id = crm_path_id(req, "customer_id", buf);
	struct crm_change c = {"customer.delete", "customer", id, NULL};
	struct db_txn *tx = NULL;
	int err;

	if (!id)
		return;

	err = crm_begin(&tx, req, sql, 1, &id, &c);
	crm_run(req, tx, err, deleted);
}


/* lookup before {customer_id}: the first route that matches serves */
static const struct http_route routes[] = {
	{"GET", "/api/v1/customers", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 customer_list},
	{"GET", "/api/v1/customers/lookup", HTTP_TENANT, ROLE_AGENT, NULL,
	 0, customer_lookup},
	{"GET", "/api/v1/customers/{customer_id}", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, customer_get},
	{"DELETE", "/api/v1/customers/{customer_id}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, customer_delete},
};


/** Register the customers and custom fields API. */
int customer_api_init(void)
{
	int err = 0;

	err |= http_routes_add(routes, ARRAY_SIZE(routes));
	err |= customer_write_init();
	err |= customer_hist_init();
	err |= customer_field_api_init();

	return err ? ENOMEM : 0;
}
