/* Fuzz the screen pop's parsers of outside input: a tenant's URL template
 * and mapping (from the settings API), a CRM's answer read through the
 * mapping's JSON pointers. Input: template, NUL, mapping JSON, NUL,
 * answer JSON. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "crm/screenpop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char *part(const uint8_t **p, const uint8_t *end)
{
	const char *s = (const char *)*p;
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));

	*p = z ? z + 1 : end;

	return s;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct screenpop_call c = {"t", "call", "+86 138&x=1", "400"};
	const uint8_t *p, *end;
	char *buf, field[64], why[160];
	json_t *map, *ans, *out;
	struct mbuf *mb;
	bool found;

	buf = mem_zalloc(size + 1, NULL);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	p = (const uint8_t *)buf;
	end = p + size;

	(void)screenpop_template_ok(part(&p, end), why, sizeof(why));
	mb = mbuf_alloc(64);
	(void)screenpop_expand(mb, buf, &c);
	mem_deref(mb);

	map = p < end ? json_loads(part(&p, end), 0, NULL) : NULL;
	ans = p < end ? json_loads(part(&p, end), 0, NULL) : NULL;
	if (json_is_object(map) &&
	    screenpop_mapping_ok(map, field, sizeof(field), why,
				 sizeof(why))) {
		out = screenpop_map(map, ans, &found);
		json_decref(out);
	}
	(void)screenpop_pointer(ans, json_string_value(json_object_get(map,
						"name")));

	json_decref(map);
	json_decref(ans);
	mem_deref(buf);

	return 0;
}
