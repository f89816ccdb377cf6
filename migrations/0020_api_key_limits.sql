-- API keys for CRM systems: a request rate of their own (NULL = the
-- server's default from the configuration) and, for an agent key, the
-- agent it acts for (click-to-dial on its own behalf only).
ALTER TABLE api_keys
	ADD COLUMN rate_limit_per_s int
		CHECK (rate_limit_per_s BETWEEN 1 AND 10000),
	ADD COLUMN burst int CHECK (burst BETWEEN 1 AND 100000),
	ADD COLUMN agent_id uuid REFERENCES users (user_id),
	ADD CONSTRAINT api_keys_agent_role
		CHECK (agent_id IS NULL OR role = 'agent');
