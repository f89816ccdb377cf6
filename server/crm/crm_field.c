/* The values of customers' custom fields, checked against their types. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include "http/param.h"
#include "crm/crm_field.h"

/* Longer number text than any double needs is a typo, not a number. */
#define NUM_TEXT_MAX 40
#define URL_MAX 2000

/* One value being checked: where it is and what its field says. */
struct fv {
	const json_t *def;
	const char *key;
	const char *label;
	unsigned flags;
	struct crm_field_err *e;
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


static int fail(struct crm_field_err *e, const char *key, const char *code,
		const char *fmt, ...)
{
	va_list ap;

	copy_utf8(e->field, sizeof(e->field), key);
	copy_utf8(e->code, sizeof(e->code), code);
	va_start(ap, fmt);
	(void)re_vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);

	return EINVAL;
}


static const char *def_str(const json_t *def, const char *name)
{
	const char *s = json_string_value(json_object_get(def, name));

	return s ? s : "";
}


static const json_t *def_find(const json_t *defs, const char *key)
{
	size_t i;
	const json_t *d;

	json_array_foreach(defs, i, d) {
		if (*key && !strcmp(def_str(d, "key"), key))
			return d;
	}

	return NULL;
}


static bool def_enabled(const json_t *def)
{
	const json_t *en = json_object_get(def, "enabled");

	return !json_is_false(en);
}


/* Code points of valid UTF-8 (jansson checked it). */
static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;

	return n;
}


static bool has_cntrl(const char *s, bool newline_ok)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && !(newline_ok && (c == '\n' || c == '\t'))) ||
		    c == 0x7f)
			return true;
	}

	return false;
}


/* s without the spaces around it, as a new JSON string. */
static json_t *trimmed(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		++s;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r' || s[n - 1] == '\n'))
		--n;

	return json_stringn(s, n);
}


/*
 * Number text as JSON: [-+]digits[.digits][e[-+]digits], no hex, no
 * inf or nan (strtod alone takes all of those).
 */
static json_t *number_parse(const char *s)
{
	size_t n = strlen(s), i = 0;
	bool digits = false, real = false;
	char *end;
	double d;

	if (!n || n > NUM_TEXT_MAX)
		return NULL;

	if (s[i] == '-' || s[i] == '+')
		++i;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		digits = true;
	if (s[i] == '.') {
		real = true;
		for (++i; s[i] >= '0' && s[i] <= '9'; i++)
			digits = true;
	}
	if (digits && (s[i] == 'e' || s[i] == 'E')) {
		real = true;
		i += (s[i + 1] == '-' || s[i + 1] == '+') ? 2 : 1;
		if (!(s[i] >= '0' && s[i] <= '9'))
			return NULL;
		while (s[i] >= '0' && s[i] <= '9')
			++i;
	}
	if (!digits || i != n)
		return NULL;

	errno = 0;
	d = strtod(s, &end);
	if (errno || !isfinite(d))
		return NULL;

	if (!real && fabs(d) < 9e15)
		return json_integer((json_int_t)d);

	return json_real(d);
}


static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


/* Read 1..maxd digits; the number of digits read, 0 if none. */
static int digits_read(const char **pp, int maxd, int *vp)
{
	int n = 0, v = 0;

	while (n < maxd && **pp >= '0' && **pp <= '9') {
		v = v * 10 + (**pp - '0');
		++*pp;
		++n;
	}

	*vp = v;
	return n;
}


/*
 * A calendar date as YYYY-MM-DD. Strict JSON takes only that spelling;
 * text also takes 2024/1/5 and 2024-1-5, as spreadsheets write them.
 */
static bool date_parse(const char *s, bool loose, char out[11])
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31};
	int y, m, d, nm, nd;
	char sep;

	if (digits_read(&s, 4, &y) != 4 || y < 1)
		return false;

	sep = *s++;
	if (sep != '-' && !(loose && sep == '/'))
		return false;

	nm = digits_read(&s, 2, &m);
	if (*s++ != sep)
		return false;

	nd = digits_read(&s, 2, &d);
	if (*s || !nm || !nd || (!loose && (nm != 2 || nd != 2)))
		return false;

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !leap(y)))
		return false;

	(void)re_snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return true;
}


