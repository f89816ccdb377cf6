-- A customer's history (GET /api/v1/customers/{id}/history) reads the
-- audit rows of one target, newest first: without this index it would
-- read the tenant's whole audit log, which imports make long.
CREATE INDEX audit_log_tenant_target
	ON audit_log (tenant_id, target_type, target_id, created_at DESC,
		      audit_id DESC);

-- A select field offers at least one option (the form has nothing to
-- pick from otherwise); other types keep none.
ALTER TABLE customer_fields ADD CONSTRAINT customer_fields_options
	CHECK (CASE WHEN type = 'select' THEN cardinality(options) >= 1
		    ELSE cardinality(options) = 0 END);
