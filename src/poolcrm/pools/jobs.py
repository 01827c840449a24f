"""Daily steps of the pools domain (JOB-1): members first; then recycle, warnings and bin expiry
as one wave (JOB-1a: they touch disjoint customers — the recycle takes private customers due
today, the warnings read those due later, the bin expiry moves customers that entered the bin
before today — so on PostgreSQL they run side by side); then departures. Each is set-based."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.jobs.registry import daily_step
from poolcrm.pools import departures as pools_departures
from poolcrm.pools import recycle as pools_recycle


@daily_step("pools.members", order=10)
def members(session: Session, as_of: date) -> dict[str, list[Any]]:
    """MEM-1."""
    return pools_recycle.member_step(session, as_of)


@daily_step("pools.recycle", order=20)
def recycle(session: Session, as_of: date) -> dict[str, list[Any]]:
    """POOL-6, POOL-8."""
    return pools_recycle.recycle_step(session, as_of)


@daily_step("pools.warn", order=20)
def warn(session: Session, as_of: date) -> dict[str, list[Any]]:
    """POOL-6 warnings."""
    return pools_recycle.warn_step(session, as_of)


@daily_step("pools.bin_expiry", order=20)
def bin_expiry(session: Session, as_of: date) -> dict[str, list[Any]]:
    """POOL-7."""
    return pools_recycle.bin_expiry_step(session, as_of)


@daily_step("pools.departures", order=50)
def departures(session: Session, as_of: date) -> dict[str, list[Any]]:
    """POOL-10."""
    return pools_departures.departure_step(session, as_of)
