/* The IVR side of a call: flow choice, the run, prompts into the mixer. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "core/clock.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/player.h"
#include "media/sipedge.h"
#include "ivr/ivr.h"
#include "prompt/prompt.h"
#include "telephony/telephony.h"
#include "call/call_int.h"
#include "call/call_moh.h"

/*
 * struct call_ivr is owned by the call (call->ivr). It holds the flow
 * version the call started with, the run, and the prompts being loaded
 * for the current play. Freeing it cancels everything: the run promises
 * no callback after mem_deref, pending prompt loads are cancelled, and
 * the player is the call's (freed in call_end).
 */
#define PLAY_MAX IVR_PROMPTS_MAX

struct play;

struct slot {
	struct play *pl;                 /**< (borrowed) */
	struct prompt_req *req;          /**< (ref) pending load */
};

struct play {
	struct call_ivr *ci;             /**< (borrowed) owner          */
	struct slot slotv[PLAY_MAX];
	struct pcm *pcmv[PLAY_MAX];      /**< (ref) loaded prompts      */
	size_t n;
	size_t pending;
	int err;
	call_play_h *doneh;
	void *arg;
};

struct call_ivr {
	struct call *call;               /**< (borrowed) owner          */
	struct ivr_flow *flow;           /**< (ref) the version it runs */
	struct ivr_run *run;             /**< (ref)                     */
	struct play *play;               /**< (ref) current play        */
	struct call_vm *vm;              /**< (ref) voicemail running   */
	struct tmr tmr;                  /**< reports a failed play     */
	int play_err;
	bool notice;                     /**< the recording notice plays */
};


static void play_destructor(void *arg)
{
	struct play *pl = arg;

	for (size_t i = 0; i < pl->n; i++) {
		mem_deref(pl->slotv[i].req);
		mem_deref(pl->pcmv[i]);
	}
}


static void ci_destructor(void *arg)
{
	struct call_ivr *ci = arg;

	tmr_cancel(&ci->tmr);
	call_vm_detach(ci->vm);
	mem_deref(ci->vm);
	mem_deref(ci->play);
	mem_deref(ci->run);
	mem_deref(ci->flow);
}


/* Flow choice: the call waits, unanswered, for its flow (h is given a
 * reference to the flow, which the call keeps). */
static void flow_ready(int err, struct ivr_flow *flow, void *arg)
{
	struct call *call = arg;
	struct call_ivr *ci;

	if (call->state != CALL_SETUP || !call->sc) {
		mem_deref(flow);
		mem_deref(call);
		return;
	}

	if (err || !flow) {
		log_warn("%H: no flow to answer it: %m", call_debug, call,
			 err ? err : ENOENT);
		call_count_rejected("no_flow");
		(void)sipcall_reject(call->sc, 480, "Temporarily Unavailable");
		call->sc = mem_deref(call->sc);
		call_set_disposition(call, "failed");
		call_end(call, "system", "no_flow");
		mem_deref(call);
		return;
	}

	ci = mem_zalloc(sizeof(*ci), ci_destructor);
	if (ci) {
		tmr_init(&ci->tmr);
		ci->call = call;
		ci->flow = flow;     /* the reference h was given */
		call->ivr = ci;
		str_ncpy(call->flow_id, ivr_flow_id(flow),
			 sizeof(call->flow_id));
		call_cdr_flow(call, call->flow_id,
			      (int)ivr_flow_version(flow));
		call_answer(call);
	}
	else {
		mem_deref(flow);
		call_end(call, "system", "error");
	}

	mem_deref(call);
}


/**
 * Choose the flow for the call's number (by schedule, at the engine's
 * clock) and answer once it is loaded.
 */
void call_ivr_prepare(struct call *call, const struct tel_number *num)
{
	struct call *ref = mem_ref(call);   /* for flow_ready */
	int err;

	err = ivr_flow_for_number(call->tenant_id, num->flow_id,
				  num->routes_json, clock_wall_ms(),
				  flow_ready, ref);
	if (err)
		flow_ready(err, NULL, ref);
}


/* --- playing prompts ------------------------------------------------ */

static void played(int err, void *arg)
{
	struct call_ivr *ci = arg;
	struct play *pl = ci->play;

	if (err == ECANCELED || !pl)
		return;     /* stopped on request: not reported */

	pl->doneh(err, pl->arg);
}


static void play_failed(void *arg)
{
	struct call_ivr *ci = arg;
	struct play *pl = ci->play;

	if (pl)
		pl->doneh(ci->play_err, pl->arg);
}


