-- The agent console: an agent's own calls and today's figures are found
-- by the agent its call events name (call.answered names who answered;
-- after a blind transfer calls.agent_id names only the last agent, and
-- agent.offered counts the offers it missed). Agent ids are unique
-- across tenants, so the agent leads; row-level security adds the tenant.
CREATE INDEX call_events_agent
	ON call_events ((data->>'agent_id'), created_at)
	WHERE type IN ('call.answered', 'agent.offered');
