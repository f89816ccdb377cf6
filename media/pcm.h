/* Audio kept in memory at the engine rate: prompts, greetings, tones. */
#ifndef OPENSEAT_PCM_H
#define OPENSEAT_PCM_H

#include <stddef.h>
#include <stdint.h>

/** Immutable once built; shared by reference (mem_ref/mem_deref). */
struct pcm {
	size_t n;             /**< samples at MEDIA_SRATE, mono */
	int16_t *s;           /**< (own) */
};

/** A read position in a list of pcm (players, shared streams). */
struct pcm_cursor {
	size_t idx;           /**< entry being read */
	size_t pos;           /**< next sample in it */
};

int pcm_alloc(struct pcm **pcmp, const int16_t *s, size_t n);
int pcm_load_wav(struct pcm **pcmp, const char *path);
int pcm_silence(struct pcm **pcmp, unsigned ms);
int pcm_dtmf(struct pcm **pcmp, const char *digits);
uint32_t pcm_duration_ms(const struct pcm *pcm);
int pcm_list_ref(struct pcm ***vp, struct pcm *const *list, size_t n,
		 size_t *samplesp);
void *pcm_list_unref(struct pcm **v, size_t n);
size_t pcm_list_read(struct pcm *const *v, size_t n, struct pcm_cursor *c,
		     int16_t *out, size_t want);

#endif
