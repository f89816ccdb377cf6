/* The console's call messages: the browser softphone (register, answer,
 * reject, reconnect), call control, the disposition, and monitoring.
 * docs/WEBSOCKET.md is the contract. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "http/api.h"
#include "queue/queue.h"
#include "agent/softphone.h"
#include "call/call_console.h"
#include "call/call_wrap.h"
#include "ws/ws_int.h"

enum { SDP_MAX = 16384 };

/* A message's fields besides "type" and "id": nothing else is taken. */
struct field {
	const char *name;
	json_type type;
	bool required;
};

#define F_CALL   {"call_id", JSON_STRING, true}
#define F_SDP    {"sdp", JSON_STRING, true}
#define F_END    {NULL, JSON_NULL, false}

static const struct field f_none[] = {F_END};
static const struct field f_call[] = {F_CALL, F_END};
static const struct field f_answer[] = {F_CALL, F_SDP, F_END};
static const struct field f_hold[] = {F_CALL, {"hold", JSON_TRUE, true},
				      F_END};
static const struct field f_xfer[] = {F_CALL, {"to", JSON_OBJECT, true},
				      F_END};
static const struct field f_dtmf[] = {F_CALL, {"digits", JSON_STRING,
				       true}, F_END};
static const struct field f_consult[] = {F_CALL,
	{"action", JSON_STRING, true}, {"number", JSON_STRING, false},
	{"agent", JSON_STRING, false}, {"queue", JSON_STRING, false}, F_END};
static const struct field f_dial[] = {{"number", JSON_STRING, true},
	{"from", JSON_STRING, false}, {"request_id", JSON_STRING, false},
	F_SDP, F_END};
static const struct field f_wrap[] = {F_CALL, {"code", JSON_STRING, true},
				      {"notes", JSON_STRING, false}, F_END};
static const struct field f_mon[] = {F_CALL, {"mode", JSON_STRING, true},
	{"sdp", JSON_STRING, false}, {"device", JSON_STRING, false}, F_END};
static const struct field f_mode[] = {F_CALL, {"mode", JSON_STRING, true},
				      F_END};
static const struct field f_record[] = {F_CALL, {"action", JSON_STRING,
					true}, F_END};


static bool type_ok(const json_t *v, json_type t)
{
	if (t == JSON_TRUE)
		return json_is_boolean(v);

	return json_typeof(v) == t;
}


static const struct field *field_of(const struct field *fv,
				    const char *key)
{
	for (; fv->name; fv++) {
		if (!strcmp(fv->name, key))
			return fv;
	}

	return NULL;
}


/* NULL if msg fits the fields, else the name of the first bad one. */
static const char *misfit(const json_t *msg, const struct field *fv)
{
	const struct field *f;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)msg, key, v) {
		if (!strcmp(key, "type") || !strcmp(key, "id"))
			continue;
		f = field_of(fv, key);
		if (!f || !type_ok(v, f->type))
			return key;
	}

	for (f = fv; f->name; f++) {
		if (f->required && !json_object_get(msg, f->name))
			return f->name;
	}

	f = field_of(fv, "call_id");
	if (f && !api_uuid_ok(json_string_value(json_object_get(msg,
								"call_id"))))
		return "call_id";
	f = field_of(fv, "sdp");
	if (f && json_string_length(json_object_get(msg, "sdp")) > SDP_MAX)
		return "sdp";

	return NULL;
}


static const char *code_of(int err, const char **message)
{
	switch (err) {

	case ENOENT:
		*message = "No such call, offer or monitor for you.";
		return "not_found";
	case EACCES:
		*message = "You may not act on this call.";
		return "forbidden";
	case EALREADY:
		*message = "The call is not in a state that allows this.";
		return "conflict";
	case EEXIST:
		*message = "You monitor this call already: change the mode "
			"or stop.";
		return "already_monitoring";
	case EPROTO:
	case ENOTSUP:
	case EBADMSG:
		*message = "The SDP offer is unusable: it needs audio, a "
			"DTLS fingerprint, ICE credentials and Opus or PCMU.";
		return "not_acceptable";
	case EHOSTUNREACH:
	case ENODEV:
		*message = "The agent cannot take calls now.";
		return "device_unreachable";
	case EXDEV:
		*message = "That agent does not serve this call's queue.";
		return "agent_not_in_queue";
	case EINVAL:
		*message = "A field is missing or not valid.";
		return "validation_failed";
	case EBUSY:
		*message = "The trunk or the tenant is at its call limit.";
		return "limit_reached";
	case ENODATA:
		*message = "The call is not being recorded.";
		return "not_recorded";
	default:
		*message = "The action failed; try again.";
		return "failed";
	}
}


