"""GOV-4 data-quality dashboard (002 §4.1): per rep (grouped by department) how many of their
private customers fail each check — completeness, accuracy, consistency, timeliness. One SQL
condition per check serves the figures, the daily snapshot and the drill-down list, so a figure
and the list behind it always agree. Whole-company figures come from the daily snapshot; a
drill-down list is live: for one rep or a team the check runs on their customers; for the whole
company it runs on the customers the snapshot flagged plus every customer changed since (a
malformed email has no index, and scanning every private customer for a rare problem took up to
4.8 s at a million customers — docs/benchmarks.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import Integer, and_, case, delete, func, insert, literal, not_, or_, select, union
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from poolcrm import clock
from poolcrm.customers.models import IN_THE_CRM, POOL_BIN, POOL_PRIVATE, POOL_PUBLIC, Customer, active_member
from poolcrm.db import count_capped
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.org.models import Department, User
from poolcrm.org.service import visible_owner_ids
from poolcrm.org.teams import TeamView, team_view
from poolcrm.policy.service import get_policy
from poolcrm.quality import rules
from poolcrm.quality.models import QualityFlag, QualityRun, QualitySnapshot
from poolcrm.quality.verification import Progress, verified_since

DRILL_LIMIT = 200
# A drill-down counts its rows up to db.COUNT_CAP (the page then says "1000+"): a list to work
# through, not a census — the exact figure is the dashboard's. (At 10,000, counting a common check
# whose condition probes the follow-ups took 0.7 s over a million customers on PostgreSQL.)
FLAG_CAP = 50_000
"""The snapshot flags at most this many customers per check; a check failing more often is common
enough that listing it live finds its rows at once."""
FLAG_HORIZON = timedelta(days=2)
"""The snapshot also flags what time alone will make fail within this (stale, overdue, a new
verification period), so its flags hold until the next day's; older flags are not used."""
CHANGE_MARGIN = timedelta(minutes=10)
"""A write that began before the snapshot but committed after it is re-checked too."""
TIME_CHECKS = frozenset({"unverified", "tier_overdue", "reminder_overdue", "stale"})
RELATED_CHECKS = frozenset({"shared_phone", "name_conflict", "member_duplicate"})
"""Checks another record can make fail: a changed record's phone or name re-checks its namesakes."""


def _blank(column: Any) -> ColumnElement[bool]:
    return func.coalesce(column, "") == ""


def conditions(session: Session, now: datetime | None = None) -> dict[str, ColumnElement[bool]]:
    """GOV-4: each check as a condition on a customer row, at `now` (default: the clock's)."""
    policy = get_policy(session)
    now = now or clock.now()
    today = clock.local_date(now, policy.timezone)
    period = rules.verification_period(today, policy.verification_period_months)
    other = aliased(Customer)
    in_crm = and_(other.id != Customer.id, other.pool.in_(IN_THE_CRM))
    shared = select(other.id).where(other.phone == Customer.phone, in_crm).exists()
    conflicting = (
        select(other.id)
        .where(other.name_key == Customer.name_key, other.phone != Customer.phone, in_crm)
        .exists()
    )
    member_twin = (
        select(other.id)
        .where(
            other.id != Customer.id,
            other.pool.in_((POOL_PUBLIC, POOL_BIN)),
            or_(
                other.name_key == Customer.name_key, and_(Customer.phone != "", other.phone == Customer.phone)
            ),
        )
        .exists()
    )
    last_contact = func.coalesce(
        Customer.last_valid_followup_at, Customer.pool_entered_at, Customer.created_at
    )
    return {
        "grade_fields": or_(*(_blank(getattr(Customer, f)) for f in rules.GRADE_FIELDS)),
        "bad_contact": or_(
            and_(not_(_blank(Customer.email)), not_(Customer.email.like("%_@_%._%"))),
            and_(not_(_blank(Customer.mobile)), not_(Customer.mobile.like("+%"))),
        ),
        "unverified": ~verified_since(session, period),
        "shared_phone": and_(Customer.phone != "", shared),
        "name_conflict": and_(Customer.name_key != "", conflicting),
        "member_duplicate": and_(active_member(today), member_twin),
        "tier_overdue": or_(
            *(
                and_(Customer.tier == tier, last_contact < now - timedelta(days=days))
                for tier, days in sorted(policy.tier_cadence_days.items())
            )
        ),
        "reminder_overdue": Customer.next_followup_on < today,
        "stale": Customer.updated_at < now - timedelta(days=policy.quality_stale_days),
    }


def _measure(session: Session, owners: list[int] | None) -> dict[int, tuple[int, dict[str, int]]]:
    """Per owner: private customers, and how many fail each check (one pass over the rows)."""
    conds = conditions(session)
    columns = [func.sum(case((cond, 1), else_=0)).cast(Integer) for cond in conds.values()]
    query = (
        select(Customer.owner_id, func.count(), *columns)
        .where(Customer.pool == POOL_PRIVATE, Customer.owner_id.is_not(None))
        .group_by(Customer.owner_id)
    )
    if owners is not None:
        query = query.where(Customer.owner_id.in_(owners))
    return {
        row[0]: (row[1], {k: int(v or 0) for k, v in zip(conds, row[2:], strict=True)})
        for row in session.execute(query)
        if row[0] is not None  # always: the query selects owned customers
    }


