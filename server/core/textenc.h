/* Text encodings of uploaded files: strict UTF-8, GBK/GB18030. */
#ifndef OPENSEAT_TEXTENC_H
#define OPENSEAT_TEXTENC_H

#include <stdbool.h>
#include <stddef.h>

struct mbuf;

enum textenc {
	TEXTENC_AUTO = 0,   /**< UTF-8 if valid, else GB18030         */
	TEXTENC_UTF8,
	TEXTENC_GBK,        /**< read with GB18030, which contains it */
	TEXTENC_GB18030,
};

int  textenc_parse(enum textenc *encp, const char *name);
const char *textenc_name(enum textenc enc);
size_t textenc_utf8_len(const char *s, size_t len);
bool textenc_utf8_ok(const char *s, size_t len);
int  textenc_to_utf8(struct mbuf **mbp, enum textenc *usedp,
		     const char *buf, size_t len, enum textenc enc);
int  textenc_from_utf8(struct mbuf *mb, const char *s, size_t len,
		       enum textenc enc);

#endif
