-- Workshop rounds (issue 13): the working-environment group fills in the form together to
-- align expectations. Such a round is explicitly NOT anonymous: every answer is shown from the
-- first one. A table of its own, because the rounds table is referenced by foreign keys
-- (DuckDB cannot alter it) and its audience CHECK allows only 'group' and 'staff'.
CREATE TABLE workshop_rounds (
    round_id INTEGER PRIMARY KEY
);
