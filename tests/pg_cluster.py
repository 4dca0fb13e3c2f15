"""A throwaway PostgreSQL cluster for the tests: servicetjek.local_postgres (Debian's binaries,
loopback only, as the `postgres` user when root) in a temp dir, on a free port in PORTS.
Each test gets a fresh database copied from a migrated template (~50 ms).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
from pathlib import Path

from servicetjek import db as dbmod
from servicetjek.local_postgres import LocalPostgres, binaries

PORTS = range(55400, 55450)
TEMPLATE = "servicetjek_template"


def available() -> bool:
    return binaries() is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


class Cluster(LocalPostgres):
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="servicetjek-pg-"))
        super().__init__(self.root, _free_port(), database=TEMPLATE)
        self._names = itertools.count(1)

    def start(self) -> str:
        super().start()
        # Throwaway data: no waiting for the disk (reloadable settings, so after the start).
        for statement in ("ALTER SYSTEM SET fsync = off", "ALTER SYSTEM SET synchronous_commit = off",
                          "SELECT pg_reload_conf()"):
            self.sql(statement)
        dbmod.open_database(self.url).close()  # the template, migrated once
        return self.url

    def url_of(self, database: str) -> str:
        return f"{self.url.rsplit('/', 1)[0]}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url_of(database), autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def fresh_database(self) -> str:
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url_of(name)

    def drop(self, url: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
