/* Which addresses outgoing requests (webhooks, CRM lookups) may reach. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_sa.h>
#include "http/egress.h"

/*
 * A tenant chooses the URL; the operator chooses where requests may go.
 * Without this a tenant could make the server reach its own loopback
 * services or a cloud metadata endpoint (server-side request forgery).
 *
 * Callers resolve the name themselves and connect to the very address
 * they checked, so a DNS answer that changes between check and connect
 * (rebinding) cannot slip past.
 *
 * Order: the operator's egress_allow list wins; then loopback,
 * link-local, unspecified, multicast, reserved and metadata addresses
 * are refused; then private ranges (RFC 1918, 100.64/10, fc00::/7)
 * follow egress_allow_private; everything else is public and allowed.
 * IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 forms are judged by
 * the IPv4 address inside them.
 */

enum { ALLOW_MAX = 32 };

struct cidr {
	uint8_t addr[16];      /* IPv4 as ::ffff:a.b.c.d */
	unsigned bits;         /* prefix length on the 128-bit form */
};

static struct {
	struct cidr allowv[ALLOW_MAX];
	size_t allowc;
	bool allow_private;
} eg = {.allow_private = true};

enum verdict {
	V_PUBLIC,
	V_PRIVATE,
	V_DENIED,
};

struct range {
	const char *prefix;
	unsigned bits;         /* of the prefix's own family */
	enum verdict v;
};

static const struct range v4_ranges[] = {
	{"0.0.0.0",         8,  V_DENIED},   /* "this network" */
	{"127.0.0.0",       8,  V_DENIED},   /* loopback */
	{"169.254.0.0",     16, V_DENIED},   /* link-local, metadata */
	{"100.100.100.200", 32, V_DENIED},   /* Alibaba Cloud metadata */
	{"192.0.0.0",       24, V_DENIED},   /* IETF protocol assignments */
	{"224.0.0.0",       4,  V_DENIED},   /* multicast */
	{"240.0.0.0",       4,  V_DENIED},   /* reserved, broadcast */
	{"10.0.0.0",        8,  V_PRIVATE},
	{"172.16.0.0",      12, V_PRIVATE},
	{"192.168.0.0",     16, V_PRIVATE},
	{"100.64.0.0",      10, V_PRIVATE},  /* carrier-grade NAT */
	{"198.18.0.0",      15, V_PRIVATE},  /* benchmarking networks */
};

static const struct range v6_ranges[] = {
	{"::",              128, V_DENIED},  /* unspecified */
	{"::1",             128, V_DENIED},  /* loopback */
	{"fe80::",          10,  V_DENIED},  /* link-local */
	{"fec0::",          10,  V_DENIED},  /* site-local (deprecated) */
	{"ff00::",          8,   V_DENIED},  /* multicast */
	{"fd00:ec2::254",   128, V_DENIED},  /* AWS metadata */
	{"fc00::",          7,   V_PRIVATE}, /* unique local */
};


static void v4_to_16(uint8_t *a16, uint32_t v4)
{
	memset(a16, 0, 10);
	a16[10] = 0xff;
	a16[11] = 0xff;
	a16[12] = (uint8_t)(v4 >> 24);
	a16[13] = (uint8_t)(v4 >> 16);
	a16[14] = (uint8_t)(v4 >> 8);
	a16[15] = (uint8_t)v4;
}


static bool prefix_match(const uint8_t *a, const uint8_t *p, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, p, full))
		return false;
	if (!rest)
		return true;

	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (p[full] & mask);
}


/* The 16-byte form of sa, IPv4 as ::ffff:a.b.c.d; false if neither. */
static bool addr16(uint8_t *a16, const struct sa *sa)
{
	switch (sa_af(sa)) {

	case AF_INET:
		v4_to_16(a16, sa_in(sa));
		return true;

	case AF_INET6:
		sa_in6(sa, a16);
		return true;

	default:
		return false;
	}
}


/*
 * The IPv4 address an IPv6 one carries by a well-known embedding, so
 * ::ffff:127.0.0.1, ::127.0.0.1, 64:ff9b::7f00:1 and 2002:7f00:1::
 * are all judged as 127.0.0.1.
 */
static bool embedded_v4(const uint8_t *a, uint32_t *v4p)
{
	static const uint8_t mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
	static const uint8_t compat[12] = {0};
	static const uint8_t nat64[12] = {0,0x64,0xff,0x9b};
	const uint8_t *p = a + 12;

	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		;
	else if (!memcmp(a, compat, 12) && (a[12] | a[13]))
		;   /* ::a.b.c.d, not :: or ::1 */
	else if (a[0] == 0x20 && a[1] == 0x02)
		p = a + 2;
	else
		return false;

	*v4p = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
	return true;
}


