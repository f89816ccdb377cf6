/* The MP3 encoder threads: drain recording taps, encode, encrypt, write. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <lame/lame.h>
#include <sodium.h>
#include <re.h>
#include "media/mconf.h"
#include "media/rectap.h"
#include "recording/rec_store.h"
#include "recording/rec_enc.h"

/*
 * Threading rules (as in worker.c)
 *
 * Streams are allocated and freed on the loop thread. Each stream
 * belongs to one encoder thread from rec_enc_start() until it is put on
 * the `done` list; only that thread touches its encoder state then. The
 * lists (incoming per thread, failed, done) change only under the mutex.
 * One message through libre's mqueue (at most one in flight) wakes the
 * loop, which drains `failed` and `done` and calls the handlers.
 */

enum {
	PASS_MS     = 100,         /* an encoder thread's pass         */
	STEP_FRAMES = 50,          /* frames encoded per lame call     */
	FLUSH_MS    = 1000,        /* seal a chunk at least this often */
	QUIET_PEAK  = 300,         /* below: silence (-41 dBFS)        */
	MP3BUF      = STEP_FRAMES * MEDIA_FRAME * 5 / 4 + 7200,
};

struct rec_stream {
	struct le le;              /**< thread's list, or failed/done  */
	struct le le_fail;         /**< in the failed list, once       */
	struct rectap *tap;        /**< (ref) until done               */
	lame_global_flags *gf;     /**< (own) made by the thread       */
	struct rec_writer *w;      /**< thread's                       */
	char path[512];
	char rel[256];
	uint8_t key[REC_KEY_BYTES];
	uint32_t key_no;
	uint32_t bitrate;          /**< kbit/s                         */
	unsigned channels;
	bool opened;
	uint32_t frames;           /**< encoded                        */
	uint32_t since_flush;      /**< frames since the last chunk    */
	uint32_t quiet_run;        /**< frames of silence in a row     */
	struct rec_result res;
	rec_fail_h *failh;
	rec_done_h *doneh;
	void *arg;
};

struct enc_thread {
	pthread_t tid;
	struct list incoming;      /**< handed over, not yet taken     */
	struct list mine;          /**< this thread's alone            */
	unsigned nstreams;
};

static struct {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	struct enc_thread *thv;    /**< (own)                          */
	unsigned nthreads;
	unsigned next;
	struct list failed;
	struct list done;
	struct mqueue *mq;         /**< (own)                          */
	bool wake_pending;
	bool stop;
	unsigned active;
} enc;


static void stream_destructor(void *arg)
{
	struct rec_stream *s = arg;

	if (s->gf)
		lame_close(s->gf);
	sodium_memzero(s->key, sizeof(s->key));
	mem_deref(s->tap);
}


/* Called with the mutex held. */
static void wake_loop(void)
{
	if (enc.wake_pending)
		return;

	enc.wake_pending = true;
	if (mqueue_push(enc.mq, 0, NULL))
		enc.wake_pending = false;
}


static void fail(struct rec_stream *s, int err, const char *what)
{
	if (s->res.err)
		return;

	s->res.err = err;
	(void)re_snprintf(s->res.error, sizeof(s->res.error), "%s: %s",
			  what, strerror(err));
	if (s->w) {
		rec_writer_abort(s->w);
		s->w = NULL;
	}

	pthread_mutex_lock(&enc.mutex);
	list_append(&enc.failed, &s->le_fail, s);
	wake_loop();
	pthread_mutex_unlock(&enc.mutex);
}


static void write_mp3(struct rec_stream *s, const unsigned char *p, int n)
{
	int err;

	if (n < 0) {
		fail(s, EIO, "MP3 encoder");
		return;
	}

	if (!n || s->res.err)
		return;

	err = rec_writer_put(s->w, p, (size_t)n);
	if (err)
		fail(s, err, "writing the recording");
}


static bool frame_quiet(const int16_t *pcm, unsigned stride, unsigned ch)
{
	size_t i;

	for (i = 0; i < MEDIA_FRAME; i++) {
		int16_t v = pcm[i * stride + ch];

		if (v > QUIET_PEAK || v < -QUIET_PEAK)
			return false;
	}

	return true;
}


/* Silence (both sides quiet) and talk-over (both speak) per frame. */
static void analyse(struct rec_stream *s, const int16_t *pcm, size_t n)
{
	unsigned fs = MEDIA_FRAME * s->channels;
	size_t f;

	for (f = 0; f < n; f++) {
		const int16_t *fr = pcm + f * fs;
		bool ql = frame_quiet(fr, s->channels, 0);
		bool qr = s->channels == 2 ? frame_quiet(fr, 2, 1) : ql;
		uint32_t run_ms;

		if (!ql && !qr && s->channels == 2)
			s->res.talkover_ms += MEDIA_PTIME;

		s->quiet_run = (ql && qr) ? s->quiet_run + 1 : 0;
		run_ms = s->quiet_run * MEDIA_PTIME;
		if (run_ms > s->res.longest_silence_ms)
			s->res.longest_silence_ms = run_ms;
	}
}


