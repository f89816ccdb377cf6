-- Customers: a tenant's own simple CRM. A customer has a name, several
-- phone numbers, the usual contact fields, tags and the values of the
-- custom fields its tenant defines. A phone number belongs to at most
-- one customer of a tenant: it is how a call finds its customer (the
-- screen pop) and how an import recognises a duplicate.

-- pg_trgm is a trusted extension: the database owner may create it. It
-- lets a search find a part of a Chinese name or company, which the
-- 'simple' text search (split on spaces) cannot.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The one spelling of a phone number that lookups and imports compare:
-- digits only, without the country code 86 of a Chinese mobile number
-- (+86 138..., 0086 138..., 86 138... are the same line as 138...).
CREATE FUNCTION phone_norm(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT CASE
		WHEN d ~ '^00861[0-9]{10}$' THEN substr(d, 5)
		WHEN d ~ '^861[0-9]{10}$' THEN substr(d, 3)
		ELSE d END
	FROM (SELECT regexp_replace(p, '[^0-9]', '', 'g') AS d) AS x
$$;

CREATE TABLE customer_fields (
	field_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
	key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,31}$'),
	label       text NOT NULL
		    CHECK (char_length(label) BETWEEN 1 AND 64
			   AND label !~ '[[:cntrl:]]'),
	type        text NOT NULL
		    CHECK (type IN ('text', 'number', 'date', 'boolean',
				    'select', 'email', 'url')),
	options     text[] NOT NULL DEFAULT '{}'
		    CHECK (cardinality(options) <= 100),
	required    boolean NOT NULL DEFAULT false,
	max_length  int NOT NULL DEFAULT 200
		    CHECK (max_length BETWEEN 1 AND 4000),
	position    int NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 1000),
	enabled     boolean NOT NULL DEFAULT true,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, key)
);

CREATE INDEX customer_fields_tenant_created
	ON customer_fields (tenant_id, created_at, field_id);

CREATE TABLE customers (
	customer_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	name         text NOT NULL
		     CHECK (char_length(name) BETWEEN 1 AND 100
			    AND name !~ '[[:cntrl:]]'),
	email        text NOT NULL DEFAULT ''
		     CHECK (char_length(email) <= 254),
	company      text NOT NULL DEFAULT ''
		     CHECK (char_length(company) <= 200),
	region       text NOT NULL DEFAULT ''
		     CHECK (char_length(region) <= 64),
	tags         text[] NOT NULL DEFAULT '{}'
		     CHECK (cardinality(tags) <= 32),
	fields       jsonb NOT NULL DEFAULT '{}'
		     CHECK (jsonb_typeof(fields) = 'object'),
	notes        text NOT NULL DEFAULT ''
		     CHECK (char_length(notes) <= 4000),
	created_by   uuid,
	updated_by   uuid,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	search       tsvector GENERATED ALWAYS AS (
		to_tsvector('simple', name || ' ' || company || ' ' ||
			    email || ' ' || region || ' ' || notes))
		STORED
);

CREATE INDEX customers_tenant_created
	ON customers (tenant_id, created_at, customer_id);
CREATE INDEX customers_tenant_updated
	ON customers (tenant_id, updated_at DESC, customer_id DESC);
CREATE INDEX customers_search ON customers USING gin (search);
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
CREATE INDEX customers_company_trgm
	ON customers USING gin (company gin_trgm_ops);
CREATE INDEX customers_tags ON customers USING gin (tags);

-- A customer's numbers, in its order (position 0 is the main one).
CREATE TABLE customer_phones (
	tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
	phone        text NOT NULL CHECK (phone ~ '^[0-9]{3,20}$'),
	customer_id  uuid NOT NULL
		     REFERENCES customers (customer_id) ON DELETE CASCADE,
	position     smallint NOT NULL DEFAULT 0
		     CHECK (position BETWEEN 0 AND 19),
	PRIMARY KEY (tenant_id, phone)
);

CREATE INDEX customer_phones_customer
	ON customer_phones (customer_id, position);

-- A customer's call history: every call from or to any of its numbers.
CREATE INDEX calls_tenant_caller_norm
	ON calls (tenant_id, phone_norm(caller), started_at DESC);
CREATE INDEX calls_tenant_callee_norm
	ON calls (tenant_id, phone_norm(callee), started_at DESC);

ALTER TABLE customer_fields ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_fields FORCE ROW LEVEL SECURITY;
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
ALTER TABLE customer_phones ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_phones FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON customer_fields
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON customers
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON customer_phones
	USING (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid)
	WITH CHECK (tenant_id =
	       NULLIF(current_setting('openseat.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE
	ON customer_fields, customers, customer_phones
	TO openseat_app, openseat_operator;
GRANT EXECUTE ON FUNCTION phone_norm(text) TO openseat_app, openseat_operator;
