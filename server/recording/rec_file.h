/* The recording file format's constants, shared by writer and reader. */
#ifndef OPENSEAT_REC_FILE_H
#define OPENSEAT_REC_FILE_H

#include <stddef.h>
#include <stdint.h>

#define REC_FILE_MAGIC        "OSREC1\0\0"
#define REC_FILE_MAGIC_BYTES  8
#define REC_FILE_LEN_BYTES    4
#define REC_FILE_SSHDR_BYTES  24   /* secretstream header */
#define REC_FILE_HDR_BYTES    (REC_FILE_MAGIC_BYTES + 4 + \
			       REC_FILE_SSHDR_BYTES)

int rec_file_write_all(int fd, const uint8_t *p, size_t n);
int rec_file_sync_dir(const char *path);

#endif
