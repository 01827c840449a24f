"""Win and loss by source (DEAL-11) and by competitor (DEAL-10): the deals created in a window of
months, within the viewer's ORG-5 scope, by how they stand now — open, signed, won or lost — with
the win rate (signed or won over decided) and the amount won. One grouped query."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from poolcrm.db import ids_select
from poolcrm.deals import rules
from poolcrm.deals.analytics import chart_owners, period_label
from poolcrm.deals.models import Deal, DealCompetitor
from poolcrm.errors import InvalidInput
from poolcrm.org.models import User
from poolcrm.policy.service import company_day_start

BY_KEYS = ("source", "competitor")


def _count(categories: tuple[str, ...]) -> Any:
    return func.sum(case((Deal.category.in_(categories), 1), else_=0))


def win_loss(session: Session, user: User, by: str, month: date, months: int) -> dict[str, Any]:
    """The window is the `months` months ending with `month` (a month of the business range, SEC-1:
    `web.forms.month_param`), so its first and last days are days a clock can hold."""
    if by not in BY_KEYS:
        raise InvalidInput({"by": "取值须为 source/competitor"})
    last = rules.month_key(month)
    first = rules.shift_month(last, -(months - 1))
    start = company_day_start(session, date(first // 100, first % 100, 1))
    after = rules.shift_month(last, 1)
    end = company_day_start(session, date(after // 100, after % 100, 1))
    key: Any = DealCompetitor.competitor if by == "competitor" else func.coalesce(Deal.source, "")
    won_amount = func.sum(case((Deal.category.in_(rules.CONTRACTED), Deal.actual_amount), else_=0))
    q = select(
        key,
        func.count(),
        _count(rules.OPEN_CATEGORIES),
        _count((rules.SIGNED,)),
        _count((rules.WON,)),
        _count((rules.LOST,)),
        won_amount,
    ).where(Deal.created_at >= start, Deal.created_at < end)
    if by == "competitor":
        q = q.join(DealCompetitor, DealCompetitor.deal_id == Deal.id)
    owners = chart_owners(session, user, None, None)
    if owners is not None:
        q = q.where(Deal.owner_id.in_(ids_select(session, sorted(owners))))
    rows = []
    for k, n, open_, signed, won, lost, amount in session.execute(q.group_by(key)):
        decided = (signed or 0) + (won or 0) + (lost or 0)
        rows.append(
            {
                "key": k,
                "label": k or "未记录",
                "deals": n,
                "open": open_ or 0,
                "signed": signed or 0,
                "won": won or 0,
                "lost": lost or 0,
                "win_rate": round(((signed or 0) + (won or 0)) / decided, 4) if decided else None,
                "amount_won": float(amount or 0),
            }
        )
    rows.sort(key=lambda r: (-r["deals"], r["label"]))
    return {"by": by, "from": period_label(first), "to": period_label(last), "rows": rows}