/* Every prompt is loaded (or one failed): play them, or report. */
static void play_start(struct play *pl)
{
	struct call_ivr *ci = pl->ci;
	struct call *call = ci->call;
	int err = pl->err;

	if (!err)
		err = player_play(call->player, pl->pcmv, pl->n, false,
				  played, ci);
	if (err) {
		log_warn("%H: prompt not played: %m", call_debug, call, err);
		ci->play_err = err;
		tmr_start(&ci->tmr, 0, play_failed, ci);
	}
}


static void loaded(int err, struct pcm *pcm, void *arg)
{
	struct slot *sl = arg;
	struct play *pl = sl->pl;
	size_t i = (size_t)(sl - pl->slotv);

	if (err)
		pl->err = pl->err ? pl->err : err;
	else
		pl->pcmv[i] = mem_ref(pcm);

	if (--pl->pending == 0)
		play_start(pl);
}


/**
 * Play prompt refs in order into the call's player (replacing what it
 * plays, hold music included); doneh gets 0 at the end or the error
 * that stopped it, never ECANCELED (a play replaced or stopped is not
 * reported).
 *
 * @return 0 if success, otherwise errorcode
 */
int call_play(struct call *call, const char *const *refv, size_t refc,
	      const char *lang, call_play_h *doneh, void *arg)
{
	struct call_ivr *ci = call ? call->ivr : NULL;
	struct play *pl;
	int err = 0;

	if (!ci || !call->player || !refc || refc > PLAY_MAX)
		return EINVAL;

	call_moh_stop(call);
	player_stop(call->player);
	tmr_cancel(&ci->tmr);
	ci->play = mem_deref(ci->play);

	pl = mem_zalloc(sizeof(*pl), play_destructor);
	if (!pl)
		return ENOMEM;

	pl->ci = ci;
	pl->n = refc;
	pl->pending = refc;
	pl->doneh = doneh;
	pl->arg = arg;
	ci->play = pl;

	for (size_t i = 0; i < refc && !err; i++) {
		pl->slotv[i].pl = pl;
		err = prompt_load(&pl->slotv[i].req, call->app,
				  call->tenant_id, refv[i],
				  lang && lang[0] ? lang : call->lang,
				  loaded, &pl->slotv[i]);
	}

	if (err)
		ci->play = mem_deref(ci->play);

	return err;
}


static void run_played(int err, void *arg)
{
	struct call_ivr *ci = arg;

	ivr_run_played(ci->run, err);
}


static int op_play(void *host, const char *const *refv, size_t refc,
		   const char *lang, bool barge_in)
{
	struct call_ivr *ci = host;

	(void)barge_in;     /* the run stops the play on a digit */

	return call_play(ci->call, refv, refc, lang, run_played, ci);
}


/** Stop what the call's player plays; not reported. */
void call_play_stop(struct call *call)
{
	struct call_ivr *ci = call ? call->ivr : NULL;

	if (!ci)
		return;

	call_moh_stop(call);
	tmr_cancel(&ci->tmr);
	ci->play = mem_deref(ci->play);
	player_stop(call->player);
}


static void op_stop_play(void *host)
{
	struct call_ivr *ci = host;

	call_play_stop(ci->call);
}


static int op_voicemail(void *host, const char *box)
{
	struct call_ivr *ci = host;

	if (ci->vm)
		return EBUSY;

	return call_vm_start(&ci->vm, ci->call, box);
}


static int op_transfer(void *host, const char *number)
{
	struct call_ivr *ci = host;

	return call_transfer(ci->call, number);
}


static int op_queue(void *host, const char *queue)
{
	struct call_ivr *ci = host;

	return call_queue_join(ci->call, queue);
}


/* The IVR is over: a hangup node ends the call; after a transfer the
 * call goes on, bridged, until either side hangs up. */
static void op_end(void *host, const char *how)
{
	struct call_ivr *ci = host;

	if (how && !strcmp(how, "transferred") && ci->call->xfer)
		return;
	if (how && !strcmp(how, "queued") && call_queue_keeps(ci->call))
		return;

	call_end(ci->call, "system", how && !strcmp(how, "hangup") ?
		 "ivr_hangup" : how ? how : "ivr_end");
}


/* The nodes a call went through, kept for the agent's screen pop (the
 * CDR keeps them too, capped alike). */
static void call_ivr_path_add(struct call *call, const char *node)
{
	if (!call->ivr_path)
		call->ivr_path = json_array();
	if (call->ivr_path && json_array_size(call->ivr_path) < 200)
		(void)json_array_append_new(call->ivr_path, json_string(node));
}


static void op_emit(void *host, const char *type, json_t *data)
{
	struct call_ivr *ci = host;
	const char *node;

	if (data && !strcmp(type, "ivr.node")) {
		node = json_string_value(json_object_get(data, "node"));
		if (node)
			call_cdr_ivr_node(ci->call, node);
		if (node)
			call_ivr_path_add(ci->call, node);
	}

	call_emit(ci->call, type, data);
}


