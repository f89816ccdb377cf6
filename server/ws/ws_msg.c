/* WebSocket client messages: auth, subscribe, ping, and which events go. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "ws"
#include "log/log.h"
#include "auth/authn.h"
#include "auth/principal.h"
#include "ws/ws_int.h"
#include "ws/ws_audience.h"

#define TOKEN_MAX 4096

static void handle(struct ws_client *wsc, const uint8_t *p, size_t len);


static int dump_mbuf(const char *buf, size_t size, void *arg)
{
	return mbuf_write_mem(arg, (const uint8_t *)buf, size) ? -1 : 0;
}


/* Queue a JSON reply; takes the reference to o. */
void ws_reply(struct ws_client *wsc, json_t *o)
{
	struct mbuf *mb;
	char *s = NULL;
	size_t len;

	if (!o)
		return;

	mb = mbuf_alloc(128);
	if (!mb || json_dump_callback(o, dump_mbuf, mb, JSON_COMPACT))
		goto out;

	len = mb->end;
	mb->pos = 0;
	if (mbuf_strdup(mb, &s, len))
		goto out;

	(void)ws_send(wsc, s, len);

 out:
	mem_deref(mb);
	json_decref(o);
}


static void reply_error(struct ws_client *wsc, const char *code,
			const char *message)
{
	ws_reply(wsc, json_pack("{s:s, s:s, s:s}", "type", "error",
			     "code", code, "message", message));
}


static void refuse(struct ws_client *wsc, const char *code,
		   const char *message, uint16_t close_code)
{
	reply_error(wsc, code, message);
	ws_client_close(wsc, close_code, code);
}


/* Messages that came while authn ran, in order, now that it is done. */
static void early_drain(struct ws_client *wsc)
{
	struct mbuf *mb = wsc->early;

	wsc->early = NULL;
	wsc->nearly = 0;
	if (!mb)
		return;

	mb->pos = 0;
	while (mbuf_get_left(mb) >= 4 && !wsc->closed && !wsc->closing) {
		size_t len = mbuf_read_u32(mb);

		if (len > mbuf_get_left(mb))
			break;

		handle(wsc, mbuf_buf(mb), len);
		mbuf_advance(mb, (ssize_t)len);
	}

	mem_deref(mb);
}


/*
 * A periodic re-check of an authenticated client: an expired token, a
 * revoked key, a disabled user or a suspended tenant ends the socket the
 * way a new connection would be refused. A database outage does not.
 */
static void recheck_done(struct ws_client *wsc, int err, const char *why,
			 const struct principal *p)
{
	wsc->rechecking = false;
	if (err == EACCES || (!err && !p))
		refuse(wsc, "unauthorized", "The token has expired or was "
		       "revoked; sign in again.", WS_CLOSE_UNAUTHORIZED);
	else if (err == EPERM)
		refuse(wsc, why ? why : "forbidden", "This account may not "
		       "sign in now.", WS_CLOSE_FORBIDDEN);
	else if (!err)
		wsc->principal = *p;
}


static void auth_done(int err, const char *why, const struct principal *p,
		      void *arg)
{
	struct ws_client *wsc = arg;

	/* the client left, or is being closed, meanwhile */
	if (wsc->closed || wsc->closing)
		goto out;

	if (wsc->state == WS_AUTHED) {
		recheck_done(wsc, err, why, p);
		goto out;
	}

	if (err == EACCES || (!err && !p)) {
		refuse(wsc, "unauthorized", "The token is missing, invalid "
		       "or expired.", WS_CLOSE_UNAUTHORIZED);
		goto out;
	}
	else if (err == EPERM) {
		refuse(wsc, why ? why : "forbidden", "This account may not "
		       "sign in now.", WS_CLOSE_FORBIDDEN);
		goto out;
	}
	else if (err) {
		log_warn("authentication failed: %m", err);
		refuse(wsc, "service_unavailable", "Authentication is not "
		       "available now; retry later.", 1011);
		goto out;
	}

	wsc->principal = *p;
	wsc->state = WS_AUTHED;
	tmr_cancel(&wsc->auth_tmr);
	ws_reply(wsc, json_pack("{s:s, s:s}", "type", "auth.ok",
			     "role", role_name(p->role)));
	early_drain(wsc);

 out:
	mem_deref(wsc);
}