static enum verdict table_verdict(const uint8_t *a, bool v4)
{
	const struct range *rv = v4 ? v4_ranges : v6_ranges;
	size_t rc = v4 ? ARRAY_SIZE(v4_ranges) : ARRAY_SIZE(v6_ranges);
	uint8_t p[16];
	struct sa sa;

	for (size_t i = 0; i < rc; i++) {
		if (sa_set_str(&sa, rv[i].prefix, 0) || !addr16(p, &sa))
			continue;
		if (prefix_match(a, p, rv[i].bits + (v4 ? 96 : 0)))
			return rv[i].v;
	}

	return V_PUBLIC;
}


static enum verdict classify(const uint8_t *a)
{
	enum verdict v6v;
	uint32_t v4;
	uint8_t m[16];

	if (!embedded_v4(a, &v4))
		return table_verdict(a, false);

	/* A 6to4 address is also judged as itself (2002::/16 is public) */
	v6v = (a[0] == 0x20) ? table_verdict(a, false) : V_PUBLIC;
	v4_to_16(m, v4);

	return v6v > table_verdict(m, true) ? v6v : table_verdict(m, true);
}


static bool allow_listed(const uint8_t *a)
{
	uint32_t v4;
	uint8_t m[16];

	if (embedded_v4(a, &v4) && a[0] != 0x20)
		v4_to_16(m, v4);
	else
		memcpy(m, a, sizeof(m));

	for (size_t i = 0; i < eg.allowc; i++) {
		if (prefix_match(m, eg.allowv[i].addr, eg.allowv[i].bits))
			return true;
	}

	return false;
}


/**
 * May an outgoing request connect to addr? Check the address actually
 * being connected to, after resolution.
 *
 * @return true if allowed
 */
bool egress_allowed(const struct sa *addr)
{
	uint8_t a[16];

	if (!addr || !addr16(a, addr))
		return false;

	if (allow_listed(a))
		return true;

	switch (classify(a)) {

	case V_PUBLIC:
		return true;

	case V_PRIVATE:
		return eg.allow_private;

	default:
		return false;
	}
}


static int cidr_parse(struct cidr *c, const struct pl *pl)
{
	struct pl addr = *pl, len = PL_INIT;
	const char *slash = pl_strchr(pl, '/');
	unsigned max;
	struct sa sa;

	if (slash) {
		addr.l = (size_t)(slash - pl->p);
		len.p = slash + 1;
		len.l = pl->l - addr.l - 1;
	}

	if (sa_set(&sa, &addr, 0) || !addr16(c->addr, &sa))
		return EINVAL;

	max = sa_af(&sa) == AF_INET ? 32 : 128;
	if (len.p && (len.l == 0 || len.l > 3 ||
		      strspn(len.p, "0123456789") < len.l))
		return EINVAL;

	c->bits = len.p ? pl_u32(&len) : max;
	if (c->bits > max)
		return EINVAL;
	if (max == 32)
		c->bits += 96;

	return 0;
}


static int list_parse(struct cidr *cv, size_t *cp, const char *allow)
{
	const char *p = allow ? allow : "";
	size_t n = 0;

	for (;;) {
		struct pl tok;

		p += strspn(p, " ,\t");
		if (!*p)
			break;

		tok.p = p;
		tok.l = strcspn(p, " ,\t");
		p += tok.l;

		if (n == ALLOW_MAX)
			return E2BIG;
		if (cidr_parse(&cv[n], &tok))
			return EINVAL;
		n++;
	}

	*cp = n;
	return 0;
}


/**
 * Check an egress_allow value: CIDRs (a.b.c.d/n, x::y/n or a bare
 * address) separated by commas or spaces, at most 32.
 *
 * @return 0 if valid, otherwise EINVAL or E2BIG
 */
int egress_check_list(const char *allow)
{
	struct cidr cv[ALLOW_MAX];
	size_t n;

	return list_parse(cv, &n, allow);
}


/**
 * Set the policy: the operator's allow list (config egress_allow) and
 * whether private networks are reachable (egress_allow_private).
 *
 * @return 0 if success, otherwise errorcode (the policy is unchanged)
 */
int egress_init(const char *allow, bool allow_private)
{
	struct cidr cv[ALLOW_MAX];
	size_t n;
	int err;

	err = list_parse(cv, &n, allow);
	if (err)
		return err;

	memcpy(eg.allowv, cv, sizeof(cv));
	eg.allowc = n;
	eg.allow_private = allow_private;

	return 0;
}
