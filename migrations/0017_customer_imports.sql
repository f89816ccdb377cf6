-- Customer imports: one row per uploaded CSV, its options, its running
-- counts and the first 1000 per-line errors, so the page that started
-- it (or any other admin of the tenant) can follow and read it back.
-- updated_at moves with every chunk written: a job still "running" long
-- after it last moved was cut short by a restart, and reads as failed.
CREATE TABLE customer_imports (
	import_id     uuid PRIMARY KEY,
	tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
	status        text NOT NULL DEFAULT 'running'
		      CHECK (status IN ('running', 'finished', 'failed')),
	dry_run       boolean NOT NULL,
	on_duplicate  text NOT NULL CHECK (on_duplicate IN ('merge', 'skip')),
	encoding      text NOT NULL,
	mapping       jsonb NOT NULL DEFAULT '{}'
		      CHECK (jsonb_typeof(mapping) = 'object'),
	total         int NOT NULL DEFAULT 0 CHECK (total >= 0),
	processed     int NOT NULL DEFAULT 0 CHECK (processed >= 0),
	created       int NOT NULL DEFAULT 0 CHECK (created >= 0),
	merged        int NOT NULL DEFAULT 0 CHECK (merged >= 0),
	skipped       int NOT NULL DEFAULT 0 CHECK (skipped >= 0),
	failed        int NOT NULL DEFAULT 0 CHECK (failed >= 0),
	errors        jsonb NOT NULL DEFAULT '[]'
		      CHECK (jsonb_typeof(errors) = 'array'),
	errors_total  int NOT NULL DEFAULT 0 CHECK (errors_total >= 0),
	created_by    uuid,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	finished_at   timestamptz
);

CREATE INDEX customer_imports_tenant_created
	ON customer_imports (tenant_id, created_at DESC, import_id);

ALTER TABLE customer_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_imports
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON customer_imports
	TO openseat_app, openseat_operator;
