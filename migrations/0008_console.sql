-- The agent console: the disposition an agent gives a call in wrap-up.
ALTER TABLE calls
	ADD COLUMN wrap_code  text CHECK (char_length(wrap_code) BETWEEN 1 AND 64),
	ADD COLUMN wrap_notes text CHECK (char_length(wrap_notes) <= 2000),
	ADD COLUMN wrap_by    uuid,
	ADD COLUMN wrap_at    timestamptz;

-- A supervisor may end a call (hang-up from the wallboard, or leaving a
-- call it took over).
ALTER TABLE calls DROP CONSTRAINT calls_hangup_side_check,
	ADD CONSTRAINT calls_hangup_side_check
	CHECK (hangup_side IN ('caller', 'system', 'agent', 'supervisor'));
