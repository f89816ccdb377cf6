/* Built-in prompts: the files make generated, listed once at start. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "prompt"
#include "log/log.h"
#include "app.h"
#include "http/http.h"
#include "prompt/prompt_int.h"

enum {
	MAX_BUILTINS = 256,
};

/* Sorted by name; langs is a bit per prompt_langs[] entry. */
static struct builtin {
	char name[PROMPT_NAME_MAX + 1];
	unsigned langs;
} builtins[MAX_BUILTINS];
static size_t nbuiltins;


static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct builtin *)a)->name,
		      ((const struct builtin *)b)->name);
}


static struct builtin *find(const char *name)
{
	struct builtin key;

	if (!prompt_builtin_name_ok(name))
		return NULL;

	str_ncpy(key.name, name, sizeof(key.name));

	return bsearch(&key, builtins, nbuiltins, sizeof(*builtins),
		       cmp_name);
}


static void add(const char *file, unsigned lang)
{
	char name[PROMPT_NAME_MAX + 1];
	size_t n = strlen(file);
	struct builtin *b;

	if (n < 5 || n - 4 > PROMPT_NAME_MAX || strcmp(file + n - 4, ".wav"))
		return;

	str_ncpy(name, file, n - 3);
	if (!prompt_builtin_name_ok(name))
		return;

	for (size_t i = 0; i < nbuiltins; i++) {
		if (!strcmp(builtins[i].name, name)) {
			builtins[i].langs |= 1u << lang;
			return;
		}
	}

	if (nbuiltins == MAX_BUILTINS)
		return;

	b = &builtins[nbuiltins++];
	str_ncpy(b->name, name, sizeof(b->name));
	b->langs = 1u << lang;
}


/**
 * List the built-in prompts under prompts_dir (at start, before serving:
 * the only directory read on the loop thread).
 *
 * @return 0 if success (a missing directory is logged, not fatal)
 */
int prompt_builtin_scan(const struct app *app)
{
	nbuiltins = 0;

	for (unsigned l = 0; prompt_langs[l]; l++) {
		char dir[PROMPT_PATH_MAX];
		struct dirent *de;
		DIR *d;

		(void)re_snprintf(dir, sizeof(dir), "%s/%s",
				  app->cfg.prompts_dir, prompt_langs[l]);
		d = opendir(dir);
		if (!d) {
			log_warn("built-in prompts: %s: %m (run make)", dir,
				 errno);
			continue;
		}
		while ((de = readdir(d)))
			add(de->d_name, l);
		closedir(d);
	}

	qsort(builtins, nbuiltins, sizeof(*builtins), cmp_name);

	return 0;
}


void prompt_builtin_close(void)
{
	nbuiltins = 0;
}


/** True if the built-in exists in that language (exact, canonical). */
bool prompt_builtin_exists(const char *lang, const char *name)
{
	const struct builtin *b = find(name);

	for (unsigned l = 0; b && prompt_langs[l]; l++) {
		if (!strcmp(lang, prompt_langs[l]))
			return b->langs & (1u << l);
	}

	return false;
}


/** GET /api/v1/prompts/builtin */
void prompt_builtin_list(struct http_req *req)
{
	json_t *items = json_array();
	json_t *body;

	for (size_t i = 0; items && i < nbuiltins; i++) {
		json_t *langs = json_array();

		for (unsigned l = 0; langs && prompt_langs[l]; l++) {
			if (builtins[i].langs & (1u << l))
				json_array_append_new(langs,
					json_string(prompt_langs[l]));
		}
		json_array_append_new(items, json_pack("{s:s, s:s, s:o*}",
			"name", builtins[i].name, "ref_prefix", "builtin/",
			"languages", langs));
	}

	body = items ? json_pack("{s:o}", "items", items) : NULL;
	if (!body) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_json(req, 200, body);
}


/** GET /api/v1/prompts/builtin/{lang}/{name}/audio[?format=mp3] */
void prompt_builtin_audio(struct http_req *req)
{
	const char *lang = http_req_param(req, "lang");
	const char *name = http_req_param(req, "name");
	const char *fmt = http_req_query(req, "format");
	char path[PROMPT_PATH_MAX], fname[96];
	const char *canon = prompt_lang_pick(lang);

	if (fmt && strcmp(fmt, "wav") && strcmp(fmt, "mp3")) {
		http_reply_problem(req, 400, "validation_failed",
				   "format must be wav or mp3.");
		return;
	}

	if (!lang || strcasecmp(lang, canon) ||
	    !prompt_builtin_exists(canon, name) ||
	    prompt_builtin_path(path, sizeof(path), http_req_app(req), canon,
				name)) {
		http_reply_error(req, ENOENT);
		return;
	}

	(void)re_snprintf(fname, sizeof(fname), "%s-%s", name, canon);
	prompt_reply_audio(req, path, fmt && !strcmp(fmt, "mp3"), fname);
}
