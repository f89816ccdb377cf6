-- The tenant key that encrypted an export's zip, to read it back without
-- opening the file first.
ALTER TABLE recording_exports ADD COLUMN key_no int CHECK (key_no >= 1);
