/* What the QA handlers share. */
#ifndef OPENSEAT_QA_INT_H
#define OPENSEAT_QA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "http/api.h"

struct param;
struct json_t;

/** Criteria and scores of one form; the limits of migration 0010. */
enum {
	QA_CRITERIA_MAX = 20,
	QA_NAME_MAX = 64,
	QA_COMMENT_MAX = 2000,
};

/** Why a review's scores were refused (a 400 naming the field). */
struct qa_score_error {
	char field[48];
	char code[24];
	char message[120];
};

int qa_score(const struct json_t *criteria, const struct json_t *scores,
	     char **storedp, char *total, size_t tsz,
	     struct qa_score_error *e);
void qa_run(struct http_req *req, struct db_txn *tx, int err,
	    api_rows_h *h);
void qa_reply_created(struct http_req *req, const struct db_res *res);
void qa_reply_ok(struct http_req *req, const struct db_res *res);

int qa_review_api_init(void);

#endif
