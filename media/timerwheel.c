/**
 * @file timerwheel.c  libre's timers on a hierarchical timing wheel
 *
 * libre 1.1.0 keeps every timer of a thread in one sorted linked list and
 * tmr_start() walks it from the tail to find the place: a short timer
 * (a SIP retransmission, a zero-delay kick) walks past every timer that
 * expires after it. Each call keeps timers alive for seconds (SIP
 * transactions up to 64 × T1 = 32 s), so at hundreds of calls per second
 * the list holds tens of thousands of entries and starting a timer costs
 * more than the rest of the call (docs/PERFORMANCE.md "What limits call
 * setup"). Debian's libre cannot be changed, so this file defines libre's
 * timer functions in the executable: the dynamic linker binds every call
 * to them — libre's and librem's own through their PLT, and ours — to
 * these (the Makefile exports the symbols; timerwheel_check() proves the
 * binding at start-up). docs/ARCHITECTURE.md "Timers" says why.
 *
 * Three levels of 1024 slots: 1 ms, 1.024 s and ~17.5 min wide. A timer
 * sits in the finest level whose span covers it; when the wheel's time
 * reaches a coarser slot's start, that slot's timers move down (cascade).
 * Every operation is O(1); finding the next expiry scans a 1024-bit map.
 * Timers further than the wheel's span (~12 days) wait in the last coarse
 * slot and are re-placed each time it cascades.
 *
 * The wheel owns struct tmr's list element; as in libre, a timer runs
 * (is linked) exactly when its handler is set. One wheel per process:
 * only the loop's thread uses timers (re_thread_init is not used).
 */
#include <dlfcn.h>
#include <re.h>
#include "timerwheel.h"

enum {
	SLOT_BITS = 10,
	SLOTS     = 1 << SLOT_BITS,
	SLOT_MASK = SLOTS - 1,
	LEVELS    = 3,
	MAP_WORDS = SLOTS / 64,
};

static struct {
	struct list slot[LEVELS][SLOTS];
	struct list late;          /**< started when already due           */
	uint32_t n[LEVELS];        /**< timers per level                   */
	uint64_t map0[MAP_WORDS];  /**< level 0 slots holding a timer      */
	uint64_t now;              /**< the next millisecond to process    */
	uint32_t count;            /**< timers running                     */
	bool started;
} w;

static inline unsigned level_shift(unsigned level)
{
	return level * SLOT_BITS;
}

static inline uint64_t level_span(unsigned level)
{
	return (uint64_t)1 << level_shift(level);
}

/* The slot a timer expiring at jfs belongs in, seen from w.now. */
static unsigned slot_for(uint64_t jfs, unsigned *levelp)
{
	uint64_t at = jfs;
	const uint64_t delta = at - w.now;
	unsigned level = 0;

	while (level < LEVELS - 1 && delta >= SLOTS * level_span(level))
		++level;

	/* beyond the span: park in the coarsest slot that cascades last */
	if (delta >= SLOTS * level_span(level))
		at = w.now + (SLOTS - 1) * level_span(level);

	*levelp = level;
	return (unsigned)(at >> level_shift(level)) & SLOT_MASK;
}

static void place(struct tmr *tmr)
{
	unsigned level, ix;

	/* due before the wheel's time (a zero delay right after a poll):
	 * first at the next poll, as libre's sorted list would have it */
	if (tmr->jfs < w.now) {
		list_append(&w.late, &tmr->le, tmr);
		return;
	}

	ix = slot_for(tmr->jfs, &level);
	list_append(&w.slot[level][ix], &tmr->le, tmr);
	++w.n[level];
	if (level == 0)
		w.map0[ix / 64] |= (uint64_t)1 << (ix % 64);
}

static void unplace(struct tmr *tmr)
{
	struct list *l = tmr->le.list;
	size_t flat;
	unsigned level, ix;

	list_unlink(&tmr->le);
	if (l == &w.late)
		return;

	flat = (size_t)(l - &w.slot[0][0]);
	level = (unsigned)(flat / SLOTS);
	ix = (unsigned)(flat % SLOTS);
	--w.n[level];
	if (level == 0 && list_isempty(l))
		w.map0[ix / 64] &= ~((uint64_t)1 << (ix % 64));
}

/* Move the timers of a coarse slot down to where they now belong. */
static void cascade(unsigned level)
{
	struct list *l = &w.slot[level][(w.now >> level_shift(level)) &
					SLOT_MASK];
	struct le *le = list_head(l);

	/* re-placing appends to other slots, never to this one: a timer
	 * here is due within this slot's span, so it moves down */
	while (le) {
		struct tmr *tmr = le->data;

		le = le->next;
		unplace(tmr);
		place(tmr);
	}
}

/* Run every timer of a list; handlers may start and cancel any. */
static void fire(struct list *l)
{
	while (l->head) {
		struct tmr *tmr = l->head->data;
		tmr_h *th = tmr->th;
		void *arg = tmr->arg;

		unplace(tmr);
		tmr->th = NULL;
		--w.count;
		th(arg);
	}
}

/* Milliseconds from w.now to the first level-0 slot holding a timer. */
static bool next_in_level0(uint64_t *offp)
{
	const unsigned start = (unsigned)(w.now & SLOT_MASK);

	for (unsigned k = 0; k <= MAP_WORDS; ++k) {
		const unsigned word = (start / 64 + k) % MAP_WORDS;
		uint64_t bits = w.map0[word];

		if (k == 0)
			bits &= ~(uint64_t)0 << (start % 64);
		else if (k == MAP_WORDS)
			bits &= ((uint64_t)1 << (start % 64)) - 1;
		if (!bits)
			continue;

		const unsigned ix = word * 64 +
			(unsigned)__builtin_ctzll(bits);

		*offp = (ix - start) & SLOT_MASK;
		return true;
	}

	return false;
}

