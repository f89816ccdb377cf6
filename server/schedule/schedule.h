/*
 * Schedules: a weekly timetable in an IANA time zone plus dated
 * exceptions (holidays closed all day, or special hours). Flows (time
 * switch nodes), number routes and later queues share them by id.
 *
 * JSON form (the API's body, minus name):
 *   {"timezone": "Asia/Shanghai",
 *    "weekly": [{"days": [1,2,3,4,5], "from": "09:00", "to": "18:00"}],
 *    "exceptions": [{"date": "2026-10-01", "closed": true},
 *                   {"date": "2026-09-27", "from": "09:00", "to": "12:00"}]}
 * days are 1 = Monday .. 7 = Sunday; "to" may be "24:00"; a weekly range
 * with from > to runs overnight into the next day (22:00-06:00). On a
 * date with exceptions only the exceptions count.
 */
#ifndef OPENSEAT_SCHEDULE_H
#define OPENSEAT_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct json_t;
struct schedule;

enum { SCHED_WEEKLY_MAX = 64, SCHED_EXCEPTIONS_MAX = 400 };

/** Why a schedule was refused: field path, stable code, English text. */
struct sched_error {
	char field[48];              /**< "weekly[2].to"                 */
	char code[24];               /**< "format", "range", "timezone"… */
	char message[128];
};

int  schedule_parse(struct schedule **sp, const struct json_t *obj,
		    struct sched_error *e);
int  schedule_parse_text(struct schedule **sp, const char *text,
			 size_t len, struct sched_error *e);
bool schedule_open(const struct schedule *s, int64_t utc_ms);
const char *schedule_tz_name(const struct schedule *s);

/** Called once with a schedule reference (the callee derefs) or err. */
typedef void (schedule_h)(int err, struct schedule *s, void *arg);

int  schedule_init(struct app *app);
void schedule_close(void);
int  schedule_get(const char *tenant_id, const char *schedule_id,
		  schedule_h *h, void *arg);
int  schedule_cache_put(const char *tenant_id, const char *schedule_id,
			struct schedule *s);
void schedule_forget(const char *schedule_id);

/** NOTIFY channel: payload is the changed schedule's id. */
#define SCHEDULE_CHANNEL "openseat_schedule"
int  schedule_api_init(void);

#endif
