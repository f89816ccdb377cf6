-- Prompts: audio a tenant uploaded, normalized to the engine format
-- (8 kHz mono 16-bit WAV) at <var_dir>/prompts/<tenant_id>/<prompt_id>.wav.
-- Built-in prompts are files generated at build time and have no rows.

CREATE TABLE prompts (
	prompt_id        uuid PRIMARY KEY,
	tenant_id        uuid NOT NULL REFERENCES tenants (tenant_id),
	name             text NOT NULL
			 CHECK (length(name) BETWEEN 1 AND 64
				AND name = btrim(name)
				AND name !~ '[[:cntrl:]]'),
	duration_ms      int NOT NULL CHECK (duration_ms >= 0),
	size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
	original_format  text NOT NULL CHECK (length(original_format) <= 8),
	sample_rate_in   int NOT NULL CHECK (sample_rate_in > 0),
	channels_in      int NOT NULL CHECK (channels_in > 0),
	created_by       uuid,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX prompts_tenant_name ON prompts (tenant_id, name);
CREATE INDEX prompts_tenant_created
	ON prompts (tenant_id, created_at, prompt_id);

ALTER TABLE prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompts FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON prompts
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON prompts
	TO openseat_app, openseat_operator;

-- The names of the flows whose current version plays a prompt, sorted;
-- empty when none does. flow_prompts and flows belong to the IVR
-- (0003); PL/pgSQL resolves them when it runs, so this is valid before
-- they exist. It runs as the caller: RLS limits it to the caller's
-- tenant.
CREATE FUNCTION prompt_flow_names(p_prompt_ref text)
	RETURNS text[] LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF to_regclass('public.flow_prompts') IS NULL OR
	   to_regclass('public.flows') IS NULL THEN
		RETURN '{}';
	END IF;
	RETURN ARRAY(SELECT DISTINCT f.name FROM flow_prompts fp
		     JOIN flows f ON f.flow_id = fp.flow_id
		     AND f.tenant_id = fp.tenant_id
		     WHERE fp.prompt_ref = p_prompt_ref ORDER BY f.name);
END
$$;

GRANT EXECUTE ON FUNCTION prompt_flow_names(text)
	TO openseat_app, openseat_operator;
