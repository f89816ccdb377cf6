/* The retention purge, run daily and by the operator. */
#ifndef OPENSEAT_REC_PURGE_H
#define OPENSEAT_REC_PURGE_H

#include <stdint.h>

struct app;

struct rec_purge_result {
	unsigned tenants;          /**< tenants with recordings deleted */
	unsigned deleted;          /**< rows deleted                    */
	uint64_t bytes;            /**< their size_bytes                */
	unsigned unlink_errors;    /**< files that could not be removed */
};

typedef void (rec_purge_h)(int err, const struct rec_purge_result *res,
			   void *arg);

int rec_purge_run(struct app *app, int64_t now_ms, rec_purge_h *h,
		  void *arg);

#endif
