"""Deal lists and the shapes the API and pages show (ORG-5 scope, DEAL-7 history)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.contracts import rules as contract_rules
from poolcrm.contracts.models import Contract
from poolcrm.customers.models import Customer
from poolcrm.db import count_capped, first_page_total
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN
from poolcrm.deals.common import deal_warnings
from poolcrm.deals.models import (
    Deal,
    DealCategoryChange,
    DealCompetitor,
    DealProgress,
)
from poolcrm.deals.tables import probabilities
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_clause
from poolcrm.policy.rules import Policy
from poolcrm.policy.service import get_policy
from poolcrm.work.models import SPENT, Expense


def category_history(session: Session, deal: Deal) -> list[dict[str, Any]]:
    """DEAL-7: every category / stage / status the deal took."""
    rows = session.scalars(
        select(DealCategoryChange)
        .where(DealCategoryChange.deal_id == deal.id)
        .order_by(DealCategoryChange.at, DealCategoryChange.id)
    )
    return [
        {
            "at": r.at.isoformat(),
            "category": r.category,
            "stage": r.stage,
            "status": r.status,
            "actor_id": r.actor_id,
        }
        for r in rows
    ]


@dataclass
class DealFilter:
    owner: int | None = None
    category: str | None = None
    stage: int | None = None
    customer_id: int | None = None
    state: str | None = None  # open | closed
    overdue: bool | None = None
    q: str | None = None


def filtered_query(session: Session, user: User, f: DealFilter, policy: Policy) -> Select[Deal]:
    q = select(Deal.id)
    if f.owner is not None:
        q = q.where(Deal.owner_id == f.owner)
    if f.category:
        q = q.where(Deal.category == f.category)
    if f.stage is not None:
        q = q.where(Deal.stage == f.stage)
    if f.customer_id is not None:
        q = q.where(Deal.customer_id == f.customer_id)
    if f.state == "open":
        q = q.where(Deal.category.in_(OPEN))
    elif f.state == "closed":
        q = q.where(Deal.category.in_((*rules.CONTRACTED, rules.LOST)))
    if f.q:
        like = f"%{f.q.strip()}%"
        q = q.where(
            or_(
                Deal.name.like(like),
                Deal.number.like(like),
                Deal.customer_id.in_(select(Customer.id).where(Customer.name.like(like))),
            )
        )
    if f.overdue is not None:
        today = clock.today(policy.timezone)
        due = []
        for category in OPEN:
            cutoff = rules.reminder_cutoff(today, category, policy.deal_reminder_days)
            if cutoff is not None:
                # overdue = due before today: last activity day < cutoff
                boundary = clock.start_of_local_day(cutoff, policy.timezone)
                due.append(and_(Deal.category == category, Deal.last_activity_at < boundary))
        clause = or_(*due) if due else literal(False)
        q = q.where(clause if f.overdue else ~clause)
    owned, on_owned = visible_owner_clause(user, Deal.owner_id), visible_owner_clause(user, Customer.owner_id)
    if owned is None or on_owned is None:
        return select(Deal).where(q.whereclause) if q.whereclause is not None else select(Deal)
    # ORG-5: deals owned inside the user's tree, and deals on customers owned inside it (MEM-1
    # redevelopment deals by others) — two indexed branches, each already filtered, then their union.
    by_owner = q.where(owned)
    by_customer = q.join(Customer, Customer.id == Deal.customer_id).where(on_owned)
    return select(Deal).where(Deal.id.in_(by_owner.union(by_customer)))


def list_deals(
    session: Session, user: User, f: DealFilter, *, page: int = 1, page_size: int = 50
) -> tuple[list[Deal], int, bool]:
    """One page of the deals the user sees, newest activity first; the count capped (LIST-2)."""
    policy = get_policy(session)
    q = filtered_query(session, user, f, policy)
    items = list(
        session.scalars(
            q.order_by(Deal.updated_at.desc(), Deal.id.desc()).offset((page - 1) * page_size).limit(page_size)
        )
    )
    shown = first_page_total(items, page, page_size)
    if shown is not None:
        return items, shown, False
    total, capped = count_capped(session, q.with_only_columns(Deal.id))
    return items, total, capped


@dataclass
class Lookups:
    """Names for a page of deals, loaded in three queries."""

    users: dict[int, User] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    probabilities: dict[int, int] = field(default_factory=dict)
    contracts: dict[int, Contract] = field(default_factory=dict)
    expenses: dict[int, Decimal] = field(default_factory=dict)


def lookups(session: Session, deals: Iterable[Deal]) -> Lookups:
    deals = list(deals)
    user_ids = {d.owner_id for d in deals} | {d.credited_to for d in deals}
    customer_ids = {d.customer_id for d in deals} | {d.channel_customer_id for d in deals}
    user_ids.discard(None)
    customer_ids.discard(None)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
        if customer_ids
        else {}
    )
    signed = [d.id for d in deals if d.category in rules.CONTRACTED]
    contracts = (
        {
            c.deal_id: c
            for c in session.scalars(
                select(Contract)
                .where(Contract.deal_id.in_(signed), Contract.status.in_(contract_rules.LIVE))
                .order_by(Contract.id)
            )
            if c.deal_id is not None
        }
        if signed
        else {}
    )
    spent = (
        {
            deal_id: total
            for deal_id, total in session.execute(
                select(Expense.deal_id, func.sum(Expense.amount))
                .where(Expense.deal_id.in_([d.id for d in deals]), Expense.status.in_(SPENT))
                .group_by(Expense.deal_id)
            )
            if deal_id is not None
        }
        if deals
        else {}
    )
    return Lookups(users, customers, probabilities(session), contracts, spent)


def contract_brief(contract: Contract | None, today: date) -> dict[str, Any] | None:
    """CTR-3 on the deal: its contract, received, outstanding and overdue (DEAL-8: signed until paid)."""
    if contract is None:
        return None
    parts = [(i.due_on, i.amount, i.received) for i in contract.installments]
    return {
        "id": contract.id,
        "number": contract.number,
        "status": contract.status,
        **contract_rules.money_state(contract.amount, contract.received, parts, today),
    }


def due_on(deal: Deal, policy: Policy) -> date | None:
    return rules.reminder_due_on(
        clock.local_date(deal.last_activity_at, policy.timezone), deal.category, policy.deal_reminder_days
    )


def competitor_out(e: DealCompetitor) -> dict[str, Any]:
    """DEAL-10: one competitor evaluation."""
    return {
        "competitor": e.competitor,
        "strengths": e.strengths,
        "weaknesses": e.weaknesses,
        "evaluated_on": e.evaluated_on.isoformat(),
    }


def deal_out(
    session: Session,
    deal: Deal,
    lk: Lookups | None = None,
    *,
    policy: Policy | None = None,
    warnings: bool = False,
) -> dict[str, Any]:
    policy = policy or get_policy(session)
    lk = lk or lookups(session, [deal])
    due = due_on(deal, policy)
    customer = lk.customers.get(deal.customer_id)
    channel = lk.customers.get(deal.channel_customer_id) if deal.channel_customer_id else None
    owner = lk.users.get(deal.owner_id) if deal.owner_id else None
    credited = lk.users.get(deal.credited_to) if deal.credited_to else None
    probability = lk.probabilities.get(deal.stage, 0)
    amount = rules.reported_amount(deal.category, deal.amount, deal.actual_amount)
    return {
        "id": deal.id,
        "number": deal.number,
        "name": deal.name,
        "customer_id": deal.customer_id,
        "customer": {
            "id": customer.id,
            "code": customer.code,
            "name": customer.name,
            "status": customer.status,
        }
        if customer
        else None,
        "channel_customer_id": deal.channel_customer_id,
        "channel_customer": {"id": channel.id, "code": channel.code, "name": channel.name}
        if channel
        else None,
        "owner": {"id": owner.id, "display_name": owner.display_name} if owner else None,
        "category": deal.category,
        "stage": deal.stage,
        "max_stage": deal.max_stage,
        "probability": probability,
        "status": deal.status,
        "expected_close_on": deal.expected_close_on.isoformat(),
        "intention": deal.intention,
        "products": [
            {
                "name": p.name,
                "model": p.model,
                "quantity": float(p.quantity),
                "unit_price": float(p.unit_price),
                "line_total": float(p.line_total),
            }
            for p in deal.products
        ],
        "amount": float(deal.amount),
        "weighted_amount": float(rules.weighted(amount, probability)),
        "details": {name: getattr(deal, name) for name in rules.DETAIL_FIELDS},
        "source": deal.source,
        "competitor_evaluations": [competitor_out(e) for e in deal.competitor_evaluations],
        "actual_amount": float(deal.actual_amount) if deal.actual_amount is not None else None,
        "contract_no": deal.contract_no,
        "expenses": float(lk.expenses.get(deal.id) or 0),  # WORK-3: approved expenses on the deal
        "contract": contract_brief(lk.contracts.get(deal.id), clock.today(policy.timezone)),
        "lost_reason": deal.lost_reason,
        "closed_at": deal.closed_at.isoformat() if deal.closed_at else None,
        "credited_to": {"id": credited.id, "display_name": credited.display_name} if credited else None,
        "credit_rule": deal.credit_rule,
        "dispute_needed": deal.dispute_needed,
        "last_activity_at": deal.last_activity_at.isoformat(),
        "due_on": due.isoformat() if due else None,
        "overdue": rules.is_overdue(due, clock.today(policy.timezone)),
        "created_at": deal.created_at.isoformat(),
        "updated_at": deal.updated_at.isoformat(),
        "version": deal.version,
        **({"warnings": deal_warnings(deal, policy)} if warnings else {}),
    }


def progress_out(p: DealProgress, users: dict[int, User] | None = None, lang: str = "zh") -> dict[str, Any]:
    author = (users or {}).get(p.author_id)
    reasons = [
        {
            "rule": r["rule"],
            "clause": r.get("clause", ""),
            "message": translate(r["message"], lang, **(r.get("params") or {})),
        }
        for r in p.invalid_reasons or []
    ]
    return {
        "id": p.id,
        "valid": p.valid,
        "invalid_reasons": reasons,
        "counts_as_contact": p.counts_as_contact,
        "followup_id": p.followup_id,
        "details": p.details,
        "next_plan": p.next_plan,
        "stage": p.stage,
        "author": {"id": author.id, "display_name": author.display_name} if author else {"id": p.author_id},
        "created_at": p.created_at.isoformat(),
    }
