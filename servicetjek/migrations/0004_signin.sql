-- Sign-in hardening (issue 12): attempts counted before the password check, revocable
-- server-side sessions. The old per-username failure table is replaced.
DROP TABLE login_failures;

-- One row per sign-in attempt, written *before* bcrypt runs, so concurrent guesses are
-- counted. ok stays NULL (counted as a failure) until the password proved right.
CREATE TABLE login_attempts (
    attempt_id VARCHAR PRIMARY KEY,
    username VARCHAR NOT NULL,
    client VARCHAR NOT NULL,
    attempted_at TIMESTAMP NOT NULL,  -- naive UTC
    ok BOOLEAN
);

-- Signed-in browsers. Only a hash of the random session id is stored; the cookie carries
-- the id. A session is valid while its row exists, is not expired and the user is still
-- active with the same role and password (password_tag is a hash of the password hash).
CREATE TABLE sessions (
    id_hash VARCHAR PRIMARY KEY,
    username VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    password_tag VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,    -- naive UTC
    expires_at TIMESTAMP NOT NULL     -- naive UTC
);
