/* libFuzzer target: JSON request bodies through param_validate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "http/param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const roles[] = {"admin", "supervisor", "agent", NULL};

/* One field of every type, with and without limits and null. */
static const struct param table[] = {
	{"username",     PARAM_STRING, true,  1, 64,     NULL,  false},
	{"display_name", PARAM_STRING, false, 0, 100,    NULL,  true},
	{"note",         PARAM_STRING, false, 0, 0,      NULL,  false},
	{"seat_quota",   PARAM_INT,    false, 0, 100000, NULL,  false},
	{"offset",       PARAM_INT,    false, 0, 0,      NULL,  true},
	{"disabled",     PARAM_BOOL,   false, 0, 0,      NULL,  false},
	{"role",         PARAM_ENUM,   true,  0, 0,      roles, false},
	{"queue_id",     PARAM_UUID,   false, 0, 0,      NULL,  true},
	{"admin",        PARAM_OBJECT, false, 0, 0,      NULL,  false},
	{"skills",       PARAM_ARRAY,  false, 0, 16,     NULL,  false},
	{"email",        PARAM_EMAIL,  false, 0, 254,    NULL,  true},
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct param_error errv[4];
	size_t errc = 0;
	json_error_t jerr;
	json_t *j;
	int err;

	j = json_loadb((const char *)data, size,
		       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!j)
		return 0;

	for (int allow = 0; allow < 2; allow++) {
		err = param_validate(j, table,
				     sizeof(table) / sizeof(table[0]),
				     allow, errv, 4, &errc);
		if ((err == 0) != (errc == 0) || errc > 4)
			__builtin_trap();

		for (size_t i = 0; i < errc; i++) {
			if (!memchr(errv[i].field, 0, sizeof(errv[i].field)) ||
			    !memchr(errv[i].code, 0, sizeof(errv[i].code)) ||
			    !errv[i].message[0])
				__builtin_trap();
		}
	}

	/* nested objects go through the same table */
	if (json_is_object(json_object_get(j, "admin")))
		(void)param_validate(json_object_get(j, "admin"), table, 3,
				     false, errv, 4, &errc);

	json_decref(j);

	return 0;
}
