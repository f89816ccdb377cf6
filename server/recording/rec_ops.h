/*
 * Recording storage's start-up and operator side: the master key check
 * gates serving, recovery after a crash, the retention purge, storage
 * usage and tenant key rotation for the operator.
 */
#ifndef OPENSEAT_REC_OPS_H
#define OPENSEAT_REC_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct app;

bool rec_key_ready(void);
int  rec_ops_api_init(void);
void rec_recover_start(struct app *app, const char *boot_ts);
int  rec_purge_init(struct app *app);
void rec_purge_close(void);

#endif
