/* libFuzzer target: SDP offers and answers through a leg. */
#include <stddef.h>
#include <stdint.h>
#include <re.h>
#include "media/leg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct leg *leg;


static int init(void)
{
	static struct sa lo;
	struct leg_cfg cfg = {
		.laddr    = &lo,
		.port_min = 30000,
		.port_max = 31000,
		.codecs   = "PCMA,PCMU,opus",
	};
	int err;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	return leg_alloc(&leg, &cfg, NULL, NULL, NULL);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbuf *mb, *answer = NULL;

	if (!leg && init())
		return 0;

	mb = mbuf_alloc(size + 1);
	if (!mb)
		return 0;

	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;

	/* as an offer (answered or refused), then as an answer */
	if (!leg_answer(leg, mb, &answer))
		mem_deref(answer);
	(void)leg_answered(leg, mb);

	mem_deref(mb);

	return 0;
}
