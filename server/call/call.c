/* The call object: registry, lifetime, events, the end of a call. */
#include <string.h>
#include <sys/resource.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include <re_main.h>
#include <re_sa.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "core/uuid.h"
#include "core/clock.h"
#include "event/event.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/player.h"
#include "media/sipedge.h"
#include "media/mtick.h"
#include "media/offload.h"
#include "media/rtpsend.h"
#include "worker/worker.h"
#include "telephony/telephony.h"
#include "crm/screenpop.h"
#include "call/call_store.h"
#include "call/call.h"
#include "call/call_int.h"
#include "call/call_moh.h"

/*
 * The registry owns every live call (one reference, dropped when the
 * call ends). Whatever else holds a call — the SIP edge's handlers, the
 * IVR run, a pending flow lookup — holds its own reference or is
 * cancelled in call_end(), so a call is freed once nothing can reach it.
 * The call's store keeps itself alive until its last row is written.
 */
static struct {
	struct hash *calls;              /**< owning: live calls by id */
	unsigned active;
	uint64_t started;
	struct tmr drain_tmr;
	uint64_t drain_until;
	void (*drainedh)(void *arg);
	void *drain_arg;
} reg;

/* Stop waiting for call records to land after this long at shutdown. */
#define DRAIN_MAX_MS 3000


static void destructor(void *arg)
{
	struct call *call = arg;

	mem_deref(call->cq);
	mem_deref(call->ivr);
	mem_deref(call->xfer);
	mem_deref(call->consult);
	mem_deref(call->out);
	mem_deref(call->player);
	mem_deref(call->leg);
	mem_deref(call->mixer);
	mem_deref(call->sc);
	mem_deref(call->adm);
	mem_deref(call->trunk);
	mem_deref(call->store);
	json_decref(call->ivr_path);
	screenpop_cancel(call->pop);
	json_decref(call->customer);
}


/** Wall-clock time in ms (honours the configured clock offset). */
uint64_t call_now_ms(void)
{
	return clock_wall_ms();
}


/* Fill in what every call has, before its kind adds the rest. */
static struct call *call_new(struct app *app, const struct tel_number *num,
			     const struct tel_trunk *trunk)
{
	struct call *call = mem_zalloc(sizeof(*call), destructor);

	if (!call)
		return NULL;

	call->app = app;
	uuid_v4(call->call_id);
	str_ncpy(call->tenant_id, num->tenant_id, sizeof(call->tenant_id));
	str_ncpy(call->number_id, num->number_id, sizeof(call->number_id));
	str_ncpy(call->number, num->number, sizeof(call->number));
	str_ncpy(call->number_label, num->label, sizeof(call->number_label));
	str_ncpy(call->rec_number_mode, num->recording,
		 sizeof(call->rec_number_mode));
	str_ncpy(call->lang, "zh-CN", sizeof(call->lang));
	if (trunk) {
		str_ncpy(call->trunk_id, trunk->trunk_id,
			 sizeof(call->trunk_id));
	}
	call->t_start = call_now_ms();

	return call;
}


/* Register the call and queue its CDR row. */
static int call_register(struct call *call, struct call **callp)
{
	int err = call_store_alloc(&call->store, call->app->db,
				   call->tenant_id, call->call_id);

	if (err) {
		mem_deref(call);
		return err;
	}

	hash_append(reg.calls, hash_joaat_str(call->call_id), &call->le,
		    call);
	++reg.active;
	++reg.started;

	call_cdr_start(call);
	*callp = call;

	return 0;
}


/**
 * Create a call for an admitted INVITE and register it. The CDR row is
 * queued at once.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_alloc(struct call **callp, struct app *app,
	       const struct tel_number *num, const struct tel_trunk *trunk,
	       const char *caller, const char *sip_call_id)
{
	struct call *call;

	if (!callp || !app || !num || !reg.calls)
		return EINVAL;

	call = call_new(app, num, trunk);
	if (!call)
		return ENOMEM;

	str_ncpy(call->caller, caller ? caller : "", sizeof(call->caller));
	str_ncpy(call->sip_call_id, sip_call_id ? sip_call_id : "",
		 sizeof(call->sip_call_id));

	return call_register(call, callp);
}


/**
 * Create an agent's outbound call (click-to-dial) from the tenant's
 * number num to callee through trunk, and register it.
 */