static void on_auth(struct ws_client *wsc, json_t *msg)
{
	const char *token = json_string_value(json_object_get(msg, "token"));
	char *authz = NULL;

	if (!token || !token[0] || strlen(token) > TOKEN_MAX ||
	    re_sdprintf(&authz, "Bearer %s", token)) {
		refuse(wsc, "unauthorized", "The first message must be "
		       "{\"type\":\"auth\",\"token\":\"...\"}.",
		       WS_CLOSE_UNAUTHORIZED);
		return;
	}

	wsc->state = WS_AUTHING;
	mem_deref(wsc->authz);
	wsc->authz = authz;
	authn_bearer(wsc->app, authz, auth_done, mem_ref(wsc));
}


/** Check an authenticated client's credential again (ping tick). */
void ws_msg_recheck(struct ws_client *wsc)
{
	if (wsc->state != WS_AUTHED || !wsc->authz || wsc->rechecking ||
	    wsc->closing || wsc->closed)
		return;

	wsc->rechecking = true;
	authn_bearer(wsc->app, wsc->authz, auth_done, mem_ref(wsc));
}


static bool has_topic(const struct ws_client *wsc, const char *topic)
{
	unsigned i;

	for (i = 0; i < wsc->ntopics; i++) {
		if (!strcmp(wsc->topics[i], topic))
			return true;
	}

	return false;
}


static bool topics_valid(const json_t *topics)
{
	size_t i, n = json_array_size(topics);

	if (!json_is_array(topics) || n < 1 || n > WS_MAX_TOPICS)
		return false;

	for (i = 0; i < n; i++) {
		if (!json_is_string(json_array_get(topics, i)))
			return false;
	}

	return true;
}


static void reply_topics(struct ws_client *wsc, const char *type)
{
	json_t *o = json_pack("{s:s, s:[]}", "type", type, "topics");
	json_t *arr = json_object_get(o, "topics");
	unsigned i;

	for (i = 0; arr && i < wsc->ntopics; i++)
		(void)json_array_append_new(arr,
					    json_string(wsc->topics[i]));

	ws_reply(wsc, o);
}


static void on_subscribe(struct ws_client *wsc, json_t *msg)
{
	json_t *topics = json_object_get(msg, "topics");
	size_t i;

	if (!topics_valid(topics)) {
		reply_error(wsc, "validation_failed", "topics must be an "
			    "array of 1 to 16 strings.");
		return;
	}

	for (i = 0; i < json_array_size(topics); i++) {
		const char *t = json_string_value(json_array_get(topics, i));

		if (!event_topic_allowed(wsc->principal.role, t)) {
			ws_reply(wsc, json_pack("{s:s, s:s, s:s, s:s}",
					     "type", "error",
					     "code", "forbidden", "topic", t,
					     "message", "This topic is not "
					     "available to your role."));
			continue;
		}

		if (has_topic(wsc, t))
			continue;

		if (wsc->ntopics >= WS_MAX_TOPICS) {
			reply_error(wsc, "validation_failed", "At most 16 "
				    "topics may be subscribed.");
			break;
		}

		str_ncpy(wsc->topics[wsc->ntopics++], t,
			 sizeof(wsc->topics[0]));
	}

	reply_topics(wsc, "subscribed");
}


static void on_unsubscribe(struct ws_client *wsc, json_t *msg)
{
	json_t *topics = json_object_get(msg, "topics");
	size_t i;
	unsigned j;

	if (!topics_valid(topics)) {
		reply_error(wsc, "validation_failed", "topics must be an "
			    "array of 1 to 16 strings.");
		return;
	}

	for (i = 0; i < json_array_size(topics); i++) {
		const char *t = json_string_value(json_array_get(topics, i));

		for (j = 0; j < wsc->ntopics; j++) {
			if (strcmp(wsc->topics[j], t))
				continue;

			memmove(wsc->topics[j], wsc->topics[j + 1],
				(wsc->ntopics - j - 1) *
				sizeof(wsc->topics[0]));
			--wsc->ntopics;
			break;
		}
	}

	reply_topics(wsc, "subscribed");
}


