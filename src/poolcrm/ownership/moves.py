"""The one way a customer changes pool or owner (POOL-12, POOL-15, GOV-1).

Every move — approval of a registration or claim, release, recycle, allocation, reallocation,
merge — calls `move_customer`, which records the immutable ownership event and the audit entry,
and signals the domains above it so they move what belongs to the customer along (POOL-15)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import String

from poolcrm import clock
from poolcrm.audit.service import record, record_select
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.db import UTCDateTime, for_update, ids_select
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.signals import owner_changed, owners_released


def move_customer(
    session: Session,
    customer: Customer,
    *,
    to_pool: str,
    to_owner_id: int | None,
    rule: str,
    reason: str | None,
    actor_id: int | None,
    at: datetime | None = None,
) -> OwnershipEvent:
    at = at or clock.now()
    from_owner, from_pool = customer.owner_id, customer.pool
    customer.pool = to_pool
    customer.owner_id = to_owner_id if to_pool == POOL_PRIVATE else None
    if to_pool == POOL_PRIVATE and (from_pool != POOL_PRIVATE or from_owner != to_owner_id):
        customer.protected_since = at
    elif to_pool != POOL_PRIVATE:
        customer.protected_since = None
    customer.pool_entered_at = at
    customer.updated_at = at
    if to_pool != POOL_PRIVATE:
        customer.locked_until = None
        customer.locked_by = None
    event = OwnershipEvent(
        customer_id=customer.id,
        at=at,
        from_owner_id=from_owner,
        to_owner_id=customer.owner_id,
        from_pool=from_pool,
        to_pool=to_pool,
        rule=rule,
        reason=reason,
        actor_id=actor_id,
    )
    session.add(event)
    record(
        session,
        actor_id=actor_id,
        action="customer.move",
        object_type="customer",
        object_id=customer.id,
        before={"pool": from_pool, "owner_id": from_owner},
        after={"pool": to_pool, "owner_id": customer.owner_id},
        rule=rule,
        reason=reason,
        at=at,
    )
    if from_owner != customer.owner_id:
        owner_changed.send(
            session,
            customer=customer,
            from_owner_id=from_owner,
            to_owner_id=customer.owner_id,
            actor_id=actor_id,
        )
    return event


def _int(value: int | None) -> Any:
    return cast(null() if value is None else literal(value), Integer)


def _str(value: str | None) -> Any:
    return cast(null() if value is None else literal(value), String)


def _json_object(session: Session, **columns: Any) -> Any:
    args: list[Any] = []
    for key, col in columns.items():
        args += [literal_column(f"'{key}'"), col]
    dialect = session.get_bind().dialect.name
    return (func.json_build_object if dialect == "postgresql" else func.json_object)(*args)


@dataclass(frozen=True)
class MovedSet:
    """What `move_customers_where` moved: the customer ids and how many each former owner lost."""

    ids: list[int]
    per_owner: dict[int, int]


EVENT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "at",
    "from_owner_id",
    "to_owner_id",
    "from_pool",
    "to_pool",
    "rule",
    "reason",
    "actor_id",
)


@dataclass(frozen=True)
class _SetMove:
    """The constant parts of one set-based move, as SQL values for INSERT … SELECT."""

    at: Any
    to_pool: str
    rule: str
    reason: str | None
    actor_id: int | None

    def events(self) -> Any:
        """POOL-12 rows, in `EVENT_COLUMNS` order, selected from the moved customers."""
        return select(
            Customer.id,
            self.at,
            Customer.owner_id,
            _int(None),
            Customer.pool,
            _str(self.to_pool),
            _str(self.rule),
            _str(self.reason),
            _int(self.actor_id),
        )

    def audit_entries(self, session: Session) -> Any:
        """GOV-1 rows, in `audit.service.SET_COLUMNS` order, selected from the moved customers."""
        return select(
            self.at,
            _int(self.actor_id),
            _str("customer.move"),
            _str("customer"),
            cast(Customer.id, String),
            _json_object(session, pool=Customer.pool, owner_id=Customer.owner_id),
            _json_object(session, pool=literal_column(f"'{self.to_pool}'"), owner_id=null()),
            _str(self.rule),
            _str(self.reason),
        )


def move_customers_where(
    session: Session,
    condition: ColumnElement[bool],
    *,
    to_pool: str,
    rule: str,
    reason: str | None,
    at: datetime,
    actor_id: int | None = None,
) -> MovedSet:
    """Set-based `move_customer` for the daily job (DESIGN: one query per rule): every customer
    matching `condition` leaves its owner for `to_pool` (never private). The condition is evaluated
    once, locking the rows (PostgreSQL); the chosen ids — one bound array — then drive one
    INSERT … SELECT of the POOL-12 events, one of the GOV-1 audit entries and one UPDATE."""
    assert to_pool != POOL_PRIVATE
    rows = list(
        session.execute(
            for_update(select(Customer.id, Customer.owner_id).where(condition).order_by(Customer.id))
        )
    )
    if not rows:
        return MovedSet([], {})
    ids = [cid for cid, _ in rows]
    per_owner = dict(Counter(owner for _, owner in rows if owner is not None))
    moved = ids_select(session, ids)
    chosen = Customer.id.in_(moved)
    move = _SetMove(literal(at, UTCDateTime), to_pool, rule, reason, actor_id)
    session.execute(insert(OwnershipEvent).from_select(list(EVENT_COLUMNS), move.events().where(chosen)))
    record_select(session, move.audit_entries(session).where(chosen))
    session.execute(
        update(Customer)
        .where(chosen)
        .values(
            pool=to_pool,
            owner_id=None,
            protected_since=None,
            pool_entered_at=at,
            updated_at=at,
            locked_until=None,
            locked_by=None,
            version=Customer.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    owners_released.send(session, moved=moved)
    return MovedSet(ids, per_owner)
