"""`Database.load_transaction`: the demo company's unit of work, under SQLite's rollback journal
when the file is open nowhere else, and as whole as any other transaction (GOV-2)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.db import CONNECTIONS_PER_PROCESS, REQUEST_SLOTS, Database, make_engine
from poolcrm.org.models import Department


def _file_db(tmp_path: Path, template: Path) -> Database:
    path = tmp_path / "load.db"
    shutil.copy(template, path)
    return Database(f"sqlite:///{path}")


def _pragma(db: Database, name: str) -> object:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def _departments(db: Database) -> list[str]:
    with db.transaction(write=False) as s:
        return list(s.scalars(select(Department.name).order_by(Department.id)))


def _add_department(s: Session, name: str) -> None:
    s.add(Department(name=name, kind="sales", created_at=clock.now()))


def test_load_transaction_runs_under_the_rollback_journal_then_wal_again(tmp_path, _sqlite_template):
    db = _file_db(tmp_path, _sqlite_template)
    _departments(db)  # a pooled connection is open: the load closes it first
    with db.load_transaction() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL while loading
        _add_department(s, "销售一部")
    assert _pragma(db, "journal_mode") == "wal"
    assert _pragma(db, "synchronous") == 1  # NORMAL again, on the same pooled connection
    assert _departments(db) == ["销售一部"]
    db.dispose()


def test_a_connection_that_cannot_be_restored_is_discarded(tmp_path, _sqlite_template, monkeypatch):
    """Should WAL or NORMAL fail to come back on the load's connection, it is not reused: the
    next connection sets them itself."""
    db = _file_db(tmp_path, _sqlite_template)
    monkeypatch.setattr("poolcrm.db._sqlite_restore", lambda raw: False)
    with db.load_transaction() as s:
        _add_department(s, "销售一部")
    assert _pragma(db, "journal_mode") == "wal"
    assert _pragma(db, "synchronous") == 1
    assert _departments(db) == ["销售一部"]
    db.dispose()


def test_load_transaction_rolls_back_everything_on_error(tmp_path, _sqlite_template):
    db = _file_db(tmp_path, _sqlite_template)
    with pytest.raises(RuntimeError), db.load_transaction() as s:
        _add_department(s, "销售一部")
        s.flush()
        raise RuntimeError("boom")
    assert _departments(db) == []
    assert _pragma(db, "journal_mode") == "wal"
    db.dispose()


def test_load_transaction_stays_in_wal_when_the_file_is_open_elsewhere(tmp_path, _sqlite_template):
    db = _file_db(tmp_path, _sqlite_template)
    other = Database(db.url)  # a server on the same file, say
    with other.transaction(write=False) as reader:
        reader.execute(text("SELECT count(*) FROM departments")).scalar()
        with db.load_transaction() as s:
            assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert s.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 1
            _add_department(s, "销售一部")
    assert _departments(other) == ["销售一部"]
    other.dispose()
    db.dispose()


def test_a_connection_made_during_a_load_reads_beside_it_then_waits_for_its_commit(
    tmp_path, _sqlite_template
):
    """A server started while the demo loads: its connections cannot set WAL then, and must
    still work: before the load spills into the file they read the old state; afterwards they
    wait for the commit (busy_timeout) and read the load."""
    db = _file_db(tmp_path, _sqlite_template)
    with db.load_transaction() as s:
        _add_department(s, "销售一部")
        s.flush()
        early = Database(db.url)
        assert _departments(early) == []  # beside the load, no "database is locked"
        conn = s.connection()
        conn.exec_driver_sql("PRAGMA cache_size=10")
        conn.execute(
            insert(Department),
            [
                {"name": f"部门{i}" + "甲" * 200, "kind": "sales", "created_at": clock.now()}
                for i in range(3000)
            ],
        )  # spilled: the load now holds the file exclusively
        late = Database(db.url)
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(len(_departments(late))))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive()  # waiting for the commit
    reader.join(60)
    assert seen == [3001]
    assert len(_departments(early)) == 3001
    assert _pragma(late, "journal_mode") == _pragma(early, "journal_mode") == "wal"
    for other in (early, late, db):
        other.dispose()


def test_a_load_killed_midway_leaves_nothing_written(tmp_path, _sqlite_template):
    """The process dies after the load has spilled pages into the file: the next connection
    finds the hot journal and rolls the whole load back."""
    db = _file_db(tmp_path, _sqlite_template)
    with db.transaction() as s:
        _add_department(s, "已有部门")
    db.dispose()
    path = Path(db.url.removeprefix("sqlite:///"))
    size_before = path.stat().st_size
    child = textwrap.dedent(
        f"""
        import os
        from sqlalchemy import text
        from poolcrm.db import Database
        db = Database({db.url!r})
        with db.load_transaction() as s:
            conn = s.connection()
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
            conn.exec_driver_sql("PRAGMA cache_size=10")  # spill pages into the file as it goes
            for i in range(3000):
                conn.execute(
                    text(
                        "INSERT INTO departments (name, kind, active, created_at) "
                        "VALUES (:n, 'sales', 1, '2026-11-25 00:00:00')"
                    ),
                    {{"n": f"部门{{i}}" + "甲" * 200}},
                )
            os._exit(3)  # killed before the commit
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert path.with_name(path.name + "-journal").exists()  # the hot journal
    assert path.stat().st_size > size_before  # pages of the load did reach the file
    again = Database(db.url)
    assert _departments(again) == ["已有部门"]
    assert _pragma(again, "integrity_check") == "ok"
    assert _pragma(again, "journal_mode") == "wal"
    again.dispose()


