"""Daily step of the duty roster (IN-3)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.duty import service
from poolcrm.jobs.registry import daily_step


@daily_step("duty.roster", order=60)
def roster(session: Session, as_of: date) -> dict[str, list[Any]]:
    """IN-3: the week's roster, computed from last week's figures on the week's first run."""
    return service.roster_step(session, as_of)
