/* Unit tests for the media tick (media/mtick.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "loop.h"

static char order[16];
static unsigned norder;
static struct mtick_entry *victim;
static struct mtick_entry *self_entry;


static void mark_h(uint64_t tick, void *arg)
{
	(void)tick;
	if (norder < sizeof(order) - 1)
		order[norder++] = *(const char *)arg;
}


static void test_phase_order(void **state)
{
	struct mtick_entry *h = NULL, *s1 = NULL, *m = NULL, *s2 = NULL;
	(void)state;

	norder = 0;
	memset(order, 0, sizeof(order));
	assert_int_equal(mtick_add(&h, MTICK_HOUSE, mark_h, "h"), 0);
	assert_int_equal(mtick_add(&s1, MTICK_SOURCE, mark_h, "1"), 0);
	assert_int_equal(mtick_add(&m, MTICK_MIX, mark_h, "m"), 0);
	assert_int_equal(mtick_add(&s2, MTICK_SOURCE, mark_h, "2"), 0);

	mtick_run(0);
	assert_string_equal(order, "12mh");

	mem_deref(s1);
	mtick_run(1);
	assert_string_equal(order, "12mh2mh");

	mem_deref(h);
	mem_deref(m);
	mem_deref(s2);
}


static void test_bad_args(void **state)
{
	struct mtick_entry *e = NULL;
	(void)state;

	assert_int_equal(mtick_add(NULL, MTICK_MIX, mark_h, NULL), EINVAL);
	assert_int_equal(mtick_add(&e, MTICK_MIX, NULL, NULL), EINVAL);
	assert_int_equal(mtick_add(&e, -1, mark_h, NULL), EINVAL);
	assert_int_equal(mtick_add(&e, 3, mark_h, NULL), EINVAL);
	assert_null(e);
	mtick_stats_get(NULL, 0);
}


/* Frees the next entry and itself from inside the tick. */
static void killer_h(uint64_t tick, void *arg)
{
	(void)tick;
	(void)arg;
	victim = mem_deref(victim);
	self_entry = mem_deref(self_entry);
	order[norder++] = 'k';
}


static void test_free_inside_tick(void **state)
{
	struct mtick_entry *after = NULL;
	(void)state;

	norder = 0;
	memset(order, 0, sizeof(order));
	assert_int_equal(mtick_add(&self_entry, MTICK_MIX, killer_h, NULL),
			 0);
	assert_int_equal(mtick_add(&victim, MTICK_MIX, mark_h, "v"), 0);
	assert_int_equal(mtick_add(&after, MTICK_MIX, mark_h, "a"), 0);

	mtick_run(0);
	assert_string_equal(order, "ka");
	assert_null(victim);
	assert_null(self_entry);

	mem_deref(after);
}


struct live {
	unsigned n;
	unsigned stop_at;
	unsigned stall_at;
	unsigned stall_ms;
	struct tmr tmr;
};


/* Something else on the loop blocks it (not the tick itself). */
static void stall_h(void *arg)
{
	struct live *lv = arg;

	usleep(lv->stall_ms * 1000);
}


static void live_h(uint64_t tick, void *arg)
{
	struct live *lv = arg;
	(void)tick;

	if (++lv->n == lv->stall_at)
		tmr_start(&lv->tmr, 5, stall_h, lv);
	if (lv->n == lv->stop_at)
		re_cancel();
}


static void test_absolute_schedule(void **state)
{
	struct live lv = {.stop_at = 25};
	struct mtick_entry *e = NULL;
	struct mtick_stats st0, st;
	uint64_t t0, slots, sum = 0;
	unsigned i;
	(void)state;

	mtick_stats_get(&st0, 1);
	assert_int_equal(mtick_add(&e, MTICK_SOURCE, live_h, &lv), 0);

	t0 = mtick_now_us();
	assert_int_equal(loop_run(5000), 0);
	slots = (mtick_now_us() - t0) / (MEDIA_PTIME * 1000);
	mem_deref(e);

	/*
	 * Every 20 ms slot since t0 either ran or was counted skipped
	 * (a busy machine may stall the loop): the schedule never drifts.
	 */
	mtick_stats_get(&st, 0);
	assert_in_range(25 + st.skipped - st0.skipped, slots - 1, slots + 1);

	for (i = 0; i < 8; i++)
		sum += st.late_bucket[i];
	assert_int_equal(sum, st.ticks);
	assert_true(st.ticks >= 25);
}


