-- Per-round sums of the settled answers (servicetjek/totals.py), kept in the transaction
-- that inserts a round's answers: the organisation's dashboard reads a few thousand rows
-- instead of every answer (a million answers: a full scan took 0.2 s on PostgreSQL, 0.05 s
-- on DuckDB, several times per dashboard run). Sums of what `responses` holds in clear.
CREATE TABLE round_totals (
    round_id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    s_cohesion INTEGER NOT NULL,
    q_cohesion INTEGER NOT NULL,
    s_flexibility INTEGER NOT NULL,
    q_flexibility INTEGER NOT NULL,
    s_availability INTEGER NOT NULL,
    q_availability INTEGER NOT NULL,
    s_focus INTEGER NOT NULL,
    q_focus INTEGER NOT NULL,
    s_trust INTEGER NOT NULL,
    q_trust INTEGER NOT NULL,
    s_fairness INTEGER NOT NULL,
    q_fairness INTEGER NOT NULL
);
INSERT INTO round_totals SELECT round_id, count(*), sum(CAST(cohesion AS INTEGER)), sum(CAST(cohesion AS INTEGER) * cohesion), sum(CAST(flexibility AS INTEGER)), sum(CAST(flexibility AS INTEGER) * flexibility), sum(CAST(availability AS INTEGER)), sum(CAST(availability AS INTEGER) * availability), sum(CAST(focus AS INTEGER)), sum(CAST(focus AS INTEGER) * focus), sum(CAST(trust AS INTEGER)), sum(CAST(trust AS INTEGER) * trust), sum(CAST(fairness AS INTEGER)), sum(CAST(fairness AS INTEGER) * fairness) FROM responses GROUP BY round_id;
