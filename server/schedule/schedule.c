/* Schedules: parse the JSON form, and whether one is open at an instant. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "schedule/schedule.h"
#include "schedule/sched_int.h"
#include "schedule/tz.h"


static void destructor(void *arg)
{
	struct schedule *s = arg;

	mem_deref(s->tz);
	mem_deref(s->excv);
}


static int fail(struct sched_error *e, const char *field, const char *code,
		const char *msg)
{
	if (e) {
		str_ncpy(e->field, field, sizeof(e->field));
		str_ncpy(e->code, code, sizeof(e->code));
		str_ncpy(e->message, msg, sizeof(e->message));
	}

	return EINVAL;
}


/* "HH:MM" (00:00 .. 24:00) into minutes of the day. */
static int hhmm(const json_t *v, bool allow_24, uint16_t *minp)
{
	const char *s = json_string_value(v);
	unsigned h, m;

	if (!s || strlen(s) != 5 || s[2] != ':')
		return EINVAL;
	for (int i = 0; i < 5; i++) {
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return EINVAL;
	}

	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m || !allow_24)))
		return EINVAL;

	*minp = (uint16_t)(h * 60 + m);
	return 0;
}


/* "2026-10-01" into a day number. */
static int date_parse(const json_t *v, int32_t *dayp)
{
	const char *s = json_string_value(v);
	unsigned y = 0, m = 0, d = 0, mm;
	int yy;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return EINVAL;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return EINVAL;
		if (i < 4)
			y = y * 10 + (unsigned)(s[i] - '0');
		else if (i < 7)
			m = m * 10 + (unsigned)(s[i] - '0');
		else
			d = d * 10 + (unsigned)(s[i] - '0');
	}
	if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return EINVAL;

	*dayp = (int32_t)tz_days_from_civil(y, m, d);
	tz_civil_from_days(*dayp, &yy, &mm, &d);

	return mm == m ? 0 : EINVAL;   /* 2026-02-30 rolled over */
}


static bool keys_only(const json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		const char *const *p;

		for (p = keys; *p && strcmp(*p, k); p++)
			;
		if (!*p)
			return false;
	}

	return true;
}


static int weekly_one(struct sched_range *r, const json_t *o,
		      const char *field, struct sched_error *e)
{
	static const char *const keys[] = {"days", "from", "to", NULL};
	const json_t *days = json_object_get(o, "days");
	const json_t *d;
	char f[48];
	size_t i;

	if (!json_is_object(o) || !keys_only(o, keys))
		return fail(e, field, "type", "must be an object with days, "
			    "from and to");

	(void)re_snprintf(f, sizeof(f), "%s.days", field);
	if (!json_is_array(days) || !json_array_size(days) ||
	    json_array_size(days) > 7)
		return fail(e, f, "type", "must be a list of 1 to 7 days "
			    "(1 = Monday .. 7 = Sunday)");

	json_array_foreach(days, i, d) {
		json_int_t n = json_integer_value(d);

		if (!json_is_integer(d) || n < 1 || n > 7)
			return fail(e, f, "range", "days are 1 (Monday) to "
				    "7 (Sunday)");
		r->days |= (uint8_t)(1u << (n - 1));
	}

	(void)re_snprintf(f, sizeof(f), "%s.from", field);
	if (hhmm(json_object_get(o, "from"), false, &r->from))
		return fail(e, f, "format", "must be a time HH:MM");

	(void)re_snprintf(f, sizeof(f), "%s.to", field);
	if (hhmm(json_object_get(o, "to"), true, &r->to))
		return fail(e, f, "format", "must be a time HH:MM (24:00 "
			    "for midnight)");
	if (r->to == r->from)
		return fail(e, f, "range", "must differ from from");

	return 0;
}


static int exc_one(struct sched_exc *x, const json_t *o,
		   const char *field, struct sched_error *e)
{
	static const char *const keys[] = {"date", "closed", "from", "to",
					   NULL};
	const json_t *closed = json_object_get(o, "closed");
	char f[48];

	if (!json_is_object(o) || !keys_only(o, keys))
		return fail(e, field, "type", "must be an object with date "
			    "and closed, or date, from and to");

	(void)re_snprintf(f, sizeof(f), "%s.date", field);
	if (date_parse(json_object_get(o, "date"), &x->day))
		return fail(e, f, "format", "must be a date YYYY-MM-DD");

	if (closed && !json_is_boolean(closed)) {
		(void)re_snprintf(f, sizeof(f), "%s.closed", field);
		return fail(e, f, "type", "must be true or false");
	}

	if (json_is_true(closed)) {
		if (json_object_get(o, "from") || json_object_get(o, "to"))
			return fail(e, field, "conflict", "a closed day has "
				    "no from or to");
		x->closed = true;
		return 0;
	}

	(void)re_snprintf(f, sizeof(f), "%s.from", field);
	if (hhmm(json_object_get(o, "from"), false, &x->from))
		return fail(e, f, "format", "must be a time HH:MM");
	(void)re_snprintf(f, sizeof(f), "%s.to", field);
	if (hhmm(json_object_get(o, "to"), true, &x->to))
		return fail(e, f, "format", "must be a time HH:MM (24:00 "
			    "for midnight)");
	if (x->to <= x->from)
		return fail(e, f, "range", "must be later than from");

	return 0;
}


static int exc_cmp(const void *a, const void *b)
{
	const struct sched_exc *x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}


