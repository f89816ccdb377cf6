/* The wallboard's queue tiles: today's counters, coalesced queue.live
 * pushes, and the samples the charts draw. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "queue"
#include "log/log.h"
#include "app.h"
#include "core/clock.h"
#include "db/db.h"
#include "event/event.h"
#include "queue/queue_int.h"

/*
 * The ACD only marks the tiles dirty (a flag and, when idle, a timer):
 * no JSON and no database on its path. The flush runs from the loop at
 * most every PUSH_MIN_MS and never later than that after a mark; it
 * takes each queue's figures (O(1) per queue from the core), compares
 * them with what was last sent, and publishes a queue.live event for
 * each queue that changed. The last state is never lost: a mark during
 * a flush's wait is covered by that flush, one after it starts the
 * timer again.
 *
 * Counters are today's: the local day is China Standard Time (UTC+8,
 * no daylight saving; the product's market). At start the counts of
 * calls that joined a queue earlier today, before this process, are
 * read from the calls table and added; from then on they are counted
 * in memory and set to zero when the day changes.
 */
#define PUSH_MIN_MS    250
#define SAMPLE_MS      10000
#define BUCKET_MS      300000LL
#define DAY_MS         86400000LL
#define DAY_OFFSET_MS  (8 * 3600000LL)

static struct {
	struct tmr push_tmr;
	struct tmr sample_tmr;
	uint64_t last_push;           /**< core ms of the last flush     */
	int64_t day;                  /**< local day of the counters     */
	int64_t t0_ms;                /**< wall ms this process started  */
	unsigned nsamples;            /**< waiting samples taken         */
	uint64_t sample_at[QLIVE_SAMPLES];   /**< wall ms, by number % N */
	bool dirty;
	bool running;
} lp;


static int64_t local_day(int64_t wall_ms)
{
	return (wall_ms + DAY_OFFSET_MS) / DAY_MS;
}


static bool zero_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;

	(void)arg;
	qq->offered = qq->answered = qq->answered_in_sl = 0;
	qq->abandoned = qq->overflowed = 0;

	return false;
}


/* A new local day: today's counters start again from zero. */
static void day_check(void)
{
	int64_t day = local_day(clock_wall_ms());

	if (day == lp.day)
		return;

	lp.day = day;
	if (rt.queues)
		(void)hash_apply(rt.queues, zero_queue, NULL);
	lp.dirty = true;
}


static void snap_take(const struct qqueue *qq, struct qlive_snap *s)
{
	struct acd_queue *q = rt.acd ? acd_queue_find(rt.acd,
						      qq->info.queue_id) :
		NULL;
	struct acd_queue_stats st;

	memset(s, 0, sizeof(*s));    /* padding too: snaps are memcmp'd */
	memset(&st, 0, sizeof(st));
	if (q)
		acd_queue_stats(q, &st);

	s->waiting = st.waiting;
	s->oldest = st.oldest_since;
	memcpy(s->by_state, st.by_state, sizeof(s->by_state));
	s->offered = qq->offered;
	s->answered = qq->answered;
	s->answered_in_sl = qq->answered_in_sl;
	s->abandoned = qq->abandoned;
	s->overflowed = qq->overflowed;
	str_ncpy(s->label, qq->info.label, sizeof(s->label));
}


/* Service level: answered within the threshold, of the calls that left
 * the queue today (answered, abandoned or overflowed); null before any. */
static json_t *service_level(const struct qqueue *qq)
{
	uint64_t done = qq->answered + qq->abandoned + qq->overflowed;

	if (!done)
		return json_null();

	return json_real((double)(qq->answered_in_sl * 1000 / done) / 10);
}


/** A queue's live figures, as GET /live/queues and queue.live show. */
json_t *queue_live_json(const struct qqueue *qq)
{
	struct qlive_snap s;
	uint64_t now = queue_now();
	uint64_t longest;

	snap_take(qq, &s);
	longest = s.oldest && now > s.oldest ? now - s.oldest : 0;

	return json_pack("{s:s, s:s, s:s, s:i, s:I, s:{s:i, s:i, s:i, s:i,"
			 " s:i}, s:I, s:I, s:I, s:I, s:I, s:o, s:i, s:i,"
			 " s:I}",
			 "queue_id", qq->info.queue_id, "name", qq->info.name,
			 "label", qq->info.label, "waiting", s.waiting,
			 "longest_wait_ms", (json_int_t)longest,
			 "agents",
			 "ready", s.by_state[ACD_READY],
			 "ringing", s.by_state[ACD_RINGING],
			 "on_call", s.by_state[ACD_ON_CALL],
			 "wrap_up", s.by_state[ACD_WRAP_UP],
			 "not_ready", s.by_state[ACD_NOT_READY],
			 "offered", (json_int_t)s.offered,
			 "answered", (json_int_t)s.answered,
			 "answered_in_sl", (json_int_t)s.answered_in_sl,
			 "abandoned", (json_int_t)s.abandoned,
			 "overflowed", (json_int_t)s.overflowed,
			 "service_level", service_level(qq),
			 "sl_threshold_s", (int)qq->info.sl_threshold_s,
			 "expected_wait_s",
			 (int)queue_expected_wait_s(qq->info.queue_id),
			 "at_ms", (json_int_t)clock_wall_ms());
}


