"""What the follow-ups domain does when lower domains signal (POOL-15)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.followups.service import drop_pending_reminders, move_pending_reminders
from poolcrm.ownership.signals import owner_changed, owners_released


@owner_changed.connect
def reminders_follow_owner(
    session: Session,
    *,
    customer: Customer,
    from_owner_id: int | None,
    to_owner_id: int | None,
    actor_id: int | None,
) -> None:
    move_pending_reminders(session, customer.id, to_owner_id)


@owners_released.connect
def reminders_lapse_on_recycle(session: Session, *, moved: Any) -> None:
    drop_pending_reminders(session, moved)
