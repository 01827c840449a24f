"""Daily steps of the violations domain (VIO-2 spot check, VIO-3 monthly assessment)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.jobs.registry import daily_step
from poolcrm.violations import assessments, service


@daily_step("violations.spot_check", order=60)
def spot_check(session: Session, as_of: date) -> dict[str, list[Any]]:
    """VIO-2: the day's random sample of yesterday's follow-ups for CS."""
    return service.spot_check_step(session, as_of)


@daily_step("violations.assessment", order=60)
def assessment(session: Session, as_of: date) -> dict[str, list[Any]]:
    """VIO-3: the previous month's data-quality assessment (once)."""
    return assessments.assessment_step(session, as_of)
