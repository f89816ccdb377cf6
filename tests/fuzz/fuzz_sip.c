/*
 * libFuzzer target: a SIP request as the edge would receive it, through
 * the parts that are ours: digest credentials and session timer headers.
 */
#include <stddef.h>
#include <stdint.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;

	mb = mbuf_alloc(size + 1);
	if (!mb)
		return 0;

	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;

	if (!sip_msg_decode(&msg, mb)) {
		(void)sipedge_digest_check(msg, "openseat", "alice", "pw");
		(void)sip_timer_interval(msg, 1800);
		(void)sip_timer_interval(msg, 1);
	}

	mem_deref(msg);
	mem_deref(mb);

	return 0;
}