static void test_stall_is_counted(void **state)
{
	struct live lv = {.stop_at = 12, .stall_at = 3, .stall_ms = 150};
	struct mtick_entry *e = NULL;
	struct mtick_stats st0, st;
	(void)state;

	mtick_stats_get(&st0, 1);
	tmr_init(&lv.tmr);
	assert_int_equal(mtick_add(&e, MTICK_MIX, live_h, &lv), 0);
	assert_int_equal(loop_run(3000), 0);
	tmr_cancel(&lv.tmr);

	mtick_stats_get(&st, 1);
	assert_true(st.skipped > st0.skipped);
	assert_true(st.late_max_ms >= 40);
	assert_true(st.late_bucket[5] + st.late_bucket[6] +
		    st.late_bucket[7] > st0.late_bucket[5] +
		    st0.late_bucket[6] + st0.late_bucket[7]);

	mtick_stats_get(&st, 0);
	assert_true(st.late_max_ms < 40);

	mem_deref(e);
}


/* A long tick: its entries spin, a pipe becomes readable meanwhile. */
static struct {
	char order[32];
	unsigned n;
	int pipe[2];
	uint64_t tick[8];
} lt;

static void lt_mark(char c)
{
	if (lt.n < sizeof(lt.order) - 1)
		lt.order[lt.n++] = c;
}

static void lt_source(uint64_t tick, void *arg)
{
	(void)tick;
	(void)arg;
	if (!strchr(lt.order, 'S'))
		lt_mark('S');
}

static void lt_entry(uint64_t tick, void *arg)
{
	const unsigned i = (unsigned)(uintptr_t)arg;
	const uint64_t until = mtick_now_us() + 1000;

	if (lt.tick[i])      /* one tick is enough */
		return;
	lt.tick[i] = tick + 1;
	lt_mark((char)('a' + i));
	if (i == 0)
		assert_int_equal(write(lt.pipe[1], "x", 1), 1);
	while (mtick_now_us() < until)
		;
	if (i == 7)
		re_cancel();
}

static void lt_io(int flags, void *arg)
{
	char c;
	(void)flags;
	(void)arg;
	assert_int_equal(read(lt.pipe[0], &c, 1), 1);
	lt_mark('X');
}


/*
 * A tick of 8 ms lets I/O in between its entries (slices of 2 ms): the
 * pipe's handler runs before the tick's last entry, each entry runs
 * once, in order, all in one tick, sources first.
 */
static void test_long_tick_lets_io_in(void **state)
{
	struct mtick_entry *src = NULL, *ev[8] = {0};
	struct mtick_stats st0, st;
	const char *x;
	(void)state;

	memset(&lt, 0, sizeof(lt));
	assert_int_equal(pipe(lt.pipe), 0);
	assert_int_equal(fd_listen(lt.pipe[0], FD_READ, lt_io, NULL), 0);
	mtick_stats_get(&st0, 0);
	for (unsigned i = 0; i < 8; ++i)
		assert_int_equal(mtick_add(&ev[i], MTICK_MIX, lt_entry,
					   (void *)(uintptr_t)i), 0);
	assert_int_equal(mtick_add(&src, MTICK_SOURCE, lt_source, NULL), 0);

	assert_int_equal(loop_run(5000), 0);
	mtick_stats_get(&st, 0);

	x = strchr(lt.order, 'X');
	assert_non_null(x);
	assert_true(x < strchr(lt.order, 'h'));
	assert_int_equal(lt.order[0], 'S');
	for (unsigned i = 0; i < 8; ++i)
		assert_int_equal(lt.tick[i], lt.tick[0]);
	assert_true(st.slices >= st0.slices + 2);

	fd_close(lt.pipe[0]);
	close(lt.pipe[0]);
	close(lt.pipe[1]);
	for (unsigned i = 0; i < 8; ++i)
		mem_deref(ev[i]);
	mem_deref(src);
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	return mtick_init();
}


static int teardown(void **state)
{
	(void)state;
	mtick_close();
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phase_order),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_free_inside_tick),
		cmocka_unit_test(test_absolute_schedule),
		cmocka_unit_test(test_stall_is_counted),
		cmocka_unit_test(test_long_tick_lets_io_in),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
