/*
 * Calls: one object per customer interaction, with its legs, mixer and
 * IVR run. Inbound INVITEs arrive from the SIP edge; every state change
 * is an event on the one event bus and a row in the call's timeline.
 */
#ifndef OPENSEAT_CALL_H
#define OPENSEAT_CALL_H

#include <stdint.h>

struct app;

struct call_totals {
	unsigned active;             /**< calls in progress        */
	uint64_t started;            /**< calls admitted           */
	uint64_t rejected;           /**< INVITEs refused          */
};

int  call_init(struct app *app);
int  call_action_api_init(void);
int  call_dial_api_init(void);
void call_shutdown(void);
void call_drain(struct app *app, void (*drainedh)(void *arg), void *arg);
void call_close(void);
void call_totals_get(struct call_totals *t);

#endif
