/*
 * The one media tick: a single libre timer re-armed to the next absolute
 * due time start + k * MEDIA_PTIME, running every registered entry in
 * phase order. Entries are owned by whoever added them and unlink
 * themselves when freed, even from inside a tick.
 *
 * A tick with thousands of callers takes milliseconds; everything else
 * on the loop (an agent going ready, a SIP request) would wait behind
 * it. So the scheduled tick runs in slices of at most SLICE_US: when a
 * slice is over, the tick writes to an eventfd the loop watches and
 * returns; the loop handles whatever I/O is ready, then the eventfd's
 * handler runs the next slice from where the last one stopped. Phase
 * order holds (every source before any mixer); an entry added while the
 * tick is suspended runs in it if its phase has not passed yet.
 */
#include <math.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/rtpsend.h"

enum {
	PHASES    = 3,
	MAX_BEHIND = 3,          /* ticks behind before we skip ahead */
	SLICE_US  = 2000,        /* longest run of a tick without I/O */
};

struct mtick_entry {
	struct le le;
	mtick_h *h;
	void *arg;
	unsigned phase;
};

const double mtick_late_bounds[8] = {
	0.5, 1, 2, 5, 10, 20, 50, INFINITY
};

static struct {
	struct list phasel[PHASES];  /**< entries, not owned            */
	struct le *next;             /**< iteration cursor during a run */
	unsigned phase;              /**< the cursor's phase            */
	uint64_t cur;                /**< the tick under way            */
	bool in_tick;                /**< a tick is under way           */
	int wakefd;                  /**< resumes a sliced tick, or -1  */
	struct tmr tmr;
	bool running;
	uint64_t start_us;
	uint64_t k;                  /**< index of the next due tick    */
	uint64_t tick;               /**< ticks run (passed to entries) */
	struct mtick_stats st;
} mt = {.wakefd = -1};


uint64_t mtick_now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}


static void entry_destructor(void *arg)
{
	struct mtick_entry *e = arg;

	/* Freed from inside a handler: step the cursor past us. */
	if (mt.next == &e->le)
		mt.next = e->le.next;

	list_unlink(&e->le);
}


/**
 * Register a handler to run once per tick in the given phase; free the
 * entry (mem_deref) to stop it. Entries may be added before mtick_init().
 *
 * @return 0 if success, otherwise errorcode
 */
int mtick_add(struct mtick_entry **ep, int phase, mtick_h *h, void *arg)
{
	struct mtick_entry *e;

	if (!ep || !h || phase < 0 || phase >= PHASES)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return ENOMEM;

	e->h     = h;
	e->arg   = arg;
	e->phase = (unsigned)phase;
	list_append(&mt.phasel[phase], &e->le, e);

	*ep = e;

	return 0;
}


static void tick_begin(uint64_t tick)
{
	mt.in_tick = true;
	mt.cur = tick;
	mt.phase = 0;
	mt.next = mt.phasel[0].head;
	rtpsend_batch_begin();
}


static void tick_end(void)
{
	mt.next = NULL;
	mt.in_tick = false;
	rtpsend_batch_end();
}


/*
 * Run entries from the cursor on: true when the tick is done, false
 * when the deadline (µs, 0 = none) passed first. The cursor is the next
 * entry; a handler freeing it steps it on (entry_destructor).
 */
static bool run_from_cursor(uint64_t deadline_us)
{
	for (;;) {
		while (mt.next) {
			struct mtick_entry *e = mt.next->data;

			mt.next = mt.next->next;
			e->h(mt.cur, e->arg);
			/* the vDSO clock costs ~1 % of the cheapest entry */
			if (deadline_us && mtick_now_us() >= deadline_us)
				return false;
		}

		if (++mt.phase >= PHASES)
			return true;

		mt.next = mt.phasel[mt.phase].head;
	}
}


/**
 * Run every phase of one tick now. Handlers may free any entry,
 * their own included. The tick's RTP sends leave on the sender thread
 * when it runs (media/rtpsend.c).
 */
void mtick_run(uint64_t tick)
{
	tick_begin(tick);
	(void)run_from_cursor(0);
	tick_end();
}


