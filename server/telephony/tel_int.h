/* Inside the routing cache: snapshots, address prefixes, limits. */
#ifndef OPENSEAT_TEL_INT_H
#define OPENSEAT_TEL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sa;
struct tel_trunk;
struct tel_number;

/** Database notification channel: any change to trunks or numbers. */
#define TEL_CHANNEL "openseat_telephony"

/** Longest address entry text: an IPv6 address and "/128". */
#define TEL_ADDR_MAX 64

/** An allow-list entry: an address and how many leading bits count. */
struct tel_cidr {
	uint8_t addr[16];      /**< network order; v4 uses the first 4 */
	uint8_t bits;          /**< 32 or 128 for one address          */
	bool v6;
};

int  tel_cidr_parse(struct tel_cidr *c, const char *s, const char **whyp);
bool tel_cidr_match(const struct tel_cidr *c, const struct sa *src);
int  tel_addr_key(char *buf, size_t sz, const struct sa *src);

/*
 * A snapshot is immutable once installed. Lookups hand out references
 * to its entries, so an entry outlives the snapshot it came from.
 */
struct tel_snap;

int  tel_snap_alloc(struct tel_snap **snapp);
int  tel_snap_add_trunk(struct tel_snap *snap, const struct tel_trunk *t,
			const char *allow_addrs);
int  tel_snap_add_number(struct tel_snap *snap, const struct tel_number *n,
			 const char *routes_json);
void tel_snap_install(struct tel_snap *snap);
unsigned tel_snap_ntrunks(const struct tel_snap *snap);
unsigned tel_snap_nnumbers(const struct tel_snap *snap);

/* Limits and bans (tel_limit.c) */
typedef uint64_t (tel_clock_h)(void);

int  tel_limits_init(uint32_t max_fail, uint64_t window_ms,
		     uint64_t ban_ms);
void tel_limits_close(void);
void tel_clock_set(tel_clock_h *now);
uint32_t tel_active_trunk(const char *trunk_id);
uint32_t tel_active_tenant(const char *tenant_id);

/* Route tables of the API */
int trunk_api_init(void);
int number_api_init(void);
int call_api_init(void);

#endif
