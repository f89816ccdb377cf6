/* POSIX TZ rules ("EST5EDT,M3.2.0,M11.1.0") for times past a zone file. */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "schedule/tz.h"
#include "schedule/tz_int.h"


static int name_skip(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '<') {
		const char *e = strchr(s, '>');

		if (!e || e - s < 2)
			return EINVAL;
		*sp = e + 1;
		return 0;
	}

	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
		s++;
		n++;
	}
	if (n < 3)
		return EINVAL;

	*sp = s;
	return 0;
}


static int num(const char **sp, unsigned max, unsigned *vp)
{
	const char *s = *sp;
	unsigned v = 0;

	if (*s < '0' || *s > '9')
		return EINVAL;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned)(*s++ - '0');
		if (v > max)
			return EINVAL;
	}

	*sp = s;
	*vp = v;
	return 0;
}


/* [+-]hh[:mm[:ss]] into seconds */
static int hms(const char **sp, unsigned maxh, int32_t *secsp)
{
	unsigned h = 0, m = 0, sec = 0;
	int sign = 1;
	int err;

	if (**sp == '+' || **sp == '-')
		sign = *(*sp)++ == '-' ? -1 : 1;

	err = num(sp, maxh, &h);
	if (!err && **sp == ':') {
		(*sp)++;
		err = num(sp, 59, &m);
		if (!err && **sp == ':') {
			(*sp)++;
			err = num(sp, 59, &sec);
		}
	}

	*secsp = sign * (int32_t)(h * 3600 + m * 60 + sec);
	return err;
}


static int when(const char **sp, struct tz_when *w)
{
	int err;

	if (*(*sp)++ != 'M')
		return EINVAL;   /* tzdata uses no Jn or n forms */

	err = num(sp, 12, &w->month);
	if (!err && *(*sp)++ == '.')
		err = num(sp, 5, &w->week);
	else
		err = EINVAL;
	if (!err && *(*sp)++ == '.')
		err = num(sp, 6, &w->wday);
	else
		err = EINVAL;
	if (err || w->month < 1 || w->week < 1)
		return EINVAL;

	w->secs = 7200;
	if (**sp == '/') {
		(*sp)++;
		err = hms(sp, 167, &w->secs);
	}

	return err;
}


/**
 * Parse the footer rule of a TZif file.
 *
 * @return 0 if success, EINVAL if it is not understood
 */
int tz_rule_parse(struct tz_rule *r, const char *s)
{
	int32_t off;
	int err;

	memset(r, 0, sizeof(*r));
	err = name_skip(&s);
	err = err ? err : hms(&s, 24, &off);
	if (err)
		return err;

	r->std_off = -off;
	if (!*s)
		return 0;

	err = name_skip(&s);
	if (err)
		return err;

	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		err = hms(&s, 24, &off);
		if (err)
			return err;
		r->dst_off = -off;
	}

	if (*s++ != ',')
		return EINVAL;
	err = when(&s, &r->start);
	if (!err && *s++ != ',')
		err = EINVAL;
	err = err ? err : when(&s, &r->end);

	return err ? err : (*s ? EINVAL : 0);
}


/* Local seconds since the epoch at which w happens in year y. */
static int64_t when_local(const struct tz_when *w, int y)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30,
					 31, 30, 31};
	int64_t first = tz_days_from_civil(y, w->month, 1);
	unsigned wd1 = (unsigned)(((first % 7) + 7 + 4) % 7);  /* 0 = Sun */
	unsigned len = mdays[w->month - 1];
	unsigned d;

	if (w->month == 2 && !(y % 4) && (y % 100 || !(y % 400)))
		len = 29;

	d = 1 + (w->wday + 7 - wd1) % 7 + (w->week - 1) * 7;
	while (d > len)
		d -= 7;

	return (first + d - 1) * 86400 + w->secs;
}


/** Seconds east of UTC at utc_s under rule r. */
int32_t tz_rule_offset(const struct tz_rule *r, int64_t utc_s)
{
	int64_t start, end;
	unsigned m, d;
	int y;

	if (!r->has_dst)
		return r->std_off;

	tz_civil_from_days((utc_s + r->std_off) / 86400, &y, &m, &d);
	start = when_local(&r->start, y) - r->std_off;
	end = when_local(&r->end, y) - r->dst_off;

	if (start < end)
		return utc_s >= start && utc_s < end ? r->dst_off : r->std_off;

	/* southern hemisphere: daylight time spans the new year */
	return utc_s >= end && utc_s < start ? r->std_off : r->dst_off;
}
