/* Prompts: tenant uploads and built-ins, served to the API and the calls. */
#ifndef OPENSEAT_PROMPT_H
#define OPENSEAT_PROMPT_H

#include <stddef.h>

struct app;
struct pcm;
struct prompt_req;

/** Default memory for decoded prompts held by the cache. */
#define PROMPT_CACHE_BYTES (64u * 1024 * 1024)

/**
 * A prompt is ready (err 0, pcm borrowed: mem_ref it to keep it) or could
 * not be had: ENOENT (no such prompt or file), EINVAL (a bad reference or
 * a file not in the engine format), ECANCELED (shutting down).
 */
typedef void (prompt_load_h)(int err, struct pcm *pcm, void *arg);

int  prompt_init(struct app *app);
void prompt_close(void);

int  prompt_cache_init(size_t max_bytes);
void prompt_cache_close(void);
int  prompt_load(struct prompt_req **reqp, struct app *app,
		 const char *tenant_id, const char *ref, const char *lang,
		 prompt_load_h *h, void *arg);
struct pcm *prompt_cached(const char *tenant_id, const char *ref,
			  const char *lang);
void prompt_evict(const char *tenant_id, const char *prompt_id);
size_t prompt_cache_bytes(void);

#endif
