/*
 * The media tick's RTP sends, made by one sender thread.
 *
 * With thousands of callers on hold, one sendto() per caller per 20 ms
 * was most of the loop's time (docs/PERFORMANCE.md "ACD end to end"):
 * the kernel's UDP send, ~70 % of a waiting caller's cost. While the
 * tick runs, a UDP helper on each leg's RTP socket takes the packet
 * libre is about to send (header and all — rtp_send() has numbered it
 * and counted it for RTCP) and copies it into a batch; at the tick's
 * end the batch goes to the sender thread, which sends it while the
 * loop goes back to SIP, HTTP and the database. Sends outside a tick
 * (none on the hot path) go out directly as before.
 *
 * Each queued packet holds a reference to a duplicate of the socket's
 * descriptor, so a leg freed while its packets wait never has its
 * descriptor number reused under them; the duplicates are closed on
 * the loop once the thread is done. Two batches: the loop fills one
 * while the thread sends the other. A thread still busy at a tick's end
 * gets the next tick's packets appended; two ticks behind, the loop
 * waits for it (counted), so a batch never holds more than 40 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/rtpsend.h"

enum {
	PKT_MAX = 512,          /* G.711 20 ms is 172 bytes with header   */
	HELPER_LAYER = -100,    /* the last helper before the socket      */
	MAX_TICKS = 2,          /* ticks a batch may hold before waiting  */
};

/* A duplicate of a leg's RTP descriptor, alive while packets need it. */
struct sendfd {
	int fd;
};

struct rtpsend_sock {
	struct udp_helper *uh;  /**< (own) */
	struct sendfd *sfd;     /**< (ref) */
};

struct pkt {
	struct sendfd *sfd;     /**< (ref) dropped on the loop            */
	int fd;
	struct sa dst;
	uint16_t len;
	uint8_t buf[PKT_MAX];
};

struct batch {
	struct pkt *v;
	size_t n, size;
	unsigned ticks;
};

static struct {
	pthread_t tid;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct batch b[2];
	unsigned fill;          /**< the batch the loop fills            */
	bool busy;              /**< the other batch is being sent       */
	bool stop;
	bool running;
	bool in_tick;
	uint64_t queued, waits;
	atomic_uint_fast64_t sent, failed;
} rs;


static void sendfd_destructor(void *arg)
{
	struct sendfd *sfd = arg;

	if (sfd->fd >= 0)
		(void)close(sfd->fd);
}


static void sock_destructor(void *arg)
{
	struct rtpsend_sock *s = arg;

	mem_deref(s->uh);
	mem_deref(s->sfd);
}


static struct pkt *pkt_new(struct batch *b)
{
	if (b->n == b->size) {
		size_t size = b->size ? b->size * 2 : 256;
		struct pkt *v = b->v ? mem_realloc(b->v, size * sizeof(*v)) :
			mem_alloc(size * sizeof(*v), NULL);

		if (!v)
			return NULL;
		b->v = v;
		b->size = size;
	}

	return &b->v[b->n++];
}


/* libre is about to sendto(): during a tick, queue the packet instead. */
static bool helper_send(int *err, struct sa *dst, struct mbuf *mb,
			void *arg)
{
	struct rtpsend_sock *s = arg;
	const size_t len = mbuf_get_left(mb);
	struct pkt *p;

	if (!rs.in_tick || len > PKT_MAX)
		return false;

	p = pkt_new(&rs.b[rs.fill]);
	if (!p)
		return false;

	p->sfd = mem_ref(s->sfd);
	p->fd = s->sfd->fd;
	sa_cpy(&p->dst, dst);
	p->len = (uint16_t)len;
	memcpy(p->buf, mbuf_buf(mb), len);
	++rs.queued;
	*err = 0;

	return true;
}


static bool helper_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)mb;
	(void)arg;

	return false;
}


/**
 * Queue the tick's sends of a UDP socket for the sender thread; free
 * the handle before the socket. Without a running sender (unit tests,
 * tools) nothing changes.
 *
 * @param rsp Where the handle goes
 * @param us  The leg's RTP socket
 * @param af  Its address family (the descriptor libre sends on)
 *
 * @return 0 if success, otherwise errorcode
 */
int rtpsend_attach(struct rtpsend_sock **rsp, struct udp_sock *us, int af)
{
	struct rtpsend_sock *s;
	int fd, err;

	if (!rsp || !us)
		return EINVAL;

	if (!rs.running)
		return 0;

	fd = udp_sock_fd(us, af);
	if (fd < 0)
		return EBADF;

	s = mem_zalloc(sizeof(*s), sock_destructor);
	if (!s)
		return ENOMEM;

	s->sfd = mem_zalloc(sizeof(*s->sfd), sendfd_destructor);
	if (!s->sfd) {
		err = ENOMEM;
		goto out;
	}

	s->sfd->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (s->sfd->fd < 0) {
		err = errno;
		goto out;
	}

	err = udp_register_helper(&s->uh, us, HELPER_LAYER, helper_send,
				  helper_recv, s);
 out:
	if (err)
		mem_deref(s);
	else
		*rsp = s;

	return err;
}


