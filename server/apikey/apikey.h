/* API keys: credentials for a tenant's CRM and scripts. */
#ifndef OPENSEAT_APIKEY_H
#define OPENSEAT_APIKEY_H

int apikey_api_init(void);

#endif
