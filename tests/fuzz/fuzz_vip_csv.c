/* libFuzzer target: VIP caller CSV lists through vip_csv_parse. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "acdcfg/vip_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every row is well-formed; every error names a line and a field. */
static void check(const json_t *rows, const json_t *errors)
{
	size_t i;
	json_t *v;

	if (json_array_size(rows) > VIP_CSV_ROWS_MAX ||
	    json_array_size(errors) > VIP_CSV_ERRORS_MAX)
		__builtin_trap();

	json_array_foreach(rows, i, v) {
		const char *n = json_string_value(json_object_get(v, "number"));
		json_int_t p = json_integer_value(json_object_get(v,
								  "priority"));

		if (!n || strlen(n) < 3 || strlen(n) > 20 ||
		    strspn(n, "0123456789") != strlen(n) || p < 1 || p > 100 ||
		    !json_is_string(json_object_get(v, "note")))
			__builtin_trap();
	}

	json_array_foreach(errors, i, v) {
		if (!json_is_integer(json_object_get(v, "line")) ||
		    !json_is_string(json_object_get(v, "field")) ||
		    !json_is_string(json_object_get(v, "message")))
			__builtin_trap();
	}
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *rows = json_array(), *errors = json_array();

	if (rows && errors &&
	    !vip_csv_parse((const char *)data, size, rows, errors))
		check(rows, errors);

	json_decref(rows);
	json_decref(errors);

	return 0;
}
