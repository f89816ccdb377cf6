-- Call recording: the policy (tenant, number, queue), the encrypted
-- files, the tenants' keys, quality review and exports.

-- The tenant's policy. A number or a queue may override the mode; NULL
-- there means "as the tenant says".
CREATE TABLE recording_settings (
	tenant_id        uuid PRIMARY KEY REFERENCES tenants (tenant_id),
	mode             text NOT NULL DEFAULT 'all'
			 CHECK (mode IN ('all', 'inbound', 'outbound', 'none')),
	start_at         text NOT NULL DEFAULT 'answer'
			 CHECK (start_at IN ('answer', 'call')),
	channels         text NOT NULL DEFAULT 'stereo'
			 CHECK (channels IN ('stereo', 'mono')),
	notice           boolean NOT NULL DEFAULT false,
	retention_days   int NOT NULL DEFAULT 180
			 CHECK (retention_days BETWEEN 1 AND 3650),
	agent_playback   boolean NOT NULL DEFAULT true,
	updated_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE numbers ADD COLUMN recording text
	CHECK (recording IN ('all', 'inbound', 'outbound', 'none'));
ALTER TABLE queues ADD COLUMN recording text
	CHECK (recording IN ('all', 'inbound', 'outbound', 'none'));

-- A tenant's data keys, each wrapped (crypto_secretbox) by the master
-- key of the configuration. The newest active key encrypts new
-- recordings; older ones stay to read older files.
CREATE TABLE recording_keys (
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	key_no       int NOT NULL CHECK (key_no >= 1),
	wrapped      bytea NOT NULL,
	master_id    text NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, key_no)
);

-- One row proves the configured master key is the one that wrapped the
-- keys above: openseat refuses to start when it does not open.
CREATE TABLE recording_master (
	master_id    text PRIMARY KEY,
	check_box    bytea NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recordings (
	recording_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
	call_id       uuid NOT NULL,
	status        text NOT NULL DEFAULT 'recording'
		      CHECK (status IN ('recording', 'ready', 'partial',
					'failed')),
	path          text NOT NULL CHECK (length(path) <= 256),
	key_no        int NOT NULL,
	channels      int NOT NULL CHECK (channels IN (1, 2)),
	bitrate       int NOT NULL,
	started_at    timestamptz NOT NULL DEFAULT now(),
	ended_at      timestamptz,
	duration_ms   int CHECK (duration_ms >= 0),
	size_bytes    bigint CHECK (size_bytes >= 0),
	pauses        jsonb NOT NULL DEFAULT '[]',
	flags         jsonb NOT NULL DEFAULT '{}',
	error         text CHECK (length(error) <= 500),
	created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recordings_tenant_started
	ON recordings (tenant_id, started_at DESC, recording_id DESC);
CREATE INDEX recordings_call ON recordings (tenant_id, call_id);
CREATE INDEX recordings_unfinished ON recordings (status)
	WHERE status = 'recording';

-- Quality review: a tenant's forms (weighted criteria) and the scores a
-- reviewer gave a recording.
CREATE TABLE qa_forms (
	form_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	criteria     jsonb NOT NULL,
	active       boolean NOT NULL DEFAULT true,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name)
);

CREATE TABLE qa_reviews (
	review_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
	recording_id  uuid NOT NULL REFERENCES recordings (recording_id)
		      ON DELETE CASCADE,
	call_id       uuid NOT NULL,
	form_id       uuid NOT NULL REFERENCES qa_forms (form_id),
	reviewer_id   uuid NOT NULL,
	agent_id      uuid,
	queue_id      uuid,
	scores        jsonb NOT NULL,
	total         numeric(5, 2) NOT NULL CHECK (total BETWEEN 0 AND 100),
	comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
	created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX qa_reviews_tenant_agent ON qa_reviews (tenant_id, agent_id);
CREATE INDEX qa_reviews_recording ON qa_reviews (tenant_id, recording_id);

-- A bulk export of a search result: a zip built on the worker pool.
CREATE TABLE recording_exports (
	export_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	created_by   uuid,
	filters      jsonb NOT NULL DEFAULT '{}',
	status       text NOT NULL DEFAULT 'queued'
		     CHECK (status IN ('queued', 'running', 'ready',
				       'failed', 'expired')),
	total        int NOT NULL DEFAULT 0,
	done         int NOT NULL DEFAULT 0,
	path         text,
	size_bytes   bigint,
	error        text,
	created_at   timestamptz NOT NULL DEFAULT now(),
	finished_at  timestamptz
);

CREATE INDEX recording_exports_tenant
	ON recording_exports (tenant_id, created_at DESC);

ALTER TABLE recording_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE recording_settings FORCE ROW LEVEL SECURITY;
ALTER TABLE recording_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE recording_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE recording_master ENABLE ROW LEVEL SECURITY;
ALTER TABLE recording_master FORCE ROW LEVEL SECURITY;
ALTER TABLE recordings ENABLE ROW LEVEL SECURITY;
ALTER TABLE recordings FORCE ROW LEVEL SECURITY;
ALTER TABLE qa_forms ENABLE ROW LEVEL SECURITY;
ALTER TABLE qa_forms FORCE ROW LEVEL SECURITY;
ALTER TABLE qa_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE qa_reviews FORCE ROW LEVEL SECURITY;
ALTER TABLE recording_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE recording_exports FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON recording_settings
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON recording_keys
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON recordings
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON qa_forms
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON qa_reviews
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON recording_exports
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON recording_settings, recording_keys,
	recording_master, recordings, qa_forms, qa_reviews, recording_exports
	TO openseat_app, openseat_operator;
