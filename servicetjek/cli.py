"""The `servicetjek` command (also `python -m servicetjek.cli`): serve, migrate, demo, backup, restore.

DuckDB lets one process open the database file, so `migrate`, `demo`, `backup` and
`restore` work while the app is stopped. The running app makes its own backups
(servicetjek.backup.BackupScheduler) and an admin downloads them from the settings page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from servicetjek.db import database_target, driver_errors, is_postgres, open_database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servicetjek", description="Servicetjek: a service check for the hybrid workplace.",
        epilog="The database is the file named by SERVICETJEK_DB (default: data/servicetjek.duckdb), "
               "or the PostgreSQL database of a postgresql:// URL there.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("serve", help="start the web app as `make run` does: nginx in front when installed "
                                 "(serve --help for --port, --address, TLS; other options go to Streamlit)")
    sub.add_parser("migrate", help="create the database or apply pending migrations")
    demo = sub.add_parser("demo", help="fill the database with a demo organisation")
    demo.add_argument("--reset", action="store_true", help="delete the database file first")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--size", type=int, default=1)
    backup = sub.add_parser("backup", help="write a backup of the database to FILE (app stopped)")
    backup.add_argument("file", type=Path, metavar="FILE")
    restore = sub.add_parser("restore", help="replace the database with the backup FILE (app stopped)")
    restore.add_argument("file", type=Path, metavar="FILE")
    return parser


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        from servicetjek import front  # its own options; the rest go to Streamlit

        return front.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from servicetjek import demo

        demo.main(["--seed", str(args.seed), "--size", str(args.size), *(["--reset"] if args.reset else [])])
        return 0
    target = database_target()
    shown = "PostgreSQL" if is_postgres(target) else target  # a URL may carry a password
    if args.command == "migrate":
        db = open_database(target)
        print(f"{shown}: {', '.join(db.applied) if db.applied else 'up to date'}")
        db.close()
        return 0
    if is_postgres(target):
        raise ValueError("on PostgreSQL, back up and restore with pg_dump and pg_restore (README: PostgreSQL)")
    from servicetjek import backup

    if args.command == "backup":
        db = open_database(target)
        try:
            backup.make_backup(db, args.file)
        finally:
            db.close()
        print(f"backup of {target} written to {args.file}")
        return 0
    previous = backup.restore(args.file, Path(target))
    kept = f"; the replaced file is kept as {previous}" if previous else ""
    print(f"{target} restored from {args.file}{kept}")
    return 0


def run() -> None:
    """Entry point of the installed `servicetjek` command."""
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError, *driver_errors()) as error:
        # Typically: the file is missing, or the app is running and holds the database.
        print(f"servicetjek: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    run()
