/* The URL of an outgoing request: checked when saved, parsed to send. */
#include <string.h>
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include <re_sa.h>
#include "http/outreq.h"

/*
 * Only what a plain HTTP client needs and nothing that could surprise:
 * http or https, a host (DNS name, IPv4, or IPv6 in brackets), an
 * optional port, a path and query. No userinfo ("user:pass@" hides the
 * real host from a reader), no fragment, no spaces or control bytes.
 * Where the host resolves is judged when sending (http/egress.h).
 */


static bool name_ok(const char *h, size_t n)
{
	size_t label = 0;

	if (!n || n > 253 || h[0] == '.' || h[n - 1] == '.')
		return false;

	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (!label || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '-' && label)))
			return false;
		if (++label > 63)
			return false;
	}

	return h[n - 1] != '-';
}


static int host_parse(struct outreq_url *u, const char *p, size_t n,
		      const char **whyp)
{
	struct sa sa;

	if (n && p[0] == '[') {
		if (n < 3 || p[n - 1] != ']' ||
		    n - 2 >= sizeof(u->host))
			goto bad;
		(void)re_snprintf(u->host, sizeof(u->host), "%b", p + 1,
				  n - 2);
		if (sa_set_str(&sa, u->host, 0) || sa_af(&sa) != AF_INET6)
			goto bad;
		return 0;
	}

	if (!name_ok(p, n))
		goto bad;

	(void)re_snprintf(u->host, sizeof(u->host), "%b", p, n);
	return 0;

 bad:
	*whyp = "host";
	return EINVAL;
}


static int port_parse(struct outreq_url *u, const char *p, size_t n,
		      const char **whyp)
{
	uint32_t v = 0;

	if (!n || n > 5 || strspn(p, "0123456789") < n)
		goto bad;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint32_t)(p[i] - '0');
	if (v < 1 || v > 65535)
		goto bad;

	u->port = (uint16_t)v;
	return 0;

 bad:
	*whyp = "port";
	return EINVAL;
}


/* host[:port] or [v6][:port] */
static int authority_parse(struct outreq_url *u, const char *p, size_t n,
			   const char **whyp)
{
	const char *colon = NULL;

	if (memchr(p, '@', n)) {
		*whyp = "userinfo";
		return EINVAL;
	}

	if (n && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb && (size_t)(rb - p) + 1 < n) {
			if (rb[1] != ':')
				goto bad;
			colon = rb + 1;
		}
	}
	else {
		colon = memchr(p, ':', n);
	}

	if (!colon)
		return host_parse(u, p, n, whyp);

	if (host_parse(u, p, (size_t)(colon - p), whyp))
		return EINVAL;

	return port_parse(u, colon + 1, n - (size_t)(colon - p) - 1, whyp);

 bad:
	*whyp = "host";
	return EINVAL;
}


static bool bytes_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c == 0x7f)
			return false;
	}

	return true;
}


/**
 * Parse and check an outgoing request's URL.
 *
 * @param u     Parsed parts (out)
 * @param url   The URL as the tenant gave it
 * @param whyp  On EINVAL, what is wrong: "scheme", "userinfo", "host",
 *              "port", "path", "fragment" or "length"
 *
 * @return 0 if valid, otherwise EINVAL
 */
int outreq_url_parse(struct outreq_url *u, const char *url, const char **whyp)
{
	const char *why = "scheme", *auth, *end;
	size_t n;

	if (!u || !url)
		return EINVAL;

	memset(u, 0, sizeof(*u));
	whyp = whyp ? whyp : &why;
	*whyp = "length";
	n = strlen(url);
	if (n < 10 || n > 2048)
		return EINVAL;

	*whyp = "path";
	if (!bytes_ok(url))
		return EINVAL;

	*whyp = "fragment";
	if (strchr(url, '#'))
		return EINVAL;

	*whyp = "scheme";
	if (!strncmp(url, "https://", 8))
		u->tls = true;
	else if (strncmp(url, "http://", 7))
		return EINVAL;

	auth = url + (u->tls ? 8 : 7);
	end = auth + strcspn(auth, "/?");
	u->port = u->tls ? 443 : 80;
	if (authority_parse(u, auth, (size_t)(end - auth), whyp))
		return EINVAL;

	*whyp = "path";
	if (re_snprintf(u->path, sizeof(u->path), "%s%s",
			*end == '?' ? "/" : "", *end ? end : "/") < 0)
		return EINVAL;

	*whyp = NULL;
	return 0;
}