/* On the thread: send a batch, counting what the kernel refused. */
static void send_all(const struct batch *b)
{
	for (size_t i = 0; i < b->n; ++i) {
		const struct pkt *p = &b->v[i];

		if (sendto(p->fd, p->buf, p->len, 0, &p->dst.u.sa,
			   p->dst.len) < 0)
			atomic_fetch_add(&rs.failed, 1);
		else
			atomic_fetch_add(&rs.sent, 1);
	}
}


static void *thread_main(void *arg)
{
	(void)arg;

	pthread_mutex_lock(&rs.mtx);
	for (;;) {
		while (!rs.busy && !rs.stop)
			pthread_cond_wait(&rs.cond, &rs.mtx);
		if (!rs.busy)
			break;

		const struct batch *b = &rs.b[!rs.fill];

		pthread_mutex_unlock(&rs.mtx);
		send_all(b);
		pthread_mutex_lock(&rs.mtx);
		rs.busy = false;
		pthread_cond_broadcast(&rs.cond);
	}
	pthread_mutex_unlock(&rs.mtx);

	return NULL;
}


/* On the loop, the thread done with it: drop a batch's references. */
static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->n; ++i)
		mem_deref(b->v[i].sfd);

	b->n = 0;
	b->ticks = 0;
}


/* Wait for the thread if it is busy; true if it was (and is done). */
static bool wait_idle(void)
{
	bool waited = false;

	pthread_mutex_lock(&rs.mtx);
	while (rs.busy) {
		waited = true;
		pthread_cond_wait(&rs.cond, &rs.mtx);
	}
	pthread_mutex_unlock(&rs.mtx);

	return waited;
}


/** The tick starts: its RTP sends are queued from now on. */
void rtpsend_batch_begin(void)
{
	rs.in_tick = rs.running;
}


/**
 * The tick is over: hand its packets to the thread, or keep them for
 * the next tick's hand-over while the thread is still busy.
 */
void rtpsend_batch_end(void)
{
	struct batch *f = &rs.b[rs.fill];
	bool busy;

	if (!rs.in_tick)
		return;

	rs.in_tick = false;
	++f->ticks;

	pthread_mutex_lock(&rs.mtx);
	busy = rs.busy;
	pthread_mutex_unlock(&rs.mtx);
	if (busy && f->ticks < MAX_TICKS)
		return;

	if (wait_idle())
		++rs.waits;

	batch_release(&rs.b[!rs.fill]);
	if (!f->n) {
		f->ticks = 0;
		return;
	}

	pthread_mutex_lock(&rs.mtx);
	rs.fill = !rs.fill;
	rs.busy = true;
	pthread_cond_broadcast(&rs.cond);
	pthread_mutex_unlock(&rs.mtx);
}


/**
 * Start the sender thread; legs attached from now on queue their
 * tick's sends.
 *
 * @return 0 if success, otherwise errorcode
 */
int rtpsend_init(void)
{
	int err;

	if (rs.running)
		return 0;

	rs.stop = false;
	rs.busy = false;
	err = pthread_mutex_init(&rs.mtx, NULL);
	err = err ? err : pthread_cond_init(&rs.cond, NULL);
	err = err ? err : pthread_create(&rs.tid, NULL, thread_main, NULL);
	if (err)
		return err;

	rs.running = true;

	return 0;
}


/** Send what is queued, stop the thread and free the batches. */
void rtpsend_close(void)
{
	if (!rs.running)
		return;

	rs.in_tick = true;     /* hand over whatever is still queued */
	rs.b[rs.fill].ticks = MAX_TICKS;
	rtpsend_batch_end();
	(void)wait_idle();

	pthread_mutex_lock(&rs.mtx);
	rs.stop = true;
	pthread_cond_broadcast(&rs.cond);
	pthread_mutex_unlock(&rs.mtx);
	(void)pthread_join(rs.tid, NULL);

	for (unsigned i = 0; i < 2; ++i) {
		batch_release(&rs.b[i]);
		mem_deref(rs.b[i].v);
		memset(&rs.b[i], 0, sizeof(rs.b[i]));
	}
	pthread_cond_destroy(&rs.cond);
	pthread_mutex_destroy(&rs.mtx);
	rs.running = false;
}


/**
 * Copy the sender's counters.
 *
 * @param st Where to copy them
 */
void rtpsend_stats_get(struct rtpsend_stats *st)
{
	if (!st)
		return;

	st->queued = rs.queued;
	st->sent = atomic_load(&rs.sent);
	st->failed = atomic_load(&rs.failed);
	st->waits = rs.waits;
}