def snapshot(session: Session, day: date) -> int:
    """GOV-4 (daily job): today's figures for every owner, replacing any of the same day, and the
    customers failing each check (the whole-company drill-down's flags)."""
    taken_at = clock.now()
    figures = _measure(session, None)
    session.execute(delete(QualitySnapshot).where(QualitySnapshot.day == day))
    if figures:
        session.execute(
            insert(QualitySnapshot),
            [{"day": day, "owner_id": oid, "total": t, "counts": c} for oid, (t, c) in figures.items()],
        )
    _flag(session, day, taken_at)
    return len(figures)


def _flag(session: Session, day: date, taken_at: datetime) -> None:
    """GOV-4: replace the flags with the private customers failing each check now or within
    FLAG_HORIZON (the first FLAG_CAP by id), and mark the run. Flags are a cache of the checks,
    rebuilt whole each day; nothing else refers to them."""
    now, ahead = conditions(session, taken_at), conditions(session, taken_at + FLAG_HORIZON)
    session.execute(delete(QualityFlag))
    for key in rules.CHECK_KEYS:
        cond = or_(now[key], ahead[key]) if key in TIME_CHECKS else now[key]
        ids = (
            select(Customer.id.label("customer_id"))
            .where(Customer.pool == POOL_PRIVATE, Customer.owner_id.is_not(None), cond)
            .order_by(Customer.id)
            .limit(FLAG_CAP)
            .subquery()
        )
        session.execute(
            insert(QualityFlag).from_select(
                ["check_key", "customer_id"], select(literal(key), ids.c.customer_id)
            )
        )
    written = session.execute(select(QualityFlag.check_key, func.count()).group_by(QualityFlag.check_key))
    capped = sorted(key for key, n in written if n >= FLAG_CAP)
    run = session.scalar(select(QualityRun).where(QualityRun.day == day))
    if run is None:
        session.add(QualityRun(day=day, taken_at=taken_at, capped=capped))
    else:
        run.taken_at, run.capped = taken_at, capped
    session.flush()


def drop_flags(session: Session, customer_id: int) -> None:
    """GOV-4/CUS-10: a record merged away leaves the private pool, so the latest run's flags on it
    stand for no live record and go; the kept record keeps its own (one flag per check and
    customer), and what the merge changes on it is re-checked live (`_flagged`: changed since the
    run). Flags are a cache the daily run rebuilds whole (`_flag`) — no business record, nothing
    refers to them, no state to retire them by — so these rows are deleted like the run's."""
    session.execute(delete(QualityFlag).where(QualityFlag.customer_id == customer_id))


def _flagged(session: Session, key: str) -> ColumnElement[bool] | None:
    """GOV-4: the customers a whole-company list must re-check — those the latest run flagged
    and every customer changed since it (with, for a check another record can make fail, those
    sharing a changed one's phone or name) — or None when the flags cannot be trusted (none, too
    old, or capped)."""
    run = session.scalars(
        select(QualityRun).order_by(QualityRun.taken_at.desc(), QualityRun.id.desc()).limit(1)
    ).first()
    if run is None or key in (run.capped or []) or clock.now() - run.taken_at > FLAG_HORIZON:
        return None
    since = run.taken_at - CHANGE_MARGIN
    changed = select(Customer.id).where(Customer.updated_at >= since)
    parts = [select(QualityFlag.customer_id).where(QualityFlag.check_key == key), changed]
    if key in RELATED_CHECKS:
        touched = aliased(Customer)
        parts.append(
            select(Customer.id).where(
                Customer.phone.in_(select(touched.phone).where(touched.updated_at >= since))
            )
        )
        parts.append(
            select(Customer.id).where(
                Customer.name_key.in_(select(touched.name_key).where(touched.updated_at >= since))
            )
        )
    return Customer.id.in_(union(*parts))


@dataclass
class OwnerRow:
    owner_id: int
    name: str
    department: str
    total: int
    counts: dict[str, int]


@dataclass
class Board:
    """What the dashboard shows: when the figures were taken, per-owner rows, totals, the trend."""

    as_of: date | None  # None: computed live (no snapshot yet)
    rows: list[OwnerRow]
    total: int
    counts: dict[str, int]
    trend: list[dict[str, Any]] = field(default_factory=list)


def _scope(session: Session, user: User) -> list[int] | None:
    visible = visible_owner_ids(session, user)
    return None if visible is None else sorted(visible)