static void stats_add(uint64_t late_us)
{
	double ms = (double)late_us / 1000.0;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(mtick_late_bounds) - 1; i++) {
		if (ms <= mtick_late_bounds[i])
			break;
	}

	++mt.st.late_bucket[i];
	++mt.st.ticks;
	if (ms > mt.st.late_max_ms)
		mt.st.late_max_ms = ms;
}


static uint64_t due_us(uint64_t k)
{
	return mt.start_us + k * (MEDIA_PTIME * 1000u);
}


static void tick_handler(void *arg);


/*
 * Absolute schedule: the next tick is due at start + k * ptime no matter
 * how long this one took. When the loop fell far behind (a stall),
 * running every missed tick back to back would only burst packets: skip
 * ahead and count what was dropped.
 */
static void schedule_next(void)
{
	uint64_t now = mtick_now_us();
	uint64_t next;

	++mt.k;
	if (now > due_us(mt.k + MAX_BEHIND)) {
		uint64_t k = (now - mt.start_us) / (MEDIA_PTIME * 1000u) + 1;

		mt.st.skipped += k - mt.k;
		mt.k = k;
	}

	next = due_us(mt.k);
	tmr_start(&mt.tmr, next > now ? (next - now + 999) / 1000 : 0,
		  tick_handler, NULL);
}


/* Wake the loop's next turn to resume the tick; false if we cannot. */
static bool yield(void)
{
	const uint64_t one = 1;

	if (write(mt.wakefd, &one, sizeof(one)) != sizeof(one))
		return false;

	++mt.st.slices;
	return true;
}


/* Run the tick under way for one slice; yield to the loop if unfinished. */
static void run_slice(void)
{
	bool done = mt.wakefd < 0 ||
		run_from_cursor(mtick_now_us() + SLICE_US);

	if (!done && yield())
		return;

	if (!done)
		(void)run_from_cursor(0);
	tick_end();
	schedule_next();
}


static void wake_handler(int flags, void *arg)
{
	uint64_t n;
	(void)flags;
	(void)arg;

	if (read(mt.wakefd, &n, sizeof(n)) < 0)
		return;

	if (mt.in_tick && mt.running)
		run_slice();
}


static void tick_handler(void *arg)
{
	uint64_t now = mtick_now_us();
	uint64_t due = due_us(mt.k);
	(void)arg;

	stats_add(now > due ? now - due : 0);
	tick_begin(mt.tick++);
	run_slice();
}


/**
 * Start the media tick on this thread's loop.
 *
 * @return 0 if success, otherwise errorcode
 */
int mtick_init(void)
{
	if (mt.running)
		return 0;

	/* without the eventfd a tick runs whole, as before slicing */
	mt.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mt.wakefd >= 0 &&
	    fd_listen(mt.wakefd, FD_READ, wake_handler, NULL)) {
		(void)close(mt.wakefd);
		mt.wakefd = -1;
	}

	tmr_init(&mt.tmr);
	mt.running  = true;
	mt.start_us = mtick_now_us();
	mt.k        = 1;
	tmr_start(&mt.tmr, MEDIA_PTIME, tick_handler, NULL);

	return 0;
}


/** Stop the tick. Registered entries stay registered but do not run. */
void mtick_close(void)
{
	tmr_cancel(&mt.tmr);
	mt.running = false;
	if (mt.in_tick)          /* closed mid-slice: the rest is dropped */
		tick_end();

	if (mt.wakefd >= 0) {
		fd_close(mt.wakefd);
		(void)close(mt.wakefd);
		mt.wakefd = -1;
	}
}


/** Ticks skipped since start (a stalled loop): taps fill them in. */
uint64_t mtick_skipped(void)
{
	return mt.st.skipped;
}


/**
 * Copy the tick statistics.
 *
 * @param st        Where to copy them
 * @param reset_max Reset the worst lateness after copying
 */
void mtick_stats_get(struct mtick_stats *st, int reset_max)
{
	if (!st)
		return;

	*st = mt.st;
	if (reset_max)
		mt.st.late_max_ms = 0;
}
