"""Who may see and edit which customer record (POOL-3, ORG-2, ORG-5), and the scoped queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from poolcrm.customers.models import (
    POOL_BIN,
    POOL_PENDING,
    POOL_PRIVATE,
    POOL_PUBLIC,
    POOL_REJECTED,
    TOMBSTONE_POOLS,
    Customer,
)
from poolcrm.db import ids_select
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, visible_owner_clause, visible_owner_ids


def can_see(session: Session, user: User, c: Customer) -> bool:
    scope = visible_owner_ids(session, user)
    if scope is None:
        return True
    if c.pool == POOL_PUBLIC:
        return True
    if c.pool == POOL_PRIVATE:
        return c.owner_id in scope
    if c.pool in (POOL_PENDING, POOL_REJECTED):  # CUS-19: a rejected registration stays its registrant's
        return c.created_by in scope
    return False


def can_edit(session: Session, user: User, c: Customer) -> bool:
    if c.pool in TOMBSTONE_POOLS:
        return False
    if org_rules.sees_everyone(user.roles):
        return True
    scope = visible_owner_ids(session, user) or frozenset()
    if c.pool == POOL_PRIVATE:
        return c.owner_id in scope
    if c.pool == POOL_PENDING:
        return c.created_by in scope
    return False


def get_visible(session: Session, user: User, customer_id: int) -> Customer:
    c = session.get(Customer, customer_id)
    if c is None or not can_see(session, user, c):
        raise NotFound()
    return c


def get_editable(session: Session, user: User, customer_id: int) -> Customer:
    c = get_visible(session, user, customer_id)
    if not can_edit(session, user, c):
        raise Forbidden()
    return c


def scoped_query(session: Session, user: User, pool: str = "all") -> Select[Any]:
    """ORG-5: a rep sees their own private pool, the public pool and their own registrations;
    supervisors their tree; admin, gm and cs everything. The bin is for GM, CS and admin."""
    sees_all = org_rules.sees_everyone(user.roles)
    q = select(Customer)
    if pool == "mine":
        return q.where(Customer.owner_id == user.id, Customer.pool == POOL_PRIVATE)
    if pool == "public":
        return q.where(Customer.pool == POOL_PUBLIC)
    if pool == "bin":
        if not sees_all:
            raise Forbidden()
        return q.where(Customer.pool == POOL_BIN)
    if pool in ("pending", "private", "deleted", "merged", "rejected"):
        if pool in TOMBSTONE_POOLS and pool != POOL_REJECTED and not sees_all:
            raise Forbidden()
        q = q.where(Customer.pool == pool)
        column = Customer.owner_id if pool == POOL_PRIVATE else Customer.created_by
        within = visible_owner_clause(user, column)
        return q if within is None else q.where(within)
    if pool != "all":
        raise InvalidInput({"pool": "取值应为 mine、public、bin、pending、private 或 all"})
    owned, registered = (
        visible_owner_clause(user, Customer.owner_id),
        visible_owner_clause(user, Customer.created_by),
    )
    if owned is None or registered is None:
        return q.where(Customer.pool.not_in(TOMBSTONE_POOLS))
    # On SQLite the three terms each have an index, and the planner gathered every public customer
    # through them to sort the lot (a rep's first page at 100,000 customers: 400 ms); the public
    # term written so that no index serves it makes it walk the list's order and stop at the page
    # (1–5 ms). PostgreSQL plans the plain form well.
    sqlite = session.get_bind().dialect.name == "sqlite"
    return q.where(
        or_(
            (Customer.pool.concat("") if sqlite else Customer.pool) == POOL_PUBLIC,
            (Customer.pool == POOL_PRIVATE) & owned,
            (Customer.pool == POOL_PENDING) & registered,
        )
    )


def visible_ids(session: Session, user: User, ids: Iterable[int | None]) -> set[int]:
    """The customers among `ids` the user may open (ORG-5, as `scoped_query`), in one statement:
    another object's page (a ticket, an expense, a trip) links only those."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return set()
    query = scoped_query(session, user).with_only_columns(Customer.id)
    return set(session.scalars(query.where(Customer.id.in_(ids_select(session, wanted)))))


def supervises(session: Session, user: User, c: Customer) -> bool:
    """CUS-13/CUS-11: who stands above a customer's owner — a supervisor or sales manager above the
    owner (or the registrant of an unowned record), the GM and admin. They approve a closed
    customer's key changes and may override its computed grade."""
    if org_rules.manages_everyone(user.roles):
        return True
    owner = c.owner_id or c.created_by
    return (
        owner is not None
        and user.has_role("supervisor", "sales_manager")
        and is_supervisor_of(session, user.id, owner)
    )
