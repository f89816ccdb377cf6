/* The engine's audio format: every frame on the media tick is this. */
#ifndef OPENSEAT_MCONF_H
#define OPENSEAT_MCONF_H

/** Engine sample rate in Hz (mono, signed 16-bit). */
#define MEDIA_SRATE 8000

/** Length of the media tick and of every frame, in milliseconds. */
#define MEDIA_PTIME 20

/** Samples in one frame. */
#define MEDIA_FRAME (MEDIA_SRATE * MEDIA_PTIME / 1000)

#endif
