/* libFuzzer target: what a webhook endpoint answers (the response head
 * and a chunked body) and the endpoint URLs tenants give. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re_types.h>
#include <re_list.h>
#include "http/outreq_int.h"
#include "webhook/wh_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void head(const char *p, size_t n)
{
	struct outreq_head hd;
	char out[WH_EXCERPT_MAX];
	size_t len;
	bool done;

	if (outreq_head_parse(&hd, p, n))
		return;
	if (hd.len > n || hd.status < 100 || hd.status > 999)
		__builtin_trap();

	if (!outreq_chunked_scan(p + hd.len, n - hd.len, out, sizeof(out),
			     &len, &done) && len > sizeof(out))
		__builtin_trap();
}


static void url(const char *p, size_t n)
{
	char s[2200];
	struct outreq_url u;
	const char *why;

	if (n >= sizeof(s))
		return;
	memcpy(s, p, n);
	s[n] = '\0';
	if (outreq_url_parse(&u, s, &why))
		return;
	if (!u.port || u.path[0] != '/' || !u.host[0] ||
	    !memchr(u.path, 0, sizeof(u.path)))
		__builtin_trap();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	head((const char *)data, size);
	url((const char *)data, size);

	return 0;
}
