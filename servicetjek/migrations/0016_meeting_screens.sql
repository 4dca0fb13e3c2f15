-- What every screen of a running meeting shows (issue 13): the facilitator's laptop or phone
-- drives it, the projector follows. The speaker timer is started and stopped by the
-- facilitator (one turn at a time, for the step it belongs to); slide_round is the round whose
-- results are on the wall, NULL while the meeting's steps are. A table of its own: what the
-- screens show changes every minute and is no edit of the meeting (no version, no conflict).
CREATE TABLE meeting_screens (
    meeting_id INTEGER PRIMARY KEY,
    speaker_step INTEGER,
    speaker_turn INTEGER NOT NULL DEFAULT 0,
    speaker_started_at TIMESTAMP,
    slide_round INTEGER
);
