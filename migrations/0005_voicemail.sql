-- Voicemail: per-tenant boxes and the messages callers leave in them.

-- greeting is a prompt reference (a tenant prompt's uuid or
-- "builtin/<name>"); NULL plays builtin/voicemail_greeting. max_seconds
-- NULL uses the server's voicemail_max_seconds. A box is named by its
-- name or its id in IVR flows, so a name may not look like an id.
CREATE TABLE voicemail_boxes (
	box_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	name         text NOT NULL
		     CHECK (length(name) BETWEEN 1 AND 64
			    AND name = btrim(name) AND name !~ '[[:cntrl:]]'
			    AND name !~* ('^[0-9a-f]{8}-[0-9a-f]{4}-'
					  '[0-9a-f]{4}-[0-9a-f]{4}-'
					  '[0-9a-f]{12}$')),
	description  text NOT NULL DEFAULT ''
		     CHECK (length(description) <= 200),
	greeting     text
		     CHECK (greeting ~ '^builtin/[a-z0-9_]{1,64}$' OR
			    greeting ~ ('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
					'[0-9a-f]{4}-[0-9a-f]{12}$')),
	max_seconds  int CHECK (max_seconds BETWEEN 5 AND 3600),
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX voicemail_boxes_tenant_name
	ON voicemail_boxes (tenant_id, name);
-- the target of the messages' (tenant_id, box_id) foreign key, so a
-- message can only ever sit in a box of its own tenant
CREATE UNIQUE INDEX voicemail_boxes_tenant_box
	ON voicemail_boxes (tenant_id, box_id);
CREATE INDEX voicemail_boxes_tenant_created
	ON voicemail_boxes (tenant_id, created_at, box_id);

-- One row per kept message; the audio is
-- <var_dir>/voicemail/<tenant_id>/<message_id>.mp3. A deleted message
-- keeps its row (deleted_at set) and loses its file. Deleting a box
-- (only when empty, or forced) takes its rows with it. call_id names the
-- CDR row but is not a foreign key: the CDR is written asynchronously and
-- may land after the message.
CREATE TABLE voicemail_messages (
	message_id   uuid PRIMARY KEY,
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	box_id       uuid NOT NULL,
	call_id      uuid,
	caller       text NOT NULL DEFAULT ''
		     CHECK (length(caller) <= 128),
	number       text NOT NULL DEFAULT ''
		     CHECK (length(number) <= 64),
	duration_ms  int NOT NULL CHECK (duration_ms >= 0),
	size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
	status       text NOT NULL DEFAULT 'unread'
		     CHECK (status IN ('unread', 'read')),
	created_at   timestamptz NOT NULL DEFAULT now(),
	read_at      timestamptz,
	deleted_at   timestamptz,
	FOREIGN KEY (tenant_id, box_id)
		REFERENCES voicemail_boxes (tenant_id, box_id)
		ON DELETE CASCADE
);

CREATE INDEX voicemail_messages_tenant_created
	ON voicemail_messages (tenant_id, created_at, message_id)
	WHERE deleted_at IS NULL;
-- not partial: the foreign key's cascade looks up deleted rows too
CREATE INDEX voicemail_messages_tenant_box
	ON voicemail_messages (tenant_id, box_id, created_at, message_id);

ALTER TABLE voicemail_boxes ENABLE ROW LEVEL SECURITY;
ALTER TABLE voicemail_boxes FORCE ROW LEVEL SECURITY;
ALTER TABLE voicemail_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE voicemail_messages FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON voicemail_boxes
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON voicemail_messages
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON voicemail_boxes, voicemail_messages
	TO openseat_app, openseat_operator;
