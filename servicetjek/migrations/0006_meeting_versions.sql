-- Meetings get a version (every change names the version it was based on, like trials)
-- and can be cancelled; the status CHECK of 0002 cannot be altered in DuckDB, hence a flag.
ALTER TABLE meetings ADD COLUMN version INTEGER DEFAULT 1;
ALTER TABLE meetings ADD COLUMN cancelled BOOLEAN DEFAULT false;
