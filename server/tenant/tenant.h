/* Tenants: the enterprises that rent seats on this deployment. */
#ifndef OPENSEAT_TENANT_H
#define OPENSEAT_TENANT_H

int tenant_api_init(void);

#endif
