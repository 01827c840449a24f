"""Who may see which customer, and the customer row lock (POOL-3, ORG-2, ORG-5) — used by every
domain above customers, so a private customer answers 404 the same way on every path to it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.customers.models import POOL_PENDING, POOL_PRIVATE, POOL_PUBLIC, POOL_REJECTED, Customer
from poolcrm.db import for_update
from poolcrm.errors import NotFound
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_ids


def lock_customers(session: Session, ids: Iterable[int]) -> dict[int, Customer]:
    """Lock customer rows in id order (the fixed order: customers, then users); re-read them."""
    wanted = sorted(set(ids))
    q = select(Customer).where(Customer.id.in_(wanted)).order_by(Customer.id)
    return {c.id: c for c in session.scalars(for_update(q))}


def lock_customer_row(session: Session, customer_id: int) -> Customer | None:
    return lock_customers(session, [customer_id]).get(customer_id)


def can_see_private(session: Session, user: User, owner_id: int | None) -> bool:
    scope = visible_owner_ids(session, user)
    return scope is None or (owner_id is not None and owner_id in scope)


def sees_owned(session: Session, user: User, owner_id: int | None, customer_id: int) -> bool:
    """ORG-5: a record owned by a rep (a deal, a contract) is seen by the owner's tree and by the
    tree of the customer's current owner (the customer may have moved since, POOL-15)."""
    scope = visible_owner_ids(session, user)
    if scope is None or owner_id in scope:
        return True
    return session.scalar(select(Customer.owner_id).where(Customer.id == customer_id)) in scope


def customer_for_read(session: Session, user: User, customer_id: int) -> Customer:
    """POOL-3/ORG-5: private customers only for the owner's tree (404 otherwise), public ones for
    everyone, pending registrations for the registrant's tree, the rest for see-all roles."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    scope = visible_owner_ids(session, user)
    if scope is None or customer.pool == POOL_PUBLIC:
        return customer
    if customer.pool == POOL_PRIVATE and customer.owner_id in scope:
        return customer
    if customer.pool in (POOL_PENDING, POOL_REJECTED) and customer.created_by in scope:
        return customer  # CUS-19: a rejected registration stays its registrant's
    raise NotFound()
