/* A supervisor's monitor of a call: shared by call_monitor.c, which
 * runs it, and call_monitor_api.c, which lists the live ones. */
#ifndef OPENSEAT_CALL_MONITOR_INT_H
#define OPENSEAT_CALL_MONITOR_INT_H

/* needs <re_types.h> and <re_list.h> first (libre's headers have no
 * include guards) */

struct call;
struct http_req;

enum mon_mode { MON_LISTEN = 0, MON_WHISPER, MON_BARGE, MON_TAKEOVER };

struct call_monitor {
	struct le le;                    /**< in call->monitors (owning) */
	struct le tle;                   /**< in tabs: every monitor     */
	struct call *call;               /**< (borrowed)                 */
	void *tab;                       /**< (borrowed) the console     */
	char user_id[37];
	char name[65];
	char agent_id[37];               /**< the agent monitored, or "" */
	enum mon_mode mode;
	struct webrtc *rtc;              /**< (ref) a browser            */
	struct leg *leg;                 /**< (ref) a SIP phone          */
	struct sipcall *sc;              /**< (ref) a SIP phone          */
	bool answered;                   /**< the phone answered         */
	bool closing;                    /**< hung up by us: no report   */
};

const struct list *call_monitor_all(void);
const char *call_monitor_mode_name(enum mon_mode mode);
bool call_monitor_connected(const struct call_monitor *m);

/* call_monitor_api.c */
void call_monitor_live_get(struct http_req *req);

#endif
