"""Contract rules (CTR-1..4): pure decisions, no database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from poolcrm.contracts.models import APPROVED, CANCELLED, LEVEL_GM, LEVEL_SUPERVISOR, PAID, PENDING, REJECTED

STATUS_LABELS: dict[str, str] = {
    PENDING: "待审批",
    APPROVED: "执行中",
    PAID: "已收款完毕",
    REJECTED: "已驳回",
    CANCELLED: "已作废",
}
LEVEL_LABELS: dict[str, str] = {LEVEL_SUPERVISOR: "主管审批", LEVEL_GM: "总经理审批"}
PAYMENT_METHODS: tuple[str, ...] = ("银行转账", "承兑汇票", "支票", "现金", "其他")
MIGRATED_METHOD = "迁移"
LIVE: tuple[str, ...] = (PENDING, APPROVED, PAID)
MAX_MONEY = Decimal("9999999999999.99")


@dataclass(frozen=True)
class Line:
    product: str
    quantity: Decimal
    unit_price: Decimal


def signing_date_problem(signed_on: date, today: date, backdate_days: int) -> tuple[str, str] | None:
    """(rule, message) when the signing date cannot be: CTR-1, in the future; CTR-1d, more than
    `backdate_days` ago — recording a contract signs its deal now (CTR-1a), so a contract signed
    in 1900 would date a signing, its DSP-1 credit and the month's figures a century back."""
    if signed_on > today:
        return "CTR-1", "签约日期不能晚于今天"
    if signed_on < today - timedelta(days=backdate_days):
        return "CTR-1d", "签约日期早于可补录的期限"
    return None


def contract_problems(number: str, amount: Decimal, lines: Sequence[Line]) -> dict[str, str]:
    """CTR-1/CTR-2: a contract has a number, a positive amount, and order lines with a product, a
    positive quantity and a price that is not negative (its signing date: `signing_date_problem`)."""
    problems: dict[str, str] = {}
    if not number.strip():
        problems["number"] = "必填"
    if not Decimal("0") < amount <= MAX_MONEY:
        problems["amount"] = "合同金额须大于 0"
    for i, line in enumerate(lines):
        if not line.product.strip():
            problems[f"lines.{i}.product"] = "必填"
        if line.quantity <= 0:
            problems[f"lines.{i}.quantity"] = "数量须大于 0"
        if line.unit_price < 0:
            problems[f"lines.{i}.unit_price"] = "单价不能为负"
    return problems


def installment_problems(
    amount: Decimal, signed_on: date, plan: Sequence[tuple[date, Decimal]]
) -> dict[str, str]:
    """CTR-3: the installment plan adds up to the contract amount; each is positive and not due
    before the contract was signed."""
    problems: dict[str, str] = {}
    for i, (due_on, part) in enumerate(plan):
        if part <= 0:
            problems[f"installments.{i}.amount"] = "分期金额须大于 0"
        if due_on < signed_on:
            problems[f"installments.{i}.due_on"] = "付款日期不能早于签约日期"
    if plan and not problems and sum((p for _, p in plan), Decimal("0")) != amount:
        problems["installments"] = "分期金额合计须等于合同金额"
    return problems


def payment_problems(
    amount: Decimal, received_on: date, method: str, signed_on: date, today: date
) -> dict[str, str]:
    """CTR-3: a payment is positive, received between the signing date and today, by a known method."""
    problems: dict[str, str] = {}
    if not Decimal("0") < amount <= MAX_MONEY:
        problems["amount"] = "收款金额须大于 0"
    if received_on > today:
        problems["received_on"] = "收款日期不能晚于今天"
    elif received_on < signed_on:
        problems["received_on"] = "收款日期不能早于签约日期"
    if method not in PAYMENT_METHODS:
        problems["method"] = "未知的收款方式"
    return problems


def overpaid_by(contract_amount: Decimal, received: Decimal, payment: Decimal) -> Decimal:
    """CTR-3: how far a payment would take the received total past the contract amount (0 when it fits)."""
    return max(Decimal("0"), received + payment - contract_amount)


def allocate(payment: Decimal, open_parts: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """CTR-3: a payment settles installments in due order: [(installment id, amount applied)]."""
    left, applied = payment, []
    for installment_id, outstanding in open_parts:
        if left <= 0:
            break
        part = min(left, outstanding)
        if part > 0:
            applied.append((installment_id, part))
            left -= part
    return applied


def overdue(due_on: date, outstanding: Decimal, today: date) -> bool:
    """CTR-3: an installment is overdue once its due date has passed with money still outstanding."""
    return due_on < today and outstanding > 0


def distributor_maintained(latest_update: date | None, today: date, days: int) -> bool:
    """CTR-4: a distributor's own customers are maintained when one was updated within `days`."""
    return latest_update is not None and (today - latest_update).days <= days


def money_state(
    amount: Decimal, received: Decimal, installments: Iterable[tuple[date, Decimal, Decimal]], today: date
) -> dict[str, float | str | None]:
    """CTR-3: what the owner and the supervisor see — received, outstanding, overdue and the next due
    installment. `installments`: (due date, amount, received)."""
    overdue_amount, next_due = Decimal("0"), None
    for due_on, part, got in sorted(installments):
        left = part - got
        if overdue(due_on, left, today):
            overdue_amount += left
        elif left > 0 and next_due is None:
            next_due = due_on
    return {
        "amount": float(amount),
        "received": float(received),
        "outstanding": float(amount - received),
        "overdue": float(overdue_amount),
        "next_due_on": next_due.isoformat() if next_due else None,
    }


def shares(amount: Decimal, lines: Sequence[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """CTR-3b: a payment shared over the contract's lines in proportion to their totals, in cents,
    the rounding left on the last line so the shares add up to the payment exactly."""
    total = sum((t for _, t in lines), Decimal("0"))
    if total <= 0:
        return []
    out, given = [], Decimal("0")
    for i, (product, line_total) in enumerate(lines):
        part = (
            amount - given if i == len(lines) - 1 else (amount * line_total / total).quantize(Decimal("0.01"))
        )
        out.append((product, part))
        given += part
    return out


def special_price_problems(customer_type: str, product: str, price: Decimal, reason: str) -> dict[str, str]:
    """CTR-4: a special price is for a distributor, names the product, is a positive bounded price
    and gives its reason."""
    problems: dict[str, str] = {}
    if customer_type != "distributor":
        problems["customer_id"] = "特价仅适用于分销商客户"
    if not product.strip():
        problems["product"] = "必填"
    if not MAX_MONEY >= price > 0:
        problems["special_price"] = "特价须大于 0"
    if not reason.strip():
        problems["reason"] = "请写明申请特价的理由"
    return problems
