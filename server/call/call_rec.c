/* A call's recording: when the policy starts it, pause, resume, end. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/player.h"
#include "prompt/prompt.h"
#include "recording/rec_policy.h"
#include "recording/recording.h"
#include "call/call_int.h"

/*
 * The tap sits on the customer's port: left is what the customer says,
 * right is everything the customer hears (the agent, prompts, hold
 * music, a supervisor's barge; a whisper is not heard, not recorded).
 * The port exists from the IVR's start (inbound) or the callee's answer
 * (outbound) to the end of the call, so one recording covers transfers
 * and the survey.
 */


static void start(struct call *call, const struct rec_settings *s)
{
	struct recording_spec spec = {call->tenant_id, call->call_id,
				      leg_port(call->leg),
				      s->stereo ? 2 : 1};
	int err;

	if (call->rec || !spec.mp)
		return;

	err = recording_start(&call->rec, &spec);
	if (err) {
		log_error("%H: recording did not start: %m", call_debug, call,
			  err);
		return;
	}

	call_emit(call, "call.recording", json_pack("{s:s, s:s}",
		  "recording_id", recording_id(call->rec), "action",
		  "started"));
}


/**
 * The call's media just started (the IVR answers, or the outbound callee
 * answered). Recording starts now if the policy says "from the call".
 *
 * @return true if the caller should hear the recording notice first
 */
bool call_rec_begin(struct call *call)
{
	struct rec_settings s;
	const char *mode;

	if (!call)
		return false;

	rec_policy_settings(call->tenant_id, &s);
	mode = rec_policy_mode(&s, call->rec_number_mode, NULL);
	if (!rec_policy_records(mode, call->outbound))
		return false;

	if (s.from_call)
		start(call, &s);

	return s.notice;
}


/**
 * An agent answered (or, outbound, the callee did): recording starts
 * unless it runs or may not.
 *
 * @return true if it started now and the tenant wants the notice heard
 */
bool call_rec_answered(struct call *call, const char *queue_mode)
{
	struct rec_settings s;
	const char *mode;

	if (!call || call->rec || call->state == CALL_ENDED)
		return false;

	rec_policy_settings(call->tenant_id, &s);
	mode = rec_policy_mode(&s, call->rec_number_mode, queue_mode);
	if (!rec_policy_records(mode, call->outbound))
		return false;

	start(call, &s);

	return call->rec && s.notice;
}


/*
 * The notice on an outbound call, heard by both sides as they start to
 * talk. It owns itself until played: the call may end meanwhile (its
 * player keeps the mixer until then).
 */
struct notice {
	struct prompt_req *req;      /**< (ref) */
	struct player *pl;           /**< (ref) */
};


static void notice_destructor(void *arg)
{
	struct notice *n = arg;

	mem_deref(n->req);
	mem_deref(n->pl);
}


static void notice_played(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}


static void notice_loaded(int err, struct pcm *pcm, void *arg)
{
	struct notice *n = arg;

	err = err ? err : player_play(n->pl, &pcm, 1, false, notice_played,
				      n);
	if (err) {
		log_warn("recording notice not played: %m", err);
		mem_deref(n);
	}
}


/** Play the recording notice to the customer and the agent's port. */
void call_rec_notice(struct call *call, struct mport *agent)
{
	struct notice *n;
	int err;

	if (!call || !call->mixer || !call->leg)
		return;

	n = mem_zalloc(sizeof(*n), notice_destructor);
	if (!n)
		return;

	err = player_alloc(&n->pl, call->mixer, "notice");
	if (!err) {
		mport_hear(leg_port(call->leg), player_port(n->pl), true);
		mport_hear(agent, player_port(n->pl), true);
		err = prompt_load(&n->req, call->app, call->tenant_id,
				  "builtin/recording_notice", call->lang,
				  notice_loaded, n);
	}

	if (err) {
		log_warn("%H: recording notice not played: %m", call_debug,
			 call, err);
		mem_deref(n);
	}
}


/**
 * The agent pauses the recording for a sensitive moment (a card
 * number), or resumes it.
 *
 * @return 0 if success, ENOENT if not recorded, EALREADY if it was
 */
int call_rec_pause(struct call *call, bool paused)
{
	int err;

	if (!call || !call->rec)
		return ENOENT;

	err = recording_pause(call->rec, paused);
	if (!err)
		call_emit(call, "call.recording", json_pack("{s:s, s:s}",
			  "recording_id", recording_id(call->rec), "action",
			  paused ? "paused" : "resumed"));

	return err;
}


/** The caller is held or back: the recording keeps the spans. */
void call_rec_hold(struct call *call, bool held)
{
	if (call)
		recording_hold(call->rec, held);
}


/** The call ended: the recording is finished off the loop. */
void call_rec_end(struct call *call)
{
	if (!call || !call->rec)
		return;

	recording_stop(call->rec);
	call->rec = mem_deref(call->rec);
}
