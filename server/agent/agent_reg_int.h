/* The agent phones' private parts: the agents snapshot, the writes of
 * sip_registrations, the metrics. */
#ifndef OPENSEAT_AGENT_REG_INT_H
#define OPENSEAT_AGENT_REG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_res;
struct registrar;
struct registrar_info;

/** An agent whose device is a SIP phone. */
struct agent_ent {
	char agent_id[37];
	char tenant_id[37];
	char sip_user[65];
	char secret[129];
};

/* agent_snap.c: immutable once built; entries live as long as it */
struct agent_snap;
int  agent_snap_build(struct agent_snap **snapp, const struct db_res *res);
const struct agent_ent *agent_snap_by_user(const struct agent_snap *snap,
					   const char *sip_user);
const struct agent_ent *agent_snap_by_agent(const struct agent_snap *snap,
					    const char *agent_id);
unsigned agent_snap_count(const struct agent_snap *snap);
unsigned agent_snap_list(const struct agent_snap *snap, unsigned from,
			 struct agent_ent **v, unsigned n);

/* agent_reg_store.c: info NULL deletes the row */
void agent_reg_store(const char *agent_id,
		     const struct registrar_info *info);
int  agent_reg_store_init(struct db *db);
void agent_reg_store_close(void);

/* agent_reg_metrics.c */
void agent_reg_metrics_init(struct registrar *reg);
void agent_reg_count(uint16_t scode);

#endif
