/* The one event bus: domain changes in, serialized events to the sinks. */
#ifndef OPENSEAT_EVENT_H
#define OPENSEAT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include "auth/role.h"

struct event;
struct json_t;

/** Longest event type and topic name, without the terminating NUL */
#define EVENT_NAME_MAX 63

typedef void (event_h)(const struct event *ev, void *arg);

int  event_subscribe(event_h *h, void *arg);
void event_unsubscribe(event_h *h, void *arg);
int  event_publish(const char *tenant_id, const char *type,
		   struct json_t *data);
int  event_create(struct event **evp, const char *tenant_id,
		  const char *type, struct json_t *data);
int  event_create_as(struct event **evp, const char *tenant_id,
		     const char *type, struct json_t *data, const char *id,
		     const char *ts);
void event_dispatch(const struct event *ev);
void event_set_outboxed(struct event *ev);
bool event_outboxed(const struct event *ev);

const char *event_type(const struct event *ev);
const char *event_id(const struct event *ev);
const char *event_ts(const struct event *ev);
const char *event_tenant(const struct event *ev);
const struct json_t *event_data(const struct event *ev);
const char *event_json(const struct event *ev);
size_t event_json_len(const struct event *ev);
struct event *event_ref(const struct event *ev);

bool event_topic_match(const char *type, const char *topic);
bool event_topic_valid(const char *topic);
bool event_topic_allowed(enum role role, const char *topic);

#endif
