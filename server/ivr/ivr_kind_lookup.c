/* The lookup node: ask the tenant's CRM over HTTP, answer into vars. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "http/fetch.h"
#include "http/outreq.h"
#include "http/param.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"
#include "ivr/ivr_kinds.h"

#define P(t) t, ARRAY_SIZE(t)

enum { FIELDS_MAX = 16, VALUE_MAX = 256 };

static const char *const methods[] = {"GET", "POST", NULL};

static const struct param lookup_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"url", PARAM_STRING, true, 10, 1000, NULL, false},
	{"method", PARAM_ENUM, false, 0, 0, methods, false},
	{"fields", PARAM_OBJECT, false, 0, 0, NULL, false},
	{"timeout_ms", PARAM_INT, false, 100, 30000, NULL, false},
	{"next", PARAM_STRING, true, 1, 64, NULL, false},
	{"fail", PARAM_STRING, true, 1, 64, NULL, false},
};


/*
 * Whether url, its ${variables} given a sample value, is an address the
 * outgoing client accepts; whyp says what is wrong with it.
 */
static bool url_requestable(const char *url, const char **whyp)
{
	struct mbuf *mb = mbuf_alloc(256);
	struct outreq_url u;
	bool ok = mb != NULL;

	while (ok && *url) {
		const char *end = NULL;

		if (url[0] == '$' && url[1] == '{')
			end = strchr(url + 2, '}');
		ok = !(end ? mbuf_write_str(mb, "1") :
		       mbuf_write_u8(mb, (uint8_t)*url));
		url = end ? end + 1 : url + 1;
	}
	ok = ok && !mbuf_write_u8(mb, 0) &&
		!outreq_url_parse(&u, (const char *)mb->buf, whyp);

	mem_deref(mb);
	return ok;
}


static void lookup_check(struct ivr_check *c, const char *node,
			 const json_t *obj)
{
	const char *why = NULL;
	const char *url = ivr_str(obj, "url");
	const json_t *fields = json_object_get(obj, "fields");
	const bool http = url && (!strncmp(url, "http://", 7) ||
				  !strncmp(url, "https://", 8));
	const char *k;
	json_t *v;

	if (url && !http)
		(void)ivr_check_add(c, node, "url", "bad_url",
				    "url: must start with http:// or "
				    "https://");
	if (url && strpbrk(url, " \r\n\t"))
		(void)ivr_check_add(c, node, "url", "bad_url",
				    "url: must not contain spaces or line "
				    "breaks");
	else if (http && !url_requestable(url, &why))
		(void)ivr_check_add(c, node, "url", "bad_url",
				    "url: not an address the server can "
				    "request (%s)", why ? why : "url");

	if (json_object_size(fields) > FIELDS_MAX)
		(void)ivr_check_add(c, node, "fields", "field_range",
				    "fields: at most %u variables",
				    FIELDS_MAX);
	json_object_foreach((json_t *)fields, k, v) {
		if (!ivr_var_name_ok(k))
			(void)ivr_check_add(c, node, "fields", "bad_var",
					    "fields: \"%s\" is not a variable "
					    "name (a-z, 0-9, _)", k);
		else if (!json_is_string(v) || !json_string_length(v))
			(void)ivr_check_add(c, node, "fields", "field_type",
					    "fields.%s: must name a field of "
					    "the answer", k);
	}

	ivr_check_edge(c, node, "next", json_object_get(obj, "next"), true);
	ivr_check_edge(c, node, "fail", json_object_get(obj, "fail"), true);
}


/* The answer's field as text: strings as they are, numbers and
 * booleans spelled out, anything else (or absent) empty. */
static void value_text(char *buf, size_t sz, const json_t *v)
{
	buf[0] = '\0';
	if (json_is_string(v))
		str_ncpy(buf, json_string_value(v), sz);
	else if (json_is_integer(v))
		(void)re_snprintf(buf, sz, "%lld",
				  (long long)json_integer_value(v));
	else if (json_is_real(v))
		(void)snprintf(buf, sz, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		str_ncpy(buf, json_is_true(v) ? "true" : "false", sz);
}


static const char *error_name(int err)
{
	switch (err) {

	case 0:         return NULL;
	case ETIMEDOUT: return "timeout";
	case EBADMSG:
	case EPROTO:
	case EMSGSIZE:  return "bad_answer";
	case EAUTH:     return "untrusted";
	case EACCES:    return "refused";
	default:        return "unreachable";
	}
}


static void lookup_done(int err, uint16_t scode, const json_t *result,
			void *arg)
{
	struct ivr_exec *x = arg;
	const json_t *fields = json_object_get(x->node->obj, "fields");
	const char *k;
	json_t *v;
	(void)scode;

	x->lookup = mem_deref(x->lookup);
	if (ivr_gone(x) || x->wait != IVR_ASYNC)
		return;

	x->wait = IVR_IDLE;
	x = mem_ref(x);
	if (!err) {
		json_object_foreach((json_t *)fields, k, v) {
			char val[VALUE_MAX];

			value_text(val, sizeof(val), json_object_get(result,
						     json_string_value(v)));
			(void)ivr_var_set(x, k, val);
		}
	}

	ivr_emit(x, "ivr.lookup", json_pack("{s:s,s:b,s:s?}", "node",
			x->node->id, "ok", !err,
			"error", error_name(err)));
	ivr_goto(x, err ? "fail" : "next");
	mem_deref(x);
}


/* POST sends every variable as one JSON object. */
static char *vars_body(const struct ivr_exec *x)
{
	json_t *o = json_object();
	char *s, *out = NULL;

	for (unsigned i = 0; o && i < x->varc; i++)
		json_object_set_new(o, x->varv[i].name,
				    json_string(x->varv[i].value));

	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s)
		(void)str_dup(&out, s);
	free(s);  /* ccheck: foreign */

	return out;
}


static void lookup_enter(struct ivr_exec *x)
{
	const json_t *o = x->node->obj;
	const char *method = ivr_str(o, "method");
	uint32_t ms = (uint32_t)ivr_int(o, "timeout_ms",
					(int)x->lookup_timeout_ms);
	struct mbuf *mb = mbuf_alloc(256);
	char *url = NULL, *body = NULL;
	int err = ENOMEM;

	if (ms > x->lookup_timeout_ms)
		ms = x->lookup_timeout_ms;

	if (mb && !ivr_expand(mb, x, ivr_str(o, "url"), true)) {
		mb->pos = 0;
		err = mbuf_strdup(mb, &url, mb->end);
	}
	if (!err && method && !strcmp(method, "POST")) {
		body = vars_body(x);
		err = body ? 0 : ENOMEM;
	}

	x->wait = IVR_ASYNC;
	if (!err) {
		/* a tenant's URL: only where egress lets requests go */
		struct fetch_req r = {method, url, body, NULL, ms, true};

		err = fetch_start(&x->lookup, &r, lookup_done, x);
	}
	mem_deref(mb);
	mem_deref(url);
	mem_deref(body);
	if (err) {
		x->wait = IVR_IDLE;
		ivr_emit(x, "ivr.lookup", json_pack("{s:s,s:b,s:s}", "node",
				x->node->id, "ok", false, "error",
				"unreachable"));
		ivr_goto(x, "fail");
	}
}


const struct ivr_kind ivr_kind_lookup = {
	"lookup", P(lookup_params), false, lookup_check, lookup_enter, NULL,
	NULL, NULL, NULL,
};
