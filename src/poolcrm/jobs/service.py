"""JOB-1: the daily job — each registered step once per date (idempotent), missed days caught
up in order, and on PostgreSQL only one node at a time (advisory lock)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import Database
from poolcrm.errors import Conflict, InvalidInput
from poolcrm.jobs import rules
from poolcrm.jobs.models import JobRun
from poolcrm.jobs.registry import Step, minute_steps, minute_tasks, steps
from poolcrm.policy.service import get_policy

ADVISORY_LOCK_ID = 0x706F6F6C  # "pool"
MINUTE_LOCK_ID = ADVISORY_LOCK_ID + 1
MAX_CATCH_UP_DAYS = 31
JOB_WORKERS = max(1, int(os.environ.get("POOLCRM_JOB_WORKERS", "2")))
"""JOB-1a: how many steps of one wave run at once on PostgreSQL (the database server's cores)."""


@contextmanager
def _leader(db: Database, key: int = ADVISORY_LOCK_ID) -> Iterator[bool]:
    """PostgreSQL: a session-level advisory lock elects one runner; SQLite: a single process."""
    if db.sqlite:
        yield True
        return
    with db.engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def run_minute_steps(db: Database) -> dict[str, list[Any]]:
    """NOTE-3/SVC-4: every minute-step once, each in its own transaction, on one node at a time
    (PostgreSQL: its own advisory lock, so it never waits behind a long daily run)."""
    out: dict[str, list[Any]] = {}
    with _leader(db, MINUTE_LOCK_ID) as leader:
        if not leader:
            return out
        for name, fn in minute_steps().items():
            with db.transaction() as session:
                out[name] = fn(session)
        for name, task in minute_tasks().items():
            out[name] = task(db)
    return out


def dates_to_run(last_done: date | None, as_of: date) -> list[date]:
    """JOB-1: catch up missed days (at most MAX_CATCH_UP_DAYS) up to and including as_of."""
    if last_done is None or last_done >= as_of:
        return [as_of]
    start = max(last_done + timedelta(days=1), as_of - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [start + timedelta(days=i) for i in range((as_of - start).days + 1)]


def run_daily(
    db: Database, as_of: date | None = None, *, actor_id: int | None = None, catch_up: bool = True
) -> dict[str, Any]:
    if as_of is not None and not clock.in_business_range(as_of):
        raise InvalidInput({"as_of": "日期超出范围（1900–2199 年）"}, rule="JOB-1")
    with _leader(db) as leader:
        if not leader:
            raise Conflict("每日任务正在另一节点运行", rule="JOB-1", code="job_running")
        with db.transaction(write=False) as session:
            today = clock.today(get_policy(session).timezone)
            as_of = as_of or today
            problem = rules.run_date_problem(as_of, today)
            if problem:
                message = "不能为尚未到来的日期运行每日任务（公司今天是 {today}）"
                raise InvalidInput({"as_of": problem}, message, rule="JOB-1b", today=today.isoformat())
            last = session.scalar(select(func.max(JobRun.run_date)).where(JobRun.run_date < as_of))
        run_dates = dates_to_run(last, as_of) if catch_up else [as_of]
        merged: dict[str, Any] = {}
        for day in run_dates:
            for key, values in _run_one_day(db, day, actor_id).items():
                merged.setdefault(key, [])
                merged[key].extend(values)
        merged["dates"] = [d.isoformat() for d in run_dates]
        return merged


def _waves(ordered: list[Step]) -> list[list[Step]]:
    """JOB-1a: consecutive steps of the same `order` form a wave (they do not depend on each other)."""
    waves: list[list[Step]] = []
    for step in ordered:
        if waves and waves[-1][0].order == step.order:
            waves[-1].append(step)
        else:
            waves.append([step])
    return waves


def _run_one_day(db: Database, day: date, actor_id: int | None) -> dict[str, list[Any]]:
    """One date: wave after wave; on PostgreSQL the steps of a wave run side by side (each in its
    own transaction, on its own connection), on SQLite (one writer) one after the other. Results
    are merged in step order whichever finishes first."""
    out: dict[str, list[Any]] = {}
    workers = 1 if db.sqlite else JOB_WORKERS
    for wave in _waves(steps()):
        if workers > 1 and len(wave) > 1:
            with ThreadPoolExecutor(max_workers=min(workers, len(wave)), thread_name_prefix="job") as pool:
                results = list(pool.map(lambda step: _run_step(db, day, step, actor_id), wave))
        else:
            results = [_run_step(db, day, step, actor_id) for step in wave]
        for result in results:
            for key, values in result.items():
                out.setdefault(key, []).extend(values)
    return out


def _run_step(db: Database, day: date, step: Step, actor_id: int | None) -> dict[str, Any]:
    """JOB-1: a step once per date — a re-run returns the stored result."""
    with db.transaction() as session:
        done = session.scalar(select(JobRun).where(JobRun.run_date == day, JobRun.step == step.name))
        if done is not None:
            return dict(done.result or {})
        started = clock.now()
        result = step.fn(session, day)
        session.add(
            JobRun(run_date=day, step=step.name, started_at=started, finished_at=clock.now(), result=result)
        )
        record(
            session,
            actor_id=actor_id,
            action="job.step",
            object_type="job",
            object_id=f"{day.isoformat()}:{step.name}",
            after={k: len(v) for k, v in result.items()},
            rule="JOB-1",
        )
    return result


def last_run_date(session: Session) -> date | None:
    return session.scalar(select(func.max(JobRun.run_date)))
