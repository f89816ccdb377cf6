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
#include "media/sipedge.h"
#include "agent/agent_reg.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_console.h"
#include "call/call_monitor_int.h"

/*
 * A monitor is the supervisor's browser session in the call's mixer, or
 * the supervisor's SIP phone (registered as an agent's phone is) rung
 * for it.
 * The supervisor hears what the monitored agent hears and says: the
 * agent's current conversation (call_monitor_rewire), whatever the
 * agent did to the call — the caller unless held, a consulted party
 * once it answered, all three in a conference. Whisper adds "the agent
 * hears the supervisor", barge "every party of that conversation
 * does"; take-over lets the agent go (wrap-up) and leaves caller and
 * supervisor talking — the supervisor's leaving then ends the call.
 * A monitor follows the agent it was started on: when that agent's
 * part ends while the call goes on (a transfer, attended or blind, a
 * colleague left in a conference, the survey), it stops with reason
 * agent_left (call_monitor_follow). Each start, change and stop is an
 * event on the call's timeline and a row of the audit log.
 */
static const char *const mode_names[] = {"listen", "whisper", "barge",
					 "takeover"};

static struct list tabs;     /* every monitor, to find a console's */


static void mon_destructor(void *arg)
{
	struct call_monitor *m = arg;

	list_unlink(&m->le);
	list_unlink(&m->tle);
	m->closing = true;      /* sipcall_hangup reports the close at once */
	if (m->sc)
		sipcall_hangup(m->sc, 487, NULL);
	mem_deref(m->sc);
	mem_deref(m->leg);
	mem_deref(m->rtc);
}


/* The monitor's port in the mixer: NULL while its phone rings. */
static struct mport *port_of(const struct call_monitor *m)
{
	if (m->rtc)
		return webrtc_port(m->rtc);

	return m->answered ? leg_port(m->leg) : NULL;
}


/** Every live monitor of every tenant (entries: tle). */
const struct list *call_monitor_all(void)
{
	return &tabs;
}


const char *call_monitor_mode_name(enum mon_mode mode)
{
	return mode_names[mode];
}


