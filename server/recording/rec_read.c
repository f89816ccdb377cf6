/* Reading and salvaging encrypted recording files (rec_crypt.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include "recording/rec_crypt.h"
#include "recording/rec_file.h"

#define ABYTES    crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define CHUNK_CT_MAX (REC_CHUNK_MAX + ABYTES)

struct reader {
	crypto_secretstream_xchacha20poly1305_state st;
	FILE *f;
	uint32_t key_no;
	uint8_t sshdr[REC_FILE_SSHDR_BYTES];
	uint8_t *data;     /**< plaintext so far (malloc) */
	size_t len;
	size_t cap;
	unsigned chunks;   /**< chunks that opened */
	bool final;
};


static uint32_t le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		(uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}


/* Open the file and check its header. ENOENT, EPROTO, EIO. */
static int reader_open(struct reader *r, const char *path)
{
	uint8_t hdr[REC_FILE_HDR_BYTES];

	memset(r, 0, sizeof(*r));
	r->f = fopen(path, "rb");
	if (!r->f)
		return errno;

	if (fread(hdr, 1, sizeof(hdr), r->f) != sizeof(hdr))
		return ferror(r->f) ? EIO : EPROTO;
	if (memcmp(hdr, REC_FILE_MAGIC, REC_FILE_MAGIC_BYTES))
		return EPROTO;

	r->key_no = le32_get(hdr + REC_FILE_MAGIC_BYTES);
	if (r->key_no < 1)
		return EPROTO;
	memcpy(r->sshdr, hdr + REC_FILE_MAGIC_BYTES + 4, sizeof(r->sshdr));

	return 0;
}


static void reader_close(struct reader *r)
{
	if (r->f)
		fclose(r->f);
	if (r->data) {
		sodium_memzero(r->data, r->cap);
		free(r->data);  /* ccheck: foreign */
	}
	sodium_memzero(r, sizeof(*r));
}


static int grow(struct reader *r, size_t more)
{
	size_t cap = r->cap ? r->cap : 4 * REC_CHUNK_MAX;
	uint8_t *p;

	if (r->len + more <= r->cap)
		return 0;
	while (cap < r->len + more)
		cap *= 2;

	p = realloc(r->data, cap);  /* ccheck: foreign */
	if (!p)
		return ENOMEM;
	r->data = p;
	r->cap = cap;

	return 0;
}


/*
 * Open the next chunk. 0: one more chunk, ENODATA: the file ends here
 * (cleanly or cut in the middle of a chunk), EPROTO: a length no writer
 * makes, EBADMSG: the chunk does not authenticate, EIO, ENOMEM.
 */
static int chunk_next(struct reader *r, uint8_t *ct)
{
	unsigned long long mlen;
	uint8_t lenb[REC_FILE_LEN_BYTES], tag;
	uint32_t clen;
	int err;

	if (fread(lenb, 1, sizeof(lenb), r->f) != sizeof(lenb))
		return ferror(r->f) ? EIO : ENODATA;

	/* checked before anything is read or allocated from it */
	clen = le32_get(lenb);
	if (clen < ABYTES || clen > CHUNK_CT_MAX)
		return EPROTO;
	if (fread(ct, 1, clen, r->f) != clen)
		return ferror(r->f) ? EIO : ENODATA;

	err = grow(r, clen - ABYTES);
	if (err)
		return err;
	if (crypto_secretstream_xchacha20poly1305_pull(
		    &r->st, r->data + r->len, &mlen, &tag, ct, clen,
		    NULL, 0))
		return EBADMSG;

	r->len += (size_t)mlen;
	++r->chunks;
	if (tag == TAG_FINAL)
		r->final = true;

	return 0;
}


/* Open chunks until the end, the FINAL tag or the first failure. */
static int reader_run(struct reader *r, const uint8_t key[REC_KEY_BYTES])
{
	uint8_t *ct;
	int err = 0;

	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st, r->sshdr,
							    key))
		return EBADMSG;

	ct = malloc(CHUNK_CT_MAX);  /* ccheck: foreign */
	if (!ct)
		return ENOMEM;

	while (!r->final) {
		err = chunk_next(r, ct);
		if (err)
			break;
	}
	free(ct);  /* ccheck: foreign */

	/* a first chunk that fails is a wrong key or not our file; a
	 * later one is where a crash (or damage) cut the file */
	if (err == ENOMEM || err == EIO)
		return err;
	if (err && err != ENODATA && !r->chunks)
		return err;

	return 0;
}


