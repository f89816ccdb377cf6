/* Database notifications: one dedicated LISTEN connection. */
#include <string.h>
#include "db/db_int.h"
#define LOG_MODULE "db"
#include "log/log.h"


static void chan_destructor(void *arg)
{
	struct db_chan *ch = arg;

	list_unlink(&ch->le);
	mem_deref(ch->channel);
}


/* Send LISTEN for every channel, in one simple query. */
static int send_listen(struct db_conn *conn)
{
	struct mbuf *mb;
	struct le *le;
	int err = 0;

	mb = mbuf_alloc(128);
	if (!mb)
		return ENOMEM;

	LIST_FOREACH(&conn->db->chanl, le) {
		const struct db_chan *ch = le->data;
		char *id = PQescapeIdentifier(conn->pg, ch->channel,
					      strlen(ch->channel));

		if (!id) {
			err = ENOMEM;
			break;
		}
		err = mbuf_printf(mb, "LISTEN %s;", id);
		PQfreemem(id);
		if (err)
			break;
	}

	if (!err)
		err = mbuf_write_u8(mb, 0);

	if (!err && !PQsendQuery(conn->pg, (const char *)mb->buf))
		err = EAGAIN;

	if (!err && PQflush(conn->pg) < 0)
		err = EAGAIN;

	mem_deref(mb);

	return err;
}


/**
 * On an idle LISTEN connection: send LISTEN if channels were added or the
 * connection is new.
 *
 * @param conn LISTEN connection, up
 */
void db_listen_idle(struct db_conn *conn)
{
	struct db *db = conn->db;
	int err;

	if (!db->listen_dirty || PQisBusy(conn->pg))
		return;

	db->listen_dirty = false;
	err = send_listen(conn);
	if (err) {
		log_warn("LISTEN failed: %m", err);
		db_conn_drop(conn, err);
	}
}


/**
 * Deliver the notifications that arrived on a connection.
 *
 * @param conn Connection after PQconsumeInput
 */
void db_listen_notify(struct db_conn *conn)
{
	struct db *db = conn->db;
	PGnotify *n;

	while ((n = PQnotifies(conn->pg))) {
		struct le *le = list_head(&db->chanl);

		while (le) {
			struct db_chan *ch = le->data;

			le = le->next;
			if (!strcmp(ch->channel, n->relname))
				ch->h(n->relname, n->extra, ch->arg);
		}

		PQfreemem(n);
	}
}


/**
 * Subscribe to a notification channel. A dedicated connection LISTENs,
 * and LISTENs again after every reconnect.
 *
 * @param db      Database pool
 * @param channel Channel name
 * @param h       Notification handler
 * @param arg     Handler argument (not referenced)
 *
 * @return 0 if success, otherwise errorcode
 */
int db_listen(struct db *db, const char *channel, db_notify_h *h,
	      void *arg)
{
	struct db_chan *ch;
	int err;

	if (!db || !str_isset(channel) || !h)
		return EINVAL;

	if (db->draining)
		return ECANCELED;

	ch = mem_zalloc(sizeof(*ch), chan_destructor);
	if (!ch)
		return ENOMEM;

	err = str_dup(&ch->channel, channel);
	if (err)
		goto out;

	ch->h = h;
	ch->arg = arg;

	if (!db->lconn) {
		err = db_conn_alloc(&db->lconn, db, true);
		if (err)
			goto out;
	}

	list_append(&db->chanl, &ch->le, ch);
	db->listen_dirty = true;
	if (db->lconn->state == DB_CONN_IDLE)
		db_listen_idle(db->lconn);

 out:
	if (err)
		mem_deref(ch);

	return err;
}