static void encode(struct rec_stream *s, const int16_t *pcm, size_t n)
{
	unsigned char mp3[MP3BUF];
	int samples = (int)(n * MEDIA_FRAME), r;

	analyse(s, pcm, n);
	s->frames += (uint32_t)n;
	if (s->res.err)
		return;

	if (s->channels == 2)
		r = lame_encode_buffer_interleaved(s->gf, (short *)pcm,
						   samples, mp3, MP3BUF);
	else
		r = lame_encode_buffer(s->gf, pcm, pcm, samples, mp3,
				       MP3BUF);

	write_mp3(s, mp3, r);
	s->since_flush += (uint32_t)n;
	if (!s->res.err && s->since_flush * MEDIA_PTIME >= FLUSH_MS) {
		int err = rec_writer_flush(s->w);

		s->since_flush = 0;
		if (err)
			fail(s, err, "writing the recording");
	}
}


/* On the encoder thread: lame_init_params() costs the loop too much to
 * run there at every call's start. */
static int lame_setup(struct rec_stream *s, uint32_t bitrate)
{
	s->gf = lame_init();
	if (!s->gf)
		return ENOMEM;

	lame_set_in_samplerate(s->gf, MEDIA_SRATE);
	lame_set_out_samplerate(s->gf, MEDIA_SRATE);
	lame_set_num_channels(s->gf, (int)s->channels);
	lame_set_mode(s->gf, s->channels == 2 ? STEREO : MONO);
	lame_set_brate(s->gf, (int)bitrate);
	lame_set_quality(s->gf, 7);            /* fast; speech at 8 kHz */
	lame_set_bWriteVbrTag(s->gf, 0);

	return lame_init_params(s->gf) < 0 ? EINVAL : 0;
}


static void open_file(struct rec_stream *s)
{
	int err;

	s->opened = true;
	err = lame_setup(s, s->bitrate);
	if (err) {
		fail(s, err, "setting up the MP3 encoder");
		return;
	}

	err = rec_store_mkdirs(s->rel);
	if (err) {
		fail(s, err, "creating the recording's directory");
		return;
	}

	err = rec_writer_open(&s->w, s->path, s->key, s->key_no);
	if (err)
		fail(s, err, "creating the recording file");
}


static void finish(struct rec_stream *s)
{
	unsigned char mp3[7200];
	int err;

	s->res.duration_ms = s->frames * MEDIA_PTIME;
	s->res.dropped_ms  = rectap_dropped_ms(s->tap);
	s->res.stalled_ms  = rectap_stalled_ms(s->tap);
	if (s->res.err)
		return;

	write_mp3(s, mp3, lame_encode_flush(s->gf, mp3, sizeof(mp3)));
	if (s->res.err)
		return;

	err = rec_writer_finish(s->w, &s->res.size_bytes);
	s->w = NULL;
	if (err)
		fail(s, err, "finishing the recording");
}


/* One pass over a stream. @return true when the stream is over. */
static bool step(struct rec_stream *s, bool stopping)
{
	int16_t pcm[STEP_FRAMES * MEDIA_FRAME * 2];
	size_t n;

	if (!s->opened)
		open_file(s);

	while ((n = rectap_read(s->tap, pcm, STEP_FRAMES)) > 0)
		encode(s, pcm, n);

	if (!stopping && !rectap_done(s->tap))
		return false;

	finish(s);

	return true;
}


static void pass(struct enc_thread *th, bool stopping)
{
	struct le *le = th->mine.head;

	while (le) {
		struct rec_stream *s = le->data;

		le = le->next;
		if (!step(s, stopping))
			continue;

		list_unlink(&s->le);
		pthread_mutex_lock(&enc.mutex);
		--th->nstreams;
		list_append(&enc.done, &s->le, s);
		wake_loop();
		pthread_mutex_unlock(&enc.mutex);
	}
}


static void wait_pass(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += PASS_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec  += 1;
		ts.tv_nsec -= 1000000000L;
	}

	(void)pthread_cond_timedwait(&enc.cond, &enc.mutex, &ts);
}


static void *thread_main(void *arg)
{
	struct enc_thread *th = arg;
	bool stopping;

	do {
		struct le *le;

		pthread_mutex_lock(&enc.mutex);
		while ((le = list_head(&th->incoming))) {
			list_unlink(le);
			list_append(&th->mine, le, le->data);
		}

		stopping = enc.stop;
		pthread_mutex_unlock(&enc.mutex);

		pass(th, stopping);

		pthread_mutex_lock(&enc.mutex);
		if (!enc.stop)
			wait_pass();
		pthread_mutex_unlock(&enc.mutex);

	} while (!stopping || !list_isempty(&th->mine));

	return NULL;
}


