/*
 * A recording tap: copies one mixer port's tick into a bounded ring for
 * an encoder thread. Stereo puts what the port says on the left and what
 * it hears on the right (for a customer's leg: the customer, and the
 * agent with everything else the customer hears); mono is their sum.
 *
 * The loop thread produces (the media tick), one other thread consumes;
 * the ring never blocks either. A full ring drops the frame and counts
 * it: the recording is then known to be incomplete.
 */
#ifndef OPENSEAT_RECTAP_H
#define OPENSEAT_RECTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rectap;
struct mport;

/* Loop thread */
int  rectap_alloc(struct rectap **tapp, struct mport *mp,
		  unsigned channels, uint32_t buf_ms);
void rectap_pause(struct rectap *tap, bool paused);
bool rectap_paused(const struct rectap *tap);
void rectap_stop(struct rectap *tap);
uint32_t rectap_ms(const struct rectap *tap);

/* Either thread */
unsigned rectap_channels(const struct rectap *tap);
uint32_t rectap_dropped_ms(const struct rectap *tap);
uint32_t rectap_stalled_ms(const struct rectap *tap);

/* The consumer thread */
size_t rectap_read(struct rectap *tap, int16_t *pcm, size_t max_frames);
bool rectap_done(struct rectap *tap);

#endif
