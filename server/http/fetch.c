/* Outgoing HTTP requests for a JSON answer, with a deadline. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "http/fetch.h"
#include "http/outreq.h"

/*
 * A JSON layer over http/outreq.h, which resolves the name itself,
 * judges every address with egress_allowed() (when r->egress) and
 * verifies an https peer's certificate, all before the request (with a
 * tenant's token in it) is written. A fetch ends exactly once: answer,
 * error or the deadline; freeing it first cancels the request and
 * nothing is reported. The handler may free the fetch.
 *
 * The first fetch takes a use of outreq's shared parts; fetch_close()
 * gives it back.
 */

enum { FETCH_BODY_MAX = 65536 };

struct fetch {
	struct outreq *req;          /**< (ref) in flight                */
	fetch_h *h;
	void *arg;
};

static bool used;                    /* holds a use of outreq's parts */


static void destructor(void *arg)
{
	struct fetch *f = arg;

	f->req = mem_deref(f->req);
}


static json_t *body_json(const struct outreq_result *res, int *errp)
{
	json_error_t jerr;
	json_t *j;

	if (res->truncated) {
		*errp = EMSGSIZE;
		return NULL;
	}

	j = json_loadb(res->body, res->body_len, JSON_REJECT_DUPLICATES,
		       &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		*errp = EPROTO;
		return NULL;
	}

	return j;
}


/* res is borrowed from the request, which h may free with the fetch */
static void done_h(const struct outreq_result *res, void *arg)
{
	struct fetch *f = arg;
	uint16_t scode = res->status;
	fetch_h *h = f->h;
	int err = res->err;
	json_t *j = NULL;

	if (!err && (scode < 200 || scode > 299))
		err = EBADMSG;
	if (!err)
		j = body_json(res, &err);

	f->h = NULL;
	if (h)
		h(err, scode, err ? NULL : j, f->arg);
	json_decref(j);
}


static int uses_take(void)
{
	int err;

	if (used)
		return 0;

	err = outreq_init();
	used = !err;

	return err;
}


static int headers_build(char **hp, const struct fetch_req *r)
{
	return re_sdprintf(hp, "Accept: application/json\r\n%s%s%s",
			   r->header ? r->header : "",
			   r->header ? "\r\n" : "",
			   r->body ? "Content-Type: application/json\r\n"
			   : "");
}


static int send_req(struct fetch *f, const struct fetch_req *r,
		    const struct outreq_url *u)
{
	struct outreq_msg m;
	char *headers = NULL;
	int err;

	memset(&m, 0, sizeof(m));
	m.method = r->body ? "POST" : r->method ? r->method : "GET";
	m.body = r->body;
	m.len = r->body ? strlen(r->body) : 0;
	m.timeout_ms = r->timeout_ms;
	m.body_max = FETCH_BODY_MAX;
	m.egress = r->egress;

	err = headers_build(&headers, r);
	m.headers = headers;
	err = err ? err : outreq_start(&f->req, u, &m, done_h, f);
	mem_deref(headers);

	return err;
}


/**
 * Start an HTTP request to r->url; h gets the JSON object answered or
 * an error (see fetch_h).
 *
 * @return 0 if started (h will be called unless *fp is freed first)
 */
int fetch_start(struct fetch **fp, const struct fetch_req *r,
		fetch_h *h, void *arg)
{
	struct outreq_url u;
	struct fetch *f;
	int err;

	if (!fp || !r || !r->url || !h)
		return EINVAL;
	if (r->header && strpbrk(r->header, "\r\n"))
		return EINVAL;

	err = outreq_url_parse(&u, r->url, NULL);
	err = err ? err : uses_take();
	if (err)
		return err;

	f = mem_zalloc(sizeof(*f), destructor);
	if (!f)
		return ENOMEM;

	f->h = h;
	f->arg = arg;
	err = send_req(f, r, &u);
	if (err) {
		mem_deref(f);
		return err;
	}

	*fp = f;
	return 0;
}


/**
 * Trust the CA certificates in path (PEM) for https requests, besides
 * the system's: a CRM inside a tenant's network may use its own CA.
 *
 * @return 0 if success, otherwise errorcode
 */
int fetch_add_ca(const char *path)
{
	int err = uses_take();

	return err ? err : outreq_add_ca(path);
}


/** Give back the use of the shared client (at shutdown; no request may
 * be in flight). */
void fetch_close(void)
{
	if (used)
		outreq_close();
	used = false;
}
