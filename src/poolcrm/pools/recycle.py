"""The daily pool steps (POOL-6 recycle and warnings, POOL-7 bin expiry, POOL-8, MEM-1), set-based."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.orm import Session

from poolcrm.applications.models import (
    STATUS_CANCELLED,
    STATUS_PENDING,
    Application,
)
from poolcrm.audit.service import record
from poolcrm.calendar.service import get_calendar
from poolcrm.customers.models import (
    POOL_BIN,
    POOL_PRIVATE,
    POOL_PUBLIC,
    Customer,
    active_member,
)
from poolcrm.db import ids_select
from poolcrm.notify.service import notify_many
from poolcrm.ownership.countdown import (
    anchor_at_most,
    due_condition,
    givers_count_sql,
    recyclable_base,
)
from poolcrm.ownership.moves import move_customers_where
from poolcrm.policy.service import company_day_start, company_moment, get_policy
from poolcrm.pools import rules
from poolcrm.pools.common import KIND_RELEASE
from poolcrm.pools.models import (
    ITEM_PLANNED,
    PLAN_APPROVED,
    PLAN_PROPOSED,
    AllocationItem,
    AllocationPlan,
)


def recycle_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-6 daily: recycle neglected customers into the bin (POOL-8: straight to public after
    the N-th different rep), set-based; the former owners are told."""
    policy = get_policy(session)
    at = company_day_start(session, run_date)
    recycled = move_customers_where(
        session,
        due_condition(session, run_date, policy),
        to_pool=POOL_BIN,
        rule="POOL-6",
        reason="超过回收期限无有效跟进",
        at=at,
    )
    notify_many(
        session,
        {owner_id: {"count": count} for owner_id, count in recycled.per_owner.items()},
        "recycled",
        "{count} 个客户因长期无有效跟进已被回收",
        link="/pools/mine",
        rule="POOL-6",
        dedupe_key=f"POOL-6:recycled:{run_date}",
    )
    to_public: list[int] = []
    if recycled.ids and "recycle" in policy.three_strikes_counts:
        strikes = and_(
            Customer.id.in_(ids_select(session, recycled.ids)),
            givers_count_sql(policy.three_strikes_counts) >= policy.three_strikes_reps,
        )
        to_public = move_customers_where(
            session, strikes, to_pool=POOL_PUBLIC, rule="POOL-8", reason="多名销售放弃，直接进入公海", at=at
        ).ids
    return {"recycled": recycled.ids, "to_public": to_public}


def warn_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-6 warnings: on working days, owners of customers recycled within `warn_days` working
    days are told (one note per owner per day)."""
    policy = get_policy(session)
    calendar = get_calendar(session)
    horizon = rules.warn_horizon(run_date, policy.warn_days, calendar)
    if horizon is None or not calendar.is_workday(run_date):
        return {"warned": []}
    condition = and_(
        recyclable_base(session, run_date),
        anchor_at_most(session, policy, calendar, horizon),
        not_(anchor_at_most(session, policy, calendar, run_date)),
    )
    rows = session.execute(
        select(Customer.id, Customer.owner_id).where(condition).order_by(Customer.id)
    ).all()
    warned = [cid for cid, _ in rows]
    notify_many(
        session,
        {  # `recyclable_base` selects owned customers only: the `is not None` filters nothing
            owner_id: {"count": count}
            for owner_id, count in Counter(owner for _, owner in rows if owner is not None).items()
        },
        "recycle_warning",
        "{count} 个客户即将被回收，请尽快添加有效跟进",
        link="/pools/mine",
        rule="POOL-6",
        dedupe_key=f"POOL-6:warn:{run_date}",
        due_at=company_moment(session, run_date, get_policy(session).reminder_time),
    )
    return {"warned": warned}


def _planned_ids() -> Any:
    return (
        select(AllocationItem.customer_id)
        .join(AllocationPlan, AllocationPlan.id == AllocationItem.plan_id)
        .where(
            AllocationPlan.status.in_((PLAN_PROPOSED, PLAN_APPROVED)), AllocationItem.status == ITEM_PLANNED
        )
    )


def bin_expiry_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """POOL-7: customers still unplanned `bin_days` working days after entering the bin go public."""
    policy = get_policy(session)
    cutoff = rules.recycle_cutoff(run_date, policy.bin_days, get_calendar(session))
    condition = and_(
        Customer.pool == POOL_BIN,
        Customer.pool_entered_at < company_day_start(session, cutoff + rules.ONE_DAY),
        Customer.id.not_in(_planned_ids()),
    )
    moved = move_customers_where(
        session,
        condition,
        to_pool=POOL_PUBLIC,
        rule="POOL-7",
        reason="待分配超期未分配，进入公海",
        at=company_day_start(session, run_date),
    )
    return {"to_public": moved.ids}


def member_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """MEM-1: active members without a valid follow-up for a maintenance period are opened for
    redevelopment by other reps (set-based)."""
    policy = get_policy(session)
    cutoff = rules.member_cutoff(run_date, policy.member_maintenance_months)
    limit = company_day_start(session, cutoff + rules.ONE_DAY)
    anchor = func.coalesce(Customer.protected_since, Customer.created_at)
    condition = and_(
        active_member(run_date),
        Customer.open_for_redevelopment.is_(False),
        Customer.pool == POOL_PRIVATE,
        anchor < limit,
        or_(Customer.last_valid_followup_at.is_(None), Customer.last_valid_followup_at < limit),
    )
    rows = list(session.execute(select(Customer.id, Customer.owner_id).where(condition)))
    if not rows:
        return {"opened_for_redevelopment": []}
    ids = [cid for cid, _ in rows]
    session.execute(
        update(Customer)
        .where(condition)
        .values(open_for_redevelopment=True, version=Customer.version + 1)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor_id=None,
        action="customer.open_for_redevelopment",
        object_type="customer",
        object_id=None,
        after={"customer_ids": ids},
        rule="MEM-1",
    )
    counts: dict[int, int] = {}
    for _, owner in rows:
        if owner is not None:
            counts[owner] = counts.get(owner, 0) + 1
    notify_many(
        session,
        {owner: {"count": count} for owner, count in counts.items()},
        "member_open",
        "{count} 个会员客户超过维护期未跟进，已开放给其他销售开发",
        link="/pools/mine",
        rule="MEM-1",
        dedupe_key=f"MEM-1:{run_date}",
    )
    return {"opened_for_redevelopment": ids}


def cancel_pending_releases(session: Session, moved: Any) -> None:
    session.execute(
        update(Application)
        .where(
            Application.kind == KIND_RELEASE,
            Application.status == STATUS_PENDING,
            Application.customer_id.in_(moved),
        )
        .values(status=STATUS_CANCELLED, decision_rule="POOL-6", decision_reason="客户已被回收")
        .execution_options(synchronize_session=False)
    )
