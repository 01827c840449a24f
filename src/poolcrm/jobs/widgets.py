"""Admin dashboard cards: the daily job's last run — its date, whether every step finished and how
long it took (JOB-1, GOV-6) — and the scheduled backups — folder, time, the latest run's outcome, size
and duration, and a warning when none is configured, the latest failed, or the last good one is old."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.jobs.backups import backup_status
from poolcrm.jobs.models import JobRun
from poolcrm.jobs.registry import steps
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.policy.service import company_today
from poolcrm.web.dashboard import widget


def last_daily_run(session: Session) -> dict[str, Any]:
    """JOB-1: the latest date the daily job ran for, its steps done out of all, and its duration
    (first step's start to last step's end; rows from before starts were kept count from the first end)."""
    row = session.execute(
        select(
            JobRun.run_date,
            func.count(),
            func.min(JobRun.started_at),
            func.min(JobRun.finished_at),
            func.max(JobRun.finished_at),
        )
        .group_by(JobRun.run_date)
        .order_by(JobRun.run_date.desc())
        .limit(1)
    ).first()
    total = len(steps())
    if row is None:
        return {"run_date": None, "done": 0, "total": total}
    run_date, done, started, first_end, last_end = row
    seconds = (last_end - (started or first_end)).total_seconds()
    return {
        "run_date": run_date,
        "done": done,
        "total": total,
        "complete": done >= total,
        "finished_at": last_end,
        "seconds": max(0.0, seconds),
        "stale": run_date < company_today(session),
    }


@widget(order=89)
def daily_job(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.runs_system(user.roles):
        return None
    return "jobs/daily_widget.html", last_daily_run(session)


@widget(order=90)
def backups(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.runs_system(user.roles):
        return None
    return "jobs/backups_widget.html", backup_status(session)
