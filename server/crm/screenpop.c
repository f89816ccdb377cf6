/* The screen pop's lookup: settings, then customers, a CRM or a page. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "crm"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "core/clock.h"
#include "http/fetch.h"
#include "metrics/metrics.h"
#include "crm/customer.h"
#include "crm/screenpop.h"
#include "seal/seal.h"

/*
 * A lookup never holds a call up: the call starts it while it waits
 * and takes the result whenever it comes (the offer carries it, or a
 * call.customer message follows). So every failure of a tenant's CRM -
 * slow, 500, not JSON, too big, a bad certificate, an address egress
 * refuses - is a result like any other, with error set, and a warning
 * line at most every WARN_MS.
 *
 * The database's callbacks cannot be cancelled: each holds a reference
 * to the lookup; screenpop_cancel() clears the handler so that nothing
 * is reported after it.
 */

enum { WARN_MS = 10000 };

struct screenpop {
	struct app *app;             /**< (borrowed)                     */
	struct fetch *fetch;         /**< (ref) the CRM request          */
	screenpop_h *h;              /**< NULL once reported/cancelled   */
	void *arg;
	json_t *mapping;             /**< (own) http: the answer's map   */
	char tenant_id[37];
	char call_id[37];
	char caller[65];
	char called[33];
	char source[8];              /**< the tenant's mode              */
	uint64_t t0_us;
};

static struct {
	struct metric *lookups;
	struct metric *latency;
	uint64_t warned_ms;
	unsigned quiet;              /**< warnings left out since        */
} sp_m;


static void destructor(void *arg)
{
	struct screenpop *sp = arg;

	sp->fetch = mem_deref(sp->fetch);
	json_decref(sp->mapping);
}


static void warn(const struct screenpop *sp, const char *error, int err)
{
	uint64_t now = clock_us() / 1000;

	if (sp_m.warned_ms && now - sp_m.warned_ms < WARN_MS) {
		++sp_m.quiet;
		return;
	}

	log_warn("screen pop of call %s (tenant %s, %s): %s (%m); %u more "
		 "since the last warning", sp->call_id, sp->tenant_id,
		 sp->source, error, err, sp_m.quiet);
	sp_m.warned_ms = now;
	sp_m.quiet = 0;
}


static void count(const struct screenpop *sp, const char *result)
{
	char lb[80];

	if (!sp_m.lookups)
		return;

	(void)re_snprintf(lb, sizeof(lb), "source=\"%s\",result=\"%s\"",
			  sp->source, result);
	metric_inc(sp_m.lookups, lb, 1);
	(void)re_snprintf(lb, sizeof(lb), "source=\"%s\"", sp->source);
	metric_observe(sp_m.latency, lb,
		       (double)(clock_us() - sp->t0_us) / 1e6);
}


/* Report once; takes the reference of c. */
static void report(struct screenpop *sp, json_t *c)
{
	screenpop_h *h = sp->h;
	const char *error = json_string_value(json_object_get(c, "error"));

	sp->h = NULL;
	count(sp, error ? error : json_is_true(json_object_get(c, "found")) ?
	      "found" : json_object_get(c, "found") ? "unknown" :
	      sp->source);
	if (h && c)
		h(c, sp->arg);
	else
		json_decref(c);
}


static json_t *unknown(const struct screenpop *sp, const char *error)
{
	return json_pack("{s:b, s:s, s:s, s:s*}", "found", false, "source",
			 sp->source, "phone", sp->caller, "error", error);
}


static void failed(struct screenpop *sp, const char *error, int err)
{
	warn(sp, error, err);
	report(sp, unknown(sp, error));
}


static void customer_found(int err, const json_t *customer, void *arg)
{
	struct screenpop *sp = arg;

	if (!err)
		report(sp, json_pack("{s:b, s:s, s:O}", "found", true,
				     "source", sp->source, "customer",
				     customer));
	else if (err == ENOENT)
		report(sp, unknown(sp, NULL));
	else
		failed(sp, "unavailable", err);

	mem_deref(sp);
}


static const char *fetch_error(int err)
{
	switch (err) {

	case ETIMEDOUT: return "timeout";
	case EBADMSG:   return "http_status";
	case EPROTO:    return "bad_response";
	case EMSGSIZE:  return "too_big";
	case EAUTH:     return "untrusted";
	case EACCES:    return "refused";
	default:        return "unreachable";
	}
}


