"""The monthly statistics rows (DEAL-7): each deal counted once a month, in its latest category."""

from __future__ import annotations

from sqlalchemy import delete, func, literal, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.db import upsert_insert
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN
from poolcrm.deals.models import (
    Deal,
    DealMonth,
    DealMonthTotal,
    DealRollupState,
)
from poolcrm.policy.rules import Policy


def _cycle_days(deal: Deal, policy: Policy) -> int | None:
    if deal.category != rules.WON or deal.closed_at is None:
        return None
    return (
        clock.local_date(deal.closed_at, policy.timezone) - clock.local_date(deal.created_at, policy.timezone)
    ).days


def carried_rows(session: Session, yyyymm: int) -> bool:
    state = session.get(DealRollupState, yyyymm)
    return state is not None and state.carried_at is not None


def ensure_month(session: Session, yyyymm: int) -> bool:
    """DEAL-7: carry every open deal into month `yyyymm` (one set-based INSERT … SELECT, idempotent).
    Runs on the first deal write of a month and in the daily job. Returns True if it ran now."""
    cache = session.info.setdefault("poolcrm.deals.months", set())
    if yyyymm in cache:
        return False
    if carried_rows(session, yyyymm):
        cache.add(yyyymm)
        return False
    insert = upsert_insert(session)
    rows = select(
        Deal.id, literal(yyyymm), Deal.owner_id, Deal.category, Deal.stage, Deal.max_stage, Deal.amount
    ).where(Deal.category.in_(OPEN))
    stmt = (
        insert(DealMonth)
        .from_select(["deal_id", "yyyymm", "owner_id", "category", "stage", "max_stage", "amount"], rows)
        .on_conflict_do_nothing()
    )
    session.execute(stmt)
    now = clock.now()
    session.execute(
        insert(DealRollupState)
        .values(yyyymm=yyyymm, carried_at=now)
        .on_conflict_do_update(index_elements=["yyyymm"], set_={"carried_at": now})
    )
    cache.add(yyyymm)
    return True


def freeze_past_months(session: Session, current: int) -> list[int]:
    """DEAL-9: sum every finished month not yet frozen into deal_month_totals (set-based, once)."""
    frozen = set(
        session.scalars(select(DealRollupState.yyyymm).where(DealRollupState.totals_at.is_not(None)))
    )
    months = [
        m for m in session.scalars(select(DealMonth.yyyymm).distinct()) if m < current and m not in frozen
    ]
    insert = upsert_insert(session)
    now = clock.now()
    for yyyymm in sorted(months):
        session.execute(delete(DealMonthTotal).where(DealMonthTotal.yyyymm == yyyymm))
        summed = (
            select(
                DealMonth.yyyymm,
                DealMonth.owner_id,
                DealMonth.category,
                DealMonth.stage,
                func.count(),
                func.coalesce(func.sum(DealMonth.amount), 0),
                func.coalesce(func.sum(DealMonth.cycle_days), 0),
                func.count(DealMonth.cycle_days),
            )
            .where(DealMonth.yyyymm == yyyymm)
            .group_by(DealMonth.yyyymm, DealMonth.owner_id, DealMonth.category, DealMonth.stage)
        )
        session.execute(
            insert(DealMonthTotal).from_select(
                ["yyyymm", "owner_id", "category", "stage", "deals", "amount", "cycle_sum", "cycle_n"], summed
            )
        )
        session.execute(
            insert(DealRollupState)
            .values(yyyymm=yyyymm, totals_at=now)
            .on_conflict_do_update(index_elements=["yyyymm"], set_={"totals_at": now})
        )
    return sorted(months)


def snapshot_month(session: Session, deal: Deal, policy: Policy) -> None:
    """DEAL-7: the deal's row for this month holds its latest state (upsert)."""
    yyyymm = rules.month_key(clock.today(policy.timezone))
    ensure_month(session, yyyymm)
    amount = rules.reported_amount(deal.category, deal.amount, deal.actual_amount)
    values = {
        "owner_id": deal.owner_id,
        "category": deal.category,
        "stage": deal.stage,
        "max_stage": deal.max_stage,
        "amount": amount,
        "cycle_days": _cycle_days(deal, policy),
    }
    stmt = upsert_insert(session)(DealMonth).values(deal_id=deal.id, yyyymm=yyyymm, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["deal_id", "yyyymm"], set_=values))
