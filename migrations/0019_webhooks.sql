-- Webhooks: a tenant's endpoints, the transactional outbox (one delivery
-- per endpoint and event) and the log of every attempt.
--
-- Secrets are stored as given to the tenant ("whsec_" + base64 of 24
-- random bytes): the server must read them to sign each request, so a
-- hash would not do; see docs/WEBHOOKS.md on encryption at rest.
CREATE TABLE webhook_endpoints (
	endpoint_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id       uuid NOT NULL REFERENCES tenants (tenant_id),
	url             text NOT NULL
			CHECK (char_length(url) BETWEEN 10 AND 2048
			       AND url ~ '^https?://'
			       AND url !~ '[[:cntrl:][:space:]]'),
	description     text NOT NULL DEFAULT ''
			CHECK (char_length(description) <= 256
			       AND description !~ '[[:cntrl:]]'),
	event_types     text[] NOT NULL
			CHECK (cardinality(event_types) BETWEEN 1 AND 32),
	enabled         boolean NOT NULL DEFAULT true,
	disabled_reason text CHECK (disabled_reason IN
				    ('gone', 'failing', 'admin')),
	disabled_at     timestamptz,
	secret          text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]+$'),
	previous_secret text CHECK (previous_secret ~ '^whsec_[A-Za-z0-9+/=]+$'),
	previous_expires_at timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_endpoints_tenant_created
	ON webhook_endpoints (tenant_id, created_at, endpoint_id);

CREATE TABLE webhook_deliveries (
	delivery_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id       uuid NOT NULL REFERENCES tenants (tenant_id),
	endpoint_id     uuid NOT NULL
			REFERENCES webhook_endpoints ON DELETE CASCADE,
	event_id        uuid NOT NULL,
	event_type      text NOT NULL,
	payload         text NOT NULL,
	state           text NOT NULL DEFAULT 'pending'
			CHECK (state IN ('pending', 'delivering', 'delivered',
					 'failed', 'dead')),
	attempts        int NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	last_status     int,
	last_error      text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	delivered_at    timestamptz,
	-- an event reaches an endpoint once; a redelivery reuses the row
	UNIQUE (endpoint_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
	WHERE state IN ('pending', 'delivering', 'failed');
CREATE INDEX webhook_deliveries_endpoint
	ON webhook_deliveries (endpoint_id, created_at DESC, delivery_id DESC);

CREATE TABLE webhook_attempts (
	attempt_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id       uuid NOT NULL REFERENCES tenants (tenant_id),
	delivery_id     uuid NOT NULL
			REFERENCES webhook_deliveries ON DELETE CASCADE,
	attempt         int NOT NULL,
	at              timestamptz NOT NULL DEFAULT now(),
	address         text,
	request_headers text NOT NULL,
	request_body    text NOT NULL,
	status          int,
	response_body   text CHECK (octet_length(response_body) <= 2048),
	duration_ms     int NOT NULL,
	error           text,
	retry_in_s      int          -- nominal, whatever the time scale
);

CREATE INDEX webhook_attempts_delivery
	ON webhook_attempts (delivery_id, attempt);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON webhook_endpoints
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON webhook_deliveries
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON webhook_attempts
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints,
	webhook_deliveries, webhook_attempts TO openseat_app, openseat_operator;

-- "*", an exact type ("recording.ready") or a topic ("call.*").
CREATE FUNCTION webhook_type_match(p_patterns text[], p_type text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT EXISTS (SELECT 1 FROM unnest(p_patterns) p
		       WHERE p = '*' OR p = p_type
			  OR (right(p, 2) = '.*'
			      AND starts_with(p_type, left(p, -1))))
$$;

-- The outbox insert that rides in the transaction (or statement) of the
-- change an event announces: one delivery per enabled endpoint of the
-- tenant that subscribed to the type. The same event twice is a no-op.
-- Runs with the caller's rights, so RLS keeps it to the tenant set for
-- the transaction. The NOTIFY wakes the delivery loop at commit.
CREATE FUNCTION webhook_enqueue(p_tenant uuid, p_event uuid, p_type text,
				p_payload text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	n int;
BEGIN
	INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id,
					event_type, payload)
	SELECT p_tenant, e.endpoint_id, p_event, p_type, p_payload
	  FROM webhook_endpoints e
	 WHERE e.tenant_id = p_tenant AND e.enabled
	   AND webhook_type_match(e.event_types, p_type)
	ON CONFLICT (endpoint_id, event_id) DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM pg_notify('webhook', '');
	END IF;
	RETURN n;
END
$$;

GRANT EXECUTE ON FUNCTION webhook_type_match(text[], text),
	webhook_enqueue(uuid, uuid, text, text)
	TO openseat_app, openseat_operator;
