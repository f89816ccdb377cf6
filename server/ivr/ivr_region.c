/* The area switch's question: which region is this caller's number in? */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include <jansson.h>
#include "app.h"
#include "db/db.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"

/*
 * number_regions is a platform table (no tenant): the longest prefix of
 * the normalized caller that it lists wins. Empty table or no match:
 * ENOENT, and the switch takes its default branch.
 */

struct region_q {
	ivr_region_h *h;
	void *arg;
};


static void done(int err, const struct db_res *res, void *arg)
{
	struct region_q *q = arg;
	const char *region = NULL;

	if (!err && db_nrows(res, 0) > 0)
		region = db_val(res, 0, 0, 0);

	q->h(err ? err : region ? 0 : ENOENT, region, q->arg);
	mem_deref(q);
}


/* "+86 10-1234" / "0086..." / "010..." -> "101234...": the national
 * number without trunk or country prefix. No national number of 12
 * digits or more starts with 86 (area codes start 0, mobiles 1). */
static size_t normalize(char *out, size_t sz, const char *in)
{
	size_t n = 0;
	const char *d;

	for (; *in && n + 1 < sz; in++) {
		if (*in >= '0' && *in <= '9')
			out[n++] = *in;
	}
	out[n] = '\0';

	d = out;
	if (!strncmp(d, "0086", 4))
		d += 4;
	else if (!strncmp(d, "86", 2) && n >= 12)
		d += 2;
	if (*d == '0')
		d++;

	memmove(out, d, strlen(d) + 1);
	return strlen(out);
}


/**
 * Look up the caller's region; h gets it, ENOENT when none is known.
 *
 * @return 0 if the query was sent (h will be called exactly once)
 */
int ivr_region_lookup(struct app *app, const char *caller,
		      ivr_region_h *h, void *arg)
{
	static const char sql[] =
		"SELECT region FROM number_regions"
		" WHERE prefix = ANY($1::text[])"
		" ORDER BY length(prefix) DESC LIMIT 1";
	const struct db_ctx ctx = {DB_NONE, NULL};
	char num[40], arr[400];
	struct region_q *q;
	size_t n, len = 0;
	const char *pv[1];
	int err;

	if (!app || !app->db || !caller || !h)
		return EINVAL;

	n = normalize(num, sizeof(num), caller);
	if (n == 0)
		return ENOENT;

	/* every prefix of up to 16 digits: {1,13,138,...} */
	arr[len++] = '{';
	for (size_t i = 1; i <= n && i <= 16; i++) {
		int w = re_snprintf(arr + len, sizeof(arr) - len, "%s%b",
				    i > 1 ? "," : "", num, i);

		if (w < 0)
			return ENOMEM;
		len += (size_t)w;
	}
	arr[len++] = '}';
	arr[len] = '\0';

	q = mem_zalloc(sizeof(*q), NULL);
	if (!q)
		return ENOMEM;

	q->h = h;
	q->arg = arg;
	pv[0] = arr;
	err = db_query(app->db, &ctx, done, q, sql, 1, pv);
	if (err)
		mem_deref(q);

	return err;
}
