"""Deal analytics (DEAL-9): pipeline by stage and owner, conversion, cycle time, trends, the stage board."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.db import ids_select
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN
from poolcrm.deals.models import (
    Deal,
    DealCategoryChange,
    DealMonth,
    DealMonthTotal,
    DealRollupState,
)
from poolcrm.deals.output import DealFilter, filtered_query
from poolcrm.deals.rollup import carried_rows
from poolcrm.deals.tables import probabilities, stage_table
from poolcrm.errors import InvalidInput
from poolcrm.org.models import Department, User
from poolcrm.org.service import visible_owner_ids
from poolcrm.policy.service import get_policy


def chart_owners(session: Session, user: User, owner: int | None, team: int | None) -> set[int] | None:
    """ORG-5 scope of a chart, narrowed to one owner or one team; None = everyone."""
    scope = visible_owner_ids(session, user)
    owners: set[int] | None = None if scope is None else set(scope)
    if owner is not None:
        owners = {owner} if owners is None or owner in owners else set()
    if team is not None:
        members = set(session.scalars(select(User.id).where(User.department_id == team)))
        owners = members if owners is None else owners & members
    return owners


def _month_rows(session: Session, user: User, yyyymm: int, owner: int | None, team: int | None) -> Any:
    """The DEAL-7 rows of a month as a subquery (owner_id, category, stage, max_stage, amount, cycle_days),
    scoped by ORG-5. Before the month has been carried forward, open deals without a row count with
    their current state (only for the current month: nothing else could have changed them)."""
    policy = get_policy(session)
    owners = chart_owners(session, user, owner, team)

    def scoped(q: Any, column: Any) -> Any:
        return q if owners is None else q.where(column.in_(ids_select(session, sorted(owners))))

    stored = scoped(
        select(
            DealMonth.owner_id,
            DealMonth.category,
            DealMonth.stage,
            DealMonth.max_stage,
            DealMonth.amount,
            DealMonth.cycle_days,
        ).where(DealMonth.yyyymm == yyyymm),
        DealMonth.owner_id,
    )
    current = rules.month_key(clock.today(policy.timezone))
    if yyyymm != current or carried_rows(session, yyyymm):
        return stored.subquery()
    missing = scoped(
        select(
            Deal.owner_id,
            Deal.category,
            Deal.stage,
            Deal.max_stage,
            Deal.amount,
            literal(None).label("cycle_days"),
        ).where(
            Deal.category.in_(OPEN),
            ~select(DealMonth.deal_id)
            .where(DealMonth.deal_id == Deal.id, DealMonth.yyyymm == yyyymm)
            .exists(),
        ),
        Deal.owner_id,
    )
    return union_all(stored, missing).subquery()


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


def period_label(yyyymm: int) -> str:
    return f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"


BY_KEYS = ("stage", "owner", "category", "team")


def analytics(
    session: Session,
    user: User,
    *,
    month: date,
    by: str = "stage",
    owner: int | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    """DEAL-9 for one month (DEAL-7 counting): rows per stage / owner / category / team with count,
    amount and weighted amount; conversion between stages; win rate and cycle time."""
    return analytics_by(session, user, month=month, bys=(by,), owner=owner, team=team)[by]


def analytics_by(
    session: Session,
    user: User,
    *,
    month: date,
    bys: Iterable[str],
    owner: int | None = None,
    team: int | None = None,
) -> dict[str, dict[str, Any]]:
    """`analytics` for several groupings of the same month at once (the analytics page shows all
    four): the month's conversion, win rate and cycle time are read once, not once per grouping."""
    bys = list(dict.fromkeys(bys))
    if any(by not in BY_KEYS for by in bys):
        raise InvalidInput({"by": "取值须为 stage/owner/category/team"})
    yyyymm = rules.month_key(month)
    rows = _month_rows(session, user, yyyymm, owner, team)
    reached: dict[Any, int] = dict(
        session.execute(select(rows.c.max_stage, func.count()).group_by(rows.c.max_stage)).all()
    )
    by_cat: dict[str, int] = dict(
        session.execute(select(rows.c.category, func.count()).group_by(rows.c.category)).all()
    )
    cycle = session.execute(
        select(func.avg(rows.c.cycle_days), func.count(rows.c.cycle_days)).where(rows.c.category == rules.WON)
    ).one()
    won, lost = by_cat.get(rules.WON, 0), by_cat.get(rules.LOST, 0)
    out = {}
    for by in bys:
        out_rows = _grouped(session, rows, by)
        out[by] = {
            "period": period_label(yyyymm),
            "by": by,
            "rows": out_rows,
            "conversion": rules.stage_conversion({int(k): int(v) for k, v in reached.items()}),
            "totals": {
                "count": sum(r["count"] for r in out_rows),
                "amount": sum(r["amount"] for r in out_rows),
                "weighted_amount": sum(r["weighted_amount"] for r in out_rows),
                "won": won,
                "lost": lost,
                "win_rate": round(won / (won + lost), 4) if won + lost else None,  # nothing decided: no rate
                "avg_cycle_days": round(float(cycle[0]), 1) if cycle[0] is not None else None,
            },
        }
    return out