/** Whether the monitor's device is in the call's mixer now. */
bool call_monitor_connected(const struct call_monitor *m)
{
	return port_of(m) != NULL;
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


/* The agent on the call now ("" when none): a queue call's, or the
 * agent who dialled out. */
static const char *agent_now(const struct call *call)
{
	return call->cq ? call_queue_agent_of(call) : call->agent_id;
}


/* An event on the call and a row in the audit log; why: a stop's
 * reason, or NULL. */
static void record(struct call_monitor *m, const char *action,
		   const char *why)
{
	static const char sql[] =
		"INSERT INTO audit_log (tenant_id, actor_kind, actor_id,"
		" actor_name, action, target_type, target_id, detail)"
		" VALUES ($1::uuid, 'user', $2::uuid, $3, $4, 'call', $5,"
		" jsonb_build_object('mode', $6::text, 'agent_id',"
		" NULLIF($7, ''), 'reason', NULLIF($8, '')))";
	struct call *call = m->call;
	struct db_ctx ctx = {DB_TENANT, call->tenant_id};
	const char *pv[8] = {call->tenant_id, m->user_id, m->name, action,
			     call->call_id, mode_names[m->mode], m->agent_id,
			     why ? why : ""};

	if (db_query(call->app->db, &ctx, audited, NULL, sql, 8, pv))
		log_warn("%H: monitoring audit not queued", call_debug, call);

	call_emit(call, action, json_pack("{s:s, s:s, s:s, s:s, s:s?}",
					  "supervisor_id", m->user_id,
					  "supervisor", m->name, "mode",
					  mode_names[m->mode], "agent_id",
					  m->agent_id, "reason", why));
}


/*
 * The ports of the agent's current conversation and whether each is in
 * it now. The caller on hold hears the hold music, not the agent, so it
 * is out; the consulted party is in once it answered (its port exists
 * only then).
 */
enum { P_AGENT = 0, P_CALLER, P_THIRD, P_COUNT };

static void parties(struct call *call, struct mport *pv[P_COUNT],
		    bool inv[P_COUNT])
{
	const struct call_queue *cq = call->cq;

	pv[P_AGENT]  = cq ? call_agent_port(cq) : call_dial_agent_port(call);
	pv[P_CALLER] = call->leg ? leg_port(call->leg) : NULL;
	pv[P_THIRD]  = call_consult_party(call);
	inv[P_AGENT]  = true;
	inv[P_CALLER] = !cq || cq->phase != CQ_HELD;
	inv[P_THIRD]  = true;
}


/* Whether party i hears a supervisor in mode md (when in the
 * conversation): the agent unless listening, everybody on barge. */
static bool hears_mode(unsigned i, enum mon_mode md)
{
	return i == P_AGENT ? md != MON_LISTEN : md >= MON_BARGE;
}


static void wire(struct call *call, struct call_monitor *m,
		 struct mport *const pv[P_COUNT], const bool inv[P_COUNT])
{
	struct mport *s = port_of(m);
	struct le *le;
	unsigned i;

	if (!s)
		return;

	for (i = 0; i < P_COUNT; i++) {
		mport_hear(s, pv[i], inv[i]);
		mport_hear(pv[i], s, inv[i] && hears_mode(i, m->mode));
	}

	/* the supervisors hear the agent's side, coaching included: a
	 * colleague who whispers or barges (never one who listens) */
	for (le = call->monitors.head; le; le = le->next) {
		const struct call_monitor *o = le->data;

		mport_hear(s, port_of(o), o->mode >= MON_WHISPER);
	}
}


/**
 * Set who hears whom for every monitor of the call, from the call's
 * topology now. The one place for the monitors' cells: called after
 * every change of it (an agent bridged, reconnected, hold, each step of
 * a consultation, a monitor's port or mode). Never frees a monitor.
 */
void call_monitor_rewire(struct call *call)
{
	struct mport *pv[P_COUNT];
	bool inv[P_COUNT];
	struct le *le;

	parties(call, pv, inv);
	for (le = call->monitors.head; le; le = le->next) {
		struct call_monitor *m = le->data;

		if (!m->agent_id[0])   /* started before an agent answered */
			str_ncpy(m->agent_id, agent_now(call),
				 sizeof(m->agent_id));
		wire(call, m, pv, inv);
	}
}


static void stop(struct call_monitor *m, const char *why)
{
	struct call *call = m->call;
	bool ends = m->mode == MON_TAKEOVER && call->state != CALL_ENDED;

	log_info("%H: %s stopped monitoring (%s)", call_debug, call,
		 m->name, why);
	record(m, "monitor.stopped", why);
	mem_deref(m);
	if (ends)    /* the caller talked to the supervisor alone */
		call_end(call, "supervisor", "supervisor_hangup");
}


/**
 * The agent's part of the call ended while the call goes on: every
 * monitor of that agent stops (agent_left); the supervisor who took the
 * call over stays.
 */
void call_monitor_follow(struct call *call)
{
	const char *now = agent_now(call);
	struct le *le = call->monitors.head;

	while (le) {
		struct call_monitor *m = le->data;

		le = le->next;
		if (m->mode == MON_TAKEOVER || !m->agent_id[0] ||
		    !strcmp(m->agent_id, now))
			continue;

		stop(m, "agent_left");
	}

	call_monitor_rewire(call);
}


/* Switch m to md: take-over releases the agent and is for good. */
static int switch_mode(struct call_monitor *m, enum mon_mode md)
{
	int err;

	if (m->mode == MON_TAKEOVER)
		return md == MON_TAKEOVER ? 0 : EALREADY;

	if (md == MON_TAKEOVER) {
		if (!port_of(m))
			return EALREADY;    /* the phone still rings */
		err = call_queue_take_over(m->call);
		if (err)
			return err;
	}

	m->mode = md;
	if (md == MON_TAKEOVER)      /* the agent's other monitors stop */
		call_monitor_follow(m->call);
	else
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


/*
 * A supervisor's monitor of the call, whichever console (or REST)
 * started it: a supervisor monitors a call at most once, so the
 * console, a second tab and a CRM toolbar all steer the same one.
 */
static struct call_monitor *find(struct call *call, const char *user_id)
{
	struct le *le;

	for (le = call->monitors.head; le; le = le->next) {
		struct call_monitor *m = le->data;

		if (!strcmp(m->user_id, user_id))
			return m;
	}

	return NULL;
}


static int live_call(const struct principal *p, const char *call_id,
		     struct call **callp)
{
	struct call *call = call_find_live(p->tenant_id, call_id);

	if (p->role < ROLE_SUPERVISOR || p->kind != PRINCIPAL_USER)
		return EACCES;
	if (!call || !call->mixer)
		return ENOENT;

	*callp = call;

	return 0;
}


/* A new monitor of the call, in no list yet. */
static int mon_new(struct call_monitor **mp, const struct principal *p,
		   void *tab, const char *call_id, const char *mode)
{
	struct call_monitor *m;
	struct call *call;
	enum mon_mode md;
	int err;

	err = mode_of(mode, &md);
	err = err ? err : live_call(p, call_id, &call);
	if (err)
		return err;
	if (find(call, p->id))  /* a second device would ring or offer */
		return EEXIST;

	m = mem_zalloc(sizeof(*m), mon_destructor);
	if (!m)
		return ENOMEM;

	m->call = call;
	m->tab = tab;
	m->mode = md;
	str_ncpy(m->user_id, p->id, sizeof(m->user_id));
	str_ncpy(m->agent_id, agent_now(call), sizeof(m->agent_id));
	str_ncpy(m->name, p->name, sizeof(m->name));
	*mp = m;

	return 0;
}


/* The monitor joins its call's matrix (take-over: at once). */
static int mon_add(struct call_monitor *m)
{
	struct call *call = m->call;
	enum mon_mode md = m->mode;

	if (md == MON_TAKEOVER)
		m->mode = MON_BARGE;
	list_append(&call->monitors, &m->le, m);
	list_append(&tabs, &m->tle, m);
	call_monitor_rewire(call);
	if (md == MON_TAKEOVER && switch_mode(m, md)) {
		mem_deref(m);
		return EALREADY;
	}

	log_info("%H: %s monitors (%s)", call_debug, call, m->name,
		 mode_names[m->mode]);
	record(m, "monitor.started", NULL);

	return 0;
}


/** A supervisor's console joins the call with its browser's SDP. */
int call_monitor_start(const struct principal *p, void *tab,
		       const char *call_id, const char *mode,
		       const char *sdp, char **answerp)
{
	struct call_monitor *m = NULL;
	int err;

	err = mon_new(&m, p, tab, call_id, mode);
	if (err)
		return err;

	err = call_webrtc_alloc(m->call->app, &m->rtc, sdp, answerp,
				rtc_event, m);
	err = err ? err : webrtc_attach(m->rtc, m->call->mixer);
	if (err) {
		mem_deref(m);
		return err;
	}

	return mon_add(m);
}


static void phone_dtmf(char digit, uint32_t dur_ms, void *arg)
{
	(void)digit;
	(void)dur_ms;
	(void)arg;
}


static void phone_event(enum leg_event ev, void *arg)
{
	struct call_monitor *m = arg;

	if (ev == LEG_RTP_TIMEOUT)
		stop(m, "phone_rtp_timeout");
}


static void phone_answered(void *arg)
{
	struct call_monitor *m = arg;

	(void)leg_start(m->leg);
	if (leg_attach(m->leg, m->call->mixer)) {
		stop(m, "error");
		return;
	}

	m->answered = true;
	call_monitor_rewire(m->call);
}


static void phone_closed(const struct sipcall_end *end, void *arg)
{
	struct call_monitor *m = arg;

	if (m->closing)
		return;

	m->sc = mem_deref(m->sc);
	log_info("%H: %s's phone: %u %s", call_debug, m->call, m->name,
		 end->scode, end->reason ? end->reason : "");
	stop(m, m->answered ? "phone_hung_up" : "phone_not_answered");
}


/**
 * The supervisor's registered SIP phone is rung to monitor the call;
 * it joins when answered. ENODEV: no phone of this user is registered
 * (or it stopped answering OPTIONS).
 */
int call_monitor_start_phone(const struct principal *p, void *tab,
			     const char *call_id, const char *mode)
{
	struct sipcall_handlers h = {phone_answered, NULL, phone_closed,
				     NULL};
	struct call_monitor *m = NULL;
	char buf[AGENT_REG_DIAL_MAX], from[160];
	struct sipcall_dial d;
	int err;

	err = mon_new(&m, p, tab, call_id, mode);
	if (err)
		return err;

	memset(&d, 0, sizeof(d));
	err = agent_reg_dial(p->id, &d, buf, sizeof(buf)) ? ENODEV : 0;
	(void)re_snprintf(from, sizeof(from), "sip:%s@%s",
			  m->call->caller[0] ? m->call->caller : "monitor",
			  call_media_ip());
	d.from_uri = from;
	d.from_name = "monitor";
	h.arg = m;
	err = err ? err : call_leg_alloc_for(m->call, &m->leg, phone_dtmf,
					     phone_event, m);
	err = err ? err : sipedge_connect(&m->sc, call_sip_edge(), &d,
					  m->leg, &h);
	if (err) {
		mem_deref(m);
		return err;
	}

	mem_ref(m->sc);

	return mon_add(m);
}


/**
 * Switch between listen, whisper and barge. Any console of the
 * supervisor (tab) or REST steers their monitor of the call.
 */
int call_monitor_mode(const struct principal *p, void *tab,
		      const char *call_id, const char *mode)
{
	struct call_monitor *m;
	struct call *call;
	enum mon_mode md;
	int err;

	(void)tab;
	err = mode_of(mode, &md);
	err = err ? err : live_call(p, call_id, &call);
	if (err)
		return err;

	m = find(call, p->id);
	if (!m)
		return ENOENT;
	if (m->mode == md)
		return 0;

	err = switch_mode(m, md);
	if (!err)
		record(m, "monitor.changed", NULL);

	return err;
}


/** The supervisor stops monitoring the call, from any console. */
int call_monitor_stop(const struct principal *p, void *tab,
		      const char *call_id)
{
	struct call_monitor *m;
	struct call *call;
	int err = live_call(p, call_id, &call);

	(void)tab;
	if (err)
		return err;

	m = find(call, p->id);
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
