"""Duty roster rules (IN-3, VIO-2): pure decisions — who is eligible this week, in which order,
who is on duty on a day and who gets the next inbound item. No database, no clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

STRATEGY_RANKING = "ranking"
STRATEGY_GROUPS = "groups"
ONE_WEEK = timedelta(days=7)


def week_start(day: date) -> date:
    """IN-3: rosters run Monday to Sunday (周一~周日)."""
    return day - timedelta(days=day.weekday())


def last_week(start: date) -> tuple[date, date]:
    """IN-3: the figures behind a week's roster are those of the week before: [start−7, start)."""
    return start - ONE_WEEK, start


@dataclass(frozen=True)
class RepFigures:
    user_id: int
    visits: int  # valid follow-ups (FU-1) last week
    sales: Decimal  # won amount credited last week


@dataclass(frozen=True)
class Eligibility:
    user_id: int
    eligible: bool
    reason: str  # Chinese catalogue message
    params: Mapping[str, object] = field(default_factory=dict)
    rank: int | None = None


def rank_reps(reps: Iterable[RepFigures]) -> list[RepFigures]:
    """IN-3: best of last week first — by won amount, then valid visits, then the older account."""
    return sorted(reps, key=lambda r: (-r.sales, -r.visits, r.user_id))


def weekly_eligibility(
    reps: Iterable[RepFigures], min_visits: int, top_n: int
) -> tuple[list[Eligibility], list[int]]:
    """IN-3, IN-3a (ours): a rep is eligible when they passed last week's visit-count assessment (valid
    follow-ups ≥ `duty_min_visits`) and rank in the top `duty_top_n` by last week's sales among
    those who passed. Returns every rep's verdict with the reason and the eligible reps in
    ranking order (the order inbound items are dealt out in)."""
    ranked = rank_reps(reps)
    verdicts: list[Eligibility] = []
    order: list[int] = []
    rank = 0
    for r in ranked:
        if r.visits < min_visits:
            verdicts.append(
                Eligibility(
                    r.user_id,
                    False,
                    "上周有效拜访 {visits} 次，未达到 {min} 次",
                    {"visits": r.visits, "min": min_visits},
                )
            )
            continue
        rank += 1
        if rank > top_n:
            verdicts.append(
                Eligibility(
                    r.user_id,
                    False,
                    "上周业绩排名第 {rank}，不在前 {top} 名",
                    {"rank": rank, "top": top_n, "sales": str(r.sales)},
                    rank,
                )
            )
            continue
        order.append(r.user_id)
        verdicts.append(
            Eligibility(
                r.user_id,
                True,
                "上周有效拜访 {visits} 次，业绩排名第 {rank}",
                {"visits": r.visits, "rank": rank, "sales": str(r.sales)},
                rank,
            )
        )
    return verdicts, order


def fallback_order(all_reps: Sequence[RepFigures]) -> list[int]:
    """IN-3: when nobody is eligible (a new team, a holiday week) every active sales rep takes
    turns, still best of last week first."""
    return [r.user_id for r in rank_reps(all_reps)]


def excluded_until_reinstated(last_fake_at: datetime | None, last_reinstated_at: datetime | None) -> bool:
    """VIO-2 (revised, 000 §4 "无条件取消"): a rep caught with a fake follow-up is off the duty roster
    from the moment it was found until a sales manager or the GM reinstates them — a reinstatement
    counts only for the fakes found before it."""
    return last_fake_at is not None and (last_reinstated_at is None or last_reinstated_at < last_fake_at)


REINSTATING_ROLES: frozenset[str] = frozenset({"sales_manager", "gm"})


def reinstates(roles: Iterable[str]) -> bool:
    """VIO-2: a sales manager or the GM reinstates a rep on the duty roster."""
    return any(r in REINSTATING_ROLES for r in roles)


def overrides_duty(roles: Iterable[str]) -> bool:
    """IN-3: the admin sets who is on duty on a given day (over the weekly computation)."""
    return "admin" in roles


def group_on_duty(day: date, groups: int) -> int:
    """IN-3/IN-3a alternative strategy: sales groups take whole days in turn (周一~周日, holidays
    included — inbound calls come every day); returns the index of the group on duty."""
    if groups < 1:
        return 0
    return (day - week_start(date(2024, 1, 1))).days % groups


def next_duty_rep(
    order: Sequence[int], assigned: Mapping[int, int], has_room: Callable[[int], bool]
) -> tuple[int | None, list[int]]:
    """IN-3/IN-3a "按业绩高低平均轮流分配": the next inbound item goes to the rep with the fewest items
    this week, ties broken by ranking order — so over a week the counts differ by at most one.
    POOL-2: a rep whose private pool is full is passed over for the next one. `has_room` is asked
    in dealing order and no further than the rep chosen (a fallback week rotates every rep of the
    company: thousands). Returns the chosen rep (None when everyone is full) and the reps passed over."""
    position = {uid: i for i, uid in enumerate(order)}
    skipped: list[int] = []
    for uid in sorted(order, key=lambda u: (assigned.get(u, 0), position[u])):
        if has_room(uid):
            return uid, skipped
        skipped.append(uid)
    return None, skipped


ROSTER_READERS: frozenset[str] = frozenset({"cs", "admin", "gm", "sales_manager", "supervisor", "sales"})


def reads_roster(roles: Iterable[str]) -> bool:
    """IN-3: the duty roster is read by CS, sales staff and their managers, admin and the GM."""
    return any(r in ROSTER_READERS for r in roles)
