/*
 * Custom fields of customers: a tenant admin defines them (key, label,
 * type, options, required, max_length); every value written - by the
 * API, an import or a form - passes crm_fields_check(). The check is a
 * pure function of its arguments: no loop, no database, no globals, so
 * import workers call it from their own threads.
 */
#ifndef OPENSEAT_CRM_FIELD_H
#define OPENSEAT_CRM_FIELD_H

#include <stdbool.h>
#include <stddef.h>

struct json_t;

/**
 * A tenant's field definitions as the JSON array crm_fields_check()
 * reads, in the order forms show them. One statement, no parameters, run
 * in the tenant's scope (RLS picks the tenant's rows).
 */
#define CRM_FIELDS_SQL \
	"SELECT COALESCE(json_agg(json_build_object('key', f.key," \
	" 'label', f.label, 'type', f.type, 'options', to_json(f.options)," \
	" 'required', f.required, 'max_length', f.max_length," \
	" 'enabled', f.enabled) ORDER BY f.position, f.key), '[]'::json)" \
	" FROM customer_fields f"

/** How crm_fields_check() reads the values. */
enum crm_field_flags {
	/**
	 * The values are text (a CSV cell, a form input): "3.5" is a
	 * number, "是"/"true"/"1" a boolean, 2024/1/5 a date; spaces
	 * around are trimmed and an empty cell is no value.
	 */
	CRM_FIELD_FROM_TEXT = 1 << 0,
	/**
	 * The values change some fields of a stored customer (PATCH): a
	 * required field may be absent (it keeps its value) but not null.
	 */
	CRM_FIELD_PARTIAL   = 1 << 1,
};

/** The first value refused: which field, why (code), and a sentence. */
struct crm_field_err {
	char field[64];     /**< the field's key, or "" for the object */
	char code[24];      /**< required|type|length|format|enum|unknown */
	char message[256];  /**< zh-CN, names the field by its label      */
};

int crm_fields_check(const struct json_t *defs, struct json_t *values,
		     struct crm_field_err *e);
int crm_fields_check_flags(const struct json_t *defs,
			   struct json_t *values, unsigned flags,
			   struct crm_field_err *e);

#endif
