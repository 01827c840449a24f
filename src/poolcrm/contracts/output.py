"""How contracts read to people and scripts (API.md § Contracts and payments): one shape for the API
and the pages, the contract list under ORG-5 scope, and a contract's whole record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, lazyload

from poolcrm.contracts import rules
from poolcrm.contracts.models import APPROVED, Contract, ContractFile, Installment
from poolcrm.contracts.payments import payments_of
from poolcrm.customers.models import Customer
from poolcrm.db import first_page_total
from poolcrm.deals.models import Deal
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id, visible_owner_clause
from poolcrm.policy.service import company_today


@dataclass(frozen=True)
class ContractFilter:
    status: str | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    deal_id: int | None = None
    overdue: bool = False
    q: str | None = None


def _scoped(session: Session, user: User, query: Select[Any]) -> Select[Any]:
    """ORG-5: the owner's tree, or the tree of the customer's current owner."""
    mine = visible_owner_clause(user, Contract.owner_id)  # ORG-2 joined, not bound as ids
    if mine is None:
        return query
    theirs = visible_owner_clause(user, Customer.owner_id)
    assert theirs is not None  # the same user: both clauses or neither
    return query.where(or_(mine, Contract.customer_id.in_(select(Customer.id).where(theirs))))


def list_contracts(
    session: Session, user: User, f: ContractFilter, page: int = 1, page_size: int = 50
) -> tuple[list[Contract], int]:
    q = _scoped(session, user, select(Contract))
    if f.status:
        q = q.where(Contract.status == f.status)
    if f.owner_id is not None:
        q = q.where(Contract.owner_id == f.owner_id)
    if f.customer_id is not None:
        q = q.where(Contract.customer_id == f.customer_id)
    if f.deal_id is not None:
        q = q.where(Contract.deal_id == f.deal_id)
    if f.overdue:  # the open installments' partial index, then a semi-join
        late = select(Installment.contract_id).where(
            Installment.settled.is_(False), Installment.due_on < company_today(session)
        )
        q = q.where(Contract.status == APPROVED, Contract.id.in_(late))
    if f.q:
        like = f"%{f.q.strip()}%"
        q = q.where(
            or_(
                Contract.number.like(like),
                Contract.customer_id.in_(select(Customer.id).where(Customer.name.like(like))),
            )
        )
    # a list shows no lines (`contract_out` without `full`): read only if one is asked for them
    q = q.options(lazyload(Contract.lines))
    rows = list(
        session.scalars(q.order_by(Contract.id.desc()).offset((page - 1) * page_size).limit(page_size))
    )
    total = first_page_total(rows, page, page_size)
    if total is None:
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    return rows, total


def contracts_out(
    session: Session, contracts: Sequence[Contract], *, today: date | None = None
) -> list[dict[str, Any]]:
    """`contract_out` for a list: the people, customers and deals of all of them read in one query
    each, not three queries per contract."""
    people = users_by_id(session, [i for c in contracts for i in (c.owner_id, c.created_by, c.decided_by)])
    customer_ids = sorted({c.customer_id for c in contracts})
    deal_ids = sorted({c.deal_id for c in contracts if c.deal_id})
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
        if customer_ids
        else {}
    )
    # a contract shows its deal's number, name and state, not the deal's products or competitors
    brief = select(Deal).options(lazyload(Deal.products), lazyload(Deal.competitor_evaluations))
    deals = {d.id: d for d in session.scalars(brief.where(Deal.id.in_(deal_ids)))} if deal_ids else {}
    today = today or company_today(session)
    return [
        contract_out(
            session,
            c,
            today=today,
            people=people,
            customer=customers.get(c.customer_id),
            deal=deals.get(c.deal_id) if c.deal_id else None,
        )
        for c in contracts
    ]


def contract_out(
    session: Session,
    contract: Contract,
    *,
    today: date | None = None,
    full: bool = False,
    people: Mapping[int, User] | None = None,
    customer: Customer | None = None,
    deal: Deal | None = None,
) -> dict[str, Any]:
    """The contract with its money state (CTR-3) and, when `full`, lines, installments, payments
    and files; `people`, `customer`, `deal`: already read (`contracts_out`), else read here."""
    today = today or company_today(session)
    parts = [(i.due_on, i.amount, i.received) for i in contract.installments]
    people = people or users_by_id(session, [contract.owner_id, contract.created_by, contract.decided_by])
    customer = customer or session.get(Customer, contract.customer_id)
    if deal is None and contract.deal_id:
        deal = session.get(Deal, contract.deal_id)
    out: dict[str, Any] = {
        "id": contract.id,
        "number": contract.number,
        "customer": {"id": customer.id, "code": customer.code, "name": customer.name} if customer else None,
        "deal": _deal_brief(deal),
        "owner": _person(people, contract.owner_id),
        "created_by": _person(people, contract.created_by),
        "signed_on": contract.signed_on.isoformat(),
        "terms": contract.terms,
        "status": contract.status,
        "status_label": rules.STATUS_LABELS[contract.status],
        "approval_level": contract.approval_level,
        "decided_by": _person(people, contract.decided_by),
        "decided_at": contract.decided_at.isoformat() if contract.decided_at else None,
        "decision_reason": contract.decision_reason,
        "paid_at": contract.paid_at.isoformat() if contract.paid_at else None,
        "migrated": contract.migrated,
        **rules.money_state(contract.amount, contract.received, parts, today),
    }
    if full:
        out.update(_record(session, contract, today))
    if deal is not None:
        out["deal_status"] = deal.category
    return out


def _record(session: Session, contract: Contract, today: date) -> dict[str, Any]:
    """A contract's whole record beside its summary: lines, installments, payments and files."""
    out: dict[str, Any] = {}
    out["lines"] = [
        {
            "product": x.product,
            "model": x.model,
            "quantity": float(x.quantity),
            "unit_price": float(x.unit_price),
            "line_total": float(x.line_total),
            "delivery_on": x.delivery_on.isoformat() if x.delivery_on else None,
        }
        for x in contract.lines
    ]
    out["installments"] = [
        {
            "seq": i.seq,
            "due_on": i.due_on.isoformat(),
            "amount": float(i.amount),
            "received": float(i.received),
            "outstanding": float(i.amount - i.received),
            "overdue": rules.overdue(i.due_on, i.amount - i.received, today),
        }
        for i in contract.installments
    ]
    payments = payments_of(session, contract.id)
    recorders = users_by_id(session, [p.recorded_by for p in payments])
    out["payments"] = [
        {
            "id": p.id,
            "received_on": p.received_on.isoformat(),
            "amount": float(p.amount),
            "method": p.method,
            "note": p.note,
            "recorded_by": _person(recorders, p.recorded_by),
        }
        for p in payments
    ]
    out["files"] = [
        {"id": f_id, "filename": name, "size": size, "uploaded_at": at.isoformat()}
        for f_id, name, size, at in session.execute(
            select(ContractFile.id, ContractFile.filename, ContractFile.size, ContractFile.uploaded_at)
            .where(ContractFile.contract_id == contract.id)
            .order_by(ContractFile.id)
        )
    ]
    return out


def _person(people: Mapping[int, User], user_id: int | None) -> dict[str, Any] | None:
    user = people.get(user_id) if user_id is not None else None
    return {"id": user.id, "display_name": user.display_name} if user else None


def _deal_brief(deal: Deal | None) -> dict[str, Any] | None:
    if deal is None:
        return None
    return {"id": deal.id, "number": deal.number, "name": deal.name, "category": deal.category}
