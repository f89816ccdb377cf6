/* The telephony routes of the JSON API: trunks, numbers, calls. */
#ifndef OPENSEAT_TEL_API_H
#define OPENSEAT_TEL_API_H

int tel_api_init(void);

#endif
