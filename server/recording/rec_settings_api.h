/* The recording settings API (GET/PUT /api/v1/recording/settings). */
#ifndef OPENSEAT_REC_SETTINGS_API_H
#define OPENSEAT_REC_SETTINGS_API_H

int rec_settings_api_init(void);

#endif
