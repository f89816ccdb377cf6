/* Unit tests for the log's writer thread (server/log/log_out.c): a
 * reader that stops reading never blocks a writer; what is lost is
 * counted and said; what is kept comes out whole and in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log/log_out.h"

struct sink {
	int fd;
	char *buf;
	size_t len, sz;
};


static void *drain(void *arg)
{
	struct sink *s = arg;

	for (;;) {
		ssize_t n;

		if (s->sz - s->len < 65536) {
			s->sz = s->sz * 2 + 65536;
			s->buf = realloc(s->buf, s->sz);
		}
		n = read(s->fd, s->buf + s->len, s->sz - s->len - 1);
		if (n <= 0)
			break;
		s->len += (size_t)n;
	}
	s->buf[s->len] = '\0';

	return NULL;
}


static void line(unsigned i)
{
	char l[128];
	int n = snprintf(l, sizeof(l), "{\"n\":%u,\"pad\":\"%060u\"}\n", i,
			 i);

	log_out(l, (size_t)n);
}


/* 20 MB into a pipe nobody reads: every call returns; lines kept are
 * whole and in order, the lost ones are counted and announced. */
static void test_stalled_reader_never_blocks(void **state)
{
	enum { LINES = 200000 };
	struct sink s = {0};
	pthread_t reader;
	unsigned kept = 0, last = 0, notices = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(log_out_start(p[1]), 0);

	for (unsigned i = 1; i <= LINES; i++)
		line(i);           /* would hang here if it waited */

	assert_true(log_out_dropped() > 0);

	s.fd = p[0];
	assert_int_equal(pthread_create(&reader, NULL, drain, &s), 0);
	log_out_stop();
	close(p[1]);
	assert_int_equal(pthread_join(reader, NULL), 0);
	close(p[0]);

	for (char *l = s.buf, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
		unsigned n, pad;

		if (sscanf(l, "{\"n\":%u,\"pad\":\"%u\"}", &n, &pad) == 2) {
			assert_true(n > last);
			assert_int_equal(pad, n);             /* whole line */
			assert_memory_equal(nl - 2, "\"}", 2);
			last = n;
			++kept;
		}
		else {
			assert_non_null(strstr(l, "log lines dropped"));
			++notices;
		}
	}

	assert_true(kept > 1000);
	assert_int_equal(kept + log_out_dropped(), LINES);
	assert_true(notices >= 1);
	free(s.buf);
}


/* Stopped, the log writes synchronously again to the fd given. */
static void test_restart_after_stop(void **state)
{
	struct sink s = {0};
	pthread_t reader;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(log_out_start(p[1]), 0);
	assert_int_equal(log_out_start(p[1]), EALREADY);
	s.fd = p[0];
	assert_int_equal(pthread_create(&reader, NULL, drain, &s), 0);
	line(7);
	log_out_stop();
	close(p[1]);
	assert_int_equal(pthread_join(reader, NULL), 0);
	close(p[0]);

	assert_non_null(strstr(s.buf, "{\"n\":7,"));
	free(s.buf);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_reader_never_blocks),
		cmocka_unit_test(test_restart_after_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
