"""Demo pools: customers close to recycling (red countdowns), a few in the allocation bin, a
lock, a GM plan waiting for approval and a claim waiting for CS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.calendar.service import get_calendar
from poolcrm.customers.models import POOL_PRIVATE, POOL_PUBLIC, Customer
from poolcrm.followups.models import FollowUp
from poolcrm.ownership.moves import move_customer
from poolcrm.policy.service import company_day_start, company_today
from poolcrm.pools import allocation, claim, locks, rules

ORDER = 40


def _back(session: Session, workdays: int) -> Any:
    """The moment `workdays` working days before today (local morning)."""
    calendar = get_calendar(session)
    day = company_today(session)
    seen = 0
    while seen < workdays:
        day -= rules.ONE_DAY
        seen += calendar.is_workday(day)
    return company_day_start(session, day) + timedelta(hours=10)


def _quiet_since(session: Session, customer: Customer, moment: Any) -> None:
    """The customer's valid follow-ups end at `moment` (the demo wrote them days later)."""
    valid = session.scalars(
        select(FollowUp)
        .where(FollowUp.customer_id == customer.id, FollowUp.valid.is_(True))
        .order_by(FollowUp.created_at.desc())
    )
    for n, f in enumerate(valid):
        f.created_at = min(f.created_at, moment - timedelta(days=2 * n))


def populate(session: Session, ctx: Any) -> None:
    users = ctx.users
    if not {"zhangwei", "lina", "gm", "sup1"} <= set(users):
        return
    owned = list(
        session.scalars(
            select(Customer)
            .where(Customer.pool == POOL_PRIVATE, Customer.owner_id == users["zhangwei"].id)
            .order_by(Customer.id)
        )
    )
    # the last ones by id: the deals demo works on a rep's first direct customers, and a customer
    # about to be recycled should not carry an open deal into the bin
    for customer, idle in zip(owned[::-1][:4], (5, 5, 4, 3), strict=False):
        moment = _back(session, idle)
        _quiet_since(session, customer, moment)
        customer.last_valid_followup_at = moment
        customer.protected_since = min(customer.protected_since or moment, moment)
    if len(owned) > 5:
        locks.lock_customer(
            session, users["sup1"], owned[5].id, company_today(session) + timedelta(days=30), "重点项目跟进中"
        )
    # the first few public customers (not all of them: `demo --customers N` adds N public ones)
    public = list(
        session.scalars(select(Customer).where(Customer.pool == POOL_PUBLIC).order_by(Customer.id).limit(7))
    )
    binned = []
    for customer, (rep, rule, reason) in zip(
        public[:4],
        [
            ("lina", "POOL-5", "客户已搬迁，无法联系"),
            ("liuyang", "POOL-6", "超过回收期限无有效跟进"),
            ("zhaomin", "POOL-6", "超过回收期限无有效跟进"),
            ("sunli", "POOL-5", "客户需求不匹配"),
        ],
        strict=False,
    ):
        if rep not in users:
            continue
        at = clock.now() - timedelta(days=40)
        move_customer(
            session,
            customer,
            to_pool=POOL_PRIVATE,
            to_owner_id=users[rep].id,
            rule="POOL-4",
            reason="申请保护通过",
            actor_id=users.get("cs1", users["gm"]).id,
            at=at,
        )
        move_customer(
            session,
            customer,
            to_pool="bin",
            to_owner_id=None,
            rule=rule,
            reason=reason,
            actor_id=users[rep].id if rule == "POOL-5" else None,
            at=clock.now() - timedelta(hours=20),
        )
        binned.append(customer)
    session.flush()
    if binned:
        allocation.create_plan(
            session,
            users["gm"],
            items=[{"customer_id": binned[0].id, "to_user_id": users["zhangwei"].id}],
            reason="按上周排名分配",
        )
    if len(public) > 6:
        claim.claim(session, users["lina"], public[6].id, remark="客户来电咨询扫描仪，需尽快跟进")
    session.flush()