static void fetched(int err, uint16_t scode, const json_t *answer,
		    void *arg)
{
	struct screenpop *sp = arg;
	bool found = false;
	json_t *c;

	sp->fetch = mem_deref(sp->fetch);

	/* a CRM that does not know the number may well say 404 */
	if (err == EBADMSG && scode == 404) {
		report(sp, unknown(sp, NULL));
		return;
	}
	if (err) {
		c = unknown(sp, fetch_error(err));
		if (c && scode)
			json_object_set_new(c, "status", json_integer(scode));
		warn(sp, fetch_error(err), err);
		report(sp, c);
		return;
	}

	c = screenpop_map(sp->mapping, answer, &found);
	if (!found) {
		json_decref(c);
		report(sp, unknown(sp, NULL));
		return;
	}

	report(sp, json_pack("{s:b, s:s, s:o}", "found", true, "source",
			     sp->source, "customer", c));
}


/* The template expanded with the call's facts, as a new string. */
static char *expand(const struct screenpop *sp, const char *tmpl)
{
	struct screenpop_call c = {sp->tenant_id, sp->call_id, sp->caller,
				   sp->called};
	struct mbuf *mb = mbuf_alloc(256);
	char *s = NULL;

	if (mb && !screenpop_expand(mb, tmpl, &c)) {
		mb->pos = 0;
		(void)mbuf_strdup(mb, &s, mb->end);
	}
	mem_deref(mb);

	return s;
}


static char *post_body(const struct screenpop *sp)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "caller", sp->caller,
			      "called", sp->called, "call_id", sp->call_id);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char *out = NULL;

	json_decref(o);
	if (s)
		(void)str_dup(&out, s);
	free(s);  /* ccheck: foreign */

	return out;
}


/* The header line carrying the CRM's token, opened from its box (NULL
 * when the tenant set none); a box that does not open is an error. */
static int token_line(char **linep, const struct screenpop *sp,
		      const char *hdr, const char *box)
{
	const struct seal_ad ad = {SEAL_COL_CRM, sp->tenant_id, NULL};
	char tok[1024];
	int err;

	if (!hdr || !*hdr || !box)
		return 0;

	err = seal_open(tok, sizeof(tok), box, &ad);
	if (!err && *tok)
		err = re_sdprintf(linep, "%s: %s", hdr, tok);
	sodium_memzero(tok, sizeof(tok));

	return err;
}


/* Columns 1..7: url, method, timeout, header, token's box, mapping. */
static int http_begin(struct screenpop *sp, const struct db_res *res)
{
	const char *method = db_val(res, 0, 0, 2);
	struct fetch_req r = {method, NULL, NULL, NULL, 1000, true};
	char *url = expand(sp, db_val(res, 0, 0, 1));
	char *body = NULL, *line = NULL;
	int err = url ? 0 : EINVAL;

	r.url = url;
	r.timeout_ms = (uint32_t)strtoul(db_val(res, 0, 0, 3), NULL, 10);
	sp->mapping = json_loads(db_val(res, 0, 0, 6), 0, NULL);
	if (!err && method && !strcmp(method, "POST"))
		err = (body = post_body(sp)) ? 0 : ENOMEM;
	err = err ? err : token_line(&line, sp, db_val(res, 0, 0, 4),
				     db_val(res, 0, 0, 5));
	r.body = body;
	r.header = line;

	/* sp owns the request: freeing sp cancels it, so no reference */
	err = err ? err : fetch_start(&sp->fetch, &r, fetched, sp);
	mem_deref(url);
	mem_deref(body);
	mem_deref(line);

	return err;
}


static void page_begin(struct screenpop *sp, const struct db_res *res)
{
	char *url = expand(sp, db_val(res, 0, 0, 7));

	if (!url) {
		failed(sp, "bad_template", EINVAL);
		return;
	}

	report(sp, json_pack("{s:s, s:s, s:s}", "source", "page", "url",
			     url, "target", db_val(res, 0, 0, 8)));
	mem_deref(url);
}


