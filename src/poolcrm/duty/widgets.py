"""Dashboard card "今日值班" (IN-3) with the day's open work of this issue: CS's pending spot checks
(VIO-2) and the GM's open disputes (DSP-1/2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.disputes.models import STATUS_OPEN, Dispute
from poolcrm.duty import service
from poolcrm.org.models import User
from poolcrm.policy.service import company_today
from poolcrm.violations.models import SPOT_PENDING, SpotCheck
from poolcrm.web.dashboard import widget


@widget(order=30)
def on_duty_today(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("cs", "gm", "admin", "sales"):
        return None

    duty = service.on_duty(session, company_today(session), store=False)  # a read (IN-3a)
    names = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(duty.user_ids)))}
    spot = disputes = None
    if user.has_role("cs", "admin"):
        spot = session.scalar(select(func.count()).where(SpotCheck.status == SPOT_PENDING)) or 0
    if user.has_role("gm", "admin"):
        disputes = session.scalar(select(func.count()).where(Dispute.status == STATUS_OPEN)) or 0
    return "duty/widget.html", {
        "names": [names[uid] for uid in duty.user_ids if uid in names],
        "fallback": duty.source == service.SOURCE_FALLBACK,
        "mine": user.id in duty.user_ids,
        "spot": spot,
        "disputes": disputes,
    }
