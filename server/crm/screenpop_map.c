/* The screen pop's URL templates and the mapping of a CRM's answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "http/outreq.h"
#include "crm/screenpop.h"

/*
 * A template names the call's facts in braces: {caller} {called}
 * {call_id}, each percent-encoded (RFC 3986: all but unreserved
 * characters), so a caller number such as "+86 138..." cannot add a
 * path, a query or a header. The host is fixed: a placeholder may come
 * only after it.
 */

enum {
	TEXT_MAX = 256,
	TAGS_MAX = 32,
	EXTRA_MAX = 10,
	LABEL_MAX = 32,      /* characters; UTF-8 up to 3 bytes each */
	POINTER_MAX = 200,
};

static const char *const core_keys[] = {"name", "company", "tags",
					"level", "url"};


static bool unreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' ||
		c == '_' || c == '~';
}


static int put_encoded(struct mbuf *mb, const char *s)
{
	int err = 0;

	for (; s && *s && !err; s++) {
		if (unreserved(*s))
			err = mbuf_write_u8(mb, (uint8_t)*s);
		else
			err = mbuf_printf(mb, "%%%02X", (uint8_t)*s);
	}

	return err;
}


static const char *var_value(const struct screenpop_call *c,
			     const char *name, size_t len)
{
	if (len == 6 && !memcmp(name, "caller", 6))
		return c->caller ? c->caller : "";
	if (len == 6 && !memcmp(name, "called", 6))
		return c->called ? c->called : "";
	if (len == 7 && !memcmp(name, "call_id", 7))
		return c->call_id ? c->call_id : "";

	return NULL;
}


/**
 * Write tmpl to mb with its placeholders replaced by the call's facts.
 *
 * @return 0 if success, EINVAL for an unknown or unclosed placeholder
 */
int screenpop_expand(struct mbuf *mb, const char *tmpl,
		     const struct screenpop_call *c)
{
	const char *p = tmpl;
	int err = 0;

	if (!mb || !tmpl || !c)
		return EINVAL;

	while (*p && !err) {
		const char *end, *val;

		if (*p != '{') {
			err = mbuf_write_u8(mb, (uint8_t)*p++);
			continue;
		}

		end = strchr(p, '}');
		val = end ? var_value(c, p + 1, (size_t)(end - p - 1)) : NULL;
		if (!val)
			return EINVAL;

		err = put_encoded(mb, val);
		p = end + 1;
	}

	return err;
}


/**
 * Whether tmpl is a URL template a tenant may store; why says what is
 * wrong otherwise.
 */
bool screenpop_template_ok(const char *tmpl, char *why, size_t sz)
{
	struct screenpop_call c = {"t", "c", "1", "2"};
	const char *host, *hend, *brace;
	struct mbuf *mb;
	bool ok;

	if (!tmpl || (strncmp(tmpl, "http://", 7) &&
		      strncmp(tmpl, "https://", 8))) {
		(void)re_snprintf(why, sz, "must start with http:// or "
				  "https://");
		return false;
	}
	if (strpbrk(tmpl, " \t\r\n\v\f")) {
		(void)re_snprintf(why, sz, "must not contain spaces or line "
				  "breaks");
		return false;
	}

	host = strstr(tmpl, "://") + 3;
	hend = strpbrk(host, "/?#");
	hend = hend ? hend : host + strlen(host);
	brace = memchr(host, '{', (size_t)(hend - host));
	if (hend == host || brace) {
		(void)re_snprintf(why, sz, "must name its host before any "
				  "placeholder");
		return false;
	}

	mb = mbuf_alloc(256);
	ok = mb && !screenpop_expand(mb, tmpl, &c);
	mem_deref(mb);
	if (!ok)
		(void)re_snprintf(why, sz, "placeholders are {caller}, "
				  "{called} and {call_id}");

	return ok;
}


/**
 * Whether tmpl is a template OpenSeat itself can request (the HTTP
 * lookup): screenpop_template_ok(), and its expansion is a URL the
 * outgoing client accepts — a page URL is the browser's business.
 */
bool screenpop_fetch_url_ok(const char *tmpl, char *why, size_t sz)
{
	struct screenpop_call c = {"t", "13800138000", "4001000100", "1"};
	const char *whyp = "url";
	struct outreq_url u;
	struct mbuf *mb;
	bool ok;

	if (!screenpop_template_ok(tmpl, why, sz))
		return false;

	mb = mbuf_alloc(256);
	ok = mb && !screenpop_expand(mb, tmpl, &c) && !mbuf_write_u8(mb, 0) &&
		!outreq_url_parse(&u, (const char *)mb->buf, &whyp);
	if (!ok)
		(void)re_snprintf(why, sz, "not an address the server can "
				  "request (%s)", whyp);

	mem_deref(mb);
	return ok;
}


static bool pointer_ok(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && strlen(s) <= POINTER_MAX && (!*s || *s == '/');
}


static bool extra_ok(const json_t *extra, char *why, size_t wsz)
{
	size_t i;
	json_t *e;

	if (!json_is_array(extra) || json_array_size(extra) > EXTRA_MAX) {
		(void)re_snprintf(why, wsz, "must be an array of at most %u "
				  "{label, pointer}", EXTRA_MAX);
		return false;
	}

	json_array_foreach(extra, i, e) {
		const json_t *lv = json_object_get(e, "label");
		const char *label = json_string_value(lv);

		if (!label || !*label || strlen(label) > LABEL_MAX * 3 ||
		    !pointer_ok(json_object_get(e, "pointer")) ||
		    json_object_size(e) != 2) {
			(void)re_snprintf(why, wsz, "item %zu: label (1-%u "
					  "characters) and pointer (\"\" or "
					  "starting with /) only", i,
					  LABEL_MAX);
			return false;
		}
	}

	return true;
}


