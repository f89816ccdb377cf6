/* Plays a list of in-memory prompts into a mixer port, frame by frame. */
#ifndef OPENSEAT_PLAYER_H
#define OPENSEAT_PLAYER_H

#include <stdbool.h>
#include <stddef.h>

struct player;
struct mixer;
struct mport;
struct pcm;

/**
 * Playback finished: err is 0 when the list played to its end, ECANCELED
 * when player_stop() cut it short (barge-in).
 */
typedef void (player_done_h)(int err, void *arg);

int  player_alloc(struct player **plp, struct mixer *mx, const char *name);
struct mport *player_port(const struct player *pl);
int  player_play(struct player *pl, struct pcm *const *list, size_t n,
		 bool loop, player_done_h *doneh, void *arg);
void player_stop(struct player *pl);
bool player_busy(const struct player *pl);

#endif
