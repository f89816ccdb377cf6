/*
 * Hold music as shared streams: one per tenant, music and language,
 * heard by every caller waiting on it (joining mid-song), so the music
 * is read and encoded once per tick instead of once per caller.
 */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "metrics/metrics.h"
#include "prompt/prompt.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/mstream.h"
#include "call/call_int.h"
#include "call/call_moh.h"

#define MOH_DEFAULT "builtin/hold"

/*
 * The registry owns its entries; each entry holds a reference to its
 * stream and every listening port another. An entry whose stream only
 * the registry still holds is freed at the next listen or stop (never
 * while its music loads: the load's handler points at it).
 */
struct moh {
	struct le le;                /**< in mohl                       */
	struct mstream *ms;          /**< (ref)                         */
	struct prompt_req *req;      /**< (ref) while the music loads   */
	struct app *app;             /**< (borrowed)                    */
	char tenant_id[37];
	char ref[81];                /**< the music asked for (the key) */
	char lang[8];
	bool fallback;               /**< plays the built-in instead    */
};

static struct list mohl;
static struct metric *streams_m;
static struct metric *listeners_m;


static void moh_destructor(void *arg)
{
	struct moh *m = arg;

	list_unlink(&m->le);
	mem_deref(m->req);
	mem_deref(m->ms);
}


static void prune(void)
{
	struct le *le = mohl.head;

	while (le) {
		struct moh *m = le->data;

		le = le->next;
		if (!m->req && mem_nrefs(m->ms) == 1)
			mem_deref(m);
	}
}


static void loaded(int err, struct pcm *pcm, void *arg);


static int load(struct moh *m)
{
	return prompt_load(&m->req, m->app, m->tenant_id,
			   m->fallback ? MOH_DEFAULT : m->ref, m->lang,
			   loaded, m);
}


/* A tenant's music that cannot be played falls back to the built-in;
 * the stream stays, so its listeners hear the fallback at once. */
static void loaded(int err, struct pcm *pcm, void *arg)
{
	struct moh *m = arg;

	if (!err)
		err = mstream_play(m->ms, &pcm, 1);
	m->req = mem_deref(m->req);   /* after: it holds pcm */
	if (!err || err == ECANCELED)
		return;

	log_warn("tenant %s: hold music %s: %m", m->tenant_id,
		 m->fallback ? MOH_DEFAULT : m->ref, err);
	if (m->fallback || !strcmp(m->ref, MOH_DEFAULT))
		return;

	m->fallback = true;
	if (load(m))
		m->req = mem_deref(m->req);
}


static struct moh *find(const struct call *call, const char *ref)
{
	struct le *le;

	for (le = mohl.head; le; le = le->next) {
		struct moh *m = le->data;

		if (!strcmp(m->tenant_id, call->tenant_id) &&
		    !strcmp(m->ref, ref) && !strcmp(m->lang, call->lang))
			return m;
	}

	return NULL;
}


static int moh_get(struct moh **mp, struct call *call, const char *ref)
{
	struct moh *m;
	int err;

	m = find(call, ref);
	if (m) {
		*mp = m;
		return 0;
	}

	m = mem_zalloc(sizeof(*m), moh_destructor);
	if (!m)
		return ENOMEM;

	m->app = call->app;
	str_ncpy(m->tenant_id, call->tenant_id, sizeof(m->tenant_id));
	str_ncpy(m->ref, ref, sizeof(m->ref));
	str_ncpy(m->lang, call->lang, sizeof(m->lang));
	list_append(&mohl, &m->le, m);

	err = mstream_alloc(&m->ms, m->ref);
	if (!err && load(m)) {
		m->fallback = true;
		err = load(m);
	}
	if (err)
		mem_deref(m);
	else
		*mp = m;

	return err;
}


/**
 * The caller hears the hold music ref (NULL or "": the built-in) as the
 * bed of its leg: whenever nothing else of the call speaks to it, which
 * is what lets a prompt interrupt and the music come back by itself.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_moh_listen(struct call *call, const char *ref)
{
	return call_moh_port(call, call ? leg_port(call->leg) : NULL, ref);
}


/**
 * Another port of the call hears the hold music ref as its bed (the
 * agent whose consultation waits in a queue hears that queue's music).
 *
 * @return 0 if success, otherwise errorcode
 */
int call_moh_port(struct call *call, struct mport *mp, const char *ref)
{
	struct moh *m = NULL;
	int err;

	if (!call || !mp)
		return EINVAL;

	prune();
	err = moh_get(&m, call, ref && ref[0] ? ref : MOH_DEFAULT);
	if (!err)
		mport_bed(mp, m->ms);

	return err;
}


/** The caller's hold music stops (answered, left, hung up). */
void call_moh_stop(struct call *call)
{
	call_moh_port_stop(call ? leg_port(call->leg) : NULL);
}


/** The port's hold music stops. */
void call_moh_port_stop(struct mport *mp)
{
	if (!mp || !mport_bed_get(mp))
		return;

	mport_bed(mp, NULL);
	prune();
}


static void collect(void *arg)
{
	size_t listeners = 0;
	struct le *le;
	(void)arg;

	for (le = mohl.head; le; le = le->next) {
		const struct moh *m = le->data;

		listeners += mem_nrefs(m->ms) - 1;
	}

	metric_set(streams_m, NULL, (double)list_count(&mohl));
	metric_set(listeners_m, NULL, (double)listeners);
}


/** Metrics of the shared streams. */
void call_moh_init(void)
{
	if (streams_m)
		return;

	streams_m = metric_gauge("openseat_hold_streams",
				 "Shared hold music streams (one per "
				 "tenant, music and language in use).");
	listeners_m = metric_gauge("openseat_hold_listeners",
				   "Callers hearing a shared hold music "
				   "stream.");
	(void)metrics_on_collect(collect, NULL);
}


/** Free every stream (shutdown: the calls are gone). */
void call_moh_close(void)
{
	list_flush(&mohl);
}
