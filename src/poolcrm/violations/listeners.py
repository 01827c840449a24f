"""What the violations domain does when lower domains signal (CUS-10 → VIO-1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.customers.signals import customer_merged
from poolcrm.violations.service import record_forced_duplicate


@customer_merged.connect
def forced_duplicate(
    session: Session, *, kept: Customer, merged: Customer, actor_id: int | None, reason: str
) -> None:
    """CUS-10: the creator of a merged-away duplicate gets a VIO record."""
    if merged.created_by is not None:
        record_forced_duplicate(
            session,
            user_id=merged.created_by,
            customer_id=kept.id,
            merged_id=merged.id,
            actor_id=actor_id,
            reason=reason,
        )
