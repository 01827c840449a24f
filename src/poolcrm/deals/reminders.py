"""Deal reminders (DEAL-2 cadence: lead and mid every 15 days, short every 7)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN
from poolcrm.deals.models import (
    Deal,
)
from poolcrm.deals.rollup import ensure_month, freeze_past_months
from poolcrm.notify.service import notify
from poolcrm.policy.service import get_policy


def run_reminders(session: Session, as_of: date) -> dict[str, list[Any]]:
    """DEAL-2: every open deal reminds its owner `deal_reminder_days[category]` days after its last
    progress record (once per due date); the deals that became overdue on `as_of` are listed (all
    overdue deals are flagged wherever deals are shown).
    DEAL-7: carries open deals into the month of `as_of`."""
    policy = get_policy(session)
    ensure_month(session, rules.month_key(as_of))
    freeze_past_months(session, rules.month_key(as_of))
    reminded: list[int] = []
    overdue: list[int] = []
    for category in OPEN:
        cutoff = rules.reminder_cutoff(as_of, category, policy.deal_reminder_days)
        if cutoff is None:
            continue
        boundary = clock.start_of_local_day(cutoff + timedelta(days=1), policy.timezone)
        due_rows = session.execute(
            select(Deal.id, Deal.owner_id, Deal.number, Deal.name, Deal.last_activity_at).where(
                Deal.category == category, Deal.last_activity_at < boundary, Deal.owner_id.is_not(None)
            )
        ).all()
        for deal_id, owner_id, number, name, last in due_rows:
            assert owner_id is not None  # the query selects owned deals only
            due = rules.reminder_due_on(
                clock.local_date(last, policy.timezone), category, policy.deal_reminder_days
            )
            if due is not None and due == as_of - timedelta(days=1):
                overdue.append(deal_id)
            note = notify(
                session,
                owner_id,
                "deal_reminder",
                "跟单 {number}（{name}）已 {days} 天没有进展记录，请及时跟进并填写进展",
                link=f"/deals/{deal_id}",
                rule="DEAL-2",
                dedupe_key=f"deal-due:{deal_id}:{due}",
                number=number,
                name=name,
                days=policy.deal_reminder_days[category],
            )
            if note is not None:
                reminded.append(deal_id)
    session.flush()
    return {"deals_reminded": reminded, "deals_overdue": overdue}
