"""FU-3 (revised): a follow-up's author may be changed to another member of the same team — the
author's own department — by the author or the author's managers, audited; the customer's POOL-6
anchor follows (it counts the owner's valid follow-ups only)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.audit.service import record
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.db import for_update
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.followups import rules
from poolcrm.followups.models import FollowUp
from poolcrm.followups.service import readable_query
from poolcrm.org.models import User
from poolcrm.org.service import acts_for


def recompute_anchor(session: Session, customer: Customer) -> None:
    """FU-1/POOL-6: the customer's anchor is the owner's latest valid follow-up (after a follow-up
    is found fake, or changes author)."""
    if customer.pool != POOL_PRIVATE or customer.owner_id is None:
        return
    customer.last_valid_followup_at = session.scalar(
        select(func.max(FollowUp.created_at)).where(
            FollowUp.customer_id == customer.id,
            FollowUp.author_id == customer.owner_id,
            FollowUp.valid.is_(True),
        )
    )


def change_author(
    session: Session, actor: User, followup_id: int, author_id: int, reason: str | None
) -> FollowUp:
    found = session.get(FollowUp, followup_id)
    if found is None:
        raise NotFound()
    readable = session.scalar(
        readable_query(session, actor, found.customer_id).where(FollowUp.id == followup_id)
    )
    if readable is None:
        raise NotFound()
    if not acts_for(session, actor, found.author_id):
        raise Forbidden("只有作者本人及其主管可以更改作者", rule="FU-3")
    current, new = session.get(User, found.author_id), session.get(User, author_id)
    problem = rules.author_change_problem(
        current.department_id if current else None,
        new.department_id if new else None,
        new is not None and new.active,
        author_id == found.author_id,
    )
    if problem:
        raise InvalidInput({"author_id": problem}, rule="FU-3")
    customer = lock_customers(session, [found.customer_id])[found.customer_id]
    followup = session.scalar(for_update(select(FollowUp).where(FollowUp.id == followup_id)))
    assert followup is not None
    before = followup.author_id
    followup.author_id = author_id
    if followup.remind_user_id == before:
        followup.remind_user_id = author_id
    session.flush()
    recompute_anchor(session, customer)
    record(
        session,
        actor_id=actor.id,
        action="followup.author",
        object_type="followup",
        object_id=followup.id,
        before={"author_id": before},
        after={"author_id": author_id},
        rule="FU-3",
        reason=(reason or "").strip() or None,
    )
    return followup
