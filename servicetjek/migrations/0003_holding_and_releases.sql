-- Anonymity by storage and by release (issue 11).
-- While a round is open its answers and codes live in a holding file of their own
-- (servicetjek/holding.py); at close the released answers move into `responses` shuffled,
-- in one transaction, and the holding file is wiped. `round_state` is the only link.
CREATE TABLE round_state (
    round_id INTEGER PRIMARY KEY,
    holding_file VARCHAR,                     -- file name in the holding folder, NULL: nothing held
    released_seq INTEGER NOT NULL DEFAULT 0,  -- held answers with seq <= this are released
    settled BOOLEAN NOT NULL DEFAULT false,   -- closed, and its released answers moved
    held_back INTEGER NOT NULL DEFAULT 0,     -- answers left unreleased at the last close
    fast_answers INTEGER NOT NULL DEFAULT 0,  -- answers sent sooner than the form can be read
    groups_n INTEGER,                         -- answers behind the frozen group figures
    groups_json VARCHAR                       -- the frozen group figures (JSON), see results.py
);
