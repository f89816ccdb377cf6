/* The registrar's request parsing, shared with its unit test (include
 * <re.h> first). */
#ifndef OPENSEAT_REGISTRAR_INT_H
#define OPENSEAT_REGISTRAR_INT_H

/** What a REGISTER asks for. */
struct registrar_req {
	struct pl user;          /**< the AOR's user (To)                 */
	struct pl contact;       /**< Contact URI; unset: a query         */
	bool star;               /**< Contact: * (remove all)             */
	bool expires_set;        /**< Contact param or Expires header     */
	uint32_t expires;        /**< as asked; UINT32_MAX when beyond    */
};

int  registrar_parse(const struct sip_msg *msg, struct registrar_req *req,
		     const char **whyp);
int  registrar_expires(const struct registrar_req *req,
		       const struct registrar_cfg *cfg, uint32_t *expiresp);
int  registrar_source(char *buf, size_t sz, const struct sa *src,
		      enum sip_transp tp);
bool registrar_behind_nat(const struct pl *contact, const struct sa *src);

#endif
