/* WebSocket module internals shared by ws.c and ws_msg.c. */
/* Include after re_types.h, re_list.h, re_mbuf.h and re_tmr.h (libre
 * headers have no include guards). */
#ifndef OPENSEAT_WS_INT_H
#define OPENSEAT_WS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "auth/principal.h"
#include "event/event.h"

#define WS_MAX_MSG       (64 * 1024)  /**< larger: close 1009        */
#define WS_MAX_TOPICS    16
#define WS_MAX_EARLY     8    /**< messages held while auth runs    */

/* Close codes of our own (4000-4999 are for applications). */
enum {
	WS_CLOSE_UNAUTHORIZED = 4401,
	WS_CLOSE_FORBIDDEN    = 4403,
};

enum ws_state {
	WS_AWAIT_AUTH = 0,   /**< the first message must be auth       */
	WS_AUTHING,          /**< authn_bearer() is running            */
	WS_AUTHED,
};

/*
 * One WebSocket client. The lws callback holds the first reference; a
 * running authn_bearer() holds another until its handler ran. After
 * ws_client_closed() wsi is NULL, closed is set, no timer runs and the
 * queues are empty.
 */
struct ws_client {
	struct le le;                    /**< in the client list (no ref) */
	struct lws *wsi;                 /**< (borrowed) NULL once closed */
	struct app *app;                 /**< (borrowed) */
	enum ws_state state;
	struct principal principal;
	char topics[WS_MAX_TOPICS][EVENT_NAME_MAX + 1];
	unsigned ntopics;
	struct mbuf *rx;                 /**< (own) fragments so far      */
	struct mbuf *early;              /**< (own) [u32 len][msg] while
					      authing */
	unsigned nearly;
	struct list txl;                 /**< (own) struct ws_out         */
	unsigned ntx;
	char *authz;                     /**< (own) "Bearer ..." as sent,
					      checked again every ping */
	bool rechecking;                 /**< a re-check is running       */
	struct tmr auth_tmr;
	bool ping_due;
	bool closing;                    /**< close after the queue drains */
	uint16_t close_code;
	char close_reason[64];
	bool closed;
};

int  ws_send(struct ws_client *wsc, char *text, size_t len);
void ws_client_close(struct ws_client *wsc, uint16_t code,
		     const char *reason);
void ws_reply(struct ws_client *wsc, struct json_t *o);
bool ws_agent_msg(struct ws_client *wsc, const char *type,
		  struct json_t *msg);
bool ws_call_msg(struct ws_client *wsc, const char *type,
		 struct json_t *msg);
void ws_call_send(void *tab, struct json_t *msg);
void ws_call_tab_gone(struct ws_client *wsc);
void ws_msg_handle(struct ws_client *wsc, const uint8_t *p, size_t len);
void ws_msg_recheck(struct ws_client *wsc);
bool ws_wants(const struct ws_client *wsc, const struct event *ev);

#endif
