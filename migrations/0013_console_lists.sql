-- The agent console's lists: a tenant's disposition codes (the outcome
-- an agent gives a call in wrap-up), and a number's label (the hotline's
-- name the screen pop shows, e.g. 售后热线).
CREATE TABLE disposition_codes (
	code_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	code        text NOT NULL
		    CHECK (char_length(code) BETWEEN 1 AND 64
			   AND code = btrim(code) AND code !~ '[[:cntrl:]]'),
	position    int NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 1000),
	enabled     boolean NOT NULL DEFAULT true,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, code)
);

CREATE INDEX disposition_codes_tenant_created
	ON disposition_codes (tenant_id, created_at, code_id);

ALTER TABLE disposition_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE disposition_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON disposition_codes
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON disposition_codes
	TO openseat_app, openseat_operator;

ALTER TABLE numbers ADD COLUMN label text NOT NULL DEFAULT ''
	CHECK (char_length(label) <= 64 AND label !~ '[[:cntrl:]]');
