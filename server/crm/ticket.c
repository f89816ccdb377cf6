/* Tickets and announcements: start and stop their APIs and timers. */
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "crm/ticket.h"
#include "crm/ticket_int.h"


/**
 * Register the ticket types, tickets, comments and attachments APIs and
 * start the escalation loop.
 *
 * @return 0 if success, otherwise errorcode
 */
int ticket_init(struct app *app, const struct ticket_cfg *cfg)
{
	int err;

	err = ticket_type_api_init();
	err = err ? err : ticket_api_init();
	err = err ? err : ticket_list_init();
	err = err ? err : ticket_note_api_init(cfg->attachment_max);
	err = err ? err : ticket_escalate_init(app, cfg->check_period_s);

	return err;
}


void ticket_close(void)
{
	ticket_escalate_close();
}


/**
 * Register the announcements API and start the timer that publishes
 * each at its start.
 *
 * @return 0 if success, otherwise errorcode
 */
int announce_init(struct app *app)
{
	int err;

	/* /announcements/mine before /announcements/{announcement_id}:
	 * the first route that matches wins */
	err = announce_mine_init();
	err = err ? err : announce_api_init();
	err = err ? err : announce_timer_init(app);

	return err;
}


void announce_close(void)
{
	announce_timer_close();
}