static const struct ivr_host_ops ops = {
	.play = op_play,
	.stop_play = op_stop_play,
	.voicemail = op_voicemail,
	.transfer = op_transfer,
	.queue = op_queue,
	.end = op_end,
	.emit = op_emit,
};


static int media_setup(struct call *call)
{
	int err;

	err = mixer_alloc(&call->mixer);
	err = err ? err : player_alloc(&call->player, call->mixer, "ivr");
	err = err ? err : leg_attach(call->leg, call->mixer);
	if (err)
		return err;

	mport_hear(leg_port(call->leg), player_port(call->player), true);

	return 0;
}


/**
 * The caller is connected (ACK): set up the mixer and run the flow.
 *
 * @return 0 if success, otherwise errorcode (the call is ended)
 */
static int run_start(struct call_ivr *ci)
{
	struct call *call = ci->call;
	int err = ivr_run_start(ci->run);

	if (err) {
		log_warn("%H: IVR did not start: %m", call_debug, call, err);
		call_set_disposition(call, "failed");
		call_end(call, "system", "ivr_error");
	}

	return err;
}


/* The recording notice is over (or could not play): the flow begins. */
static void notice_done(int err, void *arg)
{
	struct call_ivr *ci = arg;

	if (err)
		log_warn("%H: recording notice not played: %m", call_debug,
			 ci->call, err);
	ci->notice = false;
	(void)run_start(ci);
}


int call_ivr_start(struct call *call)
{
	static const char *const notice[] = {"builtin/recording_notice"};
	struct call_ivr *ci = call->ivr;
	json_t *vars;
	int err;

	if (!ci)
		return EINVAL;

	vars = json_pack("{s:s, s:s, s:s}", "caller", call->caller,
			 "number", call->number, "call_id", call->call_id);
	err = media_setup(call);
	err = err ? err : ivr_run_alloc(&ci->run, ci->flow, &ops, ci, vars);
	json_decref(vars);
	if (err) {
		log_warn("%H: IVR did not start: %m", call_debug, call, err);
		call_set_disposition(call, "failed");
		call_end(call, "system", "ivr_error");
		return err;
	}

	ivr_run_set_app(ci->run, call->app);
	ivr_run_set_lookup_timeout(ci->run, call->app->cfg.lookup_timeout_ms);

	/* the caller hears that the call is recorded before anything else */
	if (call_rec_begin(call) &&
	    !call_play(call, notice, 1, NULL, notice_done, ci)) {
		ci->notice = true;
		return 0;
	}

	return run_start(ci);
}


/** A DTMF digit from the caller's leg. */
void call_ivr_dtmf(struct call *call, char digit)
{
	struct call_ivr *ci = call ? call->ivr : NULL;

	if (!ci || call->state != CALL_LIVE || ci->notice)
		return;

	if (ci->vm && call_vm_digit(ci->vm, digit))
		return;
	if (call_queue_digit(call, digit))
		return;

	ivr_run_digit(ci->run, digit);
}


/** A transfer finished: 0 bridged, otherwise why it failed. */
void call_ivr_resume(struct call *call, int err)
{
	struct call_ivr *ci = call ? call->ivr : NULL;

	if (ci)
		ivr_run_resume(ci->run, err);
}


/** The voicemail finished (0: kept or nothing to keep): go on. */
void call_ivr_vm_done(struct call *call, int err)
{
	struct call_ivr *ci = call ? call->ivr : NULL;

	if (!ci)
		return;

	ci->vm = mem_deref(ci->vm);
	ivr_run_resume(ci->run, err);
}


/** Leave a voicemail in box now (a queue's overflow); the run goes on
 * as after a voicemail node when it is over. */
int call_ivr_voicemail(struct call *call, const char *box)
{
	struct call_ivr *ci = call ? call->ivr : NULL;

	return ci ? op_voicemail(ci, box) : EINVAL;
}


/** Continue the waiting run at node_id (a queue's overflow). */
int call_ivr_jump(struct call *call, const char *node_id)
{
	struct call_ivr *ci = call ? call->ivr : NULL;

	return ci ? ivr_run_jump(ci->run, node_id) : EINVAL;
}


/** A variable of the call's IVR run (NULL when unset or no run). */
/** The flow's variables as a JSON object (new reference), or NULL. */
json_t *call_ivr_vars(const struct call *call)
{
	const struct call_ivr *ci = call ? call->ivr : NULL;

	return ci && ci->run ? ivr_run_vars(ci->run) : NULL;
}


const char *call_ivr_var(const struct call *call, const char *name)
{
	const struct call_ivr *ci = call ? call->ivr : NULL;

	return ci && ci->run ? ivr_run_var(ci->run, name) : NULL;
}
