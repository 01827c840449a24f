"""Pool rules (POOL-*, MEM-1): pure decisions, no database, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from poolcrm.calendar.rules import add_months

ONE_DAY = timedelta(days=1)
# Ownership-event rules that mean "this rep gave the customer up" (POOL-8, POOL-13).
GIVE_UP_RULES: dict[str, str] = {"release": "POOL-5", "recycle": "POOL-6"}
SALES_DEPARTMENT_KINDS: frozenset[str] = frozenset({"sales", "ka"})


class Workdays(Protocol):
    """The part of `poolcrm.calendar.rules.WorkdayCalendar` the pool rules need (CAL-1)."""

    def is_workday(self, d: date) -> bool: ...

    def first_date_after(self, anchor: date, n: int) -> date: ...


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: the rule ID, a Chinese catalogue message and its parameters."""

    rule: str
    message: str
    params: Mapping[str, object]


NEARLY_FULL_SHARE = 0.9
"""POOL-2 as people see it: a private pool this full of its limit shows amber ("nearly full")."""


def usage_level(used: int, limit: int) -> str:
    """POOL-2 usage as a level: "full" at the limit, "high" from NEARLY_FULL_SHARE of it, "" below
    (the usage bars on the dashboard and the pool pages, the GM's count of nearly full pools)."""
    if limit <= 0:
        return ""
    if used >= limit:
        return "full"
    return "high" if used >= NEARLY_FULL_SHARE * limit else ""


def pool_limit_for(
    *,
    hired_on: date,
    today: date,
    department_kind: str | None,
    limit_new: int,
    limit_senior: int,
    limit_ka: int,
    new_rep_tenure_months: int,
) -> int:
    """POOL-2: private-pool capacity — KA department → limit_ka; tenure < N calendar months
    (today < hired_on + N months) → limit_new; otherwise limit_senior."""
    if department_kind == "ka":
        return limit_ka
    if today < add_months(hired_on, new_rep_tenure_months):
        return limit_new
    return limit_senior


def is_active_member(member_until: date | None, today: date) -> bool:
    """CUS-16: a member customer is active through its member_until date."""
    return member_until is not None and member_until >= today


def pool_full_on_apply(owned: int, pending: int, limit: int) -> Refusal | None:
    """POOL-2 when applying: owned + own pending applications + this one must fit the limit."""
    if owned + pending + 1 > limit:
        return Refusal("POOL-2", "私海已满（{used}/{limit}）", {"used": owned + pending, "limit": limit})
    return None


def pool_full_on_approve(owned: int, limit: int) -> Refusal | None:
    """POOL-2 when approving (or allocating): the approved application turns into an owned
    customer, so the rep's owned customers after the move must not exceed the limit. Other
    pending applications are checked when they in turn are approved."""
    if owned + 1 > limit:
        return Refusal("POOL-2", "私海已满（{used}/{limit}）", {"used": owned, "limit": limit})
    return None


def claim_refusal(
    *,
    pool: str,
    visible_to_applicant: bool,
    entered_pool_at: datetime | None,
    now: datetime,
    wait_hours: int,
    gave_up_at: datetime | None,
    cooldown_days: int,
    claims_today: int,
    daily_limit: int,
    already_applied: bool,
) -> Refusal | None:
    """POOL-1/3/4/13/14: may a rep apply to protect this customer now? (POOL-2 is checked
    separately, with the counts, by `pool_full_on_apply`.) A private customer the applicant
    cannot see is reported by the caller as not found (POOL-3, ORG-5)."""
    if pool == "private":
        return Refusal("POOL-3", "该客户已被其他销售保护", {})
    if pool == "bin":
        return Refusal("POOL-7", "该客户在待分配库中，由总经理分配，不能申请", {})
    if pool != "public":
        return Refusal("POOL-1", "只能申请保护公海客户", {})
    if already_applied:
        return Refusal("POOL-4", "你已申请保护该客户，正在等待审核", {})
    if gave_up_at is not None and cooldown_days > 0 and now < gave_up_at + timedelta(days=cooldown_days):
        until = (gave_up_at + timedelta(days=cooldown_days)).date()
        return Refusal(
            "POOL-13",
            "你在 {days} 天内放弃过该客户，{until} 之后才能再次申请",
            {"days": cooldown_days, "until": until.isoformat()},
        )
    if daily_limit > 0 and claims_today >= daily_limit:
        return Refusal(
            "POOL-14",
            "今日申请保护已达上限（{count}/{limit}）",
            {"count": claims_today, "limit": daily_limit},
        )
    if wait_hours > 0 and entered_pool_at is not None and now < entered_pool_at + timedelta(hours=wait_hours):
        return Refusal("POOL-14", "该客户刚进入公海，{hours} 小时后才能申请", {"hours": wait_hours})
    return None


