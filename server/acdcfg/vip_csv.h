/* VIP caller lists as CRMs export them: number,priority,note per line. */
#ifndef OPENSEAT_VIP_CSV_H
#define OPENSEAT_VIP_CSV_H

#include <stddef.h>
#include <jansson.h>

enum {
	VIP_CSV_ROWS_MAX = 10000,
	VIP_CSV_ERRORS_MAX = 100,
	VIP_PRIORITY_DEFAULT = 10,
};

int vip_csv_parse(const char *buf, size_t len, json_t *rows,
		  json_t *errors);
int vip_number_norm(char *out, size_t sz, const char *in);

#endif
