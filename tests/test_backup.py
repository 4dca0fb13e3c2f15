"""Online backup and restore: fresh files, every acknowledged answer, no arrival order, admins only."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from servicetjek import backup, cli, holding, org, rounds
from servicetjek.content import THEME_IDS
from servicetjek.db import Database
from servicetjek.errors import PermissionDenied
from tests.test_pages import login

pytestmark = pytest.mark.duckdb_only(reason="the app's own backups are DuckDB files; PostgreSQL has pg_dump")

ROOT = Path(__file__).resolve().parent.parent


def _open_round(db, people, org_tree):
    now = datetime.now(rounds.LOCAL_TZ)
    r, _ = rounds.create(db, people["admin"], org_tree["A1"], "Backup", now - timedelta(hours=1),
                         now + timedelta(days=3))
    return r


def _answer(db, token, comment):
    rounds.submit(db, token, dict.fromkeys(THEME_IDS, 3), comment=comment, session_key=comment)


def _comments(path: Path) -> list[str]:
    """Every answer's comment, settled (in storage order: rowid follows insertion) or held."""
    db = Database(path)
    try:
        settled = [row[0] for row in db.query("SELECT comment FROM responses ORDER BY rowid")]
        if db.query("SELECT 1 FROM duckdb_tables() WHERE table_name = 'held_answers'"):  # a backup file
            settled += [row[0] for row in db.query("SELECT comment FROM held_answers ORDER BY rowid")]
        held = [row[-1] for (round_id,) in db.query("SELECT id FROM rounds")
                for row in holding.for_database(db).held_rows(round_id)]
        return settled + held
    finally:
        db.close()


def test_backup_during_a_rating_burst_restores_every_acknowledged_answer(db, org_tree, people, tmp_path):
    r = _open_round(db, people, org_tree)
    acknowledged: list[tuple[float, str]] = []
    lock, stop = threading.Lock(), threading.Event()

    def rater(n: int) -> None:
        i = 0
        while not stop.is_set():
            comment = f"t{n}-{i}"
            _answer(db, r.token, comment)
            with lock:
                acknowledged.append((time.monotonic(), comment))  # the receipt is shown after this
            i += 1

    threads = [threading.Thread(target=rater, args=(n,)) for n in range(6)]
    for th in threads:
        th.start()
    try:
        while len(acknowledged) < 150:
            time.sleep(0.01)
        started = time.monotonic()
        with lock:
            before = {comment for at, comment in acknowledged if at < started}
        backup.make_backup(db, tmp_path / "burst.duckdb")
        while len(acknowledged) < len(before) + 50:  # the burst goes on after the backup
            time.sleep(0.01)
    finally:
        stop.set()
        for th in threads:
            th.join()
    restored = tmp_path / "restored.duckdb"
    backup.restore(tmp_path / "burst.duckdb", restored)
    in_backup = set(_comments(restored))
    assert before <= in_backup, f"{len(before - in_backup)} acknowledged answers missing"
    assert in_backup <= {comment for _, comment in acknowledged}


def test_backup_keeps_no_arrival_order_and_no_deleted_rows(db, org_tree, people, tmp_path):
    r = _open_round(db, people, org_tree)
    arrival = [f"c{i:02}" for i in range(40)]
    for comment in arrival:
        _answer(db, r.token, comment)  # one by one: the live table holds them in arrival order
    db.execute("INSERT INTO settings VALUES ('probe', 'DELETED-SECRET-4711')")
    db.execute("DELETE FROM settings WHERE key = 'probe'")
    wal = Path(db.path + ".wal")
    assert wal.exists() and b"DELETED-SECRET-4711" in wal.read_bytes()  # what a byte copy would carry
    path = backup.make_backup(db, tmp_path / "b.duckdb")
    stored = _comments(path)
    assert sorted(stored) == arrival and stored != arrival
    assert b"DELETED-SECRET-4711" not in path.read_bytes()
    assert not Path(str(path) + ".wal").exists()


def test_restore_replaces_the_database_keeps_the_old_one_and_continues_ids(db, org_tree, people, tmp_path,
                                                                        monkeypatch, capsys):
    r = _open_round(db, people, org_tree)
    for i in range(7):
        _answer(db, r.token, f"r{i}")
    backup.make_backup(db, tmp_path / "b.duckdb")
    target = tmp_path / "live.duckdb"
    monkeypatch.setenv("SERVICETJEK_DB", str(target))
    Database(target).close()  # an empty database that the restore replaces
    assert cli.main(["restore", str(tmp_path / "b.duckdb")]) == 0
    assert "kept as" in capsys.readouterr().out
    assert list(tmp_path.glob("live.duckdb.before-restore-*"))
    restored = Database(target)
    try:
        assert sorted(row[-1] for row in holding.for_database(restored).held_rows(r.id)) == [f"r{i}" for i in range(7)]
        assert rounds.response_count(restored, r.id) == 7  # the open round's answers are held again
        assert restored.query_one("SELECT count(*) FROM users")[0] == 4
        new = org.create(restored, "Ny afdeling")  # sequences continue: no clash with restored ids
        assert new not in org_tree.values()
    finally:
        restored.close()


