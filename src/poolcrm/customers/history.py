"""A customer's ownership history (POOL-12) and change history (CUS-13, GOV-1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.customers.checks import owner_out
from poolcrm.customers.models import (
    CustomerChange,
)
from poolcrm.customers.visibility import get_visible
from poolcrm.org.models import User
from poolcrm.org.service import people_by_id
from poolcrm.ownership.models import OwnershipEvent


def ownership_history(session: Session, user: User, customer_id: int) -> list[dict[str, Any]]:
    """POOL-12: the customer's ownership events, oldest first."""
    c = get_visible(session, user, customer_id)
    events = list(
        session.scalars(
            select(OwnershipEvent)
            .where(OwnershipEvent.customer_id == c.id)
            .order_by(OwnershipEvent.at, OwnershipEvent.id)
        )
    )
    people = people_by_id(session, [i for e in events for i in (e.from_owner_id, e.to_owner_id, e.actor_id)])
    return [
        {
            "at": e.at,
            "from_owner": owner_out(people.get(e.from_owner_id)) if e.from_owner_id else None,
            "to_owner": owner_out(people.get(e.to_owner_id)) if e.to_owner_id else None,
            "from_pool": e.from_pool,
            "to_pool": e.to_pool,
            "rule": e.rule,
            "reason": e.reason,
            "actor": owner_out(people.get(e.actor_id)) if e.actor_id else None,
        }
        for e in events
    ]


def change_history(session: Session, user: User, customer_id: int) -> list[dict[str, Any]]:
    """CUS-13: who changed which field when, old and new value."""
    c = get_visible(session, user, customer_id)
    rows = list(
        session.scalars(
            select(CustomerChange)
            .where(CustomerChange.customer_id == c.id)
            .order_by(CustomerChange.at.desc(), CustomerChange.id.desc())
            .limit(500)
        )
    )
    people = people_by_id(session, (r.actor_id for r in rows))
    return [
        {
            "at": r.at,
            "field": r.field,
            "old_value": r.old_value,
            "new_value": r.new_value,
            "actor": owner_out(people.get(r.actor_id)) if r.actor_id else None,
            "reason": r.reason,
        }
        for r in rows
    ]
