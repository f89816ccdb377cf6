-- ACD configuration checks the API runs inside its own transactions,
-- after the change and before the commit: what a CHECK cannot see
-- (another table, the row's own id) fails the statement with SQLSTATE
-- OS400 (OS409 for a conflict) and the message "field|code|English
-- message", which the API turns into a 400 (409) naming the field; the
-- transaction rolls back, so nothing is changed. They run as the caller: RLS limits every lookup
-- to the caller's tenant.

CREATE FUNCTION acdcfg_fail(p_field text, p_code text, p_message text)
	RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'OS400',
		MESSAGE = p_field || '|' || p_code || '|' || p_message;
END
$$;

CREATE FUNCTION acdcfg_uuid_like(p text) RETURNS boolean
	LANGUAGE sql IMMUTABLE AS $$
	SELECT p ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
$$;

-- A tenant prompt named by id must exist; built-ins are checked by the
-- server (it knows which files it has).
CREATE FUNCTION acdcfg_prompt_check(p_field text, p_ref text)
	RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_ref IS NULL OR p_ref LIKE 'builtin/%' THEN
		RETURN;
	END IF;
	IF NOT acdcfg_uuid_like(p_ref) OR NOT EXISTS (SELECT 1 FROM prompts
	    WHERE prompt_id = p_ref::uuid) THEN
		PERFORM acdcfg_fail(p_field, 'not_found',
			'no prompt with this id in your tenant');
	END IF;
END
$$;

-- Where a queue's callers go when it overflows: a voicemail box (name
-- or id), another queue of the tenant (id, not itself), or a node of the
-- IVR flow the call came from (its id; some published flow of the
-- tenant must have such a node).
CREATE FUNCTION acdcfg_overflow_check(q queues)
	RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	t text := q.overflow_target;
BEGIN
	IF q.overflow_action = 'hangup' THEN
		IF t <> '' THEN
			PERFORM acdcfg_fail('overflow_target', 'not_allowed',
				'must be empty when overflow_action is hangup');
		END IF;
		RETURN;
	END IF;
	IF t = '' THEN
		PERFORM acdcfg_fail('overflow_target', 'required',
			'is required when overflow_action is '
			|| q.overflow_action);
	END IF;
	IF q.overflow_action = 'voicemail' AND NOT EXISTS (SELECT 1
	    FROM voicemail_boxes b WHERE b.name = t OR (acdcfg_uuid_like(t)
	    AND b.box_id = t::uuid)) THEN
		PERFORM acdcfg_fail('overflow_target', 'not_found',
			'no voicemail box with this name or id');
	ELSIF q.overflow_action = 'queue' THEN
		IF NOT acdcfg_uuid_like(t) OR NOT EXISTS (SELECT 1 FROM queues x
		    WHERE x.queue_id = t::uuid) THEN
			PERFORM acdcfg_fail('overflow_target', 'not_found',
				'no queue with this id in your tenant');
		ELSIF t::uuid = q.queue_id THEN
			PERFORM acdcfg_fail('overflow_target', 'self',
				'a queue cannot overflow into itself');
		END IF;
	ELSIF q.overflow_action = 'ivr' AND NOT EXISTS (SELECT 1 FROM flows f
	    JOIN flow_versions v ON v.flow_id = f.flow_id
	    AND v.version = f.current_version
	    WHERE v.graph->'nodes' ? t) THEN
		PERFORM acdcfg_fail('overflow_target', 'not_found',
			'no IVR flow of your tenant has a node with this id');
	END IF;
END
$$;

-- routes: the server checked their shape; here what they name exists.
CREATE FUNCTION acdcfg_routes_check(q queues)
	RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	r jsonb;
	i int := 0;
	f text;
BEGIN
	FOR r IN SELECT value FROM jsonb_array_elements(q.routes) LOOP
		f := 'routes[' || i || ']';
		IF r ? 'schedule_id' AND NOT EXISTS (SELECT 1 FROM schedules s
		    WHERE s.schedule_id::text = r->>'schedule_id') THEN
			PERFORM acdcfg_fail(f || '.schedule_id', 'not_found',
				'no schedule with this id in your tenant');
		END IF;
		IF NOT EXISTS (SELECT 1 FROM queues x
		    WHERE x.queue_id::text = r->>'queue_id') THEN
			PERFORM acdcfg_fail(f || '.queue_id', 'not_found',
				'no queue with this id in your tenant');
		END IF;
		IF r->>'queue_id' = q.queue_id::text THEN
			PERFORM acdcfg_fail(f || '.queue_id', 'self',
				'a route cannot send calls to its own queue');
		END IF;
		i := i + 1;
	END LOOP;
END
$$;

-- Everything about a stored queue that another table decides.
CREATE FUNCTION acdcfg_queue_check(p_queue_id uuid)
	RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	q queues;
BEGIN
	SELECT * INTO q FROM queues WHERE queue_id = p_queue_id;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	PERFORM acdcfg_overflow_check(q);
	PERFORM acdcfg_prompt_check('overflow_prompt', q.overflow_prompt);
	PERFORM acdcfg_prompt_check('hold_music', q.hold_music);
	PERFORM acdcfg_routes_check(q);
END
$$;

