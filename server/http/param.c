/* Declarative validation of JSON request bodies against param tables. */
#include <stdarg.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include "http/param.h"

/* Collects errors; counts every field found bad, fills at most errmax. */
struct verr {
	struct param_error *errv;
	size_t errmax;
	size_t errc;
	bool bad;
};


/* Copy at most sz-1 bytes of s without cutting a UTF-8 sequence. */
static void copy_utf8(char *dst, size_t sz, const char *s)
{
	size_t n = strlen(s);

	if (n >= sz) {
		n = sz - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			--n;
	}

	memcpy(dst, s, n);
	dst[n] = '\0';
}


static void add_err(struct verr *ve, const char *field, const char *code,
		    const char *fmt, ...)
{
	struct param_error *e;
	va_list ap;

	ve->bad = true;
	if (ve->errc >= ve->errmax)
		return;

	e = &ve->errv[ve->errc++];
	copy_utf8(e->field, sizeof(e->field), field);
	copy_utf8(e->code, sizeof(e->code), code);

	va_start(ap, fmt);
	(void)re_vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}


/* Decode one code point of valid UTF-8 (jansson checked it). */
static uint32_t utf8_next(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	uint32_t cp = *p++;
	int more = 0;

	if (cp >= 0xf0) {
		cp &= 0x07;
		more = 3;
	}
	else if (cp >= 0xe0) {
		cp &= 0x0f;
		more = 2;
	}
	else if (cp >= 0xc0) {
		cp &= 0x1f;
		more = 1;
	}

	while (more-- && p < end)
		cp = (cp << 6) | (*p++ & 0x3f);

	*pp = p;

	return cp;
}


static bool is_control(uint32_t cp)
{
	if (cp == '\t' || cp == '\n')
		return false;

	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}


static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}


/* Length limits shared by strings (characters) and arrays (items). */
static bool check_count(struct verr *ve, const struct param *p,
			int64_t count, const char *unit)
{
	const char *verb = strcmp(unit, "item") ? "be" : "have";

	if (!p->min && !p->max)
		return true;

	if (count < p->min) {
		add_err(ve, p->name, "length", "must %s at least %lld %s%s",
			verb, (long long)p->min, unit, plural(p->min));
		return false;
	}

	if (p->max && count > p->max) {
		add_err(ve, p->name, "length", "must %s at most %lld %s%s",
			verb, (long long)p->max, unit, plural(p->max));
		return false;
	}

	return true;
}


static bool check_string(struct verr *ve, const struct param *p,
			 const json_t *v)
{
	const unsigned char *s, *end;
	int64_t count = 0;

	if (!json_is_string(v)) {
		add_err(ve, p->name, "type", "must be a string");
		return false;
	}

	s = (const unsigned char *)json_string_value(v);
	end = s + json_string_length(v);

	if (memchr(s, '\0', (size_t)(end - s))) {
		add_err(ve, p->name, "format",
			"must not contain NUL characters");
		return false;
	}

	while (s < end) {
		if (is_control(utf8_next(&s, end))) {
			add_err(ve, p->name, "format",
				"must not contain control characters");
			return false;
		}
		++count;
	}

	return check_count(ve, p, count, "character");
}


/**
 * Check that s is a UUID in the canonical 8-4-4-4-12 hex form
 *
 * @param s String to check
 *
 * @return true if s is a UUID
 */
bool param_uuid_ok(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = s[i];

		if (shape[i] == '-') {
			if (c != '-')
				return false;
		}
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}

	return true;
}


static bool label_char(unsigned char c)
{
	return c >= 0x80 || c == '-' || (c >= '0' && c <= '9') ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


static bool domain_ok(const char *d)
{
	size_t labels = 0;

	while (*d) {
		const char *dot = strchr(d, '.');
		size_t n = dot ? (size_t)(dot - d) : strlen(d);

		if (!n || n > 63 || d[0] == '-' || d[n - 1] == '-')
			return false;

		for (size_t i = 0; i < n; i++) {
			if (!label_char((unsigned char)d[i]))
				return false;
		}

		++labels;
		if (!dot)
			break;
		d = dot + 1;
		if (!*d)
			return false;
	}

	return labels >= 2;
}


/**
 * Check that s looks like a deliverable e-mail address: local@domain.tld,
 * no spaces or quoting, at most 254 bytes.
 *
 * @param s String to check
 *
 * @return true if s is acceptable
 */
bool param_email_ok(const char *s)
{
	const char *at;
	size_t local;

	if (!s || strlen(s) > 254)
		return false;

	at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return false;

	local = (size_t)(at - s);
	if (!local || local > 64 || s[0] == '.' || at[-1] == '.')
		return false;

	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c) ||
		    (c == '.' && p[1] == '.'))
			return false;
	}

	return domain_ok(at + 1);
}