/*
 * The first time from w.now on when a timer fires or a slot must
 * cascade: the next level-0 timer, or the next boundary of the finest
 * coarse level holding timers. Nothing happens before it, so the wheel
 * may jump there.
 */
static uint64_t next_event(void)
{
	uint64_t at = UINT64_MAX, off;

	if (w.n[0] && next_in_level0(&off))
		at = w.now + off;

	for (unsigned level = 1; level < LEVELS; ++level) {
		const uint64_t span = level_span(level);
		const uint64_t boundary = (w.now + span - 1) & ~(span - 1);

		if (!w.n[level])
			continue;
		if (boundary < at)
			at = boundary;
		break;
	}

	return at;
}

/**
 * Run the timers that are due. Replaces libre's; its list is unused.
 *
 * @param tmrl libre's timer list (ignored: the wheel holds the timers)
 */
void tmr_poll(struct list *tmrl)
{
	const uint64_t jfs = tmr_jiffies();

	(void)tmrl;
	if (!w.started)
		return;

	fire(&w.late);
	for (;;) {
		const uint64_t at = next_event();

		if (at > jfs) {
			w.now = jfs + 1;
			return;
		}

		w.now = at;
		for (unsigned level = LEVELS - 1; level > 0; --level) {
			if ((w.now & (level_span(level) - 1)) == 0)
				cascade(level);
		}
		fire(&w.slot[0][w.now & SLOT_MASK]);
		++w.now;
	}
}

/**
 * Milliseconds until the next timer is due (or a slot cascades), 1 if
 * one is due now, 0 if no timer runs (libre's loop then waits for I/O
 * alone).
 *
 * @param tmrl libre's timer list (ignored)
 *
 * @return milliseconds
 */
uint64_t tmr_next_timeout(struct list *tmrl)
{
	const uint64_t jif = tmr_jiffies();
	uint64_t at;

	(void)tmrl;
	if (!w.count)
		return 0;
	if (!list_isempty(&w.late))
		return 1;

	at = next_event();

	return at > jif ? at - jif : 1;
}

/**
 * Start a timer, or restart it if it runs; a NULL handler stops it.
 *
 * @param tmr   The timer
 * @param delay Milliseconds from now
 * @param th    Handler, called once from the loop
 * @param arg   Handler argument
 */
void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	if (!tmr)
		return;

	if (tmr->th) {
		unplace(tmr);
		--w.count;
	}

	tmr->th = th;
	tmr->arg = arg;
	if (!th)
		return;

	/* an empty wheel may have slept for long: start it from now, so
	 * the timer is placed from the present, not from the last poll */
	if (!w.count) {
		w.now = tmr_jiffies();
		w.started = true;
	}

	tmr->jfs = tmr_jiffies() + delay;
	place(tmr);
	++w.count;
}

/**
 * Stop a timer; nothing happens if it does not run.
 *
 * @param tmr The timer
 */
void tmr_cancel(struct tmr *tmr)
{
	tmr_start(tmr, 0, NULL, NULL);
}

/**
 * Milliseconds until a timer is due, 0 if it is due or does not run.
 *
 * @param tmr The timer
 *
 * @return milliseconds
 */
uint64_t tmr_get_expire(const struct tmr *tmr)
{
	uint64_t jfs;

	if (!tmr || !tmr->th)
		return 0;

	jfs = tmr_jiffies();

	return tmr->jfs > jfs ? tmr->jfs - jfs : 0;
}

/**
 * Print how many timers run, per level.
 *
 * @param pf     Print handler
 * @param unused Unused
 *
 * @return 0 if success, otherwise errorcode
 */
int tmr_status(struct re_printf *pf, void *unused)
{
	int err;

	(void)unused;
	err = re_hprintf(pf, "Timers (%u):", w.count);
	for (unsigned level = 0; level < LEVELS && !err; ++level)
		err = re_hprintf(pf, " level %u: %u", level, w.n[level]);

	return err ? err : re_hprintf(pf, "\n");
}

/** Print the timers' status to stderr. */
void tmr_debug(void)
{
	(void)re_fprintf(stderr, "%H", tmr_status, NULL);
}

/** @return the number of timers running */
uint32_t timerwheel_count(void)
{
	return w.count;
}

/**
 * Check that the process's timer calls reach this wheel: libre's, librem's
 * and ours bind to the same definitions. If the symbols were not exported
 * from the executable, libre would keep its own list and never see the
 * timers started here.
 *
 * @return 0 if bound, ENOSYS if not
 */
int timerwheel_check(void)
{
	static const struct {
		const char *name;
		void *fn;
	} fns[] = {
		{"tmr_start",        (void *)tmr_start},
		{"tmr_cancel",       (void *)tmr_cancel},
		{"tmr_poll",         (void *)tmr_poll},
		{"tmr_next_timeout", (void *)tmr_next_timeout},
		{"tmr_get_expire",   (void *)tmr_get_expire},
	};

	for (size_t i = 0; i < ARRAY_SIZE(fns); ++i) {
		if (dlsym(RTLD_DEFAULT, fns[i].name) != fns[i].fn)
			return ENOSYS;
	}

	return 0;
}
