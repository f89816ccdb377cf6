/* JSON log lines on stderr: one object per line, never secrets. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "log/log.h"
#include "log/log_out.h"

static enum log_level min_level = LOG_LVL_INFO;
static bool as_json = true;

static const char *level_names[] = {"debug", "info", "warn", "error"};


/**
 * Choose what is logged and how.
 *
 * @param level  lowest level written
 * @param json   true for JSON objects, false for plain text lines
 */
void log_setup(enum log_level level, bool json)
{
	min_level = level;
	as_json = json;
}


/**
 * Parse a level name (debug, info, warn, error).
 *
 * @return 0 if success, otherwise EINVAL
 */
int log_level_parse(const char *s, enum log_level *lvlp)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (s && !strcmp(s, level_names[i])) {
			*lvlp = (enum log_level)i;
			return 0;
		}
	}

	return EINVAL;
}


bool log_enabled(enum log_level level)
{
	return level >= min_level;
}


/*
 * A line being built. A piece that does not fit is left out whole, so a
 * cut line is still valid JSON; the last bytes are kept for the quotes
 * and braces that close it.
 */
struct line {
	char buf[16384];
	size_t n;
	bool full;               /**< a piece was left out */
};

enum { LINE_CLOSING = 16 };


static void put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - LINE_CLOSING - l->n) {
		l->full = true;
		return;
	}

	memcpy(l->buf + l->n, s, n);
	l->n += n;
}


static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}


/* Append s as the inside of a JSON string. */
static void put_escaped(struct line *l, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char u[8];

		switch (c) {

		case '"':  puts_(l, "\\\""); break;
		case '\\': puts_(l, "\\\\"); break;
		case '\n': puts_(l, "\\n");  break;
		case '\r': puts_(l, "\\r");  break;
		case '\t': puts_(l, "\\t");  break;
		default:
			if (c < 0x20) {
				(void)snprintf(u, sizeof(u), "\\u%04x", c);
				puts_(l, u);
			}
			else {
				put(l, (const char *)&c, 1);
			}
			break;
		}
	}
}


/* A field goes in whole or not at all. */
static void put_field(struct line *l, const char *name, const char *val)
{
	size_t n0 = l->n;

	if (!val || !*val)
		return;

	l->full = false;
	puts_(l, ",\"");
	puts_(l, name);
	puts_(l, "\":\"");
	put_escaped(l, val);
	puts_(l, "\"");
	if (l->full)
		l->n = n0;
}


static void put_json(struct line *l, const char *ts, enum log_level level,
		     const char *module, const struct log_ctx *ctx,
		     const char *msg)
{
	puts_(l, "{\"time\":\"");
	puts_(l, ts);
	puts_(l, "\",\"level\":\"");
	puts_(l, level_names[level]);
	puts_(l, "\"");
	put_field(l, "module", module);
	put_field(l, "msg", msg);
	if (ctx) {
		put_field(l, "tenant_id", ctx->tenant_id);
		put_field(l, "req_id", ctx->req_id);
		put_field(l, "call_id", ctx->call_id);
	}
	l->buf[l->n++] = '}';
}


static void put_text(struct line *l, const char *ts, enum log_level level,
		     const char *module, const char *msg)
{
	int n = snprintf(l->buf, sizeof(l->buf) - 1, "%s %-5s [%s] %s", ts,
			 level_names[level], module, msg);

	l->n = n < 0 ? 0 : (size_t)n < sizeof(l->buf) - 1 ? (size_t)n :
		sizeof(l->buf) - 2;
}


void log_vwrite(enum log_level level, const char *module,
		const struct log_ctx *ctx, const char *fmt, va_list ap)
{
	struct line l = {.n = 0, .full = false};
	char msg[2048];
	char ts[64];
	struct timespec now;
	struct tm tm;

	if (level < min_level)
		return;

	(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	(void)snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		       tm.tm_hour, tm.tm_min, tm.tm_sec,
		       now.tv_nsec / 1000000);

	if (as_json)
		put_json(&l, ts, level, module, ctx, msg);
	else
		put_text(&l, ts, level, module, msg);
	l.buf[l.n++] = '\n';

	log_out(l.buf, l.n);
}


/**
 * Write one log line.
 *
 * @param ctx  tenant, request and call ids to name, or NULL
 */
void log_write(enum log_level level, const char *module,
	       const struct log_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;

	va_start(ap, fmt);
	log_vwrite(level, module, ctx, fmt, ap);
	va_end(ap);
}
