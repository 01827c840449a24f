"""Daily job rules (JOB-*): pure decisions, no database, no clock."""

from __future__ import annotations

from datetime import date


def run_date_problem(as_of: date, today: date) -> str | None:
    """JOB-1b: the daily job runs for a day that has begun in the company's zone — today (with
    the test clock, the day the admin moved it to) or a past day being caught up — never for a day
    to come: its recycling (POOL-6) and expiries would act on time that has not passed, and the
    ownership moves they make are permanent (POOL-12)."""
    if as_of > today:
        return "不能为尚未到来的日期运行每日任务"
    return None
