-- Secrets sealed at rest (server/seal/): a webhook endpoint's signing
-- secrets and a tenant CRM's lookup token are stored as
-- XChaCha20-Poly1305 boxes under a key derived from the recording master
-- key; seal_key_id names that key (a hash, not the key). Rows stored
-- readable before this migration are sealed when openseat next starts,
-- which then empties the readable column; the server never writes it.
ALTER TABLE webhook_endpoints
	ALTER COLUMN secret DROP NOT NULL,
	ADD COLUMN secret_box bytea,
	ADD COLUMN previous_secret_box bytea,
	ADD COLUMN seal_key_id text CHECK (seal_key_id ~ '^[0-9a-f]{16}$'),
	-- what a list shows of the secret: "whsec_…" and its last four
	ADD COLUMN secret_hint text NOT NULL DEFAULT ''
		CHECK (secret_hint ~ '^(whsec_…[A-Za-z0-9+/=]{4})?$'),
	ADD CONSTRAINT webhook_endpoints_secret_one
		CHECK ((secret IS NULL) <> (secret_box IS NULL)),
	ADD CONSTRAINT webhook_endpoints_previous_one
		CHECK (previous_secret IS NULL OR previous_secret_box IS NULL),
	ADD CONSTRAINT webhook_endpoints_sealed_by
		CHECK ((secret_box IS NULL AND previous_secret_box IS NULL)
		       OR seal_key_id IS NOT NULL);

UPDATE webhook_endpoints SET secret_hint = 'whsec_…' || right(secret, 4)
 WHERE secret IS NOT NULL AND right(secret, 4) ~ '^[A-Za-z0-9+/=]{4}$';

ALTER TABLE crm_settings
	ADD COLUMN auth_token_box bytea,
	ADD COLUMN seal_key_id text CHECK (seal_key_id ~ '^[0-9a-f]{16}$'),
	ADD CONSTRAINT crm_settings_token_one
		CHECK (auth_token = '' OR auth_token_box IS NULL),
	ADD CONSTRAINT crm_settings_sealed_by
		CHECK (auth_token_box IS NULL OR seal_key_id IS NOT NULL);
