/* The libuv loop that libwebsockets runs on, nested in libre's loop. */
#ifndef OPENSEAT_UVLOOP_H
#define OPENSEAT_UVLOOP_H

struct uv_loop_s;

int  uvloop_init(void);
void uvloop_close(void);
struct uv_loop_s *uvloop_get(void);
void uvloop_kick(void);
void uvloop_run_pending(void);

#endif
