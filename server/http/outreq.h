/*
 * Outgoing HTTP/1.1 requests to tenant-given URLs (webhooks, CRM and
 * IVR lookups) that send nothing before the peer is approved.
 */
#ifndef OPENSEAT_OUTREQ_H
#define OPENSEAT_OUTREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sa;

enum {
	OUTREQ_HOST_MAX = 254,
	OUTREQ_PATH_MAX = 2048,
};

/** A URL split for sending (outreq_url.c) */
struct outreq_url {
	bool tls;
	char host[OUTREQ_HOST_MAX];  /**< name or address, no brackets   */
	uint16_t port;
	char path[OUTREQ_PATH_MAX];  /**< path and query, "/" at least   */
};

int outreq_url_parse(struct outreq_url *u, const char *url,
		     const char **whyp);

/** What to send. Strings are copied before outreq_start() returns */
struct outreq_msg {
	const char *method;          /**< a token: "GET", "POST"          */
	const char *headers;         /**< lines each ending in CRLF, or
					  NULL; Host, Content-Length added */
	const char *body;            /**< or NULL                         */
	size_t len;
	uint32_t timeout_ms;         /**< the whole request, DNS included */
	size_t body_max;             /**< response body kept at most      */
	bool egress;                 /**< judge every address (egress.h)  */
};

struct outreq_result {
	int err;                     /**< 0 if a response came            */
	const char *error;           /**< short reason when err, or NULL  */
	uint16_t status;
	const char *body;            /**< not NUL-terminated              */
	size_t body_len;             /**< <= body_max                     */
	bool truncated;              /**< the body was longer than that   */
	char addr[64];               /**< the address connected to        */
	uint32_t duration_ms;
};

struct outreq;

typedef void (outreq_h)(const struct outreq_result *r, void *arg);

int  outreq_start(struct outreq **rp, const struct outreq_url *url,
		  const struct outreq_msg *m, outreq_h *h, void *arg);
int  outreq_add_ca(const char *path);
int  outreq_dns_set(const struct sa *srvv, uint32_t srvc);
int  outreq_init(void);
void outreq_close(void);

#endif
