/*
 * ACD configuration: the REST API for skills, agents, not-ready reasons,
 * queues and VIP callers. Every change commits with
 * NOTIFY ACD_CHANNEL, '<tenant_id>' so the queue runtime of every node
 * reloads that tenant.
 */
#ifndef OPENSEAT_ACDCFG_H
#define OPENSEAT_ACDCFG_H

/** The channel of the reload notice; the payload is the tenant id. */
#define ACD_CHANNEL "openseat_acd"

int acdcfg_api_init(void);

/**
 * The demo tenant's ACD, one statement each taking $1 = tenant id, run in
 * order by `openseat seed-demo`; each leaves existing rows alone.
 */
extern const char *const acdcfg_demo_sqlv[];

#endif
