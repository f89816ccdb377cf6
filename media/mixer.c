/*
 * The mixer: once per tick it reads a frame from every port that speaks,
 * then gives every port that listens the saturated sum of the ports it
 * hears. The matrix is stored per listener as a small array of talkers.
 */
#include <math.h>
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/mstream.h"

struct mixer {
	struct list portl;           /**< ports, not owned (they unlink)  */
	struct le *next;             /**< cursor while mixing             */
	struct mtick_entry *tick;    /**< (own)                           */
	unsigned nports;
};

struct mport {
	struct le le;
	struct mixer *mx;            /**< (ref) outlives its ports        */
	char *name;
	mport_read_h *readh;
	mport_write_h *writeh;
	void *arg;                   /**< (borrowed)                      */
	mport_tap_h *taph;           /**< a recorder's copy, or NULL      */
	struct mstream *bed;         /**< (ref) heard when no talker speaks */
	mport_share_h *shareh;       /**< sends the bed's shared payload  */
	void *tap_arg;               /**< (borrowed)                      */
	int32_t gain_q12;            /**< 4096 = 0 dB                     */
	bool spoke;                  /**< frame holds audio this tick     */
	struct mport **hearv;        /**< talkers this port hears, borrowed */
	unsigned hearc;
	unsigned hearsz;
	int16_t frame[MEDIA_FRAME];
};


static inline int16_t sat16(int32_t v)
{
	if (v > 32767)
		return 32767;
	if (v < -32768)
		return -32768;

	return (int16_t)v;
}


static void read_port(struct mport *p)
{
	size_t i;

	p->spoke = p->readh ? p->readh(p->frame, p->arg) : false;
	if (!p->spoke || p->gain_q12 == 4096)
		return;

	for (i = 0; i < MEDIA_FRAME; i++)
		p->frame[i] = sat16(((int32_t)p->frame[i] * p->gain_q12)
				    >> 12);
}


static const int16_t silence[MEDIA_FRAME];


/*
 * What p hears from its talkers: nothing (silence), one talker's own
 * frame as it is (no copy: the common case of a caller hearing a prompt
 * or an agent), or the saturated sum of several in out.
 *
 * @return how many talkers spoke
 */
static unsigned mix_heard(const struct mport *p, int16_t *out,
			  const int16_t **heardp)
{
	int32_t acc[MEDIA_FRAME];
	const struct mport *one = NULL;
	unsigned t, n = 0;
	size_t i;

	for (t = 0; t < p->hearc; t++) {
		if (p->hearv[t]->spoke) {
			one = p->hearv[t];
			++n;
		}
	}

	*heardp = n == 1 ? one->frame : n ? out : silence;
	if (n < 2)
		return n;

	memset(acc, 0, sizeof(acc));
	for (t = 0; t < p->hearc; t++) {
		const struct mport *tk = p->hearv[t];

		if (!tk->spoke)
			continue;

		for (i = 0; i < MEDIA_FRAME; i++)
			acc[i] += tk->frame[i];
	}

	for (i = 0; i < MEDIA_FRAME; i++)
		out[i] = sat16(acc[i]);

	return n;
}


/*
 * Nothing else speaks to p: it hears its bed, the shared stream. With a
 * share handler the owner sends the stream's own payload (no per-port
 * mixing or encoding); otherwise it gets the frame like any other.
 */
static void bed_write(struct mport *p)
{
	struct mstream *ms = p->bed;
	const int16_t *frame = mstream_frame(ms);

	if (p->taph)
		p->taph(p->spoke ? p->frame : NULL, frame, p->tap_arg);

	if (p->shareh)
		p->shareh(ms, p->arg);
	else
		p->writeh(frame, false, p->arg);
}


static void write_port(struct mport *p)
{
	int16_t out[MEDIA_FRAME];
	const int16_t *heard;
	unsigned n;

	n = mix_heard(p, out, &heard);
	if (!n && p->bed) {
		bed_write(p);
		return;
	}

	/* before writeh, which may free p */
	if (p->taph)
		p->taph(p->spoke ? p->frame : NULL, heard, p->tap_arg);

	p->writeh(heard, n == 0, p->arg);
}


/*
 * Handlers called from here may free ports (their own or others) and
 * drop the last outside reference to the mixer: the cursor skips freed
 * ports (see mport_destructor) and our own reference keeps the mixer
 * until the mix is over.
 */
static void mix_tick(uint64_t tick, void *arg)
{
	struct mixer *mx = mem_ref(arg);
	struct le *le;
	(void)tick;

	for (le = mx->portl.head; le; le = mx->next) {
		mx->next = le->next;
		read_port(le->data);
	}

	for (le = mx->portl.head; le; le = mx->next) {
		struct mport *p = le->data;

		mx->next = le->next;
		if (p->writeh)
			write_port(p);
	}

	mx->next = NULL;
	mem_deref(mx);
}


static void mixer_destructor(void *arg)
{
	struct mixer *mx = arg;

	mem_deref(mx->tick);
}


/**
 * Allocate a mixer; it mixes on every media tick while it lives. Each
 * port holds a reference to it.
 *
 * @return 0 if success, otherwise errorcode
 */
