/* The voicemail node: greeting, beep, record the caller, keep it. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/recorder.h"
#include "voicemail/voicemail.h"
#include "call/call_int.h"

/*
 * Recording stops on '#', after SILENCE_STOP_MS of silence, at the box's
 * maximum length, or when the caller hangs up — the usual end of a
 * message, so a hang-up must still keep it. The call owns the call_vm;
 * when the call goes away first, call_vm_detach() lets the recording
 * finish on its own: the object then holds a reference to itself until
 * the message is kept.
 */
enum {
	SILENCE_STOP_MS = 5000,
	POLL_MS = 200,
};

enum vm_state {
	VM_LOOKUP = 0,     /**< finding the box            */
	VM_GREETING,       /**< greeting and beep playing  */
	VM_RECORDING,
	VM_KEEPING,        /**< file finishing, row going in */
	VM_DONE,
};

struct call_vm {
	struct call *call;           /**< (borrowed) NULL once detached */
	struct app *app;             /**< (borrowed) */
	enum vm_state state;
	char tenant_id[37];
	char call_id[37];
	char caller[65];
	char number[33];
	char box[80];
	char path[600];
	uint32_t max_ms;
	struct recorder *rec;        /**< (ref) */
	struct tmr tmr;
	bool self_ref;
};

static void stop(struct call_vm *vm);


static void destructor(void *arg)
{
	struct call_vm *vm = arg;

	tmr_cancel(&vm->tmr);
	mem_deref(vm->rec);
}


static void finish(struct call_vm *vm, int err)
{
	struct call *call = vm->call;

	vm->state = VM_DONE;
	if (vm->self_ref) {
		vm->self_ref = false;
		mem_deref(vm);     /* may free vm when detached */
		if (!call)
			return;
	}

	if (call)
		call_ivr_vm_done(call, err);
}


static void kept(int err, const char *message_id, void *arg)
{
	struct call_vm *vm = arg;

	if (err == ENODATA)
		log_info("voicemail for %s from %s: too short, not kept",
			 vm->number, vm->caller);
	else if (err)
		log_warn("voicemail for %s from %s not kept: %m", vm->number,
			 vm->caller, err);
	else
		log_info("voicemail %s kept for %s", message_id, vm->number);

	finish(vm, err == ENODATA ? 0 : err);
}


static void rec_done(int err, uint32_t duration_ms, void *arg)
{
	struct call_vm *vm = arg;
	struct voicemail_new m;

	if (err) {
		log_warn("voicemail recording %s failed: %m", vm->path, err);
		finish(vm, err);
		return;
	}

	memset(&m, 0, sizeof(m));
	m.tenant_id = vm->tenant_id;
	m.box = vm->box;
	m.call_id = vm->call_id;
	m.caller = vm->caller;
	m.number = vm->number;
	m.wav_path = vm->path;
	m.duration_ms = duration_ms;

	err = voicemail_keep(vm->app, &m, kept, vm);
	if (err) {
		log_warn("voicemail not kept: %m", err);
		(void)unlink(vm->path);
		finish(vm, err);
	}
}


static void stop(struct call_vm *vm)
{
	int err;

	if (vm->state != VM_RECORDING)
		return;

	tmr_cancel(&vm->tmr);
	vm->state = VM_KEEPING;
	if (!vm->self_ref) {
		mem_ref(vm);
		vm->self_ref = true;
	}

	err = recorder_close(vm->rec, rec_done, vm);
	if (err)
		rec_done(err, 0, vm);
}


static void poll_tmr(void *arg)
{
	struct call_vm *vm = arg;

	if (recorder_full(vm->rec) ||
	    recorder_silence_ms(vm->rec) >= SILENCE_STOP_MS) {
		stop(vm);
		return;
	}

	tmr_start(&vm->tmr, POLL_MS, poll_tmr, vm);
}


