/* Which addresses outgoing requests (webhooks, CRM lookups) may reach. */
#ifndef OPENSEAT_EGRESS_H
#define OPENSEAT_EGRESS_H

#include <stdbool.h>

struct sa;

int  egress_init(const char *allow, bool allow_private);
bool egress_allowed(const struct sa *addr);
int  egress_check_list(const char *allow);

#endif