def board(session: Session, user: User) -> Board:
    """GOV-4: the figures of the owners the user sees (their subtree; everyone for the GM, admin
    and CS), from the latest snapshot, else live; with the monthly trend of the last 12 months."""
    owners = _scope(session, user)
    latest = session.scalar(select(func.max(QualitySnapshot.day)))
    if latest is not None:
        query = select(QualitySnapshot).where(QualitySnapshot.day == latest)
        if owners is not None:
            query = query.where(QualitySnapshot.owner_id.in_(owners))
        figures = {s.owner_id: (s.total, dict(s.counts or {})) for s in session.scalars(query)}
    else:
        figures = _measure(session, owners)
    people = {
        uid: (name, dept or "")
        for uid, name, dept in session.execute(
            select(User.id, User.display_name, Department.name)
            .outerjoin(Department, Department.id == User.department_id)
            .where(User.id.in_(sorted(figures)))
        )
    }
    rows = [
        OwnerRow(oid, *people.get(oid, ("", "")), total, {k: counts.get(k, 0) for k in rules.CHECK_KEYS})
        for oid, (total, counts) in figures.items()
    ]
    rows.sort(key=lambda r: (r.department, r.name))
    totals = {k: sum(r.counts[k] for r in rows) for k in rules.CHECK_KEYS}
    return Board(latest, rows, sum(r.total for r in rows), totals, _trend(session, owners, latest))


@dataclass
class TeamBoard:
    """GOV-4/GOV-5 by team (org/teams.py): a line per team — its reps' customers, each check's
    count, the verification done — and the rows of the team chosen (every row while they fit)."""

    teams: TeamView
    lines: list[dict[str, Any]]
    rows: list[OwnerRow]
    progress: list[Progress]


def by_team(session: Session, board: Board, progress: list[Progress], team: int | None) -> TeamBoard:
    view = team_view(session, [r.owner_id for r in board.rows] + [p.owner_id for p in progress], team)
    rows = {r.owner_id: r for r in board.rows}
    done = {p.owner_id: p for p in progress}

    def measure(ids: list[int]) -> dict[str, Any]:
        mine = [rows[i] for i in ids if i in rows]
        checked = [done[i] for i in ids if i in done]
        verified, held = sum(p.done for p in checked), sum(p.total for p in checked)
        return {
            "reps": len(mine),
            "total": sum(r.total for r in mine),
            "counts": {k: sum(r.counts[k] for r in mine) for k in rules.CHECK_KEYS},
            "verified": verified,
            "held": held,
            "percent": round(100 * verified / held) if held else 100,
        }

    lines = view.lines(sorted(set(rows) | set(done)), lambda uid: uid, measure)
    owner = attrgetter("owner_id")
    return TeamBoard(view, lines, view.shown(board.rows, owner), view.shown(progress, owner))


def _trend(session: Session, owners: list[int] | None, latest: date | None) -> list[dict[str, Any]]:
    """GOV-4: per month of the last 12, from its last snapshot: the share of customers failing
    each dimension's checks (a customer counted once per check)."""
    if latest is None:
        return []
    start = date(latest.year - 1, latest.month, 1) + timedelta(days=31)
    days = session.scalars(
        select(QualitySnapshot.day).where(QualitySnapshot.day >= start.replace(day=1)).distinct()
    )
    last_of_month: dict[tuple[int, int], date] = {}
    for day in days:
        key = (day.year, day.month)
        last_of_month[key] = max(day, last_of_month.get(key, day))
    query = select(QualitySnapshot).where(QualitySnapshot.day.in_(sorted(last_of_month.values())))
    if owners is not None:
        query = query.where(QualitySnapshot.owner_id.in_(owners))
    months: dict[date, list[QualitySnapshot]] = defaultdict(list)
    for snap in session.scalars(query):
        months[snap.day].append(snap)
    out = []
    for day in sorted(months):
        total = sum(s.total for s in months[day])
        point: dict[str, Any] = {"month": day.strftime("%Y-%m")}
        for dim in rules.DIMENSIONS:
            keys = [c.key for c in rules.CHECKS if c.dimension == dim]
            count = sum(int((s.counts or {}).get(k, 0)) for s in months[day] for k in keys)
            point[dim] = rules.share(count, total * len(keys))
        out.append(point)
    return out


def drill(
    session: Session, user: User, key: str, owner_id: int | None = None, limit: int = DRILL_LIMIT
) -> tuple[rules.Check, list[Customer], int]:
    """GOV-4: the customers behind one figure (live), for the owners the user sees, or one of them."""
    found = rules.check(key)
    if found is None:
        raise InvalidInput({"check": "未知的检查项"}, rule="GOV-4")
    owners = _scope(session, user)
    if owner_id is not None:
        if owners is not None and owner_id not in owners:
            raise NotFound()
        owners = [owner_id]
    where = [Customer.pool == POOL_PRIVATE, Customer.owner_id.is_not(None), conditions(session)[key]]
    if owners is not None:
        where.append(Customer.owner_id.in_(owners))
    elif (candidates := _flagged(session, key)) is not None:
        where.append(candidates)
    counted, more = count_capped(session, select(Customer.id).where(*where))
    total = counted + more  # COUNT_CAP + 1 when there are more: the page and the API say "1000+"
    items = session.scalars(select(Customer).where(*where).order_by(Customer.id).limit(limit)).all()
    return found, list(items), total