/**
 * Read a file's key number from its header, to find the key to open it.
 *
 * @return 0 if success, ENOENT no such file, EPROTO not a recording file
 */
int rec_file_key_no(const char *path, uint32_t *key_nop)
{
	struct reader r;
	int err;

	if (!path || !key_nop)
		return EINVAL;

	err = reader_open(&r, path);
	if (!err)
		*key_nop = r.key_no;
	reader_close(&r);

	return err;
}


/**
 * Decrypt a whole file into memory. A file cut short (a crash) yields
 * the chunks before the cut with *completep false.
 *
 * @param datap     plaintext, malloc'ed (free() it); NULL when empty
 * @param lenp      its length
 * @param completep whether the file ended with the FINAL chunk, as
 *                  rec_writer_finish leaves it
 *
 * @return 0 if success, otherwise ENOENT, EPROTO (not our format, or a
 *         bad length field in the first chunk), EBADMSG (the first chunk
 *         does not authenticate: wrong key or tampered), EIO, ENOMEM
 */
int rec_file_read(const char *path, const uint8_t key[REC_KEY_BYTES],
		  uint8_t **datap, size_t *lenp, bool *completep)
{
	struct reader r;
	int err;

	if (!path || !key || !datap || !lenp || !completep)
		return EINVAL;

	err = reader_open(&r, path);
	err = err ? err : reader_run(&r, key);
	if (!err) {
		/* bytes after the FINAL chunk were not written by us */
		*completep = r.final && fgetc(r.f) == EOF;
		*lenp = r.len;
		*datap = r.len ? r.data : NULL;
		if (r.len)
			r.data = NULL;
	}
	reader_close(&r);

	return err;
}


static int rewrite(const char *path, const char *tmp,
		   const uint8_t key[REC_KEY_BYTES], uint32_t key_no,
		   const uint8_t *data, size_t len, uint64_t *sizep)
{
	struct rec_writer *w;
	int err;

	(void)remove(tmp);
	err = rec_writer_open(&w, tmp, key, key_no);
	if (err)
		return err;

	err = rec_writer_put(w, data, len);
	if (err) {
		rec_writer_abort(w);
		return err;
	}
	err = rec_writer_finish(w, sizep);
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		(void)remove(tmp);
		return err;
	}

	return rec_file_sync_dir(path);
}


/**
 * Make a file cut short complete again: its valid chunks are written to
 * a new file that replaces it (temp file, rename, fsync). A complete
 * file is left as it is.
 *
 * @param sizep the result's size on disk
 *
 * @return 0 if success, ENODATA when the file was cut before its first
 *         chunk, otherwise as rec_file_read (EBADMSG, EPROTO: nothing
 *         in it opens with this key)
 */
int rec_file_salvage(const char *path, const uint8_t key[REC_KEY_BYTES],
		     uint64_t *sizep)
{
	char tmp[PATH_MAX];
	uint8_t *data = NULL;
	uint32_t key_no = 0;
	bool complete = false;
	size_t len = 0;
	int err;

	if (!path || !key)
		return EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.salvage", path) >=
	    (int)sizeof(tmp))
		return ENAMETOOLONG;

	err = rec_file_key_no(path, &key_no);
	err = err ? err : rec_file_read(path, key, &data, &len, &complete);
	if (err)
		return err;

	if (complete) {
		struct stat st;

		if (stat(path, &st))
			err = errno;
		else if (sizep)
			*sizep = (uint64_t)st.st_size;
	}
	else if (!len) {
		err = ENODATA;
	}
	else {
		err = rewrite(path, tmp, key, key_no, data, len, sizep);
	}

	if (data) {
		sodium_memzero(data, len);
		free(data);  /* ccheck: foreign */
	}

	return err;
}
