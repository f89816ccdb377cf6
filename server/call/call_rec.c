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


/** An agent answered: recording starts unless it runs or may not. */
void call_rec_answered(struct call *call, const char *queue_mode)
{
	struct rec_settings s;
	const char *mode;

	if (!call || call->rec || call->state == CALL_ENDED)
		return;

	rec_policy_settings(call->tenant_id, &s);
	mode = rec_policy_mode(&s, call->rec_number_mode, queue_mode);
	if (rec_policy_records(mode, call->outbound))
		start(call, &s);
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
