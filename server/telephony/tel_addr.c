/* Trunk allow-list entries: one address or a prefix, IPv4 or IPv6. */
#include <string.h>
#include <stdlib.h>
#include <re.h>
#include "telephony/tel_int.h"


/*
 * An IPv4 peer reaching a dual-stack socket shows up as ::ffff:a.b.c.d;
 * it is matched as the IPv4 address it is.
 */
static bool v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};

	return 0 == memcmp(a, prefix, sizeof(prefix));
}


/* The address bytes of src, IPv4-mapped IPv6 unwrapped. */
static int src_bytes(const struct sa *src, uint8_t *addr, bool *v6p)
{
	switch (sa_af(src)) {

	case AF_INET: {
		uint32_t v = htonl(sa_in(src));

		memcpy(addr, &v, 4);
		*v6p = false;
		return 0;
	}

	case AF_INET6:
		sa_in6(src, addr);
		if (v4_mapped(addr)) {
			memmove(addr, addr + 12, 4);
			*v6p = false;
		}
		else {
			*v6p = true;
		}
		return 0;

	default:
		return EAFNOSUPPORT;
	}
}


static int parse_bits(const char *s, unsigned max, uint8_t *bitsp)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] < '0' || s[0] > '9' || strlen(s) > 3)
		return EINVAL;

	v = strtoul(s, &end, 10);
	if (*end || v > max || (s[0] == '0' && s[1]))
		return EINVAL;

	*bitsp = (uint8_t)v;

	return 0;
}


static bool host_bits_zero(const struct tel_cidr *c)
{
	unsigned len = c->v6 ? 16 : 4;

	for (unsigned i = 0; i < len; i++) {
		unsigned keep = c->bits > i * 8 ? c->bits - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff :
			(uint8_t)(0xff << (8 - keep));

		if (c->addr[i] & (uint8_t)~mask)
			return false;
	}

	return true;
}


/**
 * Parse "192.0.2.10", "198.51.100.0/24", "2001:db8::1" or
 * "2001:db8::/32". A prefix must have its host bits clear, so what the
 * operator typed is what is matched.
 *
 * @param whyp  set to an English reason on EINVAL
 * @return 0 if success, otherwise EINVAL
 */
int tel_cidr_parse(struct tel_cidr *c, const char *s, const char **whyp)
{
	char addr[TEL_ADDR_MAX];
	const char *slash;
	struct sa sa;
	size_t n;

	*whyp = "must be an IPv4 or IPv6 address, optionally with /prefix";
	memset(c, 0, sizeof(*c));
	if (!s || !s[0] || strlen(s) >= sizeof(addr))
		return EINVAL;

	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	memcpy(addr, s, n);
	addr[n] = '\0';

	/* inet_pton: no host names, no scope ids, no padding */
	if (!strchr(addr, ':') && !strchr(addr, '.'))
		return EINVAL;
	if (sa_set_str(&sa, addr, 0) || src_bytes(&sa, c->addr, &c->v6))
		return EINVAL;

	if (strchr(addr, ':') && !c->v6) {
		*whyp = "write an IPv4 address as a.b.c.d, not ::ffff:a.b.c.d";
		return EINVAL;
	}

	c->bits = c->v6 ? 128 : 32;
	if (slash && parse_bits(slash + 1, c->bits, &c->bits)) {
		*whyp = c->v6 ? "prefix length must be 0 to 128" :
			"prefix length must be 0 to 32";
		return EINVAL;
	}

	if (!host_bits_zero(c)) {
		*whyp = "the address has bits set beyond the prefix length; "
			"use the network address";
		return EINVAL;
	}

	return 0;
}


/** True if src lies within the address or prefix c. */
bool tel_cidr_match(const struct tel_cidr *c, const struct sa *src)
{
	uint8_t a[16];
	unsigned full, rest;
	bool v6;

	if (!c || !src || src_bytes(src, a, &v6) || v6 != c->v6)
		return false;

	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->addr, full))
		return false;

	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (a[full] & mask) == (c->addr[full] & mask);
	}

	return true;
}


/** The address of src as text without port, IPv4-mapped unwrapped. */
int tel_addr_key(char *buf, size_t sz, const struct sa *src)
{
	uint8_t a[16];
	struct sa sa;
	bool v6;
	int err;

	err = src_bytes(src, a, &v6);
	if (err)
		return err;

	if (v6) {
		sa_set_in6(&sa, a, 0);
	}
	else {
		uint32_t v;

		memcpy(&v, a, 4);
		sa_set_in(&sa, ntohl(v), 0);
	}

	return sa_ntop(&sa, buf, (int)sz);
}
