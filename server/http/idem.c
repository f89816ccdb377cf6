/* Idempotency-Key: a POST runs once per principal and key. */
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <sodium.h>
#define LOG_MODULE "idem"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "auth/secret.h"
#include "http/http_int.h"
#include "http/idem.h"
#include "seal/seal.h"

/*
 * The first request with a key inserts a row and runs; its reply is
 * stored (5xx replies delete the row, so a retry runs again). A repeat
 * with the same body replays the stored reply; a different body is a
 * client bug (422); a repeat while the first still runs gets 409. Keys
 * expire after 24 hours.
 *
 * A stored reply is sealed (seal/seal.h), bound to the principal and
 * the key: some replies carry a secret shown once (a webhook's signing
 * secret), which must not lie readable in the database for a day.
 */

struct idem {
	struct http_req *req;            /**< (ref) */
	idem_proceed_h *proceed;
	char body_hash[SECRET_HASH_LEN];
};

static const struct db_ctx op = {DB_OPERATOR, NULL};

static const char sql_claim[] =
	"INSERT INTO idempotency_keys (principal_id, idem_key, tenant_id,"
	" method, path, body_hash) VALUES ($1, $2, NULLIF($3, '')::uuid,"
	" $4, $5, $6) ON CONFLICT (principal_id, idem_key) DO UPDATE SET"
	" method = EXCLUDED.method, path = EXCLUDED.path,"
	" body_hash = EXCLUDED.body_hash, status = NULL, response = NULL,"
	" content_type = NULL, created_at = now()"
	" WHERE idempotency_keys.created_at < now() - interval '24 hours'"
	" RETURNING true";

static const char sql_get[] =
	"SELECT body_hash, status, response, content_type"
	" FROM idempotency_keys WHERE principal_id = $1 AND idem_key = $2";

static const char sql_store[] =
	"UPDATE idempotency_keys SET status = $3::int, response = $4,"
	" content_type = $5 WHERE principal_id = $1 AND idem_key = $2";

static const char sql_forget[] =
	"DELETE FROM idempotency_keys WHERE principal_id = $1"
	" AND idem_key = $2";


static void destructor(void *arg)
{
	struct idem *ik = arg;

	mem_deref(ik->req);
}


/* Stored (or not): the held reply may go now. */
static void stored(int err, const struct db_res *res, void *arg)
{
	struct http_req *req = arg;

	(void)res;
	if (err)
		log_warn("storing an idempotent reply failed: %m", err);

	req->held = false;
	http_kick(req);
	mem_deref(req);
}


/*
 * Runs when the handler replies: remember the reply for repeats. The
 * reply is held until it is stored: a client that repeats the request
 * as soon as it has the answer must get the replay, not a 409 "still
 * running" from a store not yet committed.
 */
/* Where a stored reply's box belongs; row gets principal and key. */
static void reply_ad(struct seal_ad *ad, char *row, size_t sz,
		     const struct http_req *req)
{
	(void)re_snprintf(row, sz, "%s %s", req->principal.id,
			  req->idem_key);
	ad->column = SEAL_COL_IDEM;
	ad->tenant_id = req->principal.tenant_id[0] ?
		req->principal.tenant_id : "operator";
	ad->row_id = row;
}


/* The reply as stored: sealed, NULL when it cannot be (not kept). */
static char *reply_box(const struct http_req *req)
{
	struct seal_ad ad;
	char row[200], *body = NULL, *box = NULL;

	reply_ad(&ad, row, sizeof(row), req);
	if (!re_sdprintf(&body, "%b", req->resp_body ? req->resp_body : "",
			 req->resp_len))
		(void)seal_box(&box, body, &ad);
	if (body)
		sodium_memzero(body, strlen(body));
	mem_deref(body);

	return box;
}


static void reply_hook(struct http_req *req)
{
	char status[8];
	const char *pv[5];
	char *body = NULL;
	int err;

	(void)re_snprintf(status, sizeof(status), "%u", req->status);
	body = reply_box(req);
	pv[0] = req->principal.id;
	pv[1] = req->idem_key;
	pv[2] = status;
	pv[3] = body;
	pv[4] = req->resp_ctype ? req->resp_ctype : "";

	req->held = true;
	if (req->status >= 500 || !body)
		err = db_query(req->hs->app->db, &op, stored, mem_ref(req),
			       sql_forget, 2, pv);
	else
		err = db_query(req->hs->app->db, &op, stored, mem_ref(req),
			       sql_store, 5, pv);
	if (err) {
		log_warn("storing an idempotent reply failed: %m", err);
		req->held = false;
		mem_deref(req);
	}

	mem_deref(body);
}


