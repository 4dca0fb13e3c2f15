"""The domain speaks one SQL that DuckDB and PostgreSQL both run (servicetjek/db.py): DuckDB-only
constructs are caught here by name, before the PostgreSQL pass of `make test` trips over them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "servicetjek"
# The engines themselves, what is about DuckDB files only (holding files, file backups), and
# the nginx configuration (its `$variables` are no SQL).
NOT_DOMAIN_SQL = {"db.py", "pg.py", "holding.py", "backup.py", "front.py"}
DUCKDB_ONLY = {
    "list_contains(": r"list_contains\(",
    "GROUP BY ALL": r"GROUP BY ALL",
    "INSERT OR IGNORE/REPLACE": r"INSERT OR (IGNORE|REPLACE)",
    "date_diff(": r"date_diff\(",
    "any_value(": r"any_value\(",
    "list( aggregate": r"\blist\(\w+ ORDER BY",
    "* EXCLUDE": r"\* EXCLUDE",
    "`$name` parameter": r"[\s(]\$[a-z_]+\b",
    "`::` cast": r"\w::[A-Z]",
    "import duckdb / psycopg": r"^\s*(import|from) (duckdb|psycopg)",
}


def test_domain_modules_speak_portable_sql():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name in NOT_DOMAIN_SQL:
            continue
        text = path.read_text(encoding="utf-8")
        for name, pattern in DUCKDB_ONLY.items():
            for match in re.finditer(pattern, text, re.MULTILINE):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT.parent)}:{line}: {name}")
    assert not found, "DuckDB-only SQL in the domain (see servicetjek/db.py):\n" + "\n".join(found)