static int record_start(struct call_vm *vm)
{
	struct call *call = vm->call;
	char dir[512];
	int err;

	(void)re_snprintf(dir, sizeof(dir), "%s/voicemail",
			  vm->app->cfg.var_dir);
	(void)mkdir(dir, 0750);
	(void)re_snprintf(dir, sizeof(dir), "%s/voicemail/tmp",
			  vm->app->cfg.var_dir);
	(void)mkdir(dir, 0750);
	(void)re_snprintf(vm->path, sizeof(vm->path), "%s/%s.wav", dir,
			  vm->call_id);

	err = recorder_alloc(&vm->rec, call->mixer, vm->path, vm->max_ms);
	if (err)
		return err;

	mport_hear(recorder_port(vm->rec), leg_port(call->leg), true);
	vm->state = VM_RECORDING;
	call_set_disposition(call, "voicemail");
	tmr_start(&vm->tmr, POLL_MS, poll_tmr, vm);

	return 0;
}


static void greeted(int err, void *arg)
{
	struct call_vm *vm = arg;

	if (vm->state != VM_GREETING || !vm->call)
		return;

	err = err ? err : record_start(vm);
	if (err) {
		log_warn("%H: voicemail not recorded: %m", call_debug,
			 vm->call, err);
		finish(vm, err);
	}
}


static void box_found(int err, const struct voicemail_box *box, void *arg)
{
	struct call_vm *vm = arg;
	const char *refv[2];

	if (!vm->call || vm->state != VM_LOOKUP) {
		mem_deref(vm);
		return;
	}

	if (!err) {
		str_ncpy(vm->box, box->box_id, sizeof(vm->box));
		vm->max_ms = box->max_ms;
		refv[0] = box->greeting[0] ? box->greeting :
			VOICEMAIL_GREETING_DEFAULT;
		refv[1] = "builtin/beep";
		vm->state = VM_GREETING;
		err = call_play(vm->call, refv, 2, NULL, greeted, vm);
	}

	if (err) {
		log_warn("%H: voicemail box %s: %m", call_debug, vm->call,
			 vm->box, err);
		finish(vm, err);
	}

	mem_deref(vm);
}


/**
 * Start the voicemail node for the call: box lookup, greeting, beep,
 * recording. The outcome comes back through call_ivr_vm_done().
 *
 * @return 0 if success, otherwise errorcode
 */
int call_vm_start(struct call_vm **vmp, struct call *call, const char *box)
{
	struct call_vm *vm;
	int err;

	if (!vmp || !call || !box)
		return EINVAL;

	vm = mem_zalloc(sizeof(*vm), destructor);
	if (!vm)
		return ENOMEM;

	vm->call = call;
	vm->app = call->app;
	tmr_init(&vm->tmr);
	str_ncpy(vm->tenant_id, call->tenant_id, sizeof(vm->tenant_id));
	str_ncpy(vm->call_id, call->call_id, sizeof(vm->call_id));
	str_ncpy(vm->caller, call->caller, sizeof(vm->caller));
	str_ncpy(vm->number, call->number, sizeof(vm->number));
	str_ncpy(vm->box, box, sizeof(vm->box));

	err = voicemail_box_find(call->app, call->tenant_id, box, box_found,
				 mem_ref(vm));
	if (err) {
		mem_deref(vm);
		mem_deref(vm);
		return err;
	}

	*vmp = vm;
	return 0;
}


/** A digit while the voicemail runs: '#' ends the recording. */
bool call_vm_digit(struct call_vm *vm, char digit)
{
	if (!vm || vm->state == VM_DONE)
		return false;

	if (vm->state == VM_RECORDING && digit == '#')
		stop(vm);

	return vm->state != VM_LOOKUP;
}


/** The call is going away: finish the recording without it. */
void call_vm_detach(struct call_vm *vm)
{
	if (!vm)
		return;

	stop(vm);
	vm->call = NULL;
}
