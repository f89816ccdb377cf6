-- Telephony: carrier trunks, numbers (DIDs), tenant call limits, the CDR
-- (calls) and each call's timeline (call_events).

ALTER TABLE tenants ADD COLUMN max_calls int NOT NULL DEFAULT 0
	CHECK (max_calls BETWEEN 0 AND 100000);

-- A trunk with no tenant is a shared carrier trunk. Platform table: RLS
-- with no policy, so only openseat_operator reaches it (like operators).
-- auth_secret is kept as given because digest needs it; the API never
-- returns it.
CREATE TABLE trunks (
	trunk_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id     uuid REFERENCES tenants (tenant_id),
	name          text NOT NULL UNIQUE
		      CHECK (length(name) BETWEEN 1 AND 100),
	allow_addrs   text[] NOT NULL DEFAULT '{}'
		      CHECK (cardinality(allow_addrs) <= 64),
	auth_user     text NOT NULL DEFAULT ''
		      CHECK (length(auth_user) <= 64),
	auth_secret   text NOT NULL DEFAULT ''
		      CHECK (length(auth_secret) <= 128),
	codecs        text NOT NULL DEFAULT 'PCMA,PCMU'
		      CHECK (length(codecs) BETWEEN 1 AND 63),
	max_calls     int NOT NULL DEFAULT 0
		      CHECK (max_calls BETWEEN 0 AND 100000),
	max_cps       int NOT NULL DEFAULT 0
		      CHECK (max_cps BETWEEN 0 AND 10000),
	outbound_uri  text NOT NULL DEFAULT ''
		      CHECK (length(outbound_uri) <= 255),
	enabled       boolean NOT NULL DEFAULT true,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	-- a trunk is recognised by its address or by its digest user
	CHECK (cardinality(allow_addrs) > 0 OR auth_user <> ''),
	CHECK (auth_user = '' OR auth_secret <> '')
);

CREATE UNIQUE INDEX trunks_auth_user ON trunks (auth_user)
	WHERE auth_user <> '';
CREATE INDEX trunks_created ON trunks (created_at, trunk_id);

-- number holds digits only, as tel_normalize() leaves them.
CREATE TABLE numbers (
	number_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	number      text NOT NULL UNIQUE CHECK (number ~ '^[0-9]{3,32}$'),
	trunk_id    uuid REFERENCES trunks (trunk_id),
	flow_id     uuid,
	routes      jsonb NOT NULL DEFAULT '[]'
		    CHECK (jsonb_typeof(routes) = 'array'),
	enabled     boolean NOT NULL DEFAULT true,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX numbers_tenant_created
	ON numbers (tenant_id, created_at, number_id);
CREATE INDEX numbers_trunk ON numbers (trunk_id) WHERE trunk_id IS NOT NULL;

-- The CDR: one row per call, written by the call engine. disposition is
-- NULL while the call is live.
CREATE TABLE calls (
	call_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
	direction     text NOT NULL
		      CHECK (direction IN ('inbound', 'outbound')),
	number        text,
	trunk_id      uuid,
	caller        text,
	callee        text,
	sip_call_id   text,
	flow_id       uuid,
	flow_version  int,
	ivr_path      jsonb NOT NULL DEFAULT '[]',
	started_at    timestamptz NOT NULL DEFAULT now(),
	ivr_at        timestamptz,
	answered_at   timestamptz,
	ended_at      timestamptz,
	disposition   text
		      CHECK (disposition IN ('completed', 'abandoned',
					     'voicemail', 'transferred',
					     'failed', 'rejected')),
	hangup_cause  text,
	hangup_side   text
		      CHECK (hangup_side IN ('caller', 'system', 'agent')),
	duration_ms   int CHECK (duration_ms >= 0),
	created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX calls_tenant_started
	ON calls (tenant_id, started_at DESC, call_id DESC);
CREATE INDEX calls_tenant_number ON calls (tenant_id, number);
CREATE INDEX calls_tenant_caller ON calls (tenant_id, caller);

-- No foreign key to calls: the engine writes events and the CDR row as
-- separate jobs, which may run on different pool connections.
CREATE TABLE call_events (
	tenant_id   uuid NOT NULL,
	call_id     uuid NOT NULL,
	seq         int NOT NULL,
	type        text NOT NULL,
	data        jsonb NOT NULL DEFAULT '{}',
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (call_id, seq)
);

CREATE INDEX call_events_tenant_created
	ON call_events (tenant_id, created_at);

ALTER TABLE trunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE trunks FORCE ROW LEVEL SECURITY;
ALTER TABLE numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE numbers FORCE ROW LEVEL SECURITY;
ALTER TABLE calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE calls FORCE ROW LEVEL SECURITY;
ALTER TABLE call_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_events FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON numbers
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON calls
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON call_events
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

-- The first reference of a number's flow_id and routes that the tenant
-- does not have, as the API field name ('flow_id',
-- 'routes[0].schedule_id', ...), or NULL when all exist. A flow counts
-- only once it has a version (the IVR API stores only flows that
-- validate). PL/pgSQL resolves tables when it runs, so this is valid
-- before the IVR tables (0003) exist; while they do not, no id can be
-- found and any id is refused. It runs as the caller: RLS limits it to
-- the caller's tenant.
CREATE FUNCTION telephony_number_refs_missing(p_flow uuid, p_routes jsonb)
	RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
	r jsonb;
	i int := 0;
BEGIN
	IF p_flow IS NOT NULL THEN
		IF to_regclass('public.flows') IS NULL THEN
			RETURN 'flow_id';
		END IF;
		IF NOT EXISTS (SELECT 1 FROM flows f WHERE
			       f.flow_id = p_flow AND f.current_version > 0) THEN
			RETURN 'flow_id';
		END IF;
	END IF;
	FOR r IN SELECT value FROM jsonb_array_elements(
		 COALESCE(p_routes, '[]')) LOOP
		IF to_regclass('public.schedules') IS NULL THEN
			RETURN format('routes[%s].schedule_id', i);
		END IF;
		IF NOT EXISTS (SELECT 1 FROM schedules s WHERE
			       s.schedule_id = (r->>'schedule_id')::uuid) THEN
			RETURN format('routes[%s].schedule_id', i);
		END IF;
		IF to_regclass('public.flows') IS NULL THEN
			RETURN format('routes[%s].flow_id', i);
		END IF;
		IF NOT EXISTS (SELECT 1 FROM flows f WHERE
			       f.flow_id = (r->>'flow_id')::uuid AND
			       f.current_version > 0) THEN
			RETURN format('routes[%s].flow_id', i);
		END IF;
		i := i + 1;
	END LOOP;
	RETURN NULL;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON trunks, numbers, calls, call_events
	TO openseat_app, openseat_operator;
GRANT EXECUTE ON FUNCTION telephony_number_refs_missing(uuid, jsonb)
	TO openseat_app, openseat_operator;
