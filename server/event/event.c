/* The one event bus: domain changes in, serialized events to the sinks. */
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#define LOG_MODULE "event"
#include "log/log.h"
#include "core/uuid.h"
#include "event/event.h"

/*
 * An event is immutable once published. Its envelope is serialized once,
 * here, and every sink (WebSocket clients, later webhooks and the call
 * timeline) shares that text by holding a reference to the event.
 */
struct event {
	char *type;                      /**< (own) "user.created"        */
	char *tenant_id;                 /**< (own) NULL: no tenant        */
	char id[UUID_STRLEN];
	char ts[32];                     /**< ISO 8601 UTC, milliseconds  */
	json_t *data;                    /**< (own) one jansson reference */
	struct mbuf *json;               /**< (own) envelope, NUL-ended   */
	bool outboxed;                   /**< webhooks queued with it     */
};

/* A registered sink; the list owns its entries. */
struct sink {
	struct le le;
	event_h *h;                      /**< NULL once unsubscribed      */
	void *arg;                       /**< (borrowed)                  */
};

/*
 * Sinks may unsubscribe (themselves or others) and publish from inside
 * their handler. While a dispatch runs, unsubscribing only clears h; the
 * entry is freed once the outermost dispatch has finished.
 */
static struct {
	struct list sinkl;               /**< (own) struct sink           */
	unsigned depth;                  /**< nested dispatches running   */
	bool dirty;                      /**< dead sinks wait in sinkl    */
} bus;

/* Topics each role may receive; an event's topic is its type's prefix. */
static const struct {
	enum role role;
	const char *topics[24];
} topic_table[] = {
	{ROLE_AGENT,      {"agent", "queue", "announcement", "ticket", NULL}},
	{ROLE_SUPERVISOR, {"user", "call", "ivr", "dtmf", "voicemail",
			   "agent", "queue", "survey", "monitor", "recording",
			   "alert", "customer", "ticket", "announcement",
			   NULL}},
	{ROLE_ADMIN,      {"user", "tenant", "api_key", "call", "ivr",
			   "dtmf", "voicemail", "agent", "queue", "survey",
			   "monitor", "recording", "alert", "customer",
			   "ticket", "announcement", "webhook", NULL}},
	{ROLE_OPERATOR,   {"tenant", "alert", NULL}},
};


static void destructor(void *arg)
{
	struct event *ev = arg;

	mem_deref(ev->type);
	mem_deref(ev->tenant_id);
	if (ev->data)
		json_decref(ev->data);
	mem_deref(ev->json);
}


static int dump_mbuf(const char *buf, size_t size, void *arg)
{
	return mbuf_write_mem(arg, (const uint8_t *)buf, size) ? -1 : 0;
}


static void ts_now(char *buf, size_t sz)
{
	struct timespec t;
	struct tm tm;
	char date[24];

	(void)clock_gettime(CLOCK_REALTIME, &t);
	(void)gmtime_r(&t.tv_sec, &tm);
	(void)strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)re_snprintf(buf, sz, "%s.%03ldZ", date, t.tv_nsec / 1000000);
}


static int serialize(struct event *ev)
{
	json_t *env;
	int err = 0;

	env = json_pack("{s:s, s:s, s:s, s:s?, s:O}", "type", ev->type,
			"id", ev->id, "ts", ev->ts, "tenant", ev->tenant_id,
			"data", ev->data);
	if (!env)
		return ENOMEM;

	ev->json = mbuf_alloc(256);
	if (!ev->json) {
		err = ENOMEM;
		goto out;
	}

	if (json_dump_callback(env, dump_mbuf, ev->json, JSON_COMPACT)) {
		err = ENOMEM;
		goto out;
	}

	err = mbuf_write_u8(ev->json, 0);

 out:
	json_decref(env);
	return err;
}


static bool name_valid(const char *s, bool star)
{
	size_t n = s ? strlen(s) : 0;
	size_t i;

	if (!n || n > EVENT_NAME_MAX)
		return false;

	if (star && !strcmp(s, "*"))
		return true;

	if (s[0] == '.' || s[n - 1] == '.')
		return false;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || (c == '.' && s[i - 1] != '.')))
			return false;
	}

	return true;
}