static bool core_key(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(core_keys); i++)
		if (!strcmp(k, core_keys[i]))
			return true;

	return false;
}


/**
 * Whether mapping maps the CRM's answer: name, company, tags, level,
 * url to JSON pointers, extra to [{label, pointer}]. On refusal, field
 * names the key and why says what is wrong.
 */
bool screenpop_mapping_ok(const json_t *mapping, char *field, size_t fsz,
			  char *why, size_t wsz)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)mapping, k, v) {
		(void)re_snprintf(field, fsz, "mapping.%s", k);
		if (!strcmp(k, "extra")) {
			if (!extra_ok(v, why, wsz))
				return false;
		}
		else if (!core_key(k)) {
			(void)re_snprintf(why, wsz, "unknown key: name, "
					  "company, tags, level, url, extra");
			return false;
		}
		else if (!pointer_ok(v)) {
			(void)re_snprintf(why, wsz, "must be a JSON pointer "
					  "(\"\" or starting with /, at most "
					  "%u characters)", POINTER_MAX);
			return false;
		}
	}

	return true;
}


/* One reference token of a pointer, unescaped (~1 is /, ~0 is ~). */
static size_t token(char *out, size_t sz, const char *p)
{
	size_t n = 0, used = 0;

	while (p[used] && p[used] != '/') {
		char ch = p[used++];

		if (ch == '~' && (p[used] == '0' || p[used] == '1'))
			ch = p[used++] == '0' ? '~' : '/';
		if (n + 1 < sz)
			out[n++] = ch;
	}
	out[n] = '\0';

	return used;
}


/** The value ptr (RFC 6901) points at in doc, or NULL. */
const json_t *screenpop_pointer(const json_t *doc, const char *ptr)
{
	char tok[POINTER_MAX + 1];

	if (!ptr || (*ptr && *ptr != '/'))
		return NULL;

	while (doc && *ptr == '/') {
		char *end;
		unsigned long ix;

		ptr += 1 + token(tok, sizeof(tok), ptr + 1);
		if (json_is_object(doc)) {
			doc = json_object_get(doc, tok);
			continue;
		}
		ix = strtoul(tok, &end, 10);
		doc = json_is_array(doc) && *tok && !*end ?
			json_array_get(doc, ix) : NULL;
	}

	return doc;
}


/* Strings as they are, numbers and booleans spelled out, else NULL. */
static json_t *text_of(const json_t *v)
{
	char buf[TEXT_MAX];

	if (json_is_string(v)) {
		str_ncpy(buf, json_string_value(v), sizeof(buf));
		return buf[0] ? json_string(buf) : NULL;
	}
	if (json_is_integer(v))
		(void)re_snprintf(buf, sizeof(buf), "%lld",
				  (long long)json_integer_value(v));
	else if (json_is_real(v))
		(void)snprintf(buf, sizeof(buf), "%g", json_real_value(v));
	else if (json_is_boolean(v))
		str_ncpy(buf, json_is_true(v) ? "true" : "false",
			 sizeof(buf));
	else
		return NULL;

	return json_string(buf);
}


/* An array of texts, or one text as a one-tag array. */
static json_t *tags_of(const json_t *v)
{
	json_t *tags = json_array();
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		json_array_append_new(tags, text_of(v));
		return tags;
	}

	json_array_foreach(v, i, e) {
		if (i >= TAGS_MAX)
			break;
		json_array_append_new(tags, text_of(e));
	}

	return tags;
}


static json_t *extra_of(const json_t *extra, const json_t *answer)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;

	json_array_foreach(extra, i, e) {
		json_t *val = text_of(screenpop_pointer(answer,
			json_string_value(json_object_get(e, "pointer"))));

		if (val)
			json_array_append_new(out, json_pack("{s:O, s:o}",
				"label", json_object_get(e, "label"),
				"value", val));
	}

	return out;
}


/**
 * The customer a CRM's answer describes, as the mapping says: name,
 * company, tags, level, url and extra [{label, value}]. *foundp tells
 * whether the answer named the customer (a name, or without a name
 * pointer any mapped value).
 *
 * @return a new object, or NULL (no memory)
 */
json_t *screenpop_map(const json_t *mapping, const json_t *answer,
		      bool *foundp)
{
	json_t *c = json_object();
	bool any = false;

	for (size_t i = 0; c && i < ARRAY_SIZE(core_keys); i++) {
		const char *ptr = json_string_value(json_object_get(mapping,
							core_keys[i]));
		const json_t *v = ptr ? screenpop_pointer(answer, ptr) : NULL;
		json_t *out = !v ? NULL : i == 2 ? tags_of(v) : text_of(v);

		if (out && json_is_array(out) && !json_array_size(out))
			out = (json_decref(out), NULL);
		any |= out != NULL;
		if (out)
			json_object_set_new(c, core_keys[i], out);
	}

	if (c)
		json_object_set_new(c, "extra", extra_of(json_object_get(
			mapping, "extra"), answer));
	if (foundp)
		*foundp = json_object_get(mapping, "name") ?
			json_object_get(c, "name") != NULL :
			any || json_array_size(json_object_get(c, "extra"));

	return c;
}
