"""Daily step: on Mondays, last week's shortfalls in actions on opportunities (WORK-4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.jobs.registry import daily_step
from poolcrm.work.activity import monday_shortfalls


@daily_step("work.weekly_activity", order=62)
def weekly_activity(session: Session, as_of: date) -> dict[str, list[Any]]:
    return monday_shortfalls(session, as_of)
