/* Customer CSV import and export: the routes. */
#ifndef OPENSEAT_CUSTOMER_IMPORT_H
#define OPENSEAT_CUSTOMER_IMPORT_H

int customer_import_api_init(void);

#endif
