"""A throwaway PostgreSQL on loopback, from Debian's postgresql package: for trying several
app servers on one machine (`make cluster`) and for the tests. Production uses a managed or
properly installed PostgreSQL; see docs/scaling.md.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user
(created by Debian's package) in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from servicetjek.front import free_port


def scratch_folder(prefix: str) -> Path:
    """A fresh temp folder that PostgreSQL's own user (as root: postgres) can work below."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def binaries() -> Path | None:
    """The newest installed server's bin directory, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def let_postgres_reach(folder: Path) -> None:
    """As root, the `postgres` user must pass through the folders above its own (a private
    temp dir or data/ is 0700): they get the traverse bit for others, never read access."""
    for parent in Path(folder).resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class LocalPostgres:
    """`with LocalPostgres(folder, port) as pg: pg.url` – started fresh or reused, stopped at exit."""

    def __init__(self, folder: Path, port: int | None = None, database: str = "servicetjek"):
        """`port`: None picks a free one, and another if it is taken before PostgreSQL binds it."""
        self.folder = Path(folder)
        self.data = self.folder / "pgdata"
        self.port = port or free_port()
        self._port_chosen = port is None
        self.database = database
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            let_postgres_reach(self.folder)
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8",
                      "--no-sync", "--locale=C.UTF-8")
        for attempt in range(3):
            log = self._start_server()
            if log is None:
                break
            if not (self._port_chosen and "Address already in use" in log) or attempt == 2:
                raise RuntimeError("PostgreSQL did not start: " + log)
            self.port = free_port()  # another process took the port in the meantime
        self._create_database()
        return self.url

    def _start_server(self) -> str | None:
        """Start the server; None when it runs, else the end of its log."""
        # Loopback only, no Unix socket in a shared folder; fsync stays on (crash tests rely on it).
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c max_connections=200"
        started = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-o", options,
                            "-w", "-t", "120", "start", check=False)
        if started.returncode == 0:
            return None
        return " / ".join((self.data / "server.log").read_text(errors="replace").strip().splitlines()[-3:])

    def _create_database(self) -> None:
        deadline = time.time() + 30
        while True:
            done = self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                             self.database, check=False)
            if done.returncode == 0 or "already exists" in done.stderr:
                return
            if time.time() > deadline:
                raise RuntimeError(f"createdb failed: {done.stderr.strip()}")
            time.sleep(0.2)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
