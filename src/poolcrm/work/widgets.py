"""Dashboard card "待我审阅" (GOV-6): a supervisor's team's reports to read (WORK-1), trip plans
(WORK-2) and expenses (WORK-3) waiting for them — counts and the oldest's age, one query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, func, literal, select, union_all
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import subordinate_ids
from poolcrm.web.dashboard import widget
from poolcrm.work.models import PENDING, SUBMITTED, Expense, Trip, WorkReport

# key -> (label, link, rule)
WAITING: dict[str, tuple[str, str, str]] = {
    "reports": ("待阅工作报告", "/work/reports", "WORK-1"),
    "trips": ("待审批出差计划", "/work/trips", "WORK-2"),
    "expenses": ("待审批费用", "/work/expenses", "WORK-3"),
}


def waiting_for(session: Session, user: User) -> list[dict[str, Any]]:
    """What waits for `user` as the team's supervisor: reports addressed to them and not yet read,
    trips and supervisor-level expenses of the people below them (ORG-2) — one UNION of counts."""
    team = sorted(subordinate_ids(session, user.id))
    reports = select(literal("reports"), func.count(), func.min(WorkReport.submitted_at)).where(
        WorkReport.supervisor_id == user.id, WorkReport.status == SUBMITTED
    )
    trips = select(literal("trips"), func.count(), func.min(Trip.created_at)).where(
        Trip.user_id.in_(team), Trip.status == PENDING
    )
    expenses = select(literal("expenses"), func.count(), func.min(Expense.submitted_at)).where(
        Expense.user_id.in_(team),
        Expense.status == SUBMITTED,
        Expense.approval_level == org_rules.LEVEL_SUPERVISOR,
    )
    waiting: CompoundSelect[str, int, datetime | None] = union_all(reports, trips, expenses)
    found = {k: (n, oldest) for k, n, oldest in session.execute(waiting)}
    now = clock.now()
    out = []
    for key, (label, link, rule) in WAITING.items():
        n, oldest = found.get(key, (0, None))
        hours = int((now - clock.as_utc(oldest)).total_seconds() // 3600) if n and oldest else None
        out.append({"key": key, "label": label, "link": link, "rule": rule, "count": n, "hours": hours})
    return out


@widget(order=23)
def team_waiting(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.leads_team(user.roles):
        return None
    return "_queue_card.html", {
        "title": "待我审阅",
        "testid": "widget-team-waiting",
        "item": "waiting",
        "queues": waiting_for(session, user),
        "old_hours": 72,
    }