static void replay(struct idem *ik, const struct db_res *res)
{
	struct http_req *req = ik->req;
	const char *status = db_get(res, 0, 0, "status");
	const char *body = db_get(res, 0, 0, "response");
	const char *ctype = db_get(res, 0, 0, "content_type");
	char *plain = NULL;
	int err;

	if (strcmp(db_get(res, 0, 0, "body_hash"), ik->body_hash)) {
		http_reply_problem(req, 422, "idempotency_mismatch",
				   "This Idempotency-Key was used with a "
				   "different request; use a new key.");
		return;
	}
	if (!status) {
		http_reply_problem(req, 409, "idempotency_in_progress",
				   "A request with this Idempotency-Key is "
				   "still running; retry shortly.");
		return;
	}

	/* a reply stored before replies were sealed is replayed as is */
	if (body && !strncmp(body, "\\x", 2)) {
		struct seal_ad ad;
		char row[200];

		reply_ad(&ad, row, sizeof(row), req);
		err = seal_open_alloc(&plain, body, &ad);
		if (err) {
			log_warn("a stored idempotent reply does not open: %m",
				 err);
			http_reply_error(req, EIO);
			return;
		}
		body = plain;
	}

	http_reply_header(req, "idempotent-replayed", "true");
	http_reply_raw(req, (unsigned)atoi(status),
		       ctype && *ctype ? ctype : NULL, body ? body : "",
		       body ? strlen(body) : 0);
	if (plain)
		sodium_memzero(plain, strlen(plain));
	mem_deref(plain);
}


static void got(int err, const struct db_res *res, void *arg)
{
	struct idem *ik = arg;

	if (ik->req->done)
		goto out;

	if (err || db_nrows(res, 0) != 1) {
		http_reply_error(ik->req, err ? err : EAGAIN);
		goto out;
	}

	replay(ik, res);

 out:
	mem_deref(ik);
}


static void claimed(int err, const struct db_res *res, void *arg)
{
	struct idem *ik = arg;
	struct http_req *req = ik->req;
	const char *pv[2] = {req->principal.id, req->idem_key};

	if (req->done)
		goto out;

	if (err) {
		http_reply_error(req, err);
		goto out;
	}

	if (db_nrows(res, 0) == 1) {
		req->reply_hook = reply_hook;
		ik->proceed(req);
		goto out;
	}

	err = db_query(req->hs->app->db, &op, got, ik, sql_get, 2, pv);
	if (err) {
		http_reply_error(req, err);
		goto out;
	}
	return;

 out:
	mem_deref(ik);
}


static void hash_request(struct http_req *req, char out[SECRET_HASH_LEN])
{
	struct mbuf *mb = mbuf_alloc(256);
	char *s = NULL;

	if (mb) {
		(void)mbuf_printf(mb, "%s %s\n", req->method, req->path);
		if (req->body)
			(void)mbuf_write_mem(mb, req->body->buf,
					     req->body->end);
		mb->pos = 0;
		(void)mbuf_strdup(mb, &s, mb->end);
	}

	secret_hash(out, s ? s : "");
	mem_deref(s);
	mem_deref(mb);
}


/**
 * Run `proceed` for the first request with this key; answer repeats
 * from the stored reply.
 */
void idem_begin(struct http_req *req, idem_proceed_h *proceed)
{
	const char *pv[6];
	struct idem *ik;
	size_t klen = strlen(req->idem_key);
	int err;

	if (klen < 1 || klen > 128) {
		http_reply_problem(req, 400, "validation_failed",
				   "Idempotency-Key must be 1 to 128 "
				   "characters.");
		return;
	}

	ik = mem_zalloc(sizeof(*ik), destructor);
	if (!ik) {
		http_reply_error(req, ENOMEM);
		return;
	}

	ik->req = mem_ref(req);
	ik->proceed = proceed;
	hash_request(req, ik->body_hash);

	pv[0] = req->principal.id;
	pv[1] = req->idem_key;
	pv[2] = req->principal.tenant_id;
	pv[3] = req->method;
	pv[4] = req->path;
	pv[5] = ik->body_hash;

	err = db_query(req->hs->app->db, &op, claimed, ik, sql_claim, 6, pv);
	if (err) {
		http_reply_error(req, err);
		mem_deref(ik);
	}
}
