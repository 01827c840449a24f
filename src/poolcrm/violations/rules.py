"""Violation rules (VIO-1..3): pure decisions — the level a violation reaches, the daily spot-check
sample and the monthly data-quality score. No database, no clock."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

LEVEL_NONE = "none"
LEVEL_WARNING = "warning"
LEVEL_DISMISSAL = "dismissal"
RECORDER_ROLES = frozenset({"cs", "supervisor", "sales_manager", "gm", "admin"})


def is_recorder(roles: Iterable[str]) -> bool:
    """VIO-1: CS, a supervisor, the sales manager, the GM or an admin records violations by hand."""
    return any(r in RECORDER_ROLES for r in roles)


def records_violations(roles: Iterable[str], actor_id: int, user_id: int) -> bool:
    """VIO-1: a recorder records a violation against anyone but themselves (whom they may see is
    ORG-5's, asked beside this)."""
    return actor_id != user_id and is_recorder(roles)


def violation_level(count: int, warning_count: int, dismissal_count: int) -> str:
    """VIO-1: the n-th violation of a rep — from `violation_warning_count` (default 2nd, counted as
    malicious) a written warning (书面警告); from `violation_dismissal_count` (default 3rd) a
    dismissal proposal to HR and the GM."""
    if count >= dismissal_count:
        return LEVEL_DISMISSAL
    if count >= warning_count:
        return LEVEL_WARNING
    return LEVEL_NONE


def spot_check_sample(by_author: Mapping[int, Sequence[int]], per_rep: int, seed: str) -> list[int]:
    """VIO-2: CS's daily spot check — up to `spot_check_per_rep` of each rep's follow-ups of the
    day before, drawn at random (reproducibly for the day, so a re-run draws the same sample)."""
    rng = random.Random(seed)
    picked: list[int] = []
    for author in sorted(by_author):
        ids = sorted(by_author[author])
        picked += sorted(rng.sample(ids, min(per_rep, len(ids))))
    return picked


def assessment_score(
    figures: Mapping[str, int], weights: Mapping[str, int], mode: str = "zero", concealed: bool = False
) -> int:
    """VIO-3 (revised; 001 §3.5.4): by default any item not done to the standard (customers with
    missing fields, invalid follow-ups, overdue deals, fake follow-ups) makes the month's score zero;
    the `points` policy takes the policy's deduction per item from 100 instead (VIO-3a), not below 0.
    A manager's deliberate concealment zeroes every month of its quarter (§3.5.5)."""
    if concealed:
        return 0
    if mode == "zero":
        return 0 if any(count > 0 for count in figures.values()) else 100
    lost = sum(weights.get(item, 0) * count for item, count in figures.items())
    return max(0, 100 - lost)


def in_probation(probation_end_on: date | None, month_last_day: date) -> bool:
    """VIO-3 (001 §3.5.8): staff still in probation at the month's end are not assessed."""
    return probation_end_on is not None and probation_end_on > month_last_day


def quarter_months(yyyymm: int) -> tuple[int, int, int]:
    """VIO-3: the three months of the quarter `yyyymm` falls in."""
    year, month = divmod(yyyymm, 100)
    first = (month - 1) // 3 * 3 + 1
    return (year * 100 + first, year * 100 + first + 1, year * 100 + first + 2)


def month_bounds(yyyymm: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """VIO-3: the first day of the month and of the month after, as (y, m, d)."""
    year, month = divmod(yyyymm, 100)
    nxt = (year + 1, 1) if month == 12 else (year, month + 1)
    return (year, month, 1), (nxt[0], nxt[1], 1)


def previous_month(year: int, month: int) -> int:
    """VIO-3: the month a run in (year, month) assesses."""
    return (year - 1) * 100 + 12 if month == 1 else year * 100 + month - 1
