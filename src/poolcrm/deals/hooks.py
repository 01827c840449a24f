"""POOL-15: open deals move with their customer. Registered when the deal models are imported
(every process imports all models), so no code path that moves a customer can miss it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.pools.moves import on_owner_changed


@on_owner_changed
def move_open_deals(
    session: Session, customer: Customer, from_owner: int | None, to_owner: int | None, actor_id: int | None
) -> None:
    from poolcrm.deals.service import move_open_deals_with_customer

    move_open_deals_with_customer(session, customer, from_owner, to_owner, actor_id)
