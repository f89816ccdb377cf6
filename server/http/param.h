/* Declarative validation of JSON request bodies. */
#ifndef OPENSEAT_PARAM_H
#define OPENSEAT_PARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum param_type { PARAM_STRING, PARAM_INT, PARAM_BOOL, PARAM_ENUM,
		  PARAM_UUID, PARAM_OBJECT, PARAM_ARRAY, PARAM_EMAIL };

struct param {
	const char *name;
	enum param_type type;
	bool required;
	int64_t min, max;          /* INT: value range; STRING/EMAIL: length in
				      characters (UTF-8 code points);
				      ARRAY: item count; 0,0 = no limit */
	const char *const *enumv;  /* PARAM_ENUM: NULL-terminated list */
	bool nullable;             /* JSON null accepted */
};

struct param_error {
	char field[64];
	char code[24];   /* required|type|range|length|enum|unknown|format */
	char message[160];   /* English, e.g. "must be at most 64
				characters" */
};

int param_validate(const json_t *obj, const struct param *params, size_t n,
		   bool allow_unknown, struct param_error *errv, size_t errmax,
		   size_t *errcp);
bool param_uuid_ok(const char *s);
bool param_email_ok(const char *s);

#endif
