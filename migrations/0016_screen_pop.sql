-- Screen pop: where an agent's console finds the caller when a call is
-- offered. 'builtin' looks the number up in OpenSeat's customers (the
-- default, also for a tenant without a row); 'http' asks the tenant's own
-- CRM while the call waits; 'page' opens the tenant's CRM page in the
-- console (no request from the server); 'none' shows no customer.
CREATE TABLE crm_settings (
	tenant_id    uuid PRIMARY KEY REFERENCES tenants (tenant_id),
	mode         text NOT NULL DEFAULT 'builtin'
		     CHECK (mode IN ('builtin', 'http', 'page', 'none')),
	http_url     text NOT NULL DEFAULT ''
		     CHECK (char_length(http_url) <= 1000
			    AND http_url !~ '[[:space:][:cntrl:]]'),
	http_method  text NOT NULL DEFAULT 'GET'
		     CHECK (http_method IN ('GET', 'POST')),
	timeout_ms   int NOT NULL DEFAULT 1000
		     CHECK (timeout_ms BETWEEN 100 AND 3000),
	-- The header that carries the CRM's token; the token itself is
	-- never read back by the API (it says only whether one is set).
	auth_header  text NOT NULL DEFAULT ''
		     CHECK (auth_header ~ '^([A-Za-z0-9-]{1,64})?$'),
	auth_token   text NOT NULL DEFAULT ''
		     CHECK (char_length(auth_token) <= 1000
			    AND auth_token !~ '[[:cntrl:]]'),
	-- Which part of the CRM's answer (a JSON pointer) is the name,
	-- company, tags, level, url, and labelled extra fields.
	mapping      jsonb NOT NULL DEFAULT '{}'
		     CHECK (jsonb_typeof(mapping) = 'object'),
	page_url     text NOT NULL DEFAULT ''
		     CHECK (char_length(page_url) <= 1000
			    AND page_url !~ '[[:space:][:cntrl:]]'),
	page_target  text NOT NULL DEFAULT 'panel'
		     CHECK (page_target IN ('panel', 'tab')),
	updated_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE crm_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON crm_settings
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON crm_settings
	TO openseat_app, openseat_operator;
