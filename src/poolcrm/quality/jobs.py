"""Daily steps of the quality domain (JOB-1): GOV-4's snapshot of the data-quality figures and
GOV-5's verification reminders."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.jobs.registry import daily_step
from poolcrm.notify.service import notify_many
from poolcrm.policy.service import company_moment, get_policy
from poolcrm.quality import dashboard, rules
from poolcrm.quality.verification import pending_counts


@daily_step("quality.verification_reminders", order=80)
def verification_reminders(session: Session, as_of: date) -> dict[str, list[Any]]:
    """GOV-5: at the start of each verification period, and again `verification_remind_days`
    before its end, each rep with customers still to verify is told how many (NOTE-1, at the
    reminder time). Once per phase: the dedupe key names the period and the phase."""
    policy = get_policy(session)
    period = rules.verification_period(as_of, policy.verification_period_months)
    phase = rules.reminder_phase(as_of, period, policy.verification_remind_days)
    if phase is None:
        return {"verification_reminded": []}
    counts = pending_counts(session, period)
    sent = notify_many(
        session,
        {uid: {"count": n, "period": period.label} for uid, n in counts.items()},
        "verification",
        "联系方式核实（{period}）：还有 {count} 个客户待核实",
        link="/verification",
        rule="GOV-5",
        dedupe_key=f"GOV-5:{period.key}:{phase}",
        due_at=company_moment(session, as_of, policy.reminder_time),
    )
    return {"verification_reminded": sent}


@daily_step("quality.snapshot", order=95)
def quality_snapshot(session: Session, as_of: date) -> dict[str, list[Any]]:
    """GOV-4: the day's figures per rep, after the day's moves (recycling, grades) are done."""
    return {"quality_owners": [dashboard.snapshot(session, as_of)]}
