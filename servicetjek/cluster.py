"""`make cluster N=2`: several app servers on this machine, for a trial (issue 16).

Starts a throwaway PostgreSQL on loopback (servicetjek.local_postgres; its data stays under
--folder between runs), applies the migrations once, then runs the production front with N
Streamlit processes behind nginx (servicetjek.front). For several machines see
docs/scaling.md: a managed PostgreSQL, the proxy's upstreams and shared secrets.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from servicetjek import front
from servicetjek.local_postgres import LocalPostgres


def deployment_secret(folder: Path) -> str:
    """SERVICETJEK_SECRET for every app server: it seals open rounds' answers in PostgreSQL
    (servicetjek/sealed.py), so it lives beside the database, never in it; kept between runs."""
    path = folder / "secret"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicetjek.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-servers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5433)
    parser.add_argument("--folder", type=Path, default=Path("data/cluster"))
    args, streamlit_args = parser.parse_known_args(argv)
    folder = args.folder.resolve()
    os.environ.setdefault("SERVICETJEK_SECRET", deployment_secret(folder))
    with LocalPostgres(folder / "postgres", args.pg_port) as pg:
        os.environ["SERVICETJEK_DB"] = pg.url
        # Once, before the app servers start (each would otherwise wait for the migration lock).
        subprocess.run([sys.executable, "-m", "servicetjek.cli", "migrate"], check=True)
        print(f"servicetjek: PostgreSQL on 127.0.0.1:{args.pg_port} (data in {args.folder})", flush=True)
        return front.run(args.port, args.address, streamlit_args=streamlit_args, app_servers=args.app_servers)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
