/* The call object, shared by the files of server/call only (include
 * re_list.h first: struct call embeds a struct le). */
#ifndef OPENSEAT_CALL_INT_H
#define OPENSEAT_CALL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/leg.h"
#include "media/webrtc.h"

struct app;
struct sipcall;
struct leg;
struct mixer;
struct player;
struct call_store;
struct tel_admission;
struct tel_number;
struct tel_trunk;
struct json_t;
struct sip_msg;
struct sipedge;
struct re_printf;
struct event;
struct screenpop;
struct call_agent;

enum call_state {
	CALL_SETUP = 0,    /**< admitted, flow loading, INVITE unanswered */
	CALL_LIVE,         /**< answered, in the IVR                      */
	CALL_ENDED,
};

struct call {
	struct le le;                    /**< in the registry (owning)  */
	struct app *app;                 /**< (borrowed)                */
	char call_id[37];
	char tenant_id[37];
	char number_id[37];
	char number[33];                 /**< the DID dialed            */
	char number_label[257];          /**< its hotline's name, or "" */
	char caller[65];
	char sip_call_id[128];
	char trunk_id[37];
	char flow_id[37];
	char lang[8];                    /**< prompts: "zh-CN" or "en"  */
	enum call_state state;
	struct sipcall *sc;              /**< (ref)                     */
	struct leg *leg;                 /**< (ref) the customer leg    */
	struct mixer *mixer;             /**< (ref)                     */
	struct player *player;           /**< (ref)                     */
	struct tel_admission *adm;       /**< (ref) released at the end */
	struct call_store *store;        /**< (ref)                     */
	struct call_ivr *ivr;            /**< (ref)                     */
	struct call_xfer *xfer;          /**< (ref) transfer leg        */
	struct call_queue *cq;           /**< (ref) queue side          */
	struct tel_trunk *trunk;         /**< (ref)                     */
	uint64_t t_start, t_answer, t_end;  /**< wall ms               */
	unsigned seq;                    /**< last timeline seq         */
	char disposition[16];            /**< set before call_end       */
	struct json_t *ivr_path;         /**< (own) nodes run, for CTI  */
	char region[64];                 /**< caller's, "" = not known  */
	char carrier[32];
	struct list monitors;            /**< struct call_monitor       */
	struct call_consult *consult;    /**< (ref) the agent's 2nd line */
	struct call_out *out;            /**< (ref) click-to-dial legs  */
	bool outbound;                   /**< an agent dialled out      */
	char callee[33];                 /**< outbound: who was called  */
	char agent_id[37];               /**< outbound: who dialled     */
	struct recording *rec;           /**< (ref) while recorded      */
	char rec_number_mode[12];        /**< the number's policy, or "" */
	struct screenpop *pop;           /**< (ref) screen pop under way */
	struct json_t *customer;         /**< (own) screen pop result   */
};

/* call.c */
int  call_alloc(struct call **callp, struct app *app,
		const struct tel_number *num, const struct tel_trunk *trunk,
		const char *caller, const char *sip_call_id);
int  call_alloc_out(struct call **callp, struct app *app,
		    const struct tel_number *num,
		    const struct tel_trunk *trunk, const char *callee,
		    const char *agent_id);
void call_end(struct call *call, const char *side, const char *cause);
void call_set_disposition(struct call *call, const char *disposition);
void call_emit(struct call *call, const char *type, struct json_t *data);
struct call *call_find(const char *call_id);
struct call *call_find_live(const char *tenant_id, const char *call_id);
int  call_debug(struct re_printf *pf, const struct call *call);
uint64_t call_now_ms(void);

/* call_cdr.c */
void call_cdr_start(struct call *call);
void call_cdr_answered(struct call *call);
void call_cdr_flow(struct call *call, const char *flow_id, int version);
void call_cdr_ivr_node(struct call *call, const char *node_id);
void call_cdr_end(struct call *call, const char *side, const char *cause);
void call_cdr_event(struct call *call, unsigned seq, const char *type,
		    const char *json, struct event *ev);
struct call_queue;
void call_cdr_queued(struct call *call, const struct call_queue *cq);
void call_cdr_queue_result(struct call *call, const char *result,
			   const struct call_queue *cq);
void call_cdr_survey(struct call *call, int score);
void call_cdr_agent(struct call *call, const char *agent_id);
void call_cdr_close_stale(struct app *app);
void call_cdr_close(void);

/* call_inbound.c */
int  call_sip_init(struct app *app);
void call_sip_shutdown(void);
void call_sip_close(void);