def test_load_transaction_commits_and_rolls_back_like_a_transaction(database):
    with database.load_transaction() as s:
        _add_department(s, "销售一部")
    with pytest.raises(RuntimeError), database.load_transaction() as s:
        _add_department(s, "销售二部")
        s.flush()
        raise RuntimeError("boom")
    assert _departments(database) == ["销售一部"]


def test_a_postgresql_connection_plans_for_its_values_without_jit(database):
    """Every connection plans each statement for its values and compiles nothing: a capped count
    over a dense posting spent 82 of 86 ms in JIT at 10,000,000 customers (issue 22)."""
    if not database.url.startswith("postgresql"):
        pytest.skip("PostgreSQL settings")
    with database.transaction(write=False) as s:
        assert s.scalar(text("SHOW jit")) == "off"
        assert s.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"


def test_vacuum_after_a_bulk_load_visits_the_tables_on_postgresql(database):
    """`Database.vacuum` (the demo's last step after a large fill) vacuums and analyzes outside a
    transaction on PostgreSQL, and is nothing on SQLite."""
    database.vacuum(Department.__table__)
    if database.url.startswith("postgresql"):
        with database.transaction(write=False) as s:
            row = s.execute(
                text(
                    "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'departments'"
                )
            ).one()
        assert row.last_vacuum is not None and row.last_analyze is not None


def test_a_pooled_connection_the_server_ended_is_replaced_without_a_ping_per_checkout(database, monkeypatch):
    """An administrator ends every idle connection of the pool (as a server restart would); the next
    transactions get fresh connections and succeed — and a healthy checkout sends no `SELECT 1`
    (`db._still_connected`, issue 22: a round trip per request saved)."""
    if not database.url.startswith("postgresql"):
        pytest.skip("PostgreSQL connections")
    sessions = [database.session(write=False) for _ in range(3)]
    pids = {s.scalar(text("SELECT pg_backend_pid()")) for s in sessions}
    for s in sessions:
        s.close()  # back to the pool, idle
    assert len(pids) == 3
    admin = Database(database.url)
    try:
        with admin.transaction() as s:
            ended = s.scalars(
                text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                {"pids": sorted(pids)},
            ).all()
        assert ended == [True, True, True]
        for _ in range(200):  # the backends end a moment after the signal: wait until they are gone
            with admin.transaction(write=False) as s:
                left = s.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS int[]))"),
                    {"pids": sorted(pids)},
                )
            if not left:
                break
            time.sleep(0.05)
    finally:
        admin.dispose()
    pings: list[object] = []
    monkeypatch.setattr(database.engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    for _ in range(4):
        with database.transaction(write=False) as s:
            assert s.scalar(text("SELECT pg_backend_pid()")) not in pids
    assert pings == []


def test_a_postgresql_process_runs_a_handful_of_requests_at_once(monkeypatch, caplog):
    """Issue 22: a process runs `REQUEST_SLOTS` (6) requests against PostgreSQL at once unless
    `POOLCRM_DB_REQUESTS` says otherwise (at most 25); its connections stay at most
    `CONNECTIONS_PER_PROCESS` (the overflow, 10 or more, serves the scheduler, the sender and
    second sessions). A setting that is not a
    number in range is said in the log and the default used."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # no connection is opened here
    monkeypatch.delenv("POOLCRM_DB_REQUESTS", raising=False)
    pool = make_engine(url).pool
    assert pool.size() == REQUEST_SLOTS == 6
    assert pool.size() + pool._max_overflow == CONNECTIONS_PER_PROCESS  # type: ignore[attr-defined]
    for wanted in ("12", "25"):
        monkeypatch.setenv("POOLCRM_DB_REQUESTS", wanted)
        pool = make_engine(url).pool
        assert pool.size() == int(wanted)
        assert pool.size() + pool._max_overflow == CONNECTIONS_PER_PROCESS  # type: ignore[attr-defined]
    for bad in ("0", "-3", "lots", "26", "9" * 40):
        monkeypatch.setenv("POOLCRM_DB_REQUESTS", bad)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="poolcrm.db"):
            assert make_engine(url).pool.size() == REQUEST_SLOTS
        assert "POOLCRM_DB_REQUESTS" in caplog.text