static bool flush_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;
	struct qlive_snap s;

	(void)arg;
	snap_take(qq, &s);
	if (qq->live.pushed && !memcmp(&s, &qq->live.sent, sizeof(s)))
		return false;

	qq->live.sent = s;
	qq->live.pushed = true;
	(void)event_publish(qq->info.tenant_id, "queue.live",
			    queue_live_json(qq));

	return false;
}


static void flush(void *arg)
{
	(void)arg;

	lp.last_push = queue_now();
	if (!lp.dirty || !rt.queues)
		return;

	lp.dirty = false;
	day_check();
	(void)hash_apply(rt.queues, flush_queue, NULL);
}


/**
 * Something a queue tile shows may have changed (a call joined or left,
 * an agent's state moved). Cheap on purpose: the ACD calls it on every
 * operation.
 */
void queue_live_mark(void)
{
	uint64_t now, due;

	if (!lp.running)
		return;

	lp.dirty = true;
	if (tmr_isrunning(&lp.push_tmr))
		return;

	now = queue_now();
	due = lp.last_push + PUSH_MIN_MS;
	tmr_start(&lp.push_tmr, due > now ? due - now : 0, flush, NULL);
}


static struct qlive_bucket *bucket(struct qqueue *qq)
{
	uint64_t slot = (uint64_t)(clock_wall_ms() / BUCKET_MS);
	struct qlive_bucket *b = &qq->live.bktv[slot % QLIVE_BUCKETS];

	if (b->slot != slot) {
		memset(b, 0, sizeof(*b));
		b->slot = slot;
	}

	return b;
}


/** A call joined the queue (today's "offered"). */
void queue_live_joined(struct qqueue *qq)
{
	if (!qq)
		return;

	day_check();
	++qq->offered;
	++bucket(qq)->offered;
	queue_live_mark();
}


/** A call left the queue: answered (within the threshold?), abandoned,
 * or overflowed (max wait, empty, queue deleted). */
void queue_live_left(struct qqueue *qq, enum acd_left why,
		     uint64_t waited_ms)
{
	struct qlive_bucket *b;

	if (!qq)
		return;

	day_check();
	b = bucket(qq);
	if (why == ACD_LEFT_ANSWERED) {
		++qq->answered;
		++b->answered;
		if (waited_ms <= qq->info.sl_threshold_s * 1000ULL)
			++qq->answered_in_sl;
	}
	else if (why == ACD_LEFT_ABANDONED) {
		++qq->abandoned;
		++b->abandoned;
	}
	else {
		++qq->overflowed;
		++b->overflowed;
	}

	queue_live_mark();
}


/* --- waiting samples for the charts --------------------------------- */

static bool sample_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;
	const unsigned *idx = arg;
	struct acd_queue *q = acd_queue_find(rt.acd, qq->info.queue_id);
	struct acd_queue_stats st;

	acd_queue_stats(q, &st);
	qq->live.waitv[*idx] = st.waiting > 65535 ? 65535 :
		(uint16_t)st.waiting;

	return false;
}


static void sample(void *arg)
{
	unsigned idx = lp.nsamples % QLIVE_SAMPLES;

	(void)arg;
	tmr_start(&lp.sample_tmr, SAMPLE_MS, sample, NULL);
	if (!rt.queues || !rt.acd)
		return;

	day_check();      /* a quiet midnight still zeroes the tiles */
	if (lp.dirty)
		queue_live_mark();

	lp.sample_at[idx] = (uint64_t)clock_wall_ms();
	(void)hash_apply(rt.queues, sample_queue, &idx);
	++lp.nsamples;
}


/** Waiting samples kept (at most QLIVE_SAMPLES). */
unsigned queue_live_samples(void)
{
	return lp.nsamples < QLIVE_SAMPLES ? lp.nsamples : QLIVE_SAMPLES;
}


/**
 * The sample taken age samples ago (0: the newest): its wall ms, and
 * in *idxp its index into every queue's waitv.
 */
