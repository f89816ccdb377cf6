/* Unit tests for the media tick's RTP sender thread (media/rtpsend.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <re.h>
#include "media/rtpsend.h"

/* A plain receiving socket on loopback, reads time out after 2 s. */
struct rx {
	int fd;
	struct sa addr;
};

static void rx_open(struct rx *rx)
{
	struct timeval tv = {.tv_sec = 2};

	rx->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(rx->fd >= 0);
	assert_int_equal(sa_set_str(&rx->addr, "127.0.0.1", 0), 0);
	assert_int_equal(bind(rx->fd, &rx->addr.u.sa, rx->addr.len), 0);
	assert_int_equal(getsockname(rx->fd, &rx->addr.u.sa, &rx->addr.len),
			 0);
	assert_int_equal(setsockopt(rx->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
}

/* The next datagram's first byte, its sender's port; -1 on timeout. */
static int rx_next(struct rx *rx, uint16_t *portp, bool wait)
{
	uint8_t buf[2048];
	struct sa src;
	ssize_t n;

	src.len = sizeof(src.u);
	n = recvfrom(rx->fd, buf, sizeof(buf), wait ? 0 : MSG_DONTWAIT,
		     &src.u.sa, &src.len);
	if (n <= 0)
		return -1;
	if (portp)
		*portp = sa_port(&src);

	return buf[0];
}

static struct udp_sock *tx_open(struct rtpsend_sock **rsp)
{
	struct udp_sock *us = NULL;
	struct sa local;

	assert_int_equal(sa_set_str(&local, "127.0.0.1", 0), 0);
	assert_int_equal(udp_listen(&us, &local, NULL, NULL), 0);
	if (rsp)
		assert_int_equal(rtpsend_attach(rsp, us, AF_INET), 0);

	return us;
}

static void tx_send(struct udp_sock *us, const struct sa *to, uint8_t b,
		    size_t len)
{
	struct mbuf *mb = mbuf_alloc(len);

	assert_non_null(mb);
	memset(mb->buf, b, len);
	mb->end = len;
	assert_int_equal(udp_send(us, to, mb), 0);
	mem_deref(mb);
}

static uint16_t port_of(struct udp_sock *us)
{
	struct sa local;

	assert_int_equal(udp_local_get(us, &local), 0);

	return sa_port(&local);
}


/* A tick's sends leave at its end, in order, from the leg's socket. */
static void test_tick_sends_leave_at_its_end(void **state)
{
	struct rtpsend_sock *rsock = NULL;
	struct udp_sock *us = tx_open(&rsock);
	struct rtpsend_stats st0, st;
	struct rx rx;
	uint16_t port;
	(void)state;

	rx_open(&rx);
	rtpsend_stats_get(&st0);
	rtpsend_batch_begin();
	for (uint8_t i = 1; i <= 3; ++i)
		tx_send(us, &rx.addr, i, 172);
	assert_int_equal(rx_next(&rx, NULL, false), -1);   /* queued */
	rtpsend_batch_end();

	for (int i = 1; i <= 3; ++i) {
		assert_int_equal(rx_next(&rx, &port, true), i);
		assert_int_equal(port, port_of(us));
	}
	rtpsend_stats_get(&st);
	assert_int_equal(st.queued - st0.queued, 3);

	mem_deref(rsock);
	mem_deref(us);
	close(rx.fd);
}


/* Outside a tick, or too big for a slot, a packet leaves at once. */
static void test_direct_outside_a_tick(void **state)
{
	struct rtpsend_sock *rsock = NULL;
	struct udp_sock *us = tx_open(&rsock);
	struct rtpsend_stats st0, st;
	struct rx rx;
	(void)state;

	rx_open(&rx);
	rtpsend_stats_get(&st0);
	tx_send(us, &rx.addr, 7, 172);
	assert_int_equal(rx_next(&rx, NULL, true), 7);

	rtpsend_batch_begin();
	tx_send(us, &rx.addr, 8, 1400);
	assert_int_equal(rx_next(&rx, NULL, true), 8);
	rtpsend_batch_end();

	rtpsend_stats_get(&st);
	assert_int_equal(st.queued, st0.queued);

	mem_deref(rsock);
	mem_deref(us);
	close(rx.fd);
}


/*
 * A leg freed while its packets wait: they still leave from its port,
 * and the port is free once the thread is done with them.
 */
static void test_freed_socket_keeps_its_packets(void **state)
{
	struct rtpsend_sock *rsock = NULL;
	struct udp_sock *us = tx_open(&rsock);
	const uint16_t was = port_of(us);
	struct udp_sock *again = NULL;
	struct sa local;
	struct rx rx;
	uint16_t port;
	(void)state;

	rx_open(&rx);
	rtpsend_batch_begin();
	tx_send(us, &rx.addr, 9, 172);
	rsock = mem_deref(rsock);
	us = mem_deref(us);
	rtpsend_batch_end();

	assert_int_equal(rx_next(&rx, &port, true), 9);
	assert_int_equal(port, was);

	/* the next tick's end drops the sent batch's duplicates */
	rtpsend_batch_begin();
	rtpsend_batch_end();
	rtpsend_batch_begin();
	rtpsend_batch_end();
	assert_int_equal(sa_set_str(&local, "127.0.0.1", was), 0);
	assert_int_equal(udp_listen(&again, &local, NULL, NULL), 0);

	mem_deref(again);
	close(rx.fd);
}


/* Count one received packet by the socket it came from. */
static bool count_one(struct rx *rx, struct udp_sock **usv, unsigned n,
		      unsigned *per, bool wait)
{
	uint16_t port;

	if (rx_next(rx, &port, wait) < 0)
		return false;

	for (unsigned i = 0; i < n; ++i) {
		if (port == port_of(usv[i]))
			++per[i];
	}

	return true;
}


/* Many ticks of many sockets: every packet arrives, none twice. */
static void test_many_ticks(void **state)
{
	enum { SOCKS = 50, TICKS = 40 };
	struct rtpsend_sock *rsv[SOCKS] = {0};
	struct udp_sock *usv[SOCKS];
	unsigned got = 0, per[SOCKS] = {0};
	struct rx rx;
	(void)state;

	rx_open(&rx);
	for (unsigned i = 0; i < SOCKS; ++i)
		usv[i] = tx_open(&rsv[i]);

	for (unsigned t = 0; t < TICKS; ++t) {
		rtpsend_batch_begin();
		for (unsigned i = 0; i < SOCKS; ++i)
			tx_send(usv[i], &rx.addr, (uint8_t)i, 172);
		rtpsend_batch_end();
		while (count_one(&rx, usv, SOCKS, per, false))
			++got;
	}
	rtpsend_close();     /* sends what is still queued */
	while (got < SOCKS * TICKS &&
	       count_one(&rx, usv, SOCKS, per, true))
		++got;

	assert_int_equal(got, SOCKS * TICKS);
	for (unsigned i = 0; i < SOCKS; ++i)
		assert_int_equal(per[i], TICKS);

	for (unsigned i = 0; i < SOCKS; ++i) {
		mem_deref(rsv[i]);
		mem_deref(usv[i]);
	}
	close(rx.fd);
	assert_int_equal(rtpsend_init(), 0);
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();

	return err ? err : rtpsend_init();
}


static int teardown(void **state)
{
	(void)state;
	rtpsend_close();
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tick_sends_leave_at_its_end),
		cmocka_unit_test(test_direct_outside_a_tick),
		cmocka_unit_test(test_freed_socket_keeps_its_packets),
		cmocka_unit_test(test_many_ticks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
