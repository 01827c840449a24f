"""Signed and collected, side by side (CTR-3): contract amounts by signing date and money by the day
it was received, per month, owner, team or product, within the viewer's ORG-5 scope. Each side is
one grouped query over an indexed date range; days are folded into months here (≤ 366 groups)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.contracts import rules
from poolcrm.contracts.models import Contract, ContractLine, Payment
from poolcrm.errors import InvalidInput
from poolcrm.org.models import Department, User
from poolcrm.org.service import users_by_id, visible_owner_ids

BY_KEYS = ("month", "owner", "team", "product")


def _group_column(by: str) -> Any:
    return {
        "month": None,
        "owner": Contract.owner_id,
        "team": User.department_id,
        "product": ContractLine.product,
    }[by]


def _signed(session: Session, by: str, start: date, end: date, owners: list[int] | None) -> dict[Any, Any]:
    amount = ContractLine.line_total if by == "product" else Contract.amount
    key = Contract.signed_on if by == "month" else _group_column(by)
    q = select(key, func.count(func.distinct(Contract.id)), func.sum(amount)).where(
        Contract.signed_on >= start, Contract.signed_on < end, Contract.status.in_(rules.LIVE)
    )
    if by == "product":
        q = q.join(ContractLine, ContractLine.contract_id == Contract.id)
    if by == "team":
        q = q.join(User, User.id == Contract.owner_id)
    if owners is not None:
        q = q.where(Contract.owner_id.in_(owners))
    return {k: (n, s or Decimal("0")) for k, n, s in session.execute(q.group_by(key))}


def _collected(session: Session, by: str, start: date, end: date, owners: list[int] | None) -> dict[Any, Any]:
    """Money received in the range. By product, each payment is shared over its contract's lines in
    proportion to their totals (a payment is not made per product)."""
    key = Payment.received_on if by == "month" else _group_column(by)
    if by == "product":
        lines_total = (
            select(ContractLine.contract_id, func.sum(ContractLine.line_total).label("total"))
            .group_by(ContractLine.contract_id)
            .subquery()
        )
        share = Payment.amount * ContractLine.line_total / func.nullif(lines_total.c.total, 0)
        q = (
            select(key, func.sum(share))
            .join(ContractLine, ContractLine.contract_id == Payment.contract_id)
            .join(lines_total, lines_total.c.contract_id == Payment.contract_id)
        )
    else:
        q = select(key, func.sum(Payment.amount))
    q = q.join(Contract, Contract.id == Payment.contract_id).where(
        Payment.received_on >= start, Payment.received_on < end
    )
    if by == "team":
        q = q.join(User, User.id == Contract.owner_id)
    if owners is not None:
        q = q.where(Contract.owner_id.in_(owners))
    return {k: Decimal(s or 0) for k, s in session.execute(q.group_by(key))}


def _fold_months(rows: dict[Any, Any], count: bool) -> dict[str, Any]:
    out: dict[str, Any] = defaultdict(lambda: (0, Decimal("0")) if count else Decimal("0"))
    for day, value in rows.items():
        month = f"{day:%Y-%m}"
        if count:
            n, s = out[month]
            out[month] = (n + value[0], s + value[1])
        else:
            out[month] += value
    return dict(out)


def _months(start: date, end: date) -> list[str]:
    out, year, month = [], start.year, start.month
    while date(year, month, 1) < end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _labels(session: Session, by: str, keys: set[Any]) -> dict[Any, str]:
    if by == "owner":
        return {uid: u.display_name for uid, u in users_by_id(session, keys).items()}
    if by == "team":
        wanted = [k for k in keys if k is not None]
        q = select(Department.id, Department.name).where(Department.id.in_(wanted))
        names = dict(session.execute(q).all())
        return {k: names.get(k, "未分配部门") for k in keys}
    return {k: str(k) for k in keys}


def signed_and_collected(session: Session, user: User, by: str, start: date, end: date) -> dict[str, Any]:
    """CTR-3: rows of {key, label, signed_count, signed_amount, collected_amount} and the totals."""
    if by not in BY_KEYS:
        raise InvalidInput({"by": "取值须为 month/owner/team/product"})
    if not start < end:
        raise InvalidInput({"to": "结束月份须不早于开始月份"})
    scope = visible_owner_ids(session, user)
    owners = None if scope is None else sorted(scope)
    signed = _signed(session, by, start, end, owners)
    collected = _collected(session, by, start, end, owners)
    keys = set(signed) | set(collected)
    if by == "month":
        signed, collected = _fold_months(signed, True), _fold_months(collected, False)
        keys = set(_months(start, end))  # every month of the range, zeros included, for the chart
    labels = _labels(session, by, keys)
    rows = [
        {
            "key": str(k) if k is not None else "",
            "label": labels.get(k, "—") if k is not None else "—",
            "signed_count": signed.get(k, (0, 0))[0],
            "signed_amount": float(signed.get(k, (0, Decimal("0")))[1]),
            "collected_amount": round(float(collected.get(k, Decimal("0"))), 2),
        }
        for k in keys
    ]
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
