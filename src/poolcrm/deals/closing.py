"""Winning and losing deals (DEAL-8, DSP-1, DSP-3): signing, credit, and the signal disputes listen to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import lock_customer_row
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.deals import rules
from poolcrm.deals.access import GONE_POOLS, OPEN, lock_deal
from poolcrm.deals.common import audit_deal, deal_state, record_history, refuse_fields
from poolcrm.deals.models import (
    Deal,
    DealProgress,
)
from poolcrm.deals.rollup import snapshot_month
from poolcrm.deals.schemas import LoseIn, WinIn
from poolcrm.deals.signals import deal_won
from poolcrm.deals.tables import category_rules
from poolcrm.errors import Conflict, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.pools.rules import is_active_member


def win_deal(session: Session, actor: User, deal_id: int, data: WinIn) -> Deal:
    policy = get_policy(session)
    deal = lock_deal(session, actor, deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}）", category=rules.CATEGORY_LABELS[deal.category]
        )
    refuse_fields("DEAL-8", rules.win_problems(data.actual_amount, data.contract_no))
    assert data.actual_amount is not None and data.contract_no is not None
    contract_no = data.contract_no.strip()
    customer = lock_customer_row(session, deal.customer_id)
    if customer is None or customer.pool in GONE_POOLS:
        raise RuleViolation("WORK-4", "合同只能登记在 CRM 中存在的客户名下")
    _refuse_taken_contract(session, deal, contract_no)
    today = clock.today(policy.timezone)
    credit = rules.credit_for_win(
        winner_id=deal.owner_id if deal.owner_id is not None else actor.id,
        customer_owner_id=customer.owner_id if customer.pool == POOL_PRIVATE else None,
        member_active=is_active_member(customer.member_until, today),
        open_for_redevelopment=customer.open_for_redevelopment,
    )
    before = deal_state(deal)
    now = clock.now()
    deal.category, deal.status = rules.WON, rules.WON
    deal.stage = max(category_rules(session)[rules.WON].min_stage, deal.stage)
    deal.max_stage = max(deal.max_stage, deal.stage)
    deal.actual_amount, deal.contract_no = data.actual_amount, contract_no
    deal.closed_at = deal.updated_at = deal.last_activity_at = now
    deal.credited_to, deal.credit_rule, deal.dispute_needed = (
        credit.credited_to,
        credit.rule,
        credit.dispute_needed,
    )
    record_history(session, deal, actor.id, now)
    session.flush()
    snapshot_month(session, deal, policy)
    audit_deal(
        session,
        actor.id,
        "deal.win",
        deal,
        before,
        {
            **deal_state(deal),
            "actual_amount": str(deal.actual_amount),
            "contract_no": contract_no,
            "credited_to": deal.credited_to,
            "dispute_needed": deal.dispute_needed,
        },
        credit.rule,
    )
    _customer_closed_by(session, customer, deal, actor, now)
    if credit.dispute_needed and customer.owner_id is not None:
        _tell_owner_of_win_by_other(session, customer, deal, actor)
    session.flush()
    deal_won.send(session, deal=deal, actor=actor)
    return deal


def _refuse_taken_contract(session: Session, deal: Deal, contract_no: str) -> None:
    """CTR-1: a contract number is registered on one deal only."""
    taken = session.scalar(select(Deal.number).where(Deal.contract_no == contract_no, Deal.id != deal.id))
    if taken:
        raise Conflict(
            "合同编号 {contract_no} 已登记在跟单 {number}",
            rule="WORK-4",
            details={"contract_no": contract_no, "number": taken},
            contract_no=contract_no,
            number=taken,
        )


def _customer_closed_by(session: Session, customer: Customer, deal: Deal, actor: User, now: datetime) -> None:
    """DEAL-8 → CUS-12: a signed deal makes its customer `closed` (audited) and is business."""
    if customer.status != "closed":
        record(
            session,
            actor_id=actor.id,
            action="customer.status",
            object_type="customer",
            object_id=customer.id,
            before={"status": customer.status},
            after={"status": "closed"},
            rule="CUS-12",
            reason=f"跟单 {deal.number} 成交（DEAL-8）",
        )
        customer.status = "closed"
    customer.last_business_at = now
    customer.updated_at = now


def _tell_owner_of_win_by_other(session: Session, customer: Customer, deal: Deal, actor: User) -> None:
    """DSP-1: the customer's owner hears that someone else signed their customer."""
    notify(
        session,
        customer.owner_id,
        "deal_won_by_other",
        "您的客户 {customer} 由 {winner} 签单（跟单 {number}），需裁定业绩归属",
        link=f"/deals/{deal.id}",
        rule="DSP-1",
        dedupe_key=f"deal-won-other:{deal.id}",
        customer=customer.name,
        winner=actor.display_name,
        number=deal.number,
    )


def lose_deal(session: Session, actor: User, deal_id: int, data: LoseIn) -> Deal:
    policy = get_policy(session)
    deal = lock_deal(session, actor, deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}）", category=rules.CATEGORY_LABELS[deal.category]
        )
    refuse_fields("DEAL-8", rules.lose_problems(data.reason))
    assert data.reason is not None
    before = deal_state(deal)
    now = clock.now()
    deal.category, deal.status = rules.LOST, rules.LOST
    deal.stage = category_rules(session)[rules.LOST].max_stage
    deal.lost_reason = data.reason.strip()
    deal.closed_at = deal.updated_at = now
    record_history(session, deal, actor.id, now)
    # Seed 001 §4.1.3 D: the reason is also written in the progress records.
    session.add(
        DealProgress(
            deal_id=deal.id,
            author_id=actor.id,
            details=deal.lost_reason,
            next_plan="放弃跟单",
            stage=deal.stage,
            counts_as_contact=False,
            valid=True,
            invalid_reasons=[],
            created_at=now,
        )
    )
    session.flush()
    snapshot_month(session, deal, policy)
    audit_deal(
        session, actor.id, "deal.lose", deal, before, deal_state(deal), "DEAL-8", reason=deal.lost_reason
    )
    session.flush()
    return deal
