/*
 * Trunks and numbers as the SIP edge sees them: an in-memory copy of the
 * routing tables (loaded at start, reloaded when they change), and the
 * per-trunk and per-tenant call limits. The call engine asks it, for
 * every INVITE, which trunk sent it and which tenant owns the number.
 */
#ifndef OPENSEAT_TELEPHONY_H
#define OPENSEAT_TELEPHONY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct sa;

/** A carrier trunk (read-only snapshot; valid until tel_release()). */
struct tel_trunk {
	char trunk_id[37];
	char tenant_id[37];          /**< "" = shared by all tenants     */
	char name[101];
	char codecs[64];             /**< "PCMA,PCMU"                    */
	char auth_user[65];          /**< "" = address allow-list only   */
	char auth_secret[129];
	char outbound_uri[256];      /**< "sip:host:port" for transfers  */
	uint32_t max_calls;          /**< 0 = unlimited                  */
	uint32_t max_cps;            /**< calls per second, 0 = no limit */
};

/** A number (DID) and who answers it. */
struct tel_number {
	char number_id[37];
	char number[33];             /**< digits, e.g. "4001000100"      */
	char tenant_id[37];
	char tenant_code[33];
	bool tenant_active;          /**< false: suspended -> 480        */
	uint32_t tenant_max_calls;   /**< 0 = unlimited                  */
	char trunk_id[37];           /**< "" = any trunk may deliver it  */
	char flow_id[37];            /**< default flow; "" = none        */
	char *routes_json;           /**< [{"schedule_id","flow_id"}...] */
	char recording[12];          /**< policy override, "" = inherit  */
	char label[257];             /**< hotline's name, "" = none      */
};

/** Calls admitted on a trunk and tenant; release exactly once. */
struct tel_admission;

int  tel_init(struct app *app);
void tel_close(void);
bool tel_loaded(void);
int  tel_reload(void);

/*
 * Lookups return a reference to an immutable snapshot entry (mem_ref'd):
 * the caller mem_deref()s it. NULL if none.
 */
struct tel_trunk *tel_trunk_by_addr(const struct sa *src);
struct tel_trunk *tel_trunk_by_user(const char *auth_user);
bool tel_digest_only_trunks(void);
struct tel_number *tel_number_find(const char *number);
struct tel_number *tel_number_of_tenant(const char *tenant_id);
struct tel_trunk *tel_trunk_for_number(const struct tel_number *num);

/**
 * Admit one more call on trunk (may be NULL) for tenant_id under the
 * trunk's concurrent and per-second limits and the tenant's limit.
 *
 * @return 0 and *admp, or EBUSY when a limit is reached (-> 503)
 */
int  tel_admit(struct tel_admission **admp, const struct tel_trunk *trunk,
	       const struct tel_number *num);

/* Digest failures per source address; true while an address is banned. */
void tel_auth_failed(const struct sa *src);
bool tel_banned(const struct sa *src);

/** Normalize a dialed or calling number: "+86 10-1234" -> "101234". */
int  tel_normalize(char *out, size_t sz, const char *in);

#endif
