/* Supervisors on a live call: listen, whisper, barge — rows of the
 * call's mixer matrix, switched during the call. */
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
#include "db/db.h"
#include "auth/principal.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/webrtc.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_console.h"

/*
 * A monitor is the supervisor's browser session in the call's mixer.
 * Whatever the mode, the supervisor hears the caller and the agent;
 * whisper adds "the agent hears the supervisor", barge adds "the caller
 * hears the supervisor" too; take-over lets the agent go (wrap-up) and
 * leaves caller and supervisor talking — the supervisor's leaving then
 * ends the call. The matrix is set again whenever a port
 * changes (the agent answers, reconnects, leaves), so no mode needs a
 * special case. Each start, change and stop is an event on the call's
 * timeline and a row of the audit log.
 */
enum mon_mode { MON_LISTEN = 0, MON_WHISPER, MON_BARGE, MON_TAKEOVER };

static const char *const mode_names[] = {"listen", "whisper", "barge",
					 "takeover"};

static struct list tabs;     /* every monitor, to find a console's */

struct call_monitor {
	struct le le;                    /**< in call->monitors (owning) */
	struct le tle;                   /**< in tabs: every monitor     */
	struct call *call;               /**< (borrowed)                 */
	void *tab;                       /**< (borrowed) the console     */
	char user_id[37];
	char name[65];
	enum mon_mode mode;
	struct webrtc *rtc;              /**< (ref)                      */
};


static void mon_destructor(void *arg)
{
	struct call_monitor *m = arg;

	list_unlink(&m->le);
	list_unlink(&m->tle);
	mem_deref(m->rtc);
}


static int mode_of(const char *name, enum mon_mode *mode)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(mode_names); i++) {
		if (!strcmp(name, mode_names[i])) {
			*mode = (enum mon_mode)i;
			return 0;
		}
	}

	return EINVAL;
}


static void audited(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;
	if (err)
		log_warn("monitoring audit not written: %m", err);
}


/* An event on the call and a row in the audit log. */
static void record(struct call_monitor *m, const char *action)
{
	static const char sql[] =
		"INSERT INTO audit_log (tenant_id, actor_kind, actor_id,"
		" actor_name, action, target_type, target_id, detail)"
		" VALUES ($1::uuid, 'user', $2::uuid, $3, $4, 'call', $5,"
		" jsonb_build_object('mode', $6::text, 'agent_id',"
		" NULLIF($7, '')))";
	struct call *call = m->call;
	const char *agent = call_queue_agent_of(call);
	struct db_ctx ctx = {DB_TENANT, call->tenant_id};
	const char *pv[7] = {call->tenant_id, m->user_id, m->name, action,
			     call->call_id, mode_names[m->mode], agent};

	if (db_query(call->app->db, &ctx, audited, NULL, sql, 7, pv))
		log_warn("%H: monitoring audit not queued", call_debug, call);

	call_emit(call, action, json_pack("{s:s, s:s, s:s, s:s}",
					  "supervisor_id", m->user_id,
					  "supervisor", m->name, "mode",
					  mode_names[m->mode], "agent_id",
					  agent));
}


/** Set who hears whom for every monitor of the call. */
void call_monitor_rewire(struct call *call)
{
	struct mport *c = call->leg ? leg_port(call->leg) : NULL;
	struct mport *a = call->cq ? call_agent_port(call->cq) :
		call_dial_agent_port(call);
	struct le *le;

	for (le = call->monitors.head; le; le = le->next) {
		struct call_monitor *m = le->data;
		struct mport *s = webrtc_port(m->rtc);

		if (!s)
			continue;
		if (c) {
			mport_hear(s, c, true);
			mport_hear(c, s, m->mode >= MON_BARGE);
		}
		if (a) {
			mport_hear(s, a, true);
			mport_hear(a, s, m->mode != MON_LISTEN);
		}
	}
}


static void stop(struct call_monitor *m, const char *why)
{
	struct call *call = m->call;
	bool ends = m->mode == MON_TAKEOVER && call->state != CALL_ENDED;

	log_info("%H: %s stopped monitoring (%s)", call_debug, call,
		 m->name, why);
	record(m, "monitor.stopped");
	mem_deref(m);
	if (ends)    /* the caller talked to the supervisor alone */
		call_end(call, "supervisor", "supervisor_hangup");
}


