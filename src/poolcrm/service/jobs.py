"""Every minute: the SLA breach scan (SVC-4) — breaches are noticed when they happen, not at night."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.jobs.registry import minute_step
from poolcrm.service.sla import scan_breaches


@minute_step("service.sla_breaches")
def sla_breaches(session: Session) -> list[int]:
    return scan_breaches(session)