/* id and ts NULL: a new id, now. */
static int event_alloc(struct event **evp, const char *tenant_id,
		       const char *type, json_t *data, const char *id,
		       const char *ts)
{
	struct event *ev;
	int err;

	ev = mem_zalloc(sizeof(*ev), destructor);
	if (!ev) {
		json_decref(data);
		return ENOMEM;
	}

	ev->data = data;
	if (id)
		str_ncpy(ev->id, id, sizeof(ev->id));
	else
		uuid_v4(ev->id);
	if (ts)
		str_ncpy(ev->ts, ts, sizeof(ev->ts));
	else
		ts_now(ev->ts, sizeof(ev->ts));

	err = str_dup(&ev->type, type);
	if (!err && tenant_id && tenant_id[0])
		err = str_dup(&ev->tenant_id, tenant_id);
	if (err)
		goto out;

	err = serialize(ev);

 out:
	if (err)
		mem_deref(ev);
	else
		*evp = ev;

	return err;
}


static void sinks_sweep(void)
{
	struct le *le = bus.sinkl.head;

	while (le) {
		struct sink *s = le->data;

		le = le->next;
		if (!s->h) {
			list_unlink(&s->le);
			mem_deref(s);
		}
	}

	bus.dirty = false;
}


static void dispatch(const struct event *ev)
{
	struct le *le;

	/* entries stay in the list while depth > 0, so le->next is safe */
	++bus.depth;
	for (le = bus.sinkl.head; le; le = le->next) {
		struct sink *s = le->data;

		if (s->h)
			s->h(ev, s->arg);
	}

	if (--bus.depth == 0 && bus.dirty)
		sinks_sweep();
}


/**
 * Make an event without publishing it yet, for a change that writes its
 * event to the database (and the webhook outbox) before the sinks see
 * it: the id, time and envelope are fixed here.
 *
 * @param evp        The event; publish it with event_dispatch(), then
 *                   mem_deref() it
 * @param tenant_id  Tenant the event belongs to, or NULL/"" for none
 * @param type       Event type, e.g. "user.created" ([a-z0-9_.], <= 63)
 * @param data       Payload; the caller's reference is taken, also when
 *                   an error is returned
 *
 * @return 0 if success, otherwise errorcode
 */
int event_create(struct event **evp, const char *tenant_id,
		 const char *type, struct json_t *data)
{
	int err;

	if (!evp || !data) {
		json_decref(data);
		return EINVAL;
	}

	if (!name_valid(type, false) ||
	    (tenant_id && strlen(tenant_id) > EVENT_NAME_MAX)) {
		log_warn("not publishing an event with a bad type or tenant");
		json_decref(data);
		return EINVAL;
	}

	err = event_alloc(evp, tenant_id, type, data, NULL, NULL);
	if (err)
		log_warn("event %s not published: %m", type, err);

	return err;
}


/**
 * Make an event whose id and time were given out before, where its
 * change was written (the database wrote its webhook deliveries in the
 * same transaction, with this id and time); dispatch it after the
 * commit. Otherwise as event_create().
 *
 * @param id  The event's id (a UUID)
 * @param ts  Its time, ISO 8601 UTC with milliseconds
 *
 * @return 0 if success, otherwise errorcode
 */
int event_create_as(struct event **evp, const char *tenant_id,
		    const char *type, struct json_t *data, const char *id,
		    const char *ts)
{
	if (!id || strlen(id) != UUID_STRLEN - 1 || !ts || !ts[0] ||
	    strlen(ts) >= sizeof(((struct event *)0)->ts)) {
		json_decref(data);
		return EINVAL;
	}

	if (!evp || !data || !name_valid(type, false) ||
	    (tenant_id && strlen(tenant_id) > EVENT_NAME_MAX)) {
		json_decref(data);
		return EINVAL;
	}

	return event_alloc(evp, tenant_id, type, data, id, ts);
}


/** Publish an event made by event_create() to every registered sink. */
void event_dispatch(const struct event *ev)
{
	if (ev)
		dispatch(ev);
}


/**
 * Note that the event's webhook deliveries were written with the change
 * (webhook/webhook.h), so the webhook sink does not queue them again.
 */
void event_set_outboxed(struct event *ev)
{
	if (ev)
		ev->outboxed = true;
}


/** Whether the event's webhook deliveries were written with it. */
bool event_outboxed(const struct event *ev)
{
	return ev && ev->outboxed;
}


/**
 * Publish an event to every registered sink, synchronously, in
 * registration order. The event's envelope is serialized once.
 *
 * @param tenant_id  Tenant the event belongs to, or NULL/"" for none
 * @param type       Event type, e.g. "user.created" ([a-z0-9_.], <= 63)
 * @param data       Payload; the caller's reference is taken, also when
 *                   an error is returned
 *
 * @return 0 if success, otherwise errorcode
 */
