"""Admin dashboard card: the scheduled backups — folder, time, the latest run's outcome, size and
duration, and a warning when none is configured, the latest failed, or the last good one is old."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.jobs.backups import backup_status
from poolcrm.org.models import User
from poolcrm.web.dashboard import widget


@widget(order=90)
def backups(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("admin"):
        return None
    return "jobs/backups_widget.html", backup_status(session)
