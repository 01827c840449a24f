"""Who owns what, and until when (POOL-6, POOL-8, POOL-13, POOL-16, POOL-17): the recycle countdown a
rep sees and the daily job's set-based condition are one function, and the give-up history every
claim and allocation asks about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from poolcrm.calendar.service import get_calendar
from poolcrm.customers.models import POOL_PRIVATE, Customer, not_active_member
from poolcrm.db import ids_select, reference
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import company_date, company_day_start, company_today, get_policy
from poolcrm.pools import rules
from poolcrm.pools.models import TASK_DONE, DepartureTask


@dataclass(frozen=True)
class RecycleInfo:
    due_on: date
    left: int
    red: bool
    threshold: int
    anchor: date


def departing_owner_ids(session: Session) -> frozenset[int]:
    """The owners with an open departure task (reference data, `db.reference`)."""
    return reference(
        session,
        "poolcrm.departing",
        lambda: frozenset(
            session.scalars(select(DepartureTask.user_id).where(DepartureTask.status != TASK_DONE))
        ),
    )


def recycle_info(session: Session, customer: Customer, on: date | None = None) -> RecycleInfo | None:
    """POOL-16: the countdown of one customer, by the very function the daily job uses."""
    policy = get_policy(session)
    on = on or company_today(session)
    if customer.pool != POOL_PRIVATE or customer.owner_id is None:
        return None
    if rules.is_active_member(customer.member_until, on):
        return None
    if customer.owner_id in departing_owner_ids(session):
        return None
    anchor = rules.recycle_anchor(
        company_date(session, customer.last_valid_followup_at),
        company_date(session, customer.protected_since or customer.created_at),
        customer.locked_until,
    )
    if anchor is None:
        return None
    threshold = rules.recycle_threshold(
        customer.grade, customer.tier, policy.recycle_idle_workdays, policy.recycle_idle_workdays_by_grade
    )
    calendar = get_calendar(session)
    due = rules.recycle_due(anchor, threshold, calendar)
    left = rules.workdays_left(on, due, calendar)
    return RecycleInfo(due, left, rules.is_due_soon(left, policy.warn_days), threshold, anchor)


def recycle_due_on(session: Session, customer: Customer) -> date | None:
    """POOL-16: the date whose daily run recycles this customer (None when exempt or not private)."""
    info = recycle_info(session, customer)
    return None if info is None else info.due_on


def recyclable_base(session: Session, run_date: date) -> ColumnElement[bool]:
    departing = select(DepartureTask.user_id).where(DepartureTask.status != TASK_DONE)
    return and_(
        Customer.pool == POOL_PRIVATE,
        Customer.owner_id.is_not(None),
        not_active_member(run_date),
        Customer.owner_id.not_in(departing),
    )


def anchor_at_most(
    session: Session, policy: Policy, calendar: rules.Workdays, run_date: date
) -> ColumnElement[bool]:
    """Set-based POOL-6: anchor A ≤ recycle_cutoff(run_date, threshold) for each customer's
    threshold (POOL-17 overrides as one CASE) — two timestamp comparisons and a date comparison."""

    def bounds(n: int) -> tuple[datetime, date]:
        cutoff = rules.recycle_cutoff(run_date, n, calendar)
        return company_day_start(session, cutoff + rules.ONE_DAY), cutoff

    default_ts, default_day = bounds(policy.recycle_idle_workdays)
    overrides = policy.recycle_idle_workdays_by_grade
    ts_whens: list[Any] = []
    day_whens: list[Any] = []
    for column in (Customer.grade, Customer.tier):
        for key, n in overrides.items():
            ts, day = bounds(n)
            ts_whens.append((column == key, ts))
            day_whens.append((column == key, day))
    ts_limit: Any = case(*ts_whens, else_=default_ts) if ts_whens else default_ts
    day_limit: Any = case(*day_whens, else_=default_day) if day_whens else default_day
    protected = func.coalesce(Customer.protected_since, Customer.created_at)
    return and_(
        protected < ts_limit,
        or_(Customer.last_valid_followup_at.is_(None), Customer.last_valid_followup_at < ts_limit),
        or_(Customer.locked_until.is_(None), Customer.locked_until <= day_limit),
    )


def due_condition(session: Session, run_date: date, policy: Policy | None = None) -> ColumnElement[bool]:
    """POOL-6: the customers the run of `run_date` recycles (under `policy`, default: in force)."""
    policy = policy or get_policy(session)
    calendar = get_calendar(session)
    return and_(recyclable_base(session, run_date), anchor_at_most(session, policy, calendar, run_date))


def gave_up_at(session: Session, user_id: int, customer_id: int) -> datetime | None:
    """POOL-13: when this rep last gave this customer up (released or recycled)."""
    return session.scalar(
        select(func.max(OwnershipEvent.at)).where(
            OwnershipEvent.customer_id == customer_id,
            OwnershipEvent.from_owner_id == user_id,
            OwnershipEvent.from_pool == POOL_PRIVATE,
            OwnershipEvent.rule.in_(rules.GIVE_UP_RULES.values()),
        )
    )


def _gave_up(kinds: Iterable[str] | None) -> tuple[ColumnElement[bool], ...]:
    """POOL-8: an ownership event in which a rep gave the customer up (by the counted kinds)."""
    wanted = [rules.GIVE_UP_RULES[k] for k in (kinds or rules.GIVE_UP_RULES)]
    return (
        OwnershipEvent.from_pool == POOL_PRIVATE,
        OwnershipEvent.from_owner_id.is_not(None),
        OwnershipEvent.rule.in_(wanted),
    )


def givers(session: Session, customer_id: int, kinds: Iterable[str] | None = None) -> frozenset[int]:
    """POOL-8: the different reps who gave this customer up (by the counted kinds)."""
    return frozenset(
        session.scalars(
            select(OwnershipEvent.from_owner_id)
            .where(OwnershipEvent.customer_id == customer_id, *_gave_up(kinds))
            .distinct()
        )
    )


def givers_of(session: Session, customer_ids: list[int]) -> dict[int, frozenset[int]]:
    """POOL-8 for a page of customers at once (the allocation bin): `givers` of each, one statement."""
    found: dict[int, set[int]] = {cid: set() for cid in customer_ids}
    if customer_ids:
        rows = session.execute(
            select(OwnershipEvent.customer_id, OwnershipEvent.from_owner_id)
            .where(OwnershipEvent.customer_id.in_(ids_select(session, customer_ids)), *_gave_up(None))
            .distinct()
        )
        for cid, uid in rows:
            if uid is not None:  # always: `_gave_up` asks for a rep
                found[cid].add(uid)
    return {cid: frozenset(uids) for cid, uids in found.items()}


def givers_count_sql(kinds: Iterable[str]) -> Any:
    wanted = [rules.GIVE_UP_RULES[k] for k in kinds]
    return (
        select(func.count(distinct(OwnershipEvent.from_owner_id)))
        .where(
            OwnershipEvent.customer_id == Customer.id,
            OwnershipEvent.from_pool == POOL_PRIVATE,
            OwnershipEvent.rule.in_(wanted),
        )
        .scalar_subquery()
    )