/* Boolean text: true/false, 1/0, yes/no, y/n, 是/否 (any case). */
static int bool_parse(const char *s)
{
	static const char *const yes[] = {"true", "1", "yes", "y", "是"};
	static const char *const no[] = {"false", "0", "no", "n", "否"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}

	return -1;
}


/* http(s)://host[...] with no spaces or control characters. */
static bool url_ok(const char *s)
{
	const char *host;

	if (!strncasecmp(s, "http://", 7))
		host = s + 7;
	else if (!strncasecmp(s, "https://", 8))
		host = s + 8;
	else
		return false;

	if (!*host || *host == '/' || *host == '?' || *host == '#')
		return false;

	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	}

	return true;
}


static bool option_ok(const json_t *def, const char *s)
{
	const json_t *opts = json_object_get(def, "options");
	size_t i;
	const json_t *o;

	json_array_foreach(opts, i, o) {
		if (json_is_string(o) && !strcmp(json_string_value(o), s))
			return true;
	}

	return false;
}


static int check_text(struct fv *f, const char *s)
{
	json_int_t max = json_integer_value(json_object_get(f->def,
							   "max_length"));

	if (max <= 0)
		max = 200;

	if (has_cntrl(s, true))
		return fail(f->e, f->key, "format",
			    "「%s」不能包含控制字符", f->label);

	if (utf8_len(s) > (size_t)max)
		return fail(f->e, f->key, "length",
			    "「%s」最多 %lld 个字符", f->label,
			    (long long)max);

	return 0;
}


static int check_string(struct fv *f, const char *type, json_t **vp)
{
	const char *s = json_string_value(*vp);

	if (!strcmp(type, "text"))
		return check_text(f, s);

	if (!strcmp(type, "select")) {
		return option_ok(f->def, s) ? 0 :
			fail(f->e, f->key, "enum",
			     "「%s」只能是给定选项之一", f->label);
	}

	if (!strcmp(type, "email")) {
		return param_email_ok(s) ? 0 :
			fail(f->e, f->key, "format",
			     "「%s」不是有效的电子邮件地址", f->label);
	}

	if (!strcmp(type, "url")) {
		return strlen(s) <= URL_MAX && url_ok(s) ? 0 :
			fail(f->e, f->key, "format",
			     "「%s」应为 http:// 或 https:// 开头的网址",
			     f->label);
	}

	return fail(f->e, f->key, "type", "「%s」的类型未知", f->label);
}


/* Text for a number, boolean or date field becomes that type. */
static int convert_text(struct fv *f, const char *type, json_t **vp)
{
	const char *s = json_string_value(*vp);
	json_t *nv = NULL;
	char date[11];
	int b;

	if (!strcmp(type, "number"))
		nv = number_parse(s);
	else if (!strcmp(type, "boolean") && (b = bool_parse(s)) >= 0)
		nv = json_boolean(b);
	else if (!strcmp(type, "date") &&
		 date_parse(s, f->flags & CRM_FIELD_FROM_TEXT, date))
		nv = json_string(date);
	else
		return ENOENT;

	if (!nv)
		return ENOENT;

	json_decref(*vp);
	*vp = nv;
	return 0;
}


static int type_msg(struct fv *f, const char *type)
{
	static const struct {
		const char *type;
		const char *what;
	} whats[] = {
		{"number", "数字"},
		{"boolean", "是或否（true/false）"},
		{"date", "日期，格式为 YYYY-MM-DD"},
	};

	for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++) {
		if (!strcmp(whats[i].type, type))
			return fail(f->e, f->key, "type", "「%s」应为%s",
				    f->label, whats[i].what);
	}

	return fail(f->e, f->key, "type", "「%s」应为文字", f->label);
}


/*
 * Check one value (owned by *vp, which may be replaced by its
 * conversion).
 */
static int check_value(struct fv *f, json_t **vp)
{
	const char *type = def_str(f->def, "type");
	bool text = f->flags & CRM_FIELD_FROM_TEXT;
	bool str = json_is_string(*vp);

	if (!strcmp(type, "number")) {
		if (json_is_integer(*vp) ||
		    (json_is_real(*vp) && isfinite(json_real_value(*vp))))
			return 0;
		return text && str && !convert_text(f, type, vp) ? 0 :
			type_msg(f, type);
	}

	if (!strcmp(type, "boolean")) {
		if (json_is_boolean(*vp))
			return 0;
		return text && str && !convert_text(f, type, vp) ? 0 :
			type_msg(f, type);
	}

	if (!strcmp(type, "date")) {
		return str && !convert_text(f, type, vp) ? 0 :
			type_msg(f, type);
	}

	if (!str)
		return type_msg(f, type);

	return check_string(f, type, vp);
}


