/* libFuzzer target: IVR flow JSON through validation, parse and a run. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include <re_main.h>
#include "core/clock.h"
#include "schedule/schedule.h"
#include "http/fetch.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seams: no database, no network, a fixed clock. */
int schedule_get(const char *tenant_id, const char *schedule_id,
		 schedule_h *h, void *arg)
{
	(void)tenant_id;
	(void)schedule_id;
	(void)h;
	(void)arg;
	return ENOENT;
}

bool schedule_open(const struct schedule *s, int64_t utc_ms)
{
	(void)s;
	return utc_ms & 1;
}

int64_t clock_wall_ms(void)
{
	return 1795000000001LL;
}

int fetch_start(struct fetch **fp, const struct fetch_req *r,
		fetch_h *h, void *arg)
{
	(void)fp;
	(void)r;
	(void)h;
	(void)arg;
	return ECONNREFUSED;
}

void fetch_close(void)
{
}

int ivr_region_lookup(struct app *app, const char *tenant_id,
		      const char *caller, ivr_region_h *h, void *arg)
{
	(void)app;
	(void)tenant_id;
	(void)caller;
	(void)h;
	(void)arg;
	return ENOENT;
}

static unsigned ops;

static int play(void *host, const char *const *refv, size_t refc,
		const char *lang, bool barge_in)
{
	(void)host;
	(void)refv;
	(void)refc;
	(void)lang;
	(void)barge_in;
	return ++ops % 7 == 0 ? EIO : 0;
}

static int act(void *host, const char *what)
{
	(void)host;
	(void)what;
	return ++ops % 3 == 0 ? ENOSYS : 0;
}

static void stop_play(void *host)
{
	(void)host;
}

static void end(void *host, const char *how)
{
	(void)host;
	(void)how;
}

static void emit(void *host, const char *type, json_t *data)
{
	(void)host;
	(void)type;
	json_decref(data);
}

static const struct ivr_host_ops fuzz_ops = {
	play, stop_play, act, act, act, end, emit,
};


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return libre_init();
}


/* Drive a valid flow with the input's bytes as the caller's actions. */
static void drive(struct ivr_flow *flow, const uint8_t *data, size_t size)
{
	struct ivr_run *run = NULL;
	json_t *vars = json_pack("{s:s}", "caller", "13800138000");

	if (ivr_run_alloc(&run, flow, &fuzz_ops, NULL, vars) == 0 &&
	    ivr_run_start(run) == 0) {
		for (size_t i = 0; i < size && i < 256; i++) {
			switch (data[i] % 4) {
			case 0:  ivr_run_played(run, data[i] & 4 ? EIO : 0);
				 break;
			case 1:  ivr_run_resume(run, data[i] & 4 ? EBUSY : 0);
				 break;
			default: ivr_run_digit(run, (char)data[i]);
				 break;
			}
		}
	}

	mem_deref(run);
	json_decref(vars);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ivr_check *c = NULL;
	struct ivr_flow *flow = NULL;
	json_error_t jerr;
	json_t *g, *errs;

	g = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
		       &jerr);
	if (!g)
		return 0;

	if (ivr_check_alloc(&c) == 0) {
		(void)ivr_validate(c, g);
		errs = ivr_check_errors_json(c);
		json_decref(errs);
		mem_deref(c);
	}

	if (ivr_flow_parse(&flow, g, "t", "f", 1) == 0) {
		drive(flow, data, size);
		mem_deref(flow);
	}

	json_decref(g);
	return 0;
}