/* Switch m to md: take-over releases the agent and is for good. */
static int switch_mode(struct call_monitor *m, enum mon_mode md)
{
	int err;

	if (m->mode == MON_TAKEOVER)
		return md == MON_TAKEOVER ? 0 : EALREADY;

	if (md == MON_TAKEOVER) {
		err = call_queue_take_over(m->call);
		if (err)
			return err;
	}

	m->mode = md;
	call_monitor_rewire(m->call);

	return 0;
}


/** The call ends: every supervisor is let go. */
void call_monitor_end_all(struct call *call)
{
	while (call->monitors.head)
		stop(call->monitors.head->data, "call_ended");
}


static void rtc_event(enum webrtc_event ev, const char *reason, void *arg)
{
	struct call_monitor *m = arg;

	if (ev == WEBRTC_ESTABLISHED)
		return;

	stop(m, reason ? reason : "media");
}


static struct call_monitor *find(struct call *call, const void *tab)
{
	struct le *le;

	for (le = call->monitors.head; le; le = le->next) {
		struct call_monitor *m = le->data;

		if (m->tab == tab)
			return m;
	}

	return NULL;
}


static int live_call(const struct principal *p, const char *call_id,
		     struct call **callp)
{
	struct call *call = call_id ? call_find(call_id) : NULL;

	if (p->role < ROLE_SUPERVISOR || p->kind != PRINCIPAL_USER)
		return EACCES;
	if (!call || strcmp(call->tenant_id, p->tenant_id) ||
	    call->state == CALL_ENDED || !call->mixer)
		return ENOENT;

	*callp = call;

	return 0;
}


/** A supervisor's console joins the call with its browser's SDP. */
int call_monitor_start(const struct principal *p, void *tab,
		       const char *call_id, const char *mode,
		       const char *sdp, char **answerp)
{
	struct call_monitor *m;
	struct call *call;
	enum mon_mode md;
	int err;

	err = mode_of(mode, &md);
	err = err ? err : live_call(p, call_id, &call);
	if (err)
		return err;
	if (find(call, tab))
		return EALREADY;

	m = mem_zalloc(sizeof(*m), mon_destructor);
	if (!m)
		return ENOMEM;

	m->call = call;
	m->tab = tab;
	m->mode = md == MON_TAKEOVER ? MON_BARGE : md;
	str_ncpy(m->user_id, p->id, sizeof(m->user_id));
	str_ncpy(m->name, p->name, sizeof(m->name));

	err = call_webrtc_alloc(call->app, &m->rtc, sdp, answerp, rtc_event,
				m);
	err = err ? err : webrtc_attach(m->rtc, call->mixer);
	if (err) {
		mem_deref(m);
		return err;
	}

	list_append(&call->monitors, &m->le, m);
	list_append(&tabs, &m->tle, m);
	call_monitor_rewire(call);
	if (md == MON_TAKEOVER && switch_mode(m, md)) {
		mem_deref(m);
		return EALREADY;
	}
	log_info("%H: %s monitors (%s)", call_debug, call, m->name, mode);
	record(m, "monitor.started");

	return 0;
}


/** Switch between listen, whisper and barge. */
int call_monitor_mode(const struct principal *p, void *tab,
		      const char *call_id, const char *mode)
{
	struct call_monitor *m;
	struct call *call;
	enum mon_mode md;
	int err;

	err = mode_of(mode, &md);
	err = err ? err : live_call(p, call_id, &call);
	if (err)
		return err;

	m = find(call, tab);
	if (!m)
		return ENOENT;
	if (m->mode == md)
		return 0;

	err = switch_mode(m, md);
	if (!err)
		record(m, "monitor.changed");

	return err;
}


int call_monitor_stop(const struct principal *p, void *tab,
		      const char *call_id)
{
	struct call_monitor *m;
	struct call *call;
	int err = live_call(p, call_id, &call);

	if (err)
		return err;

	m = find(call, tab);
	if (!m)
		return ENOENT;

	stop(m, "stopped");

	return 0;
}


/** A supervisor's console closed: its monitors stop. */
void call_monitor_tab_gone(void *tab)
{
	struct le *le = tabs.head;

	while (le) {
		struct call_monitor *m = le->data;

		le = le->next;
		if (m->tab == tab)
			stop(m, "console_closed");
	}
}
