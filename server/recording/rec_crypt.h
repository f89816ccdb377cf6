/*
 * Encrypted recording files. A file is a small header and a sequence of
 * chunks sealed with libsodium's secretstream (XChaCha20-Poly1305)
 * under one of the tenant's data keys:
 *
 *   "OSREC1" 0x00 0x00 | key_no u32 LE | secretstream header (24 bytes)
 *   then per chunk:      length u32 LE | ciphertext (length bytes)
 *
 * The last chunk carries the FINAL tag: a file without it was cut short
 * (a crash) and holds only the chunks before the cut.
 *
 * Everything here is blocking and thread-safe: it runs on the encoder
 * threads and the worker pool, never on the loop, and allocates with
 * malloc (libre's allocator is the loop's).
 */
#ifndef OPENSEAT_REC_CRYPT_H
#define OPENSEAT_REC_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_KEY_BYTES   32
#define REC_CHUNK_MAX   65536     /* plaintext bytes per chunk, at most */

struct rec_writer;

int  rec_writer_open(struct rec_writer **wp, const char *path,
		     const uint8_t key[REC_KEY_BYTES], uint32_t key_no);
int  rec_writer_put(struct rec_writer *w, const uint8_t *p, size_t n);
int  rec_writer_flush(struct rec_writer *w);
int  rec_writer_finish(struct rec_writer *w, uint64_t *sizep);
void rec_writer_abort(struct rec_writer *w);

int  rec_file_key_no(const char *path, uint32_t *key_nop);
int  rec_file_read(const char *path, const uint8_t key[REC_KEY_BYTES],
		   uint8_t **datap, size_t *lenp, bool *completep);
int  rec_file_salvage(const char *path, const uint8_t key[REC_KEY_BYTES],
		      uint64_t *sizep);

#endif
