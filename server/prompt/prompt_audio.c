/* Prompt files: where they live, and sending them to the browser. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "app.h"
#include "http/http.h"
#include "media/mconf.h"
#include "media/pcm.h"
#include "worker/worker.h"
#include "prompt/prompt_codec.h"
#include "prompt/prompt_int.h"

/* Larger than any prompt: 30 minutes at 8 kHz 16-bit is 28.8 MB. */
#define SEND_MAX (64L * 1024 * 1024)

const char *const prompt_langs[] = {"zh-CN", "en", NULL};

/* Reading or encoding a file for one reply, on a worker thread. */
struct send {
	struct http_req *req;    /**< (ref) */
	char path[PROMPT_PATH_MAX];
	char fname[80];
	bool mp3;
	uint8_t *buf;            /**< (own) the body */
	size_t len;
};


static void send_destructor(void *arg)
{
	struct send *s = arg;

	mem_deref(s->req);
	mem_deref(s->buf);
}


/** A tenant prompt's name: 1..64 characters, trimmed, no controls. */
bool prompt_name_ok(const char *name)
{
	size_t n, chars = 0;

	if (!name)
		return false;

	n = strlen(name);
	if (!n || name[0] == ' ' || name[n - 1] == ' ')
		return false;

	for (const unsigned char *p = (const unsigned char *)name; *p;) {
		unsigned len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 :
			(*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;

		if (!len || *p < 0x20 || *p == 0x7f)
			return false;
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
		}
		p += len;
		++chars;
	}

	return chars <= PROMPT_NAME_MAX;
}


/** A built-in's name: [a-z0-9_]{1,64}, so it is safe in a path. */
bool prompt_builtin_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > PROMPT_NAME_MAX)
		return false;

	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}


/** The built-in language for lang; unknown languages get zh-CN. */
const char *prompt_lang_pick(const char *lang)
{
	for (size_t i = 0; lang && prompt_langs[i]; i++) {
		if (!strcasecmp(lang, prompt_langs[i]))
			return prompt_langs[i];
	}

	return prompt_langs[0];
}


/** <var_dir>/prompts/<tenant_id>[/<prompt_id>.wav] */
int prompt_path(char *buf, size_t sz, const struct app *app,
		const char *tenant_id, const char *prompt_id)
{
	int n;

	if (prompt_id)
		n = re_snprintf(buf, sz, "%s/prompts/%s/%s.wav",
				app->cfg.var_dir, tenant_id, prompt_id);
	else
		n = re_snprintf(buf, sz, "%s/prompts/%s", app->cfg.var_dir,
				tenant_id);

	return n < 0 || (size_t)n >= sz - 1 ? ENAMETOOLONG : 0;
}


/** <prompts_dir>/<lang>/<name>.wav */
int prompt_builtin_path(char *buf, size_t sz, const struct app *app,
			const char *lang, const char *name)
{
	int n = re_snprintf(buf, sz, "%s/%s/%s.wav", app->cfg.prompts_dir,
			    lang, name);

	return n < 0 || (size_t)n >= sz - 1 ? ENAMETOOLONG : 0;
}


/** Reply for a refused upload: one code per reason. */
void prompt_reply_decode_error(struct http_req *req, int err,
			       unsigned max_seconds)
{
	char detail[160];

	switch (err) {

	case EMEDIUMTYPE:
		http_reply_problem(req, 415, "not_audio",
				   "The file is not audio this server can "
				   "read; upload WAV or MP3.");
		break;

	case EBADMSG:
		http_reply_problem(req, 400, "corrupt_audio",
				   "The audio file is damaged or incomplete; "
				   "export it again and retry.");
		break;

	case EFBIG:
		(void)re_snprintf(detail, sizeof(detail),
				  "The audio is longer than %u seconds.",
				  max_seconds);
		http_reply_problem(req, 400, "too_long", detail);
		break;

	case ENODATA:
		http_reply_problem(req, 400, "empty_audio",
				   "The audio file contains no sound.");
		break;

	default:
		http_reply_error(req, err);
		break;
	}
}


/* Read a whole file (blocking: worker threads only). */
static int read_file(uint8_t **bufp, size_t *lenp, const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	int err = 0;

	if (!f)
		return errno;

	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		err = errno ? errno : EIO;
		goto out;
	}
	if (n > SEND_MAX) {
		err = EFBIG;
		goto out;
	}

	*bufp = mem_alloc(n ? (size_t)n : 1, NULL);
	if (!*bufp) {
		err = ENOMEM;
		goto out;
	}

	*lenp = fread(*bufp, 1, (size_t)n, f);
	if (*lenp != (size_t)n) {
		err = EIO;
		*bufp = mem_deref(*bufp);
	}

 out:
	fclose(f);

	return err;
}


static int send_work(void *arg)
{
	struct send *s = arg;
	struct pcm *pcm = NULL;
	int err;

	if (!s->mp3)
		return read_file(&s->buf, &s->len, s->path);

	err = pcm_load_wav(&pcm, s->path);
	if (!err)
		err = prompt_mp3_encode(&s->buf, &s->len, pcm->s, pcm->n,
					MEDIA_SRATE, 1);
	mem_deref(pcm);

	return err;
}


static void send_done(int err, void *arg)
{
	struct send *s = arg;
	char disp[128];

	if (http_req_gone(s->req))
		goto out;

	if (err) {
		/* a row without its file is a prompt that is not there */
		http_reply_error(s->req, err == EINVAL ? EIO : err);
		goto out;
	}

	(void)re_snprintf(disp, sizeof(disp), "inline; filename=\"%s.%s\"",
			  s->fname, s->mp3 ? "mp3" : "wav");
	http_reply_header(s->req, "content-disposition", disp);
	http_reply_header(s->req, "cache-control", "private, no-cache");
	http_reply_raw(s->req, 200, s->mp3 ? "audio/mpeg" : "audio/wav",
		       (const char *)s->buf, s->len);

 out:
	mem_deref(s);
}


/**
 * Reply with a prompt file as WAV, or as MP3 encoded on the worker pool.
 *
 * @param filename  the download name without extension
 */
void prompt_reply_audio(struct http_req *req, const char *path, bool mp3,
			const char *filename)
{
	struct send *s = mem_zalloc(sizeof(*s), send_destructor);
	int err;

	if (!s) {
		http_reply_error(req, ENOMEM);
		return;
	}

	s->req = mem_ref(req);
	s->mp3 = mp3;
	str_ncpy(s->path, path, sizeof(s->path));
	str_ncpy(s->fname, filename, sizeof(s->fname));

	err = worker_submit(http_req_app(req)->workers, send_work, send_done,
			    s);
	if (err) {
		mem_deref(s);
		http_reply_error(req, err);
	}
}
