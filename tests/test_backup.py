import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from poolcrm import clock
from poolcrm.backup import backup, manifest_path, restore, verify
from poolcrm.jobs.backups import backup_status, prune
from poolcrm.jobs.models import BackupRun
from poolcrm.jobs.service import run_minute_steps
from poolcrm.notify.models import Notification
from poolcrm.org.models import User
from poolcrm.policy.service import update_policy

SH = ZoneInfo("Asia/Shanghai")


def test_gov3_backup_and_restore_give_back_an_identical_database(database, make_user, tmp_path):
    make_user("keeper", display_name="保留的用户")
    dump = backup(database.url, tmp_path / "backup.dump")
    assert dump.exists() and dump.stat().st_size > 0
    make_user("later", display_name="备份后新增")
    database.dispose()
    restore(database.url, dump)
    with database.transaction(write=False) as s:
        names = sorted(s.scalars(select(User.username)))
        if database.engine.dialect.name == "postgresql":  # planner statistics restored with the rows
            assert s.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'users'")) >= 1
    assert names == ["keeper"]


def test_gov3_restore_of_missing_file_fails_cleanly(database, tmp_path):
    with pytest.raises(FileNotFoundError):
        restore(database.url, tmp_path / "missing.dump")


def test_gov3_a_backup_carries_a_manifest_and_verifies_by_restoring_it(database, make_user, tmp_path):
    make_user("keeper")
    dump = backup(database.url, tmp_path / "b.dump")
    counts = json.loads(manifest_path(dump).read_text())["tables"]
    assert counts["users"] == 1 and "tickets" in counts
    result = verify(dump, database.url)
    assert result.ok and result.tables["users"] == (1, 1)


def test_gov3_a_damaged_or_mismatched_backup_is_reported_not_raised(database, make_user, tmp_path):
    make_user("keeper")
    dump = backup(database.url, tmp_path / "b.dump")
    manifest = manifest_path(dump)
    data = json.loads(manifest.read_text())
    data["tables"]["users"] = 7
    manifest.write_text(json.dumps(data))
    wrong = verify(dump, database.url)
    assert not wrong.ok and wrong.mismatches == ["users"]
    dump.write_bytes(b"garbage" * 100)
    broken = verify(dump, database.url)
    assert not broken.ok and broken.problem
    assert not verify(tmp_path / "missing.dump", database.url).ok


def test_gov3_scheduled_backup_runs_once_a_day_keeps_the_latest_and_shows_on_the_dashboard(
    database, make_user, tmp_path
):
    admin = make_user("admin", ["admin"], dept="总经办", kind="other")
    folder = tmp_path / "backups"
    with database.transaction() as s:
        update_policy(s, admin, {"backup_dir": str(folder), "backup_time": "02:30", "backup_keep": 2})
    for day in (1, 2, 3):
        clock.set_now(datetime(2026, 12, day, 2, 0, tzinfo=SH), frozen=True)
        assert run_minute_steps(database)["jobs.scheduled_backup"] == []  # not yet 02:30
        clock.set_now(datetime(2026, 12, day, 2, 31, tzinfo=SH), frozen=True)
        assert len(run_minute_steps(database)["jobs.scheduled_backup"]) == 1
        assert run_minute_steps(database)["jobs.scheduled_backup"] == []  # once a day
    kept = sorted(p.name for p in folder.glob("poolcrm-*") if not p.name.endswith(".json"))
    assert len(kept) == 2 and kept[-1].startswith("poolcrm-20261203-0231")
    assert verify(folder / kept[-1], database.url).ok
    with database.transaction(write=False) as s:
        runs = s.scalars(select(BackupRun).order_by(BackupRun.id)).all()
        assert [r.ok for r in runs] == [True, True, True] and runs[-1].size > 0
        status = backup_status(s)
        assert status["configured"] and not status["attention"]


def test_gov3_a_failed_backup_is_recorded_retried_at_most_three_times_and_tells_the_admins(
    database, make_user, tmp_path
):
    admin = make_user("admin", ["admin"], dept="总经办", kind="other")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with database.transaction() as s:
        update_policy(s, admin, {"backup_dir": str(blocker / "sub"), "backup_time": "00:00"})
    clock.set_now(datetime(2026, 12, 2, 3, 0, tzinfo=SH), frozen=True)
    for _ in range(5):
        run_minute_steps(database)
    with database.transaction(write=False) as s:
        runs = s.scalars(select(BackupRun)).all()
        assert len(runs) == 3 and not any(r.ok for r in runs) and runs[0].error
        notes = s.scalars(select(Notification).where(Notification.kind == "backup.failed")).all()
        assert [n.user_id for n in notes] == [admin]
        assert backup_status(s)["attention"]


def test_gov3_retention_by_days_removes_old_scheduled_backups_but_never_the_newest(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    names = ["poolcrm-20261101-0230.db", "poolcrm-20261125-0230.db", "poolcrm-20261202-0230.db", "mine.db"]
    for name in names:
        (folder / name).write_bytes(b"x")
    gone = prune(folder, keep=10, keep_days=7, today=date(2026, 12, 3))
    assert sorted(p.name for p in gone) == ["poolcrm-20261101-0230.db", "poolcrm-20261125-0230.db"]
    assert sorted(p.name for p in folder.iterdir()) == ["mine.db", "poolcrm-20261202-0230.db"]
    assert prune(folder, keep=10, keep_days=1, today=date(2027, 1, 1)) == []  # the newest stays


BALLAST = (
    "INSERT INTO ballast (pad) SELECT hex(randomblob(500)) FROM "
    "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n)"
)


def test_gov3_sqlite_backup_finishes_while_the_app_keeps_writing(tmp_path):
    """The online backup API restarted from page one on every commit of another connection, so a
    busy database never finished; the backup is now one snapshot and writers are not held up."""
    import threading
    import time

    from sqlalchemy import text

    from poolcrm.db import Database, create_schema

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    db = Database(url)
    create_schema(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE ballast (id INTEGER PRIMARY KEY, pad TEXT)"))
        conn.execute(text(BALLAST))
    stop, waits = threading.Event(), []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            t = time.perf_counter()
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO ballast (pad) VALUES (:p)"), {"p": f"w{n}"})
            waits.append(time.perf_counter() - t)
            n += 1
            time.sleep(0.002)

    thread = threading.Thread(target=writer)
    thread.start()
    done: list[object] = []
    runner = threading.Thread(target=lambda: done.append(backup(url, tmp_path / "copy.db")))
    runner.start()
    runner.join(60)
    stop.set()
    thread.join()
    db.dispose()
    assert done, "the backup did not finish while the app was writing"
    assert verify(tmp_path / "copy.db").ok and max(waits) < 0.5
