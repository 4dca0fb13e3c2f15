-- Read-only results links (issue 13): a facilitator may share one round's released figures
-- with the employees by link. No row, no link: "Stop deling" deletes the row.
CREATE TABLE result_links (
    round_id INTEGER PRIMARY KEY,
    token VARCHAR NOT NULL UNIQUE
);
