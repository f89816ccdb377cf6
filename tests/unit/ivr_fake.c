/* Test helper: a fake call engine (host) for the IVR interpreter. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include <re_main.h>
#include "ivr_fake.h"
#include "loop.h"

static struct tmr play_tmr, resume_tmr, poll_tmr;


static void logf_(struct fake *f, const char *s)
{
	size_t n = strlen(f->log);

	if (f->freed)
		f->ops_after_free++;
	str_ncpy(f->log + n, s, sizeof(f->log) - n);
}


static bool take_free(struct fake *f, const char *op)
{
	if (!f->free_in || strcmp(f->free_in, op))
		return false;

	f->run = mem_deref(f->run);
	f->freed = true;
	f->free_in = NULL;
	return true;
}


static void played_h(void *arg)
{
	struct fake *f = arg;

	if (f->run)
		ivr_run_played(f->run, 0);
}


static void resume_h(void *arg)
{
	struct fake *f = arg;

	if (f->run)
		ivr_run_resume(f->run, f->resume_with);
}


static int play(void *host, const char *const *refv, size_t refc,
		const char *lang, bool barge_in)
{
	struct fake *f = host;
	char buf[512];
	size_t n;

	(void)lang;
	n = (size_t)re_snprintf(buf, sizeof(buf), "P:");
	for (size_t i = 0; i < refc; i++)
		n += (size_t)re_snprintf(buf + n, sizeof(buf) - n, "%s%s",
					 i ? "," : "", refv[i]);
	(void)re_snprintf(buf + n, sizeof(buf) - n, ";");
	logf_(f, buf);
	f->plays++;
	f->barge = barge_in;
	if (take_free(f, "play"))
		return 0;
	if (!f->play_err && f->auto_played)
		tmr_start(&play_tmr, 0, played_h, f);

	return f->play_err;
}


static void stop_play(void *host)
{
	struct fake *f = host;

	logf_(f, "S;");
	tmr_cancel(&play_tmr);
	(void)take_free(f, "stop_play");
}


static int host_op(struct fake *f, const char *op, const char *what)
{
	char buf[128];

	(void)re_snprintf(buf, sizeof(buf), "%c:%s;", op[0] - 32, what);
	logf_(f, buf);
	if (take_free(f, op))
		return 0;
	if (f->auto_resume)
		tmr_start(&resume_tmr, 0, resume_h, f);

	return 0;
}


static int voicemail(void *host, const char *box)
{
	return host_op(host, "voicemail", box);
}


static int transfer(void *host, const char *number)
{
	return host_op(host, "transfer", number);
}


static int queue(void *host, const char *q)
{
	struct fake *f = host;

	if (f->queue_ret)
		return f->queue_ret;

	return host_op(host, "queue", q);
}


static void end(void *host, const char *how)
{
	struct fake *f = host;
	char buf[32];

	(void)re_snprintf(buf, sizeof(buf), "E:%s;", how);
	logf_(f, buf);
	str_ncpy(f->ended, how, sizeof(f->ended));
	(void)take_free(f, "end");
}


static void emit(void *host, const char *type, json_t *data)
{
	struct fake *f = host;
	size_t n = strlen(f->events);
	const char *node = json_string_value(json_object_get(data, "node"));

	if (f->freed)
		f->ops_after_free++;
	(void)re_snprintf(f->events + n, sizeof(f->events) - n, "%s:%s;",
			  type, node ? node : "");
	json_decref(data);
	(void)take_free(f, "emit");
}


const struct ivr_host_ops fake_ops = {
	play, stop_play, voicemail, transfer, queue, end, emit,
};


void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->queue_ret = ENOSYS;
	tmr_init(&play_tmr);
	tmr_init(&resume_tmr);
	tmr_init(&poll_tmr);
}


void fake_close(struct fake *f)
{
	f->run = mem_deref(f->run);
	tmr_cancel(&play_tmr);
	tmr_cancel(&resume_tmr);
	tmr_cancel(&poll_tmr);
}


/** A parsed flow from JSON text (NULL if it does not validate). */
struct ivr_flow *fake_flow(const char *text)
{
	struct ivr_flow *flow = NULL;
	json_t *g = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	if (g) {
		struct ivr_check *c = NULL;

		(void)ivr_check_alloc(&c);
		(void)ivr_validate(c, g);
		for (unsigned i = 0; i < ivr_check_nerrors(c); i++) {
			const struct ivr_error *e = ivr_check_error(c, i);

			re_fprintf(stderr, "flow error: %s %s %s\n",
				   e->node, e->code, e->message);
		}
		mem_deref(c);
	}
	if (g)
		(void)ivr_flow_parse(&flow, g, "11111111-1111-4111-8111-"
				     "111111111111", "22222222-2222-4222-"
				     "8222-222222222222", 3);
	json_decref(g);

	return flow;
}


int fake_run(struct fake *f, struct ivr_flow *flow, const char *caller)
{
	json_t *vars = json_pack("{s:s}", "caller", caller ? caller : "");
	int err;

	err = ivr_run_alloc(&f->run, flow, &fake_ops, f, vars);
	json_decref(vars);
	if (!err) {
		ivr_run_set_lookup_timeout(f->run, 400);
		ivr_run_set_app(f->run, f->app);
	}
	err = err ? err : ivr_run_start(f->run);

	return err;
}


static void poll_h(void *arg)
{
	struct fake *f = arg;

	if (f->ended[0] || f->freed) {
		re_cancel();
		return;
	}

	tmr_start(&poll_tmr, 2, poll_h, f);
}


/** Turn the loop until the run ended (or was freed), at most ms. */
int fake_until_end(struct fake *f, unsigned ms)
{
	int err;

	if (f->ended[0])
		return 0;

	tmr_start(&poll_tmr, 2, poll_h, f);
	err = loop_run(ms);
	tmr_cancel(&poll_tmr);

	return err;
}


/** The host hangs up: free the run. */
void fake_free(struct fake *f)
{
	f->run = mem_deref(f->run);
	f->freed = true;
}


bool fake_logged(const struct fake *f, const char *s)
{
	return strstr(f->log, s) != NULL;
}