int mixer_alloc(struct mixer **mxp)
{
	struct mixer *mx;
	int err;

	if (!mxp)
		return EINVAL;

	mx = mem_zalloc(sizeof(*mx), mixer_destructor);
	if (!mx)
		return ENOMEM;

	err = mtick_add(&mx->tick, MTICK_MIX, mix_tick, mx);
	if (err)
		mem_deref(mx);
	else
		*mxp = mx;

	return err;
}


unsigned mixer_ports(const struct mixer *mx)
{
	return mx ? mx->nports : 0;
}


static void hear_del(struct mport *listener, const struct mport *talker)
{
	unsigned i;

	for (i = 0; i < listener->hearc; i++) {
		if (listener->hearv[i] != talker)
			continue;

		listener->hearv[i] = listener->hearv[--listener->hearc];
		return;
	}
}


static void mport_destructor(void *arg)
{
	struct mport *p = arg;
	struct mixer *mx = p->mx;
	struct le *le;

	if (p->taph)
		p->taph(NULL, NULL, p->tap_arg);

	if (mx) {
		for (le = mx->portl.head; le; le = le->next)
			hear_del(le->data, p);

		if (mx->next == &p->le)
			mx->next = p->le.next;

		list_unlink(&p->le);
		--mx->nports;
	}

	mem_deref(p->hearv);
	mem_deref(p->bed);
	mem_deref(p->name);
	mem_deref(mx);
}


/**
 * Add a port to a mixer. A port without readh never speaks, one without
 * writeh never listens. mem_deref(port) removes it.
 *
 * @return 0 if success, otherwise errorcode
 */
int mport_alloc(struct mport **mpp, struct mixer *mx, const char *name,
		mport_read_h *readh, mport_write_h *writeh, void *arg)
{
	struct mport *p;
	int err;

	if (!mpp || !mx)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), mport_destructor);
	if (!p)
		return ENOMEM;

	err = str_dup(&p->name, name ? name : "port");
	if (err) {
		mem_deref(p);
		return err;
	}

	p->readh    = readh;
	p->writeh   = writeh;
	p->arg      = arg;
	p->gain_q12 = 4096;
	p->mx       = mem_ref(mx);
	list_append(&mx->portl, &p->le, p);
	++mx->nports;

	*mpp = p;

	return 0;
}


/**
 * Set whether listener hears talker. Both must be ports of one mixer; a
 * port never hears itself.
 */
void mport_hear(struct mport *listener, struct mport *talker, bool on)
{
	if (!listener || !talker || listener == talker ||
	    listener->mx != talker->mx)
		return;

	if (!on) {
		hear_del(listener, talker);
		return;
	}

	if (mport_hears(listener, talker))
		return;

	if (listener->hearc == listener->hearsz) {
		unsigned sz = listener->hearsz ? listener->hearsz * 2 : 4;
		struct mport **v;

		/* libre's mem_realloc() does not take NULL */
		if (listener->hearv)
			v = mem_realloc(listener->hearv, sz * sizeof(*v));
		else
			v = mem_zalloc(sz * sizeof(*v), NULL);

		if (!v)
			return;

		listener->hearv  = v;
		listener->hearsz = sz;
	}

	listener->hearv[listener->hearc++] = talker;
}


/**
 * Copy every frame this port says and hears to taph, once per tick (a
 * port that only speaks is never tapped). taph must not touch the
 * mixer. When the port goes away taph is called with both frames NULL.
 * NULL taph removes the tap; a port has at most one.
 */
void mport_tap(struct mport *mp, mport_tap_h *taph, void *arg)
{
	if (!mp)
		return;

	mp->taph    = taph;
	mp->tap_arg = taph ? arg : NULL;
}


bool mport_hears(const struct mport *listener, const struct mport *talker)
{
	unsigned i;

	if (!listener || !talker)
		return false;

	for (i = 0; i < listener->hearc; i++) {
		if (listener->hearv[i] == talker)
			return true;
	}

	return false;
}


/** Gain applied to what this port speaks, in dB (-60 .. +24). */
void mport_gain(struct mport *mp, int gain_db)
{
	if (!mp)
		return;

	if (gain_db < -60)
		gain_db = -60;
	else if (gain_db > 24)
		gain_db = 24;

	mp->gain_q12 = (int32_t)lround(pow(10.0, gain_db / 20.0) * 4096.0);
}


/**
 * Give a port a bed: the shared stream it hears whenever none of its
 * talkers speaks (hold music under per-caller prompts). The port holds
 * a reference to it; NULL removes the bed. A port without writeh
 * ignores it.
 */
void mport_bed(struct mport *mp, struct mstream *ms)
{
	if (!mp || mp->bed == ms)
		return;

	mem_deref(mp->bed);
	mp->bed = mp->writeh ? mem_ref(ms) : NULL;
}


const struct mstream *mport_bed_get(const struct mport *mp)
{
	return mp ? mp->bed : NULL;
}


/** How the port's owner sends a bed's shared payload (NULL: writeh). */
void mport_share(struct mport *mp, mport_share_h *shareh)
{
	if (mp)
		mp->shareh = shareh;
}
