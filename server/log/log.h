/* JSON log lines on stderr: one object per line, never secrets. */
#ifndef OPENSEAT_LOG_H
#define OPENSEAT_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LVL_DEBUG = 0,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
};

/** Optional context carried into a log line. */
struct log_ctx {
	const char *tenant_id;
	const char *req_id;
	const char *call_id;
};

void log_setup(enum log_level level, bool json);
int  log_level_parse(const char *s, enum log_level *lvlp);
bool log_enabled(enum log_level level);
/** fmt is libre's re_printf format (%m, %H, %r work). */
void log_write(enum log_level level, const char *module,
	       const struct log_ctx *ctx, const char *fmt, ...);
void log_vwrite(enum log_level level, const char *module,
		const struct log_ctx *ctx, const char *fmt, va_list ap);

#ifndef LOG_MODULE
#define LOG_MODULE "openseat"
#endif

#define log_debug(...) log_write(LOG_LVL_DEBUG, LOG_MODULE, NULL, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LVL_INFO,  LOG_MODULE, NULL, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LVL_WARN,  LOG_MODULE, NULL, __VA_ARGS__)
#define log_error(...) log_write(LOG_LVL_ERROR, LOG_MODULE, NULL, __VA_ARGS__)

#endif
