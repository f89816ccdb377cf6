/* WAV to MP3 for kept messages; blocking, runs on the worker pool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sndfile.h>
#include <lame/lame.h>
#include <re_types.h>
#include <re_fmt.h>
#include "media/mconf.h"
#include "voicemail/vm_int.h"

/*
 * Everything here runs on a worker thread: no libre loop objects, no
 * allocation through libre, no logging. What went wrong is written into
 * vm_audio.error for the loop to log.
 */

#define BLOCK 4608           /* samples read per step: 8 MP3 frames */
#define MP3BUF (BLOCK * 5 / 4 + 7200)   /* lame's worst case per call */

struct enc {
	SNDFILE *in;
	lame_global_flags *gf;
	FILE *out;
	sf_count_t keep;        /* samples to encode, after trimming */
	sf_count_t done;        /* samples encoded so far */
	struct vm_audio *res;
};


static int fail(struct vm_audio *res, int err, const char *fmt,
		const char *a, const char *b)
{
	(void)re_snprintf(res->error, sizeof(res->error), fmt,
			  a ? a : "", b ? b : "");
	return err;
}


/* Open the recording and check it is what the recorder writes. */
static int open_wav(struct enc *e, const char *wav, uint32_t trim_ms,
		    uint32_t min_ms)
{
	SF_INFO info;
	sf_count_t trim;
	int fd;

	memset(&info, 0, sizeof(info));
	fd = open(wav, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		return fail(e->res, err == ENOENT ? ENOENT : EIO,
			    "recording %s cannot be opened: %s", wav,
			    strerror(err));
	}

	e->in = sf_open_fd(fd, SFM_READ, &info, 1);
	if (!e->in) {
		(void)close(fd);
		return fail(e->res, EPROTO, "recording %s is not a readable "
			    "WAV file: %s", wav, sf_strerror(NULL));
	}

	if ((info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAV ||
	    (info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_16 ||
	    info.channels != 1 || info.samplerate != MEDIA_SRATE)
		return fail(e->res, EINVAL, "recording %s is not 8 kHz mono "
			    "16-bit PCM WAV%s", wav, NULL);

	trim = (sf_count_t)trim_ms * MEDIA_SRATE / 1000;
	e->keep = info.frames > trim ? info.frames - trim : 0;
	if (e->keep * 1000 / MEDIA_SRATE < (sf_count_t)min_ms)
		return fail(e->res, ENODATA, "recording %s is too short%s",
			    wav, NULL);

	return 0;
}


static int lame_setup(struct enc *e)
{
	e->gf = lame_init();
	if (!e->gf)
		return ENOMEM;

	if (lame_set_in_samplerate(e->gf, MEDIA_SRATE) ||
	    lame_set_out_samplerate(e->gf, MEDIA_SRATE) ||
	    lame_set_num_channels(e->gf, 1) ||
	    lame_set_mode(e->gf, MONO) ||
	    lame_set_VBR(e->gf, vbr_off) ||
	    lame_set_brate(e->gf, VM_MP3_KBPS) ||
	    lame_set_quality(e->gf, 5) ||
	    /* constant bitrate: players know the length without a tag */
	    lame_set_bWriteVbrTag(e->gf, 0) ||
	    lame_init_params(e->gf) < 0)
		return EINVAL;

	return 0;
}


static int put(struct enc *e, const unsigned char *buf, int n)
{
	if (n < 0)
		return fail(e->res, EPROTO, "mp3 encoder failed%s%s", NULL,
			    NULL);

	if (n && fwrite(buf, 1, (size_t)n, e->out) != (size_t)n)
		return fail(e->res, EIO, "writing mp3: %s%s",
			    strerror(errno), NULL);

	return 0;
}


static int encode_all(struct enc *e)
{
	short pcm[BLOCK];
	unsigned char mp3[MP3BUF];
	int err = 0;

	while (!err && e->done < e->keep) {
		sf_count_t want = e->keep - e->done, got;

		if (want > BLOCK)
			want = BLOCK;
		got = sf_readf_short(e->in, pcm, want);
		if (got <= 0)
			break;   /* the header promised more than the data */

		e->done += got;
		err = put(e, mp3, lame_encode_buffer(e->gf, pcm, NULL,
						     (int)got, mp3,
						     sizeof(mp3)));
	}

	if (!err)
		err = put(e, mp3, lame_encode_flush(e->gf, mp3, sizeof(mp3)));

	return err;
}


/* Flush the file to disk, then make it visible under its final name. */
static int finish_file(struct enc *e, const char *tmp, const char *mp3)
{
	struct stat st;
	int err = 0;

	if (fflush(e->out) || fsync(fileno(e->out)) ||
	    fstat(fileno(e->out), &st))
		err = errno;
	if (fclose(e->out) && !err)
		err = errno;
	e->out = NULL;
	if (err)
		return fail(e->res, err, "writing %s: %s", tmp,
			    strerror(err));

	if (rename(tmp, mp3))
		return fail(e->res, errno, "renaming to %s: %s", mp3,
			    strerror(errno));

	e->res->size_bytes = (uint64_t)st.st_size;

	return 0;
}


/**
 * Encode a recording as a constant-bitrate mono MP3 (VM_MP3_KBPS). The
 * MP3 is written to "<mp3>.tmp", synced, then renamed, so a reader never
 * sees half a file; on failure no file is left behind. The WAV is not
 * touched. Blocking: call from a worker thread.
 *
 * @param wav      8 kHz mono 16-bit PCM WAV
 * @param mp3      Path of the MP3 to write (its folder must exist)
 * @param trim_ms  Audio to cut from the end (trailing silence)
 * @param min_ms   Less audio than this (after trimming) is ENODATA
 * @param out      Duration and size written; error text on failure
 *
 * @return 0 if success, ENOENT (no WAV), EPROTO (not a WAV), EINVAL
 *         (another audio format), ENODATA (too short), otherwise errno
 */
int vm_encode_mp3(const char *wav, const char *mp3, uint32_t trim_ms,
		  uint32_t min_ms, struct vm_audio *out)
{
	struct enc e;
	char tmp[600];
	int err;

	if (!wav || !mp3 || !out)
		return EINVAL;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	e.res = out;
	if (re_snprintf(tmp, sizeof(tmp), "%s.tmp", mp3) < 0)
		return ENAMETOOLONG;

	err = open_wav(&e, wav, trim_ms, min_ms);
	err = err ? err : lame_setup(&e);
	if (err)
		goto out;

	e.out = fopen(tmp, "wbe");
	if (!e.out) {
		err = fail(out, errno, "creating %s: %s", tmp,
			   strerror(errno));
		goto out;
	}

	err = encode_all(&e);
	if (!err && e.done * 1000 / MEDIA_SRATE < (sf_count_t)min_ms)
		err = fail(out, ENODATA, "recording %s is too short%s", wav,
			   NULL);
	err = err ? err : finish_file(&e, tmp, mp3);
	if (!err)
		out->duration_ms = (uint32_t)(e.done * 1000 / MEDIA_SRATE);

 out:
	if (e.out) {
		(void)fclose(e.out);
		(void)unlink(tmp);
	}
	else if (err) {
		(void)unlink(tmp);
	}
	if (e.gf)
		lame_close(e.gf);
	if (e.in)
		sf_close(e.in);

	return err;
}
