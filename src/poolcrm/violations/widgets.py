"""Dashboard card "争议与违规" (GOV-6): for the GM, the disputes waiting for a ruling (DSP-1/2,
CUS-20) with the oldest's age, and this month's violations by the level they reached (VIO-1) —
one grouped query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.disputes.models import STATUS_OPEN, Dispute
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.policy.service import company_day_start, company_today
from poolcrm.violations.models import Violation
from poolcrm.violations.rules import LEVEL_DISMISSAL, LEVEL_WARNING
from poolcrm.web.dashboard import widget

DISPUTES = "disputes"
LEVELS = (LEVEL_WARNING, LEVEL_DISMISSAL)  # VIO-1: written warning, dismissal proposal


def rulings_and_violations(session: Session) -> dict[str, Any]:
    month_start = company_day_start(session, company_today(session).replace(day=1))
    disputes = select(literal(DISPUTES), func.count(), func.min(Dispute.created_at)).where(
        Dispute.status == STATUS_OPEN
    )
    violations = (
        select(Violation.level, func.count(), func.min(Violation.created_at))
        .where(Violation.created_at >= month_start)
        .group_by(Violation.level)
    )
    found = {k: (n, oldest) for k, n, oldest in session.execute(union_all(disputes, violations))}
    open_n, oldest = found.pop(DISPUTES, (0, None))
    hours = int((clock.now() - clock.as_utc(oldest)).total_seconds() // 3600) if open_n and oldest else None
    return {
        "disputes": open_n,
        "hours": hours,
        "violations": sum(n for n, _ in found.values()),
        "levels": {level: found.get(level, (0, None))[0] for level in LEVELS},
    }


@widget(order=16)
def rulings(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.runs_company(user.roles):
        return None
    return "violations/widget_gm.html", rulings_and_violations(session)
