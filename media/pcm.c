/* Audio in memory at the engine rate, and loading it from WAV files. */
#include <string.h>
#include <re.h>
#include <rem_au.h>
#include <rem_aufile.h>
#include "media/mconf.h"
#include "media/pcm.h"

enum {
	PCM_MAX_MS   = 30 * 60 * 1000,    /* longest prompt we hold */
	READ_CHUNK   = 4096,
};

#define PCM_MAX_SAMPLES ((size_t)PCM_MAX_MS * MEDIA_SRATE / 1000)


static void destructor(void *arg)
{
	struct pcm *pcm = arg;

	mem_deref(pcm->s);
}


static int pcm_new(struct pcm **pcmp, size_t n)
{
	struct pcm *pcm;

	if (n > PCM_MAX_SAMPLES)
		return EFBIG;

	pcm = mem_zalloc(sizeof(*pcm), destructor);
	if (!pcm)
		return ENOMEM;

	pcm->s = mem_zalloc((n ? n : 1) * sizeof(int16_t), NULL);
	if (!pcm->s) {
		mem_deref(pcm);
		return ENOMEM;
	}

	pcm->n = n;
	*pcmp = pcm;

	return 0;
}


/**
 * Copy n samples (MEDIA_SRATE, mono) into a new pcm.
 *
 * @return 0 if success, otherwise errorcode
 */
int pcm_alloc(struct pcm **pcmp, const int16_t *s, size_t n)
{
	int err;

	if (!pcmp || (n && !s))
		return EINVAL;

	err = pcm_new(pcmp, n);
	if (!err && n)
		memcpy((*pcmp)->s, s, n * sizeof(*s));

	return err;
}


/** Silence of the given length. */
int pcm_silence(struct pcm **pcmp, unsigned ms)
{
	if (!pcmp || ms > PCM_MAX_MS)
		return EINVAL;

	return pcm_new(pcmp, (size_t)ms * MEDIA_SRATE / 1000);
}


uint32_t pcm_duration_ms(const struct pcm *pcm)
{
	return pcm ? (uint32_t)(pcm->n * 1000 / MEDIA_SRATE) : 0;
}


/**
 * A new array holding a reference to every pcm of the list (NULL for
 * n == 0), and how many samples they hold together.
 *
 * @return 0 if success, EINVAL for a missing entry, ENOMEM
 */
int pcm_list_ref(struct pcm ***vp, struct pcm *const *list, size_t n,
		 size_t *samplesp)
{
	struct pcm **v = NULL;
	size_t i, total = 0;

	if (!vp || (n && !list))
		return EINVAL;

	for (i = 0; i < n; i++) {
		if (!list[i])
			return EINVAL;
		total += list[i]->n;
	}

	if (n) {
		v = mem_zalloc(n * sizeof(*v), NULL);
		if (!v)
			return ENOMEM;
	}

	for (i = 0; i < n; i++)
		v[i] = mem_ref(list[i]);

	*vp = v;
	if (samplesp)
		*samplesp = total;

	return 0;
}


/**
 * Drop a list made by pcm_list_ref().
 *
 * @return NULL
 */
void *pcm_list_unref(struct pcm **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		mem_deref(v[i]);

	return mem_deref(v);
}


/**
 * Copy up to want samples from the list at the cursor and advance it,
 * skipping empty entries; stops at the end of the list (c->idx == n).
 *
 * @return samples copied
 */
size_t pcm_list_read(struct pcm *const *v, size_t n, struct pcm_cursor *c,
		     int16_t *out, size_t want)
{
	size_t off = 0;

	while (c->idx < n && off < want) {
		const struct pcm *pcm = v[c->idx];
		size_t take = pcm->n > c->pos ? pcm->n - c->pos : 0;

		if (take > want - off)
			take = want - off;

		memcpy(out + off, pcm->s + c->pos, take * sizeof(*out));
		off    += take;
		c->pos += take;
		if (c->pos >= pcm->n) {
			++c->idx;
			c->pos = 0;
		}
	}

	return off;
}


static int read_all(struct aufile *af, struct mbuf *mb)
{
	for (;;) {
		size_t sz = READ_CHUNK;
		int err;

		if (mb->end / sizeof(int16_t) > PCM_MAX_SAMPLES)
			return EFBIG;

		if (mb->size < mb->end + READ_CHUNK) {
			err = mbuf_resize(mb, mb->size * 2 + READ_CHUNK);
			if (err)
				return err;
		}

		err = aufile_read(af, mb->buf + mb->end, &sz);
		if (err)
			return err;

		if (!sz)
			return 0;

		mb->end += sz;
	}
}


/**
 * Load a 16-bit mono WAV file at MEDIA_SRATE. Blocking: call it from a
 * worker thread, never from the loop.
 *
 * @return 0 if success, EINVAL for any other format, ENOENT, EFBIG
 * (longer than 30 minutes), otherwise errorcode
 */
int pcm_load_wav(struct pcm **pcmp, const char *path)
{
	struct aufile_prm prm;
	struct aufile *af = NULL;
	struct mbuf *mb = NULL;
	int err;

	if (!pcmp || !path)
		return EINVAL;

	memset(&prm, 0, sizeof(prm));
	err = aufile_open(&af, &prm, path, AUFILE_READ);
	if (err) {
		if (err != ENOENT && err != EACCES && err != ENOMEM)
			err = EINVAL;
		goto out;
	}

	if (prm.fmt != AUFMT_S16LE || prm.channels != 1 ||
	    prm.srate != MEDIA_SRATE) {
		err = EINVAL;
		goto out;
	}

	mb = mbuf_alloc(READ_CHUNK);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	err = read_all(af, mb);
	if (err)
		goto out;

	err = pcm_alloc(pcmp, (const int16_t *)(void *)mb->buf,
			mb->end / sizeof(int16_t));

 out:
	mem_deref(mb);
	mem_deref(af);

	return err;
}
