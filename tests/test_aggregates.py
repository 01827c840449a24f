"""LIST-3 (`db.cached_aggregate`): a company-wide dashboard figure is reused for AGGREGATE_TTL_S,
then counted again; and the one row lock (`db.for_update`) does not hold up
the rows that only point at the locked one (PostgreSQL, issue 22)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text

from poolcrm import clock, db
from poolcrm.audit.models import AuditEntry
from poolcrm.db import Database, cached_aggregate, for_update
from poolcrm.org.models import Department, User


def _counter(database: Database) -> tuple[Callable[[], int], list[int]]:
    calls: list[int] = []

    def count() -> int:
        with database.transaction(write=False) as s:
            return cached_aggregate(s, "test.departments", lambda: calls.append(1) or _departments(s))

    return count, calls


def _departments(s: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(Department)) or 0)


def test_list_3_reused_within_the_ttl_then_counted_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)  # the suite counts live (conftest)
    count, calls = _counter(database)
    first = count()
    with database.transaction() as s:  # a write, here or in another process
        s.add(Department(name="华东大区", kind="sales", created_at=clock.now()))
    assert count() == first and len(calls) == 1  # reused: an overview may lag a minute
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 0.0)  # the minute has passed
    assert count() == first + 1 and len(calls) == 2


def test_list_3_kept_per_database(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)
    count, calls = _counter(database)
    count()
    db.forget_aggregates(database.engine)  # the database emptied under the process (tests)
    count()
    assert len(calls) == 2


def test_row_lock_lets_pointing_inserts_through(database: Database, make_user: Callable[..., int]) -> None:
    """While a rep's row is locked (POOL-2 decided for them), an audit entry naming the rep is
    written at once: FOR NO KEY UPDATE leaves foreign-key checks alone (PostgreSQL; SQLite has
    no row locks)."""
    if database.sqlite:
        pytest.skip("row locks are PostgreSQL's")
    rep = make_user("rep", ["sales"])
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:
        with database.transaction() as s:
            s.execute(for_update(select(User.id).where(User.id == rep)))
            locked.set()
            release.wait(30)

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert locked.wait(30)
        with database.transaction() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))  # a plain FOR UPDATE would time out here
            s.add(AuditEntry(at=clock.now(), actor_id=rep, action="test", object_type="user", object_id=rep))
        with database.transaction(write=False) as s:
            written = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test")
            assert s.scalar(written) == 1
    finally:
        release.set()
        t.join(30)


def test_list_3_keeps_the_most_recently_used_figures(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's LIST-4 figure is kept per term, and terms are what anyone types: the process keeps
    `AGGREGATES_KEPT` figures per database, the least recently used going first."""
    monkeypatch.setattr(db, "AGGREGATE_TTL_S", 60.0)
    monkeypatch.setattr(db, "AGGREGATES_KEPT", 2)
    computed: list[str] = []

    def figure(key: str) -> str:
        with database.transaction(write=False) as s:
            return cached_aggregate(s, key, lambda: computed.append(key) or key)

    for key in ("a", "b", "a", "c", "a", "b"):
        figure(key)
    assert computed == ["a", "b", "c", "b"]  # "b" went when "c" came; "a", used since, stayed