int event_publish(const char *tenant_id, const char *type,
		  struct json_t *data)
{
	struct event *ev;
	int err;

	if (!data)
		return EINVAL;

	err = event_create(&ev, tenant_id, type, data);
	if (err)
		return err;

	dispatch(ev);
	mem_deref(ev);

	return 0;
}


/**
 * Register a sink that receives every published event. A sink that
 * keeps an event past its handler takes a reference with event_ref().
 *
 * @param h    Handler
 * @param arg  Handler argument
 *
 * @return 0 if success, EALREADY if (h, arg) is registered, otherwise
 *         errorcode
 */
int event_subscribe(event_h *h, void *arg)
{
	struct sink *s;
	struct le *le;

	if (!h)
		return EINVAL;

	LIST_FOREACH(&bus.sinkl, le) {
		s = le->data;
		if (s->h == h && s->arg == arg)
			return EALREADY;
	}

	s = mem_zalloc(sizeof(*s), NULL);
	if (!s)
		return ENOMEM;

	s->h = h;
	s->arg = arg;
	list_append(&bus.sinkl, &s->le, s);

	return 0;
}


/**
 * Remove a sink; it receives no event after this returns, even when
 * called from inside a dispatch.
 *
 * @param h    Handler given to event_subscribe()
 * @param arg  Argument given to event_subscribe()
 */
void event_unsubscribe(event_h *h, void *arg)
{
	struct le *le;

	LIST_FOREACH(&bus.sinkl, le) {
		struct sink *s = le->data;

		if (!s->h || s->h != h || s->arg != arg)
			continue;

		if (bus.depth) {
			s->h = NULL;
			bus.dirty = true;
		}
		else {
			list_unlink(&s->le);
			mem_deref(s);
		}
		return;
	}
}


/** Event type, e.g. "user.created". */
const char *event_type(const struct event *ev)
{
	return ev ? ev->type : NULL;
}


/** Event id, a random UUID. */
const char *event_id(const struct event *ev)
{
	return ev ? ev->id : NULL;
}


/** Publication time, ISO 8601 UTC with milliseconds. */
const char *event_ts(const struct event *ev)
{
	return ev ? ev->ts : NULL;
}


/** Tenant id of the event, or NULL for an event of no tenant. */
const char *event_tenant(const struct event *ev)
{
	return ev ? ev->tenant_id : NULL;
}


/** The payload (borrowed; valid while the event is). */
const struct json_t *event_data(const struct event *ev)
{
	return ev ? ev->data : NULL;
}


/**
 * The envelope `{"type","id","ts","tenant","data"}` as compact JSON,
 * NUL-terminated, serialized once per event.
 */
const char *event_json(const struct event *ev)
{
	return ev ? (const char *)ev->json->buf : NULL;
}


/** Length of event_json() without the NUL. */
size_t event_json_len(const struct event *ev)
{
	return ev ? ev->json->end - 1 : 0;
}


/**
 * Take a reference to an event, to keep it past the sink handler.
 *
 * @return The event; release it with mem_deref()
 */
struct event *event_ref(const struct event *ev)
{
	return mem_ref((void *)ev);
}


/**
 * Whether an event type belongs to a topic: "*" matches every type,
 * "user" matches "user" and "user.created", "user.created" only itself.
 */
bool event_topic_match(const char *type, const char *topic)
{
	size_t n;

	if (!type || !topic || !topic[0])
		return false;

	if (!strcmp(topic, "*"))
		return true;

	n = strlen(topic);

	return !strncmp(type, topic, n) && (type[n] == '\0' ||
					    type[n] == '.');
}


/** Whether a topic is well-formed: "*" or a dotted [a-z0-9_] name. */
bool event_topic_valid(const char *topic)
{
	return name_valid(topic, true);
}


/**
 * Whether a role may receive a topic. The first component of the topic
 * decides ("user.created" as "user"); "*" is allowed to a role that has
 * any topic (deliveries are still checked one by one).
 */
bool event_topic_allowed(enum role role, const char *topic)
{
	size_t i, j, n;

	if (!event_topic_valid(topic))
		return false;

	n = strcspn(topic, ".");

	for (i = 0; i < ARRAY_SIZE(topic_table); i++) {
		const char *const *t = topic_table[i].topics;

		if (topic_table[i].role != role)
			continue;

		if (!strcmp(topic, "*"))
			return t[0] != NULL;

		for (j = 0; t[j]; j++) {
			if (strlen(t[j]) == n && !strncmp(t[j], topic, n))
				return true;
		}
	}

	return false;
}