/* Text values trimmed; an empty one is no value at all. */
static int text_prepare(json_t *values, const char *key, json_t **vp)
{
	json_t *t;

	if (!json_is_string(*vp))
		return 0;

	t = trimmed(json_string_value(*vp));
	if (!t)
		return ENOMEM;

	if (!json_string_length(t)) {
		json_decref(t);
		*vp = json_null();
		return json_object_set_new(values, key, json_null()) ?
			ENOMEM : 0;
	}

	*vp = t;
	return json_object_set_new(values, key, t) ? ENOMEM : 0;
}


/* Check and convert each value present; drop those of disabled fields. */
static int values_check(const json_t *defs, json_t *values, unsigned flags,
			struct crm_field_err *e)
{
	const char *key;
	json_t *v;
	void *tmp;
	int err;

	json_object_foreach_safe(values, tmp, key, v) {
		struct fv f = {def_find(defs, key), key, NULL, flags, e};
		json_t *nv;

		if (!f.def)
			return fail(e, key, "unknown", "没有名为 %s 的自定义字段",
				    key);

		if (!def_enabled(f.def)) {
			(void)json_object_del(values, key);
			continue;
		}

		f.label = def_str(f.def, "label");
		if ((flags & CRM_FIELD_FROM_TEXT) &&
		    (err = text_prepare(values, key, &v)))
			return err;

		if (json_is_null(v))
			continue;

		nv = json_incref(v);
		err = check_value(&f, &nv);
		if (!err && nv != v)
			err = json_object_set(values, key, nv) ? ENOMEM : 0;
		json_decref(nv);
		if (err)
			return err;
	}

	return 0;
}


/*
 * Each enabled required field has a value; null stands for no value.
 * Outside PARTIAL a null is dropped, so what is stored has no nulls.
 */
static int required_check(const json_t *defs, json_t *values,
			  unsigned flags, struct crm_field_err *e)
{
	bool partial = flags & CRM_FIELD_PARTIAL;
	size_t i;
	const json_t *d;

	json_array_foreach(defs, i, d) {
		const char *key = def_str(d, "key");
		json_t *v = json_object_get(values, key);

		if (!partial && json_is_null(v)) {
			(void)json_object_del(values, key);
			v = NULL;
		}

		if (!def_enabled(d) || !json_is_true(json_object_get(d,
							"required")))
			continue;

		if (json_is_null(v) || (!v && !partial))
			return fail(e, key, "required", "「%s」为必填项",
				    def_str(d, "label"));
	}

	return 0;
}


/**
 * Check custom field values against the tenant's definitions, as JSON
 * from an API body (no conversions, every required field present).
 *
 * @param defs    Definitions (CRM_FIELDS_SQL's array); only read
 * @param values  Object of key -> value; changed in place (see flags)
 * @param e       The first refusal, when EINVAL is returned
 *
 * @return 0 if success, EINVAL (e filled) or ENOMEM
 */
int crm_fields_check(const json_t *defs, json_t *values,
		     struct crm_field_err *e)
{
	return crm_fields_check_flags(defs, values, 0, e);
}


/**
 * Check custom field values; see crm_field_flags. Values of disabled
 * fields are removed (the stored ones stay as they were), text becomes
 * its type with CRM_FIELD_FROM_TEXT, a date is always YYYY-MM-DD after.
 * Thread-safe: touches only its arguments; several threads may share
 * defs.
 *
 * @return 0 if success, EINVAL (e filled) or ENOMEM
 */
int crm_fields_check_flags(const json_t *defs, json_t *values,
			   unsigned flags, struct crm_field_err *e)
{
	int err;

	if (!e)
		return EINVAL;

	memset(e, 0, sizeof(*e));
	if (!json_is_array(defs))
		return fail(e, "", "type", "字段定义无效");

	if (!json_is_object(values))
		return fail(e, "", "type", "自定义字段应为对象（键 → 值）");

	err = values_check(defs, values, flags, e);
	if (err)
		return err;

	return required_check(defs, values, flags, e);
}