def recycle_threshold(grade: str | None, tier: str | None, default: int, overrides: Mapping[str, int]) -> int:
    """POOL-17: the idle working days allowed for a customer — an override for its grade wins,
    then one for its tier, else the default (POOL-6)."""
    if grade is not None and grade in overrides:
        return overrides[grade]
    if tier is not None and tier in overrides:
        return overrides[tier]
    return default


def recycle_anchor(
    last_valid_followup_on: date | None, protected_since_on: date | None, locked_until: date | None
) -> date | None:
    """POOL-6 anchor A: the later of the last valid follow-up's date and the date the customer
    entered this private pool (local dates). POOL-11: a lock extends protection through its
    date, so the idle count starts again when the lock ends."""
    candidates = [d for d in (last_valid_followup_on, protected_since_on, locked_until) if d is not None]
    return max(candidates) if candidates else None


def recycle_due(anchor: date, idle_workdays: int, calendar: Workdays) -> date:
    """POOL-6/POOL-16: the date whose daily run recycles a customer with anchor A — the smallest
    T with #{working days d : A < d < T} ≥ idle_workdays. The job and every countdown use this.
    A = Mon 2026-11-02, 5 → Tue 2026-11-10; A = Wed 2026-09-30, 5 → Wed 2026-10-14."""
    return calendar.first_date_after(anchor, idle_workdays)


def recycle_cutoff(run_date: date, idle_workdays: int, calendar: Workdays) -> date:
    """POOL-6, set-based form of `recycle_due`: the latest anchor A that the run of `run_date`
    recycles, i.e. recycle_due(A) ≤ run_date ⟺ A ≤ recycle_cutoff(run_date). It is the day before
    the n-th working day counted back from run_date − 1 (so the daily job compares one indexed
    column with one constant per rule)."""
    if idle_workdays < 1:
        return run_date - ONE_DAY
    day, seen = run_date, 0
    while seen < idle_workdays:
        day -= ONE_DAY
        if calendar.is_workday(day):
            seen += 1
    return day - ONE_DAY


def workdays_left(today: date, due: date, calendar: Workdays) -> int:
    """POOL-16 countdown: the working days left to act before the run of `due` recycles the
    customer — working days d with today ≤ d < due ("还有 N 个工作日被回收")."""
    count, day = 0, today
    while day < due:
        if calendar.is_workday(day):
            count += 1
        day += ONE_DAY
    return count


def warn_horizon(run_date: date, warn_days: int, calendar: Workdays) -> date | None:
    """POOL-6 warnings: the run of `run_date` warns owners of customers due by the returned date
    (at most `warn_days` working days left); None when warnings are switched off."""
    if warn_days < 1:
        return None
    day, seen = run_date, 0
    while True:
        if calendar.is_workday(day):
            seen += 1
            if seen == warn_days + 1:
                return day
        day += ONE_DAY


def is_due_soon(left: int, warn_days: int) -> bool:
    """POOL-6/16: a countdown is shown red when at most `warn_days` working days are left."""
    return left <= warn_days


def three_strikes(givers: set[int], strikes: int) -> bool:
    """POOL-8: a customer given up by `strikes` different reps is no longer allocated."""
    return len(givers) >= strikes


