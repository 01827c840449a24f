"""Daily step of the disputes domain (DSP-2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.disputes import service
from poolcrm.jobs.registry import daily_step


@daily_step("disputes.two_pools", order=60)
def two_pools(session: Session, as_of: date) -> dict[str, list[Any]]:
    """DSP-2: yesterday's moves into private pools checked against other reps' pools."""
    return service.two_pools_step(session, as_of)
