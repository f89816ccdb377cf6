/*
 * Business records (业务记录, tickets) with tenant-defined workflows, and
 * announcements (公告) to all agents or to queues: their REST APIs, the
 * escalation loop and the announcements' start timer.
 */
#ifndef OPENSEAT_TICKET_H
#define OPENSEAT_TICKET_H

#include <stdint.h>

struct app;

/** The settings of config keys ticket_attachment_max and
 *  ticket_check_period. */
struct ticket_cfg {
	uint32_t attachment_max;     /**< bytes an attachment may have  */
	uint32_t check_period_s;     /**< seconds between escalation checks */
};

int  ticket_init(struct app *app, const struct ticket_cfg *cfg);
void ticket_close(void);
int  announce_init(struct app *app);
void announce_close(void);

/**
 * The demo tenant's ticket type (售后工单), one statement taking $1 =
 * tenant id, run by `openseat seed-demo`; it leaves an existing type
 * alone.
 */
extern const char *const ticket_demo_sqlv[];

#endif
