-- Organisation, accounts, settings, rating rounds and anonymous responses.
CREATE SEQUENCE department_ids START 1;
CREATE TABLE departments (
    id INTEGER PRIMARY KEY DEFAULT nextval('department_ids'),
    name VARCHAR NOT NULL,
    parent_id INTEGER,
    headcount INTEGER CHECK (headcount IS NULL OR headcount >= 0),
    archived BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE users (
    username VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('admin', 'manager', 'facilitator', 'member')),
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE user_departments (
    username VARCHAR NOT NULL,
    department_id INTEGER NOT NULL,
    PRIMARY KEY (username, department_id)
);

-- One row per failed attempt; old rows are pruned, so a lock-out always expires.
CREATE TABLE login_failures (
    username VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
);

CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE round_ids START 1;
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY DEFAULT nextval('round_ids'),
    department_id INTEGER NOT NULL,
    title VARCHAR NOT NULL,
    opens_at TIMESTAMP NOT NULL,   -- naive UTC
    closes_at TIMESTAMP NOT NULL,  -- naive UTC
    audience VARCHAR NOT NULL CHECK (audience IN ('group', 'staff')),
    respondent_groups VARCHAR[] NOT NULL DEFAULT [],
    access_mode VARCHAR NOT NULL CHECK (access_mode IN ('link', 'codes')),
    token VARCHAR NOT NULL UNIQUE,
    closed_early BOOLEAN NOT NULL DEFAULT false,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Hashes of single-use codes. Deliberately no link to responses.
CREATE TABLE round_codes (
    round_id INTEGER NOT NULL,
    code_hash VARCHAR NOT NULL,
    used BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (round_id, code_hash)
);

-- Anonymous answers: the round, six scores, optional group and comment. No time,
-- no session, no code, no sequential id (response_key is random).
CREATE TABLE responses (
    response_key UUID NOT NULL DEFAULT gen_random_uuid(),
    round_id INTEGER NOT NULL,
    cohesion TINYINT NOT NULL CHECK (cohesion BETWEEN 1 AND 5),
    flexibility TINYINT NOT NULL CHECK (flexibility BETWEEN 1 AND 5),
    availability TINYINT NOT NULL CHECK (availability BETWEEN 1 AND 5),
    focus TINYINT NOT NULL CHECK (focus BETWEEN 1 AND 5),
    trust TINYINT NOT NULL CHECK (trust BETWEEN 1 AND 5),
    fairness TINYINT NOT NULL CHECK (fairness BETWEEN 1 AND 5),
    respondent_group VARCHAR,
    comment VARCHAR CHECK (comment IS NULL OR length(comment) <= 1000)
);
