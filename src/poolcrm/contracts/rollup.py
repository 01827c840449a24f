"""The signed-and-collected rollup (CTR-3b): every contract recorded or voided and every payment adds
its amounts to `contract_month_totals`, in the writer's transaction, per month, owner and product."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.contracts import rules
from poolcrm.contracts.models import Contract, ContractMonthTotal
from poolcrm.db import upsert_insert

WHOLE = ""
"""The product key of a row that holds whole contracts (not one product's share)."""


def month_of(day: date) -> int:
    return day.year * 100 + day.month


def _add(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    insert = upsert_insert(session)
    stmt = insert(ContractMonthTotal).values(rows)
    t = ContractMonthTotal.__table__.c
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["yyyymm", "owner_key", "product"],
            set_={
                "signed_count": t.signed_count + stmt.excluded.signed_count,
                "signed_amount": t.signed_amount + stmt.excluded.signed_amount,
                "collected_amount": t.collected_amount + stmt.excluded.collected_amount,
            },
        )
    )


def _row(
    contract: Contract, day: date, product: str, count: int, signed: Decimal, collected: Decimal
) -> dict[str, Any]:
    return {
        "yyyymm": month_of(day),
        "owner_key": contract.owner_id or 0,
        "product": product,
        "signed_count": count,
        "signed_amount": signed,
        "collected_amount": collected,
    }


def count_signed(session: Session, contract: Contract, sign: int = 1) -> None:
    """A contract recorded (`sign` 1) or refused/cancelled (−1) in its signing month: the whole
    amount, and each product's line totals (a product counts the contract once)."""
    per_product: dict[str, Decimal] = defaultdict(Decimal)
    for line in contract.lines:
        per_product[line.product] += line.line_total
    zero = Decimal("0")
    rows = [_row(contract, contract.signed_on, WHOLE, sign, sign * contract.amount, zero)]
    rows += [
        _row(contract, contract.signed_on, p, sign, sign * total, zero) for p, total in per_product.items()
    ]
    _add(session, rows)


def count_collected(session: Session, contract: Contract, amount: Decimal, received_on: date) -> None:
    """A payment in its month: the whole amount, and each product's share of it (CTR-3b)."""
    zero = Decimal("0")
    lines = [(x.product, x.line_total) for x in contract.lines]
    rows = [_row(contract, received_on, WHOLE, 0, zero, amount)]
    per_product: dict[str, Decimal] = defaultdict(Decimal)
    for product, share in rules.shares(amount, lines):
        per_product[product] += share
    rows += [_row(contract, received_on, p, 0, zero, share) for p, share in per_product.items()]
    _add(session, rows)
