/* Customer import: which CSV column becomes which customer field. */
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "crm/customer_import_int.h"

/*
 * A mapping names each column by its header text: {"手机": "phone",
 * "VIP 等级": "fields.vip_level", "内部编号": "ignore"}. Columns it does
 * not name are ignored. Without one, a column is mapped when its header
 * is a field's usual name (姓名, 电话, ... or English), or a custom
 * field's key or label — which is what an export writes, so an
 * exported file imports back as it is.
 */

static const struct {
	const char *target;
	enum imp_target t;
	const char *aliases[12];
} builtin[] = {
	{"name", IMP_NAME, {"name", "姓名", "客户名称", "客户姓名", "名称",
			    NULL}},
	{"phone", IMP_PHONE, {"phone", "phones", "mobile", "tel", "电话",
			      "手机", "手机号", "手机号码", "电话号码",
			      "联系电话"}},
	{"email", IMP_EMAIL, {"email", "e-mail", "邮箱", "电子邮箱",
			      "电子邮件", NULL}},
	{"company", IMP_COMPANY, {"company", "公司", "单位", "公司名称",
				  NULL}},
	{"region", IMP_REGION, {"region", "地区", "区域", "所在地区", NULL}},
	{"tags", IMP_TAGS, {"tags", "tag", "标签", NULL}},
	{"notes", IMP_NOTES, {"notes", "note", "备注", NULL}},
	{"ignore", IMP_IGNORE, {NULL}},
};


static const char *def_str(const json_t *def, const char *name)
{
	const char *s = json_string_value(json_object_get(def, name));

	return s ? s : "";
}


static const json_t *field_find(const json_t *defs, const char *key,
				bool by_label)
{
	size_t i;
	const json_t *d;

	json_array_foreach(defs, i, d) {
		if (!json_is_true(json_object_get(d, "enabled")))
			continue;
		if (!strcasecmp(def_str(d, "key"), key) ||
		    (by_label && !strcmp(def_str(d, "label"), key)))
			return d;
	}

	return NULL;
}


/* Target text ("phone", "fields.vip") into col; false if unknown. */
static bool target_parse(struct imp_col *col, const json_t *defs,
			 const char *s)
{
	const json_t *d;

	if (!strncmp(s, "fields.", 7)) {
		d = field_find(defs, s + 7, false);
		if (!d)
			return false;
		col->target = IMP_FIELD;
		str_ncpy(col->key, def_str(d, "key"), sizeof(col->key));
		return true;
	}

	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		if (!strcmp(builtin[i].target, s)) {
			col->target = builtin[i].t;
			return true;
		}
	}

	return false;
}


/* The target a header means by itself, or IMP_IGNORE. */
static void target_guess(struct imp_col *col, const json_t *defs,
			 const char *h)
{
	const json_t *d;

	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		for (size_t j = 0; builtin[i].aliases[j]; j++) {
			if (!strcasecmp(builtin[i].aliases[j], h)) {
				col->target = builtin[i].t;
				return;
			}
		}
	}

	d = h[0] ? field_find(defs, h, true) : NULL;
	if (d) {
		col->target = IMP_FIELD;
		str_ncpy(col->key, def_str(d, "key"), sizeof(col->key));
	}
}


static int bad(struct imp *im, const char *fmt, ...)
{
	va_list ap;

	im->bad_code = "mapping";
	va_start(ap, fmt);
	(void)re_vsnprintf(im->bad_detail, sizeof(im->bad_detail), fmt, ap);
	va_end(ap);

	return 0;
}


static int column_of(const struct imp *im, const char *name)
{
	for (unsigned i = 0; i < im->ncol; i++) {
		if (!strcmp(json_string_value(json_array_get(im->header, i)),
			    name))
			return (int)i;
	}

	return -1;
}


static int explicit_map(struct imp *im)
{
	const char *name;
	json_t *v;

	json_object_foreach(im->mapping_in, name, v) {
		int i = column_of(im, name);
		const char *t = json_string_value(v);

		if (i < 0)
			return bad(im, "The mapping names the column \"%s\", "
				   "which the file's header does not have.",
				   name);
		if (!t || !target_parse(&im->colv[i], im->defs, t))
			return bad(im, "The column \"%s\" is mapped to "
				   "\"%s\"; use name, phone, email, company, "
				   "region, tags, notes, ignore or "
				   "fields.<key> of an enabled custom field.",
				   name,
				   t ? t : "(not a string)");
	}

	return 0;
}


static const char *target_name(const struct imp_col *col, char *buf,
			       size_t sz)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		if (col->target == IMP_FIELD)
			break;
		if (builtin[i].t == col->target)
			return builtin[i].target;
	}

	(void)re_snprintf(buf, sz, "fields.%s", col->key);
	return buf;
}


/* The mapping as used, to store with the job and show the admin. */
static int mapping_used(struct imp *im)
{
	char buf[64];
	int err = 0;

	im->mapping = json_object();
	if (!im->mapping)
		return ENOMEM;

	for (unsigned i = 0; i < im->ncol && !err; i++) {
		const char *h = json_string_value(json_array_get(im->header,
								 i));

		if (im->colv[i].target == IMP_IGNORE)
			continue;
		err = json_object_set_new(im->mapping, h,
					  json_string(target_name(
						  &im->colv[i], buf,
						  sizeof(buf)))) ? ENOMEM : 0;
	}

	return err;
}


static int one_each(struct imp *im)
{
	unsigned name = 0, phone = 0, other[IMP_FIELD + 1] = {0};

	for (unsigned i = 0; i < im->ncol; i++) {
		enum imp_target t = im->colv[i].target;

		name += t == IMP_NAME;
		phone += t == IMP_PHONE;
		if (t != IMP_IGNORE && t != IMP_PHONE && t != IMP_FIELD &&
		    ++other[t] > 1)
			return bad(im, "Two columns are mapped to %s; map "
				   "one.",
				   target_name(&im->colv[i], (char[64]){0},
					       64));
		for (unsigned j = 0; t == IMP_FIELD && j < i; j++) {
			if (im->colv[j].target == IMP_FIELD &&
			    !strcmp(im->colv[j].key, im->colv[i].key))
				return bad(im, "Two columns are mapped to "
					   "fields.%s; map one.",
					   im->colv[i].key);
		}
	}

	if (!name || !phone)
		return bad(im, "No column is mapped to %s: the file needs a "
			   "customer's name and at least one phone number "
			   "(how duplicates are found).",
			   !name ? "name" : "phone");

	return 0;
}


/**
 * Map the header's columns (im->header) to targets in im->colv, from
 * im->mapping_in or by the headers' names. A mapping that cannot be
 * used sets im->bad_code and returns 0.
 *
 * @return 0 if success, ENOMEM
 */
int imp_map(struct imp *im)
{
	int err;

	im->colv = mem_zalloc(im->ncol * sizeof(*im->colv) + 1, NULL);
	if (!im->colv)
		return ENOMEM;

	if (im->mapping_in) {
		err = explicit_map(im);
	}
	else {
		for (unsigned i = 0; i < im->ncol; i++)
			target_guess(&im->colv[i], im->defs,
				     json_string_value(json_array_get(
					     im->header, i)));
		err = 0;
	}

	if (!err && !im->bad_code)
		err = one_each(im);
	if (!err && !im->bad_code)
		err = mapping_used(im);

	return err;
}
