/*
 * What a REGISTER asks for: the AOR, one Contact (or "*"), the expiry;
 * and where a phone really is. Pure functions over a decoded message.
 */
#include <string.h>
#include <re.h>
#include "media/registrar.h"
#include "media/registrar_int.h"

enum {
	DEFAULT_EXPIRES = 3600,   /**< RFC 3261 10.2.1.1 when none asked */
};


/* Digits only, saturating: "99999999999" asks for "as long as any". */
static int expires_decode(const struct pl *pl, uint32_t *vp)
{
	uint64_t v = 0;
	size_t i;

	if (!pl->l)
		return EBADMSG;

	for (i = 0; i < pl->l; i++) {
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return EBADMSG;
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(pl->p[i] - '0');
	}

	*vp = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;

	return 0;
}


static bool pl_is_star(const struct pl *val)
{
	struct pl v = *val;

	while (v.l && (v.p[0] == ' ' || v.p[0] == '\t')) {
		++v.p;
		--v.l;
	}
	while (v.l && (v.p[v.l - 1] == ' ' || v.p[v.l - 1] == '\t'))
		--v.l;

	return v.l == 1 && v.p[0] == '*';
}


/* A URI we can store and send to: sip or sips, a host, printable. */
static bool contact_ok(const struct sip_addr *addr)
{
	size_t i;

	if (pl_strcasecmp(&addr->uri.scheme, "sip") &&
	    pl_strcasecmp(&addr->uri.scheme, "sips"))
		return false;

	if (!addr->uri.host.l || addr->auri.l > REGISTRAR_CONTACT_MAX)
		return false;

	for (i = 0; i < addr->auri.l; i++) {
		unsigned char c = (unsigned char)addr->auri.p[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>')
			return false;
	}

	return true;
}


struct contacts {
	struct registrar_req *req;
	unsigned n;
	const char *why;
};


static bool contact_handler(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	struct contacts *c = arg;
	struct sip_addr addr;
	struct pl v;
	(void)msg;

	if (c->n++)
		return false;      /* one binding per user: the first */

	if (pl_is_star(&hdr->val)) {
		c->req->star = true;
		return false;
	}

	if (sip_addr_decode(&addr, &hdr->val) || !contact_ok(&addr)) {
		c->why = "Bad Contact";
		return true;
	}

	c->req->contact = addr.auri;
	if (!msg_param_decode(&addr.params, "expires", &v)) {
		if (expires_decode(&v, &c->req->expires)) {
			c->why = "Bad Expires";
			return true;
		}
		c->req->expires_set = true;
	}

	return false;
}


/**
 * Read a REGISTER.
 *
 * @param whyp  on error, a reason phrase for the answer
 *
 * @return 0 if success, EBADMSG (-> 400) or EPERM (-> 403, To and
 * From name different users: no third-party registration)
 */
int registrar_parse(const struct sip_msg *msg, struct registrar_req *req,
		    const char **whyp)
{
	struct contacts c;
	uint32_t hexp = 0;
	const char *why = NULL;

	if (!msg || !req || !whyp)
		return EINVAL;

	memset(req, 0, sizeof(*req));
	memset(&c, 0, sizeof(c));
	c.req = req;

	if (!msg->to.uri.user.l || msg->to.uri.user.l > 64) {
		*whyp = "Bad To";
		return EBADMSG;
	}
	if (pl_cmp(&msg->to.uri.user, &msg->from.uri.user)) {
		*whyp = "To and From Differ";
		return EPERM;
	}
	req->user = msg->to.uri.user;

	if (pl_isset(&msg->expires) && expires_decode(&msg->expires, &hexp))
		why = "Bad Expires";

	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_handler,
				&c);
	why = why ? why : c.why;
	if (!why && req->star && (c.n > 1 || !pl_isset(&msg->expires) ||
				  hexp != 0))
		why = "Contact * Needs Expires: 0 Alone";
	if (why) {
		*whyp = why;
		return EBADMSG;
	}

	if (!req->expires_set && pl_isset(&msg->expires)) {
		req->expires = hexp;
		req->expires_set = true;
	}

	return 0;
}


/**
 * The expiry to grant: 0 to remove, else within the configured bounds.
 *
 * @return 0 if success, ERANGE when asked below the minimum (-> 423)
 */
int registrar_expires(const struct registrar_req *req,
		      const struct registrar_cfg *cfg, uint32_t *expiresp)
{
	uint32_t e;

	if (!req || !cfg || !expiresp)
		return EINVAL;

	e = req->expires_set ? req->expires : DEFAULT_EXPIRES;
	if (e && e < cfg->min_expires)
		return ERANGE;

	*expiresp = e > cfg->max_expires ? cfg->max_expires : e;

	return 0;
}


static const char *transp_param(enum sip_transp tp)
{
	switch (tp) {

	case SIP_TRANSP_TCP: return "tcp";
	case SIP_TRANSP_TLS: return "tls";
	default:             return "udp";
	}
}


/** The packet's source as a URI to route to: sip:IP:port;transport=x */
int registrar_source(char *buf, size_t sz, const struct sa *src,
		     enum sip_transp tp)
{
	if (!buf || !src || !sa_isset(src, SA_ALL))
		return EINVAL;

	return re_snprintf(buf, sz, "sip:%J;transport=%s", src,
			   transp_param(tp)) < 0 ? EOVERFLOW : 0;
}


/**
 * True when requests must go to the packet's source, not the Contact:
 * its host is not the address the REGISTER came from (a private address
 * behind NAT, or a name we would have to resolve), or the phone came
 * over TCP or TLS, where only its own connection reaches it.
 */
bool registrar_behind_nat(const struct pl *contact, const struct sa *src,
			  enum sip_transp tp)
{
	struct uri uri;
	struct sa host;
	char h[64];

	if (tp == SIP_TRANSP_TCP || tp == SIP_TRANSP_TLS)
		return true;

	if (!contact || !src || uri_decode(&uri, contact))
		return true;

	if (pl_strcpy(&uri.host, h, sizeof(h)) ||
	    sa_set_str(&host, h, 0))
		return true;

	return !sa_cmp(&host, src, SA_ADDR);
}
