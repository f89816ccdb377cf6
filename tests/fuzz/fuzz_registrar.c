/*
 * libFuzzer target: a REGISTER as the registrar would read it — the AOR,
 * the Contact or "*", Expires in header and parameter, the granted
 * expiry, and where the phone is (NAT or not).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "media/registrar.h"
#include "media/registrar_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct registrar_cfg cfg = {"openseat", 60, 3600, 0, 0};
	struct registrar_req req;
	struct sip_msg *msg = NULL;
	const char *why = NULL;
	char src[REGISTRAR_SOURCE_MAX + 1];
	uint32_t expires;
	struct mbuf *mb;

	mb = mbuf_alloc(size + 1);
	if (!mb)
		return 0;

	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;

	if (!sip_msg_decode(&msg, mb) &&
	    !registrar_parse(msg, &req, &why)) {
		(void)registrar_expires(&req, &cfg, &expires);
		if (pl_isset(&req.contact))
			(void)registrar_behind_nat(&req.contact, &msg->src,
						   msg->tp);
		(void)registrar_source(src, sizeof(src), &msg->src, msg->tp);
	}

	mem_deref(msg);
	mem_deref(mb);

	return 0;
}