def bin_expired(entered_bin_on: date, run_date: date, bin_days: int, calendar: Workdays) -> bool:
    """POOL-7: unplanned customers go public once `bin_days` working days have passed after the
    day they entered the bin (same counting as POOL-6)."""
    return calendar.first_date_after(entered_bin_on, bin_days) <= run_date


def member_cutoff(run_date: date, months: int) -> date:
    """MEM-1: the latest anchor (last valid follow-up or membership start) that the run of
    `run_date` opens for redevelopment: anchor + months < run_date."""
    day = run_date - ONE_DAY
    while add_months(day, months) >= run_date:
        day -= ONE_DAY
    return day


def member_needs_redevelopment(anchor: date, run_date: date, months: int) -> bool:
    """MEM-1: one maintenance period passed after the anchor without a valid follow-up."""
    return add_months(anchor, months) < run_date


def lock_refusal(*, locks_in_use: int, limit: int, until: date, today: date, max_days: int) -> Refusal | None:
    """POOL-11: a supervisor may lock a customer until a future date, within the per-rep limit.
    POOL-11a: at most `max_days` ahead — a lock exempts the customer from recycling (POOL-6), so
    one to 2199 would protect it for good; a longer protection is a new lock later."""
    if until < today:
        return Refusal("POOL-11", "锁定日期不能早于今天", {})
    latest = today + timedelta(days=max_days)
    if until > latest:
        return Refusal(
            "POOL-11a",
            "锁定最长 {days} 天（最晚 {latest}）",
            {"days": max_days, "latest": latest.isoformat()},
        )
    if locks_in_use >= limit:
        return Refusal(
            "POOL-11", "该销售的锁定客户已达上限（{count}/{limit}）", {"count": locks_in_use, "limit": limit}
        )
    return None


def leaves_sales(
    before_active: bool, after_active: bool, before_kind: str | None, after_kind: str | None
) -> bool:
    """POOL-10: a rep leaves sales when disabled or moved out of a sales/KA department; a move
    between sales departments keeps the private pool."""
    was_sales = before_active and before_kind in SALES_DEPARTMENT_KINDS
    still_sales = after_active and after_kind in SALES_DEPARTMENT_KINDS
    return was_sales and not still_sales


def round_robin(
    customers: Sequence[tuple[int, frozenset[int]]], reps: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[int]]:
    """POOL-7 allocation rule: deal customers out in turn to reps already ordered by last week's
    ranking, each rep taking at most their remaining POOL-2 capacity and never a customer they
    gave up (POOL-8/13). Returns (customer, rep) pairs and the customers nobody could take."""
    capacity = {rep: cap for rep, cap in reps}
    order = [rep for rep, _ in reps]
    pairs: list[tuple[int, int]] = []
    left: list[int] = []
    turn = 0
    for customer_id, givers in customers:
        chosen = None
        for step in range(len(order)):
            rep = order[(turn + step) % len(order)]
            if capacity[rep] > 0 and rep not in givers:
                chosen, turn = rep, (turn + step + 1) % len(order)
                break
        if chosen is None:
            left.append(customer_id)
        else:
            capacity[chosen] -= 1
            pairs.append((customer_id, chosen))
    return pairs, left


def reallocation_approved(gm_approved: bool, manager_approved: bool) -> bool:
    """POOL-9: a reallocation between reps needs the GM's and the sales manager's approval."""
    return gm_approved and manager_approved


def reallocation_slot(
    *,
    actor_id: int,
    proposer_id: int | None,
    manages_everyone: bool,
    is_sales_manager: bool,
    gm_approved_by: int | None,
    manager_approved_by: int | None,
) -> str | None:
    """POOL-9: which of the two approvals this actor gives — "gm" or "manager" — or None. The two
    come from two different people, and neither is the one who proposed the reallocation, whatever
    roles they hold (nobody approves their own request)."""
    if actor_id == proposer_id or actor_id in (gm_approved_by, manager_approved_by):
        return None
    if manages_everyone and gm_approved_by is None:
        return "gm"
    if is_sales_manager and manager_approved_by is None:
        return "manager"
    return None
