"""Command line: `python -m servicetjek.cli migrate` creates or migrates the database."""

from __future__ import annotations

import sys

from servicetjek.db import Database, database_path


def main(argv: list[str]) -> int:
    if argv[:1] != ["migrate"]:
        print("usage: python -m servicetjek.cli migrate", file=sys.stderr)
        return 2
    db = Database(database_path())
    print(f"{database_path()}: {', '.join(db.applied) if db.applied else 'up to date'}")
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