static void deliver(struct list *failed, struct list *done)
{
	struct le *le;

	while ((le = list_head(failed))) {
		struct rec_stream *s = le->data;

		list_unlink(le);
		if (s->failh)
			s->failh(s->res.err, s->res.error, s->arg);
	}

	while ((le = list_head(done))) {
		struct rec_stream *s = le->data;

		list_unlink(le);
		--enc.active;
		if (s->doneh)
			s->doneh(&s->res, s->arg);
		mem_deref(s);
	}
}


static void take_lists(struct list *failed, struct list *done)
{
	struct le *le;

	while ((le = list_head(&enc.failed))) {
		list_unlink(le);
		list_append(failed, le, le->data);
	}

	while ((le = list_head(&enc.done))) {
		list_unlink(le);
		list_append(done, le, le->data);
	}
}


static void mqueue_handler(int id, void *data, void *arg)
{
	struct list failed = LIST_INIT, done = LIST_INIT;
	(void)id;
	(void)data;
	(void)arg;

	pthread_mutex_lock(&enc.mutex);
	enc.wake_pending = false;
	take_lists(&failed, &done);
	pthread_mutex_unlock(&enc.mutex);

	deliver(&failed, &done);
}


/**
 * Start the encoder threads.
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_enc_init(unsigned threads)
{
	unsigned i;
	int err;

	if (enc.thv || !threads)
		return EINVAL;

	memset(&enc, 0, sizeof(enc));
	err = mqueue_alloc(&enc.mq, mqueue_handler, NULL);
	if (err)
		return err;

	enc.thv = mem_zalloc(threads * sizeof(*enc.thv), NULL);
	if (!enc.thv) {
		enc.mq = mem_deref(enc.mq);
		return ENOMEM;
	}

	pthread_mutex_init(&enc.mutex, NULL);
	pthread_cond_init(&enc.cond, NULL);
	for (i = 0; i < threads; i++) {
		err = pthread_create(&enc.thv[i].tid, NULL, thread_main,
				     &enc.thv[i]);
		if (err)
			break;
		++enc.nthreads;
	}

	if (err)
		rec_enc_close();

	return err;
}


/**
 * Stop the threads once every stream is over: a stream whose tap still
 * runs is finished with what it has. The handlers run from here.
 */
void rec_enc_close(void)
{
	struct list failed = LIST_INIT, done = LIST_INIT;
	unsigned i;

	if (!enc.thv)
		return;

	pthread_mutex_lock(&enc.mutex);
	enc.stop = true;
	pthread_cond_broadcast(&enc.cond);
	pthread_mutex_unlock(&enc.mutex);

	for (i = 0; i < enc.nthreads; i++)
		pthread_join(enc.thv[i].tid, NULL);

	take_lists(&failed, &done);
	deliver(&failed, &done);

	pthread_cond_destroy(&enc.cond);
	pthread_mutex_destroy(&enc.mutex);
	enc.thv = mem_deref(enc.thv);
	enc.mq  = mem_deref(enc.mq);
	enc.nthreads = 0;
}


static void pick_thread(struct rec_stream *s)
{
	struct enc_thread *th = &enc.thv[0];
	unsigned i;

	for (i = 1; i < enc.nthreads; i++) {
		if (enc.thv[i].nstreams < th->nstreams)
			th = &enc.thv[i];
	}

	++th->nstreams;
	list_append(&th->incoming, &s->le, s);
}


/**
 * Hand a tap over to an encoder thread, which creates the file and
 * writes it until the tap is stopped and drained. *sp is valid until
 * doneh has run or rec_stream_detach() was called.
 *
 * @return 0 if success, otherwise errorcode (nothing was started)
 */
int rec_enc_start(struct rec_stream **sp, struct rectap *tap,
		  const struct rec_job *job, rec_fail_h *failh,
		  rec_done_h *doneh, void *arg)
{
	struct rec_stream *s;

	if (!sp || !tap || !job || !job->path || !job->rel || !job->key)
		return EINVAL;
	if (!enc.thv || enc.stop)
		return ESHUTDOWN;

	s = mem_zalloc(sizeof(*s), stream_destructor);
	if (!s)
		return ENOMEM;

	s->channels = rectap_channels(tap);
	s->bitrate  = job->bitrate;
	str_ncpy(s->path, job->path, sizeof(s->path));
	str_ncpy(s->rel, job->rel, sizeof(s->rel));
	memcpy(s->key, job->key, REC_KEY_BYTES);
	s->key_no = job->key_no;
	s->tap    = mem_ref(tap);
	s->failh  = failh;
	s->doneh  = doneh;
	s->arg    = arg;

	pthread_mutex_lock(&enc.mutex);
	pick_thread(s);
	pthread_mutex_unlock(&enc.mutex);
	++enc.active;

	*sp = s;

	return 0;
}


/** Its owner is gone: the stream finishes its file and tells nobody. */
void rec_stream_detach(struct rec_stream *s)
{
	if (!s)
		return;

	s->failh = NULL;
	s->doneh = NULL;
	s->arg   = NULL;
}


/** Streams handed over and not yet done. */
unsigned rec_enc_active(void)
{
	return enc.active;
}
