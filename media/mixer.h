/*
 * The mixer: one per call, a matrix of who hears whom. Bridge, playback,
 * conference, listen, whisper and barge are all rows of this matrix.
 */
#ifndef OPENSEAT_MIXER_H
#define OPENSEAT_MIXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mconf.h"

struct mixer;
struct mport;
struct mstream;

/**
 * Produce one frame of MEDIA_FRAME samples for this tick.
 *
 * @return true if the frame holds audio, false for silence (not read)
 */
typedef bool (mport_read_h)(int16_t *frame, void *arg);

/**
 * Take the frame this port hears for this tick: the saturated sum of the
 * frames of every port it hears (silence if none spoke).
 */
typedef void (mport_write_h)(const int16_t *frame, bool silent, void *arg);

/**
 * A copy of one port's tick: what it said (NULL: silent) and what it
 * heard. Both NULL: the port is gone.
 */
typedef void (mport_tap_h)(const int16_t *said, const int16_t *heard,
			   void *arg);

/**
 * Send this tick's frame of a shared stream the port hears alone (see
 * mport_bed): a leg stamps its own RTP header on the stream's payload.
 */
typedef void (mport_share_h)(struct mstream *ms, void *arg);

int  mixer_alloc(struct mixer **mxp);
unsigned mixer_ports(const struct mixer *mx);

/*
 * A port belongs to one mixer; mem_deref(port) removes it (and every
 * matrix cell naming it). The mixer holds no reference to its ports' args.
 */
int  mport_alloc(struct mport **mpp, struct mixer *mx, const char *name,
		 mport_read_h *readh, mport_write_h *writeh, void *arg);
void mport_hear(struct mport *listener, struct mport *talker, bool on);
bool mport_hears(const struct mport *listener, const struct mport *talker);
void mport_gain(struct mport *mp, int gain_db);
void mport_tap(struct mport *mp, mport_tap_h *taph, void *arg);
void mport_bed(struct mport *mp, struct mstream *ms);
void mport_share(struct mport *mp, mport_share_h *shareh);
const struct mstream *mport_bed_get(const struct mport *mp);

#endif