-- The skills of a body ([{skill_id}...] or [skill_id...]) exist.
CREATE FUNCTION acdcfg_skills_check(p_skills jsonb)
	RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	i int := 0;
	id text;
BEGIN
	FOR id IN SELECT CASE jsonb_typeof(value) WHEN 'object'
		  THEN value->>'skill_id' ELSE value #>> '{}' END
		  FROM jsonb_array_elements(COALESCE(p_skills, '[]')) LOOP
		IF NOT EXISTS (SELECT 1 FROM skills s
		    WHERE s.skill_id::text = id) THEN
			PERFORM acdcfg_fail('skills[' || i || ']', 'not_found',
				'no skill with this id in your tenant');
		END IF;
		i := i + 1;
	END LOOP;
END
$$;

-- An agent is a live user of the tenant who takes calls. True, or
-- fails: an INSERT ... WHERE calls it before it writes.
CREATE FUNCTION acdcfg_agent_user_check(p_user_id uuid)
	RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
	r text;
BEGIN
	SELECT role INTO r FROM users
	 WHERE user_id = p_user_id AND deleted_at IS NULL;
	IF NOT FOUND THEN
		PERFORM acdcfg_fail('user_id', 'not_found',
			'no user with this id in your tenant');
	ELSIF r NOT IN ('agent', 'supervisor') THEN
		PERFORM acdcfg_fail('user_id', 'role',
			'the user must have the role agent or supervisor');
	END IF;
	RETURN true;
END
$$;

-- Every agent holds a seat of the tenant's quota.
CREATE FUNCTION acdcfg_seat_check() RETURNS void
	LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF (SELECT count(*) FROM agents) > (SELECT seat_quota FROM tenants
	    WHERE tenant_id = NULLIF(current_setting('openseat.tenant_id',
						      true), '')::uuid) THEN
		RAISE EXCEPTION USING ERRCODE = 'OSQTA',
			MESSAGE = 'seat quota';
	END IF;
END
$$;

-- A deleted user's seat goes with it (work number, SIP user, seat
-- quota freed); the runtime hears it like any ACD change.
CREATE FUNCTION acdcfg_user_deleted() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM agents WHERE agent_id = NEW.user_id;
	IF FOUND THEN
		PERFORM pg_notify('openseat_acd', NEW.tenant_id::text);
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER users_agent_deleted AFTER UPDATE OF deleted_at ON users
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL
			   AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION acdcfg_user_deleted();

-- Flows name queues by name: renaming one that a current flow version
-- names would send those callers down the node's fail branch. Refused
-- (SQLSTATE OS409, "field|code|message", a 409 naming the field).
CREATE FUNCTION acdcfg_queue_renamed() RETURNS trigger
	LANGUAGE plpgsql AS $$
DECLARE
	names text;
BEGIN
	SELECT string_agg(DISTINCT f.name, ', ') INTO names
	  FROM flows f JOIN flow_versions v ON v.flow_id = f.flow_id
	       AND v.version = f.current_version,
	       jsonb_each(v.graph->'nodes') AS n (id, node)
	 WHERE n.node->>'kind' = 'queue' AND n.node->>'queue' = OLD.name;
	IF names IS NOT NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'OS409',
			MESSAGE = 'name|queue_in_use|these flows name the queue'
			|| ' by its name; change them first: ' || names;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER queues_renamed BEFORE UPDATE OF name ON queues
	FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
	EXECUTE FUNCTION acdcfg_queue_renamed();

-- The IVR's reference check (0003) learns queues: a queue node names
-- one by name or id, and a flow naming a queue the tenant does not have
-- fails validation at that node.
CREATE OR REPLACE FUNCTION ivr_refs_missing(refs jsonb)
	RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	r jsonb;
	found boolean;
	missing jsonb := '[]';
BEGIN
	FOR r IN SELECT value FROM jsonb_array_elements(refs) LOOP
		found := false;
		IF r->>'kind' = 'prompt' AND r->>'ref' LIKE 'builtin/%' THEN
			found := true;   -- checked by the server
		ELSIF r->>'kind' = 'schedule' THEN
			found := EXISTS (SELECT 1 FROM schedules s
				 WHERE s.schedule_id::text = r->>'ref');
		ELSIF r->>'kind' = 'queue' THEN
			found := EXISTS (SELECT 1 FROM queues q
				 WHERE q.name = r->>'ref'
				 OR q.queue_id::text = lower(r->>'ref'));
		ELSIF r->>'kind' = 'prompt' THEN
			found := EXISTS (SELECT 1 FROM prompts p
				 WHERE p.prompt_id::text = r->>'ref');
		END IF;
		IF NOT found THEN
			missing := missing || jsonb_build_array(r);
		END IF;
	END LOOP;
	RETURN missing;
END
$$;

GRANT EXECUTE ON FUNCTION acdcfg_fail(text, text, text),
	acdcfg_uuid_like(text), acdcfg_prompt_check(text, text),
	acdcfg_overflow_check(queues), acdcfg_routes_check(queues),
	acdcfg_queue_check(uuid), acdcfg_skills_check(jsonb),
	acdcfg_agent_user_check(uuid), acdcfg_seat_check()
	TO openseat_app, openseat_operator;
