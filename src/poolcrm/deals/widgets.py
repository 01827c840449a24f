"""Dashboard card: my open deals, pipeline amount, overdue ones first (DEAL-2, DEAL-9)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.deals import output
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.web.dashboard import widget


@widget(order=40)
def my_deals(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("sales"):
        return None
    deals, total = output.list_deals(
        session, user, output.DealFilter(owner=user.id, state="open"), page_size=500
    )
    policy = get_policy(session)
    lk = output.lookups(session, deals)
    rows = [output.deal_out(session, d, lk, policy=policy) for d in deals]
    overdue = [r for r in rows if r["overdue"]]
    soonest = sorted(rows, key=lambda r: (not r["overdue"], r["due_on"] or "9999"))[:5]
    return "deals/widget.html", {
        "open": total,
        "overdue": len(overdue),
        "amount": sum(r["amount"] for r in rows),
        "weighted": sum(r["weighted_amount"] for r in rows),
        "deals": soonest,
    }
