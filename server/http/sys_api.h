/* Probes and documents: /healthz, /readyz, /metrics, the OpenAPI file. */
#ifndef OPENSEAT_SYS_API_H
#define OPENSEAT_SYS_API_H

int  sys_api_init(const char *openapi_path);
void sys_api_close(void);

#endif
