"""What the deals domain does when lower domains signal (POOL-15)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.deals.service import move_open_deals_with_customer
from poolcrm.ownership.signals import owner_changed


@owner_changed.connect
def move_open_deals(
    session: Session,
    *,
    customer: Customer,
    from_owner_id: int | None,
    to_owner_id: int | None,
    actor_id: int | None,
) -> None:
    """POOL-15: open deals move with their customer."""
    move_open_deals_with_customer(session, customer, from_owner_id, to_owner_id, actor_id)
