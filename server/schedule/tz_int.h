/* Time zones inside: the parsed TZif data and the POSIX footer rule. */
#ifndef OPENSEAT_TZ_INT_H
#define OPENSEAT_TZ_INT_H

/* The includer brings <re.h> (struct le). */


/** One end of daylight time: month, week (5 = last), weekday 0 = Sun. */
struct tz_when {
	unsigned month, week, wday;
	int32_t secs;                /**< local time of day, may be < 0 */
};

/** "EST5EDT,M3.2.0,M11.1.0": offsets are seconds east of UTC. */
struct tz_rule {
	int32_t std_off;
	int32_t dst_off;
	bool has_dst;
	struct tz_when start, end;
};

struct tz {
	struct le le;
	char name[65];
	int64_t *transv;             /**< transition instants, UTC s   */
	uint8_t *idxv;               /**< type index per transition    */
	int32_t *typev;              /**< offset per type              */
	uint32_t ntrans, ntype;
	char rule_text[64];
	struct tz_rule rule;
	bool has_rule;
};

int     tz_rule_parse(struct tz_rule *r, const char *s);
int32_t tz_rule_offset(const struct tz_rule *r, int64_t utc_s);

#endif