static void reply(struct ws_client *wsc, const json_t *msg, json_t *o)
{
	if (o && json_object_get(msg, "id"))
		(void)json_object_set(o, "id", json_object_get(msg, "id"));
	ws_reply(wsc, o);
}


static void reply_err(struct ws_client *wsc, const json_t *msg, int err,
		      const char *field)
{
	const char *message;
	const char *code = code_of(err, &message);

	reply(wsc, msg, json_pack("{s:s, s:s, s:s, s:s?}", "type", "error",
				  "code", code, "message", message,
				  "field", field));
}


static const char *str(const json_t *msg, const char *key)
{
	return json_string_value(json_object_get(msg, key));
}


static void reply_ok(struct ws_client *wsc, const json_t *msg,
		     const char *type)
{
	reply(wsc, msg, json_pack("{s:s, s:s?}", "type", type, "call_id",
				  str(msg, "call_id")));
}


static void reply_sdp(struct ws_client *wsc, const json_t *msg, int err,
		      char *answer)
{
	if (err)
		reply_err(wsc, msg, err, NULL);
	else
		reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type",
					  "rtc.answer", "call_id",
					  str(msg, "call_id"), "sdp", answer));
	mem_deref(answer);
}


static void on_register(struct ws_client *wsc, const json_t *msg,
			bool on)
{
	const struct principal *p = &wsc->principal;
	struct queue_agent_state st;
	int err;

	if (!on) {
		if (softphone_is_tab(p->id, wsc))
			softphone_unregister(wsc);
		reply_ok(wsc, msg, "softphone.ok");
		return;
	}

	err = queue_agent_get(p->tenant_id, p->id, &st);
	if (err) {
		reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type", "error",
			"code", "forbidden", "message", "Only an agent has a "
			"softphone; ask an admin to make you an agent."));
		return;
	}
	if (strcmp(st.device, "webrtc")) {
		reply(wsc, msg, json_pack("{s:s, s:s, s:s, s:s}", "type",
			"error", "code", "conflict", "device", st.device,
			"message", "Your calls ring on another device; an "
			"admin can set your device to the browser."));
		return;
	}

	err = softphone_register(p->tenant_id, p->id, wsc);
	if (err) {
		reply_err(wsc, msg, err, NULL);
		return;
	}

	/* after a reload: the console learns its call, or rings again */
	reply(wsc, msg, json_pack("{s:s, s:s, s:s, s:s?}", "type",
				  "softphone.ok", "agent_id", p->id, "state",
				  st.state, "call_id", st.call_id[0] ?
				  st.call_id : NULL));
	if (st.call_id[0] && !strcmp(st.state, "ringing"))
		call_console_reoffer(p, st.call_id);
}


static void on_transfer(struct ws_client *wsc, const json_t *msg)
{
	const json_t *to = json_object_get(msg, "to");
	const char *kind = str(to, "type");
	const char *id = str(to, "id"), *number = str(to, "number");
	int err = EINVAL;

	if (kind && !strcmp(kind, "queue") && id)
		err = call_console_transfer(&wsc->principal,
					    str(msg, "call_id"), id, NULL,
					    NULL);
	else if (kind && !strcmp(kind, "agent") && api_uuid_ok(id))
		err = call_console_transfer(&wsc->principal,
					    str(msg, "call_id"), NULL, id,
					    NULL);
	else if (kind && !strcmp(kind, "number") && number)
		err = call_console_transfer(&wsc->principal,
					    str(msg, "call_id"), NULL, NULL,
					    number);

	if (err)
		reply_err(wsc, msg, err, err == EINVAL ? "to" : NULL);
	else
		reply_ok(wsc, msg, "call.ok");
}


static void reply_no_route(struct ws_client *wsc, const json_t *msg)
{
	reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type", "error",
		"code", "no_outbound_route", "message", "The call's trunk "
		"has no outbound route; the operator must set one first."));
}


