/* The recordings' search filters, from a query string or a JSON body. */
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include "auth/principal.h"
#include "http/param.h"
#include "telephony/telephony.h"
#include "recording/rec_api_int.h"

/*
 * The search (GET, query string) and the export (POST, JSON body) take
 * the same filters under the same names; both read them through one
 * rec_arg_h into the same parameters $1..$13 of REC_WHERE, so a search
 * and the export of it select the same recordings.
 */

static const char *const dispositions[] = {
	"completed", "abandoned", "voicemail", "transferred", "failed",
	"rejected", NULL
};

static const char *const statuses[] = {
	"recording", "ready", "partial", "failed", NULL
};

/* The export's body; the search's query names are the same. */
const struct param rec_filter_params[REC_NFILTER_PARAMS] = {
	{"call_id", PARAM_UUID, false, 0, 0, NULL, false},
	{"from", PARAM_STRING, false, 10, 40, NULL, false},
	{"to", PARAM_STRING, false, 10, 40, NULL, false},
	{"agent_id", PARAM_UUID, false, 0, 0, NULL, false},
	{"queue_id", PARAM_UUID, false, 0, 0, NULL, false},
	{"number", PARAM_STRING, false, 1, 40, NULL, false},
	{"caller", PARAM_STRING, false, 1, 40, NULL, false},
	{"min_duration_s", PARAM_INT, false, 0, 86400, NULL, false},
	{"max_duration_s", PARAM_INT, false, 0, 86400, NULL, false},
	{"disposition", PARAM_ENUM, false, 0, 0, dispositions, false},
	{"survey_score", PARAM_INT, false, 1, 5, NULL, false},
	{"status", PARAM_ENUM, false, 0, 0, statuses, false},
};


/** A filter from the query string. */
const char *rec_arg_query(const struct http_req *req, const char *name,
			  char *buf, size_t sz)
{
	(void)buf;
	(void)sz;

	return http_req_query(req, name);
}


/** A filter from the validated JSON body: strings and integers. */
const char *rec_arg_body(const struct http_req *req, const char *name,
			 char *buf, size_t sz)
{
	json_t *o = http_req_json(req);
	json_t *v = o ? json_object_get(o, name) : NULL;

	if (json_is_string(v))
		return json_string_value(v);

	if (json_is_integer(v)) {
		(void)re_snprintf(buf, sz, "%lld",
				  (long long)json_integer_value(v));
		return buf;
	}

	return NULL;
}


static bool in_list(const char *const *v, const char *s)
{
	for (; *v; v++) {
		if (!strcmp(*v, s))
			return true;
	}

	return false;
}


/* ISO 8601 as PostgreSQL reads it: 2026-11-25, 2026-11-25T10:00:00Z */
static bool time_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 10 && n <= 40 && strspn(s, "0123456789") == 4 &&
		s[4] == '-' && strspn(s, "0123456789-:T.+Z ") == n;
}


/* A whole number from min to max, at most 6 digits. */
static bool int_ok(const char *s, unsigned min, unsigned max)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (!n || n > 6 || strspn(s, "0123456789") != n)
		return false;

	for (; *s; s++)
		v = v * 10 + (unsigned)(*s - '0');

	return v >= min && v <= max;
}


struct check {
	const char *name;
	enum { UUID, TIME, NUMBER, CALLER, INT, ENUM } kind;
	unsigned min, max;
	const char *const *enumv;
	const char *msg;
};

