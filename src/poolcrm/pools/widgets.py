"""Dashboard cards: "即将回收" (POOL-6/16) and "今日提醒" (FU-4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.followups.service import due_today
from poolcrm.org.models import User
from poolcrm.pools.history import pool_rows
from poolcrm.pools.pages import common
from poolcrm.web.dashboard import widget

DUE_CARD_ROWS = 6


@widget(order=20)
def due_soon(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("sales"):
        return None

    rows = [r for r in pool_rows(session, user) if r["info"] is not None][:DUE_CARD_ROWS]
    return "pools/widget_due.html", {"rows": rows, **common(session)}


@widget(order=21)
def today_reminders(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("sales", "supervisor"):
        return None

    return "pools/widget_today.html", {"reminders": due_today(session, user)}
