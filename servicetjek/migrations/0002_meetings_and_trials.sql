-- Meetings (single-theme and dialogue), time per step, and the trial board.
CREATE SEQUENCE meeting_ids START 1;
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY DEFAULT nextval('meeting_ids'),
    department_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('single', 'dialogue')),
    title VARCHAR NOT NULL,
    starts_at TIMESTAMP NOT NULL,            -- local wall-clock time, Europe/Copenhagen
    place VARCHAR NOT NULL DEFAULT '',
    facilitators VARCHAR NOT NULL DEFAULT '',
    participants INTEGER NOT NULL CHECK (participants BETWEEN 1 AND 500),
    themes VARCHAR[] NOT NULL,
    decision VARCHAR NOT NULL CHECK (decision IN ('A', 'B')),
    welcome_minutes INTEGER NOT NULL DEFAULT 5,
    break_minutes INTEGER NOT NULL DEFAULT 0,
    facilitator_chosen BOOLEAN NOT NULL DEFAULT false,
    agenda_sent BOOLEAN NOT NULL DEFAULT false,
    status VARCHAR NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'running', 'done')),
    current_step INTEGER NOT NULL DEFAULT 0,
    decision_note VARCHAR NOT NULL DEFAULT '',
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE meeting_step_times (
    meeting_id INTEGER NOT NULL,
    step_index INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    PRIMARY KEY (meeting_id, step_index)
);

CREATE SEQUENCE trial_ids START 1;
CREATE TABLE trials (
    id INTEGER PRIMARY KEY DEFAULT nextval('trial_ids'),
    department_id INTEGER NOT NULL,
    meeting_id INTEGER,
    theme VARCHAR NOT NULL,
    what VARCHAR NOT NULL,
    why VARCHAR NOT NULL DEFAULT '',
    how VARCHAR NOT NULL DEFAULT '',
    who VARCHAR NOT NULL DEFAULT '',
    adjustments VARCHAR NOT NULL DEFAULT '',
    status VARCHAR NOT NULL DEFAULT 'proposed',
    purpose VARCHAR,        -- 2×2 sorting in a dialogue meeting: 'similar' | 'different'
    timing VARCHAR,         -- 'same' | 'different'
    chosen BOOLEAN NOT NULL DEFAULT false,
    start_date DATE,
    weeks INTEGER NOT NULL DEFAULT 6,
    rhythm VARCHAR NOT NULL DEFAULT 'weeks_2_4',
    follow_up DATE,
    outcome_reason VARCHAR NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE trial_history (
    trial_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    changed_by VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    change VARCHAR NOT NULL,
    PRIMARY KEY (trial_id, version)
);

CREATE TABLE trial_checkins (
    trial_id INTEGER NOT NULL,
    due DATE NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('checkin', 'decision')),
    done_by VARCHAR,
    done_at TIMESTAMP,
    learned VARCHAR NOT NULL DEFAULT '',
    continue_with VARCHAR NOT NULL DEFAULT '',
    adjust VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (trial_id, due, kind)
);

CREATE TABLE board_links (
    department_id INTEGER PRIMARY KEY,
    token VARCHAR NOT NULL UNIQUE
);
