/* libFuzzer target: uploaded audio through the sniffer and the decoders. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "prompt/prompt_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte picks the magic the rest is glued to, so every decoder
 * (RIFF walk, libsndfile's containers, libmpg123) sees crafted headers
 * from the start instead of waiting for the fuzzer to find the magic.
 */
static const char *const magic[] = {
	"", "RIFF", "ID3", "\xff\xfb", "FORM", "fLaC", "OggS", "RF64",
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prompt_audio *pa = NULL;
	uint8_t buf[4200];
	enum prompt_kind kind;
	size_t m, n;

	if (!size || size > 4096)
		return 0;

	m = strlen(magic[data[0] % (sizeof(magic) / sizeof(*magic))]);
	memcpy(buf, magic[data[0] % (sizeof(magic) / sizeof(*magic))], m);
	memcpy(buf + m, data + 1, size - 1);
	n = m + size - 1;

	(void)prompt_sniff(buf, n, &kind);

	/* a short limit keeps a header claiming hours cheap to refuse */
	if (!prompt_decode(&pa, buf, n, 2)) {
		if (pa->n > 2 * 8000 + 8000 || !pa->s)
			__builtin_trap();
		mem_deref(pa);
	}

	return 0;
}
