/* One HTTP byte range (RFC 9110 §14) of a representation of known size. */
#ifndef OPENSEAT_REC_RANGE_H
#define OPENSEAT_REC_RANGE_H

#include <stdint.h>

enum rec_range {
	REC_RANGE_NONE = 0,  /**< no usable Range: send the whole, 200 */
	REC_RANGE_ONE,       /**< one satisfiable range: 206          */
	REC_RANGE_UNSAT,     /**< not satisfiable: 416 bytes * / size  */
};

enum rec_range rec_range_parse(const char *hdr, uint64_t size,
			       uint64_t *firstp, uint64_t *lastp);

#endif