int call_alloc_out(struct call **callp, struct app *app,
		   const struct tel_number *num, const struct tel_trunk *trunk,
		   const char *callee, const char *agent_id)
{
	struct call *call;

	if (!callp || !app || !num || !callee || !agent_id || !reg.calls)
		return EINVAL;

	call = call_new(app, num, trunk);
	if (!call)
		return ENOMEM;

	call->outbound = true;
	str_ncpy(call->caller, num->number, sizeof(call->caller));
	str_ncpy(call->callee, callee, sizeof(call->callee));
	str_ncpy(call->agent_id, agent_id, sizeof(call->agent_id));

	return call_register(call, callp);
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct call *call = le->data;

	return !strcmp(call->call_id, arg);
}


/** The live call with this id, or NULL (borrowed). */
struct call *call_find(const char *call_id)
{
	struct le *le;

	if (!reg.calls || !call_id)
		return NULL;

	le = hash_lookup(reg.calls, hash_joaat_str(call_id), id_cmp,
			 (void *)call_id);

	return le ? le->data : NULL;
}


/**
 * The call in progress with this id in tenant_id, or NULL: another
 * tenant's call is as unknown as none (borrowed).
 */
struct call *call_find_live(const char *tenant_id, const char *call_id)
{
	struct call *call = call_find(call_id);

	if (!call || !tenant_id || strcmp(call->tenant_id, tenant_id) ||
	    call->state == CALL_ENDED)
		return NULL;

	return call;
}


/**
 * Emit one event of this call: to the bus (WebSocket, later webhooks)
 * and to the call's timeline in the database, in order.
 *
 * @param data  Event payload; the reference is taken. call_id is added.
 */
void call_emit(struct call *call, const char *type, json_t *data)
{
	struct event *ev = NULL;
	char *text;

	if (!data)
		data = json_object();
	if (!call || !data) {
		json_decref(data);
		return;
	}

	(void)json_object_set_new(data, "call_id",
				  json_string(call->call_id));
	text = json_dumps(data, JSON_COMPACT);
	(void)event_create(&ev, call->tenant_id, type, data);
	if (text) {
		call_cdr_event(call, ++call->seq, type, text, ev);
		free(text);  /* ccheck: foreign */
	}

	event_dispatch(ev);
	mem_deref(ev);
}


void call_set_disposition(struct call *call, const char *disposition)
{
	if (call && !call->disposition[0])
		str_ncpy(call->disposition, disposition,
			 sizeof(call->disposition));
}


/**
 * End the call: stop its media and IVR, complete the CDR, emit
 * call.ended and release the registry's reference. Safe to call twice.
 *
 * @param side   "caller", "system" or "agent"
 * @param cause  Why, e.g. "bye", "cancel", "rtp_timeout", "hangup_node"
 */
void call_end(struct call *call, const char *side, const char *cause)
{
	json_t *data;

	if (!call || call->state == CALL_ENDED)
		return;

	call->state = CALL_ENDED;
	call->t_end = call_now_ms();
	call_set_disposition(call, call->t_answer ? "completed" :
			     "abandoned");
	call_monitor_end_all(call);
	call_queue_end(call);
	call_rec_end(call);

	call->ivr = mem_deref(call->ivr);
	call->xfer = mem_deref(call->xfer);
	call->consult = mem_deref(call->consult);
	call->out = mem_deref(call->out);
	call->player = mem_deref(call->player);
	if (call->sc) {
		sipcall_hangup(call->sc, 480, NULL);
		call->sc = mem_deref(call->sc);
	}
	call->leg = mem_deref(call->leg);
	call->mixer = mem_deref(call->mixer);
	call->adm = mem_deref(call->adm);

	call_cdr_end(call, side, cause);
	data = json_pack("{s:s, s:s, s:s, s:I}", "disposition",
			 call->disposition, "hangup_side", side,
			 "hangup_cause", cause, "duration_ms",
			 (json_int_t)(call->t_end - call->t_start));
	call_emit(call, "call.ended", data);

	call_count_ended(call->disposition);
	log_info("%H ended: %s by %s (%s)", call_debug, call,
		 call->disposition, side, cause);

	--reg.active;
	hash_unlink(&call->le);
	mem_deref(call);
}


