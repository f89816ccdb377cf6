/*
 * A console's actions on live calls (the WebSocket and REST handlers
 * call these). An agent acts on the calls offered to it or answered by
 * it; a supervisor on any call of its tenant. Errors: ENOENT (no such
 * call or offer for this user, or another tenant's), EACCES, EALREADY
 * (not in a state that allows it), EPROTO/ENOTSUP/EBADMSG (an unusable
 * SDP offer).
 */
#ifndef OPENSEAT_CALL_CONSOLE_H
#define OPENSEAT_CALL_CONSOLE_H

#include <stdbool.h>

struct principal;

/* The browser softphone (call_rtc.c); *answerp is mem_alloc'd. */
int call_console_answer(const struct principal *p, const char *call_id,
			const char *sdp, char **answerp);
int call_console_reconnect(const struct principal *p, const char *call_id,
			   const char *sdp, char **answerp);
int call_console_reject(const struct principal *p, const char *call_id);
void call_console_reoffer(const struct principal *p, const char *call_id);

/* Click-to-dial (call_dial.c): from the browser, or for an agent on any
 * device (the REST API). Strings are borrowed for the call. */
struct call_dial_who {
	const char *tenant_id;
	const char *agent_id;
	const char *device;          /**< "sip", "pstn" (or "webrtc")  */
	const char *phone;           /**< a PSTN agent's number         */
	const char *from;            /**< tenant's number shown, or NULL */
	const char *origin;          /**< "console" or "api"            */
	const char *request_id;      /**< the API request, or NULL      */
};

int call_dial_agent(const struct call_dial_who *w, const char *number,
		    const char *sdp, char **answerp, char *call_id);
int call_console_dial(const struct principal *p, const char *number,
		      const char *from, const char *sdp,
		      const char *request_id, char **answerp, char *call_id);
int call_dial_hangup(const struct principal *p, const char *call_id);

/* Any device (call_console.c). */
int call_console_hangup(const struct principal *p, const char *call_id);
int call_console_hold(const struct principal *p, const char *call_id,
		      bool on);
/** Who a consultation reaches: exactly one of them (start only). */
struct call_consult_to {
	const char *number;          /**< an outside number             */
	const char *agent;           /**< a colleague: id or work number */
	const char *queue;           /**< the best ready agent of it    */
};

int call_console_consult(const struct principal *p, const char *call_id,
			 const char *action,
			 const struct call_consult_to *to, bool *queuedp);
int call_consult_problem(int err, const struct call_consult_to *to,
			 const char **code, const char **message);
int call_console_dtmf(const struct principal *p, const char *call_id,
		      const char *digits);
int call_console_record(const struct principal *p, const char *call_id,
			const char *action);
int call_console_transfer(const struct principal *p, const char *call_id,
			  const char *queue, const char *agent_id,
			  const char *number);

/* Monitoring (call_monitor.c); tab: the supervisor's console. */
int call_monitor_start(const struct principal *p, void *tab,
		       const char *call_id, const char *mode,
		       const char *sdp, char **answerp);
int call_monitor_start_phone(const struct principal *p, void *tab,
			     const char *call_id, const char *mode);
int call_monitor_mode(const struct principal *p, void *tab,
		      const char *call_id, const char *mode);
int call_monitor_stop(const struct principal *p, void *tab,
		      const char *call_id);
void call_monitor_tab_gone(void *tab);

#endif