uint64_t queue_live_sample_at(unsigned age, unsigned *idxp)
{
	unsigned idx = (lp.nsamples - 1 - age) % QLIVE_SAMPLES;

	*idxp = idx;

	return lp.sample_at[idx];
}


/* --- today's counts from before this process ------------------------ */

static const char sql_today[] =
	"SELECT c.queue_id::text,"
	" (extract(epoch FROM c.queued_at) * 1000)::bigint / 300000,"
	" count(*),"
	" count(*) FILTER (WHERE c.queue_result = 'answered'),"
	" count(*) FILTER (WHERE c.queue_result = 'answered' AND"
	"  c.connected_at <= c.queued_at"
	"  + make_interval(secs => q.sl_threshold_s)),"
	" count(*) FILTER (WHERE c.queue_result = 'abandoned'),"
	" count(*) FILTER (WHERE c.queue_result IN"
	"  ('overflow', 'timeout', 'deleted'))"
	" FROM calls c JOIN queues q ON q.queue_id = c.queue_id"
	" WHERE c.queued_at >= to_timestamp($1::bigint / 1000.0)"
	"  AND c.queued_at < to_timestamp($2::bigint / 1000.0)"
	" GROUP BY 1, 2";


static uint64_t col(const struct db_res *res, unsigned row, unsigned c)
{
	const char *v = db_val(res, 0, row, c);

	return v ? strtoull(v, NULL, 10) : 0;
}


static void today_row(const struct db_res *res, unsigned row,
		      uint64_t cur_slot)
{
	struct qqueue *qq = qqueue_find(db_val(res, 0, row, 0));
	uint64_t slot = col(res, row, 1);
	struct qlive_bucket *b;

	if (!qq)
		return;

	qq->offered += col(res, row, 2);
	qq->answered += col(res, row, 3);
	qq->answered_in_sl += col(res, row, 4);
	qq->abandoned += col(res, row, 5);
	qq->overflowed += col(res, row, 6);
	if (slot + QLIVE_BUCKETS <= cur_slot || slot > cur_slot)
		return;

	b = &qq->live.bktv[slot % QLIVE_BUCKETS];
	if (b->slot != slot) {
		memset(b, 0, sizeof(*b));
		b->slot = slot;
	}
	b->offered += (uint32_t)col(res, row, 2);
	b->answered += (uint32_t)col(res, row, 3);
	b->abandoned += (uint32_t)col(res, row, 5);
	b->overflowed += (uint32_t)col(res, row, 6);
}


static void today_loaded(int err, const struct db_res *res, void *arg)
{
	int64_t day = (int64_t)(intptr_t)arg;
	uint64_t cur_slot = (uint64_t)(clock_wall_ms() / BUCKET_MS);
	unsigned i, n;

	if (err == ECANCELED || !lp.running)
		return;
	if (err) {
		log_warn("today's queue counts not loaded: %m", err);
		return;
	}

	day_check();
	if (day != lp.day)     /* midnight passed meanwhile */
		return;

	n = db_nrows(res, 0);
	for (i = 0; i < n; i++)
		today_row(res, i, cur_slot);

	log_info("today's queue counts loaded (%u rows)", n);
	lp.dirty = true;
	queue_live_mark();
}


/** The first load is done: add today's calls from before this start. */
void queue_live_loaded(void)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	char from[24], until[24];
	const char *pv[2];
	int64_t day;
	int err;

	if (!lp.running || !rt.app || !rt.app->db)
		return;

	day_check();
	day = lp.day;
	(void)re_snprintf(from, sizeof(from), "%lld",
			  (long long)(day * DAY_MS - DAY_OFFSET_MS));
	(void)re_snprintf(until, sizeof(until), "%lld",
			  (long long)lp.t0_ms);
	pv[0] = from;
	pv[1] = until;

	err = db_query(rt.app->db, &ctx, today_loaded,
		       (void *)(intptr_t)day, sql_today, 2, pv);
	if (err)
		log_warn("today's queue counts not asked for: %m", err);
}


int queue_live_init(void)
{
	memset(&lp, 0, sizeof(lp));
	tmr_init(&lp.push_tmr);
	tmr_init(&lp.sample_tmr);
	lp.t0_ms = clock_wall_ms();
	lp.day = local_day(lp.t0_ms);
	lp.running = true;
	tmr_start(&lp.sample_tmr, SAMPLE_MS, sample, NULL);

	return 0;
}


void queue_live_close(void)
{
	tmr_cancel(&lp.push_tmr);
	tmr_cancel(&lp.sample_tmr);
	lp.running = false;
}
