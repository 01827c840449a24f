"""Payments and overdue installments (CTR-3, DEAL-8): money received settles installments in due
order under the contract's row lock; the payment that completes the amount wins the deal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.contracts import rules
from poolcrm.contracts.access import lock_contract
from poolcrm.contracts.models import APPROVED, PAID, PENDING, Contract, Installment, Payment
from poolcrm.contracts.rollup import count_collected
from poolcrm.contracts.schemas import PaymentIn
from poolcrm.contracts.signals import contract_paid
from poolcrm.errors import Conflict, InvalidInput
from poolcrm.notify.service import Note, notify_each
from poolcrm.org.models import User
from poolcrm.policy.service import company_today, get_policy


def record_payment(session: Session, actor: User, contract_id: int, data: PaymentIn) -> Contract:
    """CTR-3: record money received. Refused before approval and beyond the outstanding amount (an
    overpayment is not silently booked); the payment completing the amount makes the deal won."""
    contract = lock_contract(session, actor, contract_id)
    if contract.status != APPROVED:
        message = (
            "合同审批通过后才能登记收款" if contract.status == PENDING else "该合同不能再登记收款（{state}）"
        )
        raise Conflict(
            message, rule="CTR-3", code="not_receivable", state=rules.STATUS_LABELS[contract.status]
        )
    today = company_today(session)
    problems = rules.payment_problems(data.amount, data.received_on, data.method, contract.signed_on, today)
    if problems:
        raise InvalidInput(problems, rule="CTR-3")
    over = rules.overpaid_by(contract.amount, contract.received, data.amount)
    if over > 0:
        outstanding = contract.amount - contract.received
        raise Conflict(
            "收款金额超出未收金额 ¥{outstanding}",
            rule="CTR-3",
            code="overpayment",
            details={"outstanding": str(outstanding), "over": str(over)},
            outstanding=f"{outstanding:,.2f}",
        )
    now = clock.now()
    payment = Payment(
        contract_id=contract.id,
        received_on=data.received_on,
        amount=data.amount,
        method=data.method,
        note=(data.note or "").strip() or None,
        recorded_by=actor.id,
        created_at=now,
    )
    session.add(payment)
    _settle(contract, data.amount)
    count_collected(session, contract, data.amount, data.received_on)
    contract.received = contract.received + data.amount
    contract.updated_at = now
    if contract.received == contract.amount:
        contract.status, contract.paid_at = PAID, now
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="contract.payment",
        object_type="contract",
        object_id=contract.id,
        after={
            "payment_id": payment.id,
            "amount": str(data.amount),
            "received_on": data.received_on.isoformat(),
            "method": data.method,
            "received": str(contract.received),
            "status": contract.status,
        },
        rule="CTR-3",
    )
    if contract.status == PAID and contract.deal_id is not None:
        contract_paid.send(session, contract=contract, actor=actor)
    session.flush()
    return contract


def _settle(contract: Contract, amount: Decimal) -> None:
    open_parts = [(i.id, i.amount - i.received) for i in contract.installments if not i.settled]
    applied = dict(rules.allocate(amount, open_parts))
    for installment in contract.installments:
        part = applied.get(installment.id)
        if part:
            installment.received = installment.received + part
            installment.settled = installment.received >= installment.amount


def payments_of(session: Session, contract_id: int) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.contract_id == contract_id)
            .order_by(Payment.received_on, Payment.id)
        )
    )


def overdue_installments(
    session: Session, as_of: date, *, since: date | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """CTR-3: every open installment of an approved contract past its due date (fallen due on or
    after `since`, when given) — one indexed range over the open installments (partial index),
    joined to its contract."""
    q = (
        select(
            Installment.id,
            Installment.contract_id,
            Installment.due_on,
            (Installment.amount - Installment.received).label("outstanding"),
            Contract.number,
            Contract.owner_id,
        )
        .join(Contract, Contract.id == Installment.contract_id)
        .where(and_(Installment.settled.is_(False), Installment.due_on < as_of, Contract.status == APPROVED))
        .order_by(Installment.due_on, Installment.id)
    )
    if since is not None:
        q = q.where(Installment.due_on >= since)
    if limit is not None:
        q = q.limit(limit)
    return [dict(r._mapping) for r in session.execute(q)]


def remind_overdue(session: Session, as_of: date) -> dict[str, list[Any]]:
    """CTR-3/NOTE-1: an installment that fell due (within the policy's look-back, so a missed run
    still reminds) reminds the owner and the owner's supervisor once."""
    lookback = get_policy(session).reminder_lookback_days
    rows = overdue_installments(session, as_of, since=as_of - timedelta(days=lookback))
    owners = {r["owner_id"] for r in rows if r["owner_id"] is not None}
    supervisors = dict(
        session.execute(select(User.id, User.supervisor_id).where(User.id.in_(owners))).all()
        if owners
        else []
    )
    notes = [
        Note(
            uid,
            f"installment-overdue:{row['id']}",
            {
                "number": row["number"],
                "due_on": row["due_on"].isoformat(),
                "outstanding": f"{row['outstanding']:,.2f}",
            },
            f"/contracts/{row['contract_id']}",
        )
        for row in rows
        for uid in sorted({row["owner_id"], supervisors.get(row["owner_id"])} - {None})
    ]
    written = notify_each(
        session,
        notes,
        "installment_overdue",
        "合同 {number} 的分期款（{due_on} 到期）逾期未收：¥{outstanding}",
        rule="CTR-3",
    )
    return {"installments_overdue": [r["id"] for r in rows], "installment_notes": [written]}
