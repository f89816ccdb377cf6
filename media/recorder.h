/*
 * Records what its mixer port hears (one leg, or a mix of several) to a
 * 16-bit mono WAV file. Frames are buffered and written in large blocks;
 * closing hands the final flush, header fix-up and fsync to the offload
 * hook so the loop never waits on the disk.
 */
#ifndef OPENSEAT_RECORDER_H
#define OPENSEAT_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recorder;
struct mixer;
struct mport;

/** The file is complete on disk (err 0) or failed. */
typedef void (recorder_done_h)(int err, uint32_t duration_ms, void *arg);

int  recorder_alloc(struct recorder **recp, struct mixer *mx,
		    const char *path, uint32_t max_ms);
struct mport *recorder_port(const struct recorder *rec);
uint32_t recorder_duration_ms(const struct recorder *rec);
uint32_t recorder_silence_ms(const struct recorder *rec);
bool recorder_full(const struct recorder *rec);
int  recorder_close(struct recorder *rec, recorder_done_h *doneh,
		    void *arg);

#endif
