/* Where finished log lines go: straight to stderr, or — once the server
 * runs — through a bounded buffer that a writer thread empties. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log/log.h"
#include "log/log_out.h"

/*
 * The event loop must never wait for whoever reads stderr: a stalled
 * reader (a full pipe, a paused terminal) would stop every call. So the
 * server hands lines to a ring and returns; one thread writes them out.
 * When the ring is full, lines are dropped and counted, and the count is
 * written as a line of its own as soon as there is room again.
 */

enum { RING_SIZE = 1 << 20 };

static struct {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	pthread_t thread;
	bool running;            /**< the writer thread owns the output */
	bool stopping;
	int fd;
	char *ring;
	size_t head;             /**< next byte to write out */
	size_t len;              /**< bytes waiting          */
	unsigned long dropped;   /**< lines lost since the last notice */
	unsigned long dropped_total;
} out = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.fd = STDERR_FILENO,
};


static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;      /* nowhere to log a logging failure */
		p += w;
		n -= (size_t)w;
	}
}


/* Caller holds the lock and has checked the room. */
static void ring_put(const char *line, size_t n)
{
	size_t tail = (out.head + out.len) % RING_SIZE;
	size_t first = n < RING_SIZE - tail ? n : RING_SIZE - tail;

	memcpy(out.ring + tail, line, first);
	memcpy(out.ring, line + first, n - first);
	out.len += n;
}


static void put_dropped_notice(void)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line),
		     "{\"level\":\"warn\",\"module\":\"log\",\"msg\":\"%lu log"
		     " lines dropped: the log output was not being read\"}\n",
		     out.dropped);
	if (n > 0 && (size_t)n <= RING_SIZE - out.len) {
		ring_put(line, (size_t)n);
		out.dropped = 0;
	}
}


/**
 * Write one finished line (with its newline).
 */
void log_out(const char *line, size_t n)
{
	pthread_mutex_lock(&out.mtx);

	if (!out.running) {
		pthread_mutex_unlock(&out.mtx);
		write_all(out.fd, line, n);
		return;
	}

	if (out.dropped)
		put_dropped_notice();

	if (out.dropped || n > RING_SIZE - out.len) {
		++out.dropped;
		++out.dropped_total;
	}
	else {
		ring_put(line, n);
		pthread_cond_signal(&out.cond);
	}

	pthread_mutex_unlock(&out.mtx);
}


/* Writes out what waits, outside the lock, until told to stop. */
static void *writer(void *arg)
{
	static char chunk[65536];

	(void)arg;
	pthread_mutex_lock(&out.mtx);
	for (;;) {
		size_t n;

		if (out.dropped)
			put_dropped_notice();      /* room again: say it now */
		while (!out.len && !out.stopping)
			pthread_cond_wait(&out.cond, &out.mtx);
		if (!out.len)
			break;

		n = out.len < sizeof(chunk) ? out.len : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = out.ring[(out.head + i) % RING_SIZE];
		out.head = (out.head + n) % RING_SIZE;
		out.len -= n;

		pthread_mutex_unlock(&out.mtx);
		write_all(out.fd, chunk, n);
		pthread_mutex_lock(&out.mtx);
	}
	pthread_mutex_unlock(&out.mtx);

	return NULL;
}


/**
 * Hand log lines to a writer thread from now on.
 *
 * @param fd  where lines go (stderr in the server)
 *
 * @return 0 if success, otherwise an errno code (lines stay synchronous)
 */
int log_out_start(int fd)
{
	static char ring[RING_SIZE];
	int err;

	pthread_mutex_lock(&out.mtx);
	if (out.running) {
		pthread_mutex_unlock(&out.mtx);
		return EALREADY;
	}

	out.fd = fd;
	out.ring = ring;
	out.head = out.len = 0;
	out.dropped = 0;
	out.stopping = false;
	err = pthread_create(&out.thread, NULL, writer, NULL);
	out.running = !err;
	pthread_mutex_unlock(&out.mtx);

	return err;
}


/**
 * Write out every waiting line, stop the thread and write synchronously
 * again (to fd 2).
 */
void log_out_stop(void)
{
	pthread_mutex_lock(&out.mtx);
	if (!out.running) {
		pthread_mutex_unlock(&out.mtx);
		return;
	}
	out.stopping = true;
	pthread_cond_signal(&out.cond);
	pthread_mutex_unlock(&out.mtx);

	(void)pthread_join(out.thread, NULL);

	pthread_mutex_lock(&out.mtx);
	out.running = false;
	out.fd = STDERR_FILENO;
	pthread_mutex_unlock(&out.mtx);
}


/** Lines lost because the output was not read, since the start. */
unsigned long log_out_dropped(void)
{
	unsigned long n;

	pthread_mutex_lock(&out.mtx);
	n = out.dropped_total;
	pthread_mutex_unlock(&out.mtx);

	return n;
}
