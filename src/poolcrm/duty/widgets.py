"""Dashboard card "今日值班" (IN-3) with the day's open work: CS's pending spot checks (VIO-2) and the
GM's open disputes (DSP-1/2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.duty import service
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.web.dashboard import widget


@widget(order=30)
def on_duty_today(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("cs", "gm", "admin", "sales") or org_rules.system_only(user.roles):
        return None
    return "duty/widget.html", service.card(session, user)
