/* Node kinds that branch: time switch, caller switch, area switch. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "http/param.h"
#include "core/clock.h"
#include "schedule/schedule.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"
#include "ivr/ivr_kinds.h"

#define P(t) t, ARRAY_SIZE(t)

enum { CASES_MAX = 64 };

/* --- time switch: open or closed by a shared schedule -------------------- */

static const struct param time_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"schedule_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"open", PARAM_STRING, true, 1, 64, NULL, false},
	{"closed", PARAM_STRING, true, 1, 64, NULL, false},
};


static void time_check(struct ivr_check *c, const char *node,
		       const json_t *obj)
{
	const char *sid = ivr_str(obj, "schedule_id");

	if (sid && param_uuid_ok(sid))
		ivr_check_ref(c, node, "schedule", sid);
	ivr_check_edge(c, node, "open", json_object_get(obj, "open"), true);
	ivr_check_edge(c, node, "closed", json_object_get(obj, "closed"),
		       true);
}


/* Owns a reference on x until it ran. */
static void time_done(int err, struct schedule *s, void *arg)
{
	struct ivr_exec *x = arg;
	bool open = !err && schedule_open(s, clock_wall_ms());

	mem_deref(s);
	if (!ivr_gone(x) && x->wait == IVR_ASYNC) {
		x->wait = IVR_IDLE;
		ivr_emit(x, "ivr.time_switch", json_pack("{s:s,s:b}", "node",
				x->node->id, "open", open));
		ivr_goto(x, open ? "open" : "closed");
	}

	mem_deref(x);
}


static void time_enter(struct ivr_exec *x)
{
	int err;

	x->wait = IVR_ASYNC;
	err = schedule_get(x->flow->tenant_id,
			   ivr_str(x->node->obj, "schedule_id"), time_done,
			   mem_ref(x));
	if (err) {
		/* the callback will not come: drop its reference */
		mem_deref(x);
		x->wait = IVR_IDLE;
		ivr_goto(x, "closed");
	}
}


const struct ivr_kind ivr_kind_time_switch = {
	"time_switch", P(time_params), false, time_check, time_enter, NULL,
	NULL, NULL, NULL,
};

/* --- caller switch: the caller's number against simple patterns ---------- */

static const struct param cases_params[] = {
	{"kind", PARAM_STRING, true, 1, 32, NULL, false},
	{"cases", PARAM_ARRAY, true, 1, CASES_MAX, NULL, false},
	{"default", PARAM_STRING, true, 1, 64, NULL, false},
};


/*
 * Patterns: digits match themselves, 'X' any one digit, a final '*' any
 * rest (also none). "13800138000" exact, "138*" prefix, "010XXXXXXXX".
 */
static bool pattern_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;

	if (n == 0 || n > 32)
		return false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '*' && i == n - 1)
			continue;
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == 'X' ||
		      p[i] == '+'))
			return false;
	}

	return true;
}


static bool pattern_match(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*')
			return true;
		if (!*s)
			return false;
		if (*p == 'X' ? !(*s >= '0' && *s <= '9') : *p != *s)
			return false;
	}

	return *s == '\0';
}


static void cases_check(struct ivr_check *c, const char *node,
			const json_t *obj, const char *key,
			bool (*ok)(const char *), const char *code,
			const char *what)
{
	const json_t *cases = json_object_get(obj, "cases");
	const json_t *cs;
	size_t i;

	json_array_foreach(cases, i, cs) {
		const char *v = ivr_str(cs, key);
		char f[48];

		(void)re_snprintf(f, sizeof(f), "cases[%zu]", i);
		if (!json_is_object(cs) || json_object_size(cs) != 2 ||
		    !json_object_get(cs, "next")) {
			(void)ivr_check_add(c, node, f, "field_type",
					    "%s: must be {\"%s\": ..., "
					    "\"next\": ...}", f, key);
			continue;
		}
		if (!ok(v))
			(void)ivr_check_add(c, node, f, code, "%s: %s", f,
					    what);
		(void)re_snprintf(f, sizeof(f), "cases[%zu].next", i);
		ivr_check_edge(c, node, f, json_object_get(cs, "next"), true);
	}

	ivr_check_edge(c, node, "default", json_object_get(obj, "default"),
		       true);
}


static void caller_check(struct ivr_check *c, const char *node,
			 const json_t *obj)
{
	cases_check(c, node, obj, "match", pattern_ok, "bad_pattern",
		    "match must be digits, X for any digit, and an optional "
		    "final * (e.g. 138*, 010XXXXXXXX)");
}


static void caller_enter(struct ivr_exec *x)
{
	const json_t *cases = json_object_get(x->node->obj, "cases");
	const char *caller = ivr_var_get(x, "caller");
	const json_t *cs;
	size_t i;

	if (!caller)
		caller = "";

	json_array_foreach(cases, i, cs) {
		if (pattern_match(ivr_str(cs, "match"), caller)) {
			ivr_goto_id(x, ivr_str(cs, "next"));
			return;
		}
	}

	ivr_goto(x, "default");
}


const struct ivr_kind ivr_kind_caller_switch = {
	"caller_switch", P(cases_params), false, caller_check, caller_enter,
	NULL, NULL, NULL, NULL,
};

/* --- area switch: the caller's region (number_regions) ------------------- */

static bool region_ok(const char *r)
{
	return r && strlen(r) >= 1 && strlen(r) <= 100;
}


static void area_check(struct ivr_check *c, const char *node,
		       const json_t *obj)
{
	cases_check(c, node, obj, "region", region_ok, "field_length",
		    "region must be text of 1 to 100 bytes, e.g. 北京市");
}


/* Owns a reference on x until it ran. A case matches when its text is
 * part of the region: "广州" and "广东省" both match "广东省广州市". */
static void area_done(int err, const char *region, void *arg)
{
	struct ivr_exec *x = arg;
	const json_t *cases, *cs;
	size_t i;

	if (ivr_gone(x) || x->wait != IVR_ASYNC)
		goto out;

	x->wait = IVR_IDLE;
	ivr_emit(x, "ivr.area_switch", json_pack("{s:s,s:s?}", "node",
			x->node->id, "region", err ? NULL : region));
	if (ivr_gone(x))
		goto out;

	cases = json_object_get(x->node->obj, "cases");
	json_array_foreach(cases, i, cs) {
		if (!err && region && strstr(region, ivr_str(cs, "region"))) {
			ivr_goto_id(x, ivr_str(cs, "next"));
			goto out;
		}
	}

	ivr_goto(x, "default");
 out:
	mem_deref(x);
}


static void area_enter(struct ivr_exec *x)
{
	const char *caller = ivr_var_get(x, "caller");

	x->wait = IVR_ASYNC;
	if (!x->app || !caller || !caller[0] ||
	    ivr_region_lookup(x->app, x->flow->tenant_id, caller,
			      area_done, mem_ref(x))) {
		if (x->app && caller && caller[0])
			mem_deref(x);    /* the failed lookup's reference */
		area_done(ENOENT, NULL, mem_ref(x));
	}
}


const struct ivr_kind ivr_kind_area_switch = {
	"area_switch", P(cases_params), false, area_check, area_enter, NULL,
	NULL, NULL, NULL,
};