def _grouped(session: Session, rows: Any, by: str) -> list[dict[str, Any]]:
    """DEAL-9: the month's rows grouped `by` stage / owner / category / team, largest amount first
    (stages and categories in their own order)."""
    probs = probabilities(session)
    group = {
        "stage": rows.c.stage,
        "owner": rows.c.owner_id,
        "category": rows.c.category,
        "team": rows.c.owner_id,
    }[by]
    cols = [group] if by == "stage" else [group, rows.c.stage]
    data = session.execute(select(*cols, func.count(), func.sum(rows.c.amount)).group_by(*cols)).all()
    agg: dict[Any, list[Any]] = {}
    dept_of: dict[int, int | None] = {}
    if by == "team":  # the departments of the month's owners, not of every user
        owners = sorted({row[0] for row in data if row[0] is not None})
        depts = select(User.id, User.department_id).where(User.id.in_(ids_select(session, owners)))
        dept_of = dict(session.execute(depts).tuples().all())
    for row in data:
        key, stage = row[0], (row[0] if by == "stage" else row[1])
        count, amount = int(row[-2]), _dec(row[-1])
        if by == "team":
            key = dept_of.get(key) if key is not None else None
        slot = agg.setdefault(key, [0, Decimal("0"), Decimal("0")])
        slot[0] += count
        slot[1] += amount
        slot[2] += rules.weighted(amount, probs.get(int(stage), 0))
    labels = _labels(session, by, agg.keys())
    keys = (
        sorted(agg, key=lambda k: (k is None, k)) if by == "stage" else sorted(agg, key=lambda k: -agg[k][1])
    )
    if by == "category":
        keys = [c for c in rules.CATEGORIES if c in agg]
    return [
        {
            "key": "" if k is None else str(k),
            "label": labels.get(k, "—"),
            "count": agg[k][0],
            "amount": float(agg[k][1]),
            "weighted_amount": float(agg[k][2]),
        }
        for k in keys
    ]


def _labels(session: Session, by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if by == "stage":
        return {k: f"{k} · {probabilities(session).get(int(k), 0)}%" for k in keys}
    if by == "category":
        return {k: rules.CATEGORY_LABELS.get(k, k) for k in keys}
    if by == "owner":
        named = select(User.id, User.display_name).where(User.id.in_(ids_select(session, keys)))
        return dict(session.execute(named).tuples().all())
    return dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(keys))).all())