int call_debug(struct re_printf *pf, const struct call *call)
{
	if (!call)
		return 0;

	return re_hprintf(pf, "call %s tenant %s number %s caller %s",
			  call->call_id, call->tenant_id, call->number,
			  call->caller);
}


void call_totals_get(struct call_totals *t)
{
	if (!t)
		return;

	t->active = reg.active;
	t->started = reg.started;
	t->rejected = 0;
}


static bool end_one(struct le *le, void *arg)
{
	(void)arg;
	call_end(le->data, "system", "shutdown");
	return false;
}


/** Hang up every live call (the process is stopping). */
void call_shutdown(void)
{
	if (reg.calls)
		(void)hash_apply(reg.calls, end_one, NULL);
}


static int offload_submit(offload_work_h *work, offload_done_h *done,
			  void *arg, void *hook_arg)
{
	struct app *app = hook_arg;

	return worker_submit(app->workers, work, done, arg);
}


/* One RTP socket per leg: let the loop watch many descriptors. */
static int fds_setup(void)
{
	struct rlimit rl;
	rlim_t want = 65536;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		if (rl.rlim_cur < want) {
			rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < want)
			want = rl.rlim_cur;
	}

	return fd_setsize((int)want);
}


/**
 * Start taking calls: descriptors, the media tick and its RTP sender,
 * the registry, then the SIP edge.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_init(struct app *app)
{
	int err;

	err = fds_setup();
	err = err ? err : mtick_init();
	err = err ? err : rtpsend_init();
	if (err)
		return err;

	offload_set(offload_submit, app);
	tmr_init(&reg.drain_tmr);
	if (!reg.calls) {
		err = hash_alloc(&reg.calls, 1024);
		if (err)
			return err;
	}

	call_metrics_init();
	call_moh_init();
	call_queue_host_init();
	call_cdr_close_stale(app);

	return call_sip_init(app);
}


/* Work of ended calls still on its way: records, voicemail encoding. */
static bool draining_work(struct app *app)
{
	return call_store_busy() || worker_pending(app->workers);
}


static void drain_poll(void *arg)
{
	struct app *app = arg;

	if (draining_work(app) && tmr_jiffies() < reg.drain_until) {
		tmr_start(&reg.drain_tmr, 20, drain_poll, app);
		return;
	}

	if (draining_work(app))
		log_warn("stopping with %u call records unwritten and %u "
			 "jobs (voicemail) unfinished", call_store_busy(),
			 worker_pending(app->workers));
	reg.drainedh(reg.drain_arg);
}


/**
 * The process stops: hang up every call, stop SIP, and call drainedh
 * once the calls' records are in the database (or after a bound).
 */
void call_drain(struct app *app, void (*drainedh)(void *arg), void *arg)
{
	call_shutdown();
	call_sip_shutdown();
	reg.drainedh = drainedh;
	reg.drain_arg = arg;
	reg.drain_until = tmr_jiffies() + DRAIN_MAX_MS;
	drain_poll(app);
}


void call_close(void)
{
	call_shutdown();
	call_sip_close();
	tmr_cancel(&reg.drain_tmr);
	call_cdr_close();
	call_moh_close();
	reg.calls = mem_deref(reg.calls);
	mtick_close();
	rtpsend_close();
	offload_set(NULL, NULL);
}
