"""Signed and collected, side by side (CTR-3, CTR-3b): contract amounts by signing month and money by
the month it was received, per month, owner, team or product, within the viewer's ORG-5 scope. Read
from the rollup every write keeps (`contracts.rollup`): a year is a few thousand rows, whatever the
number of contracts and payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.contracts.models import ContractMonthTotal
from poolcrm.contracts.rollup import WHOLE, month_of
from poolcrm.errors import InvalidInput
from poolcrm.org.models import Department, User
from poolcrm.org.service import users_by_id, visible_owner_ids

BY_KEYS = ("month", "owner", "team", "product")


def _months(start: date, end: date) -> list[int]:
    out, year, month = [], start.year, start.month
    while date(year, month, 1) < end:
        out.append(year * 100 + month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _totals(session: Session, by: str, start: date, end: date, owners: list[int] | None) -> list[Any]:
    t = ContractMonthTotal
    key: Any = {"month": t.yyyymm, "owner": t.owner_key, "team": User.department_id, "product": t.product}[by]
    q = select(key, func.sum(t.signed_count), func.sum(t.signed_amount), func.sum(t.collected_amount)).where(
        t.yyyymm >= month_of(start), t.yyyymm < month_of(end)
    )
    q = q.where(t.product != WHOLE) if by == "product" else q.where(t.product == WHOLE)
    if by == "team":
        q = q.outerjoin(User, User.id == t.owner_key)
    if owners is not None:
        q = q.where(t.owner_key.in_(owners))
    return list(session.execute(q.group_by(key)).all())


def _labels(session: Session, by: str, keys: set[Any]) -> dict[Any, str]:
    if by == "owner":
        return {uid: u.display_name for uid, u in users_by_id(session, keys).items()}
    if by == "team":
        wanted = [k for k in keys if k is not None]
        q = select(Department.id, Department.name).where(Department.id.in_(wanted))
        names = dict(session.execute(q).all())
        return {k: names.get(k, "未分配部门") for k in keys}
    if by == "month":
        return {k: f"{k // 100:04d}-{k % 100:02d}" for k in keys}
    return {k: str(k) for k in keys}


def signed_and_collected(session: Session, user: User, by: str, start: date, end: date) -> dict[str, Any]:
    """CTR-3: rows of {key, label, signed_count, signed_amount, collected_amount} and the totals;
    `start` and `end` are first days of months (`end` excluded)."""
    if by not in BY_KEYS:
        raise InvalidInput({"by": "取值须为 month/owner/team/product"})
    if not start < end:
        raise InvalidInput({"to": "结束月份须不早于开始月份"})
    scope = visible_owner_ids(session, user)
    owners = None if scope is None else sorted(scope)
    found = {
        k: (int(n or 0), Decimal(s or 0), Decimal(c or 0))
        for k, n, s, c in _totals(session, by, start, end, owners)
    }
    keys = set(_months(start, end)) if by == "month" else set(found)  # every month, zeros included
    labels = _labels(session, by, keys)
    rows: list[dict[str, Any]] = []
    for k in keys:
        count, signed, collected = found.get(k, (0, Decimal("0"), Decimal("0")))
        rows.append(
            {
                "key": labels[k] if by == "month" else ("" if k is None else str(k)),
                "label": labels.get(k, "—") if k is not None else "—",
                "signed_count": count,
                "signed_amount": float(signed),
                "collected_amount": float(collected),
            }
        )
    rows.sort(key=lambda r: r["key"] if by == "month" else -r["signed_amount"])
    return {
        "by": by,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": rows,
        "totals": {
            "signed_count": sum(r["signed_count"] for r in rows),
            "signed_amount": round(sum(r["signed_amount"] for r in rows), 2),
            "collected_amount": round(sum(r["collected_amount"] for r in rows), 2),
        },
    }
