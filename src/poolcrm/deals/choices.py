"""What the deal forms and filters offer to choose from, each within what the user may see (ORG-5)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Row, or_, select
from sqlalchemy.orm import Session

from poolcrm.customers.models import POOL_BIN, POOL_PRIVATE, POOL_PUBLIC, Customer
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_clause

CHOICES_LIMIT = 500


def owners_for(session: Session, user: User) -> list[Row[tuple[int, str]]]:
    """The active sales users whose deals `user` may filter by, as (id, display_name) rows for a
    select box: as user objects, a nationwide sales force's (1,135 people at `demo --staff 1000`)
    took 32–77 ms of the GM's deal list (issue 22)."""
    scope = visible_owner_clause(user, User.id)  # ORG-2 joined, not bound as ids
    q = select(User.id, User.display_name).where(User.active.is_(True), User.role_rows.any(role="sales"))
    if scope is not None:
        q = q.where(scope)
    return list(session.execute(q.order_by(User.display_name)))


def direct_customers_for(session: Session, user: User) -> list[Customer]:
    """DEAL-1: the private direct customers a new deal can be on, within the user's scope."""
    scope = visible_owner_clause(user, Customer.owner_id)  # ORG-2 joined, not bound as ids
    q = select(Customer).where(Customer.pool == POOL_PRIVATE, Customer.customer_type == "direct")
    if scope is not None:
        q = q.where(scope)
    return list(session.scalars(q.order_by(Customer.name).limit(CHOICES_LIMIT)))


def channels_for(session: Session, user: User) -> list[Customer]:
    """DEAL-1: distributors that may be a deal's channel — public or in the bin, or private within
    the user's scope (another rep's private distributor is not offered: POOL-3)."""
    scope = visible_owner_clause(user, Customer.owner_id)  # ORG-2 joined, not bound as ids
    visible: ColumnElement[bool] = Customer.pool.in_((POOL_PUBLIC, POOL_BIN))
    if scope is None:
        visible = or_(visible, Customer.pool == POOL_PRIVATE)
    else:
        visible = or_(visible, (Customer.pool == POOL_PRIVATE) & scope)
    q = select(Customer).where(Customer.customer_type == "distributor", visible)
    return list(session.scalars(q.order_by(Customer.name).limit(CHOICES_LIMIT)))