static int lists_parse(struct schedule *s, const json_t *weekly,
		       const json_t *exc, struct sched_error *e)
{
	const json_t *v;
	char f[48];
	size_t i;
	int err;

	if (weekly && (!json_is_array(weekly) ||
		       json_array_size(weekly) > SCHED_WEEKLY_MAX))
		return fail(e, "weekly", "type", "must be a list of at most "
			    "64 time ranges");
	if (exc && (!json_is_array(exc) ||
		    json_array_size(exc) > SCHED_EXCEPTIONS_MAX))
		return fail(e, "exceptions", "type", "must be a list of at "
			    "most 400 dated exceptions");

	json_array_foreach(weekly, i, v) {
		(void)re_snprintf(f, sizeof(f), "weekly[%zu]", i);
		err = weekly_one(&s->weekly[i], v, f, e);
		if (err)
			return err;
		s->nweekly++;
	}

	s->excv = mem_zalloc(sizeof(*s->excv) * (json_array_size(exc) + 1),
			     NULL);
	if (!s->excv)
		return ENOMEM;

	json_array_foreach(exc, i, v) {
		(void)re_snprintf(f, sizeof(f), "exceptions[%zu]", i);
		err = exc_one(&s->excv[i], v, f, e);
		if (err)
			return err;
		s->nexc++;
	}

	qsort(s->excv, s->nexc, sizeof(*s->excv), exc_cmp);
	return 0;
}


/**
 * Parse a schedule object (see schedule.h); "name" is allowed and left
 * to the caller. Nothing is allocated when it fails.
 *
 * @return 0 if success, EINVAL with *e filled when the input is wrong
 */
int schedule_parse(struct schedule **sp, const json_t *obj,
		   struct sched_error *e)
{
	static const char *const keys[] = {"name", "timezone", "weekly",
					   "exceptions", NULL};
	const char *tzn = json_string_value(json_object_get(obj, "timezone"));
	struct schedule *s;
	const char *k;
	json_t *v;
	int err;

	if (!sp)
		return EINVAL;
	if (!json_is_object(obj))
		return fail(e, "", "type", "must be a JSON object");

	json_object_foreach((json_t *)obj, k, v) {
		const char *const *p;

		for (p = keys; *p && strcmp(*p, k); p++)
			;
		if (!*p)
			return fail(e, k, "unknown", "is not a schedule "
				    "field");
	}

	if (!tzn)
		return fail(e, "timezone", "required", "must be an IANA time "
			    "zone such as Asia/Shanghai");
	if (!tz_name_ok(tzn))
		return fail(e, "timezone", "timezone", "is not a valid time "
			    "zone name");

	s = mem_zalloc(sizeof(*s), destructor);
	if (!s)
		return ENOMEM;

	err = tz_get(&s->tz, tzn);
	if (err) {
		mem_deref(s);
		return err == ENOMEM ? err : fail(e, "timezone", "timezone",
						   "is not a known time zone");
	}
	str_ncpy(s->tz_name, tzn, sizeof(s->tz_name));

	err = lists_parse(s, json_object_get(obj, "weekly"),
			  json_object_get(obj, "exceptions"), e);
	if (err)
		mem_deref(s);
	else
		*sp = s;

	return err;
}


/** Parse schedule JSON text; see schedule_parse(). */
int schedule_parse_text(struct schedule **sp, const char *text, size_t len,
			struct sched_error *e)
{
	json_error_t jerr;
	json_t *j;
	int err;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return fail(e, "", "json", "is not valid JSON");

	err = schedule_parse(sp, j, e);
	json_decref(j);

	return err;
}


static bool exc_open(const struct schedule *s, int32_t day, unsigned min,
		     bool *datedp)
{
	bool open = false;

	*datedp = false;
	for (unsigned i = 0; i < s->nexc; i++) {
		const struct sched_exc *x = &s->excv[i];

		if (x->day != day)
			continue;
		*datedp = true;
		if (!x->closed && min >= x->from && min < x->to)
			open = true;
	}

	return open;
}


/**
 * Whether s is open at the instant utc_ms (ms since the epoch, UTC).
 * Local time comes from the schedule's zone, so daylight saving time
 * shifts are followed.
 */
bool schedule_open(const struct schedule *s, int64_t utc_ms)
{
	struct tz_local lt;
	unsigned prev;
	int32_t day;
	bool dated, open;

	if (!s)
		return false;

	tz_local(s->tz, utc_ms, &lt);
	day = (int32_t)tz_days_from_civil(lt.year, lt.month, lt.day);

	open = exc_open(s, day, lt.minute, &dated);
	if (dated)
		return open;

	prev = lt.wday == 1 ? 7 : lt.wday - 1;
	for (unsigned i = 0; i < s->nweekly; i++) {
		const struct sched_range *r = &s->weekly[i];

		if (r->days & (1u << (lt.wday - 1))) {
			unsigned to = r->to > r->from ? r->to : 1440;

			if (lt.minute >= r->from && lt.minute < to)
				return true;
		}
		/* the early part of yesterday's overnight range */
		if (r->to < r->from && (r->days & (1u << (prev - 1))) &&
		    lt.minute < r->to)
			return true;
	}

	return false;
}


/** The schedule's IANA zone name. */
const char *schedule_tz_name(const struct schedule *s)
{
	return s ? s->tz_name : "";
}
