"""Daily steps of the follow-ups domain (JOB-1): FU-4 reminders and FU-5 first contact."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.followups import service
from poolcrm.jobs.registry import daily_step


@daily_step("followups.reminders", order=60)
def reminders(session: Session, as_of: date) -> dict[str, list[Any]]:
    """FU-4."""
    return service.reminder_step(session, as_of)


@daily_step("followups.first_contact", order=60)
def first_contact(session: Session, as_of: date) -> dict[str, list[Any]]:
    """FU-5."""
    return service.first_contact_step(session, as_of)
