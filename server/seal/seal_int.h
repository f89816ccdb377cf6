/* Sealing inside the module: the start-up sweep. */
#ifndef OPENSEAT_SEAL_INT_H
#define OPENSEAT_SEAL_INT_H

#include <stdbool.h>

struct app;
struct seal_key;

int  seal_sweep_start(struct app *app, const struct seal_key *cur,
		      const struct seal_key *old);
bool seal_sweep_done(void);
void seal_sweep_close(void);

#endif
