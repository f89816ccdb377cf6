/* Writing encrypted recording files (format in rec_crypt.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "recording/rec_crypt.h"
#include "recording/rec_file.h"

#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL   crypto_secretstream_xchacha20poly1305_TAG_FINAL

struct rec_writer {
	crypto_secretstream_xchacha20poly1305_state st;
	char path[PATH_MAX];
	int fd;
	int err;                 /**< sticky: the first write error */
	uint64_t bytes;          /**< file bytes written so far */
	size_t n;                /**< plaintext bytes waiting in buf */
	uint8_t buf[REC_CHUNK_MAX];
	uint8_t out[REC_FILE_LEN_BYTES + REC_CHUNK_MAX +
		    crypto_secretstream_xchacha20poly1305_ABYTES];
};


/* write() until done: a short write is not an error, a full disk is. */
int rec_file_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno ? errno : EIO;
		}
		p += w;
		n -= (size_t)w;
	}

	return 0;
}


/**
 * Make a file's name durable: fsync the directory that holds it.
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_file_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, err = 0;

	if (strlen(path) >= sizeof(dir))
		return ENAMETOOLONG;
	strcpy(dir, path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd))
		err = errno;
	close(fd);

	return err;
}


static void le32_put(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}


static int seal(struct rec_writer *w, uint8_t tag)
{
	unsigned long long clen;

	if (w->err)
		return w->err;

	crypto_secretstream_xchacha20poly1305_push(
		&w->st, w->out + REC_FILE_LEN_BYTES, &clen, w->buf, w->n,
		NULL, 0, tag);
	le32_put(w->out, (uint32_t)clen);
	w->err = rec_file_write_all(w->fd, w->out,
				    REC_FILE_LEN_BYTES + (size_t)clen);
	if (w->err)
		return w->err;

	w->bytes += REC_FILE_LEN_BYTES + clen;
	w->n = 0;

	return 0;
}


static void writer_free(struct rec_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	sodium_memzero(w, sizeof(*w));
	free(w);  /* ccheck: foreign */
}


/**
 * Create a new encrypted file (never overwrites) and write its header.
 *
 * @param wp     the writer, for rec_writer_put and then finish or abort
 * @param path   the file to create (mode 0600)
 * @param key    the tenant's data key
 * @param key_no its number, stored in the header to find it again
 *
 * @return 0 if success, otherwise errorcode (EEXIST, ENOSPC, ...)
 */
int rec_writer_open(struct rec_writer **wp, const char *path,
		    const uint8_t key[REC_KEY_BYTES], uint32_t key_no)
{
	uint8_t hdr[REC_FILE_HDR_BYTES];
	struct rec_writer *w;
	int err;

	if (!wp || !path || !key || key_no < 1 || sodium_init() < 0)
		return EINVAL;
	if (strlen(path) >= sizeof(w->path))
		return ENAMETOOLONG;

	w = calloc(1, sizeof(*w));  /* ccheck: foreign */
	if (!w)
		return ENOMEM;

	strcpy(w->path, path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		err = errno;
		w->fd = -1;
		writer_free(w);
		return err;
	}

	memcpy(hdr, REC_FILE_MAGIC, REC_FILE_MAGIC_BYTES);
	le32_put(hdr + REC_FILE_MAGIC_BYTES, key_no);
	crypto_secretstream_xchacha20poly1305_init_push(
		&w->st, hdr + REC_FILE_MAGIC_BYTES + 4, key);
	err = rec_file_write_all(w->fd, hdr, sizeof(hdr));
	if (err) {
		rec_writer_abort(w);
		return err;
	}
	w->bytes = sizeof(hdr);

	*wp = w;

	return 0;
}


/**
 * Append plaintext; full chunks are sealed and written as they fill.
 *
 * @return 0 if success, otherwise errorcode (sticky: every later call
 *         returns the first error)
 */
int rec_writer_put(struct rec_writer *w, const uint8_t *p, size_t n)
{
	int err;

	if (!w || (n && !p))
		return EINVAL;

	while (n) {
		size_t room = sizeof(w->buf) - w->n;
		size_t take = n < room ? n : room;

		if (w->err)
			return w->err;

		memcpy(w->buf + w->n, p, take);
		w->n += take;
		p += take;
		n -= take;
		if (w->n == sizeof(w->buf)) {
			err = seal(w, TAG_MESSAGE);
			if (err)
				return err;
		}
	}

	return w->err;
}


/**
 * Seal what is buffered as a (short) chunk so that a crash loses at most
 * what came after. Not an fsync: the page cache survives a kill -9.
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_writer_flush(struct rec_writer *w)
{
	if (!w)
		return EINVAL;
	if (!w->n)
		return w->err;

	return seal(w, TAG_MESSAGE);
}


/**
 * Seal the last chunk (FINAL tag), fsync the file and its directory and
 * free the writer, whatever the result.
 *
 * @param sizep the file's size on disk (what storage usage counts), may
 *              be NULL
 *
 * @return 0 if success, otherwise errorcode (the file is left as it is)
 */
int rec_writer_finish(struct rec_writer *w, uint64_t *sizep)
{
	int err;

	if (!w)
		return EINVAL;

	err = seal(w, TAG_FINAL);
	if (!err && fsync(w->fd))
		err = errno;
	if (!err && close(w->fd))
		err = errno;
	w->fd = -1;
	if (!err)
		err = rec_file_sync_dir(w->path);
	if (!err && sizep)
		*sizep = w->bytes;

	writer_free(w);

	return err;
}


/** Give up a file being written: close it, remove it, free the writer. */
void rec_writer_abort(struct rec_writer *w)
{
	if (!w)
		return;

	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	(void)unlink(w->path);
	writer_free(w);
}
