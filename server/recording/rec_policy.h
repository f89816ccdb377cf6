/*
 * Which calls are recorded, and how: the tenant's settings (cached on
 * the loop, written through by the settings API) with the overrides of
 * the number dialled and of the queue. The most specific level wins:
 * queue, then number, then tenant.
 */
#ifndef OPENSEAT_REC_POLICY_H
#define OPENSEAT_REC_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct app;
struct db_res;

struct rec_settings {
	char mode[12];              /**< all|inbound|outbound|none      */
	bool from_call;             /**< start_at "call": IVR included  */
	bool stereo;
	bool notice;                /**< spoken notice at call start    */
	uint32_t retention_days;
	bool agent_playback;
};

int  rec_policy_init(struct app *app);
void rec_policy_close(void);
void rec_policy_settings(const char *tenant_id, struct rec_settings *s);
int  rec_policy_set(const char *tenant_id, const struct rec_settings *s);
void rec_policy_set_row(const char *tenant_id, const struct db_res *res,
			unsigned stmt, unsigned row);
void rec_policy_defaults(struct rec_settings *s);
const char *rec_policy_mode(const struct rec_settings *s,
			    const char *number_mode, const char *queue_mode);
bool rec_policy_records(const char *mode, bool outbound);

#endif