static void on_dial(struct ws_client *wsc, const json_t *msg)
{
	char call_id[37] = "", *answer = NULL;
	int err;

	err = call_console_dial(&wsc->principal, str(msg, "number"),
				str(msg, "from"), str(msg, "sdp"),
				api_uuid_ok(str(msg, "request_id")) ?
				str(msg, "request_id") : NULL, &answer,
				call_id);
	if (err == EBUSY)
		err = EALREADY;
	if (err == ENETUNREACH) {
		reply_no_route(wsc, msg);
		return;
	}
	if (err) {
		reply_err(wsc, msg, err, err == EINVAL ? "number" :
			  err == ENOENT ? "from" : NULL);
		mem_deref(answer);
		return;
	}

	reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type", "rtc.answer",
				  "call_id", call_id, "sdp", answer));
	mem_deref(answer);
}


struct wrap_ctx {
	struct ws_client *wsc;           /**< (ref) */
	json_t *msg;                     /**< (ref) */
};


static void wrap_ctx_destructor(void *arg)
{
	struct wrap_ctx *w = arg;

	mem_deref(w->wsc);
	json_decref(w->msg);
}


static void wrap_saved(int err, void *arg)
{
	struct wrap_ctx *w = arg;

	if (!w->wsc->closed) {
		if (err)  /* EINVAL: not a code of the tenant's list */
			reply_err(w->wsc, w->msg, err,
				  err == EINVAL ? "code" : NULL);
		else
			reply_ok(w->wsc, w->msg, "call.ok");
	}

	mem_deref(w);
}


static void on_disposition(struct ws_client *wsc, json_t *msg)
{
	struct wrap_ctx *w = mem_zalloc(sizeof(*w), wrap_ctx_destructor);
	int err;

	if (!w) {
		reply_err(wsc, msg, ENOMEM, NULL);
		return;
	}

	w->wsc = mem_ref(wsc);
	w->msg = json_incref(msg);
	err = call_wrap_save(wsc->app, &wsc->principal, str(msg, "call_id"),
			     str(msg, "code"), str(msg, "notes"), wrap_saved,
			     w);
	if (err) {
		reply_err(wsc, msg, err, err == EINVAL ? "code" : NULL);
		mem_deref(w);
	}
}


/* Messages that carry the browser's media: only from the tab that
 * carries the softphone. True if type is one. */
static bool on_media(struct ws_client *wsc, const char *type,
		     const json_t *msg)
{
	const struct principal *p = &wsc->principal;
	const char *call_id = str(msg, "call_id");
	char *answer = NULL;
	int err;

	if (strcmp(type, "call.answer") && strcmp(type, "call.reconnect") &&
	    strcmp(type, "call.dial"))
		return false;

	if (!softphone_is_tab(p->id, wsc)) {
		reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type",
			"error", "code", "conflict", "message", "This tab "
			"does not carry your softphone (another tab took it, "
			"or it was never registered); register it here."));
		return true;
	}

	if (!strcmp(type, "call.dial")) {
		on_dial(wsc, msg);
		return true;
	}

	err = !strcmp(type, "call.answer") ?
		call_console_answer(p, call_id, str(msg, "sdp"), &answer) :
		call_console_reconnect(p, call_id, str(msg, "sdp"), &answer);
	reply_sdp(wsc, msg, err, answer);

	return true;
}


static void on_call(struct ws_client *wsc, const char *type, json_t *msg)
{
	const struct principal *p = &wsc->principal;
	const char *call_id = str(msg, "call_id");
	struct call_consult_to to = {str(msg, "number"), str(msg, "agent"),
		str(msg, "queue")};
	const char *code, *message;
	bool queued = false;
	int err;

	if (on_media(wsc, type, msg))
		return;
	if (!strcmp(type, "call.transfer")) {
		on_transfer(wsc, msg);
		return;
	}
	if (!strcmp(type, "call.disposition")) {
		on_disposition(wsc, msg);
		return;
	}

	if (!strcmp(type, "call.reject"))
		err = call_console_reject(p, call_id);
	else if (!strcmp(type, "call.hangup"))
		err = call_console_hangup(p, call_id);
	else if (!strcmp(type, "call.consult"))
		err = call_console_consult(p, call_id, str(msg, "action"),
					   &to, &queued);
	else if (!strcmp(type, "call.dtmf"))
		err = call_console_dtmf(p, call_id, str(msg, "digits"));
	else if (!strcmp(type, "call.record"))
		err = call_console_record(p, call_id, str(msg, "action"));
	else
		err = call_console_hold(p, call_id, json_is_true(
						json_object_get(msg, "hold")));

	if (!strcmp(type, "call.consult") &&
	    call_consult_problem(err, &to, &code, &message))
		reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type", "error",
					  "code", code, "message", message));
	else if (err == ENOTSUP && !strcmp(type, "call.consult"))
		reply_no_route(wsc, msg);
	else if (err)
		reply_err(wsc, msg, err, err != EINVAL ? NULL :
			  !strcmp(type, "call.dtmf") ? "digits" : "action");
	else if (queued)     /* nobody of the queue ready: it waits */
		reply(wsc, msg, json_pack("{s:s, s:s?, s:s}", "type",
					  "call.ok", "call_id", call_id,
					  "result", "queued"));
	else
		reply_ok(wsc, msg, "call.ok");
}


