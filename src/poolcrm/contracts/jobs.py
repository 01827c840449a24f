"""Daily step: overdue installments remind the owner and the supervisor (CTR-3, NOTE-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.contracts.payments import remind_overdue
from poolcrm.jobs.registry import daily_step


@daily_step("contracts.overdue_installments", order=62)
def overdue_installments(session: Session, as_of: date) -> dict[str, list[Any]]:
    return remind_overdue(session, as_of)
