-- Foundation: roles, tenants, principals, sessions, API keys, audit, RLS.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles
		       WHERE rolname = 'openseat_app') THEN
		CREATE ROLE openseat_app LOGIN NOBYPASSRLS NOSUPERUSER
			NOCREATEDB NOCREATEROLE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles
		       WHERE rolname = 'openseat_operator') THEN
		CREATE ROLE openseat_operator NOLOGIN BYPASSRLS;
	END IF;
END
$$;

GRANT openseat_operator TO openseat_app;
GRANT USAGE ON SCHEMA public TO openseat_app, openseat_operator;

CREATE TABLE tenants (
	tenant_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	code        text NOT NULL UNIQUE
		    CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
	name        text NOT NULL
		    CHECK (length(name) BETWEEN 1 AND 100),
	seat_quota  int NOT NULL DEFAULT 10
		    CHECK (seat_quota BETWEEN 0 AND 100000),
	status      text NOT NULL DEFAULT 'active'
		    CHECK (status IN ('active', 'suspended')),
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operators (
	operator_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	username       text NOT NULL UNIQUE,
	display_name   text NOT NULL DEFAULT '',
	password_hash  text NOT NULL,
	disabled       boolean NOT NULL DEFAULT false,
	created_at     timestamptz NOT NULL DEFAULT now(),
	updated_at     timestamptz NOT NULL DEFAULT now(),
	last_login_at  timestamptz
);

CREATE TABLE users (
	user_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id      uuid NOT NULL REFERENCES tenants (tenant_id),
	username       text NOT NULL
		       CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
	display_name   text NOT NULL DEFAULT '',
	email          text,
	role           text NOT NULL
		       CHECK (role IN ('agent', 'supervisor', 'admin')),
	password_hash  text NOT NULL,
	disabled       boolean NOT NULL DEFAULT false,
	locale         text NOT NULL DEFAULT 'zh-CN',
	created_at     timestamptz NOT NULL DEFAULT now(),
	updated_at     timestamptz NOT NULL DEFAULT now(),
	last_login_at  timestamptz,
	deleted_at     timestamptz
);

CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, username)
	WHERE deleted_at IS NULL;
CREATE INDEX users_tenant_created ON users (tenant_id, created_at, user_id);

CREATE TABLE sessions (
	session_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	family_id       uuid NOT NULL,
	principal_kind  text NOT NULL
			CHECK (principal_kind IN ('user', 'operator')),
	principal_id    uuid NOT NULL,
	tenant_id       uuid,
	token_hash      text NOT NULL UNIQUE,
	expires_at      timestamptz NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	used_at         timestamptz,
	revoked_at      timestamptz,
	remote_addr     text
);

CREATE INDEX sessions_family ON sessions (family_id);
CREATE INDEX sessions_principal ON sessions (principal_id);

CREATE TABLE api_keys (
	api_key_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
	name          text NOT NULL,
	role          text NOT NULL
		      CHECK (role IN ('agent', 'supervisor', 'admin')),
	prefix        text NOT NULL,
	key_hash      text NOT NULL UNIQUE,
	created_by    uuid,
	created_at    timestamptz NOT NULL DEFAULT now(),
	last_used_at  timestamptz,
	revoked_at    timestamptz
);

CREATE INDEX api_keys_tenant_created
	ON api_keys (tenant_id, created_at, api_key_id);

CREATE TABLE audit_log (
	audit_id     bigint GENERATED ALWAYS AS IDENTITY,
	tenant_id    uuid NOT NULL,
	actor_kind   text NOT NULL
		     CHECK (actor_kind IN ('user', 'operator', 'api_key',
					   'system')),
	actor_id     uuid,
	actor_name   text,
	action       text NOT NULL,
	target_type  text,
	target_id    text,
	detail       jsonb NOT NULL DEFAULT '{}',
	remote_addr  text,
	created_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, audit_id)
);

CREATE INDEX audit_log_tenant_created
	ON audit_log (tenant_id, created_at, audit_id);

CREATE TABLE idempotency_keys (
	principal_id  uuid NOT NULL,
	idem_key      text NOT NULL,
	tenant_id     uuid,
	method        text NOT NULL,
	path          text NOT NULL,
	body_hash     text NOT NULL,
	status        int,
	response      text,
	content_type  text,
	created_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (principal_id, idem_key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Row Level Security: every table, forced even for the owner.
-- Tenant-owned tables see the rows of openseat.tenant_id (set per
-- transaction by the db module); NULLIF because '' cannot be cast to uuid.
-- Platform tables have no policy: only openseat_operator (BYPASSRLS).
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE operators ENABLE ROW LEVEL SECURITY;
ALTER TABLE operators FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tenants
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON users
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON api_keys
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON audit_log
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

-- Privileges: the runtime role and the operator role use, never own.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public
	TO openseat_app, openseat_operator;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public
	TO openseat_app, openseat_operator;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
	GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES
	TO openseat_app, openseat_operator;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
	GRANT USAGE ON SEQUENCES TO openseat_app, openseat_operator;