static void enum_list(char *buf, size_t sz, const char *const *enumv)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; enumv && enumv[i] && n < sz; i++) {
		int r = re_snprintf(buf + n, sz - n, "%s%s", i ? ", " : "",
				    enumv[i]);
		if (r < 0)
			break;
		n += (size_t)r;
	}
}


static void check_enum(struct verr *ve, const struct param *p,
		       const json_t *v)
{
	const char *s = json_string_value(v);
	char list[120];

	if (!json_is_string(v)) {
		add_err(ve, p->name, "type", "must be a string");
		return;
	}

	for (size_t i = 0; p->enumv && p->enumv[i]; i++) {
		if (strlen(p->enumv[i]) == json_string_length(v) &&
		    !strcmp(p->enumv[i], s))
			return;
	}

	enum_list(list, sizeof(list), p->enumv);
	add_err(ve, p->name, "enum", "must be one of: %s", list);
}


static void check_int(struct verr *ve, const struct param *p,
		      const json_t *v)
{
	json_int_t i;

	if (!json_is_integer(v)) {
		add_err(ve, p->name, "type", json_is_real(v) ?
			"must be a whole number" : "must be an integer");
		return;
	}

	i = json_integer_value(v);
	if ((p->min || p->max) && (i < p->min || i > p->max)) {
		add_err(ve, p->name, "range", "must be between %lld and %lld",
			(long long)p->min, (long long)p->max);
	}
}


static void check_value(struct verr *ve, const struct param *p,
			const json_t *v)
{
	switch (p->type) {

	case PARAM_STRING:
		(void)check_string(ve, p, v);
		break;

	case PARAM_INT:
		check_int(ve, p, v);
		break;

	case PARAM_BOOL:
		if (!json_is_boolean(v))
			add_err(ve, p->name, "type", "must be true or false");
		break;

	case PARAM_ENUM:
		check_enum(ve, p, v);
		break;

	case PARAM_UUID:
		if (!json_is_string(v))
			add_err(ve, p->name, "type", "must be a string");
		else if (json_string_length(v) != strlen(json_string_value(v))
			 || !param_uuid_ok(json_string_value(v)))
			add_err(ve, p->name, "format", "must be a UUID "
				"(8-4-4-4-12 hexadecimal digits)");
		break;

	case PARAM_EMAIL:
		if (check_string(ve, p, v) &&
		    !param_email_ok(json_string_value(v)))
			add_err(ve, p->name, "format",
				"must be an e-mail address");
		break;

	case PARAM_OBJECT:
		if (!json_is_object(v))
			add_err(ve, p->name, "type", "must be an object");
		break;

	case PARAM_ARRAY:
		if (!json_is_array(v))
			add_err(ve, p->name, "type", "must be an array");
		else
			(void)check_count(ve, p, (int64_t)json_array_size(v),
					  "item");
		break;

	default:
		add_err(ve, p->name, "type", "has an unsupported type");
		break;
	}
}


static bool known(const char *key, const struct param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(params[i].name, key))
			return true;
	}

	return false;
}


/**
 * Validate a JSON object against a parameter table. Unknown fields are
 * errors unless allow_unknown.
 *
 * @param obj           JSON value to check (must be an object)
 * @param params        Parameter table
 * @param n             Number of entries in params
 * @param allow_unknown Accept fields that are not in the table
 * @param errv          Array for the errors found (may be NULL if !errmax)
 * @param errmax        Size of errv
 * @param errcp         Optional number of errors written to errv
 *
 * @return 0 if valid, EINVAL otherwise (also when obj is not an object)
 */
int param_validate(const json_t *obj, const struct param *params, size_t n,
		   bool allow_unknown, struct param_error *errv, size_t errmax,
		   size_t *errcp)
{
	struct verr ve = {errv, errv ? errmax : 0, 0, false};
	const char *key;
	json_t *v;

	if (n && !params) {
		ve.bad = true;
		goto out;
	}

	if (!json_is_object(obj)) {
		add_err(&ve, "", "type", "the body must be a JSON object");
		goto out;
	}

	for (size_t i = 0; i < n; i++) {
		const struct param *p = &params[i];

		v = json_object_get(obj, p->name);
		if (!v) {
			if (p->required)
				add_err(&ve, p->name, "required",
					"is required");
			continue;
		}

		if (json_is_null(v)) {
			if (!p->nullable)
				add_err(&ve, p->name, p->required ?
					"required" : "type",
					"must not be null");
			continue;
		}

		check_value(&ve, p, v);
	}

	if (allow_unknown)
		goto out;

	json_object_foreach((json_t *)obj, key, v) {
		if (!known(key, params, n))
			add_err(&ve, key, "unknown", "is not a known field");
	}

 out:
	if (errcp)
		*errcp = ve.errc;

	return ve.bad ? EINVAL : 0;
}