/* Monitoring from the browser (false: it is the SIP phone instead). */
static bool on_monitor_start(struct ws_client *wsc, const json_t *msg)
{
	const char *device = str(msg, "device");
	char *answer = NULL;
	int err;

	if (device && !strcmp(device, "sip"))
		return false;

	if ((device && strcmp(device, "browser")) || !str(msg, "sdp")) {
		reply_err(wsc, msg, EINVAL, device && strcmp(device,
			  "browser") ? "device" : "sdp");
		return true;
	}

	err = call_monitor_start(&wsc->principal, wsc, str(msg, "call_id"),
				 str(msg, "mode"), str(msg, "sdp"), &answer);
	reply_sdp(wsc, msg, err, answer);

	return true;
}


static void on_monitor(struct ws_client *wsc, const char *type,
		       json_t *msg)
{
	const struct principal *p = &wsc->principal;
	const char *call_id = str(msg, "call_id");
	int err;

	if (!strcmp(type, "monitor.start") && on_monitor_start(wsc, msg))
		return;

	if (!strcmp(type, "monitor.start"))   /* the SIP phone rings */
		err = call_monitor_start_phone(p, wsc, call_id,
					       str(msg, "mode"));
	else if (!strcmp(type, "monitor.mode"))
		err = call_monitor_mode(p, wsc, call_id, str(msg, "mode"));
	else
		err = call_monitor_stop(p, wsc, call_id);

	if (err == ENODEV)
		reply(wsc, msg, json_pack("{s:s, s:s, s:s}", "type", "error",
			"code", "no_phone", "message", "No SIP phone of yours "
			"is registered (it must register as an agent's "
			"phone does)."));
	else if (err)
		reply_err(wsc, msg, err, err == EINVAL ? "mode" : NULL);
	else
		reply(wsc, msg, json_pack("{s:s, s:s, s:s?}", "type",
					  "monitor.ok", "call_id", call_id,
					  "mode", str(msg, "mode")));
}


static const struct {
	const char *type;
	const struct field *fields;
} msgs[] = {
	{"softphone.register",   f_none},
	{"softphone.unregister", f_none},
	{"call.answer",          f_answer},
	{"call.reconnect",       f_answer},
	{"call.reject",          f_call},
	{"call.hangup",          f_call},
	{"call.hold",            f_hold},
	{"call.dtmf",            f_dtmf},
	{"call.record",          f_record},
	{"call.consult",         f_consult},
	{"call.dial",            f_dial},
	{"call.transfer",        f_xfer},
	{"call.disposition",     f_wrap},
	{"monitor.start",        f_mon},
	{"monitor.mode",         f_mode},
	{"monitor.stop",         f_call},
};


/** Handle a call or softphone message; false if type is not one. */
bool ws_call_msg(struct ws_client *wsc, const char *type, json_t *msg)
{
	const char *bad;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		if (!strcmp(type, msgs[i].type))
			break;
	}
	if (i == ARRAY_SIZE(msgs))
		return false;

	bad = misfit(msg, msgs[i].fields);
	if (bad)
		reply_err(wsc, msg, EINVAL, bad);
	else if (!wsc->principal.tenant_id[0])
		reply_err(wsc, msg, EACCES, NULL);
	else if (!strncmp(type, "softphone.", 10))
		on_register(wsc, msg, !strcmp(type, "softphone.register"));
	else if (!strncmp(type, "monitor.", 8))
		on_monitor(wsc, type, msg);
	else
		on_call(wsc, type, msg);

	return true;
}


/** The softphone's way to a console tab (softphone_send_h). */
void ws_call_send(void *tab, json_t *msg)
{
	ws_reply(tab, msg);
}


/** A console closed: its softphone and its monitors go. */
void ws_call_tab_gone(struct ws_client *wsc)
{
	softphone_unregister(wsc);
	call_monitor_tab_gone(wsc);
}
