"""Daily step: deal reminders and overdue flags (DEAL-2), monthly rollup carry-forward (DEAL-7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.deals.reminders import run_reminders
from poolcrm.jobs.registry import daily_step


@daily_step("deals.reminders", order=60)
def deal_reminders(session: Session, as_of: date) -> dict[str, list[Any]]:
    return run_reminders(session, as_of)
