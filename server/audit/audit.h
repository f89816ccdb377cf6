/* The audit log: who changed what, when, from where. */
#ifndef OPENSEAT_AUDIT_H
#define OPENSEAT_AUDIT_H

int audit_api_init(void);

#endif
