"""A throwaway PostgreSQL cluster for the tests (Debian's postgresql-15 binaries).

initdb in a temp dir, listening on 127.0.0.1 only, on a free port in PORTS. PostgreSQL
refuses to run as root: as root the cluster belongs to the `postgres` system user (runuser).
Each test gets a fresh database copied from a migrated template.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("SERVICETJEK_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORTS = range(55400, 55450)
USER = "servicetjek"
TEMPLATE = "servicetjek_template"


def available() -> bool:
    return (BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


class Cluster:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="servicetjek-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        settings = ["-c listen_addresses=127.0.0.1", f"-c port={self.port}", f"-c unix_socket_directories={self.root}",
                    "-c fsync=off", "-c synchronous_commit=off", "-c max_connections=200"]
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o", " ".join(settings), "start")
        self._names = itertools.count(1)
        self.admin_url = self.url("postgres")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as_owner, str(BIN / tool), *args], check=True, capture_output=True, cwd=self.root)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def make_template(self) -> None:
        """A migrated database that fresh test databases are copied from."""
        from servicetjek import db as dbmod

        self.sql(f"CREATE DATABASE {TEMPLATE}")
        dbmod.open_database(self.url(TEMPLATE)).close()

    def fresh_database(self) -> str:
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def drop(self, url: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
