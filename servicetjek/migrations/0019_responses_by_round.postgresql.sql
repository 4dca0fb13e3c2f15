-- Every read of one round's answers (settle, results, counts) finds them by round: without
-- this index PostgreSQL scans all answers each time (a million answers: ~0.13 s per round,
-- and a SERIALIZABLE scan of the whole table makes concurrent closes of different rounds
-- conflict). DuckDB scans its columns fast enough and needs none. The index holds the
-- round and the row's place only, in the heap's order (shuffled at each close).
CREATE INDEX responses_by_round ON responses (round_id);
