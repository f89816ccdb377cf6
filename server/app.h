/* The process-wide parts every handler reaches: config, pools, keys. */
#ifndef OPENSEAT_APP_H
#define OPENSEAT_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config/cfg.h"

struct db;
struct worker_pool;
struct http_server;
struct ratelimit;

struct app {
	struct cfg cfg;
	struct db *db;                   /**< (ref) */
	struct worker_pool *workers;     /**< (ref) */
	struct http_server *http;        /**< (ref) */
	struct ratelimit *rl_login;      /**< (ref) per tenant+user */
	struct ratelimit *rl_addr;       /**< (ref) per source address */
	uint8_t jwt_key[256];
	size_t jwt_keylen;
	uint64_t started_ms;
	int exit_err;                    /**< app_fail's: exit nonzero */
	bool stopping;
};

int  app_start(struct app *app);
void app_stop(struct app *app);
void app_fail(struct app *app, int err);
void app_close(struct app *app);

#endif
