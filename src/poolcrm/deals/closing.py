"""Signing, winning and losing deals (DEAL-8, DSP-1, DSP-3): a contract signs the deal, full payment
wins it, a refused contract gives it back; credit, and the signal disputes listen to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.contracts.models import CANCELLED, Contract
from poolcrm.customers.access import lock_customer_row
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.db import for_update
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN, lock_deal
from poolcrm.deals.common import audit_deal, deal_state, record_history, refuse_fields
from poolcrm.deals.models import (
    Deal,
    DealProgress,
)
from poolcrm.deals.rollup import snapshot_month
from poolcrm.deals.schemas import LoseIn
from poolcrm.deals.signals import deal_signed
from poolcrm.deals.tables import category_rules
from poolcrm.errors import RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy
from poolcrm.pools.rules import is_active_member


def sign_deal(session: Session, contract: Contract, actor: User) -> Deal:
    """DEAL-8: a contract recorded on an open deal signs it — stage 8 (签订合同), the contract's number
    and amount, the customer closed (CUS-12) and the credit decided from the signing (DSP-1, DSP-3)."""
    assert contract.deal_id is not None
    policy = get_policy(session)
    deal = lock_deal(session, actor, contract.deal_id)
    if deal.category not in OPEN:
        raise RuleViolation(
            "DEAL-8", "跟单已结束（{category}）", category=rules.CATEGORY_LABELS[deal.category]
        )
    customer = lock_customer_row(session, deal.customer_id)
    assert customer is not None
    credit = rules.credit_for_win(
        winner_id=deal.owner_id if deal.owner_id is not None else actor.id,
        customer_owner_id=customer.owner_id if customer.pool == POOL_PRIVATE else None,
        member_active=is_active_member(customer.member_until, contract.signed_on),
        open_for_redevelopment=customer.open_for_redevelopment,
    )
    before = deal_state(deal)
    now = clock.now()
    floor = category_rules(session)[rules.SIGNED].min_stage
    deal.category, deal.status = rules.SIGNED, rules.SIGNED
    deal.stage = max(floor, min(deal.stage, category_rules(session)[rules.SIGNED].max_stage))
    deal.max_stage = max(deal.max_stage, deal.stage)
    deal.actual_amount, deal.contract_no = contract.amount, contract.number
    deal.closed_at = deal.updated_at = deal.last_activity_at = now
    deal.credited_to, deal.credit_rule, deal.dispute_needed = (
        credit.credited_to,
        credit.rule,
        credit.dispute_needed,
    )
    record_history(session, deal, actor.id, now)
    session.flush()
    snapshot_month(session, deal, policy)
    refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
    audit_deal(
        session,
        actor.id,
        "deal.sign",
        deal,
        before,
        {
            **deal_state(deal),
            "actual_amount": str(deal.actual_amount),
            "contract_no": contract.number,
            "credited_to": deal.credited_to,
            "dispute_needed": deal.dispute_needed,
        },
        credit.rule,
    )
    _customer_closed_by(session, customer, deal, actor, now)
    if credit.dispute_needed and customer.owner_id is not None:
        _tell_owner_of_win_by_other(session, customer.owner_id, customer, deal, actor)
    session.flush()
    deal_signed.send(session, deal=deal, actor=actor)
    return deal


def _locked(session: Session, contract: Contract) -> Deal:
    """The contract's deal under its row lock (the contract's own permission check already ran)."""
    deal = session.scalar(for_update(select(Deal).where(Deal.id == contract.deal_id)))
    assert deal is not None
    return deal


def win_paid_deal(session: Session, contract: Contract, actor: User) -> Deal:
    """DEAL-8/CTR-3: the payment completing the contract amount makes the deal won (stage 10, 100%)."""
    deal = _locked(session, contract)
    before = deal_state(deal)
    now = clock.now()
    deal.category, deal.status = rules.WON, rules.WON
    deal.stage = deal.max_stage = category_rules(session)[rules.WON].min_stage
    deal.updated_at = deal.last_activity_at = now
    record_history(session, deal, actor.id, now)
    session.flush()
    snapshot_month(session, deal, get_policy(session))
    refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
    audit_deal(session, actor.id, "deal.win", deal, before, deal_state(deal), "DEAL-8")
    session.flush()
    return deal


def release_signed_deal(session: Session, contract: Contract, actor: User, reason: str) -> Deal:
    """CTR-1/DEAL-8: a refused contract gives the deal back as it was before signing (open, its stage,
    no credit); a cancelled one loses it with the reason. The customer's status returns too, when
    no other contracted deal keeps it closed."""
    deal = _locked(session, contract)
    before = deal_state(deal)
    now = clock.now()
    was = contract.before_signing or {}
    if contract.status == CANCELLED:
        deal.category, deal.status = rules.LOST, rules.LOST
        deal.stage = category_rules(session)[rules.LOST].max_stage
        deal.lost_reason = f"合同作废：{reason}"
    else:
        deal.category, deal.status, deal.stage = was["category"], was["status"], was["stage"]
        deal.actual_amount = deal.contract_no = deal.closed_at = None
        deal.credited_to = deal.credit_rule = None
        deal.dispute_needed = False
    deal.updated_at = now
    record_history(session, deal, actor.id, now)
    session.flush()
    snapshot_month(session, deal, get_policy(session))
    refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
    audit_deal(
        session, actor.id, "deal.contract_void", deal, before, deal_state(deal), "DEAL-8", reason=reason
    )
    _customer_reopened(session, deal, actor, was.get("customer_status"), reason)
    session.flush()
    return deal


def _customer_reopened(session: Session, deal: Deal, actor: User, status: str | None, reason: str) -> None:
    other = session.scalar(
        select(Deal.id).where(
            Deal.customer_id == deal.customer_id, Deal.id != deal.id, Deal.category.in_(rules.CONTRACTED)
        )
    )
    customer = lock_customer_row(session, deal.customer_id)
    if other is not None or customer is None or status in (None, "closed") or customer.status != "closed":
        return
    record(
        session,
        actor_id=actor.id,
        action="customer.status",
        object_type="customer",
        object_id=customer.id,
        before={"status": customer.status},
        after={"status": status},
        rule="CUS-12",
        reason=f"跟单 {deal.number} 的合同未生效：{reason}",
    )
    customer.status = status


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


def _tell_owner_of_win_by_other(
    session: Session, owner_id: int, customer: Customer, deal: Deal, actor: User
) -> None:
    """DSP-1: the customer's owner (`owner_id`) hears that someone else signed their customer."""
    notify(
        session,
        owner_id,
        "deal_signed_by_other",
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
    refresh_grades(session, [deal.customer_id])  # CUS-11: deals are grade facts
    audit_deal(
        session, actor.id, "deal.lose", deal, before, deal_state(deal), "DEAL-8", reason=deal.lost_reason
    )
    session.flush()
    return deal
