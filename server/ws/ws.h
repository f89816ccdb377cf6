/* WebSocket CTI push on /ws: auth, topics, events, bounded send queues. */
#ifndef OPENSEAT_WS_H
#define OPENSEAT_WS_H

#include <stddef.h>

struct app;
struct ws_client;
struct http_server;
struct lws;

int  ws_init(struct app *app);
void ws_close(void);

int  ws_client_open(struct ws_client **wscp, struct lws *wsi,
		    struct http_server *hs);
int  ws_client_recv(struct ws_client *wsc, const void *data, size_t len,
		    int final);
int  ws_client_writeable(struct ws_client *wsc);
void ws_client_closed(struct ws_client *wsc);
unsigned ws_client_count(void);

#endif
