/* DTMF digits as in-band audio (ITU-T Q.23 frequency pairs), for an
 * agent's keypad to reach an IVR at the far end of the call. */
#include <math.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include "mconf.h"
#include "pcm.h"

enum {
	TONE_MS = 100,        /* receivers need 40 ms (Q.24); phones: 100 */
	GAP_MS = 60,
	DIGITS_MAX = 32,
	AMPLITUDE = 6000,     /* per tone: about -11 dBm0 each, no clipping */
};

static const char keys[] = "123A456B789C*0#D";
static const double rows[] = {697, 770, 852, 941};
static const double cols[] = {1209, 1336, 1477, 1633};


static void tone(int16_t *s, double lo, double hi)
{
	const double pi2 = 2 * 3.14159265358979323846 / MEDIA_SRATE;
	const size_t n = TONE_MS * MEDIA_SRATE / 1000;

	for (size_t i = 0; i < n; i++)
		s[i] = (int16_t)lrint(AMPLITUDE *
				      (sin(pi2 * lo * (double)i) +
				       sin(pi2 * hi * (double)i)));
}


/**
 * The audio of a string of DTMF digits (0-9, *, #, A-D; at most 32):
 * each a 100 ms tone pair followed by 60 ms of silence.
 *
 * @return 0, or EINVAL (empty, too long, or not a DTMF digit)
 */
int pcm_dtmf(struct pcm **pcmp, const char *digits)
{
	const size_t per = (TONE_MS + GAP_MS) * MEDIA_SRATE / 1000;
	size_t n = digits ? strlen(digits) : 0;
	struct pcm *pcm;
	int err;

	if (!pcmp || !n || n > DIGITS_MAX)
		return EINVAL;

	for (size_t i = 0; i < n; i++) {
		if (!digits[i] || !strchr(keys, digits[i]))
			return EINVAL;
	}

	err = pcm_silence(&pcm, (unsigned)(n * (TONE_MS + GAP_MS)));
	if (err)
		return err;

	for (size_t i = 0; i < n; i++) {
		size_t k = (size_t)(strchr(keys, digits[i]) - keys);

		tone(pcm->s + i * per, rows[k / 4], cols[k % 4]);
	}

	*pcmp = pcm;

	return 0;
}
