/* libFuzzer target: custom field values (an API body's `fields`, a CSV
 * row as text) through crm_fields_check, and any bytes through
 * crm_phone_norm. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "crm/crm_field.h"
#include "crm/customer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One field of every type, required, with options and a short length. */
static const char defs_text[] =
	"[{\"key\":\"level\",\"label\":\"等级\",\"type\":\"select\","
	"\"options\":[\"金卡\",\"银卡\"],\"required\":true,\"enabled\":true},"
	"{\"key\":\"nick\",\"label\":\"昵称\",\"type\":\"text\","
	"\"max_length\":4,\"enabled\":true},"
	"{\"key\":\"score\",\"label\":\"积分\",\"type\":\"number\"},"
	"{\"key\":\"born\",\"label\":\"生日\",\"type\":\"date\"},"
	"{\"key\":\"vip\",\"label\":\"VIP\",\"type\":\"boolean\"},"
	"{\"key\":\"mail\",\"label\":\"邮箱\",\"type\":\"email\"},"
	"{\"key\":\"site\",\"label\":\"网站\",\"type\":\"url\"},"
	"{\"key\":\"old\",\"label\":\"旧\",\"type\":\"text\","
	"\"required\":true,\"enabled\":false}]";


static void phone(const uint8_t *data, size_t size)
{
	char in[256], out[64];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;

	memcpy(in, data, n);
	in[n] = '\0';
	if (crm_phone_norm(out, sizeof(out), in))
		return;

	if (strspn(out, "0123456789") != strlen(out))
		__builtin_trap();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *defs;
	struct crm_field_err e;
	json_error_t jerr;
	json_t *v;

	if (!defs)
		defs = json_loads(defs_text, 0, NULL);

	phone(data, size);
	if (size < 1)
		return 0;

	v = json_loadb((const char *)data + 1, size - 1,
		       JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v)
		return 0;

	if (!crm_fields_check_flags(defs, v, data[0] & 3, &e)) {
		/* what passed holds no disabled field and no unknown key */
		if (json_object_get(v, "old") || json_object_get(v, "x"))
			__builtin_trap();
	}
	else if (!memchr(e.field, 0, sizeof(e.field)) ||
		 !memchr(e.message, 0, sizeof(e.message)) || !e.code[0]) {
		__builtin_trap();
	}

	json_decref(v);
	return 0;
}
