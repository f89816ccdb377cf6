/* The audience of ticket and announcement events: an agent hears only
 * of what concerns them. */
#include <string.h>
#include <jansson.h>
#include "auth/principal.h"
#include "event/event.h"
#include "ws/ws_audience.h"

/*
 * A ticket event goes to the agents of its assignee (the user, or the
 * queue's agents) and to its creator; an announcement to all agents or
 * to its queues' agents. The publisher names them in the event's
 * "recipients": {"all": true} or {"users": [user ids]}, worked out in
 * the same transaction as the change (migrations/0018). Supervisors and
 * admins hear of every one; an event of these topics without recipients
 * reaches no agent (a publisher that forgot them leaks nothing).
 */


static bool addressed(const char *type)
{
	return event_topic_match(type, "ticket") ||
		event_topic_match(type, "announcement");
}


/**
 * Whether an event of a topic p may have is for p.
 *
 * @param p     The client's principal
 * @param type  Event type, e.g. "ticket.assigned"
 * @param data  The event's data
 *
 * @return true if the event goes to p
 */
bool ws_audience_ok(const struct principal *p, const char *type,
		    const json_t *data)
{
	const json_t *r, *users, *u;
	size_t i;

	if (!type || !addressed(type) || p->role >= ROLE_SUPERVISOR)
		return true;

	r = json_object_get(data, "recipients");
	if (json_is_true(json_object_get(r, "all")))
		return true;

	users = json_object_get(r, "users");
	json_array_foreach(users, i, u) {
		const char *id = json_string_value(u);

		if (id && !strcmp(id, p->id))
			return true;
	}

	return false;
}
