/* The libuv loop that libwebsockets runs on, nested in libre's loop. */
#include <uv.h>
#include <re.h>
#define LOG_MODULE "uvloop"
#include "log/log.h"
#include "http/uvloop.h"

/*
 * libuv's backend (epoll) fd becomes readable whenever one of its own
 * watchers has work; libre watches that single fd and runs uv_run without
 * blocking. libuv applies watcher changes only inside uv_run, so after any
 * lws call made from a libre callback (a push, a reply) uvloop_kick() must
 * schedule another uv_run at once, or the write is never attempted.
 */
static struct {
	uv_loop_t loop;
	struct tmr tmr;       /* next libuv timer, or an immediate kick */
	bool running;
	bool inited;
} uvl;


static void run_once(void *arg);


static void rearm(void)
{
	int to = uv_backend_timeout(&uvl.loop);

	if (to < 0 || to > 1000)
		to = 1000;

	tmr_start(&uvl.tmr, (uint64_t)to, run_once, NULL);
}


static void run_once(void *arg)
{
	(void)arg;

	if (uvl.running)
		return;

	uvl.running = true;
	(void)uv_run(&uvl.loop, UV_RUN_NOWAIT);
	uvl.running = false;
	rearm();
}


static void fd_handler(int flags, void *arg)
{
	(void)flags;
	run_once(arg);
}


/**
 * Create the libuv loop and register its backend fd with libre.
 *
 * @return 0 if success, otherwise errorcode
 */
int uvloop_init(void)
{
	int err;

	err = uv_loop_init(&uvl.loop);
	if (err) {
		log_error("uv_loop_init: %s", uv_strerror(err));
		return ENOMEM;
	}

	tmr_init(&uvl.tmr);
	err = fd_listen(uv_backend_fd(&uvl.loop), FD_READ, fd_handler, NULL);
	if (err) {
		(void)uv_loop_close(&uvl.loop);
		return err;
	}

	uvl.inited = true;
	rearm();

	return 0;
}


/** Run libuv until only active, unclosing handles are left. */
void uvloop_run_pending(void)
{
	if (!uvl.inited)
		return;

	for (int i = 0; i < 100 && uv_run(&uvl.loop, UV_RUN_NOWAIT); i++)
		;
}


/** Stop watching libuv and close its loop (after lws is destroyed). */
void uvloop_close(void)
{
	if (!uvl.inited)
		return;

	fd_close(uv_backend_fd(&uvl.loop));
	tmr_cancel(&uvl.tmr);

	/* let handles closed by lws finish their close callbacks */
	for (int i = 0; i < 100 && uv_loop_alive(&uvl.loop); i++)
		(void)uv_run(&uvl.loop, UV_RUN_NOWAIT);

	(void)uv_loop_close(&uvl.loop);
	uvl.inited = false;
}


struct uv_loop_s *uvloop_get(void)
{
	return &uvl.loop;
}


/** Run libuv again as soon as the current libre callback returns. */
void uvloop_kick(void)
{
	if (!uvl.inited)
		return;

	tmr_start(&uvl.tmr, 0, run_once, NULL);
}
