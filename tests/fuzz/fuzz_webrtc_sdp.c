/* libFuzzer target: browser SDP offers through webrtc_alloc(). */
#include <stddef.h>
#include <stdint.h>
#include <re.h>
#include "media/webrtc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sa lo;
static bool ready;


static int init(void)
{
	int err;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	/* the certificate is made once, as the server does at start */
	return webrtc_init();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webrtc_cfg cfg = {
		.laddr    = &lo,
		.port_min = 31000,
		.port_max = 32000,
		.codecs   = "opus,PCMU,PCMA",
	};
	struct webrtc *w = NULL;
	char *answer = NULL;

	if (!ready) {
		if (init())
			return 0;
		ready = true;
	}

	/* an accepted offer binds a socket and writes an answer */
	if (!webrtc_alloc(&w, &cfg, (const char *)data, size, &answer,
			  NULL, NULL)) {
		mem_deref(answer);
		mem_deref(w);
	}

	return 0;
}
