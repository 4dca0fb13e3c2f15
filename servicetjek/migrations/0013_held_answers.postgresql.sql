-- Open rounds' answers and codes on PostgreSQL (servicetjek/sealed.py). Several app processes
-- share them, so they cannot live in a per-process holding file as on DuckDB. Each answer is
-- sealed (AES-GCM under a key derived from the deployment secret, which is not in the
-- database) and padded to one size; `holding` is the name round_state.holding_file gives the
-- set, as it names a holding file on DuckDB. At close the released answers are opened and
-- inserted shuffled into `responses`, and their sealed rows deleted, in one transaction.
CREATE SEQUENCE held_seq;
CREATE TABLE held_answers (
    holding VARCHAR NOT NULL,
    seq BIGINT NOT NULL DEFAULT nextval('held_seq'),
    fast BOOLEAN NOT NULL DEFAULT false,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (holding, seq)
);
-- Ciphertext does not compress: store it as it is (no wasted pglz attempts; and what the
-- raw-file test in tests/test_postgres_anonymity.py reads is what is stored).
ALTER TABLE held_answers ALTER COLUMN sealed SET STORAGE EXTERNAL;
CREATE TABLE held_codes (
    holding VARCHAR NOT NULL,
    code_hash VARCHAR NOT NULL,
    used BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (holding, code_hash)
);