def test_cli_backup_needs_the_app_stopped(db, tmp_path):
    """DuckDB lets one process open the file: a backup from another process is refused with a message."""
    env = os.environ | {"SERVICETJEK_DB": db.path, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "servicetjek.cli", "backup", str(tmp_path / "x.duckdb")],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "servicetjek:" in result.stderr and "lock" in result.stderr.lower()
    assert not (tmp_path / "x.duckdb").exists()


def test_restore_refuses_a_file_that_is_no_servicetjek_database(tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(ValueError, match="not a Servicetjek database"):
        backup.restore(other, tmp_path / "live.duckdb")
    assert not (tmp_path / "live.duckdb").exists()


def test_schedule_settings_environment_over_secrets_over_database(db, people, monkeypatch, tmp_path):
    plan = backup.schedule(db)
    assert (plan.interval_hours, plan.keep) == (backup.DEFAULT_INTERVAL_HOURS, backup.DEFAULT_KEEP)
    assert plan.directory == Path(db.path).parent / "backups"
    backup.set_schedule(db, people["admin"], 6, 3)
    assert backup.schedule(db).interval_hours == 6 and backup.schedule(db).keep == 3
    assert backup.schedule(db, {"interval_hours": 2, "dir": str(tmp_path / "s")}).interval_hours == 2
    monkeypatch.setenv("SERVICETJEK_BACKUP_INTERVAL_HOURS", "1")
    monkeypatch.setenv("SERVICETJEK_BACKUP_KEEP", "2")
    monkeypatch.setenv("SERVICETJEK_BACKUP_DIR", str(tmp_path / "env"))
    plan = backup.schedule(db, {"interval_hours": 2, "dir": str(tmp_path / "s")})
    assert plan == backup.Schedule(tmp_path / "env", 1.0, 2)
    with pytest.raises(PermissionDenied):
        backup.set_schedule(db, people["facilitator"], 1, 1)
    with pytest.raises(Exception, match="backup_invalid"):
        backup.set_schedule(db, people["admin"], -1, 3)


def test_scheduled_backups_are_pruned_and_timed_from_the_newest(db, tmp_path):
    plan = backup.Schedule(tmp_path / "backups", 24.0, 2)
    made = [backup.backup_now(db, plan, now=datetime(2026, 1, d, 3, 0)) for d in (1, 2, 3)]
    assert backup.backups(plan.directory) == [made[2], made[1]]
    # Only the server's own user may read them (the database's umask covers the backups too).
    assert all(p.stat().st_mode & 0o077 == 0 for p in [plan.directory, *backup.backups(plan.directory)])
    assert backup.taken_at(made[2]) == datetime(2026, 1, 3, 3, 0)
    scheduler = backup.BackupScheduler(db, {"dir": str(plan.directory), "interval_hours": 24})
    assert scheduler.seconds_to_next() == 0  # the newest is months old: due now
    fresh = backup.backup_now(db, plan)
    assert 23.9 * 3600 < scheduler.seconds_to_next() <= 24 * 3600
    assert backup.backups(plan.directory) == [fresh, made[2]]
    for old in backup.backups(plan.directory):
        old.unlink()
    assert scheduler.seconds_to_next() == 24 * 3600  # none yet: one interval after start, not during start-up


def test_one_scheduler_thread_per_process(db):
    first = backup.start_scheduler(db, {"interval_hours": 0})
    try:
        assert backup.start_scheduler(db) is first and first.is_alive() and first.daemon
    finally:
        first.stopped.set()
        first.join(timeout=10)
    assert not first.is_alive()


def test_admin_downloads_the_newest_backup_and_nobody_else_may(db, org_tree, people, monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICETJEK_BACKUP_DIR", str(tmp_path / "b"))
    with pytest.raises(PermissionDenied):
        backup.newest_for_download(db, people["facilitator"])
    with pytest.raises(PermissionDenied):
        backup.backup_now_for(db, people["manager"])
    at = login(db, "admin")
    at.switch_page("pages/admin_settings.py").run()
    assert not at.exception
    assert any("ingen sikkerhedskopi" in i.value for i in at.info)
    at.button(key="backup_now").click().run()
    assert not at.exception
    assert any("Sikkerhedskopien er taget" in s.value for s in at.success)
    newest = backup.newest_for_download(db, people["admin"])
    assert newest is not None and newest.parent == tmp_path / "b"
    assert at.get("download_button")  # the newest backup is offered for download


def test_two_backups_at_the_same_time_both_finish(db, org_tree, people, tmp_path):
    """The scheduler and an admin's 'back up now' may overlap."""
    r = _open_round(db, people, org_tree)
    for i in range(20):
        _answer(db, r.token, f"p{i}")
    errors = []

    def run(name):
        try:
            backup.make_backup(db, tmp_path / name)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"b{i}.duckdb",)) for i in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert all(len(_comments(tmp_path / f"b{i}.duckdb")) == 20 for i in range(3))
