/* The recording directory: checked at start, layout, safe file names. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#include "app.h"
#include "recording/rec_store.h"

#define CHINA_OFFSET_MS (8LL * 3600 * 1000)

/* Set once by rec_store_init before any thread reads it. */
static char store_dir[PATH_MAX];


/* mkdir -p for an absolute path; every directory made is 0700. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, path, n + 1);

	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return errno;
		buf[i] = path[i];
	}

	return 0;
}


/* Writable means a file can be created, written, synced and removed
 * there: access(2) says nothing about a read-only mount or a full disk,
 * nor anything when running as root. */
static int write_probe(const char *dir)
{
	char path[PATH_MAX + 32];
	int fd, err = 0;

	(void)re_snprintf(path, sizeof(path), "%s/.write-check-%d", dir,
			  (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (write(fd, "ok", 2) != 2 || fsync(fd))
		err = errno ? errno : EIO;
	close(fd);
	if (unlink(path) && !err)
		err = errno;

	return err;
}


/**
 * Choose the recording directory (recording_dir, or <var_dir>/recordings),
 * create it (0700) and check that files can be written there.
 *
 * @param errbuf a message for the operator when it fails
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_store_init(struct app *app, char *errbuf, size_t errsz)
{
	const struct cfg *c = &app->cfg;
	char want[PATH_MAX];
	int err;

	if (c->recording_dir[0])
		(void)re_snprintf(want, sizeof(want), "%s",
				  c->recording_dir);
	else
		(void)re_snprintf(want, sizeof(want), "%s/recordings",
				  c->var_dir);

	/* absolute, so a later chdir or a worker never resolves it
	 * elsewhere */
	if (want[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return errno;
		if (re_snprintf(store_dir, sizeof(store_dir), "%s/%s", cwd,
				want) < 0)
			return ENAMETOOLONG;
	}
	else {
		(void)re_snprintf(store_dir, sizeof(store_dir), "%s", want);
	}

	err = mkdir_p(store_dir);
	err = err ? err : write_probe(store_dir);
	if (err) {
		(void)re_snprintf(errbuf, errsz,
				  "recording directory %s is not writable "
				  "(%m): fix its permissions or set "
				  "recording_dir (OPENSEAT_RECORDING_DIR) to "
				  "a writable directory", store_dir, err);
		return err;
	}

	return 0;
}


/** The recording directory, absolute ("" before rec_store_init). */
const char *rec_store_dir(void)
{
	return store_dir;
}


static bool id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F') || ch == '-'))
			return false;
	}

	return true;
}


/**
 * The relative path of a new recording:
 * <tenant_id>/<YYYY>/<MM>/<DD>/<recording_id>.osrec, China's date.
 *
 * @param wall_ms the recording's start (clock_wall_ms)
 *
 * @return 0 if success, EINVAL for an id that is not hex and dashes,
 *         ENAMETOOLONG if rel is too small
 */
int rec_store_rel(char *rel, size_t sz, const char *tenant_id,
		  const char *recording_id, int64_t wall_ms)
{
	time_t t = (time_t)((wall_ms + CHINA_OFFSET_MS) / 1000);
	struct tm tm;
	int n;

	if (!rel || !sz || !id_valid(tenant_id) || !id_valid(recording_id))
		return EINVAL;
	if (!gmtime_r(&t, &tm))
		return EINVAL;

	n = snprintf(rel, sz, "%s/%04d/%02d/%02d/%s.osrec", tenant_id,
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     recording_id);

	return n < 0 || (size_t)n >= sz ? ENAMETOOLONG : 0;
}


/* A relative path as rec_store_rel makes them: no leading '/', no empty,
 * "." or ".." component, only [0-9A-Za-z._-]. */
static bool rel_valid(const char *rel)
{
	const char *seg = rel;

	if (!rel || !*rel || *rel == '/')
		return false;

	for (const char *p = rel;; p++) {
		char ch = *p;

		if (ch == '/' || ch == '\0') {
			size_t len = (size_t)(p - seg);

			if (!len || (len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (!ch)
				return true;
			seg = p + 1;
			continue;
		}
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '-' ||
		      ch == '_'))
			return false;
	}
}


/**
 * The absolute file name of a row's relative path. Refuses anything
 * rec_store_rel would not have made, so a path from the database can
 * never reach outside the recording directory.
 *
 * @return 0 if success, EINVAL bad path, ENAMETOOLONG
 */
int rec_store_abs(char *abs, size_t sz, const char *rel)
{
	int n;

	if (!abs || !sz || !rel_valid(rel) || !store_dir[0])
		return EINVAL;

	n = snprintf(abs, sz, "%s/%s", store_dir, rel);

	return n < 0 || (size_t)n >= sz ? ENAMETOOLONG : 0;
}


/**
 * Create the directories a new recording's file goes in (0700). Blocking
 * and thread-safe: for the encoder threads.
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_store_mkdirs(const char *rel)
{
	char abs[PATH_MAX];
	char *slash;
	int err;

	err = rec_store_abs(abs, sizeof(abs), rel);
	if (err)
		return err;

	slash = strrchr(abs, '/');
	*slash = '\0';

	return mkdir_p(abs);
}
