/* Prompt module internals shared by its files. */
#ifndef OPENSEAT_PROMPT_INT_H
#define OPENSEAT_PROMPT_INT_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct http_req;

/* A prompt row as the API shows it (table alias p). */
#define PROMPT_JSON \
	"json_build_object('prompt_id', p.prompt_id, 'name', p.name," \
	" 'duration_ms', p.duration_ms, 'size_bytes', p.size_bytes," \
	" 'original_format', p.original_format," \
	" 'sample_rate_in', p.sample_rate_in," \
	" 'channels_in', p.channels_in, 'created_by', p.created_by," \
	" 'created_at', p.created_at, 'updated_at', p.updated_at)"

#define PROMPT_NAME_MAX 64
#define PROMPT_PATH_MAX 1100

/* Languages of the built-ins; the first is the fallback. */
extern const char *const prompt_langs[];

bool prompt_name_ok(const char *name);
bool prompt_builtin_name_ok(const char *name);
const char *prompt_lang_pick(const char *lang);
int  prompt_path(char *buf, size_t sz, const struct app *app,
		 const char *tenant_id, const char *prompt_id);
int  prompt_builtin_path(char *buf, size_t sz, const struct app *app,
			 const char *lang, const char *name);
void prompt_reply_decode_error(struct http_req *req, int err,
			       unsigned max_seconds);
void prompt_reply_audio(struct http_req *req, const char *path,
			bool mp3, const char *filename);
void prompt_upload(struct http_req *req);

int  prompt_builtin_scan(const struct app *app);
void prompt_builtin_list(struct http_req *req);
void prompt_builtin_audio(struct http_req *req);
bool prompt_builtin_exists(const char *lang, const char *name);
void prompt_builtin_close(void);

#endif
