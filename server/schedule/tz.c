/* IANA time zones from the system's TZif files, cached in memory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "schedule/tz.h"
#include "schedule/tz_int.h"

/*
 * A zone is read once from <dir>/<name> (TZif v2+, the 64-bit part) and
 * kept for the life of the process: zones are few and immutable. Times
 * after the last transition follow the file's POSIX footer rule
 * (tz_rule.c). Nothing here touches the TZ environment variable or
 * libc's localtime, which are process-global and not loop-safe.
 */

enum { TZ_FILE_MAX = 256 * 1024, TZ_NAME_MAX = 64 };

static struct list zonel;            /**< struct tz, owning */
static char zdir[256] = "/usr/share/zoneinfo";


static void destructor(void *arg)
{
	struct tz *tz = arg;

	list_unlink(&tz->le);
	mem_deref(tz->transv);
	mem_deref(tz->idxv);
	mem_deref(tz->typev);
}


/**
 * Whether name is an acceptable IANA zone name: letters, digits, '_',
 * '-', '+' in '/'-separated parts, none starting with '.', so a name
 * can never leave the zone directory.
 */
bool tz_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	bool part_start = true;

	if (n == 0 || n > TZ_NAME_MAX)
		return false;

	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == '/') {
			if (part_start)
				return false;
			part_start = true;
			continue;
		}
		if (part_start && (c == '.' || c == '-' || c == '+'))
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '+'))
			return false;
		part_start = false;
	}

	return !part_start;
}


static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}


static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}


struct tzhead {
	uint32_t isut, isstd, leap, time, type, chars;
};


static int head_read(struct tzhead *h, const uint8_t *p, size_t len)
{
	if (len < 44 || memcmp(p, "TZif", 4))
		return EPROTO;

	h->isut  = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap  = be32(p + 28);
	h->time  = be32(p + 32);
	h->type  = be32(p + 36);
	h->chars = be32(p + 40);

	if (h->type == 0 || h->type > 256 || h->time > 100000 ||
	    h->chars > 4096 || h->leap > 1000 || h->isut > h->type ||
	    h->isstd > h->type)
		return EPROTO;

	return 0;
}


static size_t body_len(const struct tzhead *h, size_t tsz)
{
	return h->time * tsz + h->time + h->type * 6 + h->chars +
		h->leap * (tsz + 4) + h->isstd + h->isut;
}


/* The 64-bit body p (after its header), then the footer. */
static int body_read(struct tz *tz, const struct tzhead *h,
		     const uint8_t *p, const uint8_t *end)
{
	const uint8_t *ip = p + h->time * 8, *tp = ip + h->time;
	const uint8_t *f = p + body_len(h, 8);

	tz->transv = mem_alloc(sizeof(int64_t) * (h->time + 1), NULL);
	tz->idxv = mem_alloc(h->time + 1, NULL);
	tz->typev = mem_alloc(sizeof(int32_t) * h->type, NULL);
	if (!tz->transv || !tz->idxv || !tz->typev)
		return ENOMEM;

	tz->ntrans = h->time;
	tz->ntype = h->type;
	for (uint32_t i = 0; i < h->time; i++) {
		tz->transv[i] = be64(p + 8 * i);
		tz->idxv[i] = ip[i];
		if (ip[i] >= h->type ||
		    (i && tz->transv[i] <= tz->transv[i - 1]))
			return EPROTO;
	}
	for (uint32_t i = 0; i < h->type; i++) {
		int32_t off = (int32_t)be32(tp + 6 * i);

		if (off < -25 * 3600 || off > 26 * 3600)
			return EPROTO;
		tz->typev[i] = off;
	}

	/* footer: "\n<POSIX TZ>\n"; absent or unusable -> last type */
	if (f < end && *f == '\n') {
		const uint8_t *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));

		if (nl && nl - f - 1 < (long)sizeof(tz->rule_text)) {
			memcpy(tz->rule_text, f + 1, (size_t)(nl - f - 1));
			tz->has_rule = tz_rule_parse(&tz->rule,
						     tz->rule_text) == 0;
		}
	}

	return 0;
}


/**
 * Parse a TZif file (version 2 or later) held in buf.
 *
 * @return 0 if success, EPROTO if it is not a usable TZif file
 */
