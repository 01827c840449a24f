"""Every minute: the day's scheduled backup once it is due (GOV-3)."""

from __future__ import annotations

from poolcrm.db import Database
from poolcrm.jobs.backups import run_scheduled_backup
from poolcrm.jobs.registry import minute_task


@minute_task("jobs.scheduled_backup")
def scheduled_backup(db: Database) -> list[int]:
    return run_scheduled_backup(db)
