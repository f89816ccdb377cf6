/* Test helper: a sine tone to play and a level to detect it by. */
#include <math.h>
#include "media/mconf.h"
#include "tone.h"


/** n samples of a tone at amplitude 8000, continuing from *phase. */
void tone_fill(int16_t *s, size_t n, double freq, uint32_t *phase)
{
	size_t i;

	for (i = 0; i < n; i++, ++*phase)
		s[i] = (int16_t)(8000 * sin(2 * M_PI * freq * *phase /
					    MEDIA_SRATE));
}


/** Is the mean power above that of a tone at amplitude ~1400? */
bool tone_loud(const int16_t *s, size_t n)
{
	int64_t e = 0;
	size_t i;

	for (i = 0; i < n; i++)
		e += (int64_t)s[i] * s[i];

	return n && e / (int64_t)n > 1000000;
}
