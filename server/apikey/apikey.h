/* API keys: credentials for a tenant's CRM and scripts. */
#ifndef OPENSEAT_APIKEY_H
#define OPENSEAT_APIKEY_H

#include <stdint.h>

struct app;

int  apikey_api_init(void);
int  apikey_init(struct app *app, uint32_t rate_per_s, uint32_t burst);
void apikey_close(void);

#endif
