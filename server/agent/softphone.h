/*
 * The browser softphone: an agent device like a SIP phone, whose
 * "registration" is a console tab that said softphone.register on its
 * WebSocket. One tab per agent carries the device; a newer tab takes it
 * over. A tab that goes away leaves the device reachable for a grace
 * period (a reload, a dropped network), then the agent is told offline
 * through the same handler as the registrar's phones.
 */
#ifndef OPENSEAT_SOFTPHONE_H
#define OPENSEAT_SOFTPHONE_H

#include <stdbool.h>
#include <stdint.h>
#include "agent/agent_reg.h"

struct json_t;

/** Deliver msg to a tab; takes the reference to msg. */
typedef void (softphone_send_h)(void *tab, struct json_t *msg);

int  softphone_init(uint32_t grace_ms, softphone_send_h *sendh);
void softphone_close(void);
void softphone_set_handler(agent_reg_h *h, void *arg);

int  softphone_register(const char *tenant_id, const char *agent_id,
			void *tab);
void softphone_unregister(void *tab);
bool softphone_online(const char *agent_id);
bool softphone_is_tab(const char *agent_id, const void *tab);
int  softphone_send(const char *agent_id, struct json_t *msg);
unsigned softphone_count(void);

#endif