/* call_inbound.c */
void call_answer(struct call *call);
int  call_leg_alloc(struct call *call, struct leg **legp,
		    leg_dtmf_h *dtmfh, leg_event_h *evh);
int  call_leg_alloc_for(struct call *call, struct leg **legp,
			leg_dtmf_h *dtmfh, leg_event_h *evh, void *arg);
struct sipedge *call_sip_edge(void);
struct webrtc;
int  call_webrtc_alloc(const struct app *app, struct webrtc **wp,
		       const char *offer, char **answerp,
		       webrtc_event_h *eh, void *arg);
struct app *call_app(void);
const char *call_media_ip(void);

/* call_transfer.c */
struct call_xfer;
int  call_transfer(struct call *call, const char *number);
int  call_dial_uri(char *out, size_t sz, const char *outbound,
		   const char *number);
struct sipcall_handlers;
int  call_dial_trunk(struct call *call, const struct tel_trunk *trunk,
		     const char *number, leg_event_h *evh,
		     const struct sipcall_handlers *h, struct leg **legp,
		     struct sipcall **scp);

/* call_ivr.c */
struct call_ivr;
typedef void (call_play_h)(int err, void *arg);
void call_ivr_prepare(struct call *call, const struct tel_number *num);
int  call_ivr_start(struct call *call);
void call_ivr_dtmf(struct call *call, char digit);
void call_ivr_vm_done(struct call *call, int err);
void call_ivr_resume(struct call *call, int err);
int  call_play(struct call *call, const char *const *refv, size_t refc,
	       const char *lang, call_play_h *doneh, void *arg);
void call_play_stop(struct call *call);
int  call_ivr_voicemail(struct call *call, const char *box);
int  call_ivr_jump(struct call *call, const char *node_id);
const char *call_ivr_var(const struct call *call, const char *name);
struct json_t *call_ivr_vars(const struct call *call);

/* call_queue.c */
int  call_queue_join(struct call *call, const char *name);
bool call_queue_digit(struct call *call, char digit);
void call_queue_end(struct call *call);
bool call_queue_keeps(struct call *call);
void call_queue_host_init(void);
int  call_queue_take_over(struct call *call);

/* call_queue_xfer.c */
int  call_queue_hold(struct call *call, bool on);
int  call_queue_transfer_queue(struct call *call, const char *queue);
int  call_queue_transfer_number(struct call *call, const char *number);
int  call_queue_transfer_agent(struct call *call, const char *agent_id);
bool call_queue_xfer_failed(struct call *call);
const char *call_queue_agent_of(const struct call *call);
int  call_queue_consult_done(struct call *call, const char *number);
void call_queue_consult_adopt(struct call *call, struct call_agent *ca);
bool call_queue_talking(struct call *call);

/* call_consult.c */
struct call_consult;
struct call_consult_to;
int  call_consult(struct call *call, const char *action,
		  const struct call_consult_to *to);
void call_consult_rewire(struct call *call);
struct mport *call_consult_party(const struct call *call);
bool call_consult_queued(const struct call *call);

/* call_consult_agent.c: a colleague's leg (ca->consult) reports here */
void call_consult_leg_answered(struct call_agent *ca);
void call_consult_leg_ended(struct call_agent *ca, int miss,
			    const char *cause);
struct call_agent *call_consult_leg(const struct call *call,
				    const char *agent_id);
bool call_consult_agent_left(struct call *call);
const char *call_consult_by(const struct call *call);
void call_consult_offer_note(const struct call *call, struct json_t *msg);

/* call_dial.c */
struct mport *call_dial_agent_port(const struct call *call);

/* call_monitor.c */
void call_monitor_rewire(struct call *call);
void call_monitor_follow(struct call *call);
void call_monitor_end_all(struct call *call);

/* call_vm.c */
struct call_vm;
int  call_vm_start(struct call_vm **vmp, struct call *call,
		   const char *box);
bool call_vm_digit(struct call_vm *vm, char digit);
void call_vm_detach(struct call_vm *vm);

/* call_rec.c */
bool call_rec_begin(struct call *call);
bool call_rec_answered(struct call *call, const char *queue_mode);
struct mport;
void call_rec_notice(struct call *call, struct mport *agent);
int  call_rec_pause(struct call *call, bool paused);
void call_rec_hold(struct call *call, bool held);
void call_rec_end(struct call *call);

/* call_metrics.c */
void call_count_rejected(const char *reason);
void call_count_ended(const char *disposition);
void call_count_sip(bool request, const char *method, uint16_t scode,
		    void *arg);
void call_metrics_init(void);

#endif