def trend(
    session: Session,
    user: User,
    *,
    month: date,
    months: int = 12,
    owner: int | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    """DEAL-9 by month: per month (DEAL-7 counting) deals and amount per category, won amount and
    average cycle time (days from creation to win) over the `months` months ending at `month`."""
    policy = get_policy(session)
    end = rules.month_key(month)
    months = max(1, min(months, 36))
    start = rules.shift_month(end, -(months - 1))
    keys = [rules.shift_month(start, i) for i in range(months)]
    owners = chart_owners(session, user, owner, team)
    current = rules.month_key(clock.today(policy.timezone))
    frozen = set(
        session.scalars(
            select(DealRollupState.yyyymm).where(
                DealRollupState.yyyymm.between(start, end), DealRollupState.totals_at.is_not(None)
            )
        )
    )
    frozen = {m for m in frozen if m < current}
    live = [k for k in keys if k not in frozen]
    table: dict[int, dict[str, Any]] = {
        k: {"count": {}, "amount": {}, "cycle_sum": 0, "cycle_n": 0} for k in keys
    }
    t, m = DealMonthTotal, DealMonth
    queries: list[Select[Any, Any, Any, Any, Any, Any]] = []
    if frozen:  # finished months: the frozen totals (a few thousand rows per month)
        frozen_q = select(
            t.yyyymm,
            t.category,
            func.sum(t.deals),
            func.sum(t.amount),
            func.sum(t.cycle_sum),
            func.sum(t.cycle_n),
        ).where(t.yyyymm.in_(sorted(frozen)))
        if owners is not None:
            frozen_q = frozen_q.where(t.owner_id.in_(ids_select(session, sorted(owners))))
        queries.append(frozen_q.group_by(t.yyyymm, t.category))
    if live:  # the current month (and any month not frozen yet): the DEAL-7 rows themselves
        live_q = select(
            m.yyyymm,
            m.category,
            func.count(),
            func.sum(m.amount),
            func.sum(m.cycle_days),
            func.count(m.cycle_days),
        ).where(m.yyyymm.in_(live))
        if owners is not None:
            live_q = live_q.where(m.owner_id.in_(ids_select(session, sorted(owners))))
        queries.append(live_q.group_by(m.yyyymm, m.category))
    for q in queries:
        for yyyymm, category, count, amount, cycle_sum, cycle_n in session.execute(q).all():
            slot = table[int(yyyymm)]
            slot["count"][category] = slot["count"].get(category, 0) + int(count)
            slot["amount"][category] = slot["amount"].get(category, 0.0) + float(_dec(amount))
            slot["cycle_sum"] += int(cycle_sum or 0)
            slot["cycle_n"] += int(cycle_n or 0)
    return {
        "months": [period_label(k) for k in keys],
        "categories": list(rules.CATEGORIES),
        "count": {c: [table[k]["count"].get(c, 0) for k in keys] for c in rules.CATEGORIES},
        "amount": {c: [table[k]["amount"].get(c, 0.0) for k in keys] for c in rules.CATEGORIES},
        "avg_cycle_days": [
            round(table[k]["cycle_sum"] / table[k]["cycle_n"], 1) if table[k]["cycle_n"] else None
            for k in keys
        ],
    }


def board(
    session: Session, user: User, *, owner: int | None = None, limit_per_stage: int = 60
) -> dict[int, list[Deal]]:
    """The open pipeline by stage (the board's columns)."""
    f = DealFilter(owner=owner, state="open")
    q = filtered_query(session, user, f, get_policy(session)).order_by(Deal.expected_close_on, Deal.id)
    columns: dict[int, list[Deal]] = {s: [] for s in range(rules.MIN_STAGE + 1, rules.MAX_STAGE + 1)}
    for deal in session.scalars(q.limit(limit_per_stage * 10)):
        if deal.stage in columns and len(columns[deal.stage]) < limit_per_stage:
            columns[deal.stage].append(deal)
    return columns


def stage_pipeline(session: Session, owners: Iterable[int] | None, month_start: datetime) -> dict[str, Any]:
    """GOV-6 / DEAL-9: the pipeline by stage 0–10 for a dashboard, in one grouped query — the open
    deals (their amount), the signed ones still being paid (their contract amount), and the deals won
    or lost since `month_start`; `owners` None = the whole company. Totals per stage and per category."""
    contracted = Deal.category.in_(rules.CONTRACTED)
    amount = func.coalesce(func.sum(case((contracted, Deal.actual_amount), else_=Deal.amount)), 0)
    bucket = case((Deal.category.in_(OPEN), literal("open")), else_=Deal.category)
    won_since = select(DealCategoryChange.deal_id).where(
        DealCategoryChange.category == rules.WON, DealCategoryChange.at >= month_start
    )
    q = select(Deal.stage, bucket, func.count(), amount).where(
        or_(
            Deal.category.in_((*OPEN, rules.SIGNED)),
            and_(Deal.category == rules.LOST, Deal.closed_at >= month_start),
            # DEAL-8: won = fully paid, which may come long after signing (closed_at): its history says when
            and_(Deal.category == rules.WON, Deal.id.in_(won_since)),
        )
    )
    if owners is not None:
        q = q.where(Deal.owner_id.in_(ids_select(session, sorted(owners))))
    by_stage: dict[int, list[Any]] = {}
    by_bucket: dict[str, list[Any]] = {}
    for stage, kind, n, total in session.execute(q.group_by(Deal.stage, bucket)):
        for table, key in ((by_stage, stage), (by_bucket, kind)):
            cell = table.setdefault(key, [0, Decimal(0)])
            cell[0] += n
            cell[1] += _dec(total)
    empty = [0, Decimal(0)]
    return {
        "rows": [
            {"stage": s.stage, "name": s.customer_desc, "count": c[0], "amount": c[1]}
            for s in stage_table(session)
            for c in [by_stage.get(s.stage, empty)]
        ],
        **{
            k: {"count": v[0], "amount": v[1]}
            for k in ("open", *rules.CATEGORIES)
            for v in [by_bucket.get(k, empty)]
        },
    }
