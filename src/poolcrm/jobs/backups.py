"""GOV-3: scheduled backups. Each day at the policy's time (company zone), once the admin has named
a folder, the app's scheduler (one node on PostgreSQL) writes a backup with its manifest, records
the outcome, size and duration, keeps the policy's number of recent backups, and tells the admins
when a backup fails or when the last good one is more than a day old. The backup runs outside any
transaction of ours: SQLite's writers are never held behind it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.backup import backup, manifest_path
from poolcrm.db import Database
from poolcrm.jobs.models import BackupRun
from poolcrm.notify.service import notify_many
from poolcrm.org.service import role_holders
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_today, get_policy

PREFIX = "poolcrm-"


@dataclass(frozen=True)
class Due:
    folder: Path
    today: date
    local_now: datetime
    last_ok: date | None


def backup_due(policy: Policy, local_now: datetime, ok_today: bool, failures_today: int) -> bool:
    """GOV-3: a folder is set, the day's time has come, no good backup yet today, and fewer than
    `backup_attempts_per_day` failed attempts (a broken folder is not retried every minute)."""
    return (
        bool(policy.backup_dir.strip())
        and local_now.strftime("%H:%M") >= policy.backup_time
        and not ok_today
        and failures_today < policy.backup_attempts_per_day
    )


def _due(session: Session) -> Due | None:
    policy = get_policy(session)
    today = company_today(session)
    local_now = clock.local(clock.now(), policy.timezone)
    runs = session.execute(
        select(BackupRun.ok, func.count()).where(BackupRun.run_date == today).group_by(BackupRun.ok)
    ).all()
    tally = {bool(ok): n for ok, n in runs}
    if not backup_due(policy, local_now, tally.get(True, 0) > 0, tally.get(False, 0)):
        return None
    last_ok = session.scalar(select(func.max(BackupRun.run_date)).where(BackupRun.ok.is_(True)))
    return Due(Path(policy.backup_dir.strip()), today, local_now, last_ok)


def _error_text(exc: Exception) -> str:
    """What went wrong, for the admin — never the connection string or a password."""
    if isinstance(exc, subprocess.CalledProcessError):
        tail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return f"{exc.cmd[0] if exc.cmd else 'pg_dump'} 退出码 {exc.returncode}：{tail[0][:300]}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def run_scheduled_backup(db: Database) -> list[int]:
    """GOV-3, every minute: the day's backup when it is due (see `backup_due`)."""
    with db.transaction(write=False) as session:
        due = _due(session)
    if due is None:
        return []
    path = due.folder / f"{PREFIX}{due.local_now:%Y%m%d-%H%M}.{'db' if db.sqlite else 'dump'}"
    started, t0 = clock.now(), time.perf_counter()
    error: str | None = None
    try:
        backup(db.url, path)
    except (OSError, subprocess.CalledProcessError, sqlite3.Error, ValueError) as exc:
        error = _error_text(exc)
    with db.transaction() as session:
        run = _record(session, due, path, started, time.perf_counter() - t0, error)
        if error is None:
            policy = get_policy(session)
            prune(due.folder, policy.backup_keep, policy.backup_keep_days, due.local_now.date())
    return [run]


def _record(
    session: Session, due: Due, path: Path, started: datetime, seconds: float, error: str | None
) -> int:
    ok = error is None
    tables: dict[str, Any] = {}
    if ok:
        tables = json.loads(manifest_path(path).read_text())["tables"]
    run = BackupRun(
        run_date=due.today,
        started_at=started,
        finished_at=started + timedelta(seconds=seconds),
        ok=ok,
        path=str(path) if ok else None,
        size=path.stat().st_size if ok else None,
        error=error,
        tables=tables,
    )
    session.add(run)
    session.flush()
    record(
        session,
        actor_id=None,
        action="backup.run",
        object_type="backup",
        object_id=run.id,
        after={"ok": ok, "path": run.path, "size": run.size, "seconds": round(seconds, 1), "error": error},
        rule="GOV-3",
    )
    admins = {
        uid: {"error": error or "", "last": str(due.last_ok or "—")} for uid in role_holders(session, "admin")
    }
    if not ok:
        notify_many(
            session,
            admins,
            "backup.failed",
            "定时备份失败：{error}",
            link="/",
            rule="GOV-3",
            dedupe_key=f"GOV-3:failed:{due.today}",
        )
    elif due.last_ok is not None and due.last_ok < due.today - timedelta(days=1):
        notify_many(
            session,
            admins,
            "backup.missed",
            "上次成功的定时备份是 {last}，其间的备份没有完成",
            link="/",
            rule="GOV-3",
            dedupe_key=f"GOV-3:missed:{due.today}",
        )
    return run.id


def prune(folder: Path, keep: int, keep_days: int = 0, today: date | None = None) -> list[Path]:
    """GOV-3 retention: the `keep` most recent scheduled backups stay (names sort by time), and
    with `keep_days` none older than that many days — but the newest always stays. Older ones and
    their manifests go. Files not written by the schedule are never touched."""
    ours = sorted(p for p in folder.glob(f"{PREFIX}*") if p.suffix in (".db", ".dump"))
    gone = ours[: max(0, len(ours) - keep)]
    if keep_days and today is not None:
        cutoff = (today - timedelta(days=keep_days)).strftime("%Y%m%d")
        gone += [p for p in ours[:-1] if p not in gone and p.name[len(PREFIX) : len(PREFIX) + 8] < cutoff]
    for old in gone:
        old.unlink(missing_ok=True)
        manifest_path(old).unlink(missing_ok=True)
    return gone


def backup_status(session: Session) -> dict[str, Any]:
    """GOV-3 for the admin dashboard: the setting, the latest run and whether it needs attention."""
    policy = get_policy(session)
    last = session.scalar(select(BackupRun).order_by(BackupRun.id.desc()).limit(1))
    last_ok = session.scalar(select(func.max(BackupRun.finished_at)).where(BackupRun.ok.is_(True)))
    configured = bool(policy.backup_dir.strip())
    overdue = timedelta(hours=policy.backup_overdue_hours)
    stale = configured and (last_ok is None or clock.now() - last_ok > overdue)
    return {
        "configured": configured,
        "folder": policy.backup_dir,
        "time": policy.backup_time,
        "keep": policy.backup_keep,
        "last": last,
        "last_ok_at": last_ok,
        "seconds": (last.finished_at - last.started_at).total_seconds() if last else None,
        "attention": (not configured) or stale or (last is not None and not last.ok),
        "stale": stale,
    }
