-- IVR: schedules, flows with immutable versions, what each flow's current
-- version references, and the platform number-attribution table used by
-- area switches.

-- weekly and exceptions hold the API's JSON as validated by the server
-- (server/schedule/schedule.c); the database only checks their shape.
CREATE TABLE schedules (
	schedule_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	timezone     text NOT NULL DEFAULT 'Asia/Shanghai'
		     CHECK (length(timezone) BETWEEN 1 AND 64),
	weekly       jsonb NOT NULL DEFAULT '[]'
		     CHECK (jsonb_typeof(weekly) = 'array'),
	exceptions   jsonb NOT NULL DEFAULT '[]'
		     CHECK (jsonb_typeof(exceptions) = 'array'),
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX schedules_tenant_name ON schedules (tenant_id, name);
CREATE UNIQUE INDEX schedules_tenant_schedule
	ON schedules (tenant_id, schedule_id);
CREATE INDEX schedules_tenant_created
	ON schedules (tenant_id, created_at, schedule_id);

-- current_version 0: created outside the API with no version yet (never
-- attached to a call: the engine finds no graph).
CREATE TABLE flows (
	flow_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id),
	name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	description      text NOT NULL DEFAULT ''
			 CHECK (length(description) <= 500),
	current_version  int NOT NULL DEFAULT 0 CHECK (current_version >= 0),
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX flows_tenant_name ON flows (tenant_id, name);
CREATE UNIQUE INDEX flows_tenant_flow ON flows (tenant_id, flow_id);
CREATE INDEX flows_tenant_created ON flows (tenant_id, created_at, flow_id);

-- Versions are never changed: a running call keeps the one it started
-- with. created_by is the principal's id (user or API key).
CREATE TABLE flow_versions (
	tenant_id   uuid NOT NULL,
	flow_id     uuid NOT NULL,
	version     int NOT NULL CHECK (version >= 1),
	graph       jsonb NOT NULL CHECK (jsonb_typeof(graph) = 'object'),
	created_by  uuid,
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (flow_id, version),
	FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, flow_id)
		ON DELETE CASCADE
);

CREATE INDEX flow_versions_tenant ON flow_versions (tenant_id, flow_id);

-- What the current version references, rewritten on every save: the
-- prompts API refuses to delete a prompt named here, and a schedule in
-- flow_schedules cannot be deleted.
CREATE TABLE flow_prompts (
	tenant_id   uuid NOT NULL,
	flow_id     uuid NOT NULL,
	prompt_ref  text NOT NULL CHECK (length(prompt_ref) BETWEEN 1 AND 100),
	PRIMARY KEY (flow_id, prompt_ref),
	FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, flow_id)
		ON DELETE CASCADE
);

CREATE INDEX flow_prompts_tenant_ref ON flow_prompts (tenant_id, prompt_ref);

CREATE TABLE flow_schedules (
	tenant_id    uuid NOT NULL,
	flow_id      uuid NOT NULL,
	schedule_id  uuid NOT NULL,
	PRIMARY KEY (flow_id, schedule_id),
	FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, flow_id)
		ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, schedule_id)
		REFERENCES schedules (tenant_id, schedule_id)
);

CREATE INDEX flow_schedules_tenant_schedule
	ON flow_schedules (tenant_id, schedule_id);

-- A number's default flow is a flow of the same tenant.
ALTER TABLE numbers ADD FOREIGN KEY (tenant_id, flow_id)
	REFERENCES flows (tenant_id, flow_id);

-- Number attribution (号码归属地): a platform table, no tenant. The
-- runtime roles only read it; the importer writes it with the admin
-- connection. Longest matching prefix of a normalized caller wins.
CREATE TABLE number_regions (
	prefix  text PRIMARY KEY CHECK (prefix ~ '^[0-9]{1,16}$'),
	region  text NOT NULL CHECK (length(region) BETWEEN 1 AND 100)
);

ALTER TABLE schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedules FORCE ROW LEVEL SECURITY;
ALTER TABLE flows ENABLE ROW LEVEL SECURITY;
ALTER TABLE flows FORCE ROW LEVEL SECURITY;
ALTER TABLE flow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_versions FORCE ROW LEVEL SECURITY;
ALTER TABLE flow_prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_prompts FORCE ROW LEVEL SECURITY;
ALTER TABLE flow_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_schedules FORCE ROW LEVEL SECURITY;
ALTER TABLE number_regions ENABLE ROW LEVEL SECURITY;
ALTER TABLE number_regions FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON schedules
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON flows
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON flow_versions
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON flow_prompts
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON flow_schedules
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY read_all ON number_regions FOR SELECT USING (true);

-- The references of refs (a jsonb array of {node, kind, ref}, kind
-- 'prompt' or 'schedule') that the caller's tenant does not have,
-- as the same objects. Built-in prompts are checked by the server. The
-- prompts table may not exist yet (another migration): then no tenant
-- prompt exists. Runs as the caller, so RLS limits it to the tenant.
CREATE FUNCTION ivr_refs_missing(refs jsonb)
	RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	r jsonb;
	found boolean;
	missing jsonb := '[]';
BEGIN
	FOR r IN SELECT value FROM jsonb_array_elements(refs) LOOP
		found := false;
		IF r->>'kind' = 'prompt' AND r->>'ref' LIKE 'builtin/%' THEN
			found := true;   -- checked by the server
		ELSIF r->>'kind' = 'schedule' THEN
			found := EXISTS (SELECT 1 FROM schedules s
				 WHERE s.schedule_id::text = r->>'ref');
		ELSIF r->>'kind' = 'prompt' AND
		      to_regclass('public.prompts') IS NOT NULL THEN
			EXECUTE 'SELECT EXISTS (SELECT 1 FROM prompts p'
				' WHERE p.prompt_id::text = $1)'
				INTO found USING r->>'ref';
		END IF;
		IF NOT found THEN
			missing := missing || jsonb_build_array(r);
		END IF;
	END LOOP;
	RETURN missing;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON schedules, flows, flow_versions,
	flow_prompts, flow_schedules TO openseat_app, openseat_operator;
REVOKE ALL ON number_regions FROM openseat_app, openseat_operator;
GRANT SELECT ON number_regions TO openseat_app, openseat_operator;
GRANT EXECUTE ON FUNCTION ivr_refs_missing(jsonb)
	TO openseat_app, openseat_operator;
