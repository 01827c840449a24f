"""Locking a customer against recycling (POOL-11), within the supervisor's lock limit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import (
    POOL_PRIVATE,
    Customer,
)
from poolcrm.errors import Forbidden, RuleViolation
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, lock_users
from poolcrm.policy.service import company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.claim import _refuse_invisible
from poolcrm.pools.common import refuse


def may_lock_for(session: Session, actor: User, owner_id: int) -> bool:
    """POOL-11: the owner's supervisors (any level), the GM and admin may lock a rep's customer."""
    return org_rules.manages_everyone(actor.roles) or is_supervisor_of(session, actor.id, owner_id)


def lock_customer(
    session: Session, actor: User, customer_id: int, until: date, reason: str | None
) -> Customer:
    customer = _refuse_invisible(session, actor, lock_customers(session, [customer_id]).get(customer_id))
    if customer.pool != POOL_PRIVATE or customer.owner_id is None:
        raise RuleViolation("POOL-11", "只能锁定私海客户")
    if not may_lock_for(session, actor, customer.owner_id):
        raise Forbidden("只有负责人的主管可以锁定客户", rule="POOL-11")
    lock_users(session, [customer.owner_id])
    policy = get_policy(session)
    day = company_today(session)
    in_use = (
        session.scalar(
            select(func.count()).where(
                Customer.owner_id == customer.owner_id,
                Customer.pool == POOL_PRIVATE,
                Customer.locked_until >= day,
                Customer.id != customer.id,
            )
        )
        or 0
    )
    refuse(
        rules.lock_refusal(
            locks_in_use=in_use,
            limit=policy.lock_limit_per_rep,
            until=until,
            today=day,
            max_days=policy.lock_max_days,
        )
    )
    before = {"locked_until": customer.locked_until.isoformat() if customer.locked_until else None}
    customer.locked_until, customer.locked_by, customer.updated_at = until, actor.id, clock.now()
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="customer.lock",
        object_type="customer",
        object_id=customer.id,
        before=before,
        after={"locked_until": until.isoformat()},
        rule="POOL-11",
        reason=reason,
    )
    return customer


def unlock_customer(session: Session, actor: User, customer_id: int) -> Customer:
    customer = _refuse_invisible(session, actor, lock_customers(session, [customer_id]).get(customer_id))
    if not may_lock_for(session, actor, customer.owner_id or -1):
        raise Forbidden("只有负责人的主管可以解除锁定", rule="POOL-11")
    before = {"locked_until": customer.locked_until.isoformat() if customer.locked_until else None}
    customer.locked_until, customer.locked_by, customer.updated_at = None, None, clock.now()
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="customer.unlock",
        object_type="customer",
        object_id=customer.id,
        before=before,
        after={"locked_until": None},
        rule="POOL-11",
    )
    return customer
