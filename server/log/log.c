/* JSON log lines on stderr: one object per line, never secrets. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "log/log.h"

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


/* Append s to f as the inside of a JSON string. */
static void put_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {

		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f);  break;
		case '\r': fputs("\\r", f);  break;
		case '\t': fputs("\\t", f);  break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
			break;
		}
	}
}


static void put_field(FILE *f, const char *name, const char *val)
{
	if (!val || !*val)
		return;

	fprintf(f, ",\"%s\":\"", name);
	put_escaped(f, val);
	fputc('"', f);
}


void log_vwrite(enum log_level level, const char *module,
		const struct log_ctx *ctx, const char *fmt, va_list ap)
{
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

	flockfile(stderr);
	if (as_json) {
		fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\"", ts,
			level_names[level]);
		put_field(stderr, "module", module);
		put_field(stderr, "msg", msg);
		if (ctx) {
			put_field(stderr, "tenant_id", ctx->tenant_id);
			put_field(stderr, "req_id", ctx->req_id);
			put_field(stderr, "call_id", ctx->call_id);
		}
		fputs("}\n", stderr);
	}
	else {
		fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level],
			module, msg);
	}
	funlockfile(stderr);
	fflush(stderr);
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