static void on_authed(struct ws_client *wsc, const char *type,
		      json_t *msg)
{
	if (!strcmp(type, "ping"))
		ws_reply(wsc, json_pack("{s:s}", "type", "pong"));
	else if (!strcmp(type, "subscribe"))
		on_subscribe(wsc, msg);
	else if (!strcmp(type, "unsubscribe"))
		on_unsubscribe(wsc, msg);
	else if (ws_agent_msg(wsc, type, msg))
		return;
	else if (ws_call_msg(wsc, type, msg))
		return;
	else if (!strcmp(type, "auth"))
		reply_error(wsc, "already_authenticated", "This connection "
			    "is authenticated already.");
	else {
		json_t *o = json_pack("{s:s, s:s, s:s}", "type", "error",
				      "code", "unknown_type", "message",
				      "Unknown message type.");

		if (o && json_object_get(msg, "id"))
			(void)json_object_set(o, "id",
					      json_object_get(msg, "id"));
		ws_reply(wsc, o);
	}
}


static void handle(struct ws_client *wsc, const uint8_t *p, size_t len)
{
	json_t *msg = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
				 NULL);
	const char *type;

	if (!json_is_object(msg)) {
		reply_error(wsc, "invalid_json", "Messages must be JSON "
			    "objects.");
		goto out;
	}

	type = json_string_value(json_object_get(msg, "type"));

	if (wsc->state == WS_AWAIT_AUTH) {
		if (type && !strcmp(type, "auth"))
			on_auth(wsc, msg);
		else
			refuse(wsc, "unauthorized", "The first message must "
			       "be {\"type\":\"auth\",\"token\":\"...\"}.",
			       WS_CLOSE_UNAUTHORIZED);
	}
	else if (!type) {
		reply_error(wsc, "unknown_type", "A message needs a string "
			    "\"type\".");
	}
	else {
		on_authed(wsc, type, msg);
	}

 out:
	json_decref(msg);
}


/**
 * Handle one complete text message from a client. While authentication
 * runs, up to WS_MAX_EARLY messages wait and are handled after it.
 *
 * @param wsc  Client
 * @param p    Message
 * @param len  Length of p
 */
void ws_msg_handle(struct ws_client *wsc, const uint8_t *p, size_t len)
{
	if (!wsc || wsc->closed || wsc->closing)
		return;

	if (wsc->state != WS_AUTHING) {
		handle(wsc, p, len);
		return;
	}

	if (wsc->nearly >= WS_MAX_EARLY) {
		ws_client_close(wsc, 1008, "too many messages before auth.ok");
		return;
	}

	if (!wsc->early)
		wsc->early = mbuf_alloc(len + 4);

	if (!wsc->early || mbuf_write_u32(wsc->early, (uint32_t)len) ||
	    mbuf_write_mem(wsc->early, p, len)) {
		ws_client_close(wsc, 1011, "out of memory");
		return;
	}

	++wsc->nearly;
}


/**
 * Whether an event goes to a client: authenticated, same tenant (the
 * operator sees every tenant), a topic its role may have, addressed to
 * it (ws_audience_ok), subscribed.
 */
bool ws_wants(const struct ws_client *wsc, const struct event *ev)
{
	const char *tenant = event_tenant(ev);
	const char *type = event_type(ev);
	unsigned i;

	if (wsc->state != WS_AUTHED || wsc->closed || wsc->closing)
		return false;

	if (wsc->principal.role != ROLE_OPERATOR &&
	    (!tenant || strcmp(tenant, wsc->principal.tenant_id)))
		return false;

	if (!event_topic_allowed(wsc->principal.role, type))
		return false;

	if (!ws_audience_ok(&wsc->principal, type, event_data(ev)))
		return false;

	for (i = 0; i < wsc->ntopics; i++) {
		if (event_topic_match(type, wsc->topics[i]))
			return true;
	}

	return false;
}
