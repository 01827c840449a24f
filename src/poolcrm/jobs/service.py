"""JOB-1: the daily job — each registered step once per date (idempotent), missed days caught
up in order, and on PostgreSQL only one node at a time (advisory lock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import Database
from poolcrm.errors import Conflict
from poolcrm.jobs.models import JobRun
from poolcrm.jobs.registry import steps

ADVISORY_LOCK_ID = 0x706F6F6C  # "pool"
MAX_CATCH_UP_DAYS = 31


@contextmanager
def _leader(db: Database) -> Iterator[bool]:
    """PostgreSQL: a session-level advisory lock elects one runner; SQLite: a single process."""
    if db.sqlite:
        yield True
        return
    with db.engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_ID}).scalar())
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_ID})
                conn.commit()


def dates_to_run(last_done: date | None, as_of: date) -> list[date]:
    """JOB-1: catch up missed days (at most MAX_CATCH_UP_DAYS) up to and including as_of."""
    if last_done is None or last_done >= as_of:
        return [as_of]
    start = max(last_done + timedelta(days=1), as_of - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [start + timedelta(days=i) for i in range((as_of - start).days + 1)]


def run_daily(
    db: Database, as_of: date | None = None, *, actor_id: int | None = None, catch_up: bool = True
) -> dict[str, Any]:
    with _leader(db) as leader:
        if not leader:
            raise Conflict("每日任务正在另一节点运行", rule="JOB-1", code="job_running")
        with db.transaction(write=False) as session:
            from poolcrm.policy.service import get_policy

            tz = get_policy(session).timezone
            as_of = as_of or clock.today(tz)
            last = session.scalar(select(func.max(JobRun.run_date)).where(JobRun.run_date < as_of))
        run_dates = dates_to_run(last, as_of) if catch_up else [as_of]
        merged: dict[str, Any] = {}
        for day in run_dates:
            for key, values in _run_one_day(db, day, actor_id).items():
                merged.setdefault(key, [])
                merged[key].extend(values)
        merged["dates"] = [d.isoformat() for d in run_dates]
        return merged


def _run_one_day(db: Database, day: date, actor_id: int | None) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for step in steps():
        with db.transaction() as session:
            done = session.scalar(select(JobRun).where(JobRun.run_date == day, JobRun.step == step.name))
            if done is not None:
                result = done.result or {}
            else:
                result = step.fn(session, day)
                session.add(JobRun(run_date=day, step=step.name, finished_at=clock.now(), result=result))
                record(
                    session,
                    actor_id=actor_id,
                    action="job.step",
                    object_type="job",
                    object_id=f"{day.isoformat()}:{step.name}",
                    after={k: len(v) for k, v in result.items()},
                    rule="JOB-1",
                )
        for key, values in result.items():
            out.setdefault(key, []).extend(values)
    return out


def last_run_date(session: Session) -> date | None:
    return session.scalar(select(func.max(JobRun.run_date)))