/* The database's answer holds a reference: it cannot be cancelled. */
static void builtin_begin(struct screenpop *sp)
{
	int err = customer_find_by_phone(sp->app, sp->tenant_id, sp->caller,
					 customer_found, sp);

	if (!err)
		mem_ref(sp);
	else if (err == EINVAL)         /* no phone number at all */
		report(sp, unknown(sp, NULL));
	else
		failed(sp, "unavailable", err);
}


static void begin(struct screenpop *sp, const struct db_res *res)
{
	int err;

	if (!strcmp(sp->source, "none")) {
		report(sp, json_pack("{s:s}", "source", "none"));
	}
	else if (!strcmp(sp->source, "page")) {
		page_begin(sp, res);
	}
	else if (!sp->caller[0]) {
		report(sp, unknown(sp, NULL));      /* anonymous */
	}
	else if (!strcmp(sp->source, "http")) {
		err = http_begin(sp, res);
		if (err)
			failed(sp, "unreachable", err);
	}
	else {
		builtin_begin(sp);
	}
}


static void settings_loaded(int err, const struct db_res *res, void *arg)
{
	struct screenpop *sp = arg;
	const char *mode = !err && db_nrows(res, 0) ? db_val(res, 0, 0, 0) :
		NULL;

	str_ncpy(sp->source, mode ? mode : "builtin", sizeof(sp->source));
	if (sp->h && err)
		failed(sp, "unavailable", err);
	else if (sp->h)
		begin(sp, res);      /* else cancelled meanwhile */

	mem_deref(sp);
}


/**
 * Start the screen pop of a call: read the tenant's settings, then look
 * the caller up as they say.
 *
 * @return 0 if h will be called (unless cancelled), otherwise errorcode
 */
int screenpop_start(struct screenpop **spp, struct app *app,
		    const struct screenpop_call *c, screenpop_h *h,
		    void *arg)
{
	static const char sql[] =
		"SELECT mode, http_url, http_method, timeout_ms, auth_header,"
		" '\\x' || encode(auth_token_box, 'hex'), mapping::text,"
		" page_url, page_target"
		" FROM crm_settings WHERE tenant_id = $1";
	struct db_ctx ctx = {DB_TENANT, NULL};
	struct screenpop *sp;
	int err;

	if (!spp || !app || !app->db || !c || !c->tenant_id || !h)
		return EINVAL;

	sp = mem_zalloc(sizeof(*sp), destructor);
	if (!sp)
		return ENOMEM;

	sp->app = app;
	sp->h = h;
	sp->arg = arg;
	sp->t0_us = clock_us();
	str_ncpy(sp->tenant_id, c->tenant_id, sizeof(sp->tenant_id));
	str_ncpy(sp->call_id, c->call_id ? c->call_id : "",
		 sizeof(sp->call_id));
	str_ncpy(sp->caller, c->caller ? c->caller : "", sizeof(sp->caller));
	str_ncpy(sp->called, c->called ? c->called : "", sizeof(sp->called));
	str_ncpy(sp->source, "builtin", sizeof(sp->source));

	ctx.tenant_id = sp->tenant_id;
	err = db_query(app->db, &ctx, settings_loaded, mem_ref(sp), sql, 1,
		       &ctx.tenant_id);
	if (err) {
		mem_deref(sp);
		mem_deref(sp);
		return err;
	}

	*spp = sp;

	return 0;
}


/**
 * Stop a lookup: nothing is reported after this.
 *
 * @return NULL, for sp = screenpop_cancel(sp)
 */
struct screenpop *screenpop_cancel(struct screenpop *sp)
{
	if (!sp)
		return NULL;

	sp->h = NULL;
	sp->fetch = mem_deref(sp->fetch);

	return mem_deref(sp);
}


/** Register the lookups' metrics (once, at start). */
void screenpop_metrics_init(void)
{
	static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
					0.05, 0.1, 0.25, 0.5, 1, 2.5};

	if (sp_m.lookups)
		return;

	sp_m.lookups = metric_counter("openseat_screenpop_lookups_total",
				      "Screen pop lookups, by source (builtin,"
				      " http, page, none) and result (found, "
				      "unknown, or the error).");
	sp_m.latency = metric_histogram("openseat_screenpop_lookup_seconds",
					"Screen pop lookups: from the call's "
					"start of the lookup to the result.",
					bounds, ARRAY_SIZE(bounds));
}