int tz_parse(struct tz **tzp, const uint8_t *buf, size_t len)
{
	struct tzhead h1, h2;
	const uint8_t *p2;
	struct tz *tz;
	size_t v1;
	int err;

	if (!tzp || !buf)
		return EINVAL;

	err = head_read(&h1, buf, len);
	if (err)
		return err;
	if (buf[4] < '2')
		return EPROTO;

	v1 = 44 + body_len(&h1, 4);
	if (v1 > len)
		return EPROTO;

	p2 = buf + v1;
	err = head_read(&h2, p2, len - v1);
	if (err)
		return err;
	if (44 + body_len(&h2, 8) > len - v1)
		return EPROTO;

	tz = mem_zalloc(sizeof(*tz), destructor);
	if (!tz)
		return ENOMEM;

	err = body_read(tz, &h2, p2 + 44, buf + len);
	if (err)
		mem_deref(tz);
	else
		*tzp = tz;

	return err;
}


static int file_read(struct mbuf *mb, const char *path)
{
	uint8_t chunk[4096];
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		fd = open(path, O_RDONLY | O_CLOEXEC);   /* zone aliases */
	if (fd < 0)
		return ENOENT;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (mb->end + (size_t)n > TZ_FILE_MAX) {
			err = EPROTO;
			break;
		}
		err = mbuf_write_mem(mb, chunk, (size_t)n);
		if (err)
			break;
	}
	if (n < 0)
		err = EIO;

	(void)close(fd);
	return err;
}


/**
 * A zone by IANA name ("Asia/Shanghai"), read on first use and cached.
 * Reading a zone file is a few KB from the page cache, once per zone
 * per process.
 *
 * @return 0 and a reference in *tzp, EINVAL for a malformed name, ENOENT
 *         for an unknown zone
 */
int tz_get(struct tz **tzp, const char *name)
{
	struct mbuf *mb;
	char path[400];
	struct tz *tz;
	struct le *le;
	int err;

	if (!tzp || !tz_name_ok(name))
		return EINVAL;

	LIST_FOREACH(&zonel, le) {
		tz = le->data;
		if (!strcmp(tz->name, name)) {
			*tzp = mem_ref(tz);
			return 0;
		}
	}

	if (re_snprintf(path, sizeof(path), "%s/%s", zdir, name) < 0)
		return EINVAL;

	mb = mbuf_alloc(4096);
	if (!mb)
		return ENOMEM;

	err = file_read(mb, path);
	err = err ? err : tz_parse(&tz, mb->buf, mb->end);
	mem_deref(mb);
	if (err)
		return err == ENOMEM ? err : ENOENT;

	str_ncpy(tz->name, name, sizeof(tz->name));
	list_append(&zonel, &tz->le, tz);
	*tzp = mem_ref(tz);

	return 0;
}


/** Seconds east of UTC in zone tz at the instant utc_s. */
int32_t tz_offset(const struct tz *tz, int64_t utc_s)
{
	uint32_t lo = 0, hi;

	if (!tz)
		return 0;

	if (tz->ntrans == 0 || utc_s < tz->transv[0])
		return tz->typev[0];

	if (utc_s >= tz->transv[tz->ntrans - 1] && tz->has_rule)
		return tz_rule_offset(&tz->rule, utc_s);

	/* the last transition at or before utc_s */
	hi = tz->ntrans;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (tz->transv[mid] <= utc_s)
			lo = mid;
		else
			hi = mid;
	}

	return tz->typev[tz->idxv[lo]];
}


/** Where utc_ms falls on the local calendar of tz. */
void tz_local(const struct tz *tz, int64_t utc_ms, struct tz_local *lt)
{
	int64_t s = (utc_ms >= 0 ? utc_ms / 1000 : (utc_ms - 999) / 1000);
	int64_t local = s + tz_offset(tz, s);
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t sec = local - days * 86400;

	tz_civil_from_days(days, &lt->year, &lt->month, &lt->day);
	/* 1970-01-01 was a Thursday (4) */
	lt->wday = (unsigned)(((days % 7) + 7 + 3) % 7) + 1;
	lt->minute = (unsigned)(sec / 60);
}


/** Read zones from dir instead of /usr/share/zoneinfo (tests). */
void tz_set_dir(const char *dir)
{
	str_ncpy(zdir, dir, sizeof(zdir));
	tz_flush();
}


/** Forget cached zones (references held elsewhere stay valid). */
void tz_flush(void)
{
	struct le *le;

	while ((le = zonel.head)) {
		list_unlink(le);
		mem_deref(le->data);
	}
}


/** Days from 1970-01-01 to y-m-d (proleptic Gregorian calendar). */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}


/** The calendar date of a day number (inverse of the above). */
void tz_civil_from_days(int64_t z, int *yp, unsigned *mp, unsigned *dp)
{
	int64_t era, y;
	unsigned doe, yoe, doy, mp5, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp5 = (5 * doy + 2) / 153;
	d = doy - (153 * mp5 + 2) / 5 + 1;
	m = mp5 < 10 ? mp5 + 3 : mp5 - 9;

	*yp = (int)(y + (m <= 2));
	*mp = m;
	*dp = d;
}
