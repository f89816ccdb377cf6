-- ACD: skills, agents (a user with a seat) and their devices, not-ready
-- reasons, queues, VIP callers, the agent state log, SIP registrations,
-- and the queue columns of the CDR.

CREATE TABLE skills (
	skill_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	name        text NOT NULL
		    CHECK (length(name) BETWEEN 1 AND 64
			   AND name = btrim(name) AND name !~ '[[:cntrl:]]'),
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX skills_tenant_name ON skills (tenant_id, name);
CREATE UNIQUE INDEX skills_tenant_skill ON skills (tenant_id, skill_id);

-- An agent is a user with a seat; agent_id is the user's id. The device
-- rings the agent: a SIP phone registering as sip_user (unique across
-- the platform: the registrar has no tenant until it finds the agent),
-- a PSTN/mobile number rung through the tenant's trunk, or the browser
-- (console issue). sip_secret is kept as given because digest needs it;
-- the API never returns it.
CREATE TABLE agents (
	agent_id     uuid PRIMARY KEY REFERENCES users (user_id),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	work_no      text NOT NULL CHECK (work_no ~ '^[0-9]{1,8}$'),
	device       text NOT NULL DEFAULT 'sip'
		     CHECK (device IN ('sip', 'pstn', 'webrtc')),
	sip_user     text CHECK (sip_user ~ '^[A-Za-z0-9._-]{1,64}$'),
	sip_secret   text NOT NULL DEFAULT ''
		     CHECK (length(sip_secret) <= 128),
	phone        text NOT NULL DEFAULT ''
		     CHECK (phone ~ '^[0-9]{0,20}$'),
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	CHECK (device <> 'sip' OR (sip_user IS NOT NULL AND
				   length(sip_secret) >= 8)),
	CHECK (device <> 'pstn' OR phone <> '')
);

CREATE UNIQUE INDEX agents_tenant_work_no ON agents (tenant_id, work_no);
CREATE UNIQUE INDEX agents_sip_user ON agents (sip_user)
	WHERE sip_user IS NOT NULL;
CREATE UNIQUE INDEX agents_tenant_agent ON agents (tenant_id, agent_id);

-- 1 = best ... 9.
CREATE TABLE agent_skills (
	tenant_id   uuid NOT NULL,
	agent_id    uuid NOT NULL,
	skill_id    uuid NOT NULL,
	level       int NOT NULL DEFAULT 5 CHECK (level BETWEEN 1 AND 9),
	PRIMARY KEY (agent_id, skill_id),
	FOREIGN KEY (tenant_id, agent_id)
		REFERENCES agents (tenant_id, agent_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, skill_id)
		REFERENCES skills (tenant_id, skill_id) ON DELETE CASCADE
);

CREATE INDEX agent_skills_skill ON agent_skills (tenant_id, skill_id);

-- Tenant-defined not-ready reasons (休息, 会议, 培训 ...). The system's
-- own reasons (no_answer, device_offline, restart) are codes, not rows.
CREATE TABLE notready_reasons (
	reason_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	name        text NOT NULL
		    CHECK (length(name) BETWEEN 1 AND 32
			   AND name = btrim(name) AND name !~ '[[:cntrl:]]'),
	position    int NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 1000),
	enabled     boolean NOT NULL DEFAULT true,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX notready_reasons_tenant_name
	ON notready_reasons (tenant_id, name);

-- A queue is named in IVR flows by name or id, so a name may not look
-- like an id. Agents are members when they hold every required skill;
-- their level in the queue is their worst level among those skills.
-- routes: [{"schedule_id"?, "regions"?: [...], "queue_id"}], the first
-- that matches sends a joining call to another queue (one hop).
-- overflow_target: voicemail box name, queue id, or IVR node id.
CREATE TABLE queues (
	queue_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id         uuid NOT NULL REFERENCES tenants (tenant_id),
	name              text NOT NULL
			  CHECK (length(name) BETWEEN 1 AND 64
				 AND name = btrim(name)
				 AND name !~ '[[:cntrl:]]'
				 AND name !~* ('^[0-9a-f]{8}-[0-9a-f]{4}-'
					       '[0-9a-f]{4}-[0-9a-f]{4}-'
					       '[0-9a-f]{12}$')),
	label             text NOT NULL DEFAULT ''
			  CHECK (length(label) <= 100),
	strategy          text NOT NULL DEFAULT 'longest_idle'
			  CHECK (strategy IN ('longest_idle', 'round_robin',
					      'fewest_calls', 'ring_all',
					      'top_down')),
	priority          int NOT NULL DEFAULT 0
			  CHECK (priority BETWEEN 0 AND 100),
	ring_timeout_s    int NOT NULL DEFAULT 20
			  CHECK (ring_timeout_s BETWEEN 5 AND 300),
	wrapup_s          int NOT NULL DEFAULT 10
			  CHECK (wrapup_s BETWEEN 0 AND 3600),
	max_wait_s        int NOT NULL DEFAULT 0
			  CHECK (max_wait_s BETWEEN 0 AND 86400),
	max_length        int NOT NULL DEFAULT 0
			  CHECK (max_length BETWEEN 0 AND 100000),
	overflow_action   text NOT NULL DEFAULT 'hangup'
			  CHECK (overflow_action IN ('voicemail', 'queue',
						     'ivr', 'hangup')),
	overflow_target   text NOT NULL DEFAULT ''
			  CHECK (length(overflow_target) <= 64),
	overflow_prompt   text CHECK (length(overflow_prompt) <= 80),
	join_empty        text NOT NULL DEFAULT 'logged_in'
			  CHECK (join_empty IN ('always', 'logged_in',
						'ready')),
	leave_empty       boolean NOT NULL DEFAULT false,
	sl_threshold_s    int NOT NULL DEFAULT 20
			  CHECK (sl_threshold_s BETWEEN 1 AND 3600),
	hold_music        text CHECK (length(hold_music) <= 80),
	announce_every_s  int NOT NULL DEFAULT 30
			  CHECK (announce_every_s = 0 OR
				 announce_every_s BETWEEN 10 AND 600),
	announce_position boolean NOT NULL DEFAULT true,
	announce_wait     boolean NOT NULL DEFAULT true,
	announce_work_no  boolean NOT NULL DEFAULT true,
	survey            boolean NOT NULL DEFAULT false,
	sticky_days       int NOT NULL DEFAULT 0
			  CHECK (sticky_days BETWEEN 0 AND 365),
	sticky_wait_s     int NOT NULL DEFAULT 0
			  CHECK (sticky_wait_s BETWEEN 0 AND 300),
	miss_limit        int NOT NULL DEFAULT 1
			  CHECK (miss_limit BETWEEN 0 AND 10),
	routes            jsonb NOT NULL DEFAULT '[]'
			  CHECK (jsonb_typeof(routes) = 'array'
				 AND jsonb_array_length(routes) <= 32),
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX queues_tenant_name ON queues (tenant_id, name);
CREATE UNIQUE INDEX queues_tenant_queue ON queues (tenant_id, queue_id);

CREATE TABLE queue_skills (
	tenant_id   uuid NOT NULL,
	queue_id    uuid NOT NULL,
	skill_id    uuid NOT NULL,
	PRIMARY KEY (queue_id, skill_id),
	FOREIGN KEY (tenant_id, queue_id)
		REFERENCES queues (tenant_id, queue_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, skill_id)
		REFERENCES skills (tenant_id, skill_id) ON DELETE CASCADE
);

-- Callers served first: higher priority, then arrival.
CREATE TABLE vip_callers (
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	number      text NOT NULL CHECK (number ~ '^[0-9]{3,20}$'),
	priority    int NOT NULL DEFAULT 10 CHECK (priority BETWEEN 1 AND 100),
	note        text NOT NULL DEFAULT '' CHECK (length(note) <= 200),
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, number)
);

-- Every transition of an agent's state, as it happened on the loop.
-- The time spent in a state is the gap to the agent's next row.
CREATE TABLE agent_state_log (
	log_id      bigserial PRIMARY KEY,
	tenant_id   uuid NOT NULL,
	agent_id    uuid NOT NULL,
	state       text NOT NULL
		    CHECK (state IN ('logged_out', 'ready', 'not_ready',
				     'ringing', 'on_call', 'wrap_up',
				     'outbound')),
	reason      text NOT NULL DEFAULT ''
		    CHECK (length(reason) <= 64),
	call_id     uuid,
	queue_id    uuid,
	forced_by   uuid,
	at          timestamptz NOT NULL
);

CREATE INDEX agent_state_log_agent_at
	ON agent_state_log (tenant_id, agent_id, at DESC);
CREATE INDEX agent_state_log_tenant_at ON agent_state_log (tenant_id, at);

-- Where a registered SIP phone is, so a restart can still ring it. A
-- platform table like trunks: the registrar works before any tenant.
CREATE TABLE sip_registrations (
	agent_id    uuid PRIMARY KEY REFERENCES agents (agent_id)
		    ON DELETE CASCADE,
	contact     text NOT NULL CHECK (length(contact) <= 512),
	source      text NOT NULL CHECK (length(source) <= 80),
	user_agent  text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 128),
	expires_at  timestamptz NOT NULL
);

