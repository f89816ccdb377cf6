/*
 * The one media tick: a single libre timer re-armed to the next absolute
 * due time start + k * MEDIA_PTIME, running every registered entry in
 * phase order. Entries are owned by whoever added them and unlink
 * themselves when freed, even from inside a tick.
 */
#include <math.h>
#include <time.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/rtpsend.h"

enum {
	PHASES    = 3,
	MAX_BEHIND = 3,          /* ticks behind before we skip ahead */
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
	struct tmr tmr;
	bool running;
	uint64_t start_us;
	uint64_t k;                  /**< index of the next due tick    */
	uint64_t tick;               /**< ticks run (passed to entries) */
	struct mtick_stats st;
} mt;


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


/**
 * Run every phase of one tick now. Handlers may free any entry,
 * their own included. The tick's RTP sends leave on the sender thread
 * when it runs (media/rtpsend.c).
 */
void mtick_run(uint64_t tick)
{
	unsigned i;

	rtpsend_batch_begin();
	for (i = 0; i < PHASES; i++) {
		struct le *le;

		for (le = mt.phasel[i].head; le; le = mt.next) {
			struct mtick_entry *e = le->data;

			mt.next = le->next;
			e->h(tick, e->arg);
		}
	}

	mt.next = NULL;
	rtpsend_batch_end();
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


static void tick_handler(void *arg)
{
	uint64_t now = mtick_now_us();
	uint64_t due = due_us(mt.k);
	uint64_t next;
	(void)arg;

	stats_add(now > due ? now - due : 0);
	mtick_run(mt.tick++);

	/*
	 * Absolute schedule: the next tick is due at start + k * ptime no
	 * matter how long this one took. When the loop fell far behind
	 * (a stall), running every missed tick back to back would only
	 * burst packets: skip ahead and count what was dropped.
	 */
	++mt.k;
	now = mtick_now_us();
	if (now > due_us(mt.k + MAX_BEHIND)) {
		uint64_t k = (now - mt.start_us) / (MEDIA_PTIME * 1000u) + 1;

		mt.st.skipped += k - mt.k;
		mt.k = k;
	}

	next = due_us(mt.k);
	tmr_start(&mt.tmr, next > now ? (next - now + 999) / 1000 : 0,
		  tick_handler, NULL);
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
