-- Business records (业务记录, tickets) and announcements (公告).
--
-- A ticket type carries its own workflow: ordered states (one initial,
-- some final) and the transitions allowed between them. A ticket belongs
-- to a customer, maybe a call, and is assigned to a user or to a queue
-- (a queue is the group: its agents are those holding all its skills,
-- the rule the ACD routes by). Its changes, comments and attachments
-- are kept as its history.
--
-- The functions below fail with SQLSTATE OS400, OS404 or OS409 and the
-- message "field|code|English sentence"; the HTTP edge turns that into
-- the problem naming the field. They run as the caller (RLS applies), so
-- an id of another tenant is simply not found.

CREATE FUNCTION crm_fail(state text, field text, code text, msg text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = state,
		MESSAGE = field || '|' || code || '|' || msg;
END
$$;

-- The queues an agent serves: every queue whose skills the agent all
-- holds (a queue without skills takes every agent of its tenant).
CREATE FUNCTION agent_queue_ids(p_agent uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
	SELECT q.queue_id FROM queues q
	JOIN agents a ON a.agent_id = p_agent AND a.tenant_id = q.tenant_id
	WHERE NOT EXISTS (SELECT 1 FROM queue_skills qs
		WHERE qs.queue_id = q.queue_id AND NOT EXISTS (
			SELECT 1 FROM agent_skills s
			WHERE s.agent_id = p_agent AND s.skill_id = qs.skill_id))
$$;

-- The agents of a queue, by the same rule.
CREATE FUNCTION queue_member_ids(p_queue uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
	SELECT a.agent_id FROM agents a
	JOIN queues q ON q.queue_id = p_queue AND q.tenant_id = a.tenant_id
	JOIN users u ON u.user_id = a.agent_id AND u.deleted_at IS NULL
	WHERE NOT EXISTS (SELECT 1 FROM queue_skills qs
		WHERE qs.queue_id = q.queue_id AND NOT EXISTS (
			SELECT 1 FROM agent_skills s
			WHERE s.agent_id = a.agent_id AND s.skill_id = qs.skill_id))
$$;

CREATE TABLE ticket_types (
	type_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	name         text NOT NULL
		     CHECK (char_length(name) BETWEEN 1 AND 64
			    AND name = btrim(name) AND name !~ '[[:cntrl:]]'),
	-- [{key, label, initial, final}], in the order forms show them;
	-- checked by the server on every save (ticket_flow.c)
	states       jsonb NOT NULL CHECK (jsonb_typeof(states) = 'array'),
	-- [{from, to}] between keys of states
	transitions  jsonb NOT NULL
		     CHECK (jsonb_typeof(transitions) = 'array'),
	enabled      boolean NOT NULL DEFAULT true,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name),
	UNIQUE (tenant_id, type_id)
);

CREATE TABLE tickets (
	ticket_id          uuid PRIMARY KEY,
	tenant_id          uuid NOT NULL REFERENCES tenants (tenant_id),
	type_id            uuid NOT NULL,
	-- a customer with records is kept: deleting it is refused
	customer_id        uuid NOT NULL REFERENCES customers (customer_id),
	-- calls are not referenced: a call log purge must not need tickets
	call_id            uuid,
	title              text NOT NULL
			   CHECK (char_length(title) BETWEEN 1 AND 200
				  AND title !~ '[[:cntrl:]]'),
	description        text NOT NULL DEFAULT ''
			   CHECK (char_length(description) <= 10000),
	priority           text NOT NULL DEFAULT 'normal'
			   CHECK (priority IN ('low', 'normal', 'high',
					       'urgent')),
	state              text NOT NULL,
	assignee_user_id   uuid REFERENCES users (user_id),
	assignee_queue_id  uuid REFERENCES queues (queue_id)
			   ON DELETE SET NULL,
	due_at             timestamptz,
	-- set once by the escalation loop; a new due time clears it
	escalated_at       timestamptz,
	created_by         uuid,
	created_by_name    text NOT NULL DEFAULT '',
	created_at         timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now(),
	CHECK (assignee_user_id IS NULL OR assignee_queue_id IS NULL),
	FOREIGN KEY (tenant_id, type_id)
		REFERENCES ticket_types (tenant_id, type_id)
);

CREATE INDEX tickets_tenant_created
	ON tickets (tenant_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_type_state ON tickets (type_id, state);
CREATE INDEX tickets_customer ON tickets (tenant_id, customer_id);
CREATE INDEX tickets_call ON tickets (tenant_id, call_id)
	WHERE call_id IS NOT NULL;
CREATE INDEX tickets_assignee_user ON tickets (tenant_id, assignee_user_id)
	WHERE assignee_user_id IS NOT NULL;
CREATE INDEX tickets_assignee_queue
	ON tickets (tenant_id, assignee_queue_id)
	WHERE assignee_queue_id IS NOT NULL;
-- what the escalation loop scans: due and not escalated yet
CREATE INDEX tickets_due ON tickets (due_at)
	WHERE escalated_at IS NULL AND due_at IS NOT NULL;
CREATE INDEX tickets_search ON tickets
	USING gin ((title || ' ' || description) gin_trgm_ops);

CREATE TABLE ticket_comments (
	comment_id   uuid PRIMARY KEY,
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	ticket_id    uuid NOT NULL REFERENCES tickets (ticket_id)
		     ON DELETE CASCADE,
	author_id    uuid,
	author_name  text NOT NULL DEFAULT '',
	body         text NOT NULL
		     CHECK (char_length(body) BETWEEN 1 AND 4000),
	created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_comments_ticket
	ON ticket_comments (ticket_id, created_at);

-- Attachments live in the database: the same tenant isolation (RLS),
-- transaction (the history row with it) and backup as the ticket, and
-- nothing to clean up on disk; the size limit (config
-- ticket_attachment_max) keeps rows small enough for that.
CREATE TABLE ticket_attachments (
	attachment_id    uuid PRIMARY KEY,
	tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id),
	ticket_id        uuid NOT NULL REFERENCES tickets (ticket_id)
			 ON DELETE CASCADE,
	filename         text NOT NULL
			 CHECK (char_length(filename) BETWEEN 1 AND 200
				AND filename !~ '[[:cntrl:]/\\"]'),
	content_type     text NOT NULL
			 CHECK (content_type ~ '^[A-Za-z0-9!#$&^_.+-]+/'
					       '[A-Za-z0-9!#$&^_.+-]+$'),
	size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
	sha256           text NOT NULL,
	data             bytea NOT NULL,
	created_by       uuid,
	created_by_name  text NOT NULL DEFAULT '',
	created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_attachments_ticket
	ON ticket_attachments (ticket_id, created_at);

-- Every change of a ticket as its users read it: who, when, what moved
-- ({"state": {"from": "new", "to": "doing"}, ...}).
CREATE TABLE ticket_history (
	history_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	ticket_id    uuid NOT NULL REFERENCES tickets (ticket_id)
		     ON DELETE CASCADE,
	actor_kind   text NOT NULL DEFAULT 'user'
		     CHECK (actor_kind IN ('user', 'api_key', 'system')),
	actor_id     uuid,
	actor_name   text NOT NULL DEFAULT '',
	action       text NOT NULL
		     CHECK (action IN ('created', 'updated', 'commented',
				       'attached', 'escalated')),
	changes      jsonb NOT NULL DEFAULT '{}',
	at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, at);

CREATE TABLE announcements (
	announcement_id  uuid PRIMARY KEY,
	tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id),
	title            text NOT NULL
			 CHECK (char_length(title) BETWEEN 1 AND 100
				AND title !~ '[[:cntrl:]]'),
	body             text NOT NULL
			 CHECK (char_length(body) BETWEEN 1 AND 4000),
	audience_all     boolean NOT NULL,
	queue_ids        uuid[] NOT NULL DEFAULT '{}',
	starts_at        timestamptz NOT NULL DEFAULT now(),
	ends_at          timestamptz,
	-- set when announcement.published went out (at starts_at)
	published_at     timestamptz,
	withdrawn_at     timestamptz,
	created_by       uuid,
	created_by_name  text NOT NULL DEFAULT '',
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CHECK (audience_all OR cardinality(queue_ids) BETWEEN 1 AND 50),
	CHECK (ends_at IS NULL OR ends_at > starts_at)
);

CREATE INDEX announcements_tenant_created
	ON announcements (tenant_id, created_at DESC, announcement_id DESC);
CREATE INDEX announcements_due ON announcements (starts_at)
	WHERE published_at IS NULL AND withdrawn_at IS NULL;

CREATE TABLE announcement_reads (
	tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id),
	announcement_id  uuid NOT NULL
			 REFERENCES announcements (announcement_id)
			 ON DELETE CASCADE,
	user_id          uuid NOT NULL REFERENCES users (user_id),
	read_at          timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (announcement_id, user_id)
);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['ticket_types', 'tickets', 'ticket_comments',
		'ticket_attachments', 'ticket_history', 'announcements',
		'announcement_reads'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I'
			' USING (tenant_id = NULLIF(current_setting('
			'''openseat.tenant_id'', true), '''')::uuid)'
			' WITH CHECK (tenant_id = NULLIF(current_setting('
			'''openseat.tenant_id'', true), '''')::uuid)', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I'
			' TO openseat_app, openseat_operator', t);
	END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION crm_fail(text, text, text, text),
	agent_queue_ids(uuid), queue_member_ids(uuid)
	TO openseat_app, openseat_operator;

-- A state of a type's workflow as {key, label, initial, final}, or NULL.
CREATE FUNCTION ticket_state(p_states jsonb, p_key text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT s FROM jsonb_array_elements(p_states) s
	WHERE s->>'key' = p_key LIMIT 1
$$;

-- Whether a user may see and work a ticket: supervisors and admins all
-- of their tenant's; an agent those assigned to them or to one of their
-- queues, and those they created.
CREATE FUNCTION ticket_visible(t tickets, p_actor uuid, p_agent boolean)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT NOT p_agent OR COALESCE(t.assignee_user_id = p_actor
		OR t.created_by = p_actor
		OR t.assignee_queue_id IN (SELECT agent_queue_ids(p_actor)),
		false)
$$;

-- Who receives a ticket's events over the WebSocket besides supervisors
-- and admins (an event's "recipients"): its assignee (the queue's
-- agents) and its creator.
CREATE FUNCTION ticket_audience(t tickets) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('users', COALESCE(jsonb_agg(DISTINCT u),
						    '[]'))
	FROM (SELECT t.assignee_user_id UNION SELECT t.created_by
	      UNION SELECT queue_member_ids(t.assignee_queue_id)) AS x (u)
	WHERE u IS NOT NULL
$$;

CREATE FUNCTION ticket_json(t tickets) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('ticket_id', t.ticket_id,
		'type_id', t.type_id, 'type_name', ty.name,
		'customer_id', t.customer_id,
		'customer_name', (SELECT c.name FROM customers c
				  WHERE c.customer_id = t.customer_id),
		'call_id', t.call_id, 'title', t.title,
		'description', t.description, 'priority', t.priority,
		'state', t.state, 'state_label', st->>'label',
		'final', COALESCE((st->>'final')::boolean, false),
		'assignee_user_id', t.assignee_user_id,
		'assignee_user_name', (SELECT COALESCE(NULLIF(u.display_name,
			''), u.username) FROM users u
			WHERE u.user_id = t.assignee_user_id),
		'assignee_queue_id', t.assignee_queue_id,
		'assignee_queue_name', (SELECT COALESCE(NULLIF(q.label, ''),
			q.name) FROM queues q
			WHERE q.queue_id = t.assignee_queue_id),
		'due_at', t.due_at,
		'overdue', t.due_at < now()
			AND NOT COALESCE((st->>'final')::boolean, false),
		'escalated_at', t.escalated_at,
		'created_by', t.created_by,
		'created_by_name', t.created_by_name,
		'created_at', t.created_at, 'updated_at', t.updated_at)
	FROM ticket_types ty,
	     LATERAL ticket_state(ty.states, t.state) AS st
	WHERE ty.type_id = t.type_id
$$;

-- A ticket with its comments, attachments (without their bytes) and
-- history, newest last.
CREATE FUNCTION ticket_detail_json(t tickets) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT ticket_json(t) || jsonb_build_object(
		'comments', COALESCE((SELECT jsonb_agg(jsonb_build_object(
			'comment_id', c.comment_id, 'author_id', c.author_id,
			'author_name', c.author_name, 'body', c.body,
			'created_at', c.created_at) ORDER BY c.created_at,
			c.comment_id) FROM ticket_comments c
			WHERE c.ticket_id = t.ticket_id), '[]'),
		'attachments', COALESCE((SELECT jsonb_agg(jsonb_build_object(
			'attachment_id', a.attachment_id,
			'filename', a.filename,
			'content_type', a.content_type,
			'size_bytes', a.size_bytes, 'sha256', a.sha256,
			'created_by_name', a.created_by_name,
			'created_at', a.created_at) ORDER BY a.created_at,
			a.attachment_id) FROM ticket_attachments a
			WHERE a.ticket_id = t.ticket_id), '[]'),
		'history', COALESCE((SELECT jsonb_agg(jsonb_build_object(
			'action', h.action, 'actor_kind', h.actor_kind,
			'actor_id', h.actor_id, 'actor_name', h.actor_name,
			'changes', h.changes, 'at', h.at)
			ORDER BY h.history_id) FROM ticket_history h
			WHERE h.ticket_id = t.ticket_id), '[]'))
$$;

-- An event of a change, written with it: its webhook deliveries go into
-- the outbox in the change's transaction (webhook_enqueue, migration
-- 0019) and the server publishes it to the consoles after the commit
-- with the same id and time. The webhook payload leaves out the
-- recipients (which consoles hear of it).
CREATE FUNCTION crm_emit(p_tenant uuid, p_type text, p_data jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_id uuid := gen_random_uuid();
	v_ts text := to_char(clock_timestamp() AT TIME ZONE 'UTC',
			     'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
BEGIN
	PERFORM webhook_enqueue(p_tenant, v_id, p_type, jsonb_build_object(
		'type', p_type, 'id', v_id, 'ts', v_ts, 'tenant', p_tenant,
		'data', p_data - 'recipients')::text);
	RETURN jsonb_build_object('type', p_type, 'id', v_id, 'ts', v_ts,
				  'data', p_data);
END
$$;

-- A ticket's event: the ticket, its recipients and what changed.
CREATE FUNCTION ticket_event(t tickets, p_type text, p_changes jsonb)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT crm_emit(t.tenant_id, p_type, ticket_json(t) ||
		jsonb_build_object('recipients', ticket_audience(t)) ||
		CASE WHEN p_changes IS NULL THEN '{}'::jsonb
		ELSE jsonb_build_object('changes', p_changes) END)
$$;

-- A time field of a body, NULL when null: ISO 8601 only (PostgreSQL
-- would also take 'tomorrow' or 'epoch').
CREATE FUNCTION crm_time(p jsonb, p_field text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p->>p_field !~ ('^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}'
			   '(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$') THEN
		RAISE invalid_datetime_format;
	END IF;
	RETURN (p->>p_field)::timestamptz;
EXCEPTION WHEN others THEN
	PERFORM crm_fail('OS400', p_field, 'format',
		'must be a date and time such as 2026-12-31T18:00:00+08:00');
	RETURN NULL;
END
$$;

-- The references of a new or changed ticket, each in the caller's
-- tenant (RLS): another tenant's id is not found.
CREATE FUNCTION ticket_refs_check(p jsonb) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p->>'customer_id' IS NOT NULL AND NOT EXISTS (SELECT 1
	   FROM customers WHERE customer_id = (p->>'customer_id')::uuid) THEN
		PERFORM crm_fail('OS404', 'customer_id', 'not_found',
			'no customer with this id in your tenant');
	END IF;
	IF p->>'call_id' IS NOT NULL AND NOT EXISTS (SELECT 1
	   FROM calls WHERE call_id = (p->>'call_id')::uuid) THEN
		PERFORM crm_fail('OS404', 'call_id', 'not_found',
			'no call with this id in your tenant');
	END IF;
	IF p->>'assignee_user_id' IS NOT NULL AND NOT EXISTS (SELECT 1
	   FROM users WHERE user_id = (p->>'assignee_user_id')::uuid
	   AND deleted_at IS NULL) THEN
		PERFORM crm_fail('OS404', 'assignee_user_id', 'not_found',
			'no user with this id in your tenant');
	END IF;
	IF p->>'assignee_queue_id' IS NOT NULL AND NOT EXISTS (SELECT 1
	   FROM queues WHERE queue_id = (p->>'assignee_queue_id')::uuid) THEN
		PERFORM crm_fail('OS404', 'assignee_queue_id', 'not_found',
			'no queue with this id in your tenant');
	END IF;
	IF p->>'assignee_user_id' IS NOT NULL
	   AND p->>'assignee_queue_id' IS NOT NULL THEN
		PERFORM crm_fail('OS400', 'assignee_queue_id', 'conflict',
			'assign to a user or to a queue, not both');
	END IF;
END
$$;

-- Returns its events: ticket.created, and ticket.assigned when assigned.
CREATE FUNCTION ticket_create(p_id uuid, p jsonb, p_actor uuid,
			      p_actor_kind text, p_actor_name text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	ty ticket_types;
	t tickets;
	v_state text;
	v_events jsonb;
BEGIN
	SELECT * INTO ty FROM ticket_types
	WHERE type_id = (p->>'type_id')::uuid AND enabled;
	IF NOT FOUND THEN
		PERFORM crm_fail('OS404', 'type_id', 'not_found',
			'no enabled ticket type with this id in your tenant');
	END IF;
	PERFORM ticket_refs_check(p);
	SELECT s->>'key' INTO v_state FROM jsonb_array_elements(ty.states) s
	WHERE (s->>'initial')::boolean;

	INSERT INTO tickets (ticket_id, tenant_id, type_id, customer_id,
		call_id, title, description, priority, state,
		assignee_user_id, assignee_queue_id, due_at, created_by,
		created_by_name)
	VALUES (p_id, ty.tenant_id, ty.type_id, (p->>'customer_id')::uuid,
		(p->>'call_id')::uuid, btrim(p->>'title'),
		COALESCE(p->>'description', ''),
		COALESCE(p->>'priority', 'normal'), v_state,
		(p->>'assignee_user_id')::uuid,
		(p->>'assignee_queue_id')::uuid, crm_time(p, 'due_at'),
		p_actor, p_actor_name);
	INSERT INTO ticket_history (tenant_id, ticket_id, actor_kind,
		actor_id, actor_name, action, changes)
	VALUES (ty.tenant_id, p_id, p_actor_kind, p_actor, p_actor_name,
		'created', jsonb_build_object('state',
			jsonb_build_object('to', v_state)));
	SELECT * INTO t FROM tickets WHERE ticket_id = p_id;
	v_events := jsonb_build_array(ticket_event(t, 'ticket.created', NULL));
	IF t.assignee_user_id IS NOT NULL OR t.assignee_queue_id IS NOT NULL
	THEN
		v_events := v_events || ticket_event(t, 'ticket.assigned', NULL);
	END IF;
	RETURN v_events;
END
$$;

-- The ticket an actor may work, locked; 404 otherwise.
CREATE FUNCTION ticket_lock(p_id uuid, p_actor uuid, p_agent boolean)
RETURNS tickets LANGUAGE plpgsql AS $$
DECLARE
	t tickets;
BEGIN
	SELECT * INTO t FROM tickets WHERE ticket_id = p_id FOR UPDATE;
	IF NOT FOUND OR NOT ticket_visible(t, p_actor, p_agent) THEN
		PERFORM crm_fail('OS404', 'ticket_id', 'not_found',
			'no ticket with this id that you may see');
	END IF;
	RETURN t;
END
$$;

-- A state change must follow one of the type's transitions; the 409
-- names both states and those allowed from the current one.
CREATE FUNCTION ticket_transition_check(ty ticket_types, p_from text,
					p_to text)
RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_allowed text;
	v_from jsonb := ticket_state(ty.states, p_from);
	v_to jsonb := ticket_state(ty.states, p_to);
BEGIN
	IF v_to IS NULL THEN
		PERFORM crm_fail('OS400', 'state', 'enum', format(
			'type %s has no state "%s"', ty.name, p_to));
	END IF;
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(ty.transitions) x
		   WHERE x->>'from' = p_from AND x->>'to' = p_to) THEN
		RETURN;
	END IF;
	SELECT string_agg(format('%s (%s)', s->>'label', s->>'key'), ', '
			  ORDER BY o)
	INTO v_allowed
	FROM jsonb_array_elements(ty.transitions) x,
	     jsonb_array_elements(ty.states) WITH ORDINALITY AS e (s, o)
	WHERE x->>'from' = p_from AND s->>'key' = x->>'to';
	PERFORM crm_fail('OS409', 'state', 'transition_not_allowed', format(
		'cannot go from %s (%s) to %s (%s); allowed from %s: %s',
		v_from->>'label', p_from, v_to->>'label', p_to,
		v_from->>'label', COALESCE(v_allowed, 'none')));
END
$$;

-- Apply a validated body to a ticket; returns what changed as
-- {"changes": {"field": {"from": ..., "to": ...}}, "events": [...]}:
-- ticket.updated, and ticket.assigned when the assignee changed; none
-- when nothing did.
CREATE FUNCTION ticket_update(p_id uuid, p jsonb, p_actor uuid,
			      p_actor_kind text, p_actor_name text,
			      p_agent boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	t tickets := ticket_lock(p_id, p_actor, p_agent);
	n tickets;
	ty ticket_types;
	v_changes jsonb;
	v_events jsonb;
BEGIN
	n := t;
	PERFORM ticket_refs_check(p);
	IF p ? 'title' THEN n.title := btrim(p->>'title'); END IF;
	IF p ? 'description' THEN n.description := p->>'description'; END IF;
	IF p ? 'priority' THEN n.priority := p->>'priority'; END IF;
	IF p ? 'due_at' THEN n.due_at := crm_time(p, 'due_at'); END IF;
	IF p ? 'assignee_user_id' THEN
		n.assignee_user_id := (p->>'assignee_user_id')::uuid;
		IF n.assignee_user_id IS NOT NULL THEN
			n.assignee_queue_id := NULL;
		END IF;
	END IF;
	IF p ? 'assignee_queue_id' THEN
		n.assignee_queue_id := (p->>'assignee_queue_id')::uuid;
		IF n.assignee_queue_id IS NOT NULL THEN
			n.assignee_user_id := NULL;
		END IF;
	END IF;
	IF p ? 'state' AND p->>'state' <> t.state THEN
		SELECT * INTO ty FROM ticket_types WHERE type_id = t.type_id;
		PERFORM ticket_transition_check(ty, t.state, p->>'state');
		n.state := p->>'state';
	END IF;

	SELECT COALESCE(jsonb_object_agg(o.key, jsonb_build_object(
		'from', o.value, 'to', w.value)), '{}')
	INTO v_changes
	FROM jsonb_each(to_jsonb(t)) o JOIN jsonb_each(to_jsonb(n)) w
	     USING (key)
	WHERE o.value IS DISTINCT FROM w.value;
	IF v_changes = '{}' THEN
		RETURN jsonb_build_object('changes', v_changes, 'events', '[]');
	END IF;

	-- a new due time is escalated again once it passes
	IF v_changes ? 'due_at' THEN
		n.escalated_at := NULL;
	END IF;
	UPDATE tickets SET title = n.title, description = n.description,
		priority = n.priority, due_at = n.due_at,
		escalated_at = n.escalated_at,
		assignee_user_id = n.assignee_user_id,
		assignee_queue_id = n.assignee_queue_id, state = n.state,
		updated_at = now()
	WHERE ticket_id = p_id;
	INSERT INTO ticket_history (tenant_id, ticket_id, actor_kind,
		actor_id, actor_name, action, changes)
	VALUES (t.tenant_id, p_id, p_actor_kind, p_actor, p_actor_name,
		'updated', v_changes);
	SELECT * INTO n FROM tickets WHERE ticket_id = p_id;
	v_events := jsonb_build_array(ticket_event(n, 'ticket.updated',
						   v_changes));
	IF v_changes ?| ARRAY['assignee_user_id', 'assignee_queue_id'] THEN
		v_events := v_events || ticket_event(n, 'ticket.assigned',
						     v_changes);
	END IF;
	RETURN jsonb_build_object('changes', v_changes, 'events', v_events);
END
$$;

-- Returns its event, ticket.commented.
CREATE FUNCTION ticket_comment(p_id uuid, p_comment_id uuid, p_body text,
			       p_actor uuid, p_actor_kind text,
			       p_actor_name text, p_agent boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	t tickets := ticket_lock(p_id, p_actor, p_agent);
BEGIN
	INSERT INTO ticket_comments (comment_id, tenant_id, ticket_id,
		author_id, author_name, body)
	VALUES (p_comment_id, t.tenant_id, p_id, p_actor, p_actor_name,
		p_body);
	UPDATE tickets SET updated_at = now() WHERE ticket_id = p_id;
	INSERT INTO ticket_history (tenant_id, ticket_id, actor_kind,
		actor_id, actor_name, action, changes)
	VALUES (t.tenant_id, p_id, p_actor_kind, p_actor, p_actor_name,
		'commented', jsonb_build_object('comment_id', p_comment_id));
	SELECT * INTO t FROM tickets WHERE ticket_id = p_id;
	RETURN jsonb_build_array(ticket_event(t, 'ticket.commented',
		jsonb_build_object('comment', jsonb_build_object('to',
			p_body))));
END
$$;

-- Returns its event, ticket.updated (changes: the attachment's name).
CREATE FUNCTION ticket_attach(p_id uuid, p_att_id uuid, p_filename text,
			      p_ctype text, p_data bytea, p_actor uuid,
			      p_actor_kind text, p_actor_name text,
			      p_agent boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	t tickets := ticket_lock(p_id, p_actor, p_agent);
BEGIN
	INSERT INTO ticket_attachments (attachment_id, tenant_id, ticket_id,
		filename, content_type, size_bytes, sha256, data, created_by,
		created_by_name)
	VALUES (p_att_id, t.tenant_id, p_id, p_filename, p_ctype,
		length(p_data), encode(sha256(p_data), 'hex'), p_data,
		p_actor, p_actor_name);
	UPDATE tickets SET updated_at = now() WHERE ticket_id = p_id;
	INSERT INTO ticket_history (tenant_id, ticket_id, actor_kind,
		actor_id, actor_name, action, changes)
	VALUES (t.tenant_id, p_id, p_actor_kind, p_actor, p_actor_name,
		'attached', jsonb_build_object('attachment_id', p_att_id,
			'filename', p_filename));
	SELECT * INTO t FROM tickets WHERE ticket_id = p_id;
	RETURN jsonb_build_array(ticket_event(t, 'ticket.updated',
		jsonb_build_object('attachment', jsonb_build_object('to',
			p_filename))));
END
$$;

-- A workflow edit must keep every state that tickets are in.
CREATE FUNCTION ticket_type_states_check(p_type uuid, p_states jsonb)
RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_state text;
	v_n bigint;
BEGIN
	SELECT t.state, count(*) INTO v_state, v_n FROM tickets t
	WHERE t.type_id = p_type
	  AND ticket_state(p_states, t.state) IS NULL
	GROUP BY t.state ORDER BY t.state LIMIT 1;
	IF v_state IS NOT NULL THEN
		PERFORM crm_fail('OS409', 'states', 'state_in_use', format(
			'state "%s" is the state of %s ticket(s); move them '
			'to another state before removing it', v_state, v_n));
	END IF;
END
$$;

-- The escalation loop's one statement, across tenants (run by the
-- operator role): tickets past their due time in a state that is not
-- final are marked escalated once, a step up in priority, with a
-- history row; returns each as (tenant_id, its ticket.escalated event).
CREATE FUNCTION ticket_escalate_due(p_max int)
RETURNS TABLE (tenant_id uuid, event jsonb) LANGUAGE plpgsql AS $$
DECLARE
	t tickets;
	v_prio text;
	v_from text;
BEGIN
	FOR t IN SELECT k.* FROM tickets k JOIN ticket_types ty
		 ON ty.type_id = k.type_id
		 WHERE k.escalated_at IS NULL AND k.due_at <= now()
		   AND NOT COALESCE((ticket_state(ty.states, k.state)
				     ->>'final')::boolean, false)
		 ORDER BY k.due_at LIMIT p_max
		 FOR UPDATE OF k SKIP LOCKED LOOP
		v_from := t.priority;
		v_prio := CASE t.priority WHEN 'low' THEN 'normal'
			WHEN 'normal' THEN 'high' ELSE 'urgent' END;
		UPDATE tickets k SET escalated_at = now(), priority = v_prio
		WHERE k.ticket_id = t.ticket_id RETURNING * INTO t;
		INSERT INTO ticket_history (tenant_id, ticket_id, actor_kind,
			actor_name, action, changes)
		VALUES (t.tenant_id, t.ticket_id, 'system', 'system',
			'escalated', jsonb_build_object('priority',
				jsonb_build_object('to', v_prio)));
		INSERT INTO audit_log (tenant_id, actor_kind, actor_name,
			action, target_type, target_id, detail)
		VALUES (t.tenant_id, 'system', 'escalation',
			'ticket.escalate', 'ticket', t.ticket_id::text,
			jsonb_build_object('due_at', t.due_at,
					   'priority', v_prio));
		tenant_id := t.tenant_id;
		event := ticket_event(t, 'ticket.escalated', jsonb_build_object(
			'priority', jsonb_build_object('from', v_from,
						       'to', v_prio)));
		RETURN NEXT;
	END LOOP;
END
$$;

-- Who an announcement addresses: {"all": true} or the agents of its
-- queues as {"users": [...]} (an event's "recipients", which the
-- WebSocket filter reads).
CREATE FUNCTION announcement_audience(a announcements) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN a.audience_all
		THEN jsonb_build_object('all', true)
		ELSE jsonb_build_object('users', COALESCE((SELECT
			jsonb_agg(DISTINCT m) FROM unnest(a.queue_ids) q,
			LATERAL queue_member_ids(q) m), '[]')) END
$$;

-- Whether an announcement addresses a user (an agent through its
-- queues; supervisors and admins read every one).
CREATE FUNCTION announcement_for(a announcements, p_user uuid,
				 p_agent boolean)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT NOT p_agent OR a.audience_all
		OR a.queue_ids && ARRAY(SELECT agent_queue_ids(p_user))
$$;

CREATE FUNCTION announcement_json(a announcements) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('announcement_id', a.announcement_id,
		'title', a.title, 'body', a.body,
		'audience', CASE WHEN a.audience_all THEN 'all'
			ELSE 'queues' END,
		'queue_ids', to_jsonb(a.queue_ids),
		'queue_names', COALESCE((SELECT jsonb_agg(COALESCE(NULLIF(
			q.label, ''), q.name) ORDER BY q.name) FROM queues q
			WHERE q.queue_id = ANY (a.queue_ids)), '[]'),
		'starts_at', a.starts_at, 'ends_at', a.ends_at,
		'published_at', a.published_at,
		'withdrawn_at', a.withdrawn_at,
		'status', CASE WHEN a.withdrawn_at IS NOT NULL THEN 'withdrawn'
			WHEN a.ends_at <= now() THEN 'ended'
			WHEN a.starts_at > now() THEN 'scheduled'
			ELSE 'active' END,
		'read_count', (SELECT count(*) FROM announcement_reads r
			WHERE r.announcement_id = a.announcement_id),
		'created_by', a.created_by,
		'created_by_name', a.created_by_name,
		'created_at', a.created_at, 'updated_at', a.updated_at)
$$;

-- The queue ids of a body's audience ("all", or "queues" and
-- queue_ids), each of the caller's tenant.
CREATE FUNCTION announcement_queues(p jsonb) RETURNS uuid[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_ids uuid[];
	v_bad text;
BEGIN
	IF p->>'audience' = 'all' THEN
		IF jsonb_array_length(COALESCE(p->'queue_ids', '[]')) > 0 THEN
			PERFORM crm_fail('OS400', 'queue_ids', 'conflict',
				'an announcement to all has no queue_ids');
		END IF;
		RETURN '{}';
	END IF;
	SELECT array_agg(DISTINCT x::uuid) INTO v_ids
	FROM jsonb_array_elements_text(COALESCE(p->'queue_ids', '[]')) x;
	IF v_ids IS NULL THEN
		PERFORM crm_fail('OS400', 'queue_ids', 'required',
			'name at least one queue, or address all');
	END IF;
	SELECT x::text INTO v_bad FROM unnest(v_ids) x
	WHERE NOT EXISTS (SELECT 1 FROM queues q WHERE q.queue_id = x)
	LIMIT 1;
	IF v_bad IS NOT NULL THEN
		PERFORM crm_fail('OS404', 'queue_ids', 'not_found',
			'no queue ' || v_bad || ' in your tenant');
	END IF;
	RETURN v_ids;
END
$$;

-- Never published here: the start timer is the one place that sets
-- published_at and sends announcement.published (the server runs it
-- right after each commit), so an announcement goes out exactly once.
CREATE FUNCTION announcement_create(p_id uuid, p jsonb, p_actor uuid,
				    p_actor_name text)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	v_queues uuid[] := announcement_queues(p);
	v_start timestamptz := COALESCE(crm_time(p, 'starts_at'), now());
	v_end timestamptz := crm_time(p, 'ends_at');
BEGIN
	IF v_end IS NOT NULL AND v_end <= v_start THEN
		PERFORM crm_fail('OS400', 'ends_at', 'range',
			'must be after starts_at');
	END IF;
	INSERT INTO announcements (announcement_id, tenant_id, title, body,
		audience_all, queue_ids, starts_at, ends_at, created_by,
		created_by_name)
	VALUES (p_id, NULLIF(current_setting('openseat.tenant_id', true),
			     '')::uuid,
		btrim(p->>'title'), p->>'body', p->>'audience' = 'all',
		v_queues, v_start, v_end, p_actor, p_actor_name);
	RETURN p_id;
END
$$;

-- Edits are for announcements not yet published (nobody has read them).
CREATE FUNCTION announcement_update(p_id uuid, p jsonb)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	a announcements;
BEGIN
	SELECT * INTO a FROM announcements WHERE announcement_id = p_id
	FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM crm_fail('OS404', 'announcement_id', 'not_found',
			'no announcement with this id in your tenant');
	END IF;
	IF a.published_at IS NOT NULL OR a.withdrawn_at IS NOT NULL THEN
		PERFORM crm_fail('OS409', 'starts_at', 'already_started',
			'only an announcement that has not started may be '
			'edited; withdraw it and publish a new one');
	END IF;
	IF p ? 'title' THEN a.title := btrim(p->>'title'); END IF;
	IF p ? 'body' THEN a.body := p->>'body'; END IF;
	IF p ? 'audience' OR p ? 'queue_ids' THEN
		IF NOT p ? 'audience' THEN
			p := p || jsonb_build_object('audience', 'queues');
		END IF;
		a.queue_ids := announcement_queues(p);
		a.audience_all := p->>'audience' = 'all';
	END IF;
	IF p ? 'starts_at' THEN
		a.starts_at := COALESCE(crm_time(p, 'starts_at'), now());
	END IF;
	IF p ? 'ends_at' THEN a.ends_at := crm_time(p, 'ends_at'); END IF;
	IF a.ends_at IS NOT NULL AND a.ends_at <= a.starts_at THEN
		PERFORM crm_fail('OS400', 'ends_at', 'range',
			'must be after starts_at');
	END IF;
	UPDATE announcements SET title = a.title, body = a.body,
		audience_all = a.audience_all, queue_ids = a.queue_ids,
		starts_at = a.starts_at, ends_at = a.ends_at,
		updated_at = now()
	WHERE announcement_id = p_id;
	RETURN p_id;
END
$$;

-- The start timer's statement, across tenants: announcements whose
-- start has come are marked published (once, whichever node is first)
-- and returned as (tenant_id, its announcement.published event).
CREATE FUNCTION announcement_publish_due()
RETURNS TABLE (tenant_id uuid, event jsonb) LANGUAGE sql AS $$
	WITH due AS (
		UPDATE announcements a SET published_at = now()
		WHERE a.published_at IS NULL AND a.withdrawn_at IS NULL
		  AND a.starts_at <= now()
		  AND (a.ends_at IS NULL OR a.ends_at > now())
		RETURNING a.*)
	SELECT d.tenant_id, crm_emit(d.tenant_id, 'announcement.published',
		announcement_json(d::announcements)
		|| jsonb_build_object('recipients',
			announcement_audience(d::announcements)))
	FROM due d
$$;

-- Withdraw (once: a second time changes nothing); returns the events,
-- announcement.withdrawn the first time.
CREATE FUNCTION announcement_withdraw(p_id uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	a announcements;
BEGIN
	SELECT * INTO a FROM announcements WHERE announcement_id = p_id
	FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM crm_fail('OS404', 'announcement_id', 'not_found',
			'no announcement with this id in your tenant');
	END IF;
	IF a.withdrawn_at IS NOT NULL THEN
		RETURN '[]';
	END IF;
	UPDATE announcements SET withdrawn_at = now(), updated_at = now()
	WHERE announcement_id = p_id RETURNING * INTO a;
	RETURN jsonb_build_array(crm_emit(a.tenant_id,
		'announcement.withdrawn', announcement_json(a) ||
		jsonb_build_object('recipients', announcement_audience(a))));
END
$$;