ALTER TABLE calls
	ADD COLUMN queue_id       uuid,
	ADD COLUMN queued_at      timestamptz,
	ADD COLUMN queue_result   text
		   CHECK (queue_result IN ('answered', 'abandoned',
					   'overflow', 'timeout',
					   'deleted')),
	ADD COLUMN agent_id       uuid,
	ADD COLUMN connected_at   timestamptz,
	ADD COLUMN offers         int NOT NULL DEFAULT 0,
	ADD COLUMN survey_score   int CHECK (survey_score BETWEEN 1 AND 5);

CREATE INDEX calls_tenant_agent ON calls (tenant_id, agent_id, started_at);
CREATE INDEX calls_tenant_queue ON calls (tenant_id, queue_id, started_at);

-- A tenant's own attribution data, looked up before the platform's.
CREATE TABLE tenant_number_regions (
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	prefix      text NOT NULL CHECK (prefix ~ '^[0-9]{1,16}$'),
	region      text NOT NULL CHECK (length(region) BETWEEN 1 AND 100),
	PRIMARY KEY (tenant_id, prefix)
);

ALTER TABLE number_regions ADD COLUMN carrier text NOT NULL DEFAULT ''
	CHECK (length(carrier) <= 32);

ALTER TABLE skills ENABLE ROW LEVEL SECURITY;
ALTER TABLE skills FORCE ROW LEVEL SECURITY;
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
ALTER TABLE agent_skills ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_skills FORCE ROW LEVEL SECURITY;
ALTER TABLE notready_reasons ENABLE ROW LEVEL SECURITY;
ALTER TABLE notready_reasons FORCE ROW LEVEL SECURITY;
ALTER TABLE queues ENABLE ROW LEVEL SECURITY;
ALTER TABLE queues FORCE ROW LEVEL SECURITY;
ALTER TABLE queue_skills ENABLE ROW LEVEL SECURITY;
ALTER TABLE queue_skills FORCE ROW LEVEL SECURITY;
ALTER TABLE vip_callers ENABLE ROW LEVEL SECURITY;
ALTER TABLE vip_callers FORCE ROW LEVEL SECURITY;
ALTER TABLE agent_state_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_state_log FORCE ROW LEVEL SECURITY;
ALTER TABLE sip_registrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE sip_registrations FORCE ROW LEVEL SECURITY;
ALTER TABLE tenant_number_regions ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_number_regions FORCE ROW LEVEL SECURITY;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['skills', 'agents', 'agent_skills',
				 'notready_reasons', 'queues',
				 'queue_skills', 'vip_callers',
				 'agent_state_log',
				 'tenant_number_regions'] LOOP
		EXECUTE format(
			'CREATE POLICY tenant_isolation ON %I'
			' USING (tenant_id = NULLIF(current_setting('
			'''openseat.tenant_id'', true), '''')::uuid)'
			' WITH CHECK (tenant_id = NULLIF(current_setting('
			'''openseat.tenant_id'', true), '''')::uuid)', t);
	END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON skills, agents, agent_skills,
	notready_reasons, queues, queue_skills, vip_callers, agent_state_log,
	sip_registrations, tenant_number_regions
	TO openseat_app, openseat_operator;
GRANT USAGE ON SEQUENCE agent_state_log_log_id_seq
	TO openseat_app, openseat_operator;