static const struct check checks[REC_NFILTERS - 1] = {
	{"call_id", UUID, 0, 0, NULL, "must be a call's id (a UUID)"},
	{"from", TIME, 0, 0, NULL, "must be an ISO 8601 time, e.g. "
	 "2026-11-25T08:00:00Z"},
	{"to", TIME, 0, 0, NULL, "must be an ISO 8601 time, e.g. "
	 "2026-11-25T08:00:00Z"},
	{"agent_id", UUID, 0, 0, NULL, "must be an agent's id (a UUID)"},
	{"queue_id", UUID, 0, 0, NULL, "must be a queue's id (a UUID)"},
	{"number", NUMBER, 0, 0, NULL, "must be a telephone number"},
	{"caller", CALLER, 0, 0, NULL, "must be a telephone number"},
	{"min_duration_s", INT, 0, 86400, NULL,
	 "must be a whole number of seconds from 0 to 86400"},
	{"max_duration_s", INT, 0, 86400, NULL,
	 "must be a whole number of seconds from 0 to 86400"},
	{"disposition", ENUM, 0, 0, dispositions, "must be one of "
	 "completed, abandoned, voicemail, transferred, failed, rejected"},
	{"survey_score", INT, 1, 5, NULL,
	 "must be a whole number from 1 to 5"},
	{"status", ENUM, 0, 0, statuses,
	 "must be one of recording, ready, partial, failed"},
};


/*
 * A number filter is normalized like the calls' numbers; a caller that
 * is no number (anonymous) is matched as written, if it is a word.
 */
#define RAW_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"0123456789+*#._-"

static const char *number_norm(const char *s, char *buf, size_t sz,
			       bool raw_ok)
{
	if (!tel_normalize(buf, sz, s))
		return buf;

	if (raw_ok && strlen(s) < sz &&
	    strspn(s, RAW_CHARS) == strlen(s)) {
		str_ncpy(buf, s, sz);
		return buf;
	}

	return NULL;
}


static const char *check_one(const struct check *c, const char *s,
			     struct rec_filter *f)
{
	switch (c->kind) {

	case UUID:   return api_uuid_ok(s) ? s : NULL;
	case TIME:   return time_ok(s) ? s : NULL;
	case INT:    return int_ok(s, c->min, c->max) ? s : NULL;
	case ENUM:   return in_list(c->enumv, s) ? s : NULL;
	case NUMBER: return number_norm(s, f->number, sizeof(f->number),
					false);
	case CALLER: return number_norm(s, f->caller, sizeof(f->caller),
					true);
	default:     return NULL;
	}
}


/**
 * The agent whose recordings a request is limited to: the agent itself,
 * or NULL for a supervisor or an admin.
 */
const char *rec_agent_forced(const struct http_req *req)
{
	const struct principal *p = http_req_principal(req);

	return p->role >= ROLE_SUPERVISOR ? NULL : p->id;
}


/* An agent reads only its own; agent_id, if given, must be its own. */
static bool owner_ok(struct http_req *req, const char *agent_id)
{
	const struct principal *p = http_req_principal(req);

	if (p->role >= ROLE_SUPERVISOR)
		return true;

	if (p->kind == PRINCIPAL_USER &&
	    (!agent_id || !strcasecmp(agent_id, p->id)))
		return true;

	http_reply_problem(req, 403, "forbidden", "An agent hears only the "
			   "recordings of its own calls.");
	return false;
}


/**
 * Read and check every filter into f->pv ($1..$13 of REC_WHERE).
 *
 * @return true if valid; false if a 400 or 403 reply was sent
 */
bool rec_filter_get(struct http_req *req, struct rec_filter *f,
		    rec_arg_h *arg)
{
	unsigned nint = 0;

	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		const struct check *c = &checks[i];
		char *buf = f->ints[nint < 3 ? nint : 2];
		const char *s = arg(req, c->name, buf, sizeof(f->ints[0]));

		if (c->kind == INT)
			nint++;

		f->pv[i] = s ? check_one(c, s, f) : NULL;
		if (s && !f->pv[i]) {
			api_reply_invalid(req, c->name, "format", c->msg);
			return false;
		}
	}

	if (!owner_ok(req, f->pv[3]))
		return false;

	f->pv[REC_NFILTERS - 1] = rec_agent_forced(req);

	return true;
}
